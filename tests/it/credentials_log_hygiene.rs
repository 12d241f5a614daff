//! No secret of the credential chain reaches a log line, at any level: the provider binary runs
//! with `RUST_LOG=trace` against a scripted server that plays STS and KMS and hands out temporary
//! credentials the test knows, so their secret and token can be looked for on stderr (with V2
//! the token travels in the URL, with V3 in a header), together with the base key, an external
//! id and the content of an OIDC token file; every percent-encoded form of each is looked for
//! too.

use crate::kms_support;
use crate::resources_support as support;

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

/// The secret of every row of the malformed-setting table; no part of it may reach stdout or
/// stderr (looked for whole, in halves, and percent-encoded).
const MARKER: &str = "Zq7SECRETmarker42";

/// A row of the table: its name, the provider settings, the environment, files in the working
/// directory, and a fragment the answers must hold.
type MalformedRow = (
    &'static str,
    serde_json::Value,
    Vec<(&'static str, String)>,
    &'static [(&'static str, &'static str)],
    &'static str,
);

/// Issue 17 item 6: for each malformed secret setting, `checkConfig`, `configure` and an
/// operation answer with a clear error, and no stdout line (replies, logs) and no stderr line
/// carries the secret, whole or in part.
#[test]
fn malformed_secret_settings_are_refused_without_quoting_them() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // An STS that echoes the OIDC token it was sent, cut short and re-encoded, in its message.
    let echo = format!(
        "The OIDC token {}... (base64 {}) is not valid.",
        &format!("eyJ.{MARKER}")[..14],
        base64_of(&format!("eyJ.{MARKER}"))
    );
    let server = runtime.block_on(ScriptedServer::start(vec![reply_json(
        400,
        &json!({"RequestId": "sts-echo", "Code": "AuthenticationFail.OIDCToken.Invalid", "Message": echo}).to_string(),
    )]));
    let rows: Vec<MalformedRow> = vec![
        (
            "a credentials URI that is only a token",
            json!({"credentialsUri": MARKER}),
            vec![],
            &[],
            "credentialsUri must be an http:// or https:// URL",
        ),
        (
            "a file URL",
            json!({"credentialsUri": format!("file:///run/{MARKER}")}),
            vec![],
            &[],
            "(file:///...)",
        ),
        (
            "a port that is not a number",
            json!({"credentialsUri": format!("http://127.0.0.1:{MARKER}/x")}),
            vec![],
            &[],
            "invalid port",
        ),
        (
            "a token in the user part",
            json!({"credentialsUri": format!("http://u:{MARKER}@127.0.0.1:1/")}),
            vec![],
            &[],
            "http://127.0.0.1:1",
        ),
        (
            "a token in the path of a URL nothing answers",
            json!({"credentialsUri": format!("http://127.0.0.1:1/{MARKER}/creds")}),
            vec![],
            &[],
            "credentials URI http://127.0.0.1:1",
        ),
        (
            "a secret key with a line break",
            json!({"accessKey": "id", "secretKey": format!("{MARKER}\r\nmore")}),
            vec![],
            &[],
            "not a valid access key secret",
        ),
        (
            "a security token with a line break",
            json!({"accessKey": "id", "secretKey": "s", "securityToken": format!("{MARKER}\nmore")}),
            vec![],
            &[],
            "not a valid security token",
        ),
        (
            "an inline OIDC token with a line break",
            json!({"assumeRoleWithOidc": {"roleArn": "acs:ram::1:role/x", "oidcProviderArn": "acs:ram::1:oidc-provider/p", "oidcToken": format!("eyJ.{MARKER}\nx")}}),
            vec![],
            &[],
            "not a valid OIDC token",
        ),
        (
            "an OIDC token file with a line break inside",
            json!({"assumeRoleWithOidc": {"roleArn": "acs:ram::1:role/x", "oidcProviderArn": "acs:ram::1:oidc-provider/p", "oidcTokenFile": "{dir}/token"}}),
            vec![],
            &[("token", "eyJ.Zq7SECRETmarker42\r\nrest")],
            "not a valid OIDC token",
        ),
        (
            "an STS refusal that echoes the OIDC token",
            json!({"assumeRoleWithOidc": {"roleArn": "acs:ram::1:role/x", "oidcProviderArn": "acs:ram::1:oidc-provider/p", "oidcToken": format!("eyJ.{MARKER}")}, "stsEndpoint": server.endpoint()}),
            vec![],
            &[],
            "AuthenticationFail.OIDCToken.Invalid (http 400, request id sts-echo)",
        ),
        (
            "a secret with a line break in the environment",
            json!({}),
            vec![
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", "id".to_owned()),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", format!("{MARKER}\nx")),
            ],
            &[],
            "not a valid access key secret",
        ),
        (
            "a credentials URI in the environment that is only a token",
            json!({}),
            vec![("ALIBABA_CLOUD_CREDENTIALS_URI", MARKER.to_owned())],
            &[],
            "(not an http or https URL)",
        ),
    ];
    let parts = [MARKER, &MARKER[..8], &MARKER[8..]];
    for (name, settings, environment, files, expected) in rows {
        let directory = tempfile::tempdir().unwrap();
        for (file, contents) in files {
            std::fs::write(directory.path().join(file), contents).unwrap();
        }
        let mut environment: Vec<(&str, &str)> = environment
            .iter()
            .map(|(key, value)| (*key, value.as_str()))
            .collect();
        environment.push(("RUST_LOG", "trace"));
        let mut provider = ProviderSession::start(directory.path(), &environment);
        let mut args = settings;
        let text = args
            .to_string()
            .replace("{dir}", &directory.path().display().to_string());
        args = serde_json::from_str(&text).unwrap();
        args["endpoint"] = json!("127.0.0.1:1");
        args["protocol"] = json!("HTTP");
        args["region"] = json!("cn-hangzhou");
        if args.get("stsEndpoint").is_none() {
            args["stsEndpoint"] = json!("127.0.0.1:1");
        }
        provider.call("checkConfig", json!({"news": args.clone()}));
        provider.call("configure", json!({"args": args}));
        provider.call(
            "create",
            json!({"urn": urn(AAP_TYPE, "scan"), "properties": {"applicationAccessPointName": "scan", "policies": ["p"]}, "timeout": 20}),
        );
        // A value inside Pulumi's secret wrapper is where a secret belongs (checkConfig hands the
        // checked inputs back that way); everything else is scanned.
        let stdout: Vec<String> = provider
            .stdout
            .iter()
            .map(|line| without_secret_values(serde_json::from_str(line).unwrap()).to_string())
            .collect();
        let everything = format!("{}\n{}", stdout.join("\n"), provider.stderr_text());
        assert!(
            everything.contains(expected),
            "{name}: no {expected:?} in\n{everything}"
        );
        for part in parts {
            for form in encodings(part) {
                assert!(
                    !everything.contains(&form),
                    "{name}: {form:?} was quoted:\n{everything}"
                );
            }
        }
        provider.finish(&parts);
    }
}

/// `value` with the content of every secret wrapper replaced.
fn without_secret_values(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) if map.contains_key(support::SECRET_SIGNATURE_KEY) => {
            json!("[secret]")
        }
        serde_json::Value::Object(map) => map
            .into_iter()
            .map(|(key, value)| (key, without_secret_values(value)))
            .collect(),
        serde_json::Value::Array(items) => items.into_iter().map(without_secret_values).collect(),
        other => other,
    }
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}
