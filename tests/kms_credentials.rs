//! Credential, region and endpoint resolution, table-tested with a temporary HOME and an injected
//! environment (the process environment is never read or changed here).

use std::collections::BTreeMap;

use alicloud_kms_provider::kms::{
    resolve, ClientSettings, CredentialsError, CredentialsSource, ResolvedConfig, Scheme,
    SecretString,
};

/// One row: inputs, and what must come out.
struct Case {
    name: &'static str,
    settings: ClientSettings,
    environment: &'static [(&'static str, &'static str)],
    /// Contents of `~/.aliyun/config.json`, if the file should exist.
    profile_file: Option<&'static str>,
    expected: Expected,
}

enum Expected {
    Resolved {
        access_key_id: &'static str,
        secret: &'static str,
        token: Option<&'static str>,
        source: &'static str,
        region: Option<&'static str>,
        base_url: &'static str,
    },
    Error {
        /// Every fragment must appear in the message.
        fragments: &'static [&'static str],
    },
}

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

const PROFILES: &str = r#"{
  "current": "work",
  "profiles": [
    {"name": "default", "mode": "AK", "access_key_id": "default-id", "access_key_secret": "default-secret", "region_id": "cn-beijing"},
    {"name": "work", "mode": "AK", "access_key_id": "work-id", "access_key_secret": "work-secret", "region_id": "cn-shanghai"},
    {"name": "temp", "mode": "StsToken", "access_key_id": "STS.temp-id", "access_key_secret": "temp-secret", "sts_token": "temp-token", "region_id": "ap-southeast-1"},
    {"name": "role", "mode": "RamRoleArn", "access_key_id": "role-id", "access_key_secret": "role-secret", "ram_role_arn": "acs:ram::1:role/x"},
    {"name": "half", "mode": "AK", "access_key_id": "half-id"}
  ]
}"#;

fn source_text(source: &CredentialsSource) -> String {
    match source {
        CredentialsSource::ProviderConfig => "config".to_owned(),
        CredentialsSource::Environment { variable } => format!("env:{variable}"),
        CredentialsSource::ProfileFile { profile, .. } => format!("profile:{profile}"),
    }
}

fn run(case: &Case) -> Result<ResolvedConfig, CredentialsError> {
    let home = tempfile::tempdir().expect("temporary HOME");
    if let Some(contents) = case.profile_file {
        std::fs::create_dir_all(home.path().join(".aliyun")).expect("mkdir");
        std::fs::write(home.path().join(".aliyun/config.json"), contents).expect("write profile");
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
            profile_file: None,
            expected: Resolved {
                access_key_id: "cfg-id",
                secret: "cfg-secret",
                token: None,
                source: "config",
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
            profile_file: Some(PROFILES),
            expected: Resolved {
                access_key_id: "cfg-id",
                secret: "cfg-secret",
                token: Some("cfg-token"),
                source: "config",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "a token in the environment is not mixed into config credentials",
            settings: settings(Some("cfg-id"), Some("cfg-secret"), Some("cn-hangzhou")),
            environment: &[("ALIBABA_CLOUD_SECURITY_TOKEN", "env-token")],
            profile_file: None,
            expected: Resolved {
                access_key_id: "cfg-id",
                secret: "cfg-secret",
                token: None,
                source: "config",
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
            profile_file: Some(PROFILES),
            expected: Resolved {
                access_key_id: "STS.env-id",
                secret: "env-secret",
                token: Some("env-token"),
                source: "env:ALIBABA_CLOUD_ACCESS_KEY_ID",
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
            profile_file: None,
            expected: Resolved {
                access_key_id: "old-id",
                secret: "old-secret",
                token: Some("old-token"),
                source: "env:ALICLOUD_ACCESS_KEY",
                region: Some("cn-qingdao"),
                base_url: "https://kms.cn-qingdao.aliyuncs.com/",
            },
        },
        Case {
            name: "current names win over older ones; empty values count as unset",
            settings: settings(Some(""), None, Some("")),
            environment: &[
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", "new-id"),
                ("ALICLOUD_ACCESS_KEY", "old-id"),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ""),
                ("ALICLOUD_SECRET_KEY", "old-secret"),
                ("ALIBABA_CLOUD_REGION", ""),
                ("ALICLOUD_REGION", "cn-hangzhou"),
            ],
            profile_file: None,
            expected: Resolved {
                access_key_id: "new-id",
                secret: "old-secret",
                token: None,
                source: "env:ALIBABA_CLOUD_ACCESS_KEY_ID",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "profile file, current profile, its region",
            settings: ClientSettings::default(),
            environment: &[],
            profile_file: Some(PROFILES),
            expected: Resolved {
                access_key_id: "work-id",
                secret: "work-secret",
                token: None,
                source: "profile:work",
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
            profile_file: Some(PROFILES),
            expected: Resolved {
                access_key_id: "STS.temp-id",
                secret: "temp-secret",
                token: Some("temp-token"),
                source: "profile:temp",
                region: Some("cn-hangzhou"),
                base_url: "https://kms.cn-hangzhou.aliyuncs.com/",
            },
        },
        Case {
            name: "older ALICLOUD_PROFILE selects a profile",
            settings: ClientSettings::default(),
            environment: &[("ALICLOUD_PROFILE", "default")],
            profile_file: Some(PROFILES),
            expected: Resolved {
                access_key_id: "default-id",
                secret: "default-secret",
                token: None,
                source: "profile:default",
                region: Some("cn-beijing"),
                base_url: "https://kms.cn-beijing.aliyuncs.com/",
            },
        },
        Case {
            name: "without current, the profile named default",
            settings: ClientSettings::default(),
            environment: &[],
            profile_file: Some(
                r#"{"profiles":[{"name":"default","mode":"AK","access_key_id":"d-id","access_key_secret":"d-secret","region_id":"cn-beijing"}]}"#,
            ),
            expected: Resolved {
                access_key_id: "d-id",
                secret: "d-secret",
                token: None,
                source: "profile:default",
                region: Some("cn-beijing"),
                base_url: "https://kms.cn-beijing.aliyuncs.com/",
            },
        },
        Case {
            name: "config credentials, region from the profile",
            settings: settings(Some("cfg-id"), Some("cfg-secret"), None),
            environment: &[],
            profile_file: Some(PROFILES),
            expected: Resolved {
                access_key_id: "cfg-id",
                secret: "cfg-secret",
                token: None,
                source: "config",
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
            profile_file: None,
            expected: Resolved {
                access_key_id: "id",
                secret: "secret",
                token: None,
                source: "config",
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
            profile_file: None,
            expected: Resolved {
                access_key_id: "id",
                secret: "secret",
                token: None,
                source: "config",
                region: Some("cn-hangzhou"),
                base_url: "http://localhost:9000/",
            },
        },
        Case {
            name: "nothing anywhere names every place looked",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_REGION", "cn-hangzhou")],
            profile_file: None,
            expected: Error {
                fragments: &[
                    "no alibaba cloud credentials found",
                    "the provider config (accessKey, secretKey)",
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
            profile_file: None,
            expected: Error {
                fragments: &["incomplete credentials in the provider config", "secretKey"],
            },
        },
        Case {
            name: "half a pair in the environment",
            settings: ClientSettings::default(),
            environment: &[("ALICLOUD_SECRET_KEY", "old-secret")],
            profile_file: None,
            expected: Error {
                fragments: &[
                    "incomplete credentials in the environment",
                    "ALICLOUD_SECRET_KEY is set",
                    "ALIBABA_CLOUD_ACCESS_KEY_ID",
                ],
            },
        },
        Case {
            name: "unsupported profile mode",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "role")],
            profile_file: Some(PROFILES),
            expected: Error {
                fragments: &["\"role\"", "RamRoleArn", "AK or StsToken"],
            },
        },
        Case {
            name: "profile without its secret",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "half")],
            profile_file: Some(PROFILES),
            expected: Error {
                fragments: &[
                    "incomplete credentials in profile \"half\"",
                    "access_key_secret is missing",
                ],
            },
        },
        Case {
            name: "a profile asked for by name must exist",
            settings: ClientSettings::default(),
            environment: &[("ALIBABA_CLOUD_PROFILE", "nope")],
            profile_file: Some(PROFILES),
            expected: Error {
                fragments: &["has no profile named \"nope\""],
            },
        },
        Case {
            name: "a malformed profile file is reported, without its contents",
            settings: ClientSettings::default(),
            environment: &[],
            profile_file: Some(
                r#"{"profiles": [{"name": "x", "access_key_secret": "leaky-secret""#,
            ),
            expected: Error {
                fragments: &["is not a valid profile file", "line"],
            },
        },
        Case {
            name: "no region and no endpoint",
            settings: settings(Some("id"), Some("secret"), None),
            environment: &[],
            profile_file: None,
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
            profile_file: None,
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
            profile_file: None,
            expected: Error {
                fragments: &["disagrees with the protocol"],
            },
        },
        Case {
            name: "endpoint with a path",
            settings: ClientSettings {
                endpoint: Some("kms.example.com/evil?x=1".to_owned()),
                ..settings(Some("id"), Some("secret"), None)
            },
            environment: &[],
            profile_file: None,
            expected: Error {
                fragments: &["invalid kms endpoint", "without a path"],
            },
        },
        Case {
            name: "region that cannot be a host name",
            settings: settings(Some("id"), Some("secret"), Some("cn-hangzhou.evil.com/")),
            environment: &[],
            profile_file: None,
            expected: Error {
                fragments: &["invalid region"],
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
];

#[test]
fn resolution_table() {
    for case in cases() {
        let result = run(&case);
        match (&case.expected, result) {
            (
                Expected::Resolved {
                    access_key_id,
                    secret,
                    token,
                    source,
                    region,
                    base_url,
                },
                Ok(config),
            ) => {
                assert_eq!(
                    config.credentials.access_key_id, *access_key_id,
                    "{}",
                    case.name
                );
                assert_eq!(
                    config.credentials.access_key_secret.expose_secret(),
                    *secret,
                    "{}",
                    case.name
                );
                assert_eq!(
                    config
                        .credentials
                        .security_token
                        .as_ref()
                        .map(SecretString::expose_secret),
                    *token,
                    "{}",
                    case.name
                );
                assert_eq!(
                    source_text(&config.credentials_source),
                    *source,
                    "{}",
                    case.name
                );
                assert_eq!(config.region.as_deref(), *region, "{}", case.name);
                assert_eq!(config.base_url(), *base_url, "{}", case.name);
                let debugged = format!("{config:?} {:?}", case.settings);
                for leaked in ALL_SECRETS {
                    assert!(
                        !debugged.contains(leaked),
                        "{}: Debug leaks {leaked}: {debugged}",
                        case.name
                    );
                }
            }
            (Expected::Error { fragments }, Err(error)) => {
                let text = error.to_string();
                for fragment in *fragments {
                    assert!(
                        text.contains(fragment),
                        "{}: {text:?} lacks {fragment:?}",
                        case.name
                    );
                }
                for leaked in ALL_SECRETS {
                    assert!(
                        !text.contains(leaked),
                        "{}: error leaks {leaked}: {text}",
                        case.name
                    );
                }
                assert!(!text.ends_with('.'), "{}: trailing period", case.name);
            }
            (Expected::Resolved { .. }, Err(error)) => {
                panic!("{}: unexpected error {error}", case.name)
            }
            (Expected::Error { .. }, Ok(config)) => {
                panic!("{}: unexpectedly resolved {config:?}", case.name)
            }
        }
    }
}

#[test]
fn without_a_home_directory_the_error_says_so() {
    let error =
        resolve(&ClientSettings::default(), &BTreeMap::new(), None).expect_err("nothing set");
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
