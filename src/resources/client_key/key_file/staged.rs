//! The key file on its way: the lock taken, then a temporary file (the `tempfile` crate: created
//! exclusively with a random name, `.<name>.<random>.tmp`, mode 0600) in the target's directory,
//! both *before* KMS is asked for the key; then the key written, flushed to disk (`fsync`),
//! renamed over the target, and the directory flushed. A reader sees the old file or the new one,
//! never a part. Dropping it unfinished removes the temporary file and releases the lock; a crash
//! leaves at worst a stray temporary file, never a torn key file.

use std::fs::{File, Permissions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::lock::{KeyFileLock, LockError};
use super::{describe_io_error, run_blocking, unwritable_reason, KEY_FILE_MODE};

/// The end of a temporary key file's name (`.<name>.<random>.tmp`).
const TEMPORARY_SUFFIX: &str = ".tmp";

/// How many random characters a temporary key file's name has.
const TEMPORARY_RANDOM_CHARACTERS: usize = 6;

/// How many bytes longer than the key file's name its temporary file's name is.
pub(super) const TEMPORARY_NAME_EXTRA_BYTES: usize =
    2 + TEMPORARY_RANDOM_CHARACTERS + TEMPORARY_SUFFIX.len();

/// A temporary file in the target's directory, waiting for the key, with the target's lock.
#[derive(Debug)]
pub struct StagedKeyFile {
    target: PathBuf,
    // Dropped in this order: the temporary file goes first, then the lock.
    temporary: NamedTempFile,
    _lock: KeyFileLock,
}

/// A key file operation that failed, with what to tell the user.
#[derive(Debug)]
pub struct KeyFileError {
    /// What went wrong and what to do about it (never any key material).
    pub reason: String,
}

impl StagedKeyFile {
    /// Takes the target's lock and creates the temporary file next to it. This is the check that
    /// the file can be written, and is this create's alone, done before KMS is asked for a key.
    pub async fn create(target: PathBuf) -> Result<StagedKeyFile, KeyFileError> {
        run_blocking(move || StagedKeyFile::create_blocking(target)).await
    }

    fn create_blocking(target: PathBuf) -> Result<StagedKeyFile, KeyFileError> {
        if let Some(reason) = unwritable_reason(&target) {
            return Err(KeyFileError { reason });
        }
        let lock = KeyFileLock::try_acquire(&target).map_err(|error| KeyFileError {
            reason: match error {
                LockError::Busy { lock } => format!(
                    "another create is writing {} right now (its lock {} is held, by this provider or another \
                     process); two ClientKeys cannot share one privateKeyDataFile, because the second key would \
                     replace the first one's only copy of its private key: give each its own file",
                    target.display(),
                    lock.display()
                ),
                LockError::Io { lock, error } => format!(
                    "cannot create the lock file {}: {}",
                    lock.display(),
                    describe_io_error(&error)
                ),
            },
        })?;
        let directory = target.parent().unwrap_or(Path::new("/"));
        let file_name = target
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "key".to_owned());
        let temporary = tempfile::Builder::new()
            .prefix(&format!(".{file_name}."))
            .rand_bytes(TEMPORARY_RANDOM_CHARACTERS)
            .suffix(TEMPORARY_SUFFIX)
            .permissions(Permissions::from_mode(KEY_FILE_MODE))
            .tempfile_in(directory)
            .map_err(|error| KeyFileError {
                reason: format!(
                    "cannot create a file in {}: {}",
                    directory.display(),
                    describe_io_error(&error)
                ),
            })?;
        // The umask may have taken bits away from 0600; the mode must be exactly 0600 either way.
        temporary
            .as_file()
            .set_permissions(Permissions::from_mode(KEY_FILE_MODE))
            .map_err(|error| KeyFileError {
                reason: format!(
                    "cannot set mode 0600 on {}: {}",
                    temporary.path().display(),
                    describe_io_error(&error)
                ),
            })?;
        Ok(StagedKeyFile {
            target,
            temporary,
            _lock: lock,
        })
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Writes `content`, flushes it to disk, renames the file over the target, and flushes the
    /// directory. On failure the temporary file is removed and the target is untouched.
    pub async fn commit(self, content: Vec<u8>) -> Result<(), KeyFileError> {
        run_blocking(move || self.commit_blocking(&content)).await
    }

    fn commit_blocking(self, content: &[u8]) -> Result<(), KeyFileError> {
        let failed = |step: &str, error: std::io::Error| KeyFileError {
            reason: format!("{step} failed: {}", describe_io_error(&error)),
        };
        let StagedKeyFile {
            target,
            mut temporary,
            _lock,
        } = self;
        temporary
            .write_all(content)
            .map_err(|error| failed("writing the key", error))?;
        temporary
            .as_file()
            .sync_all()
            .map_err(|error| failed("flushing the key to disk", error))?;
        temporary.persist(&target).map_err(|error| {
            failed(
                &format!("renaming the written key to {}", target.display()),
                error.error,
            )
        })?;
        // The rename is what makes the file visible; flushing the directory makes it durable.
        // A failure here leaves a complete, visible file, so it is only worth a log line.
        let directory = target.parent().unwrap_or(Path::new("/"));
        if let Err(error) = File::open(directory).and_then(|directory| directory.sync_all()) {
            tracing::warn!(directory = %directory.display(), %error, "could not flush the key file's directory");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::io::Read;

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
        (&old_inode).read_to_string(&mut old).unwrap();
        assert_eq!(old, "old");
        // Neither the temporary file nor the lock is left.
        let names: Vec<_> = fs::read_dir(directory.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["key.json"]);
    }

    #[tokio::test]
    async fn the_longest_accepted_name_can_be_written() {
        let directory = tempfile::tempdir().unwrap();
        let target = directory
            .path()
            .join("k".repeat(super::super::MAX_KEY_FILE_NAME_BYTES));
        let staged = StagedKeyFile::create(target.clone()).await.unwrap();
        staged.commit(b"key".to_vec()).await.unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "key");
    }

    #[tokio::test]
    async fn one_staged_file_per_target_and_dropping_it_cleans_up() {
        let directory = tempfile::tempdir().unwrap();
        let target = directory.path().join("key.json");
        let first = StagedKeyFile::create(target.clone()).await.unwrap();
        let second = StagedKeyFile::create(target.clone()).await.unwrap_err();
        assert!(
            second.reason.contains("another create is writing"),
            "{}",
            second.reason
        );
        drop(first);
        assert_eq!(fs::read_dir(directory.path()).unwrap().count(), 0);
        drop(StagedKeyFile::create(target).await.unwrap());
    }
}
