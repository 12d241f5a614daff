//! The emulator under abuse and misconfiguration: connections that send nothing, half a request
//! head, stay idle, or trickle a body are closed after the header-read timeout; serving the
//! unauthenticated control endpoint on a non-loopback address is warned about on stderr; and the
//! logs carry no ANSI colour codes when stderr is not a terminal.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kms_emulator::{Config, Emulator};

/// How long a test waits for the server to close a connection: a failure detector, far above
/// the 300 ms timeout the server is given.
const CLOSE_DETECTOR: Duration = Duration::from_secs(30);

fn emulator_with_short_timeout() -> Emulator {
    Emulator::start_blocking(Config {
        header_read_timeout: Duration::from_millis(300),
        ..Config::default()
    })
    .expect("the emulator starts")
}

/// Sends `bytes`, then reads until the server closes the connection; fails if it does not
/// within the detector's time. Returns what was read.
fn closed_after_sending(emulator: &Emulator, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(emulator.addr()).unwrap();
    stream.set_read_timeout(Some(CLOSE_DETECTOR)).unwrap();
    stream.write_all(bytes).unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return received,
            Ok(read) => received.extend_from_slice(&buffer[..read]),
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => return received,
            Err(error) => panic!(
                "the connection was still open after {CLOSE_DETECTOR:?} ({error}); received {:?}",
                String::from_utf8_lossy(&received)
            ),
        }
    }
}

#[test]
fn a_connection_that_sends_nothing_is_closed() {
    let emulator = emulator_with_short_timeout();
    assert!(closed_after_sending(&emulator, b"").is_empty());
}

#[test]
fn a_connection_that_sends_half_a_request_head_is_closed() {
    let emulator = emulator_with_short_timeout();
    closed_after_sending(
        &emulator,
        b"POST / HTTP/1.1\r\nHost: kms\r\nContent-Type: appl",
    );
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_its_response() {
    let emulator = emulator_with_short_timeout();
    let received = closed_after_sending(&emulator, b"GET /?Action=x HTTP/1.1\r\nHost: kms\r\n\r\n");
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 "), "no response first: {text}");
}

#[test]
fn a_body_that_does_not_arrive_is_not_waited_for() {
    let emulator = emulator_with_short_timeout();
    let received = closed_after_sending(
        &emulator,
        b"POST / HTTP/1.1\r\nHost: kms\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nAction=Get",
    );
    assert!(
        received.is_empty(),
        "{}",
        String::from_utf8_lossy(&received)
    );
}

/// The emulator binary, its address, and its stderr as it comes.
struct Running {
    child: Child,
    address: String,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Running {
    fn spawn(args: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kms-emulator"))
            .args(args)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kms-emulator");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        let mut pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(read) = pipe.read(&mut buffer) {
                if read == 0 {
                    return;
                }
                sink.lock().unwrap().extend_from_slice(&buffer[..read]);
            }
        });
        let mut first_line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first_line)
            .unwrap();
        let address = first_line
            .trim_end()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {first_line:?}"))
            .to_owned();
        Running {
            child,
            address,
            stderr,
        }
    }

    /// Makes one request on loopback and waits for its answer, so that the server loop has run.
    fn round_trip(&self) {
        let port = self.address.rsplit(':').next().unwrap();
        let mut stream = TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
        stream.set_read_timeout(Some(CLOSE_DETECTOR)).unwrap();
        stream
            .write_all(b"GET /?Action=x HTTP/1.1\r\nHost: kms\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        assert!(answer.starts_with(b"HTTP/1.1 "), "{answer:?}");
    }

    /// Stops the process and returns everything it wrote on stderr.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The reader thread sees the end of the pipe right after the exit.
        let deadline = std::time::Instant::now() + CLOSE_DETECTOR;
        loop {
            let text = String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned();
            if text.contains("listening") || std::time::Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

const EXPOSED_WARNING: &str = "non-loopback address";

#[test]
fn serving_the_control_endpoint_beyond_loopback_is_warned_about() {
    let exposed = Running::spawn(&["--listen", "0.0.0.0:0"]);
    exposed.round_trip();
    let stderr = exposed.stop();
    assert!(stderr.contains(EXPOSED_WARNING), "{stderr}");
    assert!(stderr.contains("--no-control"), "{stderr}");

    for args in [
        &["--listen", "127.0.0.1:0"][..],
        &["--listen", "0.0.0.0:0", "--no-control"][..],
    ] {
        let running = Running::spawn(args);
        running.round_trip();
        let stderr = running.stop();
        assert!(!stderr.contains(EXPOSED_WARNING), "{args:?}: {stderr}");
    }
}

#[test]
fn logs_to_a_stderr_that_is_not_a_terminal_carry_no_colour_codes() {
    let running = Running::spawn(&[]);
    running.round_trip();
    let stderr = running.stop();
    assert!(stderr.contains("DEBUG"), "debug logs were on: {stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "ANSI escape codes on stderr: {stderr:?}"
    );
}
