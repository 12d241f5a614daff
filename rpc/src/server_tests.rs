//! The server loop in process: ordering, limits, batches and the shutdown, over in-memory input and
//! output.

use super::*;
use crate::outgoing_queue;
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::RpcModule;
use serde_json::{json, Value};
use std::sync::Mutex;

/// An output that tests can read after the server finished.
#[derive(Clone, Default)]
struct SharedOutput(Arc<Mutex<Vec<u8>>>);

impl Write for SharedOutput {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn echo_methods() -> Methods {
    let mut module = RpcModule::new(());
    module
        .register_async_method("echo", |params, _, _| async move {
            tokio::task::yield_now().await;
            Ok::<_, ErrorObjectOwned>(params.parse::<Value>().unwrap_or(Value::Null))
        })
        .unwrap();
    module
        .register_async_method("forever", |_, _, _| async move {
            std::future::pending::<()>().await;
            Ok::<_, ErrorObjectOwned>(Value::Null)
        })
        .unwrap();
    module.into()
}

async fn serve_text(input: String, options: ServerOptions) -> Vec<Value> {
    let output = SharedOutput::default();
    let (notifier, queue) = outgoing_queue();
    notifier.notify("log", &json!({"message": "before serving"}));
    let ending = serve(
        io::Cursor::new(input.into_bytes()),
        output.clone(),
        echo_methods(),
        queue,
        options,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(ending, Ending::EndOfInput);
    let bytes = output.0.lock().unwrap().clone();
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "the output ends with a whole line"
    );
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_is_answered_before_serve_returns_even_with_two_in_flight() {
    let input: String = (0..200)
        .map(|id| {
            format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"echo\",\"params\":[{id}]}}\n")
        })
        .collect();
    let options = ServerOptions {
        max_calls_in_flight: 2,
        ..ServerOptions::default()
    };
    let lines = serve_text(input, options).await;
    assert_eq!(
        lines[0],
        json!({"jsonrpc": "2.0", "method": "log", "params": {"message": "before serving"}})
    );
    let mut ids: Vec<u64> = lines[1..]
        .iter()
        .map(|reply| reply["id"].as_u64().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..200).collect::<Vec<_>>());
    for reply in &lines[1..] {
        assert_eq!(reply["result"], json!([reply["id"]]));
    }
}

#[tokio::test]
async fn notifications_run_without_a_reply_and_limits_are_enforced() {
    let input = [
        r#"{"jsonrpc":"2.0","method":"echo","params":[1]}"#,
        r#"[{"jsonrpc":"2.0","method":"echo"},{"jsonrpc":"2.0","method":"echo"}]"#,
        r#"[{"jsonrpc":"2.0","id":1,"method":"echo"},{"jsonrpc":"2.0","id":2,"method":"echo"},{"jsonrpc":"2.0","id":3,"method":"echo"}]"#,
        &"x".repeat(300),
    ]
    .join("\n");
    let options = ServerOptions {
        max_line_bytes: 200,
        max_batch_length: 2,
        ..ServerOptions::default()
    };
    let lines = serve_text(input, options).await;
    // The log notification, the refused batch, the over-long line; nothing for notifications.
    assert_eq!(lines.len(), 3, "{lines:?}");
    let messages: Vec<&str> = lines[1..]
        .iter()
        .map(|reply| reply["error"]["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.contains(&"the batch holds 3 messages; send at most 2 per batch"),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"the message is 300 bytes long, more than the 200 bytes a line may hold; it was skipped"),
        "{messages:?}"
    );
}

/// The server on `lines` and an input that stays open after them, with the shutdown error
/// `stopped` (`never started` for a line that never started); the server's task, its output and
/// the token that stops it.
fn serve_open_input(
    lines: &[&str],
    methods: Methods,
    options: ServerOptions,
) -> (
    tokio::task::JoinHandle<Result<Ending, TransportError>>,
    SharedOutput,
    CancellationToken,
) {
    let input: String = lines.iter().map(|line| format!("{line}\n")).collect();
    let output = SharedOutput::default();
    let (_notifier, queue) = outgoing_queue();
    let shutdown = CancellationToken::new();
    let options = ServerOptions {
        shutdown_reply: ShutdownReply {
            code: -32056,
            kind: "cancelled",
            message: "stopped".to_owned(),
            not_started: "never started".to_owned(),
        },
        ..options
    };
    let server = tokio::spawn(serve(
        OpenInput {
            text: io::Cursor::new(input.into_bytes()),
        },
        output.clone(),
        methods,
        queue,
        options,
        shutdown.clone(),
    ));
    (server, output, shutdown)
}

/// An input that stays open (a pipe whose writer never closes) after `text`.
struct OpenInput {
    text: io::Cursor<Vec<u8>>,
}

impl Read for OpenInput {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        match self.text.read(buffer)? {
            0 => loop {
                std::thread::park();
            },
            read => Ok(read),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_answers_what_outlives_the_grace_period_once() {
    let (server, output, shutdown) = serve_open_input(
        &[
            r#"{"jsonrpc":"2.0","id":1,"method":"forever"}"#,
            r#"[{"jsonrpc":"2.0","id":2,"method":"forever"},{"jsonrpc":"2.0","id":3,"method":"echo","params":[3]},{"jsonrpc":"2.0","method":"forever"}]"#,
            r#"{"jsonrpc":"2.0","id":4,"method":"echo","params":[4]}"#,
        ],
        echo_methods(),
        ServerOptions {
            grace_period: Duration::from_millis(100),
            ..ServerOptions::default()
        },
    );
    // Wait until the last line was answered: everything was read by then.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !String::from_utf8_lossy(&output.0.lock().unwrap()).contains(r#""id":4"#) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "line 4 was not answered"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    shutdown.cancel();
    let ending = server.await.unwrap().unwrap();
    assert_eq!(ending, Ending::Shutdown { cut_short: 3 });
    let text = String::from_utf8(output.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines.contains(&json!({"jsonrpc": "2.0", "id": 4, "result": [4]})),
        "{text}"
    );
    let stopped = |id: u64| json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32056, "message": "stopped", "data": {"kind": "cancelled"}}});
    assert!(lines.contains(&stopped(1)), "{text}");
    // The batch is answered as one array, in which every request member is cut short: its
    // finished member's reply was never written.
    assert!(lines.contains(&json!([stopped(2), stopped(3)])), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_waits_for_room_for_all_its_members_and_every_member_is_answered() {
    let members: Vec<String> = (0..50)
        .map(|id| format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"echo","params":[{id}]}}"#))
        .collect();
    let input = format!("[{}]\n[{}]\n", members.join(","), members.join(","));
    let options = ServerOptions {
        max_calls_in_flight: 7,
        ..ServerOptions::default()
    };
    let lines = serve_text(input, options).await;
    assert_eq!(lines.len(), 3);
    for batch in &lines[1..] {
        let mut ids: Vec<u64> = batch
            .as_array()
            .unwrap()
            .iter()
            .map(|reply| reply["id"].as_u64().unwrap())
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, (0..50).collect::<Vec<_>>());
    }
}

/// `wait` holds its handler slot until a `stop` (a control method) trips the token.
fn stoppable_methods() -> Methods {
    let mut module = RpcModule::new(CancellationToken::new());
    module
        .register_async_method("wait", |_, token, _| async move {
            token.cancelled().await;
            Ok::<_, ErrorObjectOwned>(Value::String("stopped".into()))
        })
        .unwrap();
    module
        .register_method("stop", |_, token, _| {
            token.cancel();
            Ok::<_, ErrorObjectOwned>(Value::Null)
        })
        .unwrap();
    module
        .register_method("ping", |_, _, _| {
            Ok::<_, ErrorObjectOwned>(Value::String("pong".into()))
        })
        .unwrap();
    module.into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_control_message_acts_while_every_slot_is_busy_and_a_queued_line_then_runs() {
    // Three `wait`s fill the three slots, a `ping` waits for one, and only the `stop` behind it
    // can free them: it must not queue behind the `ping`.
    let input = [
        r#"{"jsonrpc":"2.0","id":1,"method":"wait"}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"wait"}"#,
        r#"{"jsonrpc":"2.0","id":3,"method":"wait"}"#,
        r#"{"jsonrpc":"2.0","id":4,"method":"ping"}"#,
        r#"{"jsonrpc":"2.0","method":"stop"}"#,
        "",
    ]
    .join("\n");
    let output = SharedOutput::default();
    let (_notifier, queue) = outgoing_queue();
    let options = ServerOptions {
        max_calls_in_flight: 3,
        control_methods: vec!["stop".to_owned()],
        ..ServerOptions::default()
    };
    let ending = tokio::time::timeout(
        Duration::from_secs(30),
        serve(
            io::Cursor::new(input.into_bytes()),
            output.clone(),
            stoppable_methods(),
            queue,
            options,
            CancellationToken::new(),
        ),
    )
    .await
    .expect("the stop reached the waits")
    .unwrap();
    assert_eq!(ending, Ending::EndOfInput);
    let text = String::from_utf8(output.0.lock().unwrap().clone()).unwrap();
    let mut replies: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    replies.sort_by_key(|reply| reply["id"].as_u64());
    let results: Vec<&Value> = replies.iter().map(|reply| &reply["result"]).collect();
    assert_eq!(
        results,
        [
            &json!("stopped"),
            &json!("stopped"),
            &json!("stopped"),
            &json!("pong")
        ],
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_answers_lines_read_and_never_started_at_once() {
    let (server, output, shutdown) = serve_open_input(
        &[
            r#"{"jsonrpc":"2.0","id":1,"method":"wait"}"#,
            r#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#,
            r#"[{"jsonrpc":"2.0","id":3,"method":"ping"},{"jsonrpc":"2.0","method":"ping"}]"#,
        ],
        stoppable_methods(),
        ServerOptions {
            max_calls_in_flight: 1,
            grace_period: Duration::from_secs(60),
            ..ServerOptions::default()
        },
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        output.0.lock().unwrap().is_empty(),
        "nothing runs but the wait"
    );
    shutdown.cancel();
    // The lines that never started are answered at once, not after the grace period; the
    // running `wait` keeps its grace period (the test ends before it).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = String::from_utf8(output.0.lock().unwrap().clone()).unwrap();
        if text.lines().count() == 2 {
            let lines: Vec<Value> = text
                .lines()
                .map(|line| serde_json::from_str(line).unwrap())
                .collect();
            let never = |id: u64| json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32056, "message": "never started", "data": {"kind": "cancelled"}}});
            assert!(lines.contains(&never(2)), "{text}");
            assert!(lines.contains(&json!([never(3)])), "{text}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{text}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.abort();
}
