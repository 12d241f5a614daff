//! Whether any credential source is there at all, for the warning of a preview: answered from the
//! settings, the environment and whether the credential files exist, never reading a file or
//! touching the network. (`resolve`, at the first KMS call, reads the files and says what is wrong
//! with a source that is there; this only notices that nothing could resolve.)

use std::path::Path;

use super::files::expand_home;
use super::{cli_profile, configured_base_kinds, ini_file, ClientSettings};
use crate::kms::environment::{
    Environment, ACCESS_KEY_ID_VARIABLES, ACCESS_KEY_SECRET_VARIABLES,
    CLI_PROFILE_DISABLED_VARIABLE, CREDENTIALS_FILE_VARIABLE, CREDENTIALS_URI_VARIABLE,
    ECS_METADATA_DISABLED_VARIABLE, ECS_METADATA_VARIABLE, OIDC_PROVIDER_ARN_VARIABLE,
    OIDC_TOKEN_FILE_VARIABLE,
};

/// The places looked in, when not one base credential source is present in any of them: the
/// provider config, the environment, the CLI's file and the credentials file (by existence only).
/// `None` when some source is present, whether or not it will resolve.
pub fn missing_credential_sources(
    settings: &ClientSettings,
    environment: &dyn Environment,
    home_dir: Option<&Path>,
) -> Option<Vec<String>> {
    if !configured_base_kinds(settings).is_empty() {
        return None;
    }
    let variables: Vec<&str> = ACCESS_KEY_ID_VARIABLES
        .iter()
        .chain(&ACCESS_KEY_SECRET_VARIABLES)
        .copied()
        .chain([
            OIDC_PROVIDER_ARN_VARIABLE,
            OIDC_TOKEN_FILE_VARIABLE,
            CREDENTIALS_URI_VARIABLE,
        ])
        .collect();
    if variables
        .iter()
        .any(|variable| environment.non_empty(variable).is_some())
    {
        return None;
    }
    if !environment.is_true(ECS_METADATA_DISABLED_VARIABLE)
        && environment.non_empty(ECS_METADATA_VARIABLE).is_some()
    {
        return None;
    }
    let cli_file = home_dir.map(cli_profile::default_path);
    let cli_disabled = environment.is_true(CLI_PROFILE_DISABLED_VARIABLE);
    if !cli_disabled && cli_file.as_deref().is_some_and(Path::exists) {
        return None;
    }
    let ini_files: Vec<_> = match environment.non_empty(CREDENTIALS_FILE_VARIABLE) {
        Some(path) => vec![expand_home(&path, home_dir)],
        None => home_dir
            .map(|home| {
                vec![
                    home.join(ini_file::CREDENTIALS_FILE_RELATIVE_PATH),
                    home.join(ini_file::CREDENTIALS_INI_FILE_RELATIVE_PATH),
                ]
            })
            .unwrap_or_default(),
    };
    if ini_files.iter().any(|path| path.exists()) {
        return None;
    }
    let mut looked_in = vec![
        "the provider config (accessKey and secretKey, assumeRoleWithOidc, ecsRoleName, credentialsUri, profile)"
            .to_owned(),
        format!(
            "the environment ({}, {OIDC_PROVIDER_ARN_VARIABLE}, {ECS_METADATA_VARIABLE}, {CREDENTIALS_URI_VARIABLE})",
            variables[..ACCESS_KEY_ID_VARIABLES.len() + ACCESS_KEY_SECRET_VARIABLES.len()]
                .join(", ")
        ),
    ];
    match (&cli_file, cli_disabled) {
        (_, true) => looked_in.push(format!(
            "~/.aliyun/config.json (not read: {CLI_PROFILE_DISABLED_VARIABLE})"
        )),
        (Some(path), false) => looked_in.push(format!("{} (absent)", path.display())),
        (None, false) => looked_in.push("~/.aliyun/config.json (no home directory)".to_owned()),
    }
    for path in &ini_files {
        looked_in.push(format!("{} (absent)", path.display()));
    }
    Some(looked_in)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn missing(
        settings: &ClientSettings,
        variables: &[(&str, &str)],
        home: &Path,
    ) -> Option<Vec<String>> {
        let environment: HashMap<String, String> = variables
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        missing_credential_sources(settings, &environment, Some(home))
    }

    #[test]
    fn nothing_anywhere_names_every_place_looked_in() {
        let home = tempfile::tempdir().unwrap();
        let looked_in = missing(&ClientSettings::default(), &[], home.path()).unwrap();
        let text = looked_in.join("; ");
        for place in [
            "the provider config",
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "ALIBABA_CLOUD_CREDENTIALS_URI",
            ".aliyun/config.json (absent)",
            ".alibabacloud/credentials (absent)",
        ] {
            assert!(text.contains(place), "{place} missing from {text}");
        }
    }

    #[test]
    fn any_source_that_is_there_is_enough_whether_or_not_it_resolves() {
        let home = tempfile::tempdir().unwrap();
        let with_key = ClientSettings {
            access_key: Some("LTAI".to_owned()),
            ..ClientSettings::default()
        };
        assert_eq!(missing(&with_key, &[], home.path()), None);
        for variable in [
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI"),
            ("ALICLOUD_SECRET_KEY", "secret"),
            ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/token"),
            ("ALIBABA_CLOUD_ECS_METADATA", "role"),
            (
                "ALIBABA_CLOUD_CREDENTIALS_URI",
                "http://127.0.0.1/credentials",
            ),
        ] {
            assert_eq!(
                missing(&ClientSettings::default(), &[variable], home.path()),
                None,
                "{variable:?}"
            );
        }
        // The instance role is off when disabled.
        assert!(missing(
            &ClientSettings::default(),
            &[
                ("ALIBABA_CLOUD_ECS_METADATA", "role"),
                ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
            ],
            home.path()
        )
        .is_some());
    }

    #[test]
    fn the_files_count_by_existence_alone() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".aliyun")).unwrap();
        // Not even valid JSON: it is not read, only seen.
        std::fs::write(home.path().join(".aliyun/config.json"), "not json").unwrap();
        assert_eq!(missing(&ClientSettings::default(), &[], home.path()), None);
        let disabled = missing(
            &ClientSettings::default(),
            &[("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")],
            home.path(),
        )
        .unwrap();
        assert!(disabled.join("; ").contains("not read"), "{disabled:?}");

        let other = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(other.path().join(".alibabacloud")).unwrap();
        std::fs::write(other.path().join(".alibabacloud/credentials"), "").unwrap();
        assert_eq!(missing(&ClientSettings::default(), &[], other.path()), None);
        let named = other.path().join("named.ini");
        assert!(missing(
            &ClientSettings::default(),
            &[("ALIBABA_CLOUD_CREDENTIALS_FILE", "/nowhere/credentials.ini")],
            other.path()
        )
        .is_some());
        std::fs::write(&named, "").unwrap();
        assert_eq!(
            missing(
                &ClientSettings::default(),
                &[("ALIBABA_CLOUD_CREDENTIALS_FILE", named.to_str().unwrap())],
                other.path()
            ),
            None
        );
    }
}
