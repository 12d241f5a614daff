//! The one writer: every line that goes to the output (replies and server → client notifications)
//! passes through one queue and one thread, so lines never interleave and a line is always
//! written whole. Every queued line is counted in the byte budget until it is written.

use std::io::{self, BufWriter, Write};
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::budget::{Budget, Charge};
use super::in_flight::LineTicket;

/// The byte budget before the server sets its own (`ServerOptions::max_bytes_in_flight`).
const DEFAULT_BUDGET_BYTES: usize = 16 * 1024 * 1024;

/// A line for the writer, its bytes counted in the budget, and for a reply the ticket of its input
/// line: both are dropped only once the line is written (or dropped after the output is gone), so
/// that an engine that stops reading stdout makes the server stop reading stdin, and the drain at
/// the end waits for the line to be out.
pub(super) struct OutLine {
    line: String,
    _charge: Charge,
    _ticket: Option<LineTicket>,
}

pub(super) enum Outgoing {
    Line(OutLine),
    /// Replies produced together (the lines of one chunk of input that finished at once): one
    /// hand-over, one wake-up of the writer.
    Lines(Vec<OutLine>),
    /// Flush and stop; sent once every reply has been queued.
    Finish,
}

/// Queues replies for the writer. Cheap to clone.
#[derive(Clone)]
pub(super) struct ReplySender {
    sender: mpsc::UnboundedSender<Outgoing>,
}

impl ReplySender {
    /// Queues a reply. A reply whose line was already answered (by a shutdown whose grace period
    /// ran out) is dropped: every request is answered once.
    pub(super) fn send(&self, line: String, charge: Charge, ticket: LineTicket) {
        if !ticket.mark_answered() {
            return;
        }
        // The writer only goes away after `Finish`, which is sent after the last reply.
        let _ = self.sender.send(Outgoing::Line(OutLine {
            line,
            _charge: charge,
            _ticket: Some(ticket),
        }));
    }

    /// Queues several replies at once (see [`ReplySender::send`]).
    pub(super) fn send_all(&self, replies: Vec<(String, Charge, LineTicket)>) {
        let lines: Vec<OutLine> = replies
            .into_iter()
            .filter(|(_, _, ticket)| ticket.mark_answered())
            .map(|(line, charge, ticket)| OutLine {
                line,
                _charge: charge,
                _ticket: Some(ticket),
            })
            .collect();
        if !lines.is_empty() {
            let _ = self.sender.send(Outgoing::Lines(lines));
        }
    }

    /// Queues a line that belongs to no input line (an answer owed at shutdown).
    pub(super) fn send_untracked(&self, line: String, charge: Charge) {
        let _ = self.sender.send(Outgoing::Line(OutLine {
            line,
            _charge: charge,
            _ticket: None,
        }));
    }

    pub(super) fn finish(&self) {
        let _ = self.sender.send(Outgoing::Finish);
    }
}

/// Replies of lines that finished where they started, gathered for one hand-over to the writer.
#[derive(Default)]
pub(super) struct Gathered {
    replies: Vec<(String, Charge, LineTicket)>,
    bytes: usize,
}

impl Gathered {
    /// Past this, the replies go to the writer without waiting for the end of the chunk.
    const MAX_BYTES: usize = 64 * 1024;

    pub(super) fn push(
        &mut self,
        line: String,
        charge: Charge,
        ticket: LineTicket,
        replies: &ReplySender,
    ) {
        self.bytes += line.len();
        self.replies.push((line, charge, ticket));
        if self.bytes >= Gathered::MAX_BYTES {
            self.hand_over(replies);
        }
    }

    pub(super) fn hand_over(&mut self, replies: &ReplySender) {
        if !self.replies.is_empty() {
            self.bytes = 0;
            replies.send_all(std::mem::take(&mut self.replies));
        }
    }
}

/// Sends server → client notifications (for example `log`) through the one writer. Cheap to
/// clone; handlers get it (wrapped) from the provider context. A notification sent after the
/// server finished is dropped.
#[derive(Clone)]
pub struct ClientNotifier {
    sender: mpsc::UnboundedSender<Outgoing>,
    budget: Arc<Budget>,
}

impl ClientNotifier {
    pub fn notify(&self, method: &str, params: &impl Serialize) {
        #[derive(Serialize)]
        struct Notification<'a, P> {
            jsonrpc: &'static str,
            method: &'a str,
            params: &'a P,
        }
        match serde_json::to_string(&Notification {
            jsonrpc: "2.0",
            method,
            params,
        }) {
            Ok(line) => {
                let charge = self.budget.charge_output(line.len());
                let _ = self.sender.send(Outgoing::Line(OutLine {
                    line,
                    _charge: charge,
                    _ticket: None,
                }));
            }
            Err(error) => tracing::error!(
                method,
                "a notification could not be encoded and was dropped: {error}"
            ),
        }
    }
}

/// The receiving end of the output queue, handed to [`serve`](super::serve).
pub struct OutgoingQueue {
    pub(super) sender: mpsc::UnboundedSender<Outgoing>,
    pub(super) receiver: mpsc::UnboundedReceiver<Outgoing>,
    pub(super) budget: Arc<Budget>,
}

impl OutgoingQueue {
    pub(super) fn reply_sender(&self) -> ReplySender {
        ReplySender {
            sender: self.sender.clone(),
        }
    }
}

/// Creates the output queue: the notifier for the provider, the queue for the server. Create it
/// first, so the provider can be built with the notifier before the server starts.
pub fn outgoing_queue() -> (ClientNotifier, OutgoingQueue) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let budget = Budget::new(DEFAULT_BUDGET_BYTES);
    (
        ClientNotifier {
            sender: sender.clone(),
            budget: budget.clone(),
        },
        OutgoingQueue {
            sender,
            receiver,
            budget,
        },
    )
}

/// What happens to a line that cannot be delivered (the output failed before it was out): the
/// server hands it here, on the writer thread, so that what it said is not lost without a trace.
/// `rpc` knows nothing of what a line means; the binary decides what to keep (see
/// `protocol::undeliverable`). The default only counts bytes in a `debug` log.
#[derive(Clone)]
pub struct UndeliverableLines(Arc<dyn Fn(&str) + Send + Sync>);

impl UndeliverableLines {
    pub fn new(report: impl Fn(&str) + Send + Sync + 'static) -> UndeliverableLines {
        UndeliverableLines(Arc::new(report))
    }

    fn report(&self, line: &str) {
        (self.0)(line);
    }
}

impl Default for UndeliverableLines {
    fn default() -> UndeliverableLines {
        UndeliverableLines::new(|line| {
            tracing::debug!(bytes = line.len(), "a line could not be delivered");
        })
    }
}

impl std::fmt::Debug for UndeliverableLines {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("UndeliverableLines")
    }
}

/// The writer's buffer, and how many bytes it holds before they are written out.
const WRITE_BUFFER_BYTES: usize = 64 * 1024;

/// The writer loop (on its own thread). Lines are written through a buffer that is flushed
/// whenever the queue runs empty or the buffer fills: under load many replies share one write,
/// and no reply waits for a later one. The lines since the last flush are kept (with their
/// charges and tickets) until it succeeds. A write error means the output is gone (typically
/// EPIPE: the engine closed stdout): it is said once on stderr and `output_lost` is tripped, so
/// the server stops reading and starting work; every line that may not have been delivered, and
/// every line queued after, goes to `undeliverable`; the loop keeps draining the queue (giving
/// back every line's bytes and ticket), and reports the error when it finishes.
pub(super) fn write_lines(
    output: impl Write,
    mut receiver: mpsc::UnboundedReceiver<Outgoing>,
    output_lost: &CancellationToken,
    undeliverable: &UndeliverableLines,
) -> io::Result<()> {
    let mut writer = BufWriter::with_capacity(WRITE_BUFFER_BYTES, output);
    let mut first_error: Option<io::Error> = None;
    // Written into the buffer, not yet known to be out.
    let mut unflushed: Vec<OutLine> = Vec::new();
    let mut unflushed_bytes = 0;
    while let Some(message) = receiver.blocking_recv() {
        let lines = match message {
            Outgoing::Line(line) => vec![line],
            Outgoing::Lines(lines) => lines,
            Outgoing::Finish => break,
        };
        if first_error.is_some() {
            // The charges and tickets are dropped here, once the lines are reported.
            for out in &lines {
                undeliverable.report(&out.line);
            }
            continue;
        }
        let mut written = Ok(());
        for out in lines {
            if written.is_ok() {
                written = writer
                    .write_all(out.line.as_bytes())
                    .and_then(|()| writer.write_all(b"\n"));
            }
            unflushed_bytes += out.line.len() + 1;
            unflushed.push(out);
        }
        if written.is_ok() && (receiver.is_empty() || unflushed_bytes >= WRITE_BUFFER_BYTES) {
            written = writer.flush();
            if written.is_ok() {
                unflushed.clear();
                unflushed_bytes = 0;
            }
        }
        if let Err(error) = written {
            tracing::error!(
                "stdout is closed or failing ({error}): no reply can be delivered any more; the provider stops \
                 reading requests and starting operations, cancels the operations waiting on KMS, and exits; what \
                 could not be delivered follows on stderr"
            );
            first_error = Some(error);
            output_lost.cancel();
            for out in unflushed.drain(..) {
                undeliverable.report(&out.line);
            }
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => writer.flush().inspect_err(|_| {
            for out in &unflushed {
                undeliverable.report(&out.line);
            }
        }),
    }
}
