//! The Python interpreter of the tests' environment: `KMS_TEST_PYTHON` (set by `scripts/test.sh`),
//! or else the one `scripts/ensure-python-env.sh` prints, which creates the venv on a fresh
//! machine. Shared by the tests that run Python (the signing oracles, the gRPC code generation).

use std::path::Path;
use std::process::{Command, Stdio};

pub fn python_path() -> String {
    if let Ok(python) = std::env::var("KMS_TEST_PYTHON") {
        if !python.is_empty() {
            return python;
        }
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/ensure-python-env.sh");
    let output = Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/ensure-python-env.sh");
    assert!(
        output.status.success(),
        "scripts/ensure-python-env.sh failed"
    );
    String::from_utf8(output.stdout)
        .expect("utf-8 path")
        .trim()
        .to_owned()
}
