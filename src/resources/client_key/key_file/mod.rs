//! The private key file of a client key (`privateKeyDataFile`): where it is, whether it can be
//! written, and (in the submodules) one writer at a time, writing it atomically, and removing it
//! when its key is deleted.
//!
//! The content is exactly `{"KeyId":"<ClientKeyId>","PrivateKeyData":"<base64>"}`, the JSON the KMS
//! instance SDKs read as a client key file (and what the Terraform provider writes).
//!
//! - `held`: which key the file at the path holds, read without trusting what is there (a create
//!   refuses to replace the file of a key that still exists; `check` warns about it).
//! - `lock`: an advisory lock beside the file, so that only one create writes it at a time (in
//!   this process or another); a second one fails before KMS is called.
//! - `staged`: the temporary file, created (after the lock) *before* KMS is asked for the key,
//!   then written, flushed and renamed over the target.
//! - `removal`: on delete, the file is read (only a regular file of a few KB, without blocking)
//!   and removed if it still holds the deleted key.

mod held;
mod lock;
mod removal;
mod staged;

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use rustix::fs::Access;
use rustix::io::Errno;
use serde::Serialize;

pub use held::{read_held_key, Held, MAX_KEY_FILE_BYTES};
pub use removal::{remove_if_it_holds, Removal};
pub use staged::{KeyFileError, StagedKeyFile};

/// The mode of the key file: read and write for its owner only.
pub const KEY_FILE_MODE: u32 = 0o600;

/// The longest file name, in bytes, of the usual Linux file systems (`NAME_MAX` of ext4, xfs,
/// btrfs, tmpfs). The key file's companions (its lock and its temporary file) have longer names
/// than the key file itself, so they set its limit.
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// The longest key file name whose companions can exist beside it.
pub const MAX_KEY_FILE_NAME_BYTES: usize = MAX_FILE_NAME_BYTES
    - if lock::LOCK_NAME_EXTRA_BYTES > staged::TEMPORARY_NAME_EXTRA_BYTES {
        lock::LOCK_NAME_EXTRA_BYTES
    } else {
        staged::TEMPORARY_NAME_EXTRA_BYTES
    };

/// The JSON the KMS instance SDKs read as a client key file.
#[derive(Serialize)]
struct KeyFileContent<'a> {
    #[serde(rename = "KeyId")]
    key_id: &'a str,
    #[serde(rename = "PrivateKeyData")]
    private_key_data: &'a str,
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
    // HOME is read only for a path that needs it (reading the environment takes its lock).
    let home = text
        .starts_with('~')
        .then(|| std::env::var_os("HOME").map(PathBuf::from))
        .flatten();
    resolve_path_with_home(text, working_directory, home)
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

/// Why the key file cannot be written at `target`, when that can be told without writing: the
/// target is a directory; its directory is missing, not a directory, not writable by this
/// process's user (`access(2)`, so the real permissions: owner, group, other, ACLs, a read-only
/// file system), or a sticky directory (like `/tmp`) where a file of another user is in the
/// way. `None` when it looks writable.
pub fn unwritable_reason(target: &Path) -> Option<String> {
    let name_bytes = target.file_name().map_or(0, |name| name.len());
    if name_bytes > MAX_KEY_FILE_NAME_BYTES {
        return Some(format!(
            "its file name is {name_bytes} bytes long, and the provider keeps a lock file and a temporary file \
             beside it whose names are longer, which a file system takes only up to {MAX_FILE_NAME_BYTES} bytes: \
             use a file name of at most {MAX_KEY_FILE_NAME_BYTES} bytes"
        ));
    }
    if target.is_dir() {
        return Some(format!(
            "{} is a directory; name a file in it, for example {}",
            target.display(),
            target.join("client_key.json").display()
        ));
    }
    let directory = target.parent()?;
    let shown = directory.display();
    let metadata = match fs::metadata(directory) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Some(format!(
                "the directory {shown} does not exist; create it, or choose a file in an existing directory"
            ))
        }
        Err(error) => {
            return Some(format!(
                "the directory {shown} cannot be inspected ({error}); choose a file in a directory the provider can use"
            ))
        }
        Ok(metadata) if !metadata.is_dir() => {
            return Some(format!(
                "{shown} is not a directory; choose a file in an existing directory"
            ))
        }
        Ok(metadata) => metadata,
    };
    let user = rustix::process::geteuid().as_raw();
    match rustix::fs::access(directory, Access::WRITE_OK | Access::EXEC_OK) {
        Ok(()) => {}
        Err(Errno::ROFS) => {
            return Some(format!(
                "the directory {shown} is on a read-only file system; choose a file elsewhere"
            ))
        }
        Err(Errno::ACCESS | Errno::PERM) => {
            return Some(format!(
                "the directory {shown} is not writable by the user the provider runs as (uid {user}): it belongs to \
                 uid {} and has mode {:o}; let uid {user} write it, or choose a file in another directory",
                metadata.uid(),
                metadata.permissions().mode() & 0o7777
            ))
        }
        Err(errno) => {
            return Some(format!(
                "the directory {shown} cannot be checked ({}); choose a file in a directory the provider can use",
                io::Error::from(errno)
            ))
        }
    }
    // In a sticky directory only a file's owner (or the directory's, or root) may replace it, and
    // the key file is put in place by a rename over whatever is at the path.
    let sticky = metadata.permissions().mode() & 0o1000 != 0;
    if sticky && user != 0 && metadata.uid() != user {
        if let Ok(existing) = fs::symlink_metadata(target) {
            if existing.uid() != user {
                return Some(format!(
                    "{} belongs to another user (uid {}), and {shown} is a sticky directory (like /tmp), where only \
                     a file's owner may replace it; choose another file name, or have uid {} remove it",
                    target.display(),
                    existing.uid(),
                    existing.uid()
                ));
            }
        }
    }
    None
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

/// Runs blocking file work off the async threads.
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

        // The longest name whose lock and temporary files fit is accepted, and one byte more is not.
        let longest = "k".repeat(MAX_KEY_FILE_NAME_BYTES);
        assert_eq!(unwritable_reason(&directory.path().join(&longest)), None);
        let reason = unwritable_reason(&directory.path().join(format!("{longest}k"))).unwrap();
        assert!(
            reason.contains(&format!(
                "use a file name of at most {MAX_KEY_FILE_NAME_BYTES} bytes"
            )),
            "{reason}"
        );
    }
}
