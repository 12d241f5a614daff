//! The real provider binary as a child process, the one layer every binary-driving test builds
//! on: spawned with the test hooks on, its stdout read line by line on a thread that reports
//! partial lines and bytes that are not UTF-8, and its stderr collected on another thread.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use alicloud_kms_provider::provider::kms_options::TEST_HOOKS_VARIABLE;
use serde_json::{json, Value};

/// How long a test waits for one line before calling it a hang. It is a failure detector, never
/// a synchronisation: a healthy run answers in milliseconds, a retried one in seconds.
pub const HANG_TIMEOUT: Duration = Duration::from_secs(90);

pub const BINARY: &str = env!("CARGO_BIN_EXE_alicloud-kms-provider");

/// One stdout line without its newline, or what was wrong with it.
type StdoutLine = Result<String, String>;

/// The provider binary, running, with its stdout read line by line on a thread and its stderr
/// collected on another.
pub struct ProviderProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout_lines: Receiver<StdoutLine>,
    stdout_reader: Option<JoinHandle<()>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_reader: Option<JoinHandle<()>>,
}

impl ProviderProcess {
    /// The command that starts the binary with the test hooks on and `RUST_LOG` unset. Callers
    /// add their own settings on top before handing it to [`ProviderProcess::start`].
    pub fn command() -> Command {
        let mut command = Command::new(BINARY);
        command.env_remove("RUST_LOG").env(TEST_HOOKS_VARIABLE, "1");
        command
    }

    /// Like [`ProviderProcess::command`], for a user without privileges over files, so that
    /// permission checks are real: as root, through `setpriv` as `nobody` (uid and gid 65534);
    /// as any other user, as that user. The error says why it cannot be done here.
    pub fn unprivileged_command() -> Result<Command, String> {
        if !rustix::process::geteuid().is_root() {
            return Ok(ProviderProcess::command());
        }
        let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"]
            .into_iter()
            .find(|path| std::path::Path::new(path).exists())
            .ok_or(
                "running as root, and setpriv (util-linux) is not installed to drop to nobody",
            )?;
        let mut command = Command::new(setpriv);
        command
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--",
                BINARY,
            ])
            .env_remove("RUST_LOG")
            .env(TEST_HOOKS_VARIABLE, "1");
        Ok(command)
    }

    /// Starts the binary with the test hooks on and the given extra environment.
    pub fn spawn(environment: &[(&str, &str)]) -> ProviderProcess {
        let mut command = ProviderProcess::command();
        command.envs(environment.iter().copied());
        ProviderProcess::start(command)
    }

    /// Starts `command` with all three standard streams piped, and the two reader threads.
    pub fn start(mut command: Command) -> ProviderProcess {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the provider binary starts");
        let (sender, stdout_lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stdout_reader = thread::spawn(move || read_stdout_lines(stdout, sender));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let stderr_pipe = child.stderr.take().unwrap();
        let stderr_sink = stderr.clone();
        let stderr_reader = thread::spawn(move || collect_stderr(stderr_pipe, stderr_sink));
        ProviderProcess {
            stdin: child.stdin.take(),
            child,
            stdout_lines,
            stdout_reader: Some(stdout_reader),
            stderr,
            stderr_reader: Some(stderr_reader),
        }
    }

    /// The process id (to send it a signal).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn send_bytes(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        stdin
            .write_all(bytes)
            .expect("the provider reads its stdin");
        stdin.flush().unwrap();
    }

    /// Sends one line (a newline is added) in a single write.
    pub fn send_line(&mut self, line: &str) {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.send_bytes(&bytes);
    }

    pub fn send(&mut self, message: &Value) {
        self.send_line(&message.to_string());
    }

    /// The next stdout line, or a panic if none comes (a hang), stdout closes, or the line is
    /// partial or not UTF-8.
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
        parse_stdout_line(&line)
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

/// A stdout line as JSON, failing the test when it is not.
pub fn parse_stdout_line(line: &str) -> Value {
    serde_json::from_str(line)
        .unwrap_or_else(|error| panic!("stdout line is not JSON ({error}): {line:.300}"))
}

/// Sends every stdout line to `lines` until stdout closes or nobody listens any more.
fn read_stdout_lines(stdout: ChildStdout, lines: Sender<StdoutLine>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                if lines.send(decode_stdout_line(line)).is_err() {
                    return;
                }
            }
        }
    }
}

/// Checks one line read from stdout: it must be UTF-8 and end with its newline, since a line
/// without one is a partial write.
fn decode_stdout_line(line: Vec<u8>) -> StdoutLine {
    let complete = line.last() == Some(&b'\n');
    let text = String::from_utf8(line)
        .map_err(|_| "stdout carried bytes that are not UTF-8".to_owned())?;
    if complete {
        Ok(text.trim_end_matches('\n').to_owned())
    } else {
        Err(format!("stdout ended with a partial line: {text:.200}"))
    }
}

/// Appends everything the child writes on stderr to `sink` until stderr closes.
fn collect_stderr(mut stderr: ChildStderr, sink: Arc<Mutex<Vec<u8>>>) {
    let mut buffer = [0u8; 8192];
    while let Ok(count) = stderr.read(&mut buffer) {
        if count == 0 {
            return;
        }
        sink.lock().unwrap().extend_from_slice(&buffer[..count]);
    }
}
