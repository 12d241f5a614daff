//! Every way of logging in, through the real provider binary, against the KMS emulator and its
//! STS, instance-metadata and credentials-URI stand-ins (which verify every signature like the
//! KMS gateway): each mode alone, chained (OIDC → assumeRole, ChainableRamRoleArn profiles),
//! signature V3, and the failures users meet (a wrong role, a wrong token, a missing file, STS
//! throttling, no instance role). Each row configures a fresh provider, creates an access point
//! (which needs working credentials), and checks how many times the emulator was asked for
//! credentials; errors must name what to fix and never carry a secret.
//!
//! The long-operation refresh and the one-STS-call-for-many-operations rule are separate tests
//! at the end.

use crate::resources_support as support;

use std::path::Path;

use kms_emulator::{
    Action, Config, Credential, Emulator, FaultSpec, LoginConfig, MetadataConfig, MetadataEndpoint,
    OidcProvider, Role, StsConfig,
};
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

/// What a row expects.
enum Outcome {
    /// The create succeeds, after this many `AssumeRole`, `AssumeRoleWithOIDC` and
    /// metadata-credential calls.
    Works {
        assume_role: u64,
        assume_role_with_oidc: u64,
        metadata_credentials: u64,
        credentials_uri: u64,
    },
    /// The create fails with `-32051` and a message holding every fragment.
    Fails { fragments: &'static [&'static str] },
}

/// One row: the provider config besides endpoint, protocol and region; the environment; files
/// under HOME (`{dir}` in a value is the provider's working directory, `{token}` a valid OIDC
/// token, `{address}` the emulator's `host:port`).
struct Row {
    name: &'static str,
    settings: Value,
    environment: &'static [(&'static str, &'static str)],
    files: &'static [(&'static str, &'static str)],
    /// Changes to the emulator before the row runs.
    prepare: fn(&Emulator),
    outcome: Outcome,
}

fn nothing(_: &Emulator) {}

fn works(assume_role: u64, assume_role_with_oidc: u64) -> Outcome {
    Outcome::Works {
        assume_role,
        assume_role_with_oidc,
        metadata_credentials: 0,
        credentials_uri: 0,
    }
}

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

fn substitute(text: &str, directory: &Path, emulator: &Emulator, token: &str) -> String {
    text.replace("{dir}", &directory.display().to_string())
        .replace("{address}", &emulator.addr().to_string())
        .replace("{token}", token)
}

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

const CLI_PROFILES: &str = r#"{
  "current": "ak",
  "profiles": [
    {"name": "ak", "mode": "AK", "access_key_id": "base-access-key-id", "access_key_secret": "base-access-key-secret-value", "region_id": "cn-hangzhou"},
    {"name": "sts", "mode": "StsToken", "access_key_id": "STS.fixed-temporary-id", "access_key_secret": "fixed-temporary-secret-value", "sts_token": "fixed-temporary-token-value", "region_id": "cn-hangzhou"},
    {"name": "role", "mode": "RamRoleArn", "access_key_id": "base-access-key-id", "access_key_secret": "base-access-key-secret-value", "ram_role_arn": "acs:ram::1234567890123456:role/deployer", "ram_session_name": "cli", "region_id": "cn-hangzhou"},
    {"name": "chain", "mode": "ChainableRamRoleArn", "source_profile": "role", "ram_role_arn": "acs:ram::1234567890123456:role/cross-account", "ram_session_name": "chained", "region_id": "cn-hangzhou"},
    {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "instance-role", "region_id": "cn-hangzhou"},
    {"name": "oidc", "mode": "OIDC", "ram_role_arn": "acs:ram::1234567890123456:role/pod", "oidc_provider_arn": "acs:ram::1234567890123456:oidc-provider/github", "oidc_token_file": "{dir}/oidc-token", "ram_session_name": "pod", "region_id": "cn-hangzhou"},
    {"name": "ecs-any", "mode": "EcsRamRole", "region_id": "cn-hangzhou"},
    {"name": "external", "mode": "External", "process_command": "sh '{dir}/print credentials.sh' --for ci", "region_id": "cn-hangzhou"},
    {"name": "external-sts", "mode": "External", "process_command": "sh {dir}/sts.sh", "region_id": "cn-hangzhou"},
    {"name": "external-fails", "mode": "External", "process_command": "sh {dir}/fails.sh", "region_id": "cn-hangzhou"},
    {"name": "sso", "mode": "CloudSSO", "cloud_sso_sign_in_url": "http://{address}/login", "cloud_sso_account_id": "1234567890123456", "cloud_sso_access_config": "ac-admin", "access_token": "cloud-sso-access-token-value", "cloud_sso_access_token_expire": 4102444800, "region_id": "cn-hangzhou"},
    {"name": "sso-expired", "mode": "CloudSSO", "cloud_sso_sign_in_url": "http://{address}", "cloud_sso_account_id": "1234567890123456", "cloud_sso_access_config": "ac-admin", "access_token": "cloud-sso-access-token-value", "cloud_sso_access_token_expire": 1000, "region_id": "cn-hangzhou"},
    {"name": "oauth", "mode": "OAuth", "oauth_site_type": "CN", "oauth_refresh_token": "oauth-refresh-token-value", "region_id": "cn-hangzhou"}
  ]
}"#;

/// The program of the `external` profile: prints the base key, as `aliyun configure --mode
/// External` expects of it.
const EXTERNAL_PROGRAM: &str = r#"test "$1" = --for || exit 9
printf '{"mode": "AK", "access_key_id": "base-access-key-id", "access_key_secret": "base-access-key-secret-value"}'"#;
/// Prints a fixed STS key with an expiration.
const EXTERNAL_STS_PROGRAM: &str = r#"echo '{"mode": "StsToken", "access_key_id": "STS.fixed-temporary-id", "access_key_secret": "fixed-temporary-secret-value", "sts_token": "fixed-temporary-token-value", "expiration": "2099-01-01T00:00:00Z"}'"#;
/// Fails after printing a secret on stdout (which must never be quoted) and a reason on stderr.
const EXTERNAL_FAILING_PROGRAM: &str = r#"echo '{"access_key_secret": "base-access-key-secret-value"}'
echo 'login required for ci' >&2
exit 3"#;

const INI_FILE: &str = "[default]
type = access_key
access_key_id = base-access-key-id
access_key_secret = base-access-key-secret-value

[ini-role]
type = ram_role_arn
access_key_id = base-access-key-id
access_key_secret = base-access-key-secret-value
role_arn = acs:ram::1234567890123456:role/deployer
role_session_name = ini

[ini-ecs]
type = ecs_ram_role
role_name = instance-role

[ini-oidc]
type = oidc_role_arn
role_arn = acs:ram::1234567890123456:role/pod
oidc_provider_arn = acs:ram::1234567890123456:oidc-provider/github
oidc_token_file_path = {dir}/oidc-token
";

fn base_key() -> Value {
    json!({"accessKey": BASE_ID, "secretKey": secret(BASE_SECRET)})
}

fn merged(base: Value, extra: Value) -> Value {
    let mut base = base;
    for (key, value) in extra.as_object().unwrap() {
        base[key] = value.clone();
    }
    base
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "nothing configured on an ECS instance: the role the metadata service names",
            settings: json!({}),
            environment: &[],
            files: &[],
            prepare: nothing,
            outcome: Outcome::Works {
                assume_role: 0,
                assume_role_with_oidc: 0,
                metadata_credentials: 1,
                credentials_uri: 0,
            },
        },
        Row {
            name: "ALICLOUD_ECS_ROLE_NAME (Terraform's and pulumi-alicloud's name)",
            settings: json!({}),
            environment: &[("ALICLOUD_ECS_ROLE_NAME", INSTANCE_ROLE)],
            files: &[],
            prepare: nothing,
            outcome: Outcome::Works {
                assume_role: 0,
                assume_role_with_oidc: 0,
                metadata_credentials: 1,
                credentials_uri: 0,
            },
        },
        Row {
            name: "CLI profile, mode EcsRamRole without a role name",
            settings: json!({"profile": "ecs-any"}),
            environment: &[],
            files: &[(".aliyun/config.json", CLI_PROFILES)],
            prepare: nothing,
            outcome: Outcome::Works {
                assume_role: 0,
                assume_role_with_oidc: 0,
                metadata_credentials: 1,
                credentials_uri: 0,
            },
        },
        Row {
            name: "CLI profile, mode External (a program prints the key)",
            settings: json!({"profile": "external"}),
            environment: &[],
            files: &[
                (".aliyun/config.json", CLI_PROFILES),
                ("print credentials.sh", EXTERNAL_PROGRAM),
            ],
            prepare: nothing,
            outcome: works(0, 0),
        },
        Row {
            name: "CLI profile, mode External printing an STS key, then assumeRole",
            settings: json!({"profile": "external-sts", "assumeRole": {"roleArn": DEPLOYER}}),
            environment: &[],
            files: &[
                (".aliyun/config.json", CLI_PROFILES),
                ("sts.sh", EXTERNAL_STS_PROGRAM),
            ],
            prepare: nothing,
            outcome: works(1, 0),
        },
        Row {
            name: "CLI profile, mode External whose program fails",
            settings: json!({"profile": "external-fails"}),
            environment: &[],
            files: &[
                (".aliyun/config.json", CLI_PROFILES),
                ("fails.sh", EXTERNAL_FAILING_PROGRAM),
            ],
            prepare: nothing,
            outcome: Outcome::Fails {
                fragments: &[
                    "the external program of profile \"external-fails\"",
                    "exited with status 3; its stderr: login required for ci",
                ],
            },
        },
        Row {
            name: "CLI profile, mode CloudSSO (the portal stand-in)",
            settings: json!({}),
            environment: &[("ALIBABA_CLOUD_PROFILE", "sso")],
            files: &[(".aliyun/config.json", CLI_PROFILES)],
            prepare: nothing,
            outcome: works(0, 0),
        },
        Row {
            name: "CLI profile, mode CloudSSO whose login expired",
            settings: json!({"profile": "sso-expired"}),
            environment: &[],
            files: &[(".aliyun/config.json", CLI_PROFILES)],
            prepare: nothing,
            outcome: Outcome::Fails {
                fragments: &[
                    "the CloudSSO login of profile \"sso-expired\" has expired",
                    "aliyun configure --profile sso-expired --mode CloudSSO",
                ],
            },
        },
        Row {
            name: "CLI profile, mode OAuth (refresh, then exchange, at the OAuth stand-in)",
            settings: json!({"profile": "oauth"}),
            environment: &[("ALICLOUD_KMS_PROVIDER_TEST_OAUTH_ENDPOINT", "http://{address}")],
            files: &[(".aliyun/config.json", CLI_PROFILES)],
            prepare: nothing,
            outcome: works(0, 0),
        },
        Row {
            name: "OIDC from the environment with the token itself (ALIBABA_CLOUD_OIDC_TOKEN)",
            settings: json!({}),
            environment: &[
                ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", PROVIDER_ARN),
                ("ALIBABA_CLOUD_OIDC_TOKEN", "{token}"),
                ("ALIBABA_CLOUD_ROLE_ARN", POD_ROLE),
            ],
            files: &[],
            prepare: nothing,
            outcome: works(0, 1),
        },
        Row {
            name: "ALIBABA_CLOUD_CREDENTIALS_FILE naming the CLI's JSON file (Terraform's meaning)",
            settings: json!({}),
            environment: &[
                ("ALIBABA_CLOUD_CREDENTIALS_FILE", "{dir}/terraform.json"),
                ("ALIBABA_CLOUD_PROFILE", "role"),
            ],
            files: &[("terraform.json", CLI_PROFILES)],
            prepare: nothing,
            outcome: works(1, 0),
        },
        Row {
            name: "a static key in the config (no STS)",
            settings: base_key(),
            environment: &[],
            files: &[],
            prepare: nothing,
            outcome: works(0, 0),
        },
        Row {
            name: "assumeRole on a static key",
            settings: merged(
                base_key(),
                json!({"assumeRole": {"roleArn": DEPLOYER, "sessionName": "deploy"}}),
            ),
            environment: &[],
            files: &[],
            prepare: nothing,
            outcome: works(1, 0),
        },
        Row {
            name: "assumeRole as JSON text in a stack variable (how the SDKs send objects)",
            settings: merged(
                base_key(),
                json!({"assumeRole": format!("{{\"roleArn\":\"{DEPLOYER}\",\"sessionExpiration\":1800}}")}),
            ),
            environment: &[],
            files: &[],
            prepare: nothing,
            outcome: works(1, 0),
        },
        Row {
            name: "assumeRoleWithOidc in the config",
            settings: json!({"assumeRoleWithOidc": {"roleArn": POD_ROLE, "oidcProviderArn": PROVIDER_ARN, "oidcTokenFile": "{dir}/oidc-token"}}),
            environment: &[],
            files: &[("oidc-token", "{token}")],
            prepare: nothing,
            outcome: works(0, 1),
        },
        Row {
            name: "OIDC from the environment (ACK RRSA)",
            settings: json!({}),
            environment: &[
                ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", PROVIDER_ARN),
                ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "{dir}/oidc-token"),
                ("ALIBABA_CLOUD_ROLE_ARN", POD_ROLE),
            ],
            files: &[("oidc-token", "{token}")],
            prepare: nothing,
            outcome: works(0, 1),
        },
        Row {
            name: "OIDC from the environment, then assumeRole (chained)",
            settings: json!({"assumeRole": {"roleArn": CROSS}}),
            environment: &[
                ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", PROVIDER_ARN),
                ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "{dir}/oidc-token"),
                ("ALIBABA_CLOUD_ROLE_ARN", POD_ROLE),
            ],
            files: &[("oidc-token", "{token}")],
            prepare: nothing,
            outcome: works(1, 1),
        },
        Row {
            name: "ecsRoleName: the instance metadata service, IMDSv2 token required",
            settings: json!({"ecsRoleName": INSTANCE_ROLE}),
            environment: &[],
            files: &[],
            prepare: nothing,
            outcome: Outcome::Works {
                assume_role: 0,
                assume_role_with_oidc: 0,
                metadata_credentials: 1,
                credentials_uri: 0,
            },
        },
        Row {
            name: "ALIBABA_CLOUD_ECS_METADATA, then assumeRole on the instance role",
            settings: json!({"assumeRole": {"roleArn": DEPLOYER}}),
            environment: &[("ALIBABA_CLOUD_ECS_METADATA", INSTANCE_ROLE)],
            files: &[],
            prepare: nothing,
            outcome: Outcome::Works {
                assume_role: 1,
                assume_role_with_oidc: 0,
                metadata_credentials: 1,
                credentials_uri: 0,
            },
        },
        Row {
            name: "credentialsUri in the config",
            settings: json!({"credentialsUri": secret("http://{address}/credentials-uri")}),
            environment: &[],
            files: &[],
            prepare: nothing,
            outcome: Outcome::Works {
                assume_role: 0,
                assume_role_with_oidc: 0,
                metadata_credentials: 0,
                credentials_uri: 1,
            },
        },
        Row {
            name: "ALIBABA_CLOUD_CREDENTIALS_URI",
            settings: json!({}),
            environment: &[(
                "ALIBABA_CLOUD_CREDENTIALS_URI",
                "http://{address}/credentials-uri",
            )],
            files: &[],
            prepare: nothing,
            outcome: Outcome::Works {
                assume_role: 0,
                assume_role_with_oidc: 0,
                metadata_credentials: 0,
                credentials_uri: 1,
            },
        },
        Row {
            name: "CLI profile, mode AK (the file's current profile)",
            settings: json!({}),
            environment: &[],
            files: &[(".aliyun/config.json", CLI_PROFILES)],
            prepare: nothing,
            outcome: works(0, 0),
        },
        Row {
            name: "CLI profile, mode StsToken",
            settings: json!({"profile": "sts"}),
            environment: &[],
            files: &[(".aliyun/config.json", CLI_PROFILES)],
            prepare: nothing,
            outcome: works(0, 0),
        },
        Row {
            name: "an STS token in the config",
            settings: json!({"accessKey": FIXED_STS_ID, "secretKey": secret(FIXED_STS_SECRET), "securityToken": secret(FIXED_STS_TOKEN)}),
            environment: &[],
            files: &[],
            prepare: nothing,
            outcome: works(0, 0),
        },
        Row {
            name: "a key and both endpoints from the environment (KMS_ENDPOINT, ALIBABA_CLOUD_STS_ENDPOINT), then assumeRole",
            settings: json!({"endpoint": null, "stsEndpoint": null, "assumeRole": {"roleArn": DEPLOYER}}),
            environment: &[
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", BASE_ID),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", BASE_SECRET),
                ("KMS_ENDPOINT", "http://{address}"),
                ("ALIBABA_CLOUD_STS_ENDPOINT", "http://{address}"),
            ],
            files: &[],
            prepare: nothing,
            outcome: works(1, 0),
        },
        Row {
            name: "CLI profile, mode RamRoleArn",
            settings: json!({"profile": "role"}),
            environment: &[],
            files: &[(".aliyun/config.json", CLI_PROFILES)],
            prepare: nothing,
            outcome: works(1, 0),
        },
        Row {
            name: "CLI profile, mode ChainableRamRoleArn on a RamRoleArn profile",
            settings: json!({}),
            environment: &[("ALIBABA_CLOUD_PROFILE", "chain")],
            files: &[(".aliyun/config.json", CLI_PROFILES)],
            prepare: nothing,
            outcome: works(2, 0),
        },
        Row {
            name: "CLI profile, mode EcsRamRole",
            settings: json!({"profile": "ecs"}),
            environment: &[],
            files: &[(".aliyun/config.json", CLI_PROFILES)],
            prepare: nothing,
            outcome: Outcome::Works {
                assume_role: 0,
                assume_role_with_oidc: 0,
                metadata_credentials: 1,
                credentials_uri: 0,
            },
        },
        Row {
            name: "CLI profile, mode OIDC",
            settings: json!({"profile": "oidc"}),
            environment: &[],
            files: &[
                (".aliyun/config.json", CLI_PROFILES),
                ("oidc-token", "{token}"),
            ],
            prepare: nothing,
            outcome: works(0, 1),
        },
        Row {
            name: "credentials file, type access_key",
            settings: json!({}),
            environment: &[],
            files: &[(".alibabacloud/credentials", INI_FILE)],
            prepare: nothing,
            outcome: works(0, 0),
        },
        Row {
            name: "credentials file at ALIBABA_CLOUD_CREDENTIALS_FILE, type ram_role_arn",
            settings: json!({}),
            environment: &[
                ("ALIBABA_CLOUD_CREDENTIALS_FILE", "{dir}/team.ini"),
                ("ALIBABA_CLOUD_PROFILE", "ini-role"),
            ],
            files: &[("team.ini", INI_FILE)],
            prepare: nothing,
            outcome: works(1, 0),
        },
        Row {
            name: "credentials file, type ecs_ram_role, through sharedCredentialsFile",
            settings: json!({"sharedCredentialsFile": "~/team.ini", "profile": "ini-ecs"}),
            environment: &[],
            files: &[("team.ini", INI_FILE)],
            prepare: nothing,
            outcome: Outcome::Works {
                assume_role: 0,
                assume_role_with_oidc: 0,
                metadata_credentials: 1,
                credentials_uri: 0,
            },
        },
        Row {
            name: "credentials file, type oidc_role_arn",
            settings: json!({"profile": "ini-oidc"}),
            environment: &[],
            files: &[
                (".alibabacloud/credentials", INI_FILE),
                ("oidc-token", "{token}"),
            ],
            prepare: nothing,
            outcome: works(0, 1),
        },
        Row {
            name: "signature V3 with a static key",
            settings: merged(base_key(), json!({"signatureAlgorithm": "v3"})),
            environment: &[],
            files: &[],
            prepare: nothing,
            outcome: works(0, 0),
        },
        Row {
            name: "signature V3 with an assumed role (the token in x-acs-security-token)",
            settings: merged(
                base_key(),
                json!({"signatureAlgorithm": "V3", "assumeRole": {"roleArn": DEPLOYER}}),
            ),
            environment: &[],
            files: &[],
            prepare: nothing,
            outcome: works(1, 0),
        },
        Row {
            name: "STS throttling is retried",
            settings: merged(base_key(), json!({"assumeRole": {"roleArn": DEPLOYER}})),
            environment: &[],
            files: &[],
            prepare: |emulator| {
                emulator
                    .set_fault(
                        "AssumeRole",
                        FaultSpec {
                            throttle_ratio: 1.0,
                            times: Some(2),
                            ..FaultSpec::default()
                        },
                    )
                    .unwrap()
            },
            outcome: works(3, 0),
        },
        Row {
            name: "a role that does not exist",
            settings: merged(
                base_key(),
                json!({"assumeRole": {"roleArn": "acs:ram::1234567890123456:role/missing"}}),
            ),
            environment: &[],
            files: &[],
            prepare: nothing,
            outcome: Outcome::Fails {
                fragments: &[
                    "sts refused AssumeRole for role acs:ram::1234567890123456:role/missing",
                    "EntityNotExist.Role",
                    "request id ",
                    "check the role ARN of the provider config",
                ],
            },
        },
        Row {
            name: "a role that does not trust the caller",
            settings: merged(base_key(), json!({"assumeRole": {"roleArn": DEPLOYER}})),
            environment: &[],
            files: &[],
            prepare: |emulator| {
                emulator
                    .put_role(Role::new(DEPLOYER).trusting(["someone-else"]))
                    .unwrap()
            },
            outcome: Outcome::Fails {
                fragments: &[
                    "sts refused AssumeRole for role acs:ram::1234567890123456:role/deployer",
                    "trust policy",
                ],
            },
        },
        Row {
            name: "a wrong OIDC token",
            settings: json!({"assumeRoleWithOidc": {"roleArn": POD_ROLE, "oidcProviderArn": PROVIDER_ARN, "oidcTokenFile": "{dir}/oidc-token"}}),
            environment: &[],
            files: &[("oidc-token", "not.a-valid.token-content-xyz")],
            prepare: nothing,
            outcome: Outcome::Fails {
                fragments: &[
                    "sts refused AssumeRoleWithOIDC for role acs:ram::1234567890123456:role/pod",
                    "AuthenticationFail.OIDCToken",
                    "/oidc-token",
                ],
            },
        },
        Row {
            name: "a missing OIDC token file",
            settings: json!({"assumeRoleWithOidc": {"roleArn": POD_ROLE, "oidcProviderArn": PROVIDER_ARN, "oidcTokenFile": "{dir}/no-such-token"}}),
            environment: &[],
            files: &[],
            prepare: nothing,
            outcome: Outcome::Fails {
                fragments: &[
                    "the OIDC token file ",
                    "no-such-token does not exist",
                    "oidcTokenFile",
                ],
            },
        },
        Row {
            name: "a missing credentials file named by sharedCredentialsFile",
            settings: json!({"sharedCredentialsFile": "{dir}/missing.ini"}),
            environment: &[],
            files: &[],
            prepare: nothing,
            outcome: Outcome::Fails {
                fragments: &["missing.ini does not exist"],
            },
        },
        Row {
            name: "an instance without that role",
            settings: json!({"ecsRoleName": "not-attached"}),
            environment: &[],
            files: &[],
            prepare: nothing,
            outcome: Outcome::Fails {
                fragments: &[
                    "the ECS instance role \"not-attached\"",
                    "check the role's name (ecsRoleName",
                ],
            },
        },
    ]
}

/// Secrets no output of any row may carry.
const SECRETS: &[&str] = &[
    BASE_SECRET,
    FIXED_STS_SECRET,
    FIXED_STS_TOKEN,
    SSO_TOKEN,
    OAUTH_REFRESH_TOKEN,
    "not.a-valid.token-content-xyz",
];

fn run_row(row: &Row, index: usize) {
    let emulator = emulator();
    (row.prepare)(&emulator);
    let directory = tempfile::tempdir().unwrap();
    let token = Emulator::mint_oidc_token(ISSUER, "repo:example/infra", 3600);
    for (relative, contents) in row.files {
        let path = directory.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            path,
            substitute(contents, directory.path(), &emulator, &token),
        )
        .unwrap();
    }
    let environment: Vec<(String, String)> = row
        .environment
        .iter()
        .map(|(name, value)| {
            (
                name.to_string(),
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
    let mut args = substitute_json(&row.settings, directory.path(), &emulator, &token);
    // A row that sets an endpoint to null takes it from its environment instead.
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
    assert_eq!(checked["failures"], json!([]), "{}: {checked}", row.name);
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
    let text = reply.to_string();
    for leaked in SECRETS.iter().chain([&token.as_str()]) {
        assert!(
            !text.contains(leaked),
            "{}: the reply carries a secret: {text}",
            row.name
        );
    }
    match &row.outcome {
        Outcome::Works {
            assume_role,
            assume_role_with_oidc,
            metadata_credentials,
            credentials_uri,
        } => {
            assert_eq!(reply["result"]["id"], json!(name), "{}: {reply}", row.name);
            // A second operation reuses the cached credentials.
            let read = provider.result(
                "read",
                json!({"urn": urn(AAP_TYPE, &name), "id": name, "properties": {}}),
            );
            assert_eq!(read["id"], json!(name), "{}: {read}", row.name);
            let counts = (
                emulator.call_count(Action::AssumeRole),
                emulator.call_count(Action::AssumeRoleWithOIDC),
                emulator.metadata_call_count(MetadataEndpoint::RoleCredentials),
                emulator.metadata_call_count(MetadataEndpoint::CredentialsUri),
            );
            assert_eq!(
                counts,
                (
                    *assume_role,
                    *assume_role_with_oidc,
                    *metadata_credentials,
                    *credentials_uri
                ),
                "{}: (AssumeRole, AssumeRoleWithOIDC, metadata credentials, credentials URI)",
                row.name
            );
            if *metadata_credentials > 0 {
                assert!(
                    emulator.metadata_call_count(MetadataEndpoint::Token) >= 1,
                    "{}: no IMDSv2 token was asked for",
                    row.name
                );
            }
        }
        Outcome::Fails { fragments } => {
            let error = &reply["error"];
            assert_eq!(error["code"], -32051, "{}: {reply}", row.name);
            let message = error["message"].as_str().unwrap();
            for fragment in *fragments {
                assert!(
                    message.contains(fragment),
                    "{}: {message:?} lacks {fragment:?}",
                    row.name
                );
            }
            assert!(!message.ends_with('.'), "{}: {message}", row.name);
            assert!(
                emulator.access_points().is_empty(),
                "{}: something was created",
                row.name
            );
        }
    }
    let status = provider.finish(&[BASE_SECRET, FIXED_STS_SECRET, FIXED_STS_TOKEN, &token]);
    assert!(status.success(), "{}: {status:?}", row.name);
}

#[test]
fn every_credential_mode_through_the_binary() {
    let rows = rows();
    assert!(rows.len() >= 25);
    for (index, row) in rows.iter().enumerate() {
        run_row(row, index);
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
        substitute(CLI_PROFILES, directory.path(), &emulator, ""),
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
