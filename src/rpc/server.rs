//! The read → dispatch → write loop: each line runs as its own task (or inline, when it does not
//! pause), replies go out in the order they finish (matched by id), what is in flight is bounded in
//! bytes and in handlers, and the loop ends one of two ways. At end of input it drains: every
//! request is answered and written before it returns. On a shutdown (a signal, or stdout gone) it
//! stops reading, gives the lines in flight a grace period to finish, answers those that did not
//! with an error, and returns.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use jsonrpsee::Methods;
use serde_json::json;
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio_util::sync::CancellationToken;

use super::budget::Budget;
use super::dispatch::Dispatcher;
use super::envelope::error_reply;
use super::framing::read_lines;
use super::handler::run_here_or_spawn;
use super::in_flight::{InFlight, OwedIds};
use super::outgoing::{write_lines, Gathered, OutgoingQueue, ReplySender, UndeliverableLines};

/// How long the writer gets, after a shutdown, to write what is queued: it may be stuck on a pipe
/// nobody reads.
const WRITER_GRACE: Duration = Duration::from_secs(2);

/// How many chunks of lines the reader may read ahead of the server loop.
const CHUNKS_AHEAD: usize = 4;

/// Limits of the server.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// The longest line accepted; a longer one is answered with -32600 and skipped.
    pub max_line_bytes: usize,
    /// The bytes in flight: input lines read and not yet finished, plus replies (and batch
    /// members, and `log` notifications) produced and not yet written. The reader stops reading
    /// while they reach this, and no new line starts while the replies alone do; see `budget`.
    pub max_bytes_in_flight: usize,
    /// How many handlers may run at once (each member of a batch is one); a line waits for room
    /// for all of its members.
    pub max_calls_in_flight: usize,
    /// The most messages in one batch.
    pub max_batch_length: usize,
    /// After a shutdown, how long the lines in flight get to finish before they are answered with
    /// `shutdown_reply` and abandoned.
    pub grace_period: Duration,
    /// The error that answers a request still running when the grace period ends.
    pub shutdown_reply: ShutdownReply,
    /// Where the lines go that the output could not take (see [`UndeliverableLines`]).
    pub undeliverable: UndeliverableLines,
}

/// The error reply to a request cut short by a shutdown.
#[derive(Clone, Debug)]
pub struct ShutdownReply {
    pub code: i32,
    /// `data.kind`.
    pub kind: &'static str,
    pub message: String,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions {
            max_line_bytes: 16 * 1024 * 1024,
            max_bytes_in_flight: 16 * 1024 * 1024,
            max_calls_in_flight: 4096,
            max_batch_length: 1000,
            grace_period: Duration::from_secs(20),
            shutdown_reply: ShutdownReply {
                // JSON-RPC's range for a server's own errors.
                code: -32000,
                kind: "shutting_down",
                message: "the server stopped before this request finished".to_owned(),
            },
            undeliverable: UndeliverableLines::default(),
        }
    }
}

/// How serving ended, when it ended without a transport failure.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    /// Input ended and every request was answered.
    EndOfInput,
    /// `shutdown` was tripped; `cut_short` requests were still running when the grace period
    /// ended (they were answered with the shutdown error).
    Shutdown { cut_short: usize },
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

/// Serves `methods` over `input`/`output` until end of input (then finishes every request in
/// flight, flushes, and returns), or until `shutdown` is tripped (see the module). The server
/// trips `shutdown` itself when the output fails: nothing it does can be delivered any more.
pub async fn serve(
    input: impl Read + Send + 'static,
    output: impl Write + Send + 'static,
    methods: Methods,
    queue: OutgoingQueue,
    options: ServerOptions,
    shutdown: CancellationToken,
) -> Result<Ending, TransportError> {
    let replies = queue.reply_sender();
    let OutgoingQueue {
        receiver, budget, ..
    } = queue;
    budget.set_limit(options.max_bytes_in_flight);
    let (writer_done, writer_result) = oneshot::channel();
    let output_lost = shutdown.clone();
    let undeliverable = options.undeliverable.clone();
    thread::Builder::new()
        .name("output-writer".into())
        .spawn(move || {
            let _ = writer_done.send(write_lines(output, receiver, &output_lost, &undeliverable));
        })
        .map_err(|error| TransportError::Thread("output writer", error))?;

    // The lines are counted in the budget; the channel's own bound is small so that the reader,
    // too, stops soon after the budget is spent, and leaves the rest in the pipe.
    let (line_sender, mut lines) = mpsc::channel(CHUNKS_AHEAD);
    let max_line_bytes = options.max_line_bytes;
    let reader_budget = budget.clone();
    thread::Builder::new()
        .name("input-reader".into())
        .spawn(move || read_lines(input, max_line_bytes, &reader_budget, line_sender))
        .map_err(|error| TransportError::Thread("input reader", error))?;

    let max_calls = options.max_calls_in_flight.max(1);
    let slots = Arc::new(Semaphore::new(max_calls));
    let in_flight = Arc::new(InFlight::default());
    let dispatcher = Arc::new(Dispatcher {
        methods,
        options: options.clone(),
        budget: budget.clone(),
    });

    // Replies of lines that finish where they start go to the writer together, once per chunk
    // of input (or before anything that may wait), so that a pipelined burst wakes the writer once
    // per chunk rather than once per reply.
    let mut gathered = Gathered::default();
    let input_ended = 'serving: loop {
        let received = match lines.try_recv() {
            Ok(chunk) => Some(chunk),
            Err(mpsc::error::TryRecvError::Disconnected) => None,
            Err(mpsc::error::TryRecvError::Empty) => {
                gathered.hand_over(&replies);
                tokio::select! {
                    biased;
                    () = shutdown.cancelled() => break false,
                    received = lines.recv() => received,
                }
            }
        };
        let Some(chunk) = received else {
            break true;
        };
        for (line, input_charge) in chunk {
            if shutdown.is_cancelled() {
                break 'serving false;
            }
            // No new line starts while the replies waiting for the writer fill the budget.
            if !budget.has_output_room() {
                gathered.hand_over(&replies);
                tokio::select! {
                    biased;
                    () = shutdown.cancelled() => break 'serving false,
                    () = budget.output_room() => {}
                }
            }
            let prepared = dispatcher.prepare(line);
            let calls = prepared.calls().min(max_calls);
            let permit = if calls == 0 {
                None
            } else {
                let wanted = u32::try_from(calls).unwrap_or(u32::MAX);
                match slots.clone().try_acquire_many_owned(wanted) {
                    Ok(permit) => Some(permit),
                    Err(_) => {
                        gathered.hand_over(&replies);
                        tokio::select! {
                            biased;
                            () = shutdown.cancelled() => break 'serving false,
                            permit = slots.clone().acquire_many_owned(wanted) => Some(permit.expect("the semaphore is never closed")),
                        }
                    }
                }
            };
            let ticket = in_flight.begin(prepared.owed_ids());
            let line_dispatcher = dispatcher.clone();
            let line_task = async move {
                let reply = line_dispatcher.run(prepared).await;
                // The handlers are done and the request is no longer needed; the reply (if any)
                // is counted from here until it is written.
                drop(permit);
                drop(input_charge);
                (reply, ticket)
            };
            let later = replies.clone();
            let finished_here = run_here_or_spawn(line_task, move |(reply, ticket)| match reply {
                Some((line, charge)) => later.send(line, charge, ticket),
                None => drop(ticket),
            })
            .await;
            match finished_here {
                Some((Some((line, charge)), ticket)) => {
                    gathered.push(line, charge, ticket, &replies)
                }
                Some((None, ticket)) => drop(ticket),
                None => {}
            }
        }
    };
    gathered.hand_over(&replies);

    if input_ended {
        tokio::select! {
            biased;
            () = in_flight.wait_idle() => {
                tracing::debug!("end of input; every request answered");
                replies.finish();
                return match writer_result.await {
                    Ok(Ok(())) => Ok(Ending::EndOfInput),
                    Ok(Err(error)) => Err(TransportError::Output(error)),
                    Err(_) => Err(TransportError::WriterPanicked),
                };
            }
            () = shutdown.cancelled() => {}
        }
    }

    // Shutdown: read nothing more, give the lines in flight their grace period.
    budget.close();
    drop(lines);
    let cut_short = match tokio::time::timeout(options.grace_period, in_flight.wait_idle()).await {
        Ok(()) => 0,
        Err(_) => answer_cut_short(&in_flight, &replies, &budget, &options.shutdown_reply),
    };
    replies.finish();
    match tokio::time::timeout(WRITER_GRACE, writer_result).await {
        Ok(Ok(Ok(()))) => Ok(Ending::Shutdown { cut_short }),
        Ok(Ok(Err(error))) => Err(TransportError::Output(error)),
        Ok(Err(_)) => Err(TransportError::WriterPanicked),
        Err(_) => {
            tracing::warn!("stdout did not take the last replies in time; they are dropped");
            Ok(Ending::Shutdown { cut_short })
        }
    }
}

/// Answers every request still owed a reply with the shutdown error; returns how many.
fn answer_cut_short(
    in_flight: &InFlight,
    replies: &ReplySender,
    budget: &Arc<Budget>,
    reply: &ShutdownReply,
) -> usize {
    let mut count = 0;
    for OwedIds { ids, batch } in in_flight.take_unanswered() {
        count += ids.len();
        let answers: Vec<String> = ids
            .iter()
            .map(|id| error_reply(Some(id), reply.code, &reply.message, reply.kind, json!({})))
            .collect();
        let line = if batch {
            format!("[{}]", answers.join(","))
        } else {
            answers.concat()
        };
        let charge = budget.charge_output(line.len());
        replies.send_untracked(line, charge);
    }
    if count > 0 {
        tracing::warn!(
            requests = count,
            "the grace period ended with requests still running; they were answered with an error"
        );
    }
    count
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
