//! What this provider process knows about the client-key creates it runs, per application access
//! point: the keys they were told they made, and whether a request of theirs is in flight.
//!
//! After a lost reply, the keys that appeared on the AAP since the create's first attempt are the
//! candidates (see `reconcile`). A concurrent create of this process makes keys appear too; the
//! ones it got a reply for are its own, so they are no candidates. Waiting for its request in
//! flight to end first lets its key be known rather than suspected. A key another process made
//! cannot be known here: that is what the snapshot and the validity dates are for.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How long a finished create's keys are remembered after the last create on its AAP started.
/// A resolution looks only at keys that appeared since its own create's snapshot, and a create
/// ends within its deadline plus the clean-up grace, so this is generous.
const RETENTION: Duration = Duration::from_secs(60 * 60);

#[derive(Debug)]
struct CreateRecord {
    ticket: u64,
    finished: Option<Instant>,
    attempting: bool,
    known_key_ids: Vec<String>,
}

#[derive(Debug, Default)]
struct TrackerState {
    next_ticket: u64,
    by_access_point: HashMap<String, Vec<CreateRecord>>,
}

/// The creates of one provider process. Shared by every operation.
#[derive(Debug, Default)]
pub struct CreateTracker {
    state: Mutex<TrackerState>,
    changed: Notify,
}

impl CreateTracker {
    pub fn new() -> CreateTracker {
        CreateTracker::default()
    }

    fn lock(&self) -> MutexGuard<'_, TrackerState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a create on `access_point`.
    pub fn begin(self: &Arc<Self>, access_point: &str) -> CreateTicket {
        let now = Instant::now();
        let mut state = self.lock();
        state.next_ticket += 1;
        let ticket = state.next_ticket;
        prune(&mut state, now);
        state
            .by_access_point
            .entry(access_point.to_owned())
            .or_default()
            .push(CreateRecord {
                ticket,
                finished: None,
                attempting: false,
                known_key_ids: Vec::new(),
            });
        CreateTicket {
            tracker: self.clone(),
            access_point: access_point.to_owned(),
            ticket,
        }
    }

    fn update(&self, access_point: &str, ticket: u64, change: impl FnOnce(&mut CreateRecord)) {
        {
            let mut state = self.lock();
            if let Some(record) = state
                .by_access_point
                .get_mut(access_point)
                .and_then(|records| records.iter_mut().find(|record| record.ticket == ticket))
            {
                change(record);
            }
        }
        self.changed.notify_waiters();
    }

    /// Whether another create on the AAP has a request in flight.
    fn others_attempting(&self, ticket: &CreateTicket) -> bool {
        self.lock()
            .by_access_point
            .get(&ticket.access_point)
            .is_some_and(|records| {
                records
                    .iter()
                    .any(|record| record.ticket != ticket.ticket && record.attempting)
            })
    }

    /// Waits until no other create on the AAP has a request in flight, so that the keys they
    /// made are known. False if `until` passed or `cancellation` fired first.
    pub async fn wait_for_other_attempts(
        &self,
        ticket: &CreateTicket,
        until: Instant,
        cancellation: &CancellationToken,
    ) -> bool {
        loop {
            // Registered before the check, so a change between the check and the wait is not lost.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if !self.others_attempting(ticket) {
                return true;
            }
            tokio::select! {
                () = changed => {}
                () = tokio::time::sleep_until(until) => return false,
                () = cancellation.cancelled() => return false,
            }
        }
    }

    /// The keys the other creates on the AAP were told they made.
    pub fn keys_of_other_creates(&self, ticket: &CreateTicket) -> HashSet<String> {
        self.lock()
            .by_access_point
            .get(&ticket.access_point)
            .into_iter()
            .flatten()
            .filter(|record| record.ticket != ticket.ticket)
            .flat_map(|record| record.known_key_ids.iter().cloned())
            .collect()
    }
}

/// Forgets creates that finished more than [`RETENTION`] ago.
fn prune(state: &mut TrackerState, now: Instant) {
    state.by_access_point.retain(|_, records| {
        records.retain(|record| {
            record
                .finished
                .is_none_or(|finished| now.saturating_duration_since(finished) < RETENTION)
        });
        !records.is_empty()
    });
}

/// One create's registration; dropping it marks the create finished.
#[derive(Debug)]
pub struct CreateTicket {
    tracker: Arc<CreateTracker>,
    access_point: String,
    ticket: u64,
}

impl CreateTicket {
    pub fn tracker(&self) -> &CreateTracker {
        &self.tracker
    }

    /// Marks a CreateClientKey request of this create as in flight, or no longer.
    pub fn set_attempting(&self, attempting: bool) {
        self.tracker
            .update(&self.access_point, self.ticket, |record| {
                record.attempting = attempting
            });
    }

    /// Records a key this create made (from a CreateClientKey reply).
    pub fn record_key(&self, client_key_id: &str) {
        self.tracker
            .update(&self.access_point, self.ticket, |record| {
                record.known_key_ids.push(client_key_id.to_owned());
            });
    }
}

impl Drop for CreateTicket {
    fn drop(&mut self) {
        let now = Instant::now();
        self.tracker
            .update(&self.access_point, self.ticket, |record| {
                record.finished = Some(now);
                record.attempting = false;
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_of_other_creates_on_the_same_access_point_are_known() {
        let tracker = Arc::new(CreateTracker::new());
        let mine = tracker.begin("aap");
        let other = tracker.begin("aap");
        let elsewhere = tracker.begin("other-aap");
        mine.record_key("KAAP.mine");
        other.record_key("KAAP.1");
        elsewhere.record_key("KAAP.2");
        assert_eq!(
            tracker.keys_of_other_creates(&mine),
            HashSet::from(["KAAP.1".to_owned()])
        );
        // A finished create is still remembered.
        drop(other);
        assert_eq!(
            tracker.keys_of_other_creates(&mine),
            HashSet::from(["KAAP.1".to_owned()])
        );
    }

    #[tokio::test]
    async fn waiting_ends_when_the_other_attempt_ends_or_at_the_deadline() {
        let tracker = Arc::new(CreateTracker::new());
        let mine = tracker.begin("aap");
        let other = tracker.begin("aap");
        other.set_attempting(true);
        let never = CancellationToken::new();

        let deadline = Instant::now() + Duration::from_millis(20);
        assert!(
            !tracker
                .wait_for_other_attempts(&mine, deadline, &never)
                .await
        );

        let waiter = {
            let tracker = tracker.clone();
            tokio::spawn(async move {
                let far = Instant::now() + Duration::from_secs(60);
                let token = CancellationToken::new();
                tracker.wait_for_other_attempts(&mine, far, &token).await
            })
        };
        tokio::task::yield_now().await;
        other.set_attempting(false);
        assert!(waiter.await.unwrap());
    }
}
