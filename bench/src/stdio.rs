//! A JSON-RPC client for the provider binary over its stdin/stdout, as an engine would drive it:
//! one compact JSON value per line, replies matched by id, `log` notifications skipped.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::BenchError;

/// How to start the provider binary.
#[derive(Clone, Debug)]
pub struct ProviderCommand {
    pub binary: PathBuf,
    /// Extra environment variables (e.g. the test hooks switch).
    pub environment: Vec<(String, String)>,
}

impl ProviderCommand {
    pub fn new(binary: &Path) -> ProviderCommand {
        ProviderCommand {
            binary: binary.to_path_buf(),
            environment: Vec::new(),
        }
    }

    pub fn with_env(mut self, name: &str, value: &str) -> ProviderCommand {
        self.environment.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The command line, with stdin/stdout piped and stderr discarded (the binary logs only
    /// warnings by default; none are expected here).
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .env_remove("RUST_LOG");
        for (name, value) in &self.environment {
            command.env(name, value);
        }
        command
    }
}

/// A running provider process.
pub struct Provider {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Provider {
    pub fn start(command: &ProviderCommand) -> Result<Provider, BenchError> {
        let mut child = command.command().spawn().map_err(|error| {
            BenchError::new(format!(
                "cannot start {}: {error}",
                command.binary.display()
            ))
        })?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        Ok(Provider {
            child,
            stdin,
            stdout,
            next_id: 1,
        })
    }

    /// The provider's stdin, for writing raw lines.
    pub fn stdin_mut(&mut self) -> &mut ChildStdin {
        self.stdin.as_mut().expect("stdin is open until finish")
    }

    /// The process id (to read `/proc/<pid>/status`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends one request and waits for its reply (notifications in between are skipped). Returns
    /// the whole reply object: `result` or `error`.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, BenchError> {
        let id = self.next_id;
        self.next_id += 1;
        let line = request_line(id, method, &params);
        let stdin = self.stdin.as_mut().expect("stdin is open until finish");
        stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.flush())
            .map_err(|error| BenchError::new(format!("writing to the provider failed: {error}")))?;
        loop {
            let reply = self.read_message()?;
            if reply.get("id").and_then(Value::as_u64) == Some(id) {
                return Ok(reply);
            }
        }
    }

    /// Reads the next line from stdout as JSON.
    pub fn read_message(&mut self) -> Result<Value, BenchError> {
        let mut line = String::new();
        let read = self.stdout.read_line(&mut line).map_err(|error| {
            BenchError::new(format!("reading from the provider failed: {error}"))
        })?;
        if read == 0 {
            return Err(BenchError::new(
                "the provider closed its stdout unexpectedly",
            ));
        }
        serde_json::from_str(&line).map_err(|error| {
            BenchError::new(format!(
                "the provider wrote a line that is not JSON: {error}"
            ))
        })
    }

    /// Writes `lines` from a second thread while this one collects one reply per request id,
    /// so requests are pipelined over the one pipe. Returns the replies by id and the wall time
    /// from the first write to the last reply.
    pub fn pipeline(
        &mut self,
        lines: Vec<(u64, String)>,
    ) -> Result<(HashMap<u64, Value>, Duration), BenchError> {
        let expected: std::collections::HashSet<u64> = lines.iter().map(|(id, _)| *id).collect();
        let mut stdin = self.stdin.take().expect("stdin is open until finish");
        let started = Instant::now();
        let writer = std::thread::spawn(move || -> std::io::Result<ChildStdin> {
            let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, &mut stdin);
            for (_, line) in &lines {
                buffered.write_all(line.as_bytes())?;
            }
            buffered.flush()?;
            drop(buffered);
            Ok(stdin)
        });
        let mut replies = HashMap::with_capacity(expected.len());
        while replies.len() < expected.len() {
            let reply = self.read_message()?;
            if let Some(id) = reply.get("id").and_then(Value::as_u64) {
                if expected.contains(&id) {
                    replies.insert(id, reply);
                }
            }
        }
        let elapsed = started.elapsed();
        let stdin = writer
            .join()
            .map_err(|_| BenchError::new("the writer thread panicked"))?
            .map_err(|error| BenchError::new(format!("writing to the provider failed: {error}")))?;
        self.stdin = Some(stdin);
        Ok((replies, elapsed))
    }

    /// Allocates `count` request ids for [`Provider::pipeline`].
    pub fn take_ids(&mut self, count: u64) -> std::ops::Range<u64> {
        let first = self.next_id;
        self.next_id += count;
        first..self.next_id
    }

    /// Closes stdin (end of input) and waits for a clean exit.
    pub fn finish(mut self) -> Result<(), BenchError> {
        drop(self.stdin.take());
        let status = self.child.wait().map_err(|error| {
            BenchError::new(format!("waiting for the provider failed: {error}"))
        })?;
        if status.success() {
            Ok(())
        } else {
            Err(BenchError::new(format!(
                "the provider exited with {status}"
            )))
        }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            drop(self.stdin.take());
            let _ = self.child.wait();
        }
    }
}

/// One request line, newline included.
pub fn request_line(id: u64, method: &str, params: &Value) -> String {
    let mut line =
        json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string();
    line.push('\n');
    line
}

/// The error code of a reply, if it is an error.
pub fn error_code(reply: &Value) -> Option<i64> {
    reply
        .get("error")
        .and_then(|error| error.get("code"))
        .and_then(Value::as_i64)
}

/// `VmHWM` (peak resident set) and `VmRSS` of a process, in bytes, from `/proc/<pid>/status`.
pub fn memory_of(pid: u32) -> Result<(u64, u64), BenchError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|error| BenchError::new(format!("cannot read /proc/{pid}/status: {error}")))?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kib| kib * 1024)
    };
    match (field("VmHWM:"), field("VmRSS:")) {
        (Some(peak), Some(current)) => Ok((peak, current)),
        _ => Err(BenchError::new(format!(
            "/proc/{pid}/status has no VmHWM/VmRSS"
        ))),
    }
}
