//! Credential, region and endpoint resolution, table-tested with a temporary HOME (holding the
//! CLI profile file, the credentials INI file and any other file a case needs) and an injected
//! environment (the process environment is never read or changed here).
//!
//! Each resolved case states the whole credential plan as one line:
//! `static(id,secret,token)@source`, `assume(role,session,seconds[,policy][,external])@source <- base`,
//! `oidc(role,provider,token file or inline,session,seconds)@source`, `ecs(role or ?,v1=bool)@source`,
//! `uri(url)@source`, `external(word|word)@source`, `cloudsso(portal,account,access config)@source`,
//! `oauth(site)@source`; a role with its own STS host adds `,sts=<host>`; a source is `config`,
//! `env:<VARIABLE>`, `profile:<name>` (CLI file), `ini:<name>` (credentials file) or `chain` (the
//! instance role the metadata service names, at the end of the chain).

use std::collections::BTreeMap;

use alicloud_kms_provider::kms::credentials::OidcToken;
use alicloud_kms_provider::kms::{
    resolve, AssumeRoleSettings, ClientSettings, CredentialPlan, CredentialSettings,
    CredentialsError, CredentialsSource, OidcRoleSettings, ResolvedConfig, Scheme, SecretString,
    SignatureAlgorithm,
};

/// One row: inputs, and what must come out.
struct Case {
    name: &'static str,
    settings: ClientSettings,
    environment: &'static [(&'static str, &'static str)],
    /// Files to create under the temporary HOME: (path relative to HOME, contents).
    files: &'static [(&'static str, &'static str)],
    expected: Expected,
}

enum Expected {
    Resolved {
        plan: &'static str,
        region: Option<&'static str>,
        base_url: &'static str,
    },
    /// Also checks the STS URL and the signature algorithm.
    ResolvedWith {
        plan: &'static str,
        base_url: &'static str,
        sts_url: &'static str,
        algorithm: SignatureAlgorithm,
    },
    Error {
        /// Every fragment must appear in the message.
        fragments: &'static [&'static str],
    },
}

/// The CLI profile file, relative to HOME.
const CLI: &str = ".aliyun/config.json";
/// The credentials INI file, relative to HOME.
const INI: &str = ".alibabacloud/credentials";

fn settings(
    access_key: Option<&str>,
    secret_key: Option<&str>,
    region: Option<&str>,
) -> ClientSettings {
    ClientSettings {
        region: region.map(str::to_owned),
        access_key: access_key.map(str::to_owned),
        secret_key: secret_key.map(SecretString::new),
        ..ClientSettings::default()
    }
}

/// Settings with only a region and the given credential settings.
fn with(region: &str, credential_settings: CredentialSettings) -> ClientSettings {
    ClientSettings {
        region: Some(region.to_owned()),
        credential_settings,
        ..ClientSettings::default()
    }
}

fn assume(role_arn: &str) -> AssumeRoleSettings {
    AssumeRoleSettings {
        role_arn: Some(role_arn.to_owned()),
        ..AssumeRoleSettings::default()
    }
}

const PROFILES: &str = r#"{
  "current": "work",
  "profiles": [
    {"name": "default", "mode": "AK", "access_key_id": "default-id", "access_key_secret": "default-secret", "region_id": "cn-beijing"},
    {"name": "work", "mode": "AK", "access_key_id": "work-id", "access_key_secret": "work-secret", "region_id": "cn-shanghai"},
    {"name": "temp", "mode": "StsToken", "access_key_id": "STS.temp-id", "access_key_secret": "temp-secret", "sts_token": "temp-token", "region_id": "ap-southeast-1"},
    {"name": "role", "mode": "RamRoleArn", "access_key_id": "role-id", "access_key_secret": "role-secret", "ram_role_arn": "acs:ram::1:role/x", "ram_session_name": "cli-session", "expired_seconds": 1800, "region_id": "cn-hangzhou"},
    {"name": "chain", "mode": "ChainableRamRoleArn", "source_profile": "role", "ram_role_arn": "acs:ram::2:role/y", "ram_session_name": "chained", "policy": "{\"Version\":\"1\"}", "external_id": "ext-secret", "region_id": "cn-hangzhou"},
    {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "instance-role", "region_id": "cn-hangzhou"},
    {"name": "oidc", "mode": "OIDC", "ram_role_arn": "acs:ram::3:role/pod", "oidc_provider_arn": "acs:ram::3:oidc-provider/ack", "oidc_token_file": "/var/run/oidc/token", "ram_session_name": "pod-session", "region_id": "cn-hangzhou"},
    {"name": "uri", "mode": "CredentialsURI", "credentials_uri": "http://127.0.0.1:9/creds?token=uri-secret", "region_id": "cn-hangzhou"},
    {"name": "loop-a", "mode": "ChainableRamRoleArn", "source_profile": "loop-b", "ram_role_arn": "acs:ram::1:role/a"},
    {"name": "loop-b", "mode": "ChainableRamRoleArn", "source_profile": "loop-a", "ram_role_arn": "acs:ram::1:role/b"},
    {"name": "sso-half", "mode": "CloudSSO", "cloud_sso_sign_in_url": "https://signin"},
    {"name": "sso", "mode": "CloudSSO", "cloud_sso_sign_in_url": "https://signin.example/login", "cloud_sso_account_id": "acct-1", "cloud_sso_access_config": "ac-1", "access_token": "sso-token-secret", "cloud_sso_access_token_expire": 4102444800},
    {"name": "oauth", "mode": "OAuth", "oauth_site_type": "INTL", "oauth_access_token": "oauth-token-secret", "oauth_refresh_token": "oauth-refresh-secret", "oauth_access_token_expire": 4102444800},
    {"name": "oauth-bad-site", "mode": "OAuth", "oauth_site_type": "MARS"},
    {"name": "external", "mode": "External", "process_command": "get-creds --profile 'ci runner'"},
    {"name": "rsa", "mode": "RsaKeyPair", "private_key": "x", "key_pair_name": "y"},
    {"name": "ecs-discover", "mode": "EcsRamRole", "region_id": "cn-hangzhou"},
    {"name": "vpc-role", "mode": "RamRoleArn", "access_key_id": "role-id", "access_key_secret": "role-secret", "ram_role_arn": "acs:ram::1:role/x", "sts_region": "cn-shanghai", "enable_vpc": true, "region_id": "cn-hangzhou"},
    {"name": "region-role", "mode": "RamRoleArn", "access_key_id": "role-id", "access_key_secret": "role-secret", "ram_role_arn": "acs:ram::1:role/x", "enable_vpc": false, "region_id": "cn-beijing"},
    {"name": "half", "mode": "AK", "access_key_id": "half-id"}
  ]
}"#;

const INI_FILE: &str = "# the SDKs' credentials file\n\
[default]\n\
type = access_key\n\
access_key_id = ini-id\n\
access_key_secret = ini-secret\n\
\n\
[ini-role]\n\
type = ram_role_arn\n\
access_key_id = ini-role-id\n\
access_key_secret = ini-role-secret\n\
role_arn = acs:ram::4:role/ini\n\
role_session_name = ini-session\n\
\n\
[ini-ecs]\n\
type = ecs_ram_role\n\
role_name = ini-instance-role\n\
\n\
[ini-oidc]\n\
type = oidc_role_arn\n\
role_arn = acs:ram::5:role/ini-pod\n\
oidc_provider_arn = acs:ram::5:oidc-provider/ini\n\
oidc_token_file_path = /tokens/ini\n\
\n\
[ini-rsa]\n\
type = rsa_key_pair\n\
public_key_id = x\n\
\n\
[ini-ecs-discover]\n\
type = ecs_ram_role\n";

fn source_text(source: &CredentialsSource) -> String {
    match source {
        CredentialsSource::ProviderConfig => "config".to_owned(),
        CredentialsSource::Environment { variable } => format!("env:{variable}"),
        CredentialsSource::ProfileFile { profile, .. } => format!("profile:{profile}"),
        CredentialsSource::CredentialsFile { profile, .. } => format!("ini:{profile}"),
        CredentialsSource::DefaultChain { .. } => "chain".to_owned(),
    }
}

/// The plan as one line (see the module docs).
fn describe(plan: &CredentialPlan) -> String {
    match plan {
        CredentialPlan::Static {
            credentials,
            source,
        } => format!(
            "static({},{},{})@{}",
            credentials.access_key_id,
            credentials.access_key_secret.expose_secret(),
            credentials
                .security_token
                .as_ref()
                .map_or("-", SecretString::expose_secret),
            source_text(source)
        ),
        CredentialPlan::EcsRamRole {
            role_name,
            allow_imds_v1,
            source,
        } => format!(
            "ecs({},v1={allow_imds_v1})@{}",
            role_name.as_deref().unwrap_or("?"),
            source_text(source)
        ),
        CredentialPlan::CredentialsUri { uri, source } => {
            format!("uri({})@{}", uri.expose_secret(), source_text(source))
        }
        CredentialPlan::Oidc { role, source } => format!(
            "oidc({},{},{},{},{}{}{})@{}",
            role.role_arn,
            role.oidc_provider_arn,
            match &role.token {
                OidcToken::File(path) => path.display().to_string(),
                OidcToken::Inline(token) => format!("inline:{}", token.expose_secret()),
            },
            role.session_name,
            role.duration_seconds,
            if role.policy.is_some() { ",policy" } else { "" },
            sts_text(&role.sts_endpoint),
            source_text(source)
        ),
        CredentialPlan::AssumeRole { base, role, source } => format!(
            "assume({},{},{}{}{}{})@{} <- {}",
            role.role_arn,
            role.session_name,
            role.duration_seconds,
            if role.policy.is_some() { ",policy" } else { "" },
            if role.external_id.is_some() {
                ",external"
            } else {
                ""
            },
            sts_text(&role.sts_endpoint),
            source_text(source),
            describe(base)
        ),
        CredentialPlan::External { command, source } => {
            format!("external({})@{}", command.join("|"), source_text(source))
        }
        CredentialPlan::CloudSso { login, source } => format!(
            "cloudsso({},{},{})@{}",
            login.sign_in_url,
            login.account_id,
            login.access_configuration_id,
            source_text(source)
        ),
        CredentialPlan::OAuth { login, source } => {
            format!("oauth({})@{}", login.sign_in_url, source_text(source))
        }
    }
}

fn sts_text(host: &Option<String>) -> String {
    host.as_ref()
        .map(|host| format!(",sts={host}"))
        .unwrap_or_default()
}

fn run(case: &Case) -> Result<ResolvedConfig, CredentialsError> {
    let home = tempfile::tempdir().expect("temporary HOME");
    for (relative, contents) in case.files {
        let path = home.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write a file");
    }
    let environment: BTreeMap<String, String> = case
        .environment
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    resolve(&case.settings, &environment, Some(home.path()))
}

fn cases() -> Vec<Case> {
    use Expected::*;
    vec![
        Case {
            name: "provider config only",
            settings: settings(Some("cfg-id"), Some("cfg-secret"), Some("cn-hangzhou")),
            environment: &[],
            files: &[],
            expected: Resolved {
                plan: "static(cfg-id,cfg-secret,-)@config",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "provider config wins over environment and profile",
            settings: ClientSettings {
                security_token: Some(SecretString::new("cfg-token")),
                ..settings(Some("cfg-id"), Some("cfg-secret"), Some("cn-hangzhou"))
            },
            environment: &[
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id"),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret"),
                ("ALIBABA_CLOUD_REGION", "eu-central-1"),
            ],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "static(cfg-id,cfg-secret,cfg-token)@config",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "a token in the environment is not mixed into config credentials",
            settings: settings(Some("cfg-id"), Some("cfg-secret"), Some("cn-hangzhou")),
            environment: &[("ALIBABA_CLOUD_SECURITY_TOKEN", "env-token")],
            files: &[],
            expected: Resolved {
                plan: "static(cfg-id,cfg-secret,-)@config",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "environment, current names, with STS token",
            settings: ClientSettings::default(),
            environment: &[
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.env-id"),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret"),
                ("ALIBABA_CLOUD_SECURITY_TOKEN", "env-token"),
                ("ALIBABA_CLOUD_REGION", "cn-shenzhen"),
            ],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "static(STS.env-id,env-secret,env-token)@env:ALIBABA_CLOUD_ACCESS_KEY_ID",
                region: Some("cn-shenzhen"),
                base_url: "https://kms.cn-shenzhen.aliyuncs.com/",
            },
        },
        Case {
            name: "environment, older ALICLOUD_ names",
            settings: ClientSettings::default(),
            environment: &[
                ("ALICLOUD_ACCESS_KEY", "old-id"),
                ("ALICLOUD_SECRET_KEY", "old-secret"),
                ("ALICLOUD_SECURITY_TOKEN", "old-token"),
                ("ALICLOUD_REGION", "cn-qingdao"),
            ],
            files: &[],
            expected: Resolved {
                plan: "static(old-id,old-secret,old-token)@env:ALICLOUD_ACCESS_KEY",
                region: Some("cn-qingdao"),
                base_url: "https://kms.cn-qingdao.aliyuncs.com/",
            },
        },
        Case {
            name: "the official names win over Terraform's, whole keys only; empty values count as unset",
            settings: settings(Some(""), None, Some("")),
            environment: &[
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", "new-id"),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret"),
                ("ALICLOUD_ACCESS_KEY", "old-id"),
                ("ALICLOUD_SECRET_KEY", "old-secret"),
                ("ALICLOUD_SECURITY_TOKEN", "old-token"),
                ("ALIBABA_CLOUD_REGION", ""),
                ("ALICLOUD_REGION", "cn-hangzhou"),
            ],
            files: &[],
            expected: Resolved {
                plan: "static(new-id,env-secret,-)@env:ALIBABA_CLOUD_ACCESS_KEY_ID",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "a key is never made of two families' halves",
            settings: settings(None, None, Some("cn-hangzhou")),
            environment: &[
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", "new-id"),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ""),
                ("ALICLOUD_SECRET_KEY", "old-secret"),
            ],
            files: &[],
            expected: Error {
                fragments: &["ALIBABA_CLOUD_ACCESS_KEY_ID is set but not ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
            },
        },
        Case {
            name: "the ALIBABACLOUD_ names (Terraform, the CLI) and ALIBABA_CLOUD_REGION_ID (the CLI)",
            settings: ClientSettings::default(),
            environment: &[
                ("ALIBABACLOUD_ACCESS_KEY_ID", "STS.cli-id"),
                ("ALIBABACLOUD_ACCESS_KEY_SECRET", "env-secret"),
                ("ALIBABACLOUD_SECURITY_TOKEN", "env-token"),
                ("ALIBABA_CLOUD_REGION_ID", "eu-central-1"),
            ],
            files: &[],
            expected: Resolved {
                plan: "static(STS.cli-id,env-secret,env-token)@env:ALIBABACLOUD_ACCESS_KEY_ID",
                region: Some("eu-central-1"),
                base_url: "https://kms.eu-central-1.aliyuncs.com/",
            },
        },
        Case {
            name: "a secret with a line break is refused as not valid, never quoted",
            settings: settings(None, None, Some("cn-hangzhou")),
            environment: &[
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id"),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-sec\r\nret"),
            ],
            files: &[],
            expected: Error {
                fragments: &["access key secret", "contains a line break", "not a valid access key secret"],
            },
        },
        Case {
            name: "surrounding white space of an environment key is trimmed, as Terraform does",
            settings: settings(None, None, Some("cn-hangzhou")),
            environment: &[
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", " env-id\n"),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret\n"),
            ],
            files: &[],
            expected: Resolved {
                plan: "static(env-id,env-secret,-)@env:ALIBABA_CLOUD_ACCESS_KEY_ID",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "profile file, current profile, its region",
            settings: ClientSettings::default(),
            environment: &[],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "static(work-id,work-secret,-)@profile:work",
                region: Some("cn-shanghai"),
                base_url: "https://kms.cn-shanghai.aliyuncs.com/",
            },
        },
        Case {
            name: "ALIBABA_CLOUD_PROFILE selects an StsToken profile; the environment region wins",
            settings: ClientSettings::default(),
            environment: &[
                ("ALIBABA_CLOUD_PROFILE", "temp"),
                ("ALIBABA_CLOUD_REGION", "cn-hangzhou"),
            ],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "static(STS.temp-id,temp-secret,temp-token)@profile:temp",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "older ALICLOUD_PROFILE selects a profile",
            settings: ClientSettings::default(),
            environment: &[("ALICLOUD_PROFILE", "default")],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "static(default-id,default-secret,-)@profile:default",
                region: Some("cn-beijing"),
                base_url: "https://kms.cn-beijing.aliyuncs.com/",
            },
        },
        Case {
            name: "without current, the profile named default",
            settings: ClientSettings::default(),
            environment: &[],
            files: &[(
                CLI,
                r#"{"profiles":[{"name":"default","mode":"AK","access_key_id":"d-id","access_key_secret":"d-secret","region_id":"cn-beijing"}]}"#,
            )],
            expected: Resolved {
                plan: "static(d-id,d-secret,-)@profile:default",
                region: Some("cn-beijing"),
                base_url: "https://kms.cn-beijing.aliyuncs.com/",
            },
        },
        Case {
            name: "config credentials, region from the profile",
            settings: settings(Some("cfg-id"), Some("cfg-secret"), None),
            environment: &[],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "static(cfg-id,cfg-secret,-)@config",
                region: Some("cn-shanghai"),
                base_url: "https://kms.cn-shanghai.aliyuncs.com/",
            },
        },
        Case {
            name: "endpoint from the environment, protocol HTTP, no region needed",
            settings: ClientSettings {
                protocol: Some("http".to_owned()),
                ..settings(Some("id"), Some("secret"), None)
            },
            environment: &[("ALIBABA_CLOUD_ENDPOINT_KMS", "127.0.0.1:8080")],
            files: &[],
            expected: Resolved {
                plan: "static(id,secret,-)@config",
                region: None,
                base_url: "http://127.0.0.1:8080/",
            },
        },
        Case {
            name: "endpoint from config beats the environment and may carry its scheme",
            settings: ClientSettings {
                endpoint: Some("http://localhost:9000/".to_owned()),
                ..settings(Some("id"), Some("secret"), Some("cn-hangzhou"))
            },
            environment: &[("ALIBABA_CLOUD_ENDPOINT_KMS", "127.0.0.1:8080")],
            files: &[],
            expected: Resolved {
                plan: "static(id,secret,-)@config",
                region: Some("cn-hangzhou"),
                base_url: "http://localhost:9000/",
            },
        },
        Case {
            name: "nothing anywhere: the instance role the metadata service names, asked at run time",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_REGION", "cn-hangzhou")],
            files: &[],
            expected: Resolved {
                plan: "ecs(?,v1=true)@chain",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "nothing anywhere and the metadata service turned off names every place looked",
            settings: ClientSettings::default(),
            environment: &[
                ("ALIBABA_CLOUD_REGION", "cn-hangzhou"),
                ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
            ],
            files: &[],
            expected: Error {
                fragments: &[
                    "no alibaba cloud credentials found",
                    "ALIBABACLOUD_ACCESS_KEY_ID",
                    "ALICLOUD_ECS_ROLE_NAME",
                    "ALICLOUD_CREDENTIALS_URI",
                    "the ECS instance metadata service (skipped: ALIBABA_CLOUD_ECS_METADATA_DISABLED=true)",
                    "the provider config (accessKey, secretKey, assumeRoleWithOidc, ecsRoleName, credentialsUri, profile)",
                    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                    ".alibabacloud/credentials (not found)",
                    "ALIBABA_CLOUD_ECS_METADATA",
                    "ALIBABA_CLOUD_CREDENTIALS_URI",
                    "ALIBABA_CLOUD_ACCESS_KEY_ID",
                    "ALICLOUD_ACCESS_KEY",
                    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                    "ALICLOUD_SECRET_KEY",
                    ".aliyun/config.json (not found)",
                ],
            },
        },
        Case {
            name: "half a pair in the config",
            settings: settings(Some("cfg-id"), None, Some("cn-hangzhou")),
            environment: &[("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")],
            files: &[],
            expected: Error {
                fragments: &["incomplete credentials in the provider config", "secretKey"],
            },
        },
        Case {
            name: "half a pair in the environment",
            settings: ClientSettings::default(),
            environment: &[("ALICLOUD_SECRET_KEY", "old-secret")],
            files: &[],
            expected: Error {
                fragments: &[
                    "incomplete credentials in the environment",
                    "ALICLOUD_SECRET_KEY is set but not ALICLOUD_ACCESS_KEY",
                ],
            },
        },
        Case {
            name: "unsupported profile mode",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "rsa")],
            files: &[(CLI, PROFILES)],
            expected: Error {
                fragments: &["\"rsa\"", "mode \"RsaKeyPair\"", "AK, StsToken, RamRoleArn, ChainableRamRoleArn, EcsRamRole, OIDC, CredentialsURI, External, CloudSSO, OAuth"],
            },
        },
        Case {
            name: "CLI profile, mode CloudSSO",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "sso"), ("ALIBABA_CLOUD_REGION", "cn-hangzhou")],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "cloudsso(https://signin.example/login,acct-1,ac-1)@profile:sso",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "CLI profile, mode CloudSSO without its account",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "sso-half"), ("ALIBABA_CLOUD_REGION", "cn-hangzhou")],
            files: &[(CLI, PROFILES)],
            expected: Error {
                fragments: &["mode CloudSSO needs cloud_sso_account_id"],
            },
        },
        Case {
            name: "CLI profile, mode OAuth on the international site",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "oauth"), ("ALIBABA_CLOUD_REGION", "cn-hangzhou")],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "oauth(https://oauth.alibabacloud.com)@profile:oauth",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "CLI profile, mode OAuth with an unknown site",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "oauth-bad-site"), ("ALIBABA_CLOUD_REGION", "cn-hangzhou")],
            files: &[(CLI, PROFILES)],
            expected: Error {
                fragments: &["invalid oauth_site_type", "CN or INTL"],
            },
        },
        Case {
            name: "CLI profile, mode External, its command split as a shell would",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "external"), ("ALIBABA_CLOUD_REGION", "cn-hangzhou")],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "external(get-creds|--profile|ci runner)@profile:external",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "CLI profile, mode EcsRamRole without a role name: the metadata service names it",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "ecs-discover")],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "ecs(?,v1=true)@profile:ecs-discover",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "CLI profile with sts_region and enable_vpc: the role's own STS host",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "vpc-role")],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "assume(acs:ram::1:role/x,alicloud-kms-provider,3600,sts=sts-vpc.cn-shanghai.aliyuncs.com)@profile:vpc-role <- static(role-id,role-secret,-)@profile:vpc-role",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "CLI profile with enable_vpc false and no sts_region: its region_id names the STS host",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "region-role"), ("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true")],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "assume(acs:ram::1:role/x,alicloud-kms-provider,3600,sts=sts.cn-beijing.aliyuncs.com)@profile:region-role <- static(role-id,role-secret,-)@profile:region-role",
                region: Some("cn-beijing"),
                base_url: "https://kms.cn-beijing.aliyuncs.com/",
            },
        },
        Case {
            name: "an explicit stsEndpoint wins over a profile's sts_region",
            settings: with(
                "cn-hangzhou",
                CredentialSettings {
                    profile: Some("vpc-role".to_owned()),
                    sts_endpoint: Some("127.0.0.1:8001".to_owned()),
                    ..CredentialSettings::default()
                },
            ),
            environment: &[],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "assume(acs:ram::1:role/x,alicloud-kms-provider,3600)@profile:vpc-role <- static(role-id,role-secret,-)@profile:vpc-role",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "credentials file, type ecs_ram_role without a role name",
            settings: settings(None, None, Some("cn-hangzhou")),
            environment: &[("ALIBABA_CLOUD_PROFILE", "ini-ecs-discover")],
            files: &[(INI, INI_FILE)],
            expected: Resolved {
                plan: "ecs(?,v1=true)@ini:ini-ecs-discover",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "ALIBABA_CLOUD_CONFIG_FILE names the CLI file",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_CONFIG_FILE", "~/cli/profiles.json")],
            files: &[("cli/profiles.json", PROFILES), (CLI, r#"{"current":"x","profiles":[]}"#)],
            expected: Resolved {
                plan: "static(work-id,work-secret,-)@profile:work",
                region: Some("cn-shanghai"),
                base_url: "https://kms.cn-shanghai.aliyuncs.com/",
            },
        },
        Case {
            name: "ALIBABA_CLOUD_CREDENTIALS_FILE naming the CLI's JSON file (Terraform's meaning), told apart by content",
            settings: ClientSettings::default(),
            environment: &[
                ("ALIBABA_CLOUD_CREDENTIALS_FILE", "~/terraform/config.json"),
                ("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true"),
                ("ALIBABA_CLOUD_REGION", "cn-hangzhou"),
            ],
            files: &[("terraform/config.json", PROFILES)],
            expected: Resolved {
                plan: "static(work-id,work-secret,-)@profile:work",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "ALICLOUD_SHARED_CREDENTIALS_FILE naming an INI file",
            settings: settings(None, None, Some("cn-hangzhou")),
            environment: &[("ALICLOUD_SHARED_CREDENTIALS_FILE", "~/sdk/creds")],
            files: &[("sdk/creds", INI_FILE)],
            expected: Resolved {
                plan: "static(ini-id,ini-secret,-)@ini:default",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "ALICLOUD_ECS_ROLE_NAME (Terraform, pulumi-alicloud) names the instance role",
            settings: settings(None, None, Some("cn-hangzhou")),
            environment: &[("ALICLOUD_ECS_ROLE_NAME", "tf-role")],
            files: &[],
            expected: Resolved {
                plan: "ecs(tf-role,v1=true)@env:ALICLOUD_ECS_ROLE_NAME",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "ALICLOUD_CREDENTIALS_URI (Terraform, pulumi-alicloud)",
            settings: settings(None, None, Some("cn-hangzhou")),
            environment: &[("ALICLOUD_CREDENTIALS_URI", "http://127.0.0.1:9/tf")],
            files: &[],
            expected: Resolved {
                plan: "uri(http://127.0.0.1:9/tf)@env:ALICLOUD_CREDENTIALS_URI",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "ALIBABA_CLOUD_OIDC_TOKEN: an inline token in the environment",
            settings: settings(None, None, Some("cn-hangzhou")),
            environment: &[
                ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::3:oidc-provider/gha"),
                ("ALIBABA_CLOUD_OIDC_TOKEN", "eyJ.inline.token"),
                ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::3:role/ci"),
            ],
            files: &[],
            expected: Resolved {
                plan: "oidc(acs:ram::3:role/ci,acs:ram::3:oidc-provider/gha,inline:eyJ.inline.token,alicloud-kms-provider,3600)@env:ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "assumeRoleWithOidc.oidcToken wins over a token file, as in Terraform",
            settings: with(
                "cn-hangzhou",
                CredentialSettings {
                    assume_role_with_oidc: Some(OidcRoleSettings {
                        role_arn: Some("acs:ram::3:role/ci".to_owned()),
                        oidc_provider_arn: Some("acs:ram::3:oidc-provider/github".to_owned()),
                        oidc_token_file: Some("/run/token".to_owned()),
                        oidc_token: Some(SecretString::new("eyJ.config.token")),
                        ..OidcRoleSettings::default()
                    }),
                    ..CredentialSettings::default()
                },
            ),
            environment: &[],
            files: &[],
            expected: Resolved {
                plan: "oidc(acs:ram::3:role/ci,acs:ram::3:oidc-provider/github,inline:eyJ.config.token,alicloud-kms-provider,3600)@config",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "profile without its secret",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "half")],
            files: &[(CLI, PROFILES)],
            expected: Error {
                fragments: &[
                    "incomplete credentials in profile \"half\"",
                    "mode AK needs access_key_secret, which is missing",
                ],
            },
        },
        Case {
            name: "a profile asked for by name must exist",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "nope")],
            files: &[(CLI, PROFILES)],
            expected: Error {
                fragments: &["has no profile named \"nope\""],
            },
        },
        Case {
            name: "a malformed profile file is reported, without its contents",
            settings: ClientSettings::default(),
            environment: &[],
            files: &[(
                CLI,
                r#"{"profiles": [{"name": "x", "access_key_secret": "leaky-secret""#,
            )],
            expected: Error {
                fragments: &["is not a valid profile file", "line"],
            },
        },
        Case {
            name: "no region and no endpoint",
            settings: settings(Some("id"), Some("secret"), None),
            environment: &[],
            files: &[],
            expected: Error {
                fragments: &[
                    "no region found",
                    "ALIBABA_CLOUD_REGION",
                    "ALICLOUD_REGION",
                    "region_id",
                ],
            },
        },
        Case {
            name: "invalid protocol",
            settings: ClientSettings {
                protocol: Some("ftp".to_owned()),
                ..settings(Some("id"), Some("secret"), Some("cn-hangzhou"))
            },
            environment: &[],
            files: &[],
            expected: Error {
                fragments: &["invalid protocol \"ftp\"", "HTTPS"],
            },
        },
        Case {
            name: "endpoint scheme disagrees with protocol",
            settings: ClientSettings {
                protocol: Some("HTTPS".to_owned()),
                endpoint: Some("http://127.0.0.1:1".to_owned()),
                ..settings(Some("id"), Some("secret"), None)
            },
            environment: &[],
            files: &[],
            expected: Error {
                fragments: &[
                    "invalid kms endpoint in the provider config (endpoint)",
                    "starts with http:// but protocol is HTTPS",
                ],
            },
        },
        Case {
            name: "endpoint with a path",
            settings: ClientSettings {
                endpoint: Some("kms.example.com/evil?x=1".to_owned()),
                ..settings(Some("id"), Some("secret"), None)
            },
            environment: &[],
            files: &[],
            expected: Error {
                fragments: &[
                    "invalid kms endpoint",
                    "must not have a path (kms.example.com/evil?***)",
                ],
            },
        },
        Case {
            name: "region that cannot be a host name",
            settings: settings(Some("id"), Some("secret"), Some("cn-hangzhou.evil.com/")),
            environment: &[],
            files: &[],
            expected: Error {
                fragments: &["invalid region in the provider config (region)", "cn-hangzhou"],
            },
        },
        // ---- issue 13: roles, OIDC, instance metadata, credential URLs, files, endpoints ----
        Case {
            name: "assumeRole on top of a config key, defaults for session and duration",
            settings: ClientSettings {
                credential_settings: CredentialSettings {
                    assume_role: Some(assume("acs:ram::1:role/deployer")),
                    ..CredentialSettings::default()
                },
                ..settings(Some("cfg-id"), Some("cfg-secret"), Some("cn-hangzhou"))
            },
            environment: &[],
            files: &[],
            expected: ResolvedWith {
                plan: "assume(acs:ram::1:role/deployer,alicloud-kms-provider,3600)@config <- static(cfg-id,cfg-secret,-)@config",
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
                sts_url: "https://sts.cn-hangzhou.aliyuncs.com/",
                algorithm: SignatureAlgorithm::V2,
            },
        },
        Case {
            name: "assumeRole on top of an environment key, session name from the environment, every field",
            settings: with(
                "cn-shanghai",
                CredentialSettings {
                    assume_role: Some(AssumeRoleSettings {
                        role_arn: Some("acs:ram::1:role/deployer".to_owned()),
                        session_name: None,
                        session_expiration: Some(900),
                        policy: Some(r#"{"Version":"1","Statement":[]}"#.to_owned()),
                        external_id: Some(SecretString::new("ext-secret")),
                    }),
                    ..CredentialSettings::default()
                },
            ),
            environment: &[
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id"),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret"),
                ("ALIBABA_CLOUD_ROLE_SESSION_NAME", "ci-run-42"),
            ],
            files: &[],
            expected: Resolved {
                plan: "assume(acs:ram::1:role/deployer,ci-run-42,900,policy,external)@config <- static(env-id,env-secret,-)@env:ALIBABA_CLOUD_ACCESS_KEY_ID",
                region: Some("cn-shanghai"),
                base_url: "https://kms.cn-shanghai.aliyuncs.com/",
            },
        },
        Case {
            name: "assumeRole on top of an StsToken profile",
            settings: ClientSettings {
                credential_settings: CredentialSettings {
                    assume_role: Some(assume("acs:ram::1:role/deployer")),
                    profile: Some("temp".to_owned()),
                    ..CredentialSettings::default()
                },
                ..ClientSettings::default()
            },
            environment: &[],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "assume(acs:ram::1:role/deployer,alicloud-kms-provider,3600)@config <- static(STS.temp-id,temp-secret,temp-token)@profile:temp",
                region: Some("ap-southeast-1"),
                base_url: "https://kms.ap-southeast-1.aliyuncs.com/",
            },
        },
        Case {
            name: "assumeRole without roleArn",
            settings: ClientSettings {
                credential_settings: CredentialSettings {
                    assume_role: Some(AssumeRoleSettings::default()),
                    ..CredentialSettings::default()
                },
                ..settings(Some("id"), Some("secret"), Some("cn-hangzhou"))
            },
            environment: &[],
            files: &[],
            expected: Error {
                fragments: &["assumeRole needs roleArn"],
            },
        },
        Case {
            name: "assumeRole with a session too short and an ARN that is not a role",
            settings: ClientSettings {
                credential_settings: CredentialSettings {
                    assume_role: Some(AssumeRoleSettings {
                        role_arn: Some("acs:ram::1:user/someone".to_owned()),
                        ..AssumeRoleSettings::default()
                    }),
                    ..CredentialSettings::default()
                },
                ..settings(Some("id"), Some("secret"), Some("cn-hangzhou"))
            },
            environment: &[],
            files: &[],
            expected: Error {
                fragments: &["invalid assumeRole.roleArn in the provider config", "acs:ram::<account id>:role/<role name>"],
            },
        },
        Case {
            name: "assumeRole with a session shorter than STS allows",
            settings: ClientSettings {
                credential_settings: CredentialSettings {
                    assume_role: Some(AssumeRoleSettings {
                        session_expiration: Some(899),
                        ..assume("acs:ram::1:role/deployer")
                    }),
                    ..CredentialSettings::default()
                },
                ..settings(Some("id"), Some("secret"), Some("cn-hangzhou"))
            },
            environment: &[],
            files: &[],
            expected: Error {
                fragments: &["900 to 43200 seconds", "not 899"],
            },
        },
        Case {
            name: "assumeRoleWithOidc in the config, the token file from the environment",
            settings: with(
                "cn-hangzhou",
                CredentialSettings {
                    assume_role_with_oidc: Some(OidcRoleSettings {
                        role_arn: Some("acs:ram::3:role/ci".to_owned()),
                        oidc_provider_arn: Some("acs:ram::3:oidc-provider/github".to_owned()),
                        role_session_name: Some("gha".to_owned()),
                        session_expiration: Some(7200),
                        ..OidcRoleSettings::default()
                    }),
                    ..CredentialSettings::default()
                },
            ),
            environment: &[("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/run/token")],
            files: &[],
            expected: Resolved {
                plan: "oidc(acs:ram::3:role/ci,acs:ram::3:oidc-provider/github,/run/token,gha,7200)@config",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "assumeRoleWithOidc with no token file anywhere",
            settings: with(
                "cn-hangzhou",
                CredentialSettings {
                    assume_role_with_oidc: Some(OidcRoleSettings {
                        role_arn: Some("acs:ram::3:role/ci".to_owned()),
                        ..OidcRoleSettings::default()
                    }),
                    ..CredentialSettings::default()
                },
            ),
            environment: &[("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::3:oidc-provider/github")],
            files: &[],
            expected: Error {
                fragments: &["assumeRoleWithOidc needs oidcTokenFile or oidcToken (or ALIBABA_CLOUD_OIDC_TOKEN_FILE or ALIBABA_CLOUD_OIDC_TOKEN)"],
            },
        },
        Case {
            name: "OIDC from the environment, as ACK RRSA sets it",
            settings: ClientSettings::default(),
            environment: &[
                ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::3:oidc-provider/ack-rrsa"),
                ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/var/run/secrets/tokens/oidc-token"),
                ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::3:role/pod"),
                ("ALIBABA_CLOUD_REGION", "cn-hangzhou"),
            ],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "oidc(acs:ram::3:role/pod,acs:ram::3:oidc-provider/ack-rrsa,/var/run/secrets/tokens/oidc-token,alicloud-kms-provider,3600)@env:ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "OIDC from the environment, chained with assumeRole",
            settings: with(
                "cn-hangzhou",
                CredentialSettings {
                    assume_role: Some(assume("acs:ram::9:role/cross-account")),
                    ..CredentialSettings::default()
                },
            ),
            environment: &[
                ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::3:oidc-provider/ack-rrsa"),
                ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/token"),
                ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::3:role/pod"),
            ],
            files: &[],
            expected: Resolved {
                plan: "assume(acs:ram::9:role/cross-account,alicloud-kms-provider,3600)@config <- oidc(acs:ram::3:role/pod,acs:ram::3:oidc-provider/ack-rrsa,/token,alicloud-kms-provider,3600)@env:ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "OIDC in the environment without its token file",
            settings: ClientSettings::default(),
            environment: &[
                ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::3:oidc-provider/ack-rrsa"),
                ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::3:role/pod"),
            ],
            files: &[],
            expected: Error {
                fragments: &["incomplete credentials in the environment", "also needs ALIBABA_CLOUD_OIDC_TOKEN_FILE"],
            },
        },
        Case {
            name: "ecsRoleName in the config; IMDSv1 forbidden by the environment",
            settings: with(
                "cn-hangzhou",
                CredentialSettings {
                    ecs_role_name: Some("instance-role".to_owned()),
                    ..CredentialSettings::default()
                },
            ),
            environment: &[("ALIBABA_CLOUD_IMDSV1_DISABLED", "true")],
            files: &[],
            expected: Resolved {
                plan: "ecs(instance-role,v1=false)@config",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "ALIBABA_CLOUD_ECS_METADATA in the environment",
            settings: ClientSettings::default(),
            environment: &[
                ("ALIBABA_CLOUD_ECS_METADATA", "env-role"),
                ("ALIBABA_CLOUD_REGION", "cn-hangzhou"),
            ],
            files: &[],
            expected: Resolved {
                plan: "ecs(env-role,v1=true)@env:ALIBABA_CLOUD_ECS_METADATA",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "ALIBABA_CLOUD_ECS_METADATA_DISABLED turns the metadata credential off",
            settings: ClientSettings::default(),
            environment: &[
                ("ALIBABA_CLOUD_ECS_METADATA", "env-role"),
                ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "TRUE"),
                ("ALIBABA_CLOUD_REGION", "cn-hangzhou"),
            ],
            files: &[],
            expected: Error {
                fragments: &["no alibaba cloud credentials found"],
            },
        },
        Case {
            name: "credentialsUri in the config",
            settings: with(
                "cn-hangzhou",
                CredentialSettings {
                    credentials_uri: Some(SecretString::new("http://127.0.0.1:9/creds?token=uri-secret")),
                    ..CredentialSettings::default()
                },
            ),
            environment: &[],
            files: &[],
            expected: Resolved {
                plan: "uri(http://127.0.0.1:9/creds?token=uri-secret)@config",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "ALIBABA_CLOUD_CREDENTIALS_URI comes last in the chain",
            settings: ClientSettings::default(),
            environment: &[
                ("ALIBABA_CLOUD_CREDENTIALS_URI", "http://127.0.0.1:9/creds"),
                ("ALIBABA_CLOUD_REGION", "cn-hangzhou"),
            ],
            files: &[],
            expected: Resolved {
                plan: "uri(http://127.0.0.1:9/creds)@env:ALIBABA_CLOUD_CREDENTIALS_URI",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "two base credential kinds in the config contradict each other",
            settings: ClientSettings {
                credential_settings: CredentialSettings {
                    ecs_role_name: Some("instance-role".to_owned()),
                    ..CredentialSettings::default()
                },
                ..settings(Some("id"), Some("secret"), Some("cn-hangzhou"))
            },
            environment: &[],
            files: &[],
            expected: Error {
                fragments: &["more than one kind of credential (accessKey/secretKey, ecsRoleName)"],
            },
        },
        Case {
            name: "CLI profile, mode RamRoleArn",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "role")],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "assume(acs:ram::1:role/x,cli-session,1800)@profile:role <- static(role-id,role-secret,-)@profile:role",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "CLI profile, mode ChainableRamRoleArn on top of a RamRoleArn profile",
            settings: with(
                "cn-hangzhou",
                CredentialSettings {
                    profile: Some("chain".to_owned()),
                    ..CredentialSettings::default()
                },
            ),
            environment: &[],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "assume(acs:ram::2:role/y,chained,3600,policy,external)@profile:chain <- assume(acs:ram::1:role/x,cli-session,1800)@profile:role <- static(role-id,role-secret,-)@profile:role",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "CLI profile, mode EcsRamRole",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "ecs")],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "ecs(instance-role,v1=true)@profile:ecs",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "CLI profile, mode OIDC",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "oidc")],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "oidc(acs:ram::3:role/pod,acs:ram::3:oidc-provider/ack,/var/run/oidc/token,pod-session,3600)@profile:oidc",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "CLI profile, mode CredentialsURI",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "uri")],
            files: &[(CLI, PROFILES)],
            expected: Resolved {
                plan: "uri(http://127.0.0.1:9/creds?token=uri-secret)@profile:uri",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "CLI profiles whose source_profile chain loops",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "loop-a"), ("ALIBABA_CLOUD_REGION", "cn-hangzhou")],
            files: &[(CLI, PROFILES)],
            expected: Error {
                fragments: &["source_profile chain that loops back to \"loop-a\""],
            },
        },
        Case {
            name: "credentials file, default section, type access_key",
            settings: settings(None, None, Some("cn-hangzhou")),
            environment: &[],
            files: &[(INI, INI_FILE)],
            expected: Resolved {
                plan: "static(ini-id,ini-secret,-)@ini:default",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "credentials file after the CLI file: a profile only the INI file has",
            settings: settings(None, None, Some("cn-hangzhou")),
            environment: &[("ALIBABA_CLOUD_PROFILE", "ini-role")],
            files: &[(CLI, PROFILES), (INI, INI_FILE)],
            expected: Resolved {
                plan: "assume(acs:ram::4:role/ini,ini-session,3600)@ini:ini-role <- static(ini-role-id,ini-role-secret,-)@ini:ini-role",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "credentials file, type ecs_ram_role, selected by the profile setting",
            settings: with(
                "cn-hangzhou",
                CredentialSettings {
                    profile: Some("ini-ecs".to_owned()),
                    ..CredentialSettings::default()
                },
            ),
            environment: &[],
            files: &[(INI, INI_FILE)],
            expected: Resolved {
                plan: "ecs(ini-instance-role,v1=true)@ini:ini-ecs",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "credentials file at ALIBABA_CLOUD_CREDENTIALS_FILE, type oidc_role_arn",
            settings: settings(None, None, Some("cn-hangzhou")),
            environment: &[
                ("ALIBABA_CLOUD_CREDENTIALS_FILE", "~/elsewhere/creds.ini"),
                ("ALIBABA_CLOUD_PROFILE", "ini-oidc"),
            ],
            files: &[("elsewhere/creds.ini", INI_FILE)],
            expected: Resolved {
                plan: "oidc(acs:ram::5:role/ini-pod,acs:ram::5:oidc-provider/ini,/tokens/ini,alicloud-kms-provider,3600)@ini:ini-oidc",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "credentials file with an unsupported type",
            settings: settings(None, None, Some("cn-hangzhou")),
            environment: &[("ALIBABA_CLOUD_PROFILE", "ini-rsa")],
            files: &[(INI, INI_FILE)],
            expected: Error {
                fragments: &["\"ini-rsa\"", "type \"rsa_key_pair\"", "access_key, ram_role_arn, ecs_ram_role, oidc_role_arn"],
            },
        },
        Case {
            name: "ALIBABA_CLOUD_CLI_PROFILE_DISABLED skips the CLI file",
            settings: settings(None, None, Some("cn-hangzhou")),
            environment: &[("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")],
            files: &[(CLI, PROFILES), (INI, INI_FILE)],
            expected: Resolved {
                plan: "static(ini-id,ini-secret,-)@ini:default",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "sharedCredentialsFile naming a CLI JSON file (Terraform's meaning)",
            settings: with(
                "cn-hangzhou",
                CredentialSettings {
                    shared_credentials_file: Some("~/team/config.json".to_owned()),
                    profile: Some("temp".to_owned()),
                    ..CredentialSettings::default()
                },
            ),
            environment: &[],
            files: &[("team/config.json", PROFILES), (INI, INI_FILE)],
            expected: Resolved {
                plan: "static(STS.temp-id,temp-secret,temp-token)@profile:temp",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "sharedCredentialsFile naming an INI file",
            settings: with(
                "cn-hangzhou",
                CredentialSettings {
                    shared_credentials_file: Some("~/team/credentials".to_owned()),
                    ..CredentialSettings::default()
                },
            ),
            environment: &[],
            files: &[("team/credentials", INI_FILE), (CLI, PROFILES)],
            expected: Resolved {
                plan: "static(ini-id,ini-secret,-)@ini:default",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "sharedCredentialsFile that does not exist",
            settings: with(
                "cn-hangzhou",
                CredentialSettings {
                    shared_credentials_file: Some("/nonexistent/credentials".to_owned()),
                    ..CredentialSettings::default()
                },
            ),
            environment: &[],
            files: &[],
            expected: Error {
                fragments: &["/nonexistent/credentials does not exist"],
            },
        },
        Case {
            name: "a profile asked for by name that neither file has",
            settings: settings(None, None, Some("cn-hangzhou")),
            environment: &[("ALIBABA_CLOUD_PROFILE", "nowhere")],
            files: &[(CLI, PROFILES), (INI, INI_FILE)],
            expected: Error {
                fragments: &["has no profile named \"nowhere\""],
            },
        },
        Case {
            name: "KMS_ENDPOINT is the last endpoint fallback",
            settings: settings(Some("id"), Some("secret"), Some("cn-hangzhou")),
            environment: &[("KMS_ENDPOINT", "http://127.0.0.1:7000")],
            files: &[],
            expected: Resolved {
                plan: "static(id,secret,-)@config",
                region: Some("cn-hangzhou"),
                base_url: "http://127.0.0.1:7000/",
            },
        },
        Case {
            name: "ALIBABA_CLOUD_ENDPOINT_KMS wins over KMS_ENDPOINT",
            settings: settings(Some("id"), Some("secret"), Some("cn-hangzhou")),
            environment: &[
                ("KMS_ENDPOINT", "127.0.0.1:7000"),
                ("ALIBABA_CLOUD_ENDPOINT_KMS", "127.0.0.1:8000"),
            ],
            files: &[],
            expected: Resolved {
                plan: "static(id,secret,-)@config",
                region: Some("cn-hangzhou"),
                base_url: "https://127.0.0.1:8000/",
            },
        },
        Case {
            name: "an endpoint from the environment with a secret in it is refused and redacted",
            settings: settings(Some("id"), Some("secret"), Some("cn-hangzhou")),
            environment: &[("KMS_ENDPOINT", "http://user:endpoint-secret@127.0.0.1:7000")],
            files: &[],
            expected: Error {
                fragments: &["invalid kms endpoint in the environment (KMS_ENDPOINT)", "(http://***@127.0.0.1:7000)"],
            },
        },
        Case {
            name: "stsEndpoint in the config; protocol HTTP applies to it; signature V3",
            settings: ClientSettings {
                protocol: Some("HTTP".to_owned()),
                endpoint: Some("127.0.0.1:8000".to_owned()),
                credential_settings: CredentialSettings {
                    sts_endpoint: Some("127.0.0.1:8001".to_owned()),
                    signature_algorithm: Some(SignatureAlgorithm::V3),
                    ..CredentialSettings::default()
                },
                ..settings(Some("id"), Some("secret"), None)
            },
            environment: &[("ALIBABA_CLOUD_STS_ENDPOINT", "127.0.0.1:9999")],
            files: &[],
            expected: ResolvedWith {
                plan: "static(id,secret,-)@config",
                base_url: "http://127.0.0.1:8000/",
                sts_url: "http://127.0.0.1:8001/",
                algorithm: SignatureAlgorithm::V3,
            },
        },
        Case {
            name: "ALIBABA_CLOUD_STS_ENDPOINT with its own scheme",
            settings: settings(Some("id"), Some("secret"), Some("cn-hangzhou")),
            environment: &[("ALIBABA_CLOUD_STS_ENDPOINT", "http://127.0.0.1:9999")],
            files: &[],
            expected: ResolvedWith {
                plan: "static(id,secret,-)@config",
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
                sts_url: "http://127.0.0.1:9999/",
                algorithm: SignatureAlgorithm::V2,
            },
        },
        Case {
            name: "the default STS host follows ALIBABA_CLOUD_STS_REGION and the VPC switch",
            settings: settings(Some("id"), Some("secret"), Some("cn-hangzhou")),
            environment: &[
                ("ALIBABA_CLOUD_STS_REGION", "cn-shanghai"),
                ("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true"),
            ],
            files: &[],
            expected: ResolvedWith {
                plan: "static(id,secret,-)@config",
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
                sts_url: "https://sts-vpc.cn-shanghai.aliyuncs.com/",
                algorithm: SignatureAlgorithm::V2,
            },
        },
        Case {
            name: "without a region the STS host is the central one",
            settings: ClientSettings {
                endpoint: Some("kms.example.com".to_owned()),
                ..settings(Some("id"), Some("secret"), None)
            },
            environment: &[],
            files: &[],
            expected: ResolvedWith {
                plan: "static(id,secret,-)@config",
                base_url: "https://kms.example.com/",
                sts_url: "https://sts.aliyuncs.com/",
                algorithm: SignatureAlgorithm::V2,
            },
        },
        Case {
            name: "an invalid stsEndpoint",
            settings: ClientSettings {
                credential_settings: CredentialSettings {
                    sts_endpoint: Some("https://sts.example.com/path?token=sts-secret".to_owned()),
                    ..CredentialSettings::default()
                },
                ..settings(Some("id"), Some("secret"), Some("cn-hangzhou"))
            },
            environment: &[],
            files: &[],
            expected: Error {
                fragments: &["invalid sts endpoint in the provider config (stsEndpoint)", "must not have a path (https://sts.example.com/path?***)"],
            },
        },
    ]
}

const ALL_SECRETS: &[&str] = &[
    "cfg-secret",
    "cfg-token",
    "env-secret",
    "env-token",
    "old-secret",
    "old-token",
    "work-secret",
    "temp-secret",
    "temp-token",
    "default-secret",
    "role-secret",
    "leaky-secret",
    "d-secret",
    "ext-secret",
    "uri-secret",
    "ini-secret",
    "ini-role-secret",
    "endpoint-secret",
    "sts-secret",
    "sso-token-secret",
    "oauth-token-secret",
    "oauth-refresh-secret",
    "env-sec",
];

fn check_no_leak(name: &str, what: &str, text: &str) {
    for leaked in ALL_SECRETS {
        assert!(
            !text.contains(leaked),
            "{name}: {what} leaks {leaked}: {text}"
        );
    }
}

#[test]
fn resolution_table() {
    let mut count = 0;
    for case in cases() {
        count += 1;
        let result = run(&case);
        let name = case.name;
        match (&case.expected, result) {
            (
                Expected::Resolved {
                    plan,
                    region,
                    base_url,
                },
                Ok(config),
            ) => {
                assert_eq!(describe(&config.credentials), *plan, "{name}");
                assert_eq!(config.region.as_deref(), *region, "{name}");
                assert_eq!(config.base_url(), *base_url, "{name}");
                check_no_leak(name, "Debug", &format!("{config:?} {:?}", case.settings));
                check_no_leak(name, "Display of the plan", &config.credentials.to_string());
            }
            (
                Expected::ResolvedWith {
                    plan,
                    base_url,
                    sts_url,
                    algorithm,
                },
                Ok(config),
            ) => {
                assert_eq!(describe(&config.credentials), *plan, "{name}");
                assert_eq!(config.base_url(), *base_url, "{name}");
                assert_eq!(config.sts_base_url(), *sts_url, "{name}");
                assert_eq!(config.signature_algorithm, *algorithm, "{name}");
                check_no_leak(name, "Debug", &format!("{config:?} {:?}", case.settings));
            }
            (Expected::Error { fragments }, Err(error)) => {
                let text = error.to_string();
                for fragment in *fragments {
                    assert!(
                        text.contains(fragment),
                        "{name}: {text:?} lacks {fragment:?}"
                    );
                }
                check_no_leak(name, "error", &text);
                assert!(!text.ends_with('.'), "{name}: trailing period");
            }
            (Expected::Error { .. }, Ok(config)) => {
                panic!("{name}: unexpectedly resolved {config:?}")
            }
            (_, Err(error)) => panic!("{name}: unexpected error {error}"),
        }
    }
    assert!(count >= 60, "the table has {count} rows");
}

#[test]
fn without_a_home_directory_the_error_says_so() {
    let environment = BTreeMap::from([(
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED".to_owned(),
        "true".to_owned(),
    )]);
    let error = resolve(&ClientSettings::default(), &environment, None).expect_err("nothing set");
    assert!(matches!(error, CredentialsError::MissingCredentials { .. }));
    assert!(
        error.to_string().contains("no home directory is known"),
        "{error}"
    );
}

#[test]
fn a_broken_profile_file_is_ignored_when_nothing_is_needed_from_it() {
    let home = tempfile::tempdir().expect("home");
    std::fs::create_dir_all(home.path().join(".aliyun")).expect("mkdir");
    std::fs::write(home.path().join(".aliyun/config.json"), "not json").expect("write");
    let config = resolve(
        &settings(Some("id"), Some("secret"), Some("cn-hangzhou")),
        &BTreeMap::new(),
        Some(home.path()),
    )
    .expect("the file is not needed");
    assert_eq!(config.scheme, Scheme::Https);
    assert_eq!(config.endpoint, "kms.cn-hangzhou.aliyuncs.com");
}

/// Makes a FIFO at `path`.
fn fifo(path: &std::path::Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(status.success());
}

/// Runs `resolve` on a thread and fails the test, instead of hanging it, if that takes long:
/// nothing at a credential path may make the resolution wait.
fn resolve_within_a_deadline(
    settings: ClientSettings,
    environment: BTreeMap<String, String>,
    home: std::path::PathBuf,
) -> Result<ResolvedConfig, CredentialsError> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(resolve(&settings, &environment, Some(&home)));
    });
    receiver
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the resolution waited on a file")
}

/// Issue 17 item 3: a FIFO, a device, a symlink to either, a directory or a huge file at any
/// credential path is named in a clear error, and never waited on or read.
#[test]
fn hostile_credential_files_are_named_never_waited_on() {
    enum Where {
        DefaultCli,
        DefaultIni,
        ConfigFileVariable,
        CredentialsFileVariable,
        SharedCredentialsFile,
    }
    let kinds: [(&str, &str); 6] = [
        ("fifo", "is a FIFO, not a regular file"),
        ("dev-zero", "is a character device, not a regular file"),
        ("link-to-fifo", "is a FIFO, not a regular file"),
        (
            "link-to-dev-zero",
            "is a character device, not a regular file",
        ),
        ("directory", "is a directory, not a regular file"),
        ("huge", "has 4294967296 bytes, more than the 1048576"),
    ];
    for place in [
        Where::DefaultCli,
        Where::DefaultIni,
        Where::ConfigFileVariable,
        Where::CredentialsFileVariable,
        Where::SharedCredentialsFile,
    ] {
        for (kind, expected) in kinds {
            let home = tempfile::tempdir().unwrap();
            let path = match place {
                Where::DefaultCli => home.path().join(CLI),
                Where::DefaultIni => home.path().join(INI),
                _ => home.path().join("elsewhere/credentials"),
            };
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            match kind {
                "fifo" => fifo(&path),
                "dev-zero" => std::os::unix::fs::symlink("/dev/zero", &path).unwrap(),
                "link-to-fifo" => {
                    let target = home.path().join("a-fifo");
                    fifo(&target);
                    std::os::unix::fs::symlink(&target, &path).unwrap();
                }
                "link-to-dev-zero" => {
                    let link = home.path().join("zero");
                    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
                    std::os::unix::fs::symlink(&link, &path).unwrap();
                }
                "directory" => std::fs::create_dir(&path).unwrap(),
                _ => std::fs::File::create(&path)
                    .unwrap()
                    .set_len(4 * 1024 * 1024 * 1024)
                    .unwrap(),
            }
            let mut environment =
                BTreeMap::from([("ALIBABA_CLOUD_REGION".to_owned(), "cn-hangzhou".to_owned())]);
            let mut settings = ClientSettings::default();
            match place {
                Where::ConfigFileVariable => {
                    environment.insert(
                        "ALIBABA_CLOUD_CONFIG_FILE".to_owned(),
                        path.display().to_string(),
                    );
                }
                Where::CredentialsFileVariable => {
                    environment.insert(
                        "ALIBABA_CLOUD_CREDENTIALS_FILE".to_owned(),
                        path.display().to_string(),
                    );
                }
                Where::SharedCredentialsFile => {
                    settings.credential_settings.shared_credentials_file =
                        Some(path.display().to_string());
                }
                Where::DefaultCli | Where::DefaultIni => {}
            }
            let error = resolve_within_a_deadline(settings, environment, home.path().to_owned())
                .expect_err(kind)
                .to_string();
            assert!(
                error.contains(&format!("{} {expected}", path.display())),
                "{kind}: {error}"
            );
        }
    }
}

/// Issue 17 item 3: a credentials file others can read is a warning, as ssh gives; a private one
/// is not.
#[test]
fn a_credentials_file_others_can_read_is_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    for (mode, warned) in [(0o600, false), (0o644, true), (0o640, true)] {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join(CLI);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, PROFILES).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let config = resolve(
            &ClientSettings::default(),
            &BTreeMap::new(),
            Some(home.path()),
        )
        .expect("the profile resolves");
        assert_eq!(
            !config.warnings.is_empty(),
            warned,
            "{mode:o}: {:?}",
            config.warnings
        );
        if warned {
            assert!(
                config.warnings[0].contains(&format!(
                    "can be read by other users (mode {mode:o}); make it private with chmod 600"
                )),
                "{:?}",
                config.warnings
            );
        }
    }
}

/// Issue 17 item 1: at the end of the chain, the instance role is asked of the metadata service;
/// the plan keeps every place looked in before, for the error if there is no role either.
#[test]
fn the_default_chain_keeps_every_place_it_looked_in() {
    let home = tempfile::tempdir().unwrap();
    let config = resolve(
        &settings(None, None, Some("cn-hangzhou")),
        &BTreeMap::new(),
        Some(home.path()),
    )
    .unwrap();
    let CredentialPlan::EcsRamRole {
        role_name: None,
        source: CredentialsSource::DefaultChain { looked_in },
        ..
    } = &config.credentials
    else {
        panic!("{:?}", config.credentials)
    };
    let looked_in = looked_in.join("; ");
    for fragment in [
        "the provider config",
        "ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALICLOUD_ACCESS_KEY, ALICLOUD_SECRET_KEY, ALIBABACLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_OIDC_TOKEN_FILE or ALIBABA_CLOUD_OIDC_TOKEN",
        ".aliyun/config.json (not found)",
        ".alibabacloud/credentials (not found)",
        ".alibabacloud/credentials.ini (not found)",
        "ALIBABA_CLOUD_ECS_METADATA, ALICLOUD_ECS_ROLE_NAME",
        "ALIBABA_CLOUD_CREDENTIALS_URI, ALICLOUD_CREDENTIALS_URI",
    ] {
        assert!(looked_in.contains(fragment), "{fragment}: {looked_in}");
    }
}

// ---- the table as data (tests/tables/credentials.json) ----

use alicloud_kms_provider::provider::config::{
    settings_from_checked_inputs, settings_from_configure,
};
use alicloud_kms_provider::resources::kms_access::client_settings;
use alicloud_kms_provider::resources::{PropertyMap, PropertyValue};
use serde::Deserialize;

use crate::common;

/// The table file: the secrets no message may hold, and the cases.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    #[allow(dead_code)]
    about: String,
    secrets: Vec<String>,
    cases: Vec<TableCase>,
}

/// One case as written in the table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TableCase {
    name: String,
    #[serde(default)]
    config: serde_json::Map<String, serde_json::Value>,
    unchecked: Option<String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    #[serde(default)]
    files: BTreeMap<String, FileContents>,
    plan: Option<String>,
    #[serde(default, deserialize_with = "present")]
    region: Option<Option<String>>,
    base_url: Option<String>,
    sts_url: Option<String>,
    signature_algorithm: Option<String>,
    error: Option<Vec<String>>,
}

/// A `null` that was written, told apart from a field left out.
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FileContents {
    Text(String),
    Fixture { fixture: String },
}

/// One case, built: what `resolve` is given and what must come out.
#[derive(Debug, PartialEq)]
struct DataCase {
    name: String,
    settings: ClientSettings,
    environment: BTreeMap<String, String>,
    /// Files to create under the temporary HOME: path relative to HOME → contents.
    files: BTreeMap<String, String>,
    expected: DataExpected,
}

#[derive(Debug, PartialEq)]
enum DataExpected {
    Resolved {
        plan: String,
        region: Option<String>,
        base_url: String,
        sts_url: Option<String>,
        algorithm: Option<SignatureAlgorithm>,
    },
    /// Every fragment must appear in the message.
    Error { fragments: Vec<String> },
}

/// The provider's arguments as `configure` receives them, mapped by the provider's own mapper.
/// `unchecked` cases skip `configure`'s check: they hold what `configure` refuses or rewrites
/// (a blank or malformed setting, half a key pair, `protocol` in lower case), to test that the
/// resolver, which any library user may call with any settings, refuses or reads them alike.
fn settings_of(name: &str, config: PropertyMap, unchecked: bool) -> ClientSettings {
    let configured = settings_from_configure(&BTreeMap::new(), Some(config.clone()));
    if !unchecked {
        let settings = configured
            .unwrap_or_else(|failures| panic!("{name}: configure refuses the config: {failures:?}; mark the case unchecked if that is the point"));
        return client_settings(&settings);
    }
    let settings = client_settings(&settings_from_checked_inputs(&config));
    if let Ok(checked) = configured {
        assert_ne!(
            client_settings(&checked),
            settings,
            "{name}: configure takes this config as it is: the case need not be unchecked"
        );
    }
    settings
}

fn read_cases() -> (Vec<String>, Vec<DataCase>) {
    let table: Table = serde_json::from_value(common::read_table("credentials.json"))
        .unwrap_or_else(|error| panic!("tests/tables/credentials.json: {error}"));
    let fixtures = common::fixture_path("fixtures/credentials");
    let cases = table
        .cases
        .into_iter()
        .map(|case| {
            let name = case.name;
            let config: PropertyMap = case
                .config
                .into_iter()
                .map(|(key, value)| (key, PropertyValue::from_wire(value)))
                .collect();
            let files = case
                .files
                .into_iter()
                .map(|(path, contents)| {
                    let contents = match contents {
                        FileContents::Text(text) => text,
                        FileContents::Fixture { fixture } => std::fs::read_to_string(
                            fixtures.join(&fixture),
                        )
                        .unwrap_or_else(|error| panic!("{name}: fixture {fixture}: {error}")),
                    };
                    (path, contents)
                })
                .collect();
            let expected = match (case.plan, case.error) {
                (Some(plan), None) => DataExpected::Resolved {
                    plan,
                    region: case.region.unwrap_or_else(|| {
                        panic!("{name}: a resolved case names its region (null for none)")
                    }),
                    base_url: case
                        .base_url
                        .unwrap_or_else(|| panic!("{name}: a resolved case names its baseUrl")),
                    sts_url: case.sts_url,
                    algorithm: case.signature_algorithm.map(|text| {
                        SignatureAlgorithm::parse(&text)
                            .unwrap_or_else(|| panic!("{name}: signatureAlgorithm {text:?}"))
                    }),
                },
                (None, Some(fragments)) => {
                    assert!(
                        case.region.is_none()
                            && case.base_url.is_none()
                            && case.sts_url.is_none()
                            && case.signature_algorithm.is_none(),
                        "{name}: an error case expects only its fragments"
                    );
                    DataExpected::Error { fragments }
                }
                _ => panic!("{name}: a case expects either a plan or an error"),
            };
            DataCase {
                settings: settings_of(&name, config, case.unchecked.is_some()),
                name,
                environment: case.environment,
                files,
                expected,
            }
        })
        .collect();
    (table.secrets, cases)
}

// ---- TEMPORARY: the old Rust table written as data, then compared with it ----

fn text(value: &str) -> String {
    serde_json::to_string(value).unwrap()
}

fn config_of(s: &ClientSettings) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut put = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            out.push((key.to_owned(), value));
        }
    };
    put("region", s.region.as_deref().map(text));
    put("accessKey", s.access_key.as_deref().map(text));
    put(
        "secretKey",
        s.secret_key.as_ref().map(|v| text(v.expose_secret())),
    );
    put(
        "securityToken",
        s.security_token.as_ref().map(|v| text(v.expose_secret())),
    );
    put("endpoint", s.endpoint.as_deref().map(text));
    put("protocol", s.protocol.as_deref().map(text));
    let c = &s.credential_settings;
    put("profile", c.profile.as_deref().map(text));
    put(
        "sharedCredentialsFile",
        c.shared_credentials_file.as_deref().map(text),
    );
    put("ecsRoleName", c.ecs_role_name.as_deref().map(text));
    put(
        "credentialsUri",
        c.credentials_uri.as_ref().map(|v| text(v.expose_secret())),
    );
    put(
        "assumeRole",
        c.assume_role.as_ref().map(|r| {
            let mut fields = Vec::new();
            if let Some(v) = &r.role_arn {
                fields.push(format!("\"roleArn\": {}", text(v)));
            }
            if let Some(v) = &r.session_name {
                fields.push(format!("\"sessionName\": {}", text(v)));
            }
            if let Some(v) = &r.session_expiration {
                fields.push(format!("\"sessionExpiration\": {v}"));
            }
            if let Some(v) = &r.policy {
                fields.push(format!("\"policy\": {}", text(v)));
            }
            if let Some(v) = &r.external_id {
                fields.push(format!("\"externalId\": {}", text(v.expose_secret())));
            }
            format!("{{{}}}", fields.join(", "))
        }),
    );
    put(
        "assumeRoleWithOidc",
        c.assume_role_with_oidc.as_ref().map(|r| {
            let mut fields = Vec::new();
            if let Some(v) = &r.role_arn {
                fields.push(format!("\"roleArn\": {}", text(v)));
            }
            if let Some(v) = &r.oidc_provider_arn {
                fields.push(format!("\"oidcProviderArn\": {}", text(v)));
            }
            if let Some(v) = &r.oidc_token_file {
                fields.push(format!("\"oidcTokenFile\": {}", text(v)));
            }
            if let Some(v) = &r.oidc_token {
                fields.push(format!("\"oidcToken\": {}", text(v.expose_secret())));
            }
            if let Some(v) = &r.role_session_name {
                fields.push(format!("\"roleSessionName\": {}", text(v)));
            }
            if let Some(v) = &r.session_expiration {
                fields.push(format!("\"sessionExpiration\": {v}"));
            }
            if let Some(v) = &r.policy {
                fields.push(format!("\"policy\": {}", text(v)));
            }
            format!("{{{}}}", fields.join(", "))
        }),
    );
    put("stsEndpoint", c.sts_endpoint.as_deref().map(text));
    put(
        "signatureAlgorithm",
        c.signature_algorithm.map(|a| text(a.as_str())),
    );
    out
}

fn object(pairs: &[(String, String)]) -> String {
    let fields: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}: {v}", text(k)))
        .collect();
    format!("{{{}}}", fields.join(", "))
}

#[test]
#[ignore]
fn dump_old_cases_as_data() {
    let profiles = PROFILES;
    let mut out = String::new();
    out.push_str("{\n  \"about\": \"TODO\",\n  \"secrets\": [");
    out.push_str(
        &ALL_SECRETS
            .iter()
            .map(|s| text(s))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push_str("],\n  \"cases\": [\n");
    let cases = cases();
    for (index, case) in cases.iter().enumerate() {
        let mut lines = vec![format!("\"name\": {}", text(case.name))];
        let config = config_of(&case.settings);
        if !config.is_empty() {
            lines.push(format!("\"config\": {}", object(&config)));
            let map: serde_json::Map<String, serde_json::Value> = config
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::from_str(v).unwrap()))
                .collect();
            let props: PropertyMap = map
                .into_iter()
                .map(|(k, v)| (k, PropertyValue::from_wire(v)))
                .collect();
            let ok = matches!(settings_from_configure(&BTreeMap::new(), Some(props)), Ok(s) if client_settings(&s) == case.settings);
            if !ok {
                lines.push("\"unchecked\": \"TODO\"".to_owned());
            }
        }
        if !case.environment.is_empty() {
            let pairs: Vec<(String, String)> = case
                .environment
                .iter()
                .map(|(k, v)| (k.to_string(), text(v)))
                .collect();
            lines.push(format!("\"environment\": {}", object(&pairs)));
        }
        if !case.files.is_empty() {
            let pairs: Vec<(String, String)> = case
                .files
                .iter()
                .map(|(path, contents)| {
                    let value = if *contents == profiles {
                        "{\"fixture\": \"cli-profiles.json\"}".to_owned()
                    } else if *contents == INI_FILE {
                        "{\"fixture\": \"credentials.ini\"}".to_owned()
                    } else {
                        text(contents)
                    };
                    (path.to_string(), value)
                })
                .collect();
            lines.push(format!("\"files\": {}", object(&pairs)));
        }
        match &case.expected {
            Expected::Resolved {
                plan,
                region,
                base_url,
            } => {
                lines.push(format!("\"plan\": {}", text(plan)));
                lines.push(format!(
                    "\"region\": {}",
                    region.map_or("null".to_owned(), text)
                ));
                lines.push(format!("\"baseUrl\": {}", text(base_url)));
            }
            Expected::ResolvedWith {
                plan,
                base_url,
                sts_url,
                algorithm,
            } => {
                let config = run(case).expect("resolves");
                lines.push(format!("\"plan\": {}", text(plan)));
                lines.push(format!(
                    "\"region\": {}",
                    config.region.as_deref().map_or("null".to_owned(), text)
                ));
                lines.push(format!("\"baseUrl\": {}", text(base_url)));
                lines.push(format!("\"stsUrl\": {}", text(sts_url)));
                lines.push(format!(
                    "\"signatureAlgorithm\": {}",
                    text(algorithm.as_str())
                ));
            }
            Expected::Error { fragments } => {
                lines.push(format!(
                    "\"error\": [{}]",
                    fragments
                        .iter()
                        .map(|f| text(f))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        out.push_str("    {\n      ");
        out.push_str(&lines.join(",\n      "));
        out.push_str("\n    }");
        out.push_str(if index + 1 < cases.len() { ",\n" } else { "\n" });
    }
    out.push_str("  ]\n}\n");
    std::fs::write(common::fixture_path("tables/credentials.json"), out).unwrap();
}

/// Every case of the old Rust table, built from the data, is the same case.
#[test]
fn the_data_table_is_the_old_rust_table() {
    let old = cases();
    let (secrets, new) = read_cases();
    assert_eq!(
        secrets,
        ALL_SECRETS
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        old.iter().map(|c| c.name).collect::<Vec<_>>(),
        new.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        "names in order"
    );
    for (old, new) in old.iter().zip(&new) {
        let name = old.name;
        assert_eq!(old.settings, new.settings, "{name}: settings");
        let environment: BTreeMap<String, String> = old
            .environment
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(
            environment.len(),
            old.environment.len(),
            "{name}: a variable twice"
        );
        assert_eq!(environment, new.environment, "{name}: environment");
        let files: BTreeMap<String, String> = old
            .files
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(files.len(), old.files.len(), "{name}: a file twice");
        assert_eq!(files, new.files, "{name}: files");
        match (&old.expected, &new.expected) {
            (
                Expected::Resolved {
                    plan,
                    region,
                    base_url,
                },
                expected,
            ) => assert_eq!(
                *expected,
                DataExpected::Resolved {
                    plan: plan.to_string(),
                    region: region.map(str::to_owned),
                    base_url: base_url.to_string(),
                    sts_url: None,
                    algorithm: None
                },
                "{name}"
            ),
            (
                Expected::ResolvedWith {
                    plan,
                    base_url,
                    sts_url,
                    algorithm,
                },
                DataExpected::Resolved {
                    plan: p,
                    region: _,
                    base_url: b,
                    sts_url: s,
                    algorithm: a,
                },
            ) => {
                // The data names the region too (checked when the table runs); the old did not.
                assert_eq!(
                    (*plan, *base_url, Some(*sts_url), Some(*algorithm)),
                    (p.as_str(), b.as_str(), s.as_deref(), *a),
                    "{name}"
                );
            }
            (Expected::Error { fragments }, expected) => assert_eq!(
                *expected,
                DataExpected::Error {
                    fragments: fragments.iter().map(|f| f.to_string()).collect()
                },
                "{name}"
            ),
            _ => panic!("{name}: not the same kind of expectation"),
        }
    }
    eprintln!("{} cases, every one equal", new.len());
    assert_eq!(old.len(), new.len());
}

fn run_data(case: &DataCase) -> Result<ResolvedConfig, CredentialsError> {
    let home = tempfile::tempdir().expect("temporary HOME");
    for (relative, contents) in &case.files {
        let path = home.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write a file");
    }
    resolve(&case.settings, &case.environment, Some(home.path()))
}

/// Every case of `tests/tables/credentials.json`; no secret of the table's list appears in a
/// message, a `Debug` print or the plan's `Display`.
#[test]
fn resolution_table_from_data() {
    let (secrets, cases) = read_cases();
    let no_leak = |name: &str, what: &str, text: &str| {
        for leaked in &secrets {
            assert!(
                !text.contains(leaked.as_str()),
                "{name}: {what} leaks {leaked}: {text}"
            );
        }
    };
    for case in &cases {
        let name = &case.name;
        match (&case.expected, run_data(case)) {
            (
                DataExpected::Resolved {
                    plan,
                    region,
                    base_url,
                    sts_url,
                    algorithm,
                },
                Ok(config),
            ) => {
                assert_eq!(describe(&config.credentials), *plan, "{name}");
                assert_eq!(config.region, *region, "{name}");
                assert_eq!(config.base_url(), *base_url, "{name}");
                if let Some(sts_url) = sts_url {
                    assert_eq!(config.sts_base_url(), *sts_url, "{name}");
                }
                if let Some(algorithm) = algorithm {
                    assert_eq!(config.signature_algorithm, *algorithm, "{name}");
                }
                no_leak(name, "Debug", &format!("{config:?} {:?}", case.settings));
                no_leak(name, "Display of the plan", &config.credentials.to_string());
            }
            (DataExpected::Error { fragments }, Err(error)) => {
                let text = error.to_string();
                for fragment in fragments {
                    assert!(
                        text.contains(fragment.as_str()),
                        "{name}: {text:?} lacks {fragment:?}"
                    );
                }
                no_leak(name, "error", &text);
                assert!(!text.ends_with('.'), "{name}: trailing period");
            }
            (DataExpected::Error { .. }, Ok(config)) => {
                panic!("{name}: unexpectedly resolved {config:?}")
            }
            (_, Err(error)) => panic!("{name}: unexpected error {error}"),
        }
    }
    // A floor, so that a table emptied by mistake fails: lower it only when removing a case.
    assert!(cases.len() >= 88, "the table has {} cases", cases.len());
}
