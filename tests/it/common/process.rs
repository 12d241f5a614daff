//! The real provider binary as a child process, the one layer every binary-driving test builds
//! on: spawned with the test hooks on; stdin a pipe (written directly or by a background writer
//! that may block while the provider stops reading), a terminal or closed; stdout read line by
//! line on a thread that reports partial lines and bytes that are not UTF-8 (eagerly, or only
//! when a line is asked for so that the provider can be left unread and its stdout closed), or
//! collected whole; stderr collected on another thread.

use std::fs::OpenOptions;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use alicloud_kms_provider::provider::kms_options::TEST_HOOKS_VARIABLE;
use rustix::fd::OwnedFd;
use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
use serde_json::{json, Value};

/// How long a test waits for one line before calling it a hang. It is a failure detector, never
/// a synchronisation: a healthy run answers in milliseconds, a retried one in seconds.
pub const HANG_TIMEOUT: Duration = Duration::from_secs(90);

pub const BINARY: &str = env!("CARGO_BIN_EXE_alicloud-kms-provider");

/// One stdout line without its newline, or what was wrong with it.
type StdoutLine = Result<String, String>;

/// What the binary's stdin is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Input {
    /// A pipe the test writes to and closes.
    #[default]
    Pipe,
    /// The terminal side of a new pseudo-terminal, open until the process is dropped; nothing is
    /// ever typed on it.
    Terminal,
    /// Closed from the start (`/dev/null`).
    Closed,
}

/// How the binary's stdout is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Output {
    /// Line by line, as fast as the provider writes, for [`ProviderProcess::receive_line`].
    #[default]
    Lines,
    /// Line by line, but only as far as [`ProviderProcess::receive_line`] asks: the provider's
    /// writes block once the pipe is full, and [`ProviderProcess::close_stdout`] closes it.
    LinesOnDemand,
    /// Every byte, kept until the exit, for [`ProviderProcess::stdout_bytes`].
    Whole,
}

/// The reading end of stdout, as [`Output`] chose.
enum StdoutReader {
    Lines {
        lines: Receiver<StdoutLine>,
        /// One unit per line asked for, in [`Output::LinesOnDemand`]; dropping it stops the reader.
        demands: Option<Sender<()>>,
    },
    Whole(Arc<Mutex<Vec<u8>>>),
    Closed,
}

/// The provider binary, running, with its stdout read on a thread as [`Output`] says and its
/// stderr collected on another.
pub struct ProviderProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: StdoutReader,
    stdout_reader: Option<JoinHandle<()>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_reader: Option<JoinHandle<()>>,
    /// The controlling side of the pseudo-terminal of [`Input::Terminal`].
    terminal: Option<OwnedFd>,
}

/// A thread writing the provider's stdin while the test does something else (reads, or waits for
/// the provider to stop reading); [`ProviderProcess::rejoin`] waits for it and takes stdin back.
pub struct BackgroundWriter<T> {
    thread: JoinHandle<(ChildStdin, T)>,
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

    /// Starts `command` with all three standard streams piped, stdout read line by line.
    pub fn start(command: Command) -> ProviderProcess {
        ProviderProcess::start_with(command, Input::Pipe, Output::Lines)
    }

    /// Starts `command` with the given stdin and stdout, stderr piped, and the reader threads.
    pub fn start_with(mut command: Command, input: Input, output: Output) -> ProviderProcess {
        let mut terminal = None;
        let stdin = match input {
            Input::Pipe => Stdio::piped(),
            Input::Closed => Stdio::null(),
            Input::Terminal => {
                let (controller, terminal_side) = pseudo_terminal();
                terminal = Some(controller);
                Stdio::from(terminal_side)
            }
        };
        command
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the provider binary starts");
        let stdout_pipe = child.stdout.take().unwrap();
        let (stdout, stdout_reader) = match output {
            Output::Lines | Output::LinesOnDemand => {
                let (sender, lines) = mpsc::channel();
                let (demands, demanded) = match output {
                    Output::LinesOnDemand => {
                        let (demands, demanded) = mpsc::channel();
                        (Some(demands), Some(demanded))
                    }
                    _ => (None, None),
                };
                let reader =
                    thread::spawn(move || read_stdout_lines(stdout_pipe, sender, demanded));
                (StdoutReader::Lines { lines, demands }, reader)
            }
            Output::Whole => {
                let bytes = Arc::new(Mutex::new(Vec::new()));
                let sink = bytes.clone();
                let reader = thread::spawn(move || collect(stdout_pipe, sink));
                (StdoutReader::Whole(bytes), reader)
            }
        };
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let stderr_pipe = child.stderr.take().unwrap();
        let stderr_sink = stderr.clone();
        let stderr_reader = thread::spawn(move || collect(stderr_pipe, stderr_sink));
        ProviderProcess {
            stdin: child.stdin.take(),
            child,
            stdout,
            stdout_reader: Some(stdout_reader),
            stderr,
            stderr_reader: Some(stderr_reader),
            terminal,
        }
    }

    /// The process id (to send it a signal).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.try_send_bytes(bytes)
            .expect("the provider reads its stdin");
    }

    /// Writes `bytes` to stdin, or says why it could not (the provider may have exited).
    pub fn try_send_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        stdin.write_all(bytes)?;
        stdin.flush()
    }

    /// Sends one line (a newline is added) in a single write.
    pub fn send_line(&mut self, line: &str) {
        self.try_send_line(line)
            .expect("the provider reads its stdin");
    }

    /// [`ProviderProcess::send_line`], saying why the line could not be written.
    pub fn try_send_line(&mut self, line: &str) -> io::Result<()> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.try_send_bytes(&bytes)
    }

    /// Hands stdin to a thread running `write`, for writes that may block while the provider
    /// does not read; [`ProviderProcess::rejoin`] returns what `write` returns.
    pub fn write_in_background<T: Send + 'static>(
        &mut self,
        write: impl FnOnce(&mut ChildStdin) -> T + Send + 'static,
    ) -> BackgroundWriter<T> {
        let mut stdin = self.stdin.take().expect("stdin is still open");
        BackgroundWriter {
            thread: thread::spawn(move || {
                let result = write(&mut stdin);
                (stdin, result)
            }),
        }
    }

    /// Waits for the background writer to end, takes stdin back (still open), and returns what
    /// it returned.
    pub fn rejoin<T>(&mut self, writer: BackgroundWriter<T>) -> T {
        let (stdin, result) = writer.thread.join().expect("the background writer");
        self.stdin = Some(stdin);
        result
    }

    pub fn send(&mut self, message: &Value) {
        self.send_line(&message.to_string());
    }

    /// The next stdout line, or a panic if none comes (a hang), stdout closes, or the line is
    /// partial or not UTF-8.
    pub fn receive_line(&mut self) -> String {
        match self.next_line() {
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

    /// Closes the reading end of stdout, as an engine that goes away does ([`Output::LinesOnDemand`]
    /// only: the reader thread is then between lines and lets go of the pipe at once).
    pub fn close_stdout(&mut self) {
        match &mut self.stdout {
            StdoutReader::Lines { demands, .. } if demands.is_some() => demands.take(),
            _ => panic!("only stdout read on demand can be closed"),
        };
        self.stdout_reader.take().unwrap().join().unwrap();
        self.stdout = StdoutReader::Closed;
    }

    /// The next stdout line, asking the reader for it when it reads on demand.
    fn next_line(&self) -> Result<StdoutLine, RecvTimeoutError> {
        let StdoutReader::Lines { lines, demands } = &self.stdout else {
            panic!("stdout is not read line by line");
        };
        if let Some(demands) = demands {
            // A reader that has stopped (at the end of stdout) shows as a disconnection below.
            let _ = demands.send(());
        }
        lines.recv_timeout(HANG_TIMEOUT)
    }

    /// Waits up to `timeout` for the exit without touching stdin; `None` if the process still
    /// runs (it is killed when dropped). After the exit, stderr (and stdout read whole) is
    /// complete.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(10));
        };
        if let Some(reader) = self.stderr_reader.take() {
            reader.join().unwrap();
        }
        if let StdoutReader::Whole(_) = self.stdout {
            if let Some(reader) = self.stdout_reader.take() {
                reader.join().unwrap();
            }
        }
        Some(status)
    }

    /// Waits up to `timeout` for stderr to contain `text`; false if it does not.
    pub fn wait_for_stderr(&self, text: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while !self.stderr_text().contains(text) {
            if Instant::now() > deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(10));
        }
        true
    }

    /// Everything stdout carried ([`Output::Whole`]), complete once [`ProviderProcess::wait_for_exit`]
    /// has seen the exit.
    pub fn stdout_bytes(&self) -> Vec<u8> {
        match &self.stdout {
            StdoutReader::Whole(bytes) => bytes.lock().unwrap().clone(),
            _ => panic!("stdout is not read whole"),
        }
    }

    /// Closes stdin, waits for the exit, and returns the exit status, every stdout line that was
    /// still unread, and stderr. The end of stdout marks the exit: the provider closes it only
    /// when it exits. (For stdout read line by line and still open; otherwise close stdin and
    /// use [`ProviderProcess::wait_for_exit`].)
    pub fn finish(mut self) -> (ExitStatus, Vec<String>, String) {
        self.close_stdin();
        let mut remaining = Vec::new();
        loop {
            match self.next_line() {
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
        if let Some(reader) = self.stderr_reader.take() {
            reader.join().unwrap();
        }
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

/// Sends every stdout line to `lines` until stdout closes or nobody listens any more; with
/// `demanded`, reads each line only once it is asked for, and lets go of stdout when the asking
/// ends.
fn read_stdout_lines(
    stdout: ChildStdout,
    lines: Sender<StdoutLine>,
    demanded: Option<Receiver<()>>,
) {
    let mut reader = BufReader::new(stdout);
    loop {
        if let Some(demanded) = &demanded {
            if demanded.recv().is_err() {
                return;
            }
        }
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

/// Appends everything the child writes on `pipe` to `sink` until it closes.
fn collect(mut pipe: impl Read, sink: Arc<Mutex<Vec<u8>>>) {
    let mut buffer = [0u8; 8192];
    while let Ok(count) = pipe.read(&mut buffer) {
        if count == 0 {
            return;
        }
        sink.lock().unwrap().extend_from_slice(&buffer[..count]);
    }
}

/// A new pseudo-terminal: its controlling side and its terminal side.
fn pseudo_terminal() -> (OwnedFd, std::fs::File) {
    let controller = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
    grantpt(&controller).unwrap();
    unlockpt(&controller).unwrap();
    let terminal_path = ptsname(&controller, Vec::new()).unwrap();
    let terminal = OpenOptions::new()
        .read(true)
        .write(true)
        .open(terminal_path.to_str().unwrap())
        .unwrap();
    (controller, terminal)
}
