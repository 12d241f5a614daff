//! Shared helpers of the resource tests: the real provider binary in a working directory of its
//! own, spoken to like an engine (replies matched by id, `log` notifications collected), next to an
//! in-process KMS emulator; and the checks every session ends with (no secret on stderr, the
//! password on stdout only inside a secret wrapper, the private key data nowhere on stdout).

#![allow(dead_code)] // Each test file uses a different subset.

// The child-process layer is shared with the protocol tests.
pub use crate::common::process;

pub mod accounting;
mod faults;

// Each test file uses a different subset.
#[allow(unused_imports)]
pub use faults::*;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use alicloud_kms_provider::provider::kms_options::{
    TEST_RETRY_DELAY_VARIABLE, TEST_SETTLE_DELAY_VARIABLE,
};
use kms_emulator::{Config, Emulator};
use process::{parse_stdout_line, ProviderProcess};
use serde_json::{json, Value};

/// What the provider could find on the machine: these tests give credentials, region and
/// endpoint through the provider config (or their own environment) only, so the child never
/// sees a variable with one of these prefixes (every name the credential chain reads has one),
/// nor `KMS_ENDPOINT`.
pub const MACHINE_SETTING_PREFIXES: [&str; 4] = [
    "ALIBABA_CLOUD_",
    "ALICLOUD_",
    "ALIBABACLOUD_",
    "KMS_ENDPOINT",
];

/// Keeps every [`MACHINE_SETTING_PREFIXES`] variable of this process (and the metadata stand-in
/// hook) from the child `command` starts; the provider's other test hooks pass.
pub fn remove_machine_settings(command: &mut std::process::Command) {
    for (name, _) in std::env::vars_os() {
        let is_machine_setting = name.to_str().is_some_and(|name| {
            MACHINE_SETTING_PREFIXES
                .iter()
                .any(|prefix| name.starts_with(prefix))
                && !name.starts_with("ALICLOUD_KMS_PROVIDER_")
        });
        if is_machine_setting {
            command.env_remove(name);
        }
    }
    command.env_remove("ALICLOUD_KMS_PROVIDER_TEST_METADATA_ENDPOINT");
}

pub const PASSWORD: &str = "YouPassword123!";
pub const AAP_TYPE: &str = "alicloud-kms:index:ApplicationAccessPoint";
pub const KEY_TYPE: &str = "alicloud-kms:index:ClientKey";
pub const SECRET_SIGNATURE_KEY: &str = "4dabf18193072939515e22adb298388d";
pub const SECRET_SIGNATURE: &str = "1b47061264138c4ac30d75fd1eb44270";
pub const UNKNOWN: &str = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

pub fn urn(resource_type: &str, name: &str) -> String {
    format!("urn:pulumi:dev::quickstart::{resource_type}::{name}")
}

pub fn secret(value: &str) -> Value {
    json!({SECRET_SIGNATURE_KEY: SECRET_SIGNATURE, "value": value})
}

/// The value inside a secret wrapper, or the value itself.
pub fn unwrap_secret(value: &Value) -> &Value {
    match value.get(SECRET_SIGNATURE_KEY) {
        Some(_) => &value["value"],
        None => value,
    }
}

/// The provider binary, running in its own working directory, spoken to like an engine.
pub struct ProviderSession {
    process: ProviderProcess,
    next_id: u64,
    replies: HashMap<u64, Value>,
    /// Every `log` notification received so far, in order.
    pub logs: Vec<Value>,
    /// Every stdout line received so far (for the secret checks).
    pub stdout: Vec<String>,
}

impl ProviderSession {
    /// Starts the binary in `working_directory`, with the test hooks on, short retry waits, a
    /// short settle delay after a lost create (50 ms), no settings from the machine, and
    /// `environment` on top.
    pub fn start(working_directory: &Path, environment: &[(&str, &str)]) -> ProviderSession {
        ProviderSession::start_command(ProviderProcess::command(), working_directory, environment)
    }

    /// [`ProviderSession::start`] with another command (see `ProviderProcess::command`).
    pub fn start_command(
        mut command: std::process::Command,
        working_directory: &Path,
        environment: &[(&str, &str)],
    ) -> ProviderSession {
        command
            .current_dir(working_directory)
            .env(TEST_RETRY_DELAY_VARIABLE, "20")
            .env(TEST_SETTLE_DELAY_VARIABLE, "50")
            // Credentials come from the provider config in these tests, never from the machine.
            .env("HOME", working_directory);
        remove_machine_settings(&mut command);
        command.envs(environment.iter().copied());
        ProviderSession {
            process: ProviderProcess::start(command),
            next_id: 0,
            replies: HashMap::new(),
            logs: Vec::new(),
            stdout: Vec::new(),
        }
    }

    pub fn send_line(&mut self, line: &str) {
        self.process.send_line(line);
    }

    /// The process id of the provider (to send it a signal).
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Sends a request without waiting; returns its id.
    pub fn send(&mut self, method: &str, params: Value) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.process
            .send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Sends a notification (no id, no reply).
    pub fn notify(&mut self, method: &str) {
        self.process
            .send(&json!({"jsonrpc": "2.0", "method": method}));
    }

    /// Reads one stdout message: a `log` notification is stored in `logs`, a reply in `replies`.
    fn read_one(&mut self) {
        let line = self.process.receive_line();
        let message = parse_stdout_line(&line);
        self.stdout.push(line);
        if message["method"] == "log" {
            self.logs.push(message["params"].clone());
        } else {
            let id = message["id"]
                .as_u64()
                .unwrap_or_else(|| panic!("a reply without a numeric id: {message}"));
            self.replies.insert(id, message);
        }
    }

    /// The whole reply to request `id`, reading (and keeping) whatever comes before it.
    pub fn reply(&mut self, id: u64) -> Value {
        loop {
            if let Some(reply) = self.replies.remove(&id) {
                return reply;
            }
            self.read_one();
        }
    }

    /// Reads until a `log` notification satisfies `matches` (or one already did), and returns it.
    pub fn wait_for_log(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        let mut seen = 0;
        loop {
            if let Some(found) = self.logs[seen..].iter().find(|log| matches(log)) {
                return found.clone();
            }
            seen = self.logs.len();
            self.read_one();
        }
    }

    /// Sends a request and returns its whole reply.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.send(method, params);
        self.reply(id)
    }

    /// Sends a request and returns its `result`, failing the test on an error.
    pub fn result(&mut self, method: &str, params: Value) -> Value {
        let reply = self.call(method, params);
        match reply.get("result") {
            Some(result) => result.clone(),
            None => panic!("{method} answered an error: {reply}"),
        }
    }

    /// Sends a request and returns its `error`, failing the test on a result.
    pub fn error(&mut self, method: &str, params: Value) -> Value {
        let reply = self.call(method, params);
        match reply.get("error") {
            Some(error) => error.clone(),
            None => panic!("{method} succeeded but an error was expected: {reply}"),
        }
    }

    pub fn stderr_text(&self) -> String {
        self.process.stderr_text()
    }

    /// Logs about one resource.
    pub fn logs_about(&self, urn: &str) -> Vec<&Value> {
        self.logs.iter().filter(|log| log["urn"] == urn).collect()
    }

    /// Whether some log so far has a message containing `fragment`, and `severity` when one is
    /// given.
    pub fn has_log(&self, severity: Option<&str>, fragment: &str) -> bool {
        self.logs.iter().any(|log| {
            severity.is_none_or(|severity| log["severity"] == severity)
                && log["message"].as_str().unwrap().contains(fragment)
        })
    }

    /// `check` that must pass; returns the checked inputs.
    pub fn assert_check_passes(&mut self, resource_type: &str, name: &str, news: Value) -> Value {
        let result = self.result(
            "check",
            json!({"urn": urn(resource_type, name), "olds": {}, "news": news}),
        );
        assert_eq!(result["failures"], json!([]), "{result}");
        result["inputs"].clone()
    }

    /// Closes stdin, waits for the exit, checks that no secret leaked, and returns the status.
    pub fn finish(self, secrets: &[&str]) -> ExitStatus {
        let mut stdout = self.stdout;
        let (status, unread, stderr) = self.process.finish();
        stdout.extend(unread);
        for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
            assert!(
                !stderr.contains(secret),
                "a secret reached stderr:\n{stderr}"
            );
        }
        for line in &stdout {
            let value: Value = serde_json::from_str(line).unwrap();
            for secret in secrets {
                assert_secret_only_wrapped(&value, false, secret, line);
            }
        }
        status
    }
}

/// A string holding `secret` may appear only as the value of a secret wrapper.
fn assert_secret_only_wrapped(value: &Value, inside_secret: bool, secret: &str, line: &str) {
    match value {
        Value::String(text) => assert!(
            inside_secret || !text.contains(secret),
            "a secret appeared outside a secret wrapper on stdout: {line:.400}"
        ),
        Value::Array(items) => {
            for item in items {
                assert_secret_only_wrapped(item, inside_secret, secret, line);
            }
        }
        Value::Object(map) => {
            let is_secret = map.get(SECRET_SIGNATURE_KEY) == Some(&json!(SECRET_SIGNATURE));
            for item in map.values() {
                assert_secret_only_wrapped(item, inside_secret || is_secret, secret, line);
            }
        }
        _ => {}
    }
}

/// An emulator, a provider configured for it, and the provider's working directory.
pub struct Harness {
    pub emulator: Emulator,
    pub provider: ProviderSession,
    pub directory: tempfile::TempDir,
}

impl Harness {
    /// Starts both and configures the provider for the emulator.
    pub fn start() -> Harness {
        Harness::start_with(&[])
    }

    pub fn start_with(environment: &[(&str, &str)]) -> Harness {
        Harness::start_command(ProviderProcess::command(), environment, false)
    }

    /// A harness whose provider runs without privileges over files (see
    /// `ProviderProcess::unprivileged_command`), in a working directory anyone may enter and
    /// write; the error says why that cannot be done here.
    pub fn start_unprivileged() -> Result<Harness, String> {
        let command = ProviderProcess::unprivileged_command()?;
        Ok(Harness::start_command(command, &[], true))
    }

    fn start_command(
        command: std::process::Command,
        environment: &[(&str, &str)],
        open_to_everyone: bool,
    ) -> Harness {
        use std::os::unix::fs::PermissionsExt;
        let emulator = Emulator::start_blocking(Config::default()).expect("the emulator starts");
        let directory = tempfile::tempdir().unwrap();
        if open_to_everyone {
            std::fs::set_permissions(directory.path(), std::fs::Permissions::from_mode(0o777))
                .unwrap();
        }
        let mut provider = ProviderSession::start_command(command, directory.path(), environment);
        let reply = provider.result("configure", configure_params(&emulator));
        assert_eq!(reply["supportsPreview"], true, "{reply}");
        Harness {
            emulator,
            provider,
            directory,
        }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.directory.path().join(relative)
    }

    /// Creates a resource of any type through the provider, as an engine does (`check`, then
    /// `create` with the checked inputs); both must succeed. Returns the create result.
    pub fn assert_created(&mut self, resource_type: &str, name: &str, news: Value) -> Value {
        let inputs = self.assert_check_passes(resource_type, name, news);
        self.provider.result(
            "create",
            json!({"urn": urn(resource_type, name), "properties": inputs}),
        )
    }

    /// Creates an AAP in the emulator through the provider (check + create).
    pub fn create_access_point(&mut self, name: &str, policies: &[&str]) -> Value {
        self.assert_created(
            AAP_TYPE,
            name,
            json!({"applicationAccessPointName": name, "policies": policies}),
        )
    }

    /// `check` that must pass; returns the checked inputs.
    pub fn assert_check_passes(&mut self, resource_type: &str, name: &str, news: Value) -> Value {
        self.provider.assert_check_passes(resource_type, name, news)
    }

    /// A second stack: another provider process, in a working directory of its own, configured
    /// for the same emulator (two stacks sharing one account).
    pub fn start_other_stack(&self) -> OtherStack {
        let directory = tempfile::tempdir().unwrap();
        let mut provider = ProviderSession::start(directory.path(), &[]);
        provider.result("configure", configure_params(&self.emulator));
        OtherStack {
            provider,
            directory,
        }
    }

    /// Finishes the provider session (with the secret checks) and returns the emulator.
    pub fn finish(self, secrets: &[&str]) -> Emulator {
        let status = self.provider.finish(secrets);
        assert!(status.success(), "{status:?}");
        self.emulator
    }
}

/// Another stack against the emulator of a [`Harness`].
pub struct OtherStack {
    pub provider: ProviderSession,
    pub directory: tempfile::TempDir,
}

impl OtherStack {
    pub fn path(&self, relative: &str) -> PathBuf {
        self.directory.path().join(relative)
    }
}

/// `configure` params for the emulator with its demo credential.
pub fn configure_params(emulator: &Emulator) -> Value {
    json!({
        "variables": {"alicloud-kms:config:region": "cn-hangzhou"},
        "args": {
            "endpoint": emulator.addr().to_string(),
            "protocol": "HTTP",
            "accessKey": "demo-access-key-id",
            "secretKey": secret("demo-access-key-secret"),
        },
        "acceptSecrets": true,
    })
}

/// The private key data of a key file (to check it never appears anywhere else).
pub fn key_file_private_data(path: &Path) -> String {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let parsed: Value = serde_json::from_str(&text).unwrap();
    parsed["PrivateKeyData"].as_str().unwrap().to_owned()
}

/// The mode bits of a file.
pub fn file_mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// The names in a directory, sorted.
pub fn directory_names(path: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(path)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
