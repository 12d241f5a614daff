//! One input line to its reply, in two steps. `prepare` reads the line (UTF-8 and size checks,
//! batch or single message, request or notification, known method or not) and answers at once
//! what needs no handler; `run` calls the handlers through jsonrpsee, the members of a batch
//! concurrently, with a panicking handler turned into a `-32603` reply.
//!
//! Preparing first lets the server know, before anything runs, how many handlers a line starts
//! (its share of the concurrency limit) and which ids it owes replies to (what a shutdown must
//! still answer).

use std::ops::Range;
use std::sync::Arc;

use jsonrpsee::{MethodCallback, Methods};
use serde_json::json;
use serde_json::value::RawValue;

use super::budget::{Budget, Charge};
use super::envelope::{classify, error_reply, kind_of, Message, INVALID_REQUEST, PARSE_ERROR};
use super::framing::InputLine;
use super::handler::{call, call_off_thread, method_not_found, run_or_spawn, Started};
use super::in_flight::OwedIds;
use super::server::ServerOptions;

/// Turns input lines into reply lines; one is shared by every line.
pub(super) struct Dispatcher {
    pub(super) methods: Methods,
    pub(super) options: ServerOptions,
    pub(super) budget: Arc<Budget>,
}

/// A line, read and classified.
pub(super) enum Prepared {
    /// Answered without a handler (a transport error).
    Answer(String),
    /// Nothing to do: a blank line, or a notification for an unknown method.
    Nothing,
    Single(Call),
    Batch(Vec<Member>),
}

/// One message of a batch.
pub(super) enum Member {
    Call(Call),
    /// Answered without a handler.
    Answer(String),
}

/// A message that runs a handler: the message as received, read once (`classify`), and where its
/// params are in it, which the handler parses straight into its typed request.
pub(super) struct Call {
    /// The raw id of a request, which gets a reply; `None` for a notification, which runs and
    /// whose reply is thrown away.
    pub(super) id: Option<Box<RawValue>>,
    /// The method's name as the method table holds it.
    pub(super) method: &'static str,
    /// Whether the method's callback is synchronous (then a long request runs off the thread).
    synchronous: bool,
    text: String,
    /// The params' place in `text`; `None` when absent or `null`.
    params: Option<Range<usize>>,
}

impl Call {
    fn method(&self) -> &str {
        self.method
    }

    pub(super) fn params(&self) -> Option<&str> {
        self.params.clone().map(|range| &self.text[range])
    }
}

impl Prepared {
    /// How many handlers the line runs.
    pub(super) fn calls(&self) -> usize {
        match self {
            Prepared::Single(_) => 1,
            Prepared::Batch(members) => members
                .iter()
                .filter(|member| matches!(member, Member::Call(_)))
                .count(),
            Prepared::Answer(_) | Prepared::Nothing => 0,
        }
    }

    /// The ids the line owes replies to.
    pub(super) fn owed_ids(&self) -> OwedIds {
        let request_id = |call: &Call| call.id.clone();
        match self {
            Prepared::Single(call) => OwedIds {
                ids: request_id(call).into_iter().collect(),
                batch: false,
            },
            Prepared::Batch(members) => OwedIds {
                ids: members
                    .iter()
                    .filter_map(|member| match member {
                        Member::Call(call) => request_id(call),
                        Member::Answer(_) => None,
                    })
                    .collect(),
                batch: true,
            },
            Prepared::Answer(_) | Prepared::Nothing => OwedIds::default(),
        }
    }
}

impl Dispatcher {
    /// Whether the line calls only control methods (`ServerOptions::control_methods`), which
    /// start at once whatever else is busy.
    pub(super) fn is_control(&self, prepared: &Prepared) -> bool {
        let control = |call: &Call| {
            self.options
                .control_methods
                .iter()
                .any(|method| method == call.method())
        };
        match prepared {
            Prepared::Single(call) => control(call),
            Prepared::Batch(members) => {
                let mut calls = members.iter().filter_map(|member| match member {
                    Member::Call(call) => Some(call),
                    Member::Answer(_) => None,
                });
                let mut any = false;
                let all = calls.all(|call| {
                    any = true;
                    control(call)
                });
                any && all
            }
            Prepared::Answer(_) | Prepared::Nothing => false,
        }
    }

    /// Reads and classifies one input line.
    pub(super) fn prepare(&self, line: InputLine) -> Prepared {
        let bytes = match line {
            InputLine::Text(bytes) => bytes,
            InputLine::TooLong { length } => {
                let message = format!(
                    "the message is {length} bytes long, more than the {} bytes a line may hold; it was skipped",
                    self.options.max_line_bytes
                );
                return Prepared::Answer(error_reply(
                    None,
                    INVALID_REQUEST,
                    &message,
                    "request_too_large",
                    json!({}),
                ));
            }
        };
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                let message = format!(
                    "the message is not valid UTF-8 (bad byte at offset {}); send one JSON-RPC message per line",
                    error.utf8_error().valid_up_to()
                );
                return Prepared::Answer(error_reply(
                    None,
                    PARSE_ERROR,
                    &message,
                    kind_of(PARSE_ERROR),
                    json!({}),
                ));
            }
        };
        let trimmed = text.trim_matches([' ', '\t', '\r', '\n']);
        if trimmed.is_empty() {
            return Prepared::Nothing;
        }
        if trimmed.starts_with('[') {
            if let Some(prepared) = self.prepare_batch(trimmed) {
                return prepared;
            }
        }
        let owned = if trimmed.len() == text.len() {
            text
        } else {
            trimmed.to_owned()
        };
        match self.prepare_message(owned) {
            Member::Call(call) => Prepared::Single(call),
            Member::Answer(reply) if reply.is_empty() => Prepared::Nothing,
            Member::Answer(reply) => Prepared::Answer(reply),
        }
    }

    /// A batch, or `None` when the line is not an array of JSON values (then it is answered as
    /// one unparsable message).
    fn prepare_batch(&self, text: &str) -> Option<Prepared> {
        let elements: Vec<&RawValue> = serde_json::from_str(text).ok()?;
        if elements.is_empty() {
            return Some(Prepared::Answer(error_reply(
                None,
                INVALID_REQUEST,
                "an empty batch holds no request",
                kind_of(INVALID_REQUEST),
                json!({}),
            )));
        }
        if elements.len() > self.options.max_batch_length {
            let message = format!(
                "the batch holds {} messages; send at most {} per batch",
                elements.len(),
                self.options.max_batch_length
            );
            return Some(Prepared::Answer(error_reply(
                None,
                INVALID_REQUEST,
                &message,
                kind_of(INVALID_REQUEST),
                json!({}),
            )));
        }
        let members = elements
            .into_iter()
            .map(|element| self.prepare_message(element.get().to_owned()))
            // An empty answer is a notification that needs nothing.
            .filter(|member| !matches!(member, Member::Answer(reply) if reply.is_empty()))
            .collect();
        Some(Prepared::Batch(members))
    }

    /// One message (not a batch). An empty `Member::Answer` means nothing is owed.
    fn prepare_message(&self, text: String) -> Member {
        let (id, (method, callback), params) = match classify(&text) {
            Message::Invalid { id, code, message } => {
                return Member::Answer(error_reply(id, code, &message, kind_of(code), json!({})));
            }
            Message::Request { id, method, params } => {
                let Some(known) = self.methods.method_with_name(&method) else {
                    return Member::Answer(method_not_found(id, &method, &self.methods));
                };
                (
                    Some(id.to_owned()),
                    known,
                    params.map(|raw| place_in(&text, raw)),
                )
            }
            Message::Notification { method, params } => {
                let Some(known) = self.methods.method_with_name(&method) else {
                    tracing::warn!(
                        length = method.len(),
                        "ignored a notification for an unknown method"
                    );
                    return Member::Answer(String::new());
                };
                (None, known, params.map(|raw| place_in(&text, raw)))
            }
        };
        let synchronous = matches!(callback, MethodCallback::Sync(_));
        // The text is moved in only now: `classify` borrowed it.
        Member::Call(Call {
            id,
            method,
            synchronous,
            text,
            params,
        })
    }

    /// Runs a prepared line; the reply line (if any) with its bytes counted as output.
    pub(super) async fn run(&self, prepared: Prepared) -> Option<(String, Charge)> {
        match prepared {
            Prepared::Nothing => None,
            Prepared::Answer(reply) => {
                let charge = self.budget.charge_output(reply.len());
                Some((reply, charge))
            }
            Prepared::Single(call) => {
                let reply = call.run(&self.methods).await?;
                let charge = self.budget.charge_output(reply.len());
                Some((reply, charge))
            }
            // Boxed: a batch's state is several times a single call's, and every line's future
            // is as large as its largest case (each line's is allocated when it is started).
            Prepared::Batch(members) => Box::pin(self.run_batch(members)).await,
        }
    }

    /// The members run concurrently, like separate lines; their replies are gathered (and
    /// counted) in the order they finish, which JSON-RPC allows, into one array.
    async fn run_batch(&self, members: Vec<Member>) -> Option<(String, Charge)> {
        let mut reply = BatchReply {
            body: String::new(),
            charge: self.budget.charge_output(0),
            members: members.len(),
            reserve_cap: self.options.max_bytes_in_flight,
        };
        let mut running = Vec::new();
        for member in members {
            match member {
                Member::Answer(answer) => reply.push(&answer),
                Member::Call(call) => {
                    let methods = self.methods.clone();
                    match run_or_spawn(async move { call.run(&methods).await }).await {
                        Started::Done(Some(answer)) => reply.push(&answer),
                        Started::Done(None) => {}
                        Started::Spawned(task) => running.push(task),
                    }
                }
            }
        }
        for task in running {
            // A panic is already caught inside `Call::run`; this arm only guards the task.
            if let Ok(Some(answer)) = task.await {
                reply.push(&answer);
            }
        }
        reply.finish()
    }
}

/// A batch's reply array as its members finish, counted in the budget as it grows.
struct BatchReply {
    body: String,
    charge: Charge,
    members: usize,
    /// The most memory reserved ahead.
    reserve_cap: usize,
}

impl BatchReply {
    fn push(&mut self, member: &str) {
        if self.body.is_empty() {
            // Members of one batch tend to be alike (a batch of `getSchema`s is 1,000 times
            // 14 KB): sized from the first, the array is allocated once instead of doubling its
            // way up, which would hold the old and the new copy at once each time.
            let expected = (member.len() + 1).saturating_mul(self.members) + 2;
            self.body.reserve(expected.min(self.reserve_cap));
        }
        self.body.push(if self.body.is_empty() { '[' } else { ',' });
        self.body.push_str(member);
        self.charge.grow(member.len() + 1);
    }

    fn finish(mut self) -> Option<(String, Charge)> {
        if self.body.is_empty() {
            // A batch of notifications only gets no line at all.
            return None;
        }
        self.body.push(']');
        self.charge.grow(1);
        Some((self.body, self.charge))
    }
}

/// A request longer than this, for a synchronous handler, is handled on a blocking thread: the
/// thread that serves the pipe only reads, classifies and writes, so a huge `check` does not hold
/// up the small requests behind it.
const OFF_THREAD_BYTES: usize = 256 * 1024;

impl Call {
    /// Runs the handler; the reply of a request.
    async fn run(self, methods: &Methods) -> Option<String> {
        let started = std::time::Instant::now();
        if self.id.is_none() {
            let _ignored_reply = call(methods, self.method, None, self.params()).await;
            tracing::debug!(method = %self.method, "notification handled");
            return None;
        }
        let method = self.method;
        let reply = if self.synchronous && self.text.len() > OFF_THREAD_BYTES {
            call_off_thread(methods.clone(), self).await
        } else {
            call(methods, method, self.id.as_deref(), self.params()).await
        };
        tracing::debug!(method = %method, elapsed_us = started.elapsed().as_micros() as u64, "request answered");
        Some(reply)
    }
}

/// Where `part`, borrowed from `text`, lies in it.
fn place_in(text: &str, part: &str) -> Range<usize> {
    let start = part.as_ptr() as usize - text.as_ptr() as usize;
    start..start + part.len()
}
