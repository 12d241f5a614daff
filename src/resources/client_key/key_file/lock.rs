//! One writer per key file: an advisory lock (`flock`, through `File::try_lock`) on
//! `.<name>.lock` beside the key file, held by a create from before it calls KMS until its file is
//! in place, and by a delete while it checks and removes the file.
//!
//! A `flock` belongs to an open file description, so two creates of one process conflict just as
//! two processes do; the kernel drops it when its holder exits, however it exits, so a crash
//! leaves no stale lock (at most an unlocked `.lock` file, which the next holder takes and
//! removes). A second create does not wait: waiting and then writing would replace the first
//! key's file, and with it the only copy of that key's private key.
//!
//! The holder removes the lock file when it is done. Someone who opened it just before may then
//! lock a file that is no longer at the path; that is noticed (the path no longer leads to the
//! locked file) and the lock is taken again on the new file.

use std::fs::{self, File, TryLockError};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};

use super::KEY_FILE_MODE;

/// How often the lock is taken again when its file was replaced meanwhile, before giving up as
/// busy (each time means another holder came and went).
const ATTEMPTS: usize = 8;

/// The end of a lock file's name (`.<name>.lock`).
const LOCK_SUFFIX: &str = ".lock";

/// How many bytes longer than the key file's name its lock file's name is.
pub(super) const LOCK_NAME_EXTRA_BYTES: usize = 1 + LOCK_SUFFIX.len();

/// The lock of one key file path, held until dropped.
#[derive(Debug)]
pub struct KeyFileLock {
    path: PathBuf,
    file: File,
}

/// Why the lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another create or delete (in this process or another) holds it.
    Busy { lock: PathBuf },
    /// The lock file could not be created or locked.
    Io { lock: PathBuf, error: io::Error },
}

/// The lock file of `target`: `.<name>.lock` in the same directory.
pub fn lock_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "key".to_owned());
    target
        .parent()
        .unwrap_or(Path::new("/"))
        .join(format!(".{name}{LOCK_SUFFIX}"))
}

impl KeyFileLock {
    /// Takes the lock of `target` without waiting.
    pub fn try_acquire(target: &Path) -> Result<KeyFileLock, LockError> {
        let path = lock_path(target);
        let failed = |error: io::Error| LockError::Io {
            lock: path.clone(),
            error,
        };
        for _ in 0..ATTEMPTS {
            // Never through a symlink someone put at the lock's path.
            let file = rustix::fs::open(
                &path,
                OFlags::CREATE | OFlags::RDWR | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(KEY_FILE_MODE),
            )
            .map(File::from)
            .map_err(|errno| failed(io::Error::from(errno)))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => return Err(LockError::Busy { lock: path }),
                Err(TryLockError::Error(error)) => return Err(failed(error)),
            }
            if leads_to(&path, &file) {
                return Ok(KeyFileLock { path, file });
            }
        }
        Err(LockError::Busy { lock: path })
    }
}

/// Whether `path` still names `file`.
fn leads_to(path: &Path, file: &File) -> bool {
    match (fs::symlink_metadata(path), file.metadata()) {
        (Ok(at_path), Ok(held)) => at_path.dev() == held.dev() && at_path.ino() == held.ino(),
        _ => false,
    }
}

impl Drop for KeyFileLock {
    fn drop(&mut self) {
        // Removed while still locked, so that nobody can lock it between the removal and the
        // unlock and believe they hold the lock of the path.
        if leads_to(&self.path, &self.file) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_the_lock_file_goes_with_the_first() {
        let directory = tempfile::tempdir().unwrap();
        let target = directory.path().join("key.json");
        let first = KeyFileLock::try_acquire(&target).unwrap();
        assert_eq!(lock_path(&target), directory.path().join(".key.json.lock"));
        match KeyFileLock::try_acquire(&target) {
            Err(LockError::Busy { lock }) => assert_eq!(lock, lock_path(&target)),
            other => panic!("{other:?}"),
        }
        drop(first);
        assert_eq!(fs::read_dir(directory.path()).unwrap().count(), 0);
        let again = KeyFileLock::try_acquire(&target).unwrap();
        drop(again);
    }

    #[test]
    fn a_lock_file_left_by_a_crash_is_taken_and_a_symlink_is_refused() {
        let directory = tempfile::tempdir().unwrap();
        let target = directory.path().join("key.json");
        fs::write(lock_path(&target), "").unwrap();
        drop(KeyFileLock::try_acquire(&target).unwrap());
        assert!(!lock_path(&target).exists());

        std::os::unix::fs::symlink(directory.path().join("elsewhere"), lock_path(&target)).unwrap();
        assert!(matches!(
            KeyFileLock::try_acquire(&target),
            Err(LockError::Io { .. })
        ));
        assert!(!directory.path().join("elsewhere").exists());
    }
}
