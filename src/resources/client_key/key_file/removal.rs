//! Removing the key file of a deleted client key, when it still holds that key.
//!
//! The file is read as `held` reads it (only a small regular file, never through a symlink,
//! without blocking), within the operation's deadline. Anything else (a FIFO, a device, a
//! symlink to `/dev/zero`, a huge file) is left alone, and the caller warns. The key file's lock
//! is held meanwhile, so that a create writing the same path is never undone.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use tokio::time::Instant;

use super::held::{read_held_key, Held};
use super::lock::{KeyFileLock, LockError};

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
    if fs::symlink_metadata(target).is_err_and(|error| error.kind() == io::ErrorKind::NotFound) {
        return Ok(Removal::Absent);
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
    match read_held_key(target)? {
        Held::Absent => return Ok(Removal::Absent),
        Held::NotRead(reason) => return Ok(Removal::LeftAlone(reason)),
        Held::Key(id) if id == client_key_id => {}
        Held::Key(_) | Held::NotAKeyFile => return Ok(Removal::HoldsSomethingElse),
    }
    match fs::remove_file(target) {
        Ok(()) => Ok(Removal::Removed),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Removal::Absent),
        Err(error) => Err(error),
    }
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
    async fn what_is_not_read_is_left_alone() {
        // What `held` does not read (here a symlink to a device; the others in `held`'s tests)
        // stays, with the reason.
        let directory = tempfile::tempdir().unwrap();
        let link = directory.path().join("link.json");
        symlink("/dev/zero", &link).unwrap();
        let outcome = remove_if_it_holds(link.clone(), "KAAP.1".into(), far())
            .await
            .unwrap();
        assert_eq!(
            outcome,
            Removal::LeftAlone("it is a symbolic link, not a regular file".into())
        );
        assert!(fs::symlink_metadata(&link).is_ok());
    }
}
