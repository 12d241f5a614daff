//! Helpers shared by the integration tests: the real provider binary as a child process, and the
//! method table in process.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use alicloud_kms_provider::protocol::{rpc_module, ProtocolOptions};
use alicloud_kms_provider::provider::{Provider, ProviderOptions};
use alicloud_kms_provider::resources::EngineLog;
use jsonrpsee::RpcModule;
use serde_json::{json, Value};

/// How long a test waits for one line before calling it a hang. It is a failure detector, never
/// a synchronisation: a healthy run answers in milliseconds.
pub const HANG_TIMEOUT: Duration = Duration::from_secs(60);

pub const BINARY: &str = env!("CARGO_BIN_EXE_alicloud-kms-provider");

/// The provider binary, running, with its stdout read line by line on a thread and its stderr
/// collected on another.
pub struct ProviderProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout_lines: Receiver<Result<String, String>>,
    stdout_reader: Option<JoinHandle<()>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_reader: Option<JoinHandle<()>>,
}

impl ProviderProcess {
    /// Starts the binary with the test hooks on and the given extra environment.
    pub fn spawn(environment: &[(&str, &str)]) -> ProviderProcess {
        let mut command = Command::new(BINARY);
        command
            .env_remove("RUST_LOG")
            .env("ALICLOUD_KMS_PROVIDER_TEST_HOOKS", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in environment {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the provider binary starts");
        let stdout = child.stdout.take().unwrap();
        let (sender, stdout_lines) = mpsc::channel();
        let stdout_reader = thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut line = Vec::new();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        // A line without its newline would be a partial write: report it as such.
                        let complete = line.last() == Some(&b'\n');
                        let decoded = String::from_utf8(line)
                            .map_err(|_| "stdout carried bytes that are not UTF-8".to_owned())
                            .and_then(|text| {
                                if complete {
                                    Ok(text.trim_end_matches('\n').to_owned())
                                } else {
                                    Err(format!("stdout ended with a partial line: {text:.200}"))
                                }
                            });
                        if sender.send(decoded).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        let mut stderr_pipe = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let stderr_sink = stderr.clone();
        let stderr_reader = thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(count) = stderr_pipe.read(&mut buffer) {
                if count == 0 {
                    return;
                }
                stderr_sink
                    .lock()
                    .unwrap()
                    .extend_from_slice(&buffer[..count]);
            }
        });
        ProviderProcess {
            stdin: child.stdin.take(),
            child,
            stdout_lines,
            stdout_reader: Some(stdout_reader),
            stderr,
            stderr_reader: Some(stderr_reader),
        }
    }

    pub fn send_bytes(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        stdin
            .write_all(bytes)
            .expect("the provider reads its stdin");
        stdin.flush().unwrap();
    }

    /// Sends one line (a newline is added).
    pub fn send_line(&mut self, line: &str) {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.send_bytes(&bytes);
    }

    pub fn send(&mut self, message: &Value) {
        self.send_line(&message.to_string());
    }

    /// The next stdout line, or a panic if none comes (a hang) or stdout closes.
    pub fn receive_line(&mut self) -> String {
        match self.stdout_lines.recv_timeout(HANG_TIMEOUT) {
            Ok(Ok(line)) => line,
            Ok(Err(problem)) => panic!("{problem}"),
            Err(RecvTimeoutError::Timeout) => {
                panic!(
                    "no line on stdout within {HANG_TIMEOUT:?}; stderr:\n{}",
                    self.stderr_text()
                )
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!(
                    "stdout closed while a line was expected; stderr:\n{}",
                    self.stderr_text()
                )
            }
        }
    }

    /// The next stdout line as JSON.
    pub fn receive(&mut self) -> Value {
        let line = self.receive_line();
        serde_json::from_str(&line)
            .unwrap_or_else(|error| panic!("stdout line is not JSON ({error}): {line:.300}"))
    }

    /// Sends a request and returns the next line (the caller knows nothing else is pending).
    pub fn call(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.receive()
    }

    pub fn close_stdin(&mut self) {
        self.stdin.take();
    }

    /// Closes stdin, waits for the exit, and returns the exit status, every stdout line that was
    /// still unread, and stderr. The end of stdout marks the exit: the provider closes it only
    /// when it exits.
    pub fn finish(mut self) -> (ExitStatus, Vec<String>, String) {
        self.close_stdin();
        let mut remaining = Vec::new();
        loop {
            match self.stdout_lines.recv_timeout(HANG_TIMEOUT) {
                Ok(line) => remaining.push(line.unwrap_or_else(|problem| panic!("{problem}"))),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    panic!("the provider did not exit within {HANG_TIMEOUT:?} after stdin closed");
                }
            }
        }
        let status = self.child.wait().unwrap();
        self.stdout_reader.take().unwrap().join().unwrap();
        self.stderr_reader.take().unwrap().join().unwrap();
        let stderr = self.stderr_text();
        (status, remaining, stderr)
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }
}

impl Drop for ProviderProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The method table in process: every method, minus the transport.
pub struct InProcess {
    module: RpcModule<Provider>,
}

impl InProcess {
    pub fn new() -> InProcess {
        let provider = Provider::new(ProviderOptions {
            engine_log: EngineLog::discard(),
            working_directory: std::env::temp_dir(),
        });
        InProcess {
            module: rpc_module(provider, ProtocolOptions::default()),
        }
    }

    /// The whole JSON-RPC reply to one call.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        let request =
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let (reply, _) = self
            .module
            .raw_json_request(&request, 1)
            .await
            .expect("the request is well formed");
        serde_json::from_str(reply.get()).unwrap()
    }

    /// The `result` of one call, failing the test on an error reply.
    pub async fn result(&self, method: &str, params: Value) -> Value {
        let reply = self.call(method, params).await;
        match reply.get("result") {
            Some(result) => result.clone(),
            None => panic!("{method} answered an error: {reply}"),
        }
    }
}

/// The path of a file under `tests/`.
pub fn fixture_path(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(relative)
}

/// Expands the notation of the table files: `{"$secret": v}` is Pulumi's secret wrapper around
/// `v`, and `"$unknown"` is the string unknown sentinel.
pub fn expand_notation(value: Value) -> Value {
    match value {
        Value::String(text) if text == "$unknown" => {
            Value::String("04da6b54-80e4-46f7-96ec-b56ff0331ba9".into())
        }
        Value::Object(mut map) if map.len() == 1 && map.contains_key("$secret") => {
            let inner = expand_notation(map.remove("$secret").unwrap());
            json!({"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": inner})
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (key, expand_notation(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(expand_notation).collect()),
        other => other,
    }
}

/// Reads a table file under `tests/tables/`.
pub fn read_table(name: &str) -> Value {
    let path = fixture_path(&format!("tables/{name}"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}
