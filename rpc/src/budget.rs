//! The in-flight byte budget: what the server holds in memory, counted in bytes, so that neither a
//! flood of requests nor an engine that stops reading its replies can make memory grow.
//!
//! Two things are counted: the bytes of input lines read and not yet finished (a request line, or
//! a whole batch), and the bytes of output produced and not yet written (replies, batch members
//! gathered for their batch's reply, `log` notifications). Each count is a [`Charge`] that gives
//! its bytes back when dropped: an input line's when its task ends, an output line's once the
//! writer has written it (or dropped it, after stdout is gone).
//!
//! Two waits use it. The reader thread reads the next line only while the total is under the
//! limit, so an engine that stops reading stdout soon finds stdin not read either. And no new line
//! starts while the output waiting for the writer is at the limit: a small request can have a
//! large reply (a `getSchema` batch is ~60 KB in and ~14 MB out), so input bytes alone would not
//! bound memory. Neither wait can deadlock: what they wait for (replies written, running lines
//! finishing) never waits for them in turn. A single line larger than the limit is still admitted
//! when nothing else is in flight.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use tokio::sync::Notify;

/// The shared counts.
pub(super) struct Budget {
    limit: AtomicUsize,
    /// Input and output bytes held.
    total: AtomicUsize,
    /// Output bytes held (a part of `total`).
    output: AtomicUsize,
    closed: AtomicBool,
    /// The reader thread waits here for the total to drop below the limit.
    room_lock: Mutex<()>,
    room: Condvar,
    reader_waiting: AtomicBool,
    /// The server loop waits here for the output to drop below the limit.
    output_room: Notify,
}

impl Budget {
    pub(super) fn new(limit: usize) -> Arc<Budget> {
        Arc::new(Budget {
            limit: AtomicUsize::new(limit.max(1)),
            total: AtomicUsize::new(0),
            output: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            room_lock: Mutex::new(()),
            room: Condvar::new(),
            reader_waiting: AtomicBool::new(false),
            output_room: Notify::new(),
        })
    }

    pub(super) fn set_limit(&self, limit: usize) {
        self.limit.store(limit.max(1), Ordering::Relaxed);
    }

    fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    /// Whether the total is under the limit (a new line may be read).
    pub(super) fn has_room(&self) -> bool {
        self.total.load(Ordering::SeqCst) < self.limit()
    }

    /// Whether the output is under the limit (a new line may start).
    pub(super) fn has_output_room(&self) -> bool {
        self.output.load(Ordering::SeqCst) < self.limit()
    }

    /// Blocks the calling (reader) thread until the total is under the limit. False once the
    /// budget is closed: the server stopped, and nothing more should be read.
    pub(super) fn wait_for_room(&self) -> bool {
        loop {
            if self.closed.load(Ordering::SeqCst) {
                return false;
            }
            if self.total.load(Ordering::SeqCst) < self.limit() {
                return true;
            }
            let guard = self
                .room_lock
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            self.reader_waiting.store(true, Ordering::SeqCst);
            // Checked again under the lock: a release between the check above and here has
            // either been seen or will notify.
            if self.closed.load(Ordering::SeqCst)
                || self.total.load(Ordering::SeqCst) < self.limit()
            {
                self.reader_waiting.store(false, Ordering::SeqCst);
                continue;
            }
            let _guard = self
                .room
                .wait(guard)
                .unwrap_or_else(|poison| poison.into_inner());
            self.reader_waiting.store(false, Ordering::SeqCst);
        }
    }

    /// Waits until the output held is under the limit (or the budget is closed).
    pub(super) async fn output_room(&self) {
        loop {
            let notified = self.output_room.notified();
            if self.output.load(Ordering::SeqCst) < self.limit()
                || self.closed.load(Ordering::SeqCst)
            {
                return;
            }
            notified.await;
        }
    }

    /// Stops the reader: its next wait returns false.
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.wake_reader();
        self.output_room.notify_waiters();
    }

    /// Counts `bytes` of input.
    pub(super) fn charge_input(self: &Arc<Self>, bytes: usize) -> Charge {
        self.total.fetch_add(bytes, Ordering::SeqCst);
        Charge {
            budget: self.clone(),
            bytes,
            output: false,
        }
    }

    /// Counts `bytes` of output.
    pub(super) fn charge_output(self: &Arc<Self>, bytes: usize) -> Charge {
        self.total.fetch_add(bytes, Ordering::SeqCst);
        self.output.fetch_add(bytes, Ordering::SeqCst);
        Charge {
            budget: self.clone(),
            bytes,
            output: true,
        }
    }

    /// The bytes held now (for tests and diagnostics).
    #[cfg(test)]
    pub(super) fn held(&self) -> (usize, usize) {
        (
            self.total.load(Ordering::SeqCst),
            self.output.load(Ordering::SeqCst),
        )
    }

    fn release(&self, bytes: usize, output: bool) {
        if bytes == 0 {
            return;
        }
        let limit = self.limit();
        let total_before = self.total.fetch_sub(bytes, Ordering::SeqCst);
        if output {
            let output_before = self.output.fetch_sub(bytes, Ordering::SeqCst);
            if output_before >= limit && output_before - bytes < limit {
                self.output_room.notify_waiters();
            }
        }
        if total_before >= limit && total_before - bytes < limit {
            self.wake_reader();
        }
    }

    fn wake_reader(&self) {
        if self.reader_waiting.load(Ordering::SeqCst) {
            let _guard = self
                .room_lock
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            self.room.notify_all();
        }
    }
}

/// Bytes counted in the budget, given back on drop.
pub(super) struct Charge {
    budget: Arc<Budget>,
    bytes: usize,
    output: bool,
}

impl Charge {
    /// Counts `bytes` more output on this charge (a batch gathering its members' replies).
    pub(super) fn grow(&mut self, bytes: usize) {
        debug_assert!(self.output, "only output charges grow");
        self.budget.total.fetch_add(bytes, Ordering::SeqCst);
        self.budget.output.fetch_add(bytes, Ordering::SeqCst);
        self.bytes += bytes;
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.budget.release(self.bytes, self.output);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn charges_are_given_back_on_drop() {
        let budget = Budget::new(100);
        let input = budget.charge_input(30);
        let mut output = budget.charge_output(20);
        output.grow(5);
        assert_eq!(budget.held(), (55, 25));
        drop(input);
        assert_eq!(budget.held(), (25, 25));
        drop(output);
        assert_eq!(budget.held(), (0, 0));
    }

    #[test]
    fn the_reader_waits_until_a_release_makes_room_and_stops_when_closed() {
        let budget = Budget::new(100);
        let held = budget.charge_output(150);
        let waiter = {
            let budget = budget.clone();
            std::thread::spawn(move || budget.wait_for_room())
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            !waiter.is_finished(),
            "the reader must wait while the budget is spent"
        );
        drop(held);
        assert!(waiter.join().unwrap(), "room after the release");

        let _held = budget.charge_input(100);
        let waiter = {
            let budget = budget.clone();
            std::thread::spawn(move || budget.wait_for_room())
        };
        budget.close();
        assert!(!waiter.join().unwrap(), "closed: stop reading");
    }

    #[tokio::test]
    async fn new_lines_wait_while_the_output_is_at_the_limit() {
        let budget = Budget::new(100);
        let _input = budget.charge_input(500);
        // Input alone never holds new lines back.
        budget.output_room().await;
        let output = budget.charge_output(100);
        let waiting = {
            let budget = budget.clone();
            tokio::spawn(async move { budget.output_room().await })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(output);
        waiting.await.unwrap();
    }
}
