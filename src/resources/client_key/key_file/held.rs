//! Which client key the file at a key file's path holds, read without trusting what is there.
//!
//! Whatever is at the path was not necessarily put there by the provider, so it is read only if
//! it is a regular file of at most [`MAX_KEY_FILE_BYTES`] (a key file is a few KB), through the
//! provider's one hardened reader (`kms::local_file`): not through a symlink (`O_NOFOLLOW`),
//! without blocking (`O_NONBLOCK`, so a FIFO cannot hold the open), and with the opened file
//! checked to be the regular file that was inspected. Anything else (a FIFO, a device, a symlink
//! to `/dev/zero`, a huge file) is not read, and the caller says why.
//!
//! Three readers: `check` (a warning when the file already holds a key), `create` (which refuses
//! to replace a file that holds a key) and `delete` (which removes the file of
//! the deleted key).

use std::fs::{self, Metadata};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde::Deserialize;

use crate::kms::local_file::{file_kind, read_regular_file, FileProblem, ReadRules};

/// The largest file that is read as a key file. A real one is about 4 KB (base64 of a PKCS#12
/// holding an RSA-2048 key).
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// Just the key id of a key file, to recognise which key a file holds.
#[derive(Deserialize)]
struct KeyFileIdentity {
    #[serde(rename = "KeyId")]
    key_id: String,
}

/// What is at a key file's path.
#[derive(Debug, PartialEq, Eq)]
pub enum Held {
    /// Nothing.
    Absent,
    /// A key file of this client key.
    Key(String),
    /// A small regular file that is no key file.
    NotAKeyFile,
    /// Something that was not read, for this reason (a FIFO, a symlink, a huge file, a file
    /// replaced while it was read).
    NotRead(String),
}

/// Reads which key the file at `target` holds. Blocking (a few KB at most, never waiting on a
/// FIFO); run it off the async threads, or where a short file read is acceptable.
pub fn read_held_key(target: &Path) -> io::Result<Held> {
    let inspected = match fs::symlink_metadata(target) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Held::Absent),
        Err(error) => return Err(error),
    };
    if let Some(reason) = not_a_key_file(&inspected) {
        return Ok(Held::NotRead(reason));
    }
    let rules = ReadRules {
        max_bytes: MAX_KEY_FILE_BYTES,
        follow_symlinks: false,
    };
    let contents = match read_regular_file(target, rules) {
        Ok(contents) => contents,
        Err(FileProblem::NotFound) => return Ok(Held::Absent),
        Err(FileProblem::Unreadable(error)) => return Err(error),
        Err(FileProblem::NotRegular { found }) => {
            return Ok(Held::NotRead(format!(
                "it became {found}, not a regular file"
            )))
        }
        Err(FileProblem::TooLarge { bytes, .. }) => return Ok(Held::NotRead(too_large(bytes))),
    };
    let opened = &contents.metadata;
    if opened.dev() != inspected.dev() || opened.ino() != inspected.ino() {
        return Ok(Held::NotRead(
            "it was replaced while it was being checked".to_owned(),
        ));
    }
    let bytes = contents.bytes;
    Ok(match serde_json::from_slice::<KeyFileIdentity>(&bytes) {
        Ok(identity) if !identity.key_id.is_empty() => Held::Key(identity.key_id),
        _ => Held::NotAKeyFile,
    })
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

    #[test]
    fn a_key_file_names_its_key_and_anything_else_is_told_apart() {
        let directory = tempfile::tempdir().unwrap();
        let target = directory.path().join("key.json");
        assert_eq!(read_held_key(&target).unwrap(), Held::Absent);
        fs::write(&target, key_file_content("KAAP.2", "data")).unwrap();
        assert_eq!(read_held_key(&target).unwrap(), Held::Key("KAAP.2".into()));
        fs::write(&target, "not json").unwrap();
        assert_eq!(read_held_key(&target).unwrap(), Held::NotAKeyFile);
        fs::write(&target, r#"{"KeyId":""}"#).unwrap();
        assert_eq!(read_held_key(&target).unwrap(), Held::NotAKeyFile);
    }

    #[test]
    fn what_is_not_a_small_regular_file_is_not_read() {
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
            assert_eq!(
                read_held_key(&path).unwrap(),
                Held::NotRead(reason.into()),
                "{path:?}"
            );
        }
    }
}
