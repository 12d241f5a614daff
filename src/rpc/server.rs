//! The read → dispatch → write loop: each line runs as its own task, replies go out in the order
//! they finish (matched by id), a bounded number of requests is in flight, and end of input
//! drains every request before the writer flushes and the loop returns.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::thread;

use jsonrpsee::Methods;
use tokio::sync::{mpsc, Semaphore};

use super::dispatch::Dispatcher;
use super::framing::read_lines;
use super::outgoing::{write_lines, OutgoingQueue, ReplySender};

/// Limits of the server.
#[derive(Clone, Copy, Debug)]
pub struct ServerOptions {
    /// The longest line accepted; a longer one is answered with -32600 and skipped.
    pub max_line_bytes: usize,
    /// How many lines may be in flight (running, or answered but not yet written); reading pauses
    /// beyond that, so neither a flood of requests nor a client that stops reading its replies
    /// can exhaust memory.
    pub max_in_flight: usize,
    /// The most messages in one batch.
    pub max_batch_length: usize,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions {
            max_line_bytes: 16 * 1024 * 1024,
            max_in_flight: 4096,
            max_batch_length: 1000,
        }
    }
}

/// The transport's own failures. Bad input is never one of them: it is answered on the wire.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("could not start the {0} thread: {1}")]
    Thread(&'static str, io::Error),
    #[error("writing replies failed: {0}")]
    Output(io::Error),
    #[error("the writer thread stopped unexpectedly")]
    WriterPanicked,
}

/// Serves `methods` over `input`/`output` until end of input, then finishes every request in
/// flight, flushes, and returns.
pub async fn serve(
    input: impl Read + Send + 'static,
    output: impl Write + Send + 'static,
    methods: Methods,
    queue: OutgoingQueue,
    options: ServerOptions,
) -> Result<(), TransportError> {
    let replies = queue.reply_sender();
    let OutgoingQueue { receiver, .. } = queue;
    let writer = thread::Builder::new()
        .name("output-writer".into())
        .spawn(move || write_lines(output, receiver))
        .map_err(|error| TransportError::Thread("output writer", error))?;

    let (line_sender, mut lines) = mpsc::channel(256);
    let max_line_bytes = options.max_line_bytes;
    thread::Builder::new()
        .name("input-reader".into())
        .spawn(move || read_lines(input, max_line_bytes, line_sender))
        .map_err(|error| TransportError::Thread("input reader", error))?;

    let dispatcher = Arc::new(Dispatcher { methods, options });
    let in_flight = Arc::new(Semaphore::new(options.max_in_flight));
    while let Some(line) = lines.recv().await {
        let permit = in_flight
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let dispatcher = dispatcher.clone();
        let replies = replies.clone();
        tokio::spawn(async move {
            // Without a reply (a notification) the permit is released here, otherwise once the
            // writer has written the reply.
            if let Some(reply) = dispatcher.handle_line(line).await {
                replies.send(reply, permit);
            }
        });
    }

    // End of input: every permit back means every reply has been written.
    let all_permits = u32::try_from(options.max_in_flight).unwrap_or(u32::MAX);
    let _drained = in_flight
        .acquire_many(all_permits)
        .await
        .expect("the semaphore is never closed");
    tracing::debug!("end of input; every request answered");
    finish_writer(&replies, writer).await
}

async fn finish_writer(
    replies: &ReplySender,
    writer: thread::JoinHandle<io::Result<()>>,
) -> Result<(), TransportError> {
    replies.finish();
    match tokio::task::spawn_blocking(move || writer.join()).await {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(error))) => Err(TransportError::Output(error)),
        _ => Err(TransportError::WriterPanicked),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::outgoing_queue;
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
        module.into()
    }

    async fn serve_text(input: String, options: ServerOptions) -> Vec<Value> {
        let output = SharedOutput::default();
        let (notifier, queue) = outgoing_queue();
        notifier.notify("log", &json!({"message": "before serving"}));
        serve(
            io::Cursor::new(input.into_bytes()),
            output.clone(),
            echo_methods(),
            queue,
            options,
        )
        .await
        .unwrap();
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
                format!(
                    "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"echo\",\"params\":[{id}]}}\n"
                )
            })
            .collect();
        let options = ServerOptions {
            max_in_flight: 2,
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
}
