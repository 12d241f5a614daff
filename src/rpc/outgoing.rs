//! The one writer: every line that goes to the output (replies and server → client notifications)
//! passes through one queue and one thread, so lines never interleave and a line is always
//! written whole.

use std::io::{self, BufWriter, Write};

use serde::Serialize;
use tokio::sync::{mpsc, OwnedSemaphorePermit};

pub(super) enum Outgoing {
    /// A line, and for a reply the in-flight permit of its request: the permit is released only
    /// once the line is written, so a client that stops reading stdout makes the server stop
    /// reading stdin, instead of piling up replies in memory.
    Line(String, Option<OwnedSemaphorePermit>),
    /// Flush and stop; sent once every reply has been queued.
    Finish,
}

/// Queues replies for the writer. Cheap to clone.
#[derive(Clone)]
pub(super) struct ReplySender {
    sender: mpsc::UnboundedSender<Outgoing>,
}

impl ReplySender {
    pub(super) fn send(&self, line: String, permit: OwnedSemaphorePermit) {
        // The writer only goes away after `Finish`, which is sent after the last reply.
        let _ = self.sender.send(Outgoing::Line(line, Some(permit)));
    }

    pub(super) fn finish(&self) {
        let _ = self.sender.send(Outgoing::Finish);
    }
}

/// Sends server → client notifications (for example `log`) through the one writer. Cheap to
/// clone; handlers get it (wrapped) from the provider context. A notification sent after the
/// server finished is dropped.
#[derive(Clone)]
pub struct ClientNotifier {
    sender: mpsc::UnboundedSender<Outgoing>,
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
                let _ = self.sender.send(Outgoing::Line(line, None));
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
    (
        ClientNotifier {
            sender: sender.clone(),
        },
        OutgoingQueue { sender, receiver },
    )
}

/// The writer loop (on its own thread). Lines are written through a buffer that is flushed
/// whenever the queue runs empty: under load many replies share one write, and no reply waits for
/// a later one. After a write error the loop keeps draining the queue, so senders never pile up,
/// and reports the error when it finishes.
pub(super) fn write_lines(
    output: impl Write,
    mut receiver: mpsc::UnboundedReceiver<Outgoing>,
) -> io::Result<()> {
    let mut writer = BufWriter::with_capacity(64 * 1024, output);
    let mut first_error: Option<io::Error> = None;
    while let Some(message) = receiver.blocking_recv() {
        // The permit (if any) is dropped at the end of this iteration, after the write.
        let (line, _permit) = match message {
            Outgoing::Line(line, permit) => (line, permit),
            Outgoing::Finish => break,
        };
        if first_error.is_some() {
            continue;
        }
        let written = writer
            .write_all(line.as_bytes())
            .and_then(|()| writer.write_all(b"\n"))
            .and_then(|()| {
                if receiver.is_empty() {
                    writer.flush()
                } else {
                    Ok(())
                }
            });
        if let Err(error) = written {
            tracing::error!("writing to the output failed; further replies are dropped: {error}");
            first_error = Some(error);
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => writer.flush(),
    }
}
