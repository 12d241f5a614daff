//! Reads the Alibaba Cloud CLI profile file (`~/.aliyun/config.json`), the last place
//! `credentials::resolve` looks.
//!
//! Only the modes that carry static credentials are supported: `AK` (an AccessKey pair) and
//! `StsToken` (an AccessKey pair plus a security token). Role-based modes (`RamRoleArn`,
//! `EcsRamRole`, ...) need calls to STS or the metadata service, which this provider does not
//! make; a profile in such a mode gives a clear error rather than being skipped silently.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::kms::credentials::CredentialsError;
use crate::kms::secret::SecretString;

/// The file, relative to the home directory.
pub const PROFILE_FILE_RELATIVE_PATH: &str = ".aliyun/config.json";

/// The profile used when neither the environment nor the file's `current` names one (the name
/// the Alibaba Cloud CLI gives its first profile).
pub const DEFAULT_PROFILE_NAME: &str = "default";

#[derive(Deserialize)]
struct ProfileFile {
    #[serde(default)]
    current: Option<String>,
    #[serde(default)]
    profiles: Vec<Profile>,
}

#[derive(Deserialize)]
struct Profile {
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
    region_id: Option<String>,
}

/// The outcome of looking at the profile file.
#[derive(Debug)]
pub(crate) enum ProfileLookup {
    /// There is no file (or no home directory); `description` says where we looked.
    Absent { description: String },
    /// The file exists but has no profile of the default name, and no profile was asked for.
    NoDefaultProfile { path: PathBuf },
    /// The selected profile.
    Found(SelectedProfile),
}

/// The fields of the selected profile that matter here.
#[derive(Debug)]
pub(crate) struct SelectedProfile {
    pub path: PathBuf,
    pub name: String,
    pub mode: String,
    pub access_key_id: Option<String>,
    pub access_key_secret: Option<SecretString>,
    pub sts_token: Option<SecretString>,
    pub region_id: Option<String>,
}

/// Loads the profile file under `home_dir` and selects `requested_profile` (from the
/// environment) or else the file's `current`, or else [`DEFAULT_PROFILE_NAME`].
///
/// A missing file is not an error (it is one of the places looked); an unreadable or malformed
/// file, or a missing profile that was asked for by name, is.
pub(crate) fn load_profile(
    home_dir: Option<&Path>,
    requested_profile: Option<&str>,
) -> Result<ProfileLookup, CredentialsError> {
    let Some(home_dir) = home_dir else {
        return Ok(ProfileLookup::Absent {
            description: format!("~/{PROFILE_FILE_RELATIVE_PATH} (no home directory is known)"),
        });
    };
    let path = home_dir.join(PROFILE_FILE_RELATIVE_PATH);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(ProfileLookup::Absent {
                description: format!("{} (not found)", path.display()),
            });
        }
        Err(error) => {
            return Err(CredentialsError::ProfileFile {
                path,
                problem: format!("cannot be read: {error}"),
            });
        }
    };
    // The serde error text is kept short and value-free: it names a line and column only.
    let file: ProfileFile =
        serde_json::from_str(&text).map_err(|error| CredentialsError::ProfileFile {
            path: path.clone(),
            problem: format!(
                "is not a valid profile file (line {}, column {})",
                error.line(),
                error.column()
            ),
        })?;
    let current = file.current.filter(|name| !name.is_empty());
    let (wanted, explicitly_selected) = match (requested_profile, current) {
        (Some(requested), _) => (requested.to_owned(), true),
        (None, Some(current)) => (current, true),
        (None, None) => (DEFAULT_PROFILE_NAME.to_owned(), false),
    };
    let Some(profile) = file
        .profiles
        .into_iter()
        .find(|profile| profile.name == wanted)
    else {
        if explicitly_selected {
            return Err(CredentialsError::ProfileFile {
                path,
                problem: format!("has no profile named {wanted:?}"),
            });
        }
        return Ok(ProfileLookup::NoDefaultProfile { path });
    };
    Ok(ProfileLookup::Found(SelectedProfile {
        path,
        name: profile.name,
        mode: profile
            .mode
            .filter(|mode| !mode.is_empty())
            .unwrap_or_else(|| "AK".to_owned()),
        access_key_id: profile.access_key_id.filter(|value| !value.is_empty()),
        access_key_secret: profile.access_key_secret.filter(|value| !value.is_empty()),
        sts_token: profile.sts_token.filter(|value| !value.is_empty()),
        region_id: profile.region_id.filter(|value| !value.is_empty()),
    }))
}
