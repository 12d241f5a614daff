//! One input line to its reply: UTF-8 and size checks, batches, notifications, and the call into
//! jsonrpsee, with a panicking handler turned into a `-32603` reply.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use jsonrpsee::Methods;
use serde_json::json;
use serde_json::value::RawValue;
use tokio::task::JoinSet;

use super::envelope::{
    classify, error_reply, kind_of, notification_as_request, Message, INTERNAL_ERROR,
    INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR,
};
use super::framing::InputLine;
use super::server::ServerOptions;

/// Turns input lines into reply lines; one is shared by every line task.
pub(super) struct Dispatcher {
    pub(super) methods: Methods,
    pub(super) options: ServerOptions,
}

impl Dispatcher {
    /// The reply line for one input line, if it needs one.
    pub(super) async fn handle_line(&self, line: InputLine) -> Option<String> {
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
