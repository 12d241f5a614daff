//! Runs the Python tests in `tests/python/` (the official Alibaba Cloud SDKs and the official
//! credentials library as clients) against an in-process emulator with an STS role, an OIDC
//! provider and an instance role configured. The Python environment comes from `scripts/ensure-python-env.sh`
//! (or `KMS_TEST_PYTHON` when the test script already made it).

use std::path::{Path, PathBuf};
use std::process::Command;

use kms_emulator::{Config, Credential, Emulator, MetadataConfig, OidcProvider, Role, StsConfig};

const ROLE_ARN: &str = "acs:ram::1234567890123456:role/oracle-role";
const OIDC_PROVIDER_ARN: &str = "acs:ram::1234567890123456:oidc-provider/oracle-idp";
const OIDC_ISSUER: &str = "https://oidc.oracle.example";
const ECS_ROLE: &str = "EcsRamRoleForTests";

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate sits in the repository")
        .to_path_buf()
}

fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("KMS_TEST_PYTHON") {
        return PathBuf::from(python);
    }
    let output = Command::new("bash")
        .arg(repository_root().join("scripts/ensure-python-env.sh"))
        .output()
        .expect("run scripts/ensure-python-env.sh");
    assert!(
        output.status.success(),
        "ensure-python-env.sh failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    PathBuf::from(
        String::from_utf8(output.stdout)
            .expect("a UTF-8 path")
            .trim(),
    )
}

#[test]
fn official_python_sdks_drive_the_emulator() {
    let sts = Credential::sts("STS.sdk-tester", "sts-sdk-secret", "CAIS+sdk/token=");
    let config = Config {
        credentials: vec![Credential::demo(), sts.clone()],
        sts: StsConfig {
            roles: vec![Role::new(ROLE_ARN).trusting([
                kms_emulator::DEMO_ACCESS_KEY_ID.to_owned(),
                OIDC_PROVIDER_ARN.to_owned(),
                format!("acs:ram::1234567890123456:role/{ECS_ROLE}"),
            ])],
            oidc_providers: vec![OidcProvider::new(OIDC_PROVIDER_ARN, OIDC_ISSUER)],
            credential_lifetime_seconds: None,
        },
        metadata: MetadataConfig {
            role_name: Some(ECS_ROLE.to_owned()),
            require_token: true,
        },
        ..Config::default()
    };
    let emulator = Emulator::start_blocking(config).expect("start the emulator");
    let output = Command::new(python())
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/python/test_official_sdks.py",
            "tests/python/test_official_credentials.py",
        ])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env("KMS_EMULATOR_HOST", emulator.addr().to_string())
        .env("KMS_EMULATOR_ROLE_ARN", ROLE_ARN)
        .env("KMS_EMULATOR_OIDC_PROVIDER_ARN", OIDC_PROVIDER_ARN)
        .env("KMS_EMULATOR_OIDC_ISSUER", OIDC_ISSUER)
        .env("KMS_EMULATOR_ECS_ROLE", ECS_ROLE)
        // The credentials library reads these; the test's own settings must win.
        .env_remove("ALIBABA_CLOUD_ECS_METADATA")
        .env_remove("ALIBABA_CLOUD_ECS_METADATA_DISABLED")
        .env_remove("ALIBABA_CLOUD_IMDSV1_DISABLED")
        .env_remove("ALIBABA_CLOUD_ROLE_ARN")
        .env_remove("ALIBABA_CLOUD_ROLE_SESSION_NAME")
        .env_remove("ALIBABA_CLOUD_OIDC_PROVIDER_ARN")
        .env_remove("ALIBABA_CLOUD_OIDC_TOKEN_FILE")
        .env("KMS_EMULATOR_STS_ID", &sts.access_key_id)
        .env("KMS_EMULATOR_STS_SECRET", &sts.access_key_secret)
        .env(
            "KMS_EMULATOR_STS_TOKEN",
            sts.security_token.as_deref().unwrap_or_default(),
        )
        .output()
        .expect("run pytest");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Python SDK tests failed:\n{stdout}\n{stderr}"
    );
    assert_every_test_passed(&stdout);
}

/// The summary line of `pytest -q` must count only passed tests (at least one) and warnings: a
/// skipped, deselected or expected-to-fail test would show as another count on that line. The number of tests is
/// whatever the file holds, so adding one needs no edit here.
fn assert_every_test_passed(stdout: &str) {
    let summary = stdout
        .lines()
        .rev()
        .find(|line| line.contains(" in ") && line.contains("passed"))
        .unwrap_or_else(|| panic!("no pytest summary line:\n{stdout}"));
    // "8 passed in 1.2s", or "8 passed, 1 warning in 1.2s"; warnings are not outcomes.
    let counts = summary.split(" in ").next().unwrap_or_default();
    let mut passed = 0;
    for part in counts.split(',') {
        match part.trim().split_once(' ') {
            Some((number, "passed")) => passed = number.parse::<u32>().unwrap_or(0),
            Some((_, "warning" | "warnings")) => {}
            _ => panic!(
                "expected every Python test to pass and none to be skipped, got {summary:?}:\n{stdout}"
            ),
        }
    }
    assert!(passed > 0, "no Python test ran: {summary:?}\n{stdout}");
}
