//! Credential, region and endpoint resolution (`kms::resolve`), table-tested with a temporary
//! HOME and an injected environment (the process environment is never read or changed here).
//!
//! The table is data: `tests/tables/credentials.json` (its `about` says what a case holds).
//! A case's `config` is the provider's arguments as `configure` receives them, and its
//! `alicloud` is pulumi-alicloud's stack config; both are turned into the resolver's settings by
//! the provider's own mapper (`settings_from_configure`, then `client_settings`). Files are given
//! inline or as fixtures of `tests/fixtures/credentials/` (the CLI profile file, the credentials
//! INI file). Adding a case is adding an entry there. The expectations stay in the table, written
//! by the case's author (see [`resolution_table`]).
//!
//! Each resolved case states the whole credential plan as one line:
//! `static(id,secret,token)@source`, `assume(role,session,seconds[,policy][,external])@source <- base`,
//! `oidc(role,provider,token file or inline,session,seconds)@source`, `ecs(role or ?,v1=bool)@source`,
//! `uri(url)@source`, `external(word|word)@source`, `cloudsso(portal,account,access config)@source`,
//! `oauth(site)@source`; a role with its own STS host adds `,sts=<host>`; a source is `config`,
//! `env:<VARIABLE>`, `profile:<name>` (CLI file), `ini:<name>` (credentials file) or `chain` (the
//! instance role the metadata service names, at the end of the chain).
//!
//! The tests after the table (hostile files, FIFOs, permissions, the default chain) are not rows
//! of it: each builds its own HOME.

use std::collections::BTreeMap;

use alicloud_kms_provider::kms::credentials::OidcToken;
use alicloud_kms_provider::kms::{
    resolve, ClientSettings, CredentialPlan, CredentialsError, CredentialsSource, ResolvedConfig,
    Scheme, SecretString, SignatureAlgorithm,
};
use alicloud_kms_provider::provider::config::{
    settings_from_checked_inputs, settings_from_configure, ALICLOUD_KEY_PREFIX,
};
use alicloud_kms_provider::resources::kms_access::client_settings;
use alicloud_kms_provider::resources::{PropertyMap, PropertyValue};
use serde::Deserialize;

use crate::common::{self, TableFile};

/// The CLI profile file, relative to HOME.
const CLI: &str = ".aliyun/config.json";
/// The credentials INI file, relative to HOME.
const INI: &str = ".alibabacloud/credentials";

/// One case as written in the table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TableCase {
    name: String,
    #[serde(default)]
    config: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    alicloud: serde_json::Map<String, serde_json::Value>,
    /// Why the case skips `configure`'s check (see [`settings_of`]).
    unchecked: Option<String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    #[serde(default)]
    files: BTreeMap<String, TableFile>,
    plan: Option<String>,
    /// Required with `plan`; `null` expects no region.
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

/// One case, built: what `resolve` is given and what must come out.
struct Case {
    name: String,
    settings: ClientSettings,
    environment: BTreeMap<String, String>,
    /// Files to create under the temporary HOME: path relative to HOME → contents.
    files: BTreeMap<String, String>,
    expected: Expected,
}

enum Expected {
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

/// The provider's own arguments (`config`, as `configure`'s `args`) and pulumi-alicloud's stack
/// config (`alicloud`, sent as `alicloud:config:<name>` variables, the text the engine sends:
/// a string as it is, anything else as JSON), mapped by the provider's own mapper.
/// `unchecked` cases skip `configure`'s check: they hold what `configure` refuses or rewrites
/// (a blank or malformed setting, half a key pair, `protocol` in lower case), to test that the
/// resolver, which any library user may call with any settings, refuses or reads them alike.
fn settings_of(
    name: &str,
    config: PropertyMap,
    alicloud: serde_json::Map<String, serde_json::Value>,
    unchecked: bool,
) -> ClientSettings {
    let variables: BTreeMap<String, String> = alicloud
        .into_iter()
        .map(|(key, value)| {
            let text = match value {
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            };
            (format!("{ALICLOUD_KEY_PREFIX}{key}"), text)
        })
        .collect();
    let configured = settings_from_configure(&variables, Some(config.clone()));
    if !unchecked {
        let settings = configured
            .unwrap_or_else(|failures| panic!("{name}: configure refuses the config: {failures:?}; mark the case unchecked if that is the point"));
        return client_settings(&settings);
    }
    assert!(
        variables.is_empty(),
        "{name}: an unchecked case gives config only"
    );
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

/// The table's secrets and its cases, built.
fn read_cases() -> (Vec<String>, Vec<Case>) {
    common::read_credential_table("credentials.json", |case: TableCase| {
        let name = case.name;
        let config: PropertyMap = case
            .config
            .into_iter()
            .map(|(key, value)| (key, PropertyValue::from_wire(value)))
            .collect();
        let files = case
            .files
            .into_iter()
            .map(|(path, file)| (path, file.contents()))
            .collect();
        let expected = match (case.plan, case.error) {
            (Some(plan), None) => Expected::Resolved {
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
                Expected::Error { fragments }
            }
            _ => panic!("{name}: a case expects either a plan or an error"),
        };
        if let Some(reason) = &case.unchecked {
            assert!(!reason.trim().is_empty(), "{name}: unchecked says why");
        }
        Case {
            settings: settings_of(&name, config, case.alicloud, case.unchecked.is_some()),
            name,
            environment: case.environment,
            files,
            expected,
        }
    })
}

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
    for (relative, contents) in &case.files {
        let path = home.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write a file");
    }
    resolve(&case.settings, &case.environment, Some(home.path()))
}

/// Every case of `tests/tables/credentials.json`; no secret of the table's list appears in a
/// message, a `Debug` print or the plan's `Display`.
///
/// The expectations are written in the table, not kept as an insta snapshot as the check and
/// diff tables' replies are: each case states a precedence rule (which source wins), and its
/// one-line plan or its error fragments are the rule itself, written by whoever adds the case.
/// A snapshot would accept whatever the resolver does once reviewed, and a whole error message
/// would tie every case to wording the fragments leave free.
#[test]
fn resolution_table() {
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
        match (&case.expected, run(case)) {
            (
                Expected::Resolved {
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
            (Expected::Error { fragments }, Err(error)) => {
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
            (Expected::Error { .. }, Ok(config)) => {
                panic!("{name}: unexpectedly resolved {config:?}")
            }
            (_, Err(error)) => panic!("{name}: unexpected error {error}"),
        }
    }
    // A floor, so that a table emptied by mistake fails: lower it only when removing a case.
    assert!(cases.len() >= 91, "the table has {} cases", cases.len());
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
        &ClientSettings {
            region: Some("cn-hangzhou".to_owned()),
            access_key: Some("id".to_owned()),
            secret_key: Some(SecretString::new("secret")),
            ..ClientSettings::default()
        },
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
        std::fs::write(&path, common::credential_fixture("cli-profiles.json")).unwrap();
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
        &ClientSettings {
            region: Some("cn-hangzhou".to_owned()),
            ..ClientSettings::default()
        },
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
