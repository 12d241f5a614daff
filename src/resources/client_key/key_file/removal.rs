//! Removing the key file of a deleted client key, when it still holds that key.
//!
//! Whatever is at the path now was not necessarily put there by the provider, so it is read only
//! if it is a regular file of at most [`MAX_KEY_FILE_BYTES`] (a key file is a few KB), through
//! the provider's one hardened reader (`kms::local_file`): not through a symlink, without
//! blocking, with the opened file checked to be the regular file that was inspected, and under
//! the operation's deadline. Anything else (a FIFO, a device, a symlink to `/dev/zero`, a huge file)
//! is left alone, and the caller warns. The key file's lock is held meanwhile, so that a create
//! writing the same path is never undone.

use std::fs::{self, Metadata};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use tokio::time::Instant;

use crate::kms::local_file::{file_kind, read_regular_file, FileProblem, ReadRules};

use super::lock::{KeyFileLock, LockError};
use super::KeyFileIdentity;

/// The largest file that is read as a key file. A real one is about 4 KB (base64 of a PKCS#12
/// holding an RSA-2048 key).
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// What happened to the file at the key file's path.
#[derive(Debug, PartialEq, Eq)]
pub enum Removal {
    /// It held the deleted key and was removed.
    Removed,
    /// Nothing is there.
    Absent,
    /// It is a key file of another key, or no key file at all: left alone.
    HoldsSomethingElse,
    /// It was not read, for this reason: left alone.
    LeftAlone(String),
}

/// Removes the key file at `target` if it holds the key `client_key_id`, reading it within
/// `deadline`.
pub async fn remove_if_it_holds(
    target: PathBuf,
    client_key_id: String,
    deadline: Instant,
) -> io::Result<Removal> {
    let work = tokio::task::spawn_blocking(move || remove_blocking(&target, &client_key_id));
    match tokio::time::timeout_at(deadline, work).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(join_error)) => Err(io::Error::other(join_error.to_string())),
        // The blocking read goes on by itself; nothing waits for it.
        Err(_) => Ok(Removal::LeftAlone(
            "reading it did not finish within the operation's deadline".to_owned(),
        )),
    }
}

fn remove_blocking(target: &Path, client_key_id: &str) -> io::Result<Removal> {
    let inspected = match fs::symlink_metadata(target) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Removal::Absent),
        Err(error) => return Err(error),
    };
    if let Some(reason) = not_a_key_file(&inspected) {
        return Ok(Removal::LeftAlone(reason));
    }
    let _lock = match KeyFileLock::try_acquire(target) {
        Ok(lock) => lock,
        Err(LockError::Busy { .. }) => {
            return Ok(Removal::LeftAlone(
                "a create is writing a key to the same path right now".to_owned(),
            ))
        }
        Err(LockError::Io { error, .. }) => return Err(error),
    };
    let rules = ReadRules {
        max_bytes: MAX_KEY_FILE_BYTES,
        follow_symlinks: false,
    };
    let contents = match read_regular_file(target, rules) {
        Ok(contents) => contents,
        Err(FileProblem::NotFound) => return Ok(Removal::Absent),
        Err(FileProblem::Unreadable(error)) => return Err(error),
        Err(problem) => return Ok(Removal::LeftAlone(format!("it {problem}"))),
    };
    let opened = &contents.metadata;
    if opened.dev() != inspected.dev() || opened.ino() != inspected.ino() {
        return Ok(Removal::LeftAlone(
            "it was replaced while it was being checked".to_owned(),
        ));
    }
    let bytes = contents.bytes;
    let holds_it = serde_json::from_slice::<KeyFileIdentity>(&bytes)
        .is_ok_and(|identity| identity.key_id == client_key_id);
    if !holds_it {
        return Ok(Removal::HoldsSomethingElse);
    }
    match fs::remove_file(target) {
        Ok(()) => Ok(Removal::Removed),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Removal::Absent),
        Err(error) => Err(error),
    }
}

/// Why a file with this metadata is not read as a key file.
fn not_a_key_file(metadata: &Metadata) -> Option<String> {
    match file_kind(metadata) {
        Some(found) => Some(format!("it is {found}, not a regular file")),
        None => (metadata.len() > MAX_KEY_FILE_BYTES).then(|| too_large(metadata.len())),
    }
}

fn too_large(bytes: u64) -> String {
    format!("it has {bytes} bytes, too large to be a key file (one has a few KB)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::client_key::key_file::key_file_content;
    use std::os::unix::fs::symlink;
    use std::time::Duration;

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    #[tokio::test]
    async fn only_a_file_holding_the_key_is_removed() {
        let directory = tempfile::tempdir().unwrap();
        let target = directory.path().join("key.json");
        let remove = |id: &str| remove_if_it_holds(target.clone(), id.to_owned(), far());

        assert_eq!(remove("KAAP.1").await.unwrap(), Removal::Absent);
        fs::write(&target, key_file_content("KAAP.2", "data")).unwrap();
        assert_eq!(remove("KAAP.1").await.unwrap(), Removal::HoldsSomethingElse);
        assert!(target.exists());
        assert_eq!(remove("KAAP.2").await.unwrap(), Removal::Removed);
        assert!(!target.exists());
        fs::write(&target, "not json").unwrap();
        assert_eq!(remove("KAAP.2").await.unwrap(), Removal::HoldsSomethingElse);
        // No lock file stays behind.
        assert_eq!(fs::read_dir(directory.path()).unwrap().count(), 1);
    }

    #[tokio::test]
    async fn what_is_not_a_small_regular_file_is_left_alone() {
        let directory = tempfile::tempdir().unwrap();
        let link = directory.path().join("link.json");
        symlink("/dev/zero", &link).unwrap();
        let big = directory.path().join("big.json");
        fs::File::create(&big)
            .unwrap()
            .set_len(MAX_KEY_FILE_BYTES + 1)
            .unwrap();
        let table = [
            (link, "it is a symbolic link, not a regular file"),
            (
                directory.path().to_path_buf(),
                "it is a directory, not a regular file",
            ),
            (
                big,
                "it has 65537 bytes, too large to be a key file (one has a few KB)",
            ),
        ];
        for (path, reason) in table {
            let outcome = remove_if_it_holds(path.clone(), "KAAP.1".into(), far())
                .await
                .unwrap();
            assert_eq!(outcome, Removal::LeftAlone(reason.into()), "{path:?}");
            assert!(fs::symlink_metadata(&path).is_ok());
        }
    }
}
