//! The credential files of the chain, and the profile asked of them.
//!
//! - **Which files.** The CLI's JSON file: `ALIBABA_CLOUD_CONFIG_FILE`, else
//!   `~/.aliyun/config.json` (skipped with `ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true`). The
//!   credentials file: `ALIBABA_CLOUD_CREDENTIALS_FILE` or `ALICLOUD_SHARED_CREDENTIALS_FILE`,
//!   else `~/.alibabacloud/credentials`, else `~/.alibabacloud/credentials.ini`. The provider
//!   config's `sharedCredentialsFile` replaces both.
//! - **Which format.** Every file is told apart by its content, whatever named it: JSON (the
//!   CLI's) when its first non-blank character is `{`, INI otherwise. Terraform's
//!   `shared_credentials_file` and its variables name the CLI's JSON file; the SDKs' variable
//!   names an INI file; both work.
//! - **Which profile.** The `profile` setting, else `ALIBABA_CLOUD_PROFILE` / `ALICLOUD_PROFILE`,
//!   else the CLI file's `current`, else `default`. A profile asked for by name must exist.
//!
//! Each file is read at most once per resolution, through the hardened reader
//! (`kms::local_file`); a file other users may read adds a warning.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::cli_file::{self, CliProfileFile};
use super::ini_file::{self, CredentialsFile};
use super::roles::RoleDefaults;
use super::variables::{
    Environment, CLI_CONFIG_FILE_VARIABLE, CLI_PROFILE_DISABLED_VARIABLE,
    CREDENTIALS_FILE_VARIABLES, PROFILE_VARIABLES,
};
use crate::kms::credentials::plan::CredentialPlan;
use crate::kms::credentials::{non_empty, ClientSettings, CredentialsError};
use crate::kms::local_file::{read_regular_file, ReadRules};

/// A credential file as parsed: the CLI's JSON or the SDKs' INI.
pub(crate) enum ProfileFile {
    Cli(CliProfileFile),
    Ini(CredentialsFile),
}

impl ProfileFile {
    fn path(&self) -> &Path {
        match self {
            ProfileFile::Cli(file) => &file.path,
            ProfileFile::Ini(file) => &file.path,
        }
    }

    /// The profile to use and whether it was asked for by name (see the module docs).
    fn selected_name(&self, requested: Option<&str>) -> (String, bool) {
        match (self, requested) {
            (ProfileFile::Cli(file), _) => file.selected_name(requested),
            (ProfileFile::Ini(_), Some(requested)) => (requested.to_owned(), true),
            (ProfileFile::Ini(_), None) => (cli_file::DEFAULT_PROFILE_NAME.to_owned(), false),
        }
    }

    fn has_profile(&self, name: &str) -> bool {
        match self {
            ProfileFile::Cli(file) => file.has_profile(name),
            ProfileFile::Ini(file) => file.has_profile(name),
        }
    }

    fn plan(
        &self,
        name: &str,
        defaults: &RoleDefaults,
    ) -> Result<CredentialPlan, CredentialsError> {
        match self {
            ProfileFile::Cli(file) => file.plan(name, defaults),
            ProfileFile::Ini(file) => file.plan(name, defaults),
        }
    }
}

/// The credential files, each read at most once and only when needed.
pub(crate) struct ProfileFiles<'a> {
    settings: &'a ClientSettings,
    environment: &'a dyn Environment,
    home_dir: Option<&'a Path>,
    /// What each path held (`None`: nothing).
    read: BTreeMap<PathBuf, Option<ProfileFile>>,
    /// Warnings for the user (a file other users may read).
    pub warnings: Vec<String>,
}

impl<'a> ProfileFiles<'a> {
    pub(crate) fn new(
        settings: &'a ClientSettings,
        environment: &'a dyn Environment,
        home_dir: Option<&'a Path>,
    ) -> ProfileFiles<'a> {
        ProfileFiles {
            settings,
            environment,
            home_dir,
            read: BTreeMap::new(),
            warnings: Vec::new(),
        }
    }

    /// The file at `path`, read and parsed once; `None` when nothing is there. Anything else
    /// that is not a readable regular file is an error naming the path and what was found.
    fn file(&mut self, path: &Path) -> Result<Option<&ProfileFile>, CredentialsError> {
        if !self.read.contains_key(path) {
            let parsed = match read_regular_file(path, ReadRules::CREDENTIAL_FILE) {
                Ok(contents) => {
                    if contents.readable_by_others() {
                        let mode = contents.metadata.permissions().mode() & 0o777;
                        self.warnings.push(format!(
                            "the credentials file {} can be read by other users (mode {mode:o}); make it private with chmod 600 {}",
                            path.display(),
                            path.display()
                        ));
                    }
                    let text = String::from_utf8(contents.bytes).map_err(|_| {
                        CredentialsError::ProfileFile {
                            path: path.to_owned(),
                            problem: "is not UTF-8 text".to_owned(),
                        }
                    })?;
                    Some(parse_by_content(path, &text)?)
                }
                Err(problem) if problem.is_not_found() => None,
                Err(problem) => {
                    return Err(CredentialsError::ProfileFile {
                        path: path.to_owned(),
                        problem: problem.to_string(),
                    })
                }
            };
            self.read.insert(path.to_owned(), parsed);
        }
        Ok(self.read.get(path).and_then(Option::as_ref))
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

    /// The CLI file's path, unless it is turned off.
    pub(crate) fn cli_path(&self) -> Option<PathBuf> {
        if let Some(path) = self.environment.non_empty(CLI_CONFIG_FILE_VARIABLE) {
            return Some(expand_home(&path, self.home_dir));
        }
        self.home_dir.map(cli_file::default_path)
    }

    /// The credentials files to try, in order: the one the environment names, else the default
    /// name and then the Python SDK's.
    pub(crate) fn credentials_paths(&self) -> Vec<PathBuf> {
        if let Some((_, path)) = self
            .environment
            .first_non_empty(&CREDENTIALS_FILE_VARIABLES)
        {
            return vec![expand_home(&path, self.home_dir)];
        }
        match self.home_dir {
            Some(home) => vec![
                home.join(ini_file::CREDENTIALS_FILE_RELATIVE_PATH),
                home.join(ini_file::CREDENTIALS_INI_FILE_RELATIVE_PATH),
            ],
            None => Vec::new(),
        }
    }

    /// `profile` / `sharedCredentialsFile` from the provider config: the named file (either
    /// format), or, with only a profile name, the CLI file and then the credentials file.
    pub(crate) fn explicit_profile_plan(
        &mut self,
        defaults: &RoleDefaults,
    ) -> Result<CredentialPlan, CredentialsError> {
        let requested = self.requested_profile();
        if let Some(path) = self.explicit_file() {
            let file = self
                .file(&path)?
                .ok_or_else(|| CredentialsError::ProfileFile {
                    path: path.clone(),
                    problem: "does not exist".to_owned(),
                })?;
            let (name, _) = file.selected_name(requested.as_deref());
            return file.plan(&name, defaults);
        }
        let name = requested.unwrap_or_else(|| cli_file::DEFAULT_PROFILE_NAME.to_owned());
        let mut paths: Vec<PathBuf> = self.cli_path().into_iter().collect();
        paths.extend(self.credentials_paths());
        for path in &paths {
            if let Some(file) = self.file(path)? {
                if file.has_profile(&name) {
                    return file.plan(&name, defaults);
                }
            }
        }
        Err(CredentialsError::MissingCredentials {
            looked_in: paths
                .iter()
                .map(|path| format!("profile {name:?} of {}", path.display()))
                .collect(),
        })
    }

    /// Steps 4 and 5 of the chain: the CLI file, then the credentials file, with the profile the
    /// environment names (a profile asked for by name must exist in one of them).
    pub(crate) fn environment_profile_plan(
        &mut self,
        defaults: &RoleDefaults,
        looked_in: &mut Vec<String>,
    ) -> Result<Option<CredentialPlan>, CredentialsError> {
        let requested = self.requested_profile();
        let mut paths = Vec::new();
        if self.environment.is_true(CLI_PROFILE_DISABLED_VARIABLE) {
            looked_in.push(format!(
                "the CLI profile file (skipped: {CLI_PROFILE_DISABLED_VARIABLE}=true)"
            ));
        } else {
            match self.cli_path() {
                Some(path) => paths.push(path),
                None => looked_in.push(format!(
                    "~/{} (no home directory is known)",
                    cli_file::PROFILE_FILE_RELATIVE_PATH
                )),
            }
        }
        paths.extend(self.credentials_paths());
        let mut asked_for: Option<(String, PathBuf)> = None;
        for path in paths {
            let Some(file) = self.file(&path)? else {
                looked_in.push(format!("{} (not found)", path.display()));
                continue;
            };
            let (name, explicitly) = file.selected_name(requested.as_deref());
            if file.has_profile(&name) {
                return file.plan(&name, defaults).map(Some);
            }
            looked_in.push(format!(
                "{} (no profile named {name:?})",
                file.path().display()
            ));
            if explicitly && asked_for.is_none() {
                asked_for = Some((name, path));
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

    /// The `region_id` of the selected CLI profile, with where it came from: from the explicit
    /// file when it is the CLI's JSON, else from the CLI file.
    pub(crate) fn cli_region(&mut self) -> Option<(String, String)> {
        let requested = self.requested_profile();
        let path = match self.explicit_file() {
            Some(path) => path,
            None if self.environment.is_true(CLI_PROFILE_DISABLED_VARIABLE) => return None,
            None => self.cli_path()?,
        };
        let Ok(Some(ProfileFile::Cli(cli))) = self.file(&path) else {
            return None;
        };
        let (name, _) = cli.selected_name(requested.as_deref());
        cli.region_of(&name).map(|region| {
            let place = format!("profile {name:?} of {} (region_id)", cli.path.display());
            (region, place)
        })
    }
}

/// Parses a credential file in the format its content shows.
fn parse_by_content(path: &Path, text: &str) -> Result<ProfileFile, CredentialsError> {
    if text.trim_start().starts_with('{') {
        cli_file::parse(path, text).map(ProfileFile::Cli)
    } else {
        ini_file::parse(path, text).map(ProfileFile::Ini)
    }
}

/// `~` or `~/...` is the home directory, as a shell would read it.
fn expand_home(path: &str, home_dir: Option<&Path>) -> PathBuf {
    match (path.strip_prefix('~'), home_dir) {
        (Some(""), Some(home)) => home.to_owned(),
        (Some(rest), Some(home)) if rest.starts_with('/') => home.join(&rest[1..]),
        _ => PathBuf::from(path),
    }
}
