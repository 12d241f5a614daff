//! The Python SDK inside the real `pulumi.dynamic` host, and the native plugin beside it: runs
//! `bench/python/dynamic_host.py` (host start-up and the plugin's, our provider's start-up inside
//! the host, `check` and `create` through the host, through the plugin and straight to the
//! binary) and reads its JSON report.

use std::process::{Command, Stdio};

use serde_json::Value;

use crate::emulator::Emulator;
use crate::run::{Paths, Sizes};
use crate::BenchError;

pub fn python_host(paths: &Paths, emulator: &Emulator, sizes: &Sizes) -> Result<Value, BenchError> {
    let python = paths.python.as_ref().ok_or_else(|| {
        BenchError::new("no Python environment (run scripts/ensure-python-env.sh)")
    })?;
    let output = Command::new(python)
        .arg(paths.root.join("bench/python/dynamic_host.py"))
        .arg("--provider")
        .arg(&paths.provider)
        .arg("--plugin")
        .arg(&paths.plugin)
        .arg("--sdk")
        .arg(paths.root.join("sdk/python"))
        .args(["--endpoint", &emulator.address])
        .args([
            "--host-starts",
            &sizes.host_starts.to_string(),
            "--ops",
            &sizes.host_ops.to_string(),
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| BenchError::new(format!("cannot run {}: {error}", python.display())))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(BenchError::new(format!(
            "dynamic_host.py failed with {}: {text}",
            output.status
        )));
    }
    serde_json::from_str(text.lines().last().unwrap_or(""))
        .map_err(|error| BenchError::new(format!("dynamic_host.py printed {text:?}: {error}")))
}
