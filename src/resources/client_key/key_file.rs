//! The private key file of a client key (`privateKeyDataFile`): where it is, whether it can be
//! written, writing it atomically, and removing it when its key is deleted.
//!
//! The content is exactly `{"KeyId":"<ClientKeyId>","PrivateKeyData":"<base64>"}`, the JSON the KMS
//! instance SDKs read as a client key file (and what the Terraform provider writes).
//!
//! Writing is atomic and private: a temporary file is created exclusively (`O_EXCL`) in the target's
//! directory with mode 0600, written, flushed to disk (`fsync`), renamed over the target, and the
//! directory is flushed too. A reader sees the old file or the new one, never a part; a crash
//! leaves at worst a stray `.<name>.<random>.tmp` file, never a torn key file. The temporary file
//! is created *before* KMS is asked for the key, so a directory that cannot be written fails the
//! create before any key exists.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// The mode of the key file: read and write for its owner only.
pub const KEY_FILE_MODE: u32 = 0o600;

/// The JSON the KMS instance SDKs read as a client key file.
#[derive(Serialize)]
struct KeyFileContent<'a> {
    #[serde(rename = "KeyId")]
    key_id: &'a str,
    #[serde(rename = "PrivateKeyData")]
    private_key_data: &'a str,
}

/// Just the key id of a key file, to recognise which key a file holds.
#[derive(Deserialize)]
struct KeyFileIdentity {
    #[serde(rename = "KeyId")]
    key_id: String,
}

/// The bytes of a key file.
pub fn key_file_content(client_key_id: &str, private_key_data: &str) -> Vec<u8> {
    serde_json::to_vec(&KeyFileContent {
        key_id: client_key_id,
        private_key_data,
    })
    .expect("two strings always serialise")
}

/// Resolves `privateKeyDataFile` as written: `~` and `~/...` are expanded with `$HOME`, and a
/// relative path is taken relative to the provider's working directory. The error says why the
/// path cannot be used.
pub fn resolve_path(text: &str, working_directory: &Path) -> Result<PathBuf, String> {
    resolve_path_with_home(
        text,
        working_directory,
        std::env::var_os("HOME").map(PathBuf::from),
    )
}

fn resolve_path_with_home(
    text: &str,
    working_directory: &Path,
    home: Option<PathBuf>,
) -> Result<PathBuf, String> {
    let expanded = if text == "~" || text.starts_with("~/") {
        let home = home.filter(|home| !home.as_os_str().is_empty()).ok_or_else(|| {
            format!("privateKeyDataFile {text} starts with ~, but HOME is not set for the provider; use an absolute path")
        })?;
        match text.strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None => home,
        }
    } else if text.starts_with('~') {
        return Err(format!(
            "privateKeyDataFile {text} starts with ~user, which is not expanded (only ~ and ~/ are); use an absolute path"
        ));
    } else {
        PathBuf::from(text)
    };
    let absolute = if expanded.is_absolute() {
        expanded
    } else {
        working_directory.join(expanded)
    };
    Ok(normalise(&absolute))
}

/// Removes `.` components and trailing separators, so that messages show a clean path. `..` is
/// kept: resolving it lexically could change which file is meant when symlinks are involved.
fn normalise(path: &Path) -> PathBuf {
    path.components()
        .filter(|component| !matches!(component, Component::CurDir))
        .collect()
}

/// Why the key file cannot be written at `target`, when that can be told without writing:
/// the target is a directory, or its directory is missing, not a directory, or has no write
/// permission for anyone. `None` when it looks writable.
pub fn unwritable_reason(target: &Path) -> Option<String> {
    if target.is_dir() {
        return Some(format!(
            "{} is a directory; name a file in it, for example {}",
            target.display(),
            target.join("client_key.json").display()
        ));
    }
    let directory = target.parent()?;
    match fs::metadata(directory) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Some(format!(
            "the directory {} does not exist; create it, or choose a file in an existing directory",
            directory.display()
        )),
        Err(error) => Some(format!(
            "the directory {} cannot be inspected ({error}); choose a file in a directory the provider can use",
            directory.display()
        )),
        Ok(metadata) if !metadata.is_dir() => Some(format!(
            "{} is not a directory; choose a file in an existing directory",
            directory.display()
        )),
        Ok(metadata) if metadata.permissions().mode() & 0o222 == 0 => Some(format!(
            "the directory {} is not writable (mode {:o}); make it writable, or choose a file in another directory",
            directory.display(),
            metadata.permissions().mode() & 0o7777
        )),
        Ok(_) => None,
    }
}

/// A temporary file in the target's directory, waiting for the key. Dropping it without
/// [`StagedKeyFile::commit`] removes it.
#[derive(Debug)]
pub struct StagedKeyFile {
    target: PathBuf,
    temporary: PathBuf,
    file: Option<File>,
    committed: bool,
}

/// A key file operation that failed, with what to tell the user.
#[derive(Debug)]
pub struct KeyFileError {
    /// What went wrong and what to do about it (never any key material).
    pub reason: String,
}

impl StagedKeyFile {
    /// Creates the temporary file next to `target` (exclusively, mode 0600). This is the check
    /// that the directory is writable, done before KMS is asked for a key.
    pub async fn create(target: PathBuf) -> Result<StagedKeyFile, KeyFileError> {
        run_blocking(move || StagedKeyFile::create_blocking(target)).await
    }

    fn create_blocking(target: PathBuf) -> Result<StagedKeyFile, KeyFileError> {
        if let Some(reason) = unwritable_reason(&target) {
            return Err(KeyFileError { reason });
        }
        let directory = target.parent().unwrap_or(Path::new("/"));
        let file_name = target
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "key".to_owned());
        let temporary = directory.join(format!(".{file_name}.{}.tmp", random_suffix()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(KEY_FILE_MODE)
            .open(&temporary)
            .map_err(|error| KeyFileError {
                reason: format!(
                    "cannot create a file in {}: {}",
                    directory.display(),
                    describe_io_error(&error)
                ),
            })?;
        let staged = StagedKeyFile {
            target,
            temporary,
            file: Some(file),
            committed: false,
        };
        // The umask may have taken bits away from 0600; the mode must be exactly 0600 either way.
        staged
            .file
            .as_ref()
            .expect("the file was just opened")
            .set_permissions(Permissions::from_mode(KEY_FILE_MODE))
            .map_err(|error| KeyFileError {
                reason: format!(
                    "cannot set mode 0600 on {}: {}",
                    staged.temporary.display(),
                    describe_io_error(&error)
                ),
            })?;
        Ok(staged)
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Writes `content`, flushes it to disk, renames the file over the target, and flushes the
    /// directory. On failure the temporary file is removed and the target is untouched.
    pub async fn commit(self, content: Vec<u8>) -> Result<(), KeyFileError> {
        run_blocking(move || self.commit_blocking(&content)).await
    }

    fn commit_blocking(mut self, content: &[u8]) -> Result<(), KeyFileError> {
        let failed = |step: &str, error: io::Error| KeyFileError {
            reason: format!("{step} failed: {}", describe_io_error(&error)),
        };
        let mut file = self.file.take().expect("a staged file is committed once");
        file.write_all(content)
            .map_err(|error| failed("writing the key", error))?;
        file.sync_all()
            .map_err(|error| failed("flushing the key to disk", error))?;
        drop(file);
        fs::rename(&self.temporary, &self.target).map_err(|error| {
            failed(
                &format!("renaming the written key to {}", self.target.display()),
                error,
            )
        })?;
        self.committed = true;
        // The rename is what makes the file visible; flushing the directory makes it durable.
        // A failure here leaves a complete, visible file, so it is only worth a log line.
        let directory = self.target.parent().unwrap_or(Path::new("/"));
        if let Err(error) = File::open(directory).and_then(|directory| directory.sync_all()) {
            tracing::warn!(directory = %directory.display(), %error, "could not flush the key file's directory");
        }
        Ok(())
    }
}

impl Drop for StagedKeyFile {
    fn drop(&mut self) {
        if !self.committed {
            self.file.take();
            let _ = fs::remove_file(&self.temporary);
        }
    }
}

/// Removes the key file at `target` if it holds the key `client_key_id` (a file that holds another
/// key, or is not a key file, is left alone). True if it was removed.
pub async fn remove_if_it_holds(target: PathBuf, client_key_id: String) -> io::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let text = match fs::read_to_string(&target) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(error) => return Err(error),
        };
        let holds_it = serde_json::from_str::<KeyFileIdentity>(&text)
            .is_ok_and(|identity| identity.key_id == client_key_id);
        if !holds_it {
            return Ok(false);
        }
        match fs::remove_file(&target) {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(error),
        }
    })
    .await
    .unwrap_or_else(|join_error| Err(io::Error::other(join_error.to_string())))
}

/// The OS error with advice for the common kinds.
pub fn describe_io_error(error: &io::Error) -> String {
    let advice = match error.kind() {
        io::ErrorKind::PermissionDenied => {
            "; make the directory writable by the user the provider runs as"
        }
        io::ErrorKind::NotFound => "; check that the directory exists",
        io::ErrorKind::ReadOnlyFilesystem => {
            "; the file system is read-only, choose a file elsewhere"
        }
        io::ErrorKind::StorageFull => "; free some disk space",
        io::ErrorKind::IsADirectory => "; name a file, not a directory",
        io::ErrorKind::NotADirectory => "; a part of the path is a file, not a directory",
        _ => "",
    };
    format!("{error}{advice}")
}

fn random_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut bytes = [0u8; 8];
    // The name only has to be unlikely to collide; `create_new` makes a collision an error, never
    // a shared file.
    let random = if getrandom::fill(&mut bytes).is_ok() {
        u64::from_le_bytes(bytes)
    } else {
        (u64::from(std::process::id()) << 32) | COUNTER.fetch_add(1, Ordering::Relaxed)
    };
    format!("{random:016x}")
}

async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, KeyFileError> + Send + 'static,
) -> Result<T, KeyFileError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|join_error| {
            Err(KeyFileError {
                reason: format!("the file operation did not complete: {join_error}"),
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_the_compact_json_the_sdks_read() {
        assert_eq!(
            String::from_utf8(key_file_content("KAAP.1", "MIIJ+/=")).unwrap(),
            r#"{"KeyId":"KAAP.1","PrivateKeyData":"MIIJ+/="}"#
        );
    }

    #[test]
    fn paths_expand_home_and_resolve_against_the_working_directory() {
        let working = Path::new("/work/dir");
        let home = Some(PathBuf::from("/home/me"));
        let table = [
            ("./key.json", Ok("/work/dir/key.json")),
            ("key.json", Ok("/work/dir/key.json")),
            ("sub/../key.json", Ok("/work/dir/sub/../key.json")),
            ("/abs/key.json", Ok("/abs/key.json")),
            ("~/keys/key.json", Ok("/home/me/keys/key.json")),
            ("~", Ok("/home/me")),
            ("~other/key.json", Err(())),
        ];
        for (text, expected) in table {
            let resolved = resolve_path_with_home(text, working, home.clone());
            assert_eq!(
                resolved
                    .as_ref()
                    .map(|path| path.to_str().unwrap())
                    .map_err(|_| ()),
                expected,
                "{text}: {resolved:?}"
            );
        }
        let error = resolve_path_with_home("~/key.json", working, None).unwrap_err();
        assert!(error.contains("HOME is not set"), "{error}");
    }

    #[test]
    fn unwritable_targets_are_explained() {
        let directory = tempfile::tempdir().unwrap();
        let file = directory.path().join("plain");
        fs::write(&file, "x").unwrap();
        let cases = [
            (directory.path().to_path_buf(), "is a directory"),
            (directory.path().join("missing/key.json"), "does not exist"),
            (file.join("key.json"), "is not a directory"),
        ];
        for (target, expected) in cases {
            let reason = unwritable_reason(&target).expect("unwritable");
            assert!(reason.contains(expected), "{reason}");
        }
        assert_eq!(unwritable_reason(&directory.path().join("key.json")), None);
    }

    #[tokio::test]
    async fn a_committed_file_has_mode_0600_and_replaces_the_old_one_by_rename() {
        let directory = tempfile::tempdir().unwrap();
        let target = directory.path().join("key.json");
        fs::write(&target, "old").unwrap();
        let old_inode = fs::File::open(&target).unwrap();
        let staged = StagedKeyFile::create(target.clone()).await.unwrap();
        staged.commit(b"new".to_vec()).await.unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(
            fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // The old file was replaced, not rewritten: an open handle still reads the old bytes.
        let mut old = String::new();
        io::Read::read_to_string(&mut &old_inode, &mut old).unwrap();
        assert_eq!(old, "old");
        let names: Vec<_> = fs::read_dir(directory.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["key.json"]);
    }

    #[tokio::test]
    async fn dropping_a_staged_file_removes_it_and_removal_checks_the_key_id() {
        let directory = tempfile::tempdir().unwrap();
        let target = directory.path().join("key.json");
        drop(StagedKeyFile::create(target.clone()).await.unwrap());
        assert_eq!(fs::read_dir(directory.path()).unwrap().count(), 0);

        fs::write(&target, key_file_content("KAAP.2", "data")).unwrap();
        assert!(!remove_if_it_holds(target.clone(), "KAAP.1".into())
            .await
            .unwrap());
        assert!(target.exists());
        assert!(remove_if_it_holds(target.clone(), "KAAP.2".into())
            .await
            .unwrap());
        assert!(!target.exists());
        assert!(!remove_if_it_holds(target, "KAAP.2".into()).await.unwrap());
    }
}
