//! The Alibaba Cloud CLI's profile file (`~/.aliyun/config.json`, `ALIBABA_CLOUD_CONFIG_FILE`, or
//! a JSON `sharedCredentialsFile`): a profile turned into a [`CredentialPlan`].
//!
//! Modes (the field names are the CLI's, `aliyun configure --mode ...`):
//!
//! | mode | fields read | plan |
//! |---|---|---|
//! | `AK` (also when `mode` is missing) | `access_key_id`, `access_key_secret` | static key |
//! | `StsToken` | the same, `sts_token` | static key with token |
//! | `RamRoleArn` | the AK fields, `ram_role_arn`, `ram_session_name`, `expired_seconds`, `policy`, `external_id` | role assumed with the key |
//! | `ChainableRamRoleArn` | `source_profile`, then the role fields as above | role assumed with the source profile's credential |
//! | `EcsRamRole` | `ram_role_name` (without it, the metadata service names the role) | instance metadata |
//! | `OIDC` | `ram_role_arn`, `oidc_provider_arn`, `oidc_token_file`, `ram_session_name` (or `role_session_name`), `expired_seconds`, `policy` | OIDC token exchange |
//! | `CredentialsURI` | `credentials_uri` | credentials URL |
//! | `External` | `process_command` | the program's output |
//! | `CloudSSO` | `cloud_sso_sign_in_url`, `cloud_sso_account_id`, `cloud_sso_access_config`, `access_token`, `cloud_sso_access_token_expire`, the stored STS fields | the CloudSSO portal |
//! | `OAuth` | `oauth_site_type`, `oauth_access_token`, `oauth_access_token_expire`, `oauth_refresh_token`, the stored STS fields | the OAuth exchange |
//!
//! The stored STS fields are `access_key_id`, `access_key_secret`, `sts_token` and
//! `sts_expiration` (seconds since the epoch). The role modes also read `sts_region` and
//! `enable_vpc`, which choose the role's STS host. Mode names are compared without regard to
//! case, as the CLI does; a chain of `source_profile`s that loops is an error.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::roles::{self, RoleDefaults, RoleParts};
use crate::kms::credentials::error::CredentialsError;
use crate::kms::credentials::plan::{
    CloudSsoLogin, CredentialPlan, CredentialsSource, OAuthLogin, OidcToken, StoredSts,
};
use crate::kms::endpoint::is_valid_region;
use crate::kms::secret::SecretString;

/// The file, relative to the home directory.
pub const PROFILE_FILE_RELATIVE_PATH: &str = ".aliyun/config.json";

/// The profile used when neither a setting nor the file's `current` names one (the name the
/// Alibaba Cloud CLI gives its first profile).
pub const DEFAULT_PROFILE_NAME: &str = "default";

/// The modes this provider reads, in the CLI's spelling.
const SUPPORTED_MODES: [&str; 10] = [
    "AK",
    "StsToken",
    "RamRoleArn",
    "ChainableRamRoleArn",
    "EcsRamRole",
    "OIDC",
    "CredentialsURI",
    "External",
    "CloudSSO",
    "OAuth",
];

/// The OAuth sites of the CLI (`oauth_site_type`): the sign-in host and the CLI's application id
/// there (`provider/cli_profile.py` of alibabacloud-credentials).
const OAUTH_SITES: [(&str, &str, &str); 2] = [
    ("CN", "https://oauth.aliyun.com", "4038181954557748008"),
    (
        "INTL",
        "https://oauth.alibabacloud.com",
        "4103531455503354461",
    ),
];

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    current: Option<String>,
    #[serde(default)]
    profiles: Vec<CliProfile>,
}

/// One profile, with every field any supported mode reads.
#[derive(Deserialize, Default)]
#[serde(default)]
struct CliProfile {
    name: String,
    mode: Option<String>,
    access_key_id: Option<String>,
    access_key_secret: Option<SecretString>,
    sts_token: Option<SecretString>,
    sts_expiration: Option<i64>,
    sts_region: Option<String>,
    enable_vpc: Option<bool>,
    ram_role_arn: Option<String>,
    ram_session_name: Option<String>,
    role_session_name: Option<String>,
    expired_seconds: Option<u32>,
    policy: Option<String>,
    external_id: Option<SecretString>,
    source_profile: Option<String>,
    ram_role_name: Option<String>,
    oidc_provider_arn: Option<String>,
    oidc_token_file: Option<String>,
    credentials_uri: Option<SecretString>,
    process_command: Option<String>,
    cloud_sso_sign_in_url: Option<String>,
    cloud_sso_account_id: Option<String>,
    cloud_sso_access_config: Option<String>,
    access_token: Option<SecretString>,
    cloud_sso_access_token_expire: Option<i64>,
    oauth_site_type: Option<String>,
    oauth_access_token: Option<SecretString>,
    oauth_access_token_expire: Option<i64>,
    oauth_refresh_token: Option<SecretString>,
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

    /// The plan of profile `name`; `defaults` fill what a role profile leaves out.
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
        let mode_text = non_empty(profile.mode.clone()).unwrap_or_else(|| "AK".to_owned());
        let Some(mode) = SUPPORTED_MODES
            .into_iter()
            .find(|known| known.eq_ignore_ascii_case(&mode_text))
        else {
            return Err(CredentialsError::UnsupportedProfileMode {
                path: self.path.clone(),
                profile: name.to_owned(),
                what: "mode",
                mode: mode_text,
                supported: SUPPORTED_MODES.join(", "),
            });
        };
        let reader = ProfileReader {
            profile,
            place: source.to_string(),
            mode,
            defaults,
        };
        match mode {
            "AK" => Ok(CredentialPlan::Static {
                credentials: reader.static_key(false)?,
                source,
            }),
            "StsToken" => Ok(CredentialPlan::Static {
                credentials: reader.static_key(true)?,
                source,
            }),
            "RamRoleArn" => {
                let credentials = reader.static_key(false)?;
                Ok(CredentialPlan::AssumeRole {
                    base: Box::new(CredentialPlan::Static {
                        credentials,
                        source: source.clone(),
                    }),
                    role: reader.role()?,
                    source,
                })
            }
            "ChainableRamRoleArn" => {
                let source_profile = reader.require("source_profile", &profile.source_profile)?;
                let role = reader.role()?;
                let base = self.plan_of(&source_profile, defaults, visited)?;
                Ok(CredentialPlan::AssumeRole {
                    base: Box::new(base),
                    role,
                    source,
                })
            }
            "EcsRamRole" => Ok(CredentialPlan::EcsRamRole {
                role_name: non_empty(profile.ram_role_name.clone()),
                allow_imds_v1: defaults.allow_imds_v1,
                source,
            }),
            "OIDC" => {
                let role_arn = reader.require("ram_role_arn", &profile.ram_role_arn)?;
                let provider_arn =
                    reader.require("oidc_provider_arn", &profile.oidc_provider_arn)?;
                let token_file = reader.require("oidc_token_file", &profile.oidc_token_file)?;
                let role = roles::oidc_role(
                    &reader.place,
                    "ram_role_arn",
                    RoleParts {
                        role_arn,
                        session_name: non_empty(profile.ram_session_name.clone())
                            .or_else(|| non_empty(profile.role_session_name.clone())),
                        duration: profile.expired_seconds.filter(|seconds| *seconds > 0),
                        policy: non_empty(profile.policy.clone()),
                        sts_endpoint: reader.sts_endpoint()?,
                    },
                    provider_arn,
                    OidcToken::File(PathBuf::from(token_file)),
                    defaults,
                )?;
                Ok(CredentialPlan::Oidc { role, source })
            }
            "CredentialsURI" => Ok(CredentialPlan::CredentialsUri {
                uri: reader.require_secret("credentials_uri", &profile.credentials_uri)?,
                source,
            }),
            "External" => {
                let command = reader.require("process_command", &profile.process_command)?;
                let words =
                    split_command(&command).ok_or_else(|| CredentialsError::InvalidSetting {
                        setting: "process_command".to_owned(),
                        place: reader.place.clone(),
                        problem: "it has an unclosed quote".to_owned(),
                    })?;
                Ok(CredentialPlan::External {
                    command: words,
                    source,
                })
            }
            "CloudSSO" => Ok(CredentialPlan::CloudSso {
                login: Box::new(CloudSsoLogin {
                    sign_in_url: reader
                        .require("cloud_sso_sign_in_url", &profile.cloud_sso_sign_in_url)?,
                    account_id: reader
                        .require("cloud_sso_account_id", &profile.cloud_sso_account_id)?,
                    access_configuration_id: reader
                        .require("cloud_sso_access_config", &profile.cloud_sso_access_config)?,
                    access_token: non_empty_secret(profile.access_token.clone()),
                    access_token_expires_at: profile.cloud_sso_access_token_expire.unwrap_or(0),
                    stored: reader.stored_sts()?,
                    profile: name.to_owned(),
                }),
                source,
            }),
            _ => {
                let site =
                    non_empty(profile.oauth_site_type.clone()).unwrap_or_else(|| "CN".to_owned());
                let (_, sign_in_url, client_id) = OAUTH_SITES
                    .into_iter()
                    .find(|(name, _, _)| name.eq_ignore_ascii_case(&site))
                    .ok_or_else(|| CredentialsError::InvalidSetting {
                        setting: "oauth_site_type".to_owned(),
                        place: reader.place.clone(),
                        problem: "it must be CN or INTL".to_owned(),
                    })?;
                Ok(CredentialPlan::OAuth {
                    login: Box::new(OAuthLogin {
                        sign_in_url: sign_in_url.to_owned(),
                        client_id,
                        access_token: non_empty_secret(profile.oauth_access_token.clone()),
                        access_token_expires_at: profile.oauth_access_token_expire.unwrap_or(0),
                        refresh_token: non_empty_secret(profile.oauth_refresh_token.clone()),
                        stored: reader.stored_sts()?,
                        profile_file: self.path.clone(),
                        profile: name.to_owned(),
                    }),
                    source,
                })
            }
        }
    }
}

/// Reads the fields of one profile in one mode, with messages that name both.
struct ProfileReader<'a> {
    profile: &'a CliProfile,
    place: String,
    mode: &'static str,
    defaults: &'a RoleDefaults,
}

impl ProfileReader<'_> {
    fn missing(&self, field: &str) -> CredentialsError {
        CredentialsError::IncompleteCredentials {
            place: self.place.clone(),
            problem: format!("mode {} needs {field}, which is missing", self.mode),
        }
    }

    fn require(&self, field: &str, value: &Option<String>) -> Result<String, CredentialsError> {
        non_empty(value.clone()).ok_or_else(|| self.missing(field))
    }

    fn require_secret(
        &self,
        field: &str,
        value: &Option<SecretString>,
    ) -> Result<SecretString, CredentialsError> {
        non_empty_secret(value.clone()).ok_or_else(|| self.missing(field))
    }

    fn static_key(
        &self,
        with_token: bool,
    ) -> Result<crate::kms::credentials::plan::Credentials, CredentialsError> {
        let id = self.require("access_key_id", &self.profile.access_key_id)?;
        let secret = self.require_secret("access_key_secret", &self.profile.access_key_secret)?;
        let token = if with_token {
            Some(self.require_secret("sts_token", &self.profile.sts_token)?)
        } else {
            None
        };
        roles::static_key(
            &self.place,
            &id,
            secret.expose_secret(),
            token.as_ref().map(SecretString::expose_secret),
        )
    }

    fn role(&self) -> Result<crate::kms::credentials::plan::AssumeRole, CredentialsError> {
        let profile = self.profile;
        roles::assume_role(
            &self.place,
            "ram_role_arn",
            RoleParts {
                role_arn: self.require("ram_role_arn", &profile.ram_role_arn)?,
                session_name: non_empty(profile.ram_session_name.clone()),
                duration: profile.expired_seconds.filter(|seconds| *seconds > 0),
                policy: non_empty(profile.policy.clone()),
                sts_endpoint: self.sts_endpoint()?,
            },
            non_empty_secret(profile.external_id.clone()),
            self.defaults,
        )
    }

    /// The role's STS host from `sts_region` and `enable_vpc`, as the credentials library builds
    /// it: `sts[-vpc].<region>.aliyuncs.com`, the region being `sts_region`, else
    /// `ALIBABA_CLOUD_STS_REGION`, else the profile's `region_id`; `enable_vpc` falls back to
    /// `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`. An explicit `stsEndpoint` (or
    /// `ALIBABA_CLOUD_STS_ENDPOINT`) wins over both.
    fn sts_endpoint(&self) -> Result<Option<String>, CredentialsError> {
        let profile = self.profile;
        let sts_region = non_empty(profile.sts_region.clone());
        if self.defaults.explicit_sts_endpoint
            || (sts_region.is_none() && profile.enable_vpc.is_none())
        {
            return Ok(None);
        }
        let region = sts_region
            .or_else(|| self.defaults.sts_region.clone())
            .or_else(|| non_empty(profile.region_id.clone()));
        let Some(region) = region else {
            return Ok(None);
        };
        if !is_valid_region(&region) {
            return Err(CredentialsError::InvalidRegion {
                place: format!("{} (sts_region)", self.place),
            });
        }
        let prefix = if profile.enable_vpc.unwrap_or(self.defaults.vpc_sts) {
            "sts-vpc"
        } else {
            "sts"
        };
        Ok(Some(format!("{prefix}.{region}.aliyuncs.com")))
    }

    /// The temporary key a login left in the profile, when it is whole.
    fn stored_sts(&self) -> Result<Option<StoredSts>, CredentialsError> {
        let profile = self.profile;
        let (Some(id), Some(secret), Some(token), Some(expires_at)) = (
            non_empty(profile.access_key_id.clone()),
            non_empty_secret(profile.access_key_secret.clone()),
            non_empty_secret(profile.sts_token.clone()),
            profile.sts_expiration.filter(|seconds| *seconds > 0),
        ) else {
            return Ok(None);
        };
        Ok(Some(StoredSts {
            credentials: roles::static_key(
                &self.place,
                &id,
                secret.expose_secret(),
                Some(token.expose_secret()),
            )?,
            expires_at,
        }))
    }
}

/// Splits a command line into words as a POSIX shell would, without expanding anything: white
/// space separates words, single quotes keep everything, double quotes keep everything but `\"`
/// and `\\`, and a backslash outside quotes keeps the next character. `None` for an unclosed
/// quote. (The credentials library uses Python's `shlex.split`, which follows the same rules.)
pub(crate) fn split_command(command: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut characters = command.chars();
    while let Some(character) = characters.next() {
        match character {
            '\'' => {
                in_word = true;
                loop {
                    match characters.next()? {
                        '\'' => break,
                        other => word.push(other),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match characters.next()? {
                        '"' => break,
                        '\\' => match characters.next()? {
                            escaped @ ('"' | '\\') => word.push(escaped),
                            other => {
                                word.push('\\');
                                word.push(other);
                            }
                        },
                        other => word.push(other),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(characters.next()?);
            }
            space if space.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|value| !value.trim().is_empty())
}

fn non_empty_secret(value: Option<SecretString>) -> Option<SecretString> {
    value.filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_like_a_shell() {
        let cases: [(&str, Option<&[&str]>); 6] = [
            (
                "get-creds --profile ci",
                Some(&["get-creds", "--profile", "ci"]),
            ),
            (
                "  'a b'  \"c \\\" d\" e\\ f ",
                Some(&["a b", "c \" d", "e f"]),
            ),
            ("x ''", Some(&["x", ""])),
            ("\"a\\nb\"", Some(&["a\\nb"])),
            ("'unclosed", None),
            ("", Some(&[])),
        ];
        for (command, expected) in cases {
            let words = split_command(command);
            assert_eq!(
                words
                    .as_deref()
                    .map(|words| words.iter().map(String::as_str).collect::<Vec<_>>()),
                expected.map(<[&str]>::to_vec),
                "{command}"
            );
        }
    }
}
