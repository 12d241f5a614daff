//! The generated SDK trees on disk: reading them back, comparing, and writing a fresh generation.
//!
//! This is the only module that touches the file system. Build output and tool caches that live
//! inside the SDK directories (`node_modules`, `bin`, `__pycache__`, ...) are neither compared nor
//! deleted; they are gitignored and belong to whoever built the SDK.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Directory names inside an SDK tree that hold build output or caches, never generated files.
const IGNORED_DIRECTORY_NAMES: &[&str] = &[
    "node_modules",
    "bin",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    "build",
    "dist",
];

/// Directory name suffixes of build output (`pulumi_alicloud_kms.egg-info`).
const IGNORED_DIRECTORY_SUFFIXES: &[&str] = &[".egg-info"];

/// How a tree on disk differs from a fresh generation.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Files whose contents differ.
    pub stale: Vec<PathBuf>,
    /// Files the generation has and the disk does not.
    pub missing: Vec<PathBuf>,
    /// Files on disk the generation does not produce.
    pub extra: Vec<PathBuf>,
}

impl Comparison {
    pub fn is_clean(&self) -> bool {
        self.stale.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

/// The top-level directories (`nodejs`, `python`) a set of generated paths lives in.
pub fn top_directories(files: &BTreeMap<PathBuf, String>) -> Vec<PathBuf> {
    let mut directories: Vec<PathBuf> = files
        .keys()
        .filter_map(|path| path.components().next())
        .map(|component| PathBuf::from(component.as_os_str()))
        .collect();
    directories.dedup();
    directories
}

/// Every file under `root/<directory>` for each directory, as relative path → bytes.
/// A missing directory is simply empty.
pub fn read_tree(root: &Path, directories: &[PathBuf]) -> io::Result<BTreeMap<PathBuf, Vec<u8>>> {
    let mut files = BTreeMap::new();
    for directory in directories {
        collect_files(root, &root.join(directory), &mut files)?;
    }
    Ok(files)
}

fn collect_files(
    root: &Path,
    directory: &Path,
    files: &mut BTreeMap<PathBuf, Vec<u8>>,
) -> io::Result<()> {
    let entries = match fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_dir() {
            let ignored = IGNORED_DIRECTORY_NAMES.contains(&name.as_str())
                || IGNORED_DIRECTORY_SUFFIXES
                    .iter()
                    .any(|suffix| name.ends_with(suffix));
            if !ignored {
                collect_files(root, &path, files)?;
            }
        } else {
            let relative = path
                .strip_prefix(root)
                .map_err(io::Error::other)?
                .to_path_buf();
            files.insert(relative, fs::read(&path)?);
        }
    }
    Ok(())
}

/// Compares a fresh generation with what is on disk.
pub fn compare(
    generated: &BTreeMap<PathBuf, String>,
    on_disk: &BTreeMap<PathBuf, Vec<u8>>,
) -> Comparison {
    let mut comparison = Comparison::default();
    for (path, contents) in generated {
        match on_disk.get(path) {
            None => comparison.missing.push(path.clone()),
            Some(bytes) if bytes.as_slice() != contents.as_bytes() => {
                comparison.stale.push(path.clone())
            }
            Some(_) => {}
        }
    }
    comparison.extra = on_disk
        .keys()
        .filter(|path| !generated.contains_key(*path))
        .cloned()
        .collect();
    comparison
}

/// Writes the generation under `root` and deletes files it no longer produces, so the tree ends
/// up equal to the generation (ignored build directories aside).
pub fn write_tree(root: &Path, generated: &BTreeMap<PathBuf, String>) -> io::Result<Comparison> {
    let on_disk = read_tree(root, &top_directories(generated))?;
    let comparison = compare(generated, &on_disk);
    for path in comparison.stale.iter().chain(&comparison.missing) {
        let target = root.join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&target, &generated[path])?;
    }
    for path in &comparison.extra {
        fs::remove_file(root.join(path))?;
    }
    Ok(comparison)
}
