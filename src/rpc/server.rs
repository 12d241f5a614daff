//! The read → dispatch → write loop: each line runs as its own task, replies go out in the order
//! they finish (matched by id), a bounded number of requests is in flight, and end of input
//! drains every request before the writer flushes and the loop returns.

use std::future::Future;
use std::io::{self, Read, Write};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread;

use jsonrpsee::Methods;
use serde_json::json;
use serde_json::value::RawValue;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use super::envelope::{
    classify, error_reply, kind_of, notification_as_request, Message, INTERNAL_ERROR,
    INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR,
};
use super::framing::{read_lines, InputLine};
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

struct Dispatcher {
    methods: Methods,
    options: ServerOptions,
}

impl Dispatcher {
    /// The reply line for one input line, if it needs one.
    async fn handle_line(&self, line: InputLine) -> Option<String> {
        let bytes = match line {
            InputLine::Text(bytes) => bytes,
            InputLine::TooLong { length } => {
                let message = format!(
                    "the message is {length} bytes long, more than the {} bytes a line may hold; it was skipped",
                    self.options.max_line_bytes
                );
                return Some(error_reply(
                    None,
                    INVALID_REQUEST,
                    &message,
                    "request_too_large",
                    json!({}),
                ));
            }
        };
        let text = match std::str::from_utf8(&bytes) {
            Ok(text) => text,
            Err(error) => {
                let message = format!(
                    "the message is not valid UTF-8 (bad byte at offset {}); send one JSON-RPC message per line",
                    error.valid_up_to()
                );
                return Some(error_reply(
                    None,
                    PARSE_ERROR,
                    &message,
                    kind_of(PARSE_ERROR),
                    json!({}),
                ));
            }
        };
        let text = text.trim_matches([' ', '\t', '\r', '\n']);
        if text.is_empty() {
            return None;
        }
        if text.starts_with('[') {
            self.handle_batch(text).await
        } else {
            self.handle_message(text).await
        }
    }

    async fn handle_batch(&self, text: &str) -> Option<String> {
        let elements: Vec<&RawValue> = match serde_json::from_str(text) {
            Ok(elements) => elements,
            // Not an array of JSON values: the whole line is unparsable.
            Err(_) => return self.handle_message(text).await,
        };
        if elements.is_empty() {
            return Some(error_reply(
                None,
                INVALID_REQUEST,
                "an empty batch holds no request",
                kind_of(INVALID_REQUEST),
                json!({}),
            ));
        }
        if elements.len() > self.options.max_batch_length {
            let message = format!(
                "the batch holds {} messages; send at most {} per batch",
                elements.len(),
                self.options.max_batch_length
            );
            return Some(error_reply(
                None,
                INVALID_REQUEST,
                &message,
                kind_of(INVALID_REQUEST),
                json!({}),
            ));
        }
        // The messages of a batch run concurrently, like separate lines; the replies are
        // collected in the order they finish, which JSON-RPC allows.
        let mut tasks = JoinSet::new();
        for element in elements {
            let text = element.get().to_owned();
            let methods = self.methods.clone();
            tasks.spawn(async move { handle_message(&methods, &text).await });
        }
        let mut replies = Vec::new();
        while let Some(outcome) = tasks.join_next().await {
            // A panic is already caught inside `handle_message`; this arm only guards the task.
            if let Ok(Some(reply)) = outcome {
                replies.push(reply);
            }
        }
        (!replies.is_empty()).then(|| format!("[{}]", replies.join(",")))
    }

    async fn handle_message(&self, text: &str) -> Option<String> {
        handle_message(&self.methods, text).await
    }
}

/// The reply to one message (not a batch), if it needs one.
async fn handle_message(methods: &Methods, text: &str) -> Option<String> {
    match classify(text) {
        Message::Invalid { id, code, message } => {
            Some(error_reply(id, code, &message, kind_of(code), json!({})))
        }
        Message::Request { id, method } => {
            if methods.method(&method).is_none() {
                return Some(method_not_found(id, &method, methods));
            }
            let started = std::time::Instant::now();
            let reply = call(methods, text, Some(id)).await;
            tracing::debug!(method = %method, elapsed_us = started.elapsed().as_micros() as u64, "request answered");
            Some(reply)
        }
        Message::Notification { method, params } => {
            if methods.method(&method).is_none() {
                tracing::warn!(
                    length = method.len(),
                    "ignored a notification for an unknown method"
                );
                return None;
            }
            let request = notification_as_request(&method, params);
            let _ignored_reply = call(methods, &request, None).await;
            tracing::debug!(method = %method, "notification handled");
            None
        }
    }
}

/// Runs one request through jsonrpsee and returns its reply line. A panicking handler becomes a
/// -32603 reply instead of a lost request.
async fn call(methods: &Methods, request: &str, id: Option<&RawValue>) -> String {
    match CatchPanic(Box::pin(methods.raw_json_request(request, 1))).await {
        Ok(Ok((reply, _subscriptions))) => String::from(Box::<str>::from(reply)),
        Ok(Err(error)) => {
            // The message was classified as a request already, so jsonrpsee should accept it.
            tracing::error!("jsonrpsee refused a request the transport accepted: {error}");
            error_reply(
                id,
                INTERNAL_ERROR,
                "the request could not be dispatched",
                kind_of(INTERNAL_ERROR),
                json!({}),
            )
        }
        Err(()) => {
            tracing::error!(
                "a method handler panicked; the request is answered with an internal error"
            );
            error_reply(
                id,
                INTERNAL_ERROR,
                "the provider failed while handling this request (a bug: please report it with the provider's stderr); it keeps serving",
                kind_of(INTERNAL_ERROR),
                json!({}),
            )
        }
    }
}

/// The reply to an unknown method. The name the client sent is not echoed (it is free text from
/// the client, and nothing the client sends is repeated unless it is needed); a method that
/// differs only in case is suggested.
fn method_not_found(id: &RawValue, method: &str, methods: &Methods) -> String {
    let mut known: Vec<&str> = methods
        .method_names()
        .filter(|name| !name.starts_with("test/"))
        .collect();
    known.sort_unstable();
    let suggestion = known
        .iter()
        .find(|name| name.eq_ignore_ascii_case(method))
        .copied();
    let hint = suggestion
        .map(|name| format!("did you mean {name}? "))
        .unwrap_or_default();
    let message = format!(
        "unknown method; {hint}this provider answers {} (names are case-sensitive)",
        known.join(", ")
    );
    let data = match suggestion {
        Some(name) => json!({ "suggestion": name }),
        None => json!({}),
    };
    error_reply(
        Some(id),
        METHOD_NOT_FOUND,
        &message,
        kind_of(METHOD_NOT_FOUND),
        data,
    )
}

/// Polls a future and turns a panic into `Err(())`.
struct CatchPanic<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(context))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::outgoing_queue;
    use jsonrpsee::types::ErrorObjectOwned;
    use jsonrpsee::RpcModule;
    use serde_json::Value;
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
