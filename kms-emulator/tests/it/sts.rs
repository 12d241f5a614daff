//! The STS stand-in's `AssumeRole` through the signed gateway (V2 and V3) and
//! `GetCallerIdentity`: the credentials it issues being accepted by KMS until they expire, every
//! `AssumeRole` error, trust, `ExternalId`, role chaining, faults and counters. `AssumeRoleWithOIDC`
//! is in `sts_oidc.rs`.

use crate::common;

use std::time::Duration;

use common::{Client, Reply};
use kms_emulator::{
    Action, Config, Credential, Emulator, FaultSpec, OidcProvider, Role, StsConfig,
};
use serde_json::Value;

const ROLE: &str = "acs:ram::1234567890123456:role/ci-deployer";
const OTHER_ROLE: &str = "acs:ram::1234567890123456:role/auditor";
const PROVIDER: &str = "acs:ram::1234567890123456:oidc-provider/ack-rrsa";
const ISSUER: &str = "https://oidc-ack-cn-hangzhou.oss-cn-hangzhou.aliyuncs.com/c1234";
const STS_VERSION: &str = "2015-04-01";

/// Request parameters, then the expected status and code.
type ErrorCase<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str);

fn emulator_with(sts: StsConfig) -> Emulator {
    Emulator::start_blocking(Config {
        credentials: vec![
            Credential::demo(),
            Credential::new("untrusted-key", "untrusted-secret"),
        ],
        sts,
        ..Config::default()
    })
    .expect("start the emulator")
}

fn default_sts() -> StsConfig {
    StsConfig {
        roles: vec![
            Role::new(ROLE).trusting(["demo-access-key-id", PROVIDER]),
            Role::new(OTHER_ROLE).trusting([ROLE]),
        ],
        oidc_providers: vec![OidcProvider::new(PROVIDER, ISSUER)],
        credential_lifetime_seconds: None,
    }
}

fn assume_role(client: &Client, extra: &[(&str, &str)]) -> Reply {
    let mut all = vec![("Version", STS_VERSION)];
    all.extend_from_slice(extra);
    client.get("AssumeRole", &all)
}

fn assume(client: &Client, role: &str) -> Reply {
    assume_role(
        client,
        &[("RoleArn", role), ("RoleSessionName", "pipeline-42")],
    )
}

/// A client signing with the credentials of an `AssumeRole*` answer.
fn client_from(addr: std::net::SocketAddr, answer: &Value) -> Client {
    Client::from_credentials(addr, &answer["Credentials"])
}

fn expiration(answer: &Value) -> chrono::DateTime<chrono::Utc> {
    kms_emulator::validation::parse_api_time(answer["Credentials"]["Expiration"].as_str().unwrap())
        .expect("Expiration is yyyy-MM-ddTHH:mm:ssZ")
}

#[test]
fn assume_role_issues_sts_credentials_that_kms_accepts_with_v2_and_v3() {
    let emulator = emulator_with(default_sts());
    let client = Client::demo(emulator.addr());
    let answer = assume(&client, ROLE).assert_ok().clone();
    let credentials = &answer["Credentials"];
    assert!(credentials["AccessKeyId"]
        .as_str()
        .unwrap()
        .starts_with("STS."));
    assert!(credentials["SecurityToken"]
        .as_str()
        .unwrap()
        .starts_with("CAIS"));
    assert!(!credentials["AccessKeySecret"].as_str().unwrap().is_empty());
    let lifetime = expiration(&answer) - chrono::Utc::now();
    assert!(
        (3590..=3600).contains(&lifetime.num_seconds()),
        "default DurationSeconds is 3600, got {lifetime}"
    );
    assert_eq!(
        answer["AssumedRoleUser"]["Arn"],
        format!("{ROLE}/pipeline-42")
    );
    assert!(answer["AssumedRoleUser"]["AssumedRoleId"]
        .as_str()
        .unwrap()
        .ends_with(":pipeline-42"));

    let temporary = client_from(emulator.addr(), &answer);
    temporary.call("ListPolicies", &[]).assert_ok();
    temporary
        .call_v3("ListPolicies", "2016-01-20", &[])
        .assert_ok();
    let identity = temporary
        .call("GetCallerIdentity", &[("Version", STS_VERSION)])
        .assert_ok()
        .clone();
    assert_eq!(identity["IdentityType"], "AssumedRoleUser");
    assert_eq!(
        identity["Arn"],
        "acs:ram::1234567890123456:assumed-role/ci-deployer/pipeline-42"
    );

    let mut without_token = temporary.clone();
    without_token.security_token = None;
    without_token
        .call("ListPolicies", &[])
        .assert_error(400, "MissingSecurityToken");
    let mut wrong_token = temporary.clone();
    wrong_token.security_token = Some("CAISwrong".to_owned());
    wrong_token
        .call("ListPolicies", &[])
        .assert_error(400, "InvalidSecurityToken.MismatchWithAccessKey");

    let issued = emulator.issued_credentials();
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].role_arn, ROLE);
    assert_eq!(emulator.call_count(Action::AssumeRole), 1);
}

#[test]
fn assume_role_signed_with_v3_works_too() {
    let emulator = emulator_with(default_sts());
    let client = Client::demo(emulator.addr());
    let answer = client
        .call_v3(
            "AssumeRole",
            STS_VERSION,
            &[
                ("RoleArn", ROLE),
                ("RoleSessionName", "v3-session"),
                ("DurationSeconds", "900"),
            ],
        )
        .assert_ok()
        .clone();
    let lifetime = expiration(&answer) - chrono::Utc::now();
    assert!((890..=900).contains(&lifetime.num_seconds()), "{lifetime}");
    client_from(emulator.addr(), &answer)
        .call_v3("ListPolicies", "2016-01-20", &[])
        .assert_ok();
}

#[test]
fn issued_credentials_are_refused_as_expired_after_their_expiration() {
    let mut sts = default_sts();
    sts.credential_lifetime_seconds = Some(2);
    let emulator = emulator_with(sts);
    let client = Client::demo(emulator.addr());
    let answer = assume(&client, ROLE).assert_ok().clone();
    let lifetime = expiration(&answer) - chrono::Utc::now();
    assert!(
        lifetime.num_seconds() <= 1,
        "the lifetime control wins over DurationSeconds"
    );
    let temporary = client_from(emulator.addr(), &answer);
    temporary.call("ListPolicies", &[]).assert_ok();
    emulator.clock().advance(Duration::from_millis(2100));
    let reply = temporary.call("ListPolicies", &[]);
    reply.assert_error(400, "InvalidSecurityToken.Expired");
    temporary
        .call_v3("ListPolicies", "2016-01-20", &[])
        .assert_error(400, "InvalidSecurityToken.Expired");

    // Back to requested durations; the hook expires everything at once.
    emulator.set_credential_lifetime(None).unwrap();
    let fresh = client_from(emulator.addr(), assume(&client, ROLE).assert_ok());
    fresh.call("ListPolicies", &[]).assert_ok();
    assert_eq!(emulator.expire_issued_credentials(), 1);
    fresh
        .call("ListPolicies", &[])
        .assert_error(400, "InvalidSecurityToken.Expired");
}

#[test]
fn assume_role_parameters_are_validated_as_sts_documents_them() {
    let emulator = emulator_with(default_sts());
    let client = Client::demo(emulator.addr());
    let long_name = "x".repeat(65);
    let cases: Vec<ErrorCase<'_>> = vec![
        (vec![("RoleSessionName", "s1")], 400, "MissingRoleArn"),
        (vec![("RoleArn", ROLE)], 400, "MissingRoleSessionName"),
        (
            vec![
                ("RoleArn", "arn:aws:iam::1:role/x"),
                ("RoleSessionName", "s1"),
            ],
            400,
            "InvalidParameter.RoleArn",
        ),
        (
            vec![("RoleArn", ROLE), ("RoleSessionName", "a")],
            400,
            "InvalidParameter.RoleSessionName",
        ),
        (
            vec![("RoleArn", ROLE), ("RoleSessionName", "abc*abc")],
            400,
            "InvalidParameter.RoleSessionName",
        ),
        (
            vec![("RoleArn", ROLE), ("RoleSessionName", &long_name)],
            400,
            "InvalidParameter.RoleSessionName",
        ),
        (
            vec![
                ("RoleArn", ROLE),
                ("RoleSessionName", "s1"),
                ("DurationSeconds", "899"),
            ],
            400,
            "InvalidParameter.DurationSeconds",
        ),
        (
            vec![
                ("RoleArn", ROLE),
                ("RoleSessionName", "s1"),
                ("DurationSeconds", "3601"),
            ],
            400,
            "InvalidParameter.DurationSeconds",
        ),
        (
            vec![
                ("RoleArn", ROLE),
                ("RoleSessionName", "s1"),
                ("Policy", "not json"),
            ],
            400,
            "InvalidParameter.PolicyGrammar",
        ),
        (
            vec![
                ("RoleArn", ROLE),
                ("RoleSessionName", "s1"),
                ("ExternalId", "a b"),
            ],
            400,
            "InvalidParameter.ExternalId",
        ),
        (
            vec![
                ("RoleArn", "acs:ram::1234567890123456:role/missing"),
                ("RoleSessionName", "s1"),
            ],
            404,
            "EntityNotExist.Role",
        ),
        (
            vec![("RoleArn", OTHER_ROLE), ("RoleSessionName", "s1")],
            403,
            "NoPermission",
        ),
    ];
    for (extra, status, code) in cases {
        assume_role(&client, &extra).assert_error(status, code);
    }
    let missing = assume_role(
        &client,
        &[
            ("RoleArn", "acs:ram::1234567890123456:role/missing"),
            ("RoleSessionName", "s1"),
        ],
    );
    assert!(
        missing.message().contains("role/missing"),
        "{}",
        missing.message()
    );
    assume_role(
        &client,
        &[
            ("RoleArn", ROLE),
            ("RoleSessionName", "with.policy@x_y-z"),
            ("Policy", r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["kms:*"],"Resource":["*"]}]}"#),
        ],
    )
    .assert_ok();
    // The untrusted caller is authenticated but not named by the trust policy.
    let untrusted = Client {
        access_key_id: "untrusted-key".to_owned(),
        access_key_secret: "untrusted-secret".to_owned(),
        ..client.clone()
    };
    assume(&untrusted, ROLE).assert_error(403, "NoPermission");
    // An STS action under the KMS version, and a KMS action under the STS version, do not exist.
    client
        .get(
            "AssumeRole",
            &[("RoleArn", ROLE), ("RoleSessionName", "s1")],
        )
        .assert_error(404, "InvalidApi.NotFound");
    client
        .get("ListPolicies", &[("Version", STS_VERSION)])
        .assert_error(404, "InvalidApi.NotFound");
    // AssumeRole is signed like any other action.
    let mut params = client.unsigned(
        "AssumeRole",
        &[
            ("Version", STS_VERSION),
            ("RoleArn", ROLE),
            ("RoleSessionName", "s1"),
        ],
    );
    client.sign("GET", &mut params);
    params.insert("Signature".to_owned(), "AAAA".to_owned());
    client
        .send("GET", &params, None)
        .assert_error(400, "SignatureDoesNotMatch");
}

#[test]
fn external_id_and_max_session_duration_come_from_the_role() {
    let mut role = Role::new(ROLE);
    role.external_id = Some("tenant-4711".to_owned());
    role.max_session_duration_seconds = 7200;
    let emulator = emulator_with(StsConfig {
        roles: vec![role],
        ..StsConfig::default()
    });
    let client = Client::demo(emulator.addr());
    let base = [("RoleArn", ROLE), ("RoleSessionName", "s1")];
    assume_role(&client, &base).assert_error(403, "NoPermission");
    assume_role(&client, &[base[0], base[1], ("ExternalId", "tenant-0000")])
        .assert_error(403, "NoPermission");
    let answer = assume_role(
        &client,
        &[
            base[0],
            base[1],
            ("ExternalId", "tenant-4711"),
            ("DurationSeconds", "7200"),
        ],
    )
    .assert_ok()
    .clone();
    assert!((expiration(&answer) - chrono::Utc::now()).num_seconds() > 7100);
    assume_role(
        &client,
        &[
            base[0],
            base[1],
            ("ExternalId", "tenant-4711"),
            ("DurationSeconds", "7201"),
        ],
    )
    .assert_error(400, "InvalidParameter.DurationSeconds");
}

#[test]
fn a_role_session_can_assume_a_role_that_trusts_the_first_role() {
    let emulator = emulator_with(default_sts());
    let client = Client::demo(emulator.addr());
    // demo key → ci-deployer → auditor (auditor trusts ci-deployer's sessions only).
    let first = client_from(emulator.addr(), assume(&client, ROLE).assert_ok());
    let second = assume(&first, OTHER_ROLE).assert_ok().clone();
    assert_eq!(
        second["AssumedRoleUser"]["Arn"],
        format!("{OTHER_ROLE}/pipeline-42")
    );
    client_from(emulator.addr(), &second)
        .call("ListPolicies", &[])
        .assert_ok();
    assume(&client, OTHER_ROLE).assert_error(403, "NoPermission");
}

#[test]
fn sts_faults_and_counters_use_the_per_action_mechanism() {
    let emulator = emulator_with(default_sts());
    let client = Client::demo(emulator.addr());
    emulator
        .set_fault(
            "AssumeRole",
            FaultSpec {
                throttle_ratio: 1.0,
                times: Some(1),
                ..FaultSpec::default()
            },
        )
        .unwrap();
    assume(&client, ROLE).assert_error(400, "Throttling.User");
    emulator
        .set_fault(
            "AssumeRole",
            FaultSpec {
                server_error_ratio: 1.0,
                server_error_status: Some(503),
                times: Some(1),
                ..FaultSpec::default()
            },
        )
        .unwrap();
    assume(&client, ROLE).assert_error(503, "ServiceUnavailableTemporary");
    emulator
        .set_fault(
            "AssumeRole",
            FaultSpec {
                hang_ratio: 1.0,
                hang_ms: 50,
                times: Some(1),
                ..FaultSpec::default()
            },
        )
        .unwrap();
    assert!(matches!(assume(&client, ROLE), Reply::Dropped));
    assume(&client, ROLE).assert_ok();
    assert_eq!(emulator.call_count(Action::AssumeRole), 4);
    assert_eq!(
        emulator.issued_credentials().len(),
        1,
        "faulted calls issue nothing"
    );
    // A refused signature never reaches the action, so it is not counted.
    let mut wrong = client.clone();
    wrong.access_key_secret = "wrong".to_owned();
    assume(&wrong, ROLE).assert_error(400, "SignatureDoesNotMatch");
    assert_eq!(emulator.call_count(Action::AssumeRole), 4);
}
