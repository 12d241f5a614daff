//! Reads the Alibaba Cloud CLI profile file (`~/.aliyun/config.json`, or the file
//! `sharedCredentialsFile` names) and turns a profile into a [`CredentialPlan`].
//!
//! Modes (the field names are the CLI's, `aliyun configure --mode ...`):
//!
//! | mode | fields read | plan |
//! |---|---|---|
//! | `AK` (also when `mode` is missing) | `access_key_id`, `access_key_secret` | static key |
//! | `StsToken` | the same, `sts_token` | static key with token |
//! | `RamRoleArn` | the AK fields, `ram_role_arn`, `ram_session_name`, `expired_seconds`, `policy`, `external_id` | role assumed with the key |
//! | `ChainableRamRoleArn` | `source_profile`, then the role fields as above | role assumed with the source profile's credential |
//! | `EcsRamRole` | `ram_role_name` | instance metadata |
//! | `OIDC` | `ram_role_arn`, `oidc_provider_arn`, `oidc_token_file`, `ram_session_name` (or `role_session_name`), `expired_seconds`, `policy` | OIDC token exchange |
//! | `CredentialsURI` | `credentials_uri` | credentials URL |
//!
//! Other modes (`CloudSSO`, `OAuth`, `External`, ...) need interactive or external programs and
//! give a clear error. Mode names are compared without regard to case, as the CLI does. A chain of
//! `source_profile`s that loops is an error.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::roles::{self, RoleDefaults};
use crate::kms::credentials::error::CredentialsError;
use crate::kms::credentials::plan::{
    AssumeRole, CredentialPlan, Credentials, CredentialsSource, OidcRole,
};
use crate::kms::secret::SecretString;

/// The file, relative to the home directory.
pub const PROFILE_FILE_RELATIVE_PATH: &str = ".aliyun/config.json";

/// The profile used when neither a setting nor the file's `current` names one (the name the
/// Alibaba Cloud CLI gives its first profile).
pub const DEFAULT_PROFILE_NAME: &str = "default";

/// The modes this provider reads, for messages.
const SUPPORTED_MODES: &str =
    "AK, StsToken, RamRoleArn, ChainableRamRoleArn, EcsRamRole, OIDC or CredentialsURI";

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    current: Option<String>,
    #[serde(default)]
    profiles: Vec<CliProfile>,
}

/// One profile, with every field any supported mode reads.
#[derive(Deserialize, Default)]
struct CliProfile {
    name: String,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    access_key_id: Option<String>,
    #[serde(default)]
    access_key_secret: Option<SecretString>,
    #[serde(default)]
    sts_token: Option<SecretString>,
    #[serde(default)]
    ram_role_arn: Option<String>,
    #[serde(default)]
    ram_session_name: Option<String>,
    #[serde(default)]
    role_session_name: Option<String>,
    #[serde(default)]
    expired_seconds: Option<u32>,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    external_id: Option<SecretString>,
    #[serde(default)]
    source_profile: Option<String>,
    #[serde(default)]
    ram_role_name: Option<String>,
    #[serde(default)]
    oidc_provider_arn: Option<String>,
    #[serde(default)]
    oidc_token_file: Option<String>,
    #[serde(default)]
    credentials_uri: Option<SecretString>,
    #[serde(default)]
    region_id: Option<String>,
}

/// A parsed CLI profile file.
pub(crate) struct CliProfileFile {
    pub path: PathBuf,
    current: Option<String>,
    profiles: Vec<CliProfile>,
}

/// The default path under a home directory.
pub(crate) fn default_path(home_dir: &Path) -> PathBuf {
    home_dir.join(PROFILE_FILE_RELATIVE_PATH)
}

/// Reads and parses the file; `Ok(None)` when it does not exist.
pub(crate) fn read_file(path: &Path) -> Result<Option<CliProfileFile>, CredentialsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(CredentialsError::ProfileFile {
                path: path.to_owned(),
                problem: format!("cannot be read: {error}"),
            });
        }
    };
    parse(path, &text).map(Some)
}

/// Parses the file's text. The serde error is kept short and value-free: a line and a column.
pub(crate) fn parse(path: &Path, text: &str) -> Result<CliProfileFile, CredentialsError> {
    let raw: RawFile =
        serde_json::from_str(text).map_err(|error| CredentialsError::ProfileFile {
            path: path.to_owned(),
            problem: format!(
                "is not a valid profile file (line {}, column {})",
                error.line(),
                error.column()
            ),
        })?;
    Ok(CliProfileFile {
        path: path.to_owned(),
        current: non_empty(raw.current),
        profiles: raw.profiles,
    })
}

impl CliProfileFile {
    /// The profile to use: `requested` (from a setting or the environment), else the file's
    /// `current`, else [`DEFAULT_PROFILE_NAME`]; the bool says whether it was asked for by name.
    pub fn selected_name(&self, requested: Option<&str>) -> (String, bool) {
        match (requested, &self.current) {
            (Some(requested), _) => (requested.to_owned(), true),
            (None, Some(current)) => (current.clone(), true),
            (None, None) => (DEFAULT_PROFILE_NAME.to_owned(), false),
        }
    }

    /// Whether the file has a profile of this name.
    pub fn has_profile(&self, name: &str) -> bool {
        self.profile(name).is_some()
    }

    fn profile(&self, name: &str) -> Option<&CliProfile> {
        self.profiles.iter().find(|profile| profile.name == name)
    }

    /// The `region_id` of a profile, if it has one.
    pub fn region_of(&self, name: &str) -> Option<String> {
        self.profile(name)
            .and_then(|profile| non_empty(profile.region_id.clone()))
    }

    /// The plan of profile `name`; `environment_defaults` fill what a role profile leaves out.
    pub fn plan(
        &self,
        name: &str,
        defaults: &RoleDefaults,
    ) -> Result<CredentialPlan, CredentialsError> {
        let mut visited = BTreeSet::new();
        self.plan_of(name, defaults, &mut visited)
    }

    fn plan_of(
        &self,
        name: &str,
        defaults: &RoleDefaults,
        visited: &mut BTreeSet<String>,
    ) -> Result<CredentialPlan, CredentialsError> {
        if !visited.insert(name.to_owned()) {
            return Err(CredentialsError::ProfileFile {
                path: self.path.clone(),
                problem: format!("has a source_profile chain that loops back to {name:?}"),
            });
        }
        let profile = self
            .profile(name)
            .ok_or_else(|| CredentialsError::ProfileFile {
                path: self.path.clone(),
                problem: format!("has no profile named {name:?}"),
            })?;
        let source = CredentialsSource::ProfileFile {
            path: self.path.clone(),
            profile: name.to_owned(),
        };
        let place = source.to_string();
        let missing = |field: &str, mode: &str| CredentialsError::IncompleteCredentials {
            place: place.clone(),
            problem: format!("mode {mode} needs {field}, which is missing"),
        };
        let mode = non_empty(profile.mode.clone()).unwrap_or_else(|| "AK".to_owned());
        let static_key = |mode: &str, with_token: bool| -> Result<Credentials, CredentialsError> {
            let access_key_id = non_empty(profile.access_key_id.clone())
                .ok_or_else(|| missing("access_key_id", mode))?;
            let access_key_secret = non_empty_secret(profile.access_key_secret.clone())
                .ok_or_else(|| missing("access_key_secret", mode))?;
            let security_token = if with_token {
                Some(
                    non_empty_secret(profile.sts_token.clone())
                        .ok_or_else(|| missing("sts_token", mode))?,
                )
            } else {
                None
            };
            Ok(Credentials {
                access_key_id,
                access_key_secret,
                security_token,
            })
        };
        let role = |mode: &str| -> Result<AssumeRole, CredentialsError> {
            let role_arn = non_empty(profile.ram_role_arn.clone())
                .ok_or_else(|| missing("ram_role_arn", mode))?;
            roles::assume_role(
                &place,
                "ram_role_arn",
                role_arn,
                non_empty(profile.ram_session_name.clone()),
                profile.expired_seconds.filter(|seconds| *seconds > 0),
                non_empty(profile.policy.clone()),
                non_empty_secret(profile.external_id.clone()),
                defaults,
            )
        };
        let canonical = [
            "AK",
            "StsToken",
            "RamRoleArn",
            "ChainableRamRoleArn",
            "EcsRamRole",
            "OIDC",
            "CredentialsURI",
        ]
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(&mode));
        match canonical {
            Some("AK") => Ok(CredentialPlan::Static {
                credentials: static_key("AK", false)?,
                source,
            }),
            Some("StsToken") => Ok(CredentialPlan::Static {
                credentials: static_key("StsToken", true)?,
                source,
            }),
            Some("RamRoleArn") => {
                let credentials = static_key("RamRoleArn", false)?;
                let role = role("RamRoleArn")?;
                Ok(CredentialPlan::AssumeRole {
                    base: Box::new(CredentialPlan::Static {
                        credentials,
                        source: source.clone(),
                    }),
                    role,
                    source,
                })
            }
            Some("ChainableRamRoleArn") => {
                let source_profile = non_empty(profile.source_profile.clone())
                    .ok_or_else(|| missing("source_profile", "ChainableRamRoleArn"))?;
                let role = role("ChainableRamRoleArn")?;
                let base = self.plan_of(&source_profile, defaults, visited)?;
                Ok(CredentialPlan::AssumeRole {
                    base: Box::new(base),
                    role,
                    source,
                })
            }
            Some("EcsRamRole") => Ok(CredentialPlan::EcsRamRole {
                role_name: non_empty(profile.ram_role_name.clone())
                    .ok_or_else(|| missing("ram_role_name", "EcsRamRole"))?,
                allow_imds_v1: defaults.allow_imds_v1,
                source,
            }),
            Some("OIDC") => {
                let role_arn = non_empty(profile.ram_role_arn.clone())
                    .ok_or_else(|| missing("ram_role_arn", "OIDC"))?;
                let provider_arn = non_empty(profile.oidc_provider_arn.clone())
                    .ok_or_else(|| missing("oidc_provider_arn", "OIDC"))?;
                let token_file = non_empty(profile.oidc_token_file.clone())
                    .ok_or_else(|| missing("oidc_token_file", "OIDC"))?;
                let role: OidcRole = roles::oidc_role(
                    &place,
                    "ram_role_arn",
                    role_arn,
                    provider_arn,
                    token_file,
                    non_empty(profile.ram_session_name.clone())
                        .or_else(|| non_empty(profile.role_session_name.clone())),
                    profile.expired_seconds.filter(|seconds| *seconds > 0),
                    non_empty(profile.policy.clone()),
                    defaults,
                )?;
                Ok(CredentialPlan::Oidc { role, source })
            }
            Some(_) => Ok(CredentialPlan::CredentialsUri {
                uri: non_empty_secret(profile.credentials_uri.clone())
                    .ok_or_else(|| missing("credentials_uri", "CredentialsURI"))?,
                source,
            }),
            None => Err(CredentialsError::UnsupportedProfileMode {
                path: self.path.clone(),
                profile: name.to_owned(),
                what: "mode",
                mode,
                supported: SUPPORTED_MODES,
            }),
        }
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|value| !value.trim().is_empty())
}

fn non_empty_secret(value: Option<SecretString>) -> Option<SecretString> {
    value.filter(|value| !value.is_empty())
}
