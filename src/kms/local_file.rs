//! The one reader of local files the provider did not write itself: the CLI profile file, the
//! credentials INI file, `sharedCredentialsFile`, OIDC token files and client-key files.
//!
//! Whatever sits at such a path may be hostile or odd: a FIFO (even for a moment, while a tool
//! replaces the file), a device such as `/dev/zero`, a huge file. So a file is
//!
//! - opened with `O_NONBLOCK` (opening a FIFO never waits for a writer) and `O_NOCTTY`, following
//!   symbolic links unless the caller says otherwise (Kubernetes mounts service-account tokens
//!   through a chain of links to a regular file);
//! - checked *as opened* (`fstat` of the descriptor, so a path swapped after the check cannot
//!   slip something else in) to be a regular file of at most the caller's size cap;
//! - read through `take(cap + 1)`, so a file that grows meanwhile is still bounded.
//!
//! The reader is synchronous and never waits on the file's type; callers on the async runtime
//! run it (and anything else that reads files) on a blocking thread, holding no lock meanwhile.
//! A problem says what was found at the path ("a FIFO", "a character device", "2147483648 bytes,
//! more than the 1048576 allowed") and never quotes the content.

use std::fmt;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

/// The largest credential file read (a CLI file with dozens of profiles is a few KB).
pub const MAX_CREDENTIAL_FILE_BYTES: u64 = 1024 * 1024;

/// How a file is read.
#[derive(Debug, Clone, Copy)]
pub struct ReadRules {
    /// The most bytes the file may have.
    pub max_bytes: u64,
    /// Whether a symbolic link at the path is followed (to a regular file) or refused.
    pub follow_symlinks: bool,
}

impl ReadRules {
    /// A credential file: symbolic links followed, at most [`MAX_CREDENTIAL_FILE_BYTES`].
    pub const CREDENTIAL_FILE: ReadRules = ReadRules {
        max_bytes: MAX_CREDENTIAL_FILE_BYTES,
        follow_symlinks: true,
    };
}

/// A file as read: its bytes and the metadata of the descriptor they were read from.
#[derive(Debug)]
pub struct FileContents {
    /// The whole content (at most the cap).
    pub bytes: Vec<u8>,
    /// `fstat` of the opened file.
    pub metadata: Metadata,
}

impl FileContents {
    /// Whether the file's group or other users may read it (mode `0o044`): a credential file
    /// should be `0600`, as ssh insists for its keys.
    pub fn readable_by_others(&self) -> bool {
        self.metadata.permissions().mode() & 0o044 != 0
    }
}

/// Why a file was not read.
#[derive(Debug)]
pub enum FileProblem {
    /// Nothing at the path.
    NotFound,
    /// Something that is not a regular file.
    NotRegular {
        /// "a FIFO", "a character device", "a directory", ...
        found: &'static str,
    },
    /// A regular file larger than the cap.
    TooLarge {
        /// Its size (as the file system reports it, or as read).
        bytes: u64,
        /// The cap.
        limit: u64,
    },
    /// Opening or reading failed (permission denied, an I/O error).
    Unreadable(io::Error),
}

impl FileProblem {
    /// Whether the path holds nothing (the caller may treat the file as absent).
    pub fn is_not_found(&self) -> bool {
        matches!(self, FileProblem::NotFound)
    }
}

/// Completes "`the file` ...": `is a FIFO, not a regular file`.
impl fmt::Display for FileProblem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileProblem::NotFound => formatter.write_str("does not exist"),
            FileProblem::NotRegular { found } => {
                write!(formatter, "is {found}, not a regular file")
            }
            FileProblem::TooLarge { bytes, limit } => write!(
                formatter,
                "has {bytes} bytes, more than the {limit} a file of this kind may have"
            ),
            FileProblem::Unreadable(error) => write!(formatter, "cannot be read ({error})"),
        }
    }
}

/// Reads the regular file at `path` under `rules` (see the module docs). Blocking, but it never
/// waits on a FIFO or a device.
pub fn read_regular_file(path: &Path, rules: ReadRules) -> Result<FileContents, FileProblem> {
    let mut flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    if !rules.follow_symlinks {
        flags |= OFlags::NOFOLLOW;
    }
    let file = match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(descriptor) => File::from(descriptor),
        Err(Errno::NOENT) => return Err(FileProblem::NotFound),
        Err(Errno::LOOP) if !rules.follow_symlinks => {
            return Err(FileProblem::NotRegular {
                found: "a symbolic link",
            })
        }
        // O_NONBLOCK on a FIFO opened for writing elsewhere, or a device without a driver.
        Err(Errno::NXIO) => {
            return Err(FileProblem::NotRegular {
                found: "a device or socket",
            })
        }
        Err(errno) => return Err(FileProblem::Unreadable(io::Error::from(errno))),
    };
    let metadata = file.metadata().map_err(FileProblem::Unreadable)?;
    if let Some(found) = file_kind(&metadata) {
        return Err(FileProblem::NotRegular { found });
    }
    if metadata.size() > rules.max_bytes {
        return Err(FileProblem::TooLarge {
            bytes: metadata.size(),
            limit: rules.max_bytes,
        });
    }
    let mut bytes = Vec::with_capacity(metadata.size() as usize);
    file.take(rules.max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(FileProblem::Unreadable)?;
    if bytes.len() as u64 > rules.max_bytes {
        return Err(FileProblem::TooLarge {
            bytes: bytes.len() as u64,
            limit: rules.max_bytes,
        });
    }
    Ok(FileContents { bytes, metadata })
}

/// What a file that is not a regular file is, for messages ("a FIFO"); `None` for a regular
/// file.
pub fn file_kind(metadata: &Metadata) -> Option<&'static str> {
    let file_type = metadata.file_type();
    if file_type.is_file() {
        None
    } else if file_type.is_fifo() {
        Some("a FIFO")
    } else if file_type.is_char_device() {
        Some("a character device")
    } else if file_type.is_block_device() {
        Some("a block device")
    } else if file_type.is_dir() {
        Some("a directory")
    } else if file_type.is_socket() {
        Some("a socket")
    } else if file_type.is_symlink() {
        Some("a symbolic link")
    } else {
        Some("not a regular file")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn fifo(path: &Path) {
        rustix::fs::mknodat(
            rustix::fs::CWD,
            path,
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .expect("mkfifo");
    }

    #[test]
    fn a_regular_file_and_a_link_to_one_are_read() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("f");
        std::fs::write(&path, b"content").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let read = read_regular_file(&path, ReadRules::CREDENTIAL_FILE).unwrap();
        assert_eq!(read.bytes, b"content");
        assert!(!read.readable_by_others());
        let link = directory.path().join("link");
        symlink(&path, &link).unwrap();
        assert_eq!(
            read_regular_file(&link, ReadRules::CREDENTIAL_FILE)
                .unwrap()
                .bytes,
            b"content"
        );
        let refused = read_regular_file(
            &link,
            ReadRules {
                follow_symlinks: false,
                ..ReadRules::CREDENTIAL_FILE
            },
        )
        .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "is a symbolic link, not a regular file"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(read_regular_file(&path, ReadRules::CREDENTIAL_FILE)
            .unwrap()
            .readable_by_others());
    }

    #[test]
    fn hostile_files_are_named_not_read() {
        let directory = tempfile::tempdir().unwrap();
        let pipe = directory.path().join("pipe");
        fifo(&pipe);
        let link_to_pipe = directory.path().join("to-pipe");
        symlink(&pipe, &link_to_pipe).unwrap();
        let link_to_zero = directory.path().join("to-zero");
        symlink("/dev/zero", &link_to_zero).unwrap();
        let huge = directory.path().join("huge");
        File::create(&huge)
            .unwrap()
            .set_len(2 * 1024 * 1024 * 1024)
            .unwrap();
        let cases: [(&Path, &str); 6] = [
            (&pipe, "is a FIFO, not a regular file"),
            (&link_to_pipe, "is a FIFO, not a regular file"),
            (Path::new("/dev/zero"), "is a character device"),
            (&link_to_zero, "is a character device"),
            (directory.path(), "is a directory"),
            (&huge, "has 2147483648 bytes, more than the 1048576"),
        ];
        for (path, expected) in cases {
            let problem = read_regular_file(path, ReadRules::CREDENTIAL_FILE).unwrap_err();
            assert!(
                problem.to_string().starts_with(expected),
                "{}: {problem}",
                path.display()
            );
        }
        let missing = read_regular_file(
            &directory.path().join("nothing"),
            ReadRules::CREDENTIAL_FILE,
        )
        .unwrap_err();
        assert!(missing.is_not_found());
    }
}
