//! The read → dispatch → write loop: each line runs as its own task (or inline, when it does not
//! pause), replies go out in the order they finish (matched by id), what is in flight is bounded in
//! bytes and in handlers, and the loop ends one of two ways. At end of input it drains: every
//! request is answered and written before it returns. On a shutdown (a signal, or stdout gone) it
//! stops reading, gives the lines in flight a grace period to finish, answers those that did not
//! with an error, and returns.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use jsonrpsee::Methods;
use serde_json::json;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use super::budget::{Budget, Charge};
use super::dispatch::{Dispatcher, Prepared};
use super::envelope::error_reply;
use super::framing::{read_lines, InputLine};
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
    /// Methods that run as soon as they are read, without waiting for a handler slot or for the
    /// writer (`cancel`): they must act on the work that fills the slots. A batch is one when all
    /// its calls are.
    pub control_methods: Vec<String>,
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
    /// The message for a request that started and did not finish within the grace period.
    pub message: String,
    /// The message for a request that was read and never started (it waited for a handler slot).
    pub not_started: String,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions {
            max_line_bytes: 16 * 1024 * 1024,
            max_bytes_in_flight: 16 * 1024 * 1024,
            max_calls_in_flight: 4096,
            max_batch_length: 1000,
            control_methods: Vec::new(),
            grace_period: Duration::from_secs(20),
            shutdown_reply: ShutdownReply {
                // JSON-RPC's range for a server's own errors.
                code: -32000,
                kind: "shutting_down",
                message: "the server stopped before this request finished".to_owned(),
                not_started: "the server stopped before this request started".to_owned(),
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
    let mut lines_in = LineStarter {
        slots: Arc::new(Semaphore::new(max_calls)),
        max_calls,
        in_flight: Arc::new(InFlight::default()),
        dispatcher: Arc::new(Dispatcher {
            methods,
            options: options.clone(),
            budget: budget.clone(),
        }),
        replies: replies.clone(),
        // Replies of lines that finish where they start go to the writer together, once per chunk
        // of input (or before anything that may wait), so that a pipelined burst wakes the writer
        // once per chunk rather than once per reply.
        gathered: Gathered::default(),
        waiting: VecDeque::new(),
    };

    let input_ended = 'serving: loop {
        lines_in.start_waiting_lines().await;
        let received = match lines.try_recv() {
            Ok(chunk) => Some(chunk),
            Err(mpsc::error::TryRecvError::Disconnected) => None,
            Err(mpsc::error::TryRecvError::Empty) => {
                lines_in.hand_over();
                tokio::select! {
                    biased;
                    () = shutdown.cancelled() => break false,
                    () = lines_in.start_next_waiting_line(), if lines_in.has_waiting_lines() => {
                        continue;
                    }
                    received = lines.recv() => received,
                }
            }
        };
        let Some(chunk) = received else {
            break true;
        };
        let mut chunk = chunk.into_iter();
        while let Some((line, input_charge)) = chunk.next() {
            if shutdown.is_cancelled() {
                // Read, never started: answered now, like the lines still waiting.
                lines_in.answer_unstarted(chunk.map(|(line, _)| line), &options.shutdown_reply);
                break 'serving false;
            }
            lines_in.take(line, input_charge).await;
        }
    };

    if input_ended {
        // Every line read is started before the drain waits for them.
        while lines_in.has_waiting_lines() {
            lines_in.hand_over();
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                () = lines_in.start_next_waiting_line() => {}
            }
        }
    }
    lines_in.hand_over();
    let in_flight = lines_in.in_flight.clone();

    if input_ended && !lines_in.has_waiting_lines() {
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

    // Shutdown: read nothing more; what was read and never started is answered at once (and so is
    // what the reader had read ahead); the lines in flight get their grace period.
    budget.close();
    let mut read_ahead = Vec::new();
    while let Ok(chunk) = lines.try_recv() {
        read_ahead.extend(chunk.into_iter().map(|(line, _)| line));
    }
    drop(lines);
    lines_in.answer_unstarted(read_ahead.into_iter(), &options.shutdown_reply);
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

/// A line read whose handlers have not started: no handler slot (or no room for its reply) was
/// free when it came, or lines before it are still waiting.
struct WaitingLine {
    prepared: Prepared,
    calls: u32,
    _input_charge: Charge,
}

/// Takes the lines the loop reads and starts them: at once when there is room, else in the order
/// they came once there is; control messages at once in any case.
struct LineStarter {
    slots: Arc<Semaphore>,
    max_calls: usize,
    in_flight: Arc<InFlight>,
    dispatcher: Arc<Dispatcher>,
    replies: ReplySender,
    gathered: Gathered,
    /// Lines read and not started, oldest first. Their bytes stay counted (the input charge),
    /// so the reader stops while they fill the budget: bounded like any line in flight.
    waiting: VecDeque<WaitingLine>,
}

impl LineStarter {
    /// Takes one line read: a control message starts at once, whatever is busy (it must act on
    /// what fills the slots); another line starts at once when nothing waits before it and there
    /// is room, and waits otherwise.
    async fn take(&mut self, line: InputLine, input_charge: Charge) {
        let prepared = self.dispatcher.prepare(line);
        if self.dispatcher.is_control(&prepared) {
            self.start(prepared, input_charge, None).await;
            return;
        }
        let calls = u32::try_from(prepared.calls().min(self.max_calls)).unwrap_or(u32::MAX);
        if self.waiting.is_empty() && self.dispatcher.budget.has_output_room() {
            match self.permit_now(calls) {
                Ok(permit) => return self.start(prepared, input_charge, permit).await,
                Err(()) => self.hand_over(),
            }
        }
        self.waiting.push_back(WaitingLine {
            prepared,
            calls,
            _input_charge: input_charge,
        });
        tracing::debug!(
            waiting = self.waiting.len(),
            "a line waits for a handler slot"
        );
    }

    fn has_waiting_lines(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// Starts the waiting lines, oldest first, while there is room.
    async fn start_waiting_lines(&mut self) {
        while let Some(front) = self.waiting.front() {
            if !self.dispatcher.budget.has_output_room() {
                return;
            }
            let Ok(permit) = self.permit_now(front.calls) else {
                return;
            };
            let line = self.waiting.pop_front().expect("a front line");
            self.start(line.prepared, line._input_charge, permit).await;
        }
    }

    /// Waits for room for the oldest waiting line (the replies waiting for the writer under the
    /// limit, then its handler slots), and starts it. Cancel-safe: nothing is taken from the queue
    /// before the permit is there.
    async fn start_next_waiting_line(&mut self) {
        let Some(calls) = self.waiting.front().map(|line| line.calls) else {
            return;
        };
        self.dispatcher.budget.output_room().await;
        let permit = if calls == 0 {
            None
        } else {
            Some(
                self.slots
                    .clone()
                    .acquire_many_owned(calls)
                    .await
                    .expect("the semaphore is never closed"),
            )
        };
        let line = self.waiting.pop_front().expect("a front line");
        self.start(line.prepared, line._input_charge, permit).await;
    }

    /// The handler slots for `calls` handlers, if free now (none are needed for none).
    fn permit_now(&self, calls: u32) -> Result<Option<OwnedSemaphorePermit>, ()> {
        if calls == 0 {
            return Ok(None);
        }
        self.slots
            .clone()
            .try_acquire_many_owned(calls)
            .map(Some)
            .map_err(|_| ())
    }

    /// Runs a line where it is, or spawns it if it pauses; its reply goes to the writer with the
    /// others of its chunk, or on its own when it finishes later.
    async fn start(
        &mut self,
        prepared: Prepared,
        input_charge: Charge,
        permit: Option<OwnedSemaphorePermit>,
    ) {
        let ticket = self.in_flight.begin(prepared.owed_ids());
        let line_dispatcher = self.dispatcher.clone();
        let line_task = async move {
            let reply = line_dispatcher.run(prepared).await;
            // The handlers are done and the request is no longer needed; the reply (if any)
            // is counted from here until it is written.
            drop(permit);
            drop(input_charge);
            (reply, ticket)
        };
        let later = self.replies.clone();
        let finished_here = run_here_or_spawn(line_task, move |(reply, ticket)| match reply {
            Some((line, charge)) => later.send(line, charge, ticket),
            None => drop(ticket),
        })
        .await;
        match finished_here {
            Some((Some((line, charge)), ticket)) => {
                self.gathered.push(line, charge, ticket, &self.replies)
            }
            Some((None, ticket)) => drop(ticket),
            None => {}
        }
    }

    /// Hands the gathered replies to the writer (before anything that may wait).
    fn hand_over(&mut self) {
        self.gathered.hand_over(&self.replies);
    }

    /// Answers the lines still waiting, then `read_ahead` (read, never started), with the
    /// shutdown error for requests that never started (`ShutdownReply::not_started`).
    fn answer_unstarted(
        &mut self,
        read_ahead: impl Iterator<Item = InputLine>,
        reply: &ShutdownReply,
    ) {
        let mut owed: Vec<OwedIds> = self
            .waiting
            .drain(..)
            .map(|line| line.prepared.owed_ids())
            .collect();
        owed.extend(read_ahead.map(|line| self.dispatcher.prepare(line).owed_ids()));
        answer_owed(
            owed,
            &self.replies,
            &self.dispatcher.budget,
            reply,
            &reply.not_started,
            "the provider stopped with requests read but not started",
        );
    }
}

/// Sends the shutdown error (`reply`'s code and kind, with `message`) to every id of `owed`, and
/// says on stderr how many there were, and `why`; returns how many.
fn answer_owed(
    owed: Vec<OwedIds>,
    replies: &ReplySender,
    budget: &Arc<Budget>,
    reply: &ShutdownReply,
    message: &str,
    why: &str,
) -> usize {
    let ShutdownReply { code, kind, .. } = reply;
    let mut count = 0;
    for OwedIds { ids, batch } in owed {
        if ids.is_empty() {
            continue;
        }
        count += ids.len();
        let answers: Vec<String> = ids
            .iter()
            .map(|id| error_reply(Some(id), *code, message, kind, json!({})))
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
        tracing::warn!(requests = count, "{why}; they were answered with an error");
    }
    count
}

/// Answers every request still owed a reply with the shutdown error; returns how many.
fn answer_cut_short(
    in_flight: &InFlight,
    replies: &ReplySender,
    budget: &Arc<Budget>,
    reply: &ShutdownReply,
) -> usize {
    answer_owed(
        in_flight.take_unanswered(),
        replies,
        budget,
        reply,
        &reply.message,
        "the grace period ended with requests still running",
    )
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
