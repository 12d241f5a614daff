//! Reads the credentials INI file of the Alibaba Cloud SDKs (`~/.alibabacloud/credentials`, or
//! `ALIBABA_CLOUD_CREDENTIALS_FILE`, or `sharedCredentialsFile`) and turns a section into a
//! [`CredentialPlan`].
//!
//! Types (`type = ...`, with the SDKs' key names):
//!
//! | type | keys | plan |
//! |---|---|---|
//! | `access_key` | `access_key_id`, `access_key_secret` | static key |
//! | `ram_role_arn` | the same, `role_arn`, `role_session_name`, `policy` | role assumed with the key |
//! | `ecs_ram_role` | `role_name` (without it, the metadata service names the role) | instance metadata |
//! | `oidc_role_arn` | `role_arn`, `oidc_provider_arn`, `oidc_token_file_path`, `role_session_name`, `policy` | OIDC token exchange |
//!
//! The format: `[section]` lines, `key = value` lines (keys compared in lower case), comment lines
//! starting with `#` or `;`, and a comment after ` #` or ` ;` on a value line; a value in double
//! quotes loses them. `rsa_key_pair` and unknown types give a clear error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::roles::{self, RoleDefaults, RoleParts};
use crate::kms::credentials::error::CredentialsError;
use crate::kms::credentials::plan::{CredentialPlan, Credentials, CredentialsSource, OidcToken};

/// The file the Go and Java SDKs read, relative to the home directory.
pub const CREDENTIALS_FILE_RELATIVE_PATH: &str = ".alibabacloud/credentials";
/// The name the Python SDK reads instead; used when the first does not exist.
pub const CREDENTIALS_INI_FILE_RELATIVE_PATH: &str = ".alibabacloud/credentials.ini";

const SUPPORTED_TYPES: &str = "access_key, ram_role_arn, ecs_ram_role, oidc_role_arn";

/// A parsed credentials file: its sections, each a map of lower-case keys.
pub(crate) struct CredentialsFile {
    pub path: PathBuf,
    sections: BTreeMap<String, BTreeMap<String, String>>,
}

/// Parses the INI text. A line that is none of the above is an error naming its number only.
pub(crate) fn parse(path: &Path, text: &str) -> Result<CredentialsFile, CredentialsError> {
    let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for (index, raw_line) in text.lines().enumerate() {
        let line = raw_line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let malformed = |problem: &str| CredentialsError::ProfileFile {
            path: path.to_owned(),
            problem: format!(
                "is not a valid credentials file (line {}: {problem})",
                index + 1
            ),
        };
        if let Some(inside) = line.strip_prefix('[') {
            let name = inside
                .strip_suffix(']')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .ok_or_else(|| malformed("a section header is [name]"))?;
            sections.entry(name.to_owned()).or_default();
            current = Some(name.to_owned());
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| malformed("expected key = value"))?;
        let section = current
            .as_ref()
            .ok_or_else(|| malformed("a key before the first [section]"))?;
        let value = strip_inline_comment(value.trim());
        let value = value
            .strip_prefix('"')
            .and_then(|inner| inner.strip_suffix('"'))
            .unwrap_or(value);
        sections
            .get_mut(section)
            .expect("the section was inserted")
            .insert(key.trim().to_ascii_lowercase(), value.to_owned());
    }
    Ok(CredentialsFile {
        path: path.to_owned(),
        sections,
    })
}

fn strip_inline_comment(value: &str) -> &str {
    let cut = value
        .char_indices()
        .find(|&(index, character)| {
            matches!(character, '#' | ';') && value[..index].ends_with(char::is_whitespace)
        })
        .map(|(index, _)| index)
        .unwrap_or(value.len());
    value[..cut].trim_end()
}

impl CredentialsFile {
    /// Whether the file has a section of this name.
    pub fn has_profile(&self, name: &str) -> bool {
        self.sections.contains_key(name)
    }

    /// The plan of section `name`.
    pub fn plan(
        &self,
        name: &str,
        defaults: &RoleDefaults,
    ) -> Result<CredentialPlan, CredentialsError> {
        let section = self
            .sections
            .get(name)
            .ok_or_else(|| CredentialsError::ProfileFile {
                path: self.path.clone(),
                problem: format!("has no profile named {name:?}"),
            })?;
        let source = CredentialsSource::CredentialsFile {
            path: self.path.clone(),
            profile: name.to_owned(),
        };
        let place = source.to_string();
        let get = |key: &str| section.get(key).filter(|value| !value.is_empty()).cloned();
        let kind = get("type").unwrap_or_default();
        let require = |key: &str| {
            get(key).ok_or_else(|| CredentialsError::IncompleteCredentials {
                place: place.clone(),
                problem: format!("type {kind} needs {key}, which is missing"),
            })
        };
        let static_key = || -> Result<Credentials, CredentialsError> {
            roles::static_key(
                &place,
                &require("access_key_id")?,
                &require("access_key_secret")?,
                None,
            )
        };
        let role_parts = || -> Result<RoleParts, CredentialsError> {
            Ok(RoleParts {
                role_arn: require("role_arn")?,
                session_name: get("role_session_name"),
                policy: get("policy"),
                ..RoleParts::default()
            })
        };
        match kind.as_str() {
            "access_key" => Ok(CredentialPlan::Static {
                credentials: static_key()?,
                source,
            }),
            "ram_role_arn" => {
                let credentials = static_key()?;
                let role = roles::assume_role(&place, "role_arn", role_parts()?, None, defaults)?;
                Ok(CredentialPlan::AssumeRole {
                    base: Box::new(CredentialPlan::Static {
                        credentials,
                        source: source.clone(),
                    }),
                    role,
                    source,
                })
            }
            "ecs_ram_role" => Ok(CredentialPlan::EcsRamRole {
                role_name: get("role_name"),
                allow_imds_v1: defaults.allow_imds_v1,
                source,
            }),
            "oidc_role_arn" => {
                let role = roles::oidc_role(
                    &place,
                    "role_arn",
                    role_parts()?,
                    require("oidc_provider_arn")?,
                    OidcToken::File(require("oidc_token_file_path")?.into()),
                    defaults,
                )?;
                Ok(CredentialPlan::Oidc { role, source })
            }
            _ => Err(CredentialsError::UnsupportedProfileMode {
                path: self.path.clone(),
                profile: name.to_owned(),
                what: "type",
                mode: kind,
                supported: SUPPORTED_TYPES.to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keys_comments_and_quotes() {
        let text = "# leading comment\n[default]\ntype = access_key\nAccess_Key_Id = id # trailing\naccess_key_secret = \"se#cret\"\n\n[other]\n; comment\ntype=ecs_ram_role\nrole_name=r\n";
        let file = parse(Path::new("/f"), text).unwrap();
        assert!(file.has_profile("default") && file.has_profile("other"));
        let plan = file.plan("default", &RoleDefaults::default()).unwrap();
        let credentials = plan.static_credentials().unwrap();
        assert_eq!(credentials.access_key_id, "id");
        assert_eq!(credentials.access_key_secret.expose_secret(), "se#cret");
    }

    #[test]
    fn malformed_lines_name_the_line_only() {
        let error = parse(Path::new("/f"), "[a]\nsecret-value-without-equals\n")
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("line 2"), "{error}");
        assert!(!error.contains("secret-value"), "{error}");
    }
}
