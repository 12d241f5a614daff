//! No secret of the credential chain reaches a log line, at any level: the provider binary runs
//! with `RUST_LOG=trace` against a scripted server that plays STS and KMS and hands out temporary
//! credentials the test knows, so their secret and token can be looked for on stderr (with V2
//! the token travels in the URL, with V3 in a header), together with the base key, an external
//! id and the content of an OIDC token file; every percent-encoded form of each is looked for
//! too.

#[path = "kms_support/mod.rs"]
mod kms_support;
#[path = "resources_support/mod.rs"]
mod support;

use kms_support::{json as reply_json, service_error, Reply, ScriptedServer};
use serde_json::json;
use support::{secret, urn, ProviderSession, AAP_TYPE};

const BASE_SECRET: &str = "base+secret/value=1";
const STS_SECRET: &str = "sts+secret/handed=out";
const STS_TOKEN: &str = "CAIS+sts/token=handed-out";
const EXTERNAL_ID: &str = "external+id/secret";
const OIDC_TOKEN: &str = "eyJoidc.token+content/secret";

fn sts_reply() -> Reply {
    reply_json(
        200,
        &json!({
            "RequestId": "sts-request",
            "Credentials": {
                "AccessKeyId": "STS.handed-out",
                "AccessKeySecret": STS_SECRET,
                "SecurityToken": STS_TOKEN,
                "Expiration": "2099-01-01T00:00:00Z",
            }
        })
        .to_string(),
    )
}

fn created_reply() -> Reply {
    reply_json(
        200,
        r#"{"RequestId":"kms-request","Name":"hygiene","Arn":"acs:kms:cn-hangzhou:1:applicationaccesspoint/hygiene","AuthenticationMethod":"ClientKey","Policies":"[\"p\"]"}"#,
    )
}

fn encodings(secret: &str) -> Vec<String> {
    let once = alicloud_kms_provider::kms::signer::percent_encode(secret);
    let twice = alicloud_kms_provider::kms::signer::percent_encode(&once);
    let form = secret.replace(' ', "+");
    vec![secret.to_owned(), once, twice, form]
}

fn run(settings: serde_json::Value, files: &[(&str, &str)]) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // STS, then the create's look at the name (free), then the create itself.
    let name_is_free = service_error(404, "Forbidden.ResourceNotFound", "kms-describe");
    let server = runtime.block_on(ScriptedServer::start(vec![
        sts_reply(),
        name_is_free,
        created_reply(),
    ]));
    let directory = tempfile::tempdir().unwrap();
    for (name, contents) in files {
        std::fs::write(directory.path().join(name), contents).unwrap();
    }
    let mut provider = ProviderSession::start(directory.path(), &[("RUST_LOG", "trace")]);
    let mut args = settings;
    args["endpoint"] = json!(server.endpoint());
    args["stsEndpoint"] = json!(server.endpoint());
    args["protocol"] = json!("HTTP");
    args["region"] = json!("cn-hangzhou");
    let oidc_file = directory.path().join("token").display().to_string();
    if let Some(oidc) = args.get_mut("assumeRoleWithOidc") {
        oidc["oidcTokenFile"] = json!(oidc_file);
    }
    provider.result("configure", json!({"args": args}));
    let result = provider.result(
        "create",
        json!({"urn": urn(AAP_TYPE, "hygiene"), "properties": {"applicationAccessPointName": "hygiene", "policies": ["p"]}}),
    );
    assert_eq!(result["id"], "hygiene");
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "one STS call, two KMS calls");
    let stderr = provider.stderr_text();
    assert!(
        stderr.contains("TRACE") || stderr.contains("trace"),
        "tracing is on: {stderr}"
    );
    for secret in [BASE_SECRET, STS_SECRET, STS_TOKEN, EXTERNAL_ID, OIDC_TOKEN] {
        for form in encodings(secret) {
            assert!(!stderr.contains(&form), "{form} reached stderr:\n{stderr}");
        }
    }
    assert!(provider
        .finish(&[BASE_SECRET, STS_SECRET, STS_TOKEN, EXTERNAL_ID, OIDC_TOKEN])
        .success());
}

#[test]
fn an_assumed_role_signed_v2_leaves_no_secret_on_stderr() {
    run(
        json!({
            "accessKey": "base-id", "secretKey": secret(BASE_SECRET),
            "assumeRole": {"roleArn": "acs:ram::1:role/x", "externalId": EXTERNAL_ID},
        }),
        &[],
    );
}

#[test]
fn an_assumed_role_signed_v3_leaves_no_secret_on_stderr() {
    run(
        json!({
            "accessKey": "base-id", "secretKey": secret(BASE_SECRET),
            "assumeRole": {"roleArn": "acs:ram::1:role/x", "externalId": EXTERNAL_ID},
            "signatureAlgorithm": "v3",
        }),
        &[],
    );
}

#[test]
fn an_oidc_exchange_leaves_no_token_on_stderr() {
    run(
        json!({
            "assumeRoleWithOidc": {"roleArn": "acs:ram::1:role/x", "oidcProviderArn": "acs:ram::1:oidc-provider/p"},
        }),
        &[("token", OIDC_TOKEN)],
    );
}
