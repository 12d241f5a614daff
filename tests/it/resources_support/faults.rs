//! Faults and the checks that follow them: setting a fault on the emulator, waiting for a call
//! to be in flight, signalling the provider, the seed's ClientKey inputs, and what a create must
//! have left.

use kms_emulator::{Emulator, FaultSpec};
use serde_json::{json, Value};

use super::process;
use super::{Harness, KEY_TYPE, PASSWORD};

/// Sets a fault on one action of the emulator.
pub fn fault(emulator: &Emulator, action: &str, spec: FaultSpec) {
    emulator.set_fault(action, spec).unwrap();
}

/// Waits until the emulator has counted a call of `action` (the request reached the action, so it
/// is in flight).
pub fn wait_until_called(emulator: &Emulator, action: kms_emulator::Action) {
    wait_for_calls(emulator, action, 1);
}

/// Waits until the emulator has counted `calls` calls of `action` in all, polling every 2 ms;
/// fails the test after [`process::HANG_TIMEOUT`].
pub fn wait_for_calls(emulator: &Emulator, action: kms_emulator::Action, calls: u64) {
    let deadline = std::time::Instant::now() + process::HANG_TIMEOUT;
    while emulator.call_count(action) < calls {
        assert!(
            std::time::Instant::now() < deadline,
            "{calls} {} calls did not reach the emulator within {:?}",
            action.name(),
            process::HANG_TIMEOUT
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// A fault spec that applies to the next call only.
pub fn once() -> FaultSpec {
    FaultSpec {
        times: Some(1),
        ..FaultSpec::default()
    }
}

/// Checked ClientKey inputs with the seed's password and validity, on the access point `aap`.
pub fn seed_key_inputs(harness: &mut Harness, key_file: &str) -> Value {
    harness.assert_check_passes(
        KEY_TYPE,
        "key",
        json!({"aapName": "aap", "password": PASSWORD, "notBefore": "2023-09-01T14:11:22Z",
               "notAfter": "2028-09-01T14:11:22Z", "privateKeyDataFile": key_file}),
    )
}

/// The key file holds the only key in the emulator; returns its private key data.
pub fn assert_one_key_matching_the_file(harness: &Harness, id: &str, key_file: &str) -> String {
    let keys = harness.emulator.client_keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0].id, id);
    let parsed: Value =
        serde_json::from_str(&std::fs::read_to_string(harness.path(key_file)).unwrap()).unwrap();
    assert_eq!(parsed["KeyId"], id);
    parsed["PrivateKeyData"].as_str().unwrap().to_owned()
}

/// The retry warnings about `action`.
pub fn retry_logs<'a>(harness: &'a Harness, action: &str) -> Vec<&'a Value> {
    harness
        .provider
        .logs
        .iter()
        .filter(|log| {
            log["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{action} attempt "))
        })
        .collect()
}

/// Sends `signal` (`TERM`, `INT`) to `pid` through the shell's `kill` builtin.
pub fn send_signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("sh")
        .args(["-c", "kill -s \"$0\" \"$1\"", signal, &pid.to_string()])
        .status()
        .expect("sh runs");
    assert!(status.success(), "kill -s {signal} {pid} failed");
}
