//! Every way of logging in, through the real provider binary, against the KMS emulator and its
//! STS, instance-metadata and credentials-URI stand-ins (which verify every signature like the
//! KMS gateway): each mode alone, chained (OIDC → assumeRole, ChainableRamRoleArn profiles),
//! signature V3, and the failures users meet (a wrong role, a wrong token, a missing file, STS
//! throttling, no instance role). Each case configures a fresh provider, creates an access point
//! (which needs working credentials), and checks how many times the emulator was asked for
//! credentials; errors must name what to fix and never carry a secret.
//!
//! The cases are data: `tests/tables/credentials_through_the_binary.json` (its `about` says what
//! a case holds), with the emulator's CLI profile file, its credentials INI file and the programs
//! of its External profiles in `tests/fixtures/credentials/` (`emulator-*`, `external-*`). A
//! change a case needs in the emulator is a named [`Setup`] step. Adding a case is adding an
//! entry there.
//!
//! The tests after the table (STS retries announced to the engine, no fetch before an
//! operation, many operations sharing one STS call, the long-operation refresh, the instance role
//! asked once, revoked credentials, the OAuth write-back) are not cases of it.

use crate::common::{self, TableFile};
use crate::resources_support as support;

use std::collections::BTreeMap;
use std::path::Path;

use kms_emulator::{
    Action, Config, Credential, Emulator, FaultSpec, LoginConfig, MetadataConfig, MetadataEndpoint,
    OidcProvider, Role, StsConfig,
};
use serde::Deserialize;
use serde_json::{json, Value};
use support::{secret, urn, ProviderSession, AAP_TYPE};

const ACCOUNT: &str = "1234567890123456";
const DEPLOYER: &str = "acs:ram::1234567890123456:role/deployer";
const CROSS: &str = "acs:ram::1234567890123456:role/cross-account";
const POD_ROLE: &str = "acs:ram::1234567890123456:role/pod";
const PROVIDER_ARN: &str = "acs:ram::1234567890123456:oidc-provider/github";
const ISSUER: &str = "https://token.actions.example.com";
const INSTANCE_ROLE: &str = "instance-role";
const BASE_ID: &str = "base-access-key-id";
const BASE_SECRET: &str = "base-access-key-secret-value";
const FIXED_STS_ID: &str = "STS.fixed-temporary-id";
const FIXED_STS_SECRET: &str = "fixed-temporary-secret-value";
const FIXED_STS_TOKEN: &str = "fixed-temporary-token-value";
const SSO_TOKEN: &str = "cloud-sso-access-token-value";
const OAUTH_REFRESH_TOKEN: &str = "oauth-refresh-token-value";

/// An emulator with the base key, two roles, an OIDC provider and an instance role that needs an
/// IMDSv2 token.
fn emulator() -> Emulator {
    let config = Config {
        credentials: vec![
            Credential::new(BASE_ID, BASE_SECRET),
            Credential::sts(FIXED_STS_ID, FIXED_STS_SECRET, FIXED_STS_TOKEN),
        ],
        account_id: ACCOUNT.to_owned(),
        sts: StsConfig {
            roles: vec![
                Role::new(DEPLOYER),
                Role::new(CROSS),
                Role::new(POD_ROLE),
                Role::new(format!("acs:ram::{ACCOUNT}:role/{INSTANCE_ROLE}")),
            ],
            oidc_providers: vec![OidcProvider::new(PROVIDER_ARN, ISSUER)],
            credential_lifetime_seconds: None,
        },
        metadata: MetadataConfig {
            role_name: Some(INSTANCE_ROLE.to_owned()),
            require_token: true,
        },
        logins: LoginConfig {
            cloud_sso_access_tokens: vec![SSO_TOKEN.to_owned()],
            cloud_sso_access_configurations: vec!["ac-admin".to_owned()],
            oauth_refresh_tokens: vec![OAUTH_REFRESH_TOKEN.to_owned()],
            ..LoginConfig::default()
        },
        ..Config::default()
    };
    Emulator::start_blocking(config).expect("the emulator starts")
}

/// Fills a case's placeholders: `{dir}` is the provider's working directory (its HOME),
/// `{address}` the emulator's `host:port`, `{token}` a valid OIDC token of its provider.
fn substitute(text: &str, directory: &Path, emulator: &Emulator, token: &str) -> String {
    text.replace("{dir}", &directory.display().to_string())
        .replace("{address}", &emulator.addr().to_string())
        .replace("{token}", token)
}

/// [`substitute`] in every string of a JSON value (objects included).
fn substitute_json(value: &Value, directory: &Path, emulator: &Emulator, token: &str) -> Value {
    match value {
        Value::String(text) => Value::String(substitute(text, directory, emulator, token)),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    (
                        key.clone(),
                        substitute_json(value, directory, emulator, token),
                    )
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn merged(base: Value, extra: Value) -> Value {
    let mut base = base;
    for (key, value) in extra.as_object().unwrap() {
        base[key] = value.clone();
    }
    base
}

/// One case as written in the table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableCase {
    name: String,
    #[serde(default)]
    config: serde_json::Map<String, Value>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    #[serde(default)]
    files: BTreeMap<String, TableFile>,
    #[serde(default)]
    setup: Vec<Setup>,
    calls: Option<Calls>,
    error: Option<Vec<String>>,
}

/// The setup vocabulary: a change made to the emulator before a case runs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
enum Setup {
    /// The emulator answers `Throttling.User` to the next `times` calls of `action`.
    Throttle { action: String, times: u32 },
    /// The role `arn` is replaced by one that trusts only `trusting`.
    PutRole { arn: String, trusting: Vec<String> },
}

impl Setup {
    fn apply(&self, emulator: &Emulator) {
        let applied = match self {
            Setup::Throttle { action, times } => emulator
                .set_fault(
                    action,
                    FaultSpec {
                        throttle_ratio: 1.0,
                        times: Some(*times),
                        ..FaultSpec::default()
                    },
                )
                .map_err(|error| error.to_string()),
            Setup::PutRole { arn, trusting } => {
                emulator.put_role(Role::new(arn.as_str()).trusting(trusting.iter().cloned()))
            }
        };
        applied.unwrap_or_else(|error| panic!("setup {self:?}: {error}"));
    }
}

/// The emulator's credential calls a case that works makes; one left out is 0.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "camelCase")]
struct Calls {
    assume_role: u64,
    assume_role_with_oidc: u64,
    metadata_credentials: u64,
    credentials_uri: u64,
}

/// One case, built; the placeholders (`{dir}`, `{address}`, `{token}`) are still in it.
struct Case {
    name: String,
    /// The provider's arguments besides endpoint, protocol and region (see [`run_case`]).
    config: Value,
    environment: BTreeMap<String, String>,
    /// Files to create: path relative to HOME (the provider's working directory) → contents.
    files: BTreeMap<String, String>,
    setup: Vec<Setup>,
    expected: Expected,
}

/// What a case expects.
enum Expected {
    /// The create succeeds after these credential calls.
    Works(Calls),
    /// The create fails with `-32051` and a message holding every fragment.
    Error { fragments: Vec<String> },
}

/// The table's secrets and its cases, built.
fn read_cases() -> (Vec<String>, Vec<Case>) {
    common::read_credential_table("credentials_through_the_binary.json", |case: TableCase| {
        let name = case.name;
        let expected = match (case.calls, case.error) {
            (Some(calls), None) => Expected::Works(calls),
            (None, Some(fragments)) => Expected::Error { fragments },
            _ => panic!("{name}: a case has either calls or error"),
        };
        Case {
            config: common::expand_notation(Value::Object(case.config)),
            environment: case.environment,
            files: case
                .files
                .into_iter()
                .map(|(path, file)| (path, file.contents()))
                .collect(),
            setup: case.setup,
            expected,
            name,
        }
    })
}

/// Runs one case against a fresh emulator and provider. The config gets the emulator as its KMS
/// and STS endpoints (a config that sets one to `null` takes it from the environment instead),
/// `protocol: HTTP` and region `cn-hangzhou`; the metadata service is the emulator's.
fn run_case(case: &Case, index: usize, secrets: &[String]) {
    let emulator = emulator();
    for setup in &case.setup {
        setup.apply(&emulator);
    }
    let directory = tempfile::tempdir().unwrap();
    let token = Emulator::mint_oidc_token(ISSUER, "repo:example/infra", 3600);
    for (relative, contents) in &case.files {
        let path = directory.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            path,
            substitute(contents, directory.path(), &emulator, &token),
        )
        .unwrap();
    }
    let environment: Vec<(String, String)> = case
        .environment
        .iter()
        .map(|(name, value)| {
            (
                name.clone(),
                substitute(value, directory.path(), &emulator, &token),
            )
        })
        .chain([(
            "ALICLOUD_KMS_PROVIDER_TEST_METADATA_ENDPOINT".to_owned(),
            emulator.endpoint(),
        )])
        .collect();
    let environment_refs: Vec<(&str, &str)> = environment
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let mut provider = ProviderSession::start(directory.path(), &environment_refs);
    let mut args = substitute_json(&case.config, directory.path(), &emulator, &token);
    for endpoint in ["endpoint", "stsEndpoint"] {
        match args.get(endpoint) {
            Some(Value::Null) => {
                args.as_object_mut().unwrap().remove(endpoint);
            }
            _ => args[endpoint] = json!(emulator.addr().to_string()),
        }
    }
    if args.get("endpoint").is_some() {
        args["protocol"] = json!("HTTP");
    }
    args["region"] = json!("cn-hangzhou");
    let checked = provider.result("checkConfig", json!({"news": args.clone()}));
    assert_eq!(checked["failures"], json!([]), "{}: {checked}", case.name);
    provider.result("configure", json!({"args": args, "acceptSecrets": true}));

    let name = format!("aap-{index}");
    let reply = provider.call(
        "create",
        json!({
            "urn": urn(AAP_TYPE, &name),
            "properties": {"applicationAccessPointName": name, "policies": ["p"]},
            "timeout": 60,
        }),
    );
    let secrets: Vec<&str> = secrets
        .iter()
        .map(String::as_str)
        .chain([token.as_str()])
        .collect();
    let text = reply.to_string();
    for leaked in &secrets {
        assert!(
            !text.contains(leaked),
            "{}: the reply carries a secret: {text}",
            case.name
        );
    }
    match &case.expected {
        Expected::Works(expected) => {
            assert_eq!(reply["result"]["id"], json!(name), "{}: {reply}", case.name);
            // A second operation reuses the cached credentials.
            let read = provider.result(
                "read",
                json!({"urn": urn(AAP_TYPE, &name), "id": name, "properties": {}}),
            );
            assert_eq!(read["id"], json!(name), "{}: {read}", case.name);
            let calls = Calls {
                assume_role: emulator.call_count(Action::AssumeRole),
                assume_role_with_oidc: emulator.call_count(Action::AssumeRoleWithOIDC),
                metadata_credentials: emulator
                    .metadata_call_count(MetadataEndpoint::RoleCredentials),
                credentials_uri: emulator.metadata_call_count(MetadataEndpoint::CredentialsUri),
            };
            assert_eq!(&calls, expected, "{}: the credential calls", case.name);
            if expected.metadata_credentials > 0 {
                assert!(
                    emulator.metadata_call_count(MetadataEndpoint::Token) >= 1,
                    "{}: no IMDSv2 token was asked for",
                    case.name
                );
            }
        }
        Expected::Error { fragments } => {
            let error = &reply["error"];
            assert_eq!(error["code"], -32051, "{}: {reply}", case.name);
            let message = error["message"].as_str().unwrap();
            for fragment in fragments {
                assert!(
                    message.contains(fragment.as_str()),
                    "{}: {message:?} lacks {fragment:?}",
                    case.name
                );
            }
            assert!(!message.ends_with('.'), "{}: {message}", case.name);
            assert!(
                emulator.access_points().is_empty(),
                "{}: something was created",
                case.name
            );
        }
    }
    let status = provider.finish(&secrets);
    assert!(status.success(), "{}: {status:?}", case.name);
}

/// Every case of `tests/tables/credentials_through_the_binary.json`, each against a fresh
/// emulator and provider.
#[test]
fn every_credential_mode_through_the_binary() {
    let (secrets, cases) = read_cases();
    assert!(cases.len() >= 42, "{} cases", cases.len());
    for (index, case) in cases.iter().enumerate() {
        run_case(case, index, &secrets);
    }
}

#[test]
fn throttled_sts_retries_are_announced_to_the_engine() {
    let emulator = emulator();
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
    let directory = tempfile::tempdir().unwrap();
    let mut provider = ProviderSession::start(directory.path(), &[]);
    let args = json!({
        "endpoint": emulator.addr().to_string(), "stsEndpoint": emulator.addr().to_string(),
        "protocol": "HTTP", "region": "cn-hangzhou",
        "accessKey": BASE_ID, "secretKey": secret(BASE_SECRET),
        "assumeRole": {"roleArn": DEPLOYER},
    });
    provider.result("configure", json!({"args": args}));
    let aap_urn = urn(AAP_TYPE, "throttled");
    provider.result(
        "create",
        json!({"urn": aap_urn, "properties": {"applicationAccessPointName": "throttled", "policies": ["p"]}}),
    );
    let warning = provider
        .logs_about(&aap_urn)
        .into_iter()
        .find(|log| log["severity"] == "warning")
        .cloned()
        .expect("a retry warning");
    let message = warning["message"].as_str().unwrap();
    assert!(
        message.starts_with("AssumeRole attempt 1 failed, retrying in ")
            && message.contains("sts refused AssumeRole: Throttling.User"),
        "{message}"
    );
    assert!(provider.finish(&[BASE_SECRET]).success());
}

/// A provider configured with `assumeRole` for `emulator`, in `directory`, with `environment`.
fn assume_role_session(
    emulator: &Emulator,
    directory: &Path,
    environment: &[(&str, &str)],
    extra: Value,
) -> ProviderSession {
    let mut provider = ProviderSession::start(directory, environment);
    let args = merged(
        json!({
            "endpoint": emulator.addr().to_string(), "stsEndpoint": emulator.addr().to_string(),
            "protocol": "HTTP", "region": "cn-hangzhou",
            "accessKey": BASE_ID, "secretKey": secret(BASE_SECRET),
            "assumeRole": {"roleArn": DEPLOYER},
        }),
        extra,
    );
    provider.result("configure", json!({"args": args}));
    provider
}

/// Issue 13 item 2: `configure`, `check` and `diff` never fetch credentials.
#[test]
fn configure_check_and_diff_never_fetch_credentials() {
    let emulator = emulator();
    let directory = tempfile::tempdir().unwrap();
    let mut provider = assume_role_session(&emulator, directory.path(), &[], json!({}));
    let news = json!({"applicationAccessPointName": "x", "policies": ["p"]});
    provider.result(
        "check",
        json!({"urn": urn(AAP_TYPE, "x"), "olds": {}, "news": news}),
    );
    provider.result(
        "diff",
        json!({"urn": urn(AAP_TYPE, "x"), "id": "x", "olds": news, "news": {"applicationAccessPointName": "x", "policies": ["q"]}}),
    );
    provider.result(
        "create",
        json!({"urn": urn(AAP_TYPE, "x"), "properties": news, "preview": true}),
    );
    assert_eq!(emulator.call_count(Action::AssumeRole), 0);
    assert!(provider.finish(&[BASE_SECRET]).success());
}

/// Issue 13, performance: however many operations run at once, an `assumeRole` credential costs
/// one STS call per expiry period (the count, not the time, is asserted).
#[test]
fn many_concurrent_operations_share_one_assume_role_call() {
    for algorithm in ["v2", "v3"] {
        let emulator = emulator();
        let directory = tempfile::tempdir().unwrap();
        let mut provider = assume_role_session(
            &emulator,
            directory.path(),
            &[],
            json!({"signatureAlgorithm": algorithm}),
        );
        let ids: Vec<u64> = (0..64)
            .map(|index| {
                let name = format!("concurrent-{index}");
                provider.send(
                    "create",
                    json!({"urn": urn(AAP_TYPE, &name), "properties": {"applicationAccessPointName": name, "policies": ["p"]}}),
                )
            })
            .collect();
        for id in ids {
            let reply = provider.reply(id);
            assert!(reply.get("result").is_some(), "{algorithm}: {reply}");
        }
        assert_eq!(emulator.access_points().len(), 64, "{algorithm}");
        assert_eq!(
            emulator.call_count(Action::AssumeRole),
            1,
            "{algorithm}: one STS call for 64 concurrent operations"
        );
        assert!(provider.finish(&[BASE_SECRET]).success());
    }
}

/// Issue 13 items 2 and 6: credentials that expire during a long operation are refreshed before
/// they expire, and the operation finishes with the fresh ones. The emulator issues credentials
/// that live two seconds and throttles the create long enough for them to expire twice over; the
/// KMS gateway refuses an expired token, so success proves the refresh.
#[test]
fn credentials_expiring_during_a_long_operation_are_refreshed() {
    let emulator = emulator();
    emulator.set_credential_lifetime(Some(2)).unwrap();
    emulator
        .set_fault(
            "CreateApplicationAccessPoint",
            FaultSpec {
                throttle_ratio: 1.0,
                times: Some(7),
                ..FaultSpec::default()
            },
        )
        .unwrap();
    let directory = tempfile::tempdir().unwrap();
    // Retry waits of 0.2 to 0.8 s: the seven throttled attempts span about four seconds.
    let mut provider = assume_role_session(
        &emulator,
        directory.path(),
        &[("ALICLOUD_KMS_PROVIDER_TEST_RETRY_DELAY_MS", "400")],
        json!({}),
    );
    let started = std::time::Instant::now();
    let result = provider.result(
        "create",
        json!({"urn": urn(AAP_TYPE, "long"), "properties": {"applicationAccessPointName": "long", "policies": ["p"]}, "timeout": 120}),
    );
    assert_eq!(result["id"], "long");
    assert!(
        started.elapsed() > std::time::Duration::from_secs(2),
        "the operation outlived the first credentials"
    );
    let issued = emulator.issued_credentials();
    assert!(
        issued.len() >= 2,
        "the credentials were refreshed during the operation: {issued:?}"
    );
    assert_eq!(emulator.call_count(Action::AssumeRole), issued.len() as u64);
    assert_eq!(emulator.call_count(Action::CreateApplicationAccessPoint), 8);
    assert!(provider.finish(&[BASE_SECRET]).success());
}

/// A session configured only with the emulator's KMS endpoint (no credential anywhere), whose
/// instance metadata requests go to `metadata`.
fn bare_session(emulator: &Emulator, directory: &Path, metadata: &str) -> ProviderSession {
    let mut provider = ProviderSession::start(
        directory,
        &[("ALICLOUD_KMS_PROVIDER_TEST_METADATA_ENDPOINT", metadata)],
    );
    provider.result(
        "configure",
        json!({"args": {"endpoint": emulator.addr().to_string(), "protocol": "HTTP", "region": "cn-hangzhou"}}),
    );
    provider
}

fn create_access_point(provider: &mut ProviderSession, name: &str) -> Value {
    provider.call(
        "create",
        json!({"urn": urn(AAP_TYPE, name), "properties": {"applicationAccessPointName": name, "policies": ["p"]}}),
    )
}

/// Issue 17 item 1: with nothing configured, the instance role is asked of the metadata service
/// once per process, on and off an ECS instance.
#[test]
fn the_instance_role_is_discovered_once_per_process() {
    let emulator = emulator();
    let directory = tempfile::tempdir().unwrap();
    let mut provider = bare_session(&emulator, directory.path(), &emulator.endpoint());
    assert!(create_access_point(&mut provider, "found-1")["result"].is_object());
    // A new configuration builds a new client; the name is still not asked again.
    provider.result(
        "configure",
        json!({"args": {"endpoint": emulator.addr().to_string(), "protocol": "HTTP", "region": "cn-hangzhou"}}),
    );
    assert!(create_access_point(&mut provider, "found-2")["result"].is_object());
    assert_eq!(emulator.metadata_call_count(MetadataEndpoint::RoleName), 1);
    assert_eq!(emulator.access_points().len(), 2);
    assert!(provider.finish(&[]).success());

    // An instance without a role: "no credentials", naming every place looked in and the
    // metadata service, and the second operation does not ask again.
    emulator.set_metadata_config(MetadataConfig {
        role_name: None,
        require_token: true,
    });
    let mut provider = bare_session(&emulator, directory.path(), &emulator.endpoint());
    for name in ["none-1", "none-2"] {
        let reply = create_access_point(&mut provider, name);
        let message = reply["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        for fragment in [
            "no alibaba cloud credentials found",
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            ".aliyun/config.json (not found)",
            "ALIBABA_CLOUD_CREDENTIALS_URI",
            "the ECS instance metadata service at 127.0.0.1:",
            "no RAM role is attached to this instance; it is asked once per process",
        ] {
            assert!(
                message.contains(fragment),
                "{name}: {message:?} lacks {fragment:?}"
            );
        }
    }
    assert_eq!(emulator.metadata_call_count(MetadataEndpoint::RoleName), 2);
    assert!(provider.finish(&[]).success());

    // Off ECS: nothing listens at the metadata address.
    let nowhere = format!("http://{}", crate::kms_support::closed_endpoint());
    let mut provider = bare_session(&emulator, directory.path(), &nowhere);
    let reply = create_access_point(&mut provider, "off-ecs");
    let message = reply["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("no answer within 1 s: this is not an ECS instance"),
        "{message}"
    );
    assert!(provider.finish(&[]).success());
}

/// Issue 17 item 5: credentials revoked before their `Expiration` are replaced once, with one
/// more STS call, and the operation succeeds.
#[test]
fn revoked_temporary_credentials_are_replaced_with_one_more_sts_call() {
    for algorithm in ["v2", "v3"] {
        let emulator = emulator();
        let directory = tempfile::tempdir().unwrap();
        let mut provider = assume_role_session(
            &emulator,
            directory.path(),
            &[],
            json!({"signatureAlgorithm": algorithm}),
        );
        assert!(create_access_point(&mut provider, "before")["result"].is_object());
        assert_eq!(emulator.call_count(Action::AssumeRole), 1);
        assert_eq!(emulator.revoke_issued_credentials(None), 1);
        assert!(
            create_access_point(&mut provider, "after")["result"].is_object(),
            "{algorithm}"
        );
        assert_eq!(emulator.call_count(Action::AssumeRole), 2, "{algorithm}");
        // Revoked again, and STS refuses the base key this time: the refusal is the error, after
        // one replacement only.
        emulator.revoke_issued_credentials(None);
        emulator.remove_role(DEPLOYER);
        let reply = create_access_point(&mut provider, "refused");
        let message = reply["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("EntityNotExist.Role"),
            "{algorithm}: {message}"
        );
        assert_eq!(emulator.call_count(Action::AssumeRole), 3, "{algorithm}");
        assert!(provider.finish(&[BASE_SECRET]).success());
    }
}

/// Issue 17 item 1: an OAuth login refreshes its tokens at the OAuth service, and the rotated
/// refresh token is written back to the CLI file (only that profile's token fields, the file's
/// mode kept), as the CLI itself does.
#[test]
fn a_refreshed_oauth_login_is_written_back_to_the_cli_file() {
    use std::os::unix::fs::PermissionsExt;
    let emulator = emulator();
    let directory = tempfile::tempdir().unwrap();
    let cli_file = directory.path().join(".aliyun/config.json");
    std::fs::create_dir_all(cli_file.parent().unwrap()).unwrap();
    std::fs::write(
        &cli_file,
        substitute(
            &common::credential_fixture("emulator-cli-profiles.json"),
            directory.path(),
            &emulator,
            "",
        ),
    )
    .unwrap();
    std::fs::set_permissions(&cli_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let address = emulator.endpoint();
    let mut provider = ProviderSession::start(
        directory.path(),
        &[
            ("ALICLOUD_KMS_PROVIDER_TEST_METADATA_ENDPOINT", &address),
            ("ALICLOUD_KMS_PROVIDER_TEST_OAUTH_ENDPOINT", &address),
        ],
    );
    provider.result(
        "configure",
        json!({"args": {"endpoint": emulator.addr().to_string(), "protocol": "HTTP", "region": "cn-hangzhou", "profile": "oauth"}}),
    );
    assert!(create_access_point(&mut provider, "oauth")["result"].is_object());
    assert!(provider.finish(&[OAUTH_REFRESH_TOKEN]).success());
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&cli_file).unwrap()).unwrap();
    let profiles = written["profiles"].as_array().unwrap();
    let oauth = profiles
        .iter()
        .find(|profile| profile["name"] == "oauth")
        .unwrap();
    let rotated = oauth["oauth_refresh_token"].as_str().unwrap();
    assert_ne!(rotated, OAUTH_REFRESH_TOKEN);
    assert_eq!(
        emulator.login_config().oauth_refresh_tokens,
        vec![rotated.to_owned()]
    );
    assert!(oauth["oauth_access_token"]
        .as_str()
        .unwrap()
        .starts_with("oauth-access-"));
    assert!(oauth["sts_token"]
        .as_str()
        .is_some_and(|token| !token.is_empty()));
    assert_eq!(profiles.len(), 13, "every other profile is kept");
    assert_eq!(
        std::fs::metadata(&cli_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
}
