//! The release artefacts of `scripts/package.sh`: the wheel's and the npm platform package's
//! compressed sizes, and the cold start of the binary they carry (linked by zig against glibc
//! 2.17) next to the cargo-built one, spawned alternately in the same run so that the ratio holds
//! on a noisy machine.

use std::path::{Path, PathBuf};

use crate::protocol;
use crate::stdio::ProviderCommand;
use crate::BenchError;

/// What `measure` found.
pub struct Packages {
    pub wheel_bytes: u64,
    pub npm_platform_bytes: u64,
    /// Spawn → `getSchema` reply of the binary inside the packages.
    pub packaged_cold_start: Vec<f64>,
    /// The same, of the cargo-built release binary, interleaved with the packaged one's.
    pub cargo_cold_start: Vec<f64>,
}

/// The one file in `dist/` whose name starts with `prefix` and ends with `suffix`.
fn artefact(root: &Path, prefix: &str, suffix: &str) -> Result<PathBuf, BenchError> {
    let dist = root.join("dist");
    let entries = std::fs::read_dir(&dist).map_err(|error| {
        BenchError::new(format!(
            "cannot read {}: {error}; build the packages first (scripts/package.sh)",
            dist.display()
        ))
    })?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with(prefix) && name.ends_with(suffix)
        })
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(BenchError::new(format!(
            "no {prefix}*{suffix} in {}; build the packages first (scripts/package.sh)",
            dist.display()
        ))),
        _ => Err(BenchError::new(format!(
            "several {prefix}*{suffix} in {}; run scripts/package.sh again",
            dist.display()
        ))),
    }
}

fn size_of(path: &Path) -> Result<u64, BenchError> {
    std::fs::metadata(path)
        .map(|metadata| metadata.len())
        .map_err(|error| BenchError::new(format!("cannot stat {}: {error}", path.display())))
}

/// The compressed size of the manylinux wheel in `dist/`.
pub fn wheel_size(root: &Path) -> Result<u64, BenchError> {
    size_of(&artefact(root, "pulumi_alicloud_kms-", "_x86_64.whl")?)
}

/// Sizes, and both binaries' cold starts in `rounds` alternating batches of `spawns / rounds`.
pub fn measure(
    root: &Path,
    cargo_built: &ProviderCommand,
    spawns: usize,
) -> Result<Packages, BenchError> {
    let wheel_bytes = wheel_size(root)?;
    let npm_platform_bytes = size_of(&artefact(
        root,
        "pulumi-alicloud-kms-linux-x64-gnu-",
        ".tgz",
    )?)?;
    // package.sh leaves the binary it put into both packages here.
    let packaged = root.join("target/package/alicloud-kms-provider");
    if !packaged.exists() {
        return Err(BenchError::new(format!(
            "{} is missing; build the packages first (scripts/package.sh)",
            packaged.display()
        )));
    }
    let packaged = ProviderCommand::new(&packaged);
    let rounds = 10;
    let batch = (spawns / rounds).max(1);
    let mut packaged_cold_start = Vec::with_capacity(spawns);
    let mut cargo_cold_start = Vec::with_capacity(spawns);
    for _ in 0..rounds {
        packaged_cold_start.extend(protocol::cold_start(&packaged, batch)?);
        cargo_cold_start.extend(protocol::cold_start(cargo_built, batch)?);
    }
    Ok(Packages {
        wheel_bytes,
        npm_platform_bytes,
        packaged_cold_start,
        cargo_cold_start,
    })
}
