//! The credential files of the chain: the CLI's JSON file and the SDKs' INI file, each read at
//! most once and only when needed, the profile they are asked for, and `sharedCredentialsFile`
//! (either format, told apart by its first character).

use std::path::{Path, PathBuf};

use super::plan::CredentialPlan;
use super::roles::RoleDefaults;
use super::{cli_profile, ini_file, non_empty, ClientSettings, CredentialsError};
use crate::kms::environment::{
    Environment, CLI_PROFILE_DISABLED_VARIABLE, CREDENTIALS_FILE_VARIABLE, PROFILE_VARIABLES,
};

/// The credential files, each read at most once and only when needed.
pub(super) struct ProfileFiles<'a> {
    settings: &'a ClientSettings,
    environment: &'a dyn Environment,
    home_dir: Option<&'a Path>,
    cli: Option<Option<cli_profile::CliProfileFile>>,
}

/// The format of a file, guessed from its first character: the CLI file is JSON.
fn looks_like_json(path: &Path) -> bool {
    std::fs::read(path).ok().and_then(|bytes| {
        bytes
            .iter()
            .copied()
            .find(|byte| !byte.is_ascii_whitespace())
    }) == Some(b'{')
}

impl<'a> ProfileFiles<'a> {
    pub(super) fn new(
        settings: &'a ClientSettings,
        environment: &'a dyn Environment,
        home_dir: Option<&'a Path>,
    ) -> ProfileFiles<'a> {
        ProfileFiles {
            settings,
            environment,
            home_dir,
            cli: None,
        }
    }

    /// The profile asked for by name: the `profile` setting, else the environment.
    fn requested_profile(&self) -> Option<String> {
        non_empty(self.settings.credential_settings.profile.as_deref()).or_else(|| {
            self.environment
                .first_non_empty(&PROFILE_VARIABLES)
                .map(|(_, name)| name)
        })
    }

    fn explicit_file(&self) -> Option<PathBuf> {
        non_empty(
            self.settings
                .credential_settings
                .shared_credentials_file
                .as_deref(),
        )
        .map(|path| expand_home(&path, self.home_dir))
    }

    /// The CLI file: `sharedCredentialsFile` when it is JSON, else the default one.
    fn cli_file(&mut self) -> Result<Option<&cli_profile::CliProfileFile>, CredentialsError> {
        if self.cli.is_none() {
            let path = match self.explicit_file() {
                Some(path) if looks_like_json(&path) => Some(path),
                Some(_) => None,
                None => self.home_dir.map(cli_profile::default_path),
            };
            let file = match path {
                Some(path) => cli_profile::read_file(&path)?,
                None => None,
            };
            self.cli = Some(file);
        }
        Ok(self.cli.as_ref().and_then(Option::as_ref))
    }

    fn ini_path(&self) -> Option<PathBuf> {
        if let Some(path) = self.explicit_file() {
            return (!looks_like_json(&path)).then_some(path);
        }
        if let Some(path) = self.environment.non_empty(CREDENTIALS_FILE_VARIABLE) {
            return Some(expand_home(&path, self.home_dir));
        }
        let home = self.home_dir?;
        let primary = home.join(ini_file::CREDENTIALS_FILE_RELATIVE_PATH);
        if primary.exists() {
            return Some(primary);
        }
        let python_name = home.join(ini_file::CREDENTIALS_INI_FILE_RELATIVE_PATH);
        Some(if python_name.exists() {
            python_name
        } else {
            primary
        })
    }

    /// `profile` / `sharedCredentialsFile` from the provider config: the profile must exist in
    /// the named file, or else in the CLI file or the INI file.
    pub(super) fn explicit_profile_plan(
        &mut self,
        defaults: &RoleDefaults,
    ) -> Result<CredentialPlan, CredentialsError> {
        let requested = self.requested_profile();
        let explicit_file = self.explicit_file();
        if let Some(cli) = self.cli_file()? {
            let (name, _) = cli.selected_name(requested.as_deref());
            if cli.has_profile(&name) || explicit_file.is_some() {
                return cli.plan(&name, defaults);
            }
        }
        let name = requested
            .clone()
            .unwrap_or_else(|| cli_profile::DEFAULT_PROFILE_NAME.to_owned());
        if let Some(path) = self.ini_path() {
            match ini_file::read_file(&path)? {
                Some(file) => return file.plan(&name, defaults),
                None if explicit_file.is_some() => {
                    return Err(CredentialsError::ProfileFile {
                        path,
                        problem: "does not exist".to_owned(),
                    });
                }
                None => {}
            }
        }
        Err(CredentialsError::MissingCredentials {
            looked_in: vec![format!(
                "profile {name:?} of ~/{} and ~/{}",
                cli_profile::PROFILE_FILE_RELATIVE_PATH,
                ini_file::CREDENTIALS_FILE_RELATIVE_PATH
            )],
        })
    }

    /// Step 4 of the chain: the CLI file, then the INI file, with the profile the environment
    /// names (a profile asked for by name must exist in one of them).
    pub(super) fn environment_profile_plan(
        &mut self,
        defaults: &RoleDefaults,
        looked_in: &mut Vec<String>,
    ) -> Result<Option<CredentialPlan>, CredentialsError> {
        let requested = self.requested_profile();
        let cli_disabled = self.environment.is_true(CLI_PROFILE_DISABLED_VARIABLE);
        let mut asked_for: Option<(String, PathBuf)> = None;
        if cli_disabled {
            looked_in.push(format!(
                "the CLI profile file (skipped: {CLI_PROFILE_DISABLED_VARIABLE}=true)"
            ));
        } else {
            match self.cli_file()? {
                Some(cli) => {
                    let (name, explicitly) = cli.selected_name(requested.as_deref());
                    if cli.has_profile(&name) {
                        return cli.plan(&name, defaults).map(Some);
                    }
                    looked_in.push(format!(
                        "the profile file {} (no profile named {name:?})",
                        cli.path.display()
                    ));
                    if explicitly {
                        asked_for = Some((name, cli.path.clone()));
                    }
                }
                None => looked_in.push(match self.home_dir {
                    Some(home) => {
                        format!("{} (not found)", cli_profile::default_path(home).display())
                    }
                    None => format!(
                        "~/{} (no home directory is known)",
                        cli_profile::PROFILE_FILE_RELATIVE_PATH
                    ),
                }),
            }
        }
        let name = requested
            .clone()
            .unwrap_or_else(|| cli_profile::DEFAULT_PROFILE_NAME.to_owned());
        if let Some(path) = self.ini_path() {
            match ini_file::read_file(&path)? {
                Some(file) if file.has_profile(&name) => {
                    return file.plan(&name, defaults).map(Some)
                }
                Some(_) => {
                    looked_in.push(format!("{} (no profile named {name:?})", path.display()));
                    if requested.is_some() && asked_for.is_none() {
                        asked_for = Some((name.clone(), path));
                    }
                }
                None => looked_in.push(format!("{} (not found)", path.display())),
            }
        }
        if let Some((name, path)) = asked_for {
            return Err(CredentialsError::ProfileFile {
                path,
                problem: format!("has no profile named {name:?}"),
            });
        }
        Ok(None)
    }

    /// The `region_id` of the selected CLI profile, with where it came from.
    pub(super) fn cli_region(&mut self) -> Option<(String, String)> {
        let requested = self.requested_profile();
        let Ok(Some(cli)) = self.cli_file() else {
            return None;
        };
        let (name, _) = cli.selected_name(requested.as_deref());
        cli.region_of(&name).map(|region| {
            let place = format!("profile {name:?} of {} (region_id)", cli.path.display());
            (region, place)
        })
    }
}

/// `~` or `~/...` is the home directory, as a shell would read it.
pub(super) fn expand_home(path: &str, home_dir: Option<&Path>) -> PathBuf {
    match (path.strip_prefix('~'), home_dir) {
        (Some(""), Some(home)) => home.to_owned(),
        (Some(rest), Some(home)) if rest.starts_with('/') => home.join(&rest[1..]),
        _ => PathBuf::from(path),
    }
}
