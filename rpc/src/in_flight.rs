//! The lines in flight, from the moment the server takes one until its reply is written (or, for a
//! line without a reply, until it has run): what the drain at end of input waits for, and what a
//! shutdown whose grace period ran out still owes an answer to.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};

use serde_json::value::RawValue;
use tokio::sync::Notify;

/// The ids a line owes replies to: one request, the requests of a batch, or none.
#[derive(Debug, Default)]
pub(super) struct OwedIds {
    pub(super) ids: Vec<Box<RawValue>>,
    /// A batch is answered with one array, even when it is cut short.
    pub(super) batch: bool,
}

struct Entry {
    owed: OwedIds,
    /// The reply is queued for the writer: nothing is owed any more.
    answered: bool,
}

#[derive(Default)]
struct State {
    next_key: u64,
    lines: HashMap<u64, Entry, BuildHasherDefault<KeyHasher>>,
}

/// Hashes the registry's keys, which it counts out itself (nothing a client sends): one
/// multiplication spreads consecutive keys over the table. The default SipHash cost about as much
/// as the rest of a lookup, and every line takes three.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, key: u64) {
        // 2^64 divided by the golden ratio, odd: a different key always hashes differently.
        self.0 = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed; any other input still hashes all its bytes.
        for &byte in bytes {
            self.write_u64(self.0.rotate_left(8) ^ u64::from(byte));
        }
    }
}

/// Every line in flight.
#[derive(Default)]
pub(super) struct InFlight {
    state: Mutex<State>,
    idle: Notify,
}

impl InFlight {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Registers a line that owes replies to `owed`; it is in flight until the ticket is dropped.
    pub(super) fn begin(self: &Arc<Self>, owed: OwedIds) -> LineTicket {
        let mut state = self.lock();
        let key = state.next_key;
        state.next_key += 1;
        state.lines.insert(
            key,
            Entry {
                owed,
                answered: false,
            },
        );
        LineTicket {
            registry: self.clone(),
            key,
        }
    }

    /// Waits until no line is in flight.
    pub(super) async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.lock().lines.is_empty() {
                return;
            }
            notified.await;
        }
    }

    /// The ids of every line still owing a reply, each line marked answered (so that it is
    /// answered once, by the caller).
    pub(super) fn take_unanswered(&self) -> Vec<OwedIds> {
        let mut state = self.lock();
        state
            .lines
            .values_mut()
            .filter(|entry| !entry.answered && !entry.owed.ids.is_empty())
            .map(|entry| {
                entry.answered = true;
                std::mem::take(&mut entry.owed)
            })
            .collect()
    }
}

/// A line in flight; dropping it ends that.
pub(super) struct LineTicket {
    registry: Arc<InFlight>,
    key: u64,
}

impl LineTicket {
    /// The line's reply is queued; returns false if it was already answered (by a shutdown), in
    /// which case the reply must not be written.
    pub(super) fn mark_answered(&self) -> bool {
        let mut state = self.registry.lock();
        match state.lines.get_mut(&self.key) {
            Some(entry) if !entry.answered => {
                entry.answered = true;
                true
            }
            _ => false,
        }
    }
}

impl Drop for LineTicket {
    fn drop(&mut self) {
        let now_idle = {
            let mut state = self.registry.lock();
            state.lines.remove(&self.key);
            state.lines.is_empty()
        };
        if now_idle {
            self.registry.idle.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    #[tokio::test]
    async fn unanswered_lines_are_taken_once_and_idle_follows_the_last_ticket() {
        let registry = Arc::new(InFlight::default());
        let first = registry.begin(OwedIds {
            ids: vec![id("1")],
            batch: false,
        });
        let second = registry.begin(OwedIds {
            ids: vec![id("2"), id("\"b\"")],
            batch: true,
        });
        let notification = registry.begin(OwedIds::default());
        assert!(first.mark_answered());
        let owed = registry.take_unanswered();
        assert_eq!(owed.len(), 1);
        assert!(owed[0].batch);
        assert_eq!(owed[0].ids.len(), 2);
        assert!(registry.take_unanswered().is_empty());
        assert!(!second.mark_answered(), "already answered by the shutdown");
        drop((first, second));
        let waiting = {
            let registry = registry.clone();
            tokio::spawn(async move { registry.wait_idle().await })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(notification);
        waiting.await.unwrap();
    }
}
