//! Whether any credential source of the chain is there at all, for the warning of a preview:
//! answered from the settings, the environment and whether the credential files exist, never
//! reading a file or touching the network (a FIFO at a credential path would hang a reader; the
//! metadata service is asked only at the first KMS call). `resolve` reads the files and says what
//! is wrong with a source that is there; this only notices that nothing could resolve, but for the
//! ECS instance role, which only the metadata service can say.

use std::path::Path;

use super::profiles::ProfileFiles;
use super::variables::{
    Environment, ACCESS_KEY_FAMILIES, CLI_PROFILE_DISABLED_VARIABLE, CREDENTIALS_URI_VARIABLES,
    ECS_METADATA_DISABLED_VARIABLE, ECS_ROLE_NAME_VARIABLES, OIDC_PROVIDER_ARN_VARIABLE,
    OIDC_TOKEN_FILE_VARIABLE, OIDC_TOKEN_VARIABLE,
};
use crate::kms::credentials::{configured_base_kinds, ClientSettings};

/// The places looked in, when not one base credential source is present in any of them: the
/// provider config, the environment, the CLI's file and the credentials file (by existence only),
/// and last the instance role of the metadata service (not asked here). `None` when some source
/// is present, whether or not it will resolve.
pub fn missing_credential_sources(
    settings: &ClientSettings,
    environment: &dyn Environment,
    home_dir: Option<&Path>,
) -> Option<Vec<String>> {
    if !configured_base_kinds(settings).is_empty() {
        return None;
    }
    let key_variables: Vec<&str> = ACCESS_KEY_FAMILIES
        .iter()
        .flat_map(|family| [family.id, family.secret])
        .collect();
    let metadata_disabled = environment.is_true(ECS_METADATA_DISABLED_VARIABLE);
    let mut other_variables = vec![
        OIDC_PROVIDER_ARN_VARIABLE,
        OIDC_TOKEN_FILE_VARIABLE,
        OIDC_TOKEN_VARIABLE,
    ];
    if !metadata_disabled {
        other_variables.extend(ECS_ROLE_NAME_VARIABLES);
    }
    other_variables.extend(CREDENTIALS_URI_VARIABLES);
    if key_variables
        .iter()
        .chain(&other_variables)
        .any(|variable| environment.non_empty(variable).is_some())
    {
        return None;
    }
    let files = ProfileFiles::new(settings, environment, home_dir);
    let cli_disabled = environment.is_true(CLI_PROFILE_DISABLED_VARIABLE);
    let cli_file = files.cli_path();
    if !cli_disabled && cli_file.as_deref().is_some_and(Path::exists) {
        return None;
    }
    let credentials_files = files.credentials_paths();
    if credentials_files.iter().any(|path| path.exists()) {
        return None;
    }
    let mut looked_in = vec![
        "the provider config (accessKey and secretKey, assumeRoleWithOidc, ecsRoleName, credentialsUri, profile)"
            .to_owned(),
        format!(
            "the environment ({}, {})",
            key_variables.join(", "),
            other_variables.join(", ")
        ),
    ];
    match (&cli_file, cli_disabled) {
        (_, true) => looked_in.push(format!(
            "~/.aliyun/config.json (not read: {CLI_PROFILE_DISABLED_VARIABLE})"
        )),
        (Some(path), false) => looked_in.push(format!("{} (absent)", path.display())),
        (None, false) => looked_in.push("~/.aliyun/config.json (no home directory)".to_owned()),
    }
    for path in &credentials_files {
        looked_in.push(format!("{} (absent)", path.display()));
    }
    looked_in.push(if metadata_disabled {
        format!("the ECS instance's RAM role (off: {ECS_METADATA_DISABLED_VARIABLE})")
    } else {
        "the ECS instance's RAM role (asked of the metadata service at the first KMS call; there is one only on an ECS instance)"
            .to_owned()
    });
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
            "ALICLOUD_ACCESS_KEY",
            "ALIBABACLOUD_ACCESS_KEY_ID",
            "ALIBABA_CLOUD_CREDENTIALS_URI",
            "ALICLOUD_ECS_ROLE_NAME",
            ".aliyun/config.json (absent)",
            ".alibabacloud/credentials (absent)",
            ".alibabacloud/credentials.ini (absent)",
            "asked of the metadata service",
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
            ("ALIBABACLOUD_ACCESS_KEY_ID", "LTAI"),
            ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/token"),
            ("ALIBABA_CLOUD_OIDC_TOKEN", "token"),
            ("ALIBABA_CLOUD_ECS_METADATA", "role"),
            ("ALICLOUD_ECS_ROLE_NAME", "role"),
            (
                "ALIBABA_CLOUD_CREDENTIALS_URI",
                "http://127.0.0.1/credentials",
            ),
            ("ALICLOUD_CREDENTIALS_URI", "http://127.0.0.1/credentials"),
        ] {
            assert_eq!(
                missing(&ClientSettings::default(), &[variable], home.path()),
                None,
                "{variable:?}"
            );
        }
        // The instance role is off when disabled, named or discovered.
        let disabled = missing(
            &ClientSettings::default(),
            &[
                ("ALIBABA_CLOUD_ECS_METADATA", "role"),
                ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
            ],
            home.path(),
        )
        .unwrap();
        assert!(
            disabled
                .join("; ")
                .contains("off: ALIBABA_CLOUD_ECS_METADATA_DISABLED"),
            "{disabled:?}"
        );
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
        std::fs::write(other.path().join(".alibabacloud/credentials.ini"), "").unwrap();
        assert_eq!(missing(&ClientSettings::default(), &[], other.path()), None);
        // A file the environment names replaces the default places; it counts when it exists.
        let empty = tempfile::tempdir().unwrap();
        let named = empty.path().join("named");
        for variable in [
            "ALIBABA_CLOUD_CREDENTIALS_FILE",
            "ALICLOUD_SHARED_CREDENTIALS_FILE",
            "ALIBABA_CLOUD_CONFIG_FILE",
        ] {
            let _ = std::fs::remove_file(&named);
            let with_file = [(variable, named.to_str().unwrap())];
            assert!(
                missing(&ClientSettings::default(), &with_file, empty.path()).is_some(),
                "{variable}"
            );
            std::fs::write(&named, "").unwrap();
            assert_eq!(
                missing(&ClientSettings::default(), &with_file, empty.path()),
                None,
                "{variable}"
            );
        }
    }
}
