//! What this provider process knows about the client-key creates it runs, per application access
//! point, so that resolving an ambiguous create never deletes a key another create made.
//!
//! An ambiguous create (its reply was lost) is resolved by listing the AAP's keys and looking for
//! one that appeared during the attempt. A concurrent create on the same AAP makes keys appear in
//! the same window. The tracker tells the resolution which keys those creates are known to have
//! made (to leave them out), waits for creates whose request is still in flight (their outcome
//! becomes known), and says when another create's outcome is itself unknown, in which case no key
//! can be attributed safely and nothing is deleted.
//!
//! Limit: a key made in the same window by another program (another provider process, the console)
//! cannot be known here. Candidates must also match the requested validity period, which makes a
//! mix-up unlikely; the window is a few seconds wide.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How long a finished create is remembered beyond what any pending resolution could need.
const RETENTION: Duration = Duration::from_secs(60);

/// Where a create is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreatePhase {
    /// A CreateClientKey request may be in flight.
    Attempting,
    /// The last attempt's outcome is unknown and is being looked into.
    Reconciling,
    /// Every key it made is known (or it made none).
    Settled,
    /// It ended with an outcome it could not resolve: a key it made may exist, unknown.
    Unresolved,
}

#[derive(Debug)]
struct CreateRecord {
    ticket: u64,
    started: DateTime<Utc>,
    finished: Option<DateTime<Utc>>,
    phase: CreatePhase,
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

/// What the other creates on an AAP say about a resolution window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// Keys other creates (or this one, earlier) are known to have made.
    pub known_key_ids: HashSet<String>,
    /// Another create that overlaps the window has an unknown outcome (or is still in flight).
    pub others_unresolved: bool,
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

    /// Registers a create on `access_point`, in the `Attempting` phase.
    pub fn begin(self: &Arc<Self>, access_point: &str) -> CreateTicket {
        let now = Utc::now();
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
                started: now,
                finished: None,
                phase: CreatePhase::Attempting,
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

    /// Whether another create on the AAP that overlaps `window_start..now` has a request in
    /// flight.
    fn others_attempting(
        &self,
        access_point: &str,
        ticket: u64,
        window_start: DateTime<Utc>,
    ) -> bool {
        let state = self.lock();
        state
            .by_access_point
            .get(access_point)
            .is_some_and(|records| {
                records.iter().any(|record| {
                    record.ticket != ticket
                        && overlaps(record, window_start)
                        && record.phase == CreatePhase::Attempting
                })
            })
    }

    /// Waits until no other create on the AAP overlapping the window has a request in flight, so
    /// that the keys they made are known. False if `until` passed or the operation was cancelled
    /// first.
    pub async fn wait_for_other_attempts(
        &self,
        ticket: &CreateTicket,
        window_start: DateTime<Utc>,
        until: Instant,
        cancellation: &CancellationToken,
    ) -> bool {
        loop {
            // Registered before the check, so a change between the check and the wait is not lost.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if !self.others_attempting(&ticket.access_point, ticket.ticket, window_start) {
                return true;
            }
            tokio::select! {
                () = changed => {}
                () = tokio::time::sleep_until(until) => return false,
                () = cancellation.cancelled() => return false,
            }
        }
    }

    /// What the creates on the AAP say about the window `window_start..now`, for `ticket`.
    pub fn assess(&self, ticket: &CreateTicket, window_start: DateTime<Utc>) -> Assessment {
        let state = self.lock();
        let mut assessment = Assessment {
            known_key_ids: HashSet::new(),
            others_unresolved: false,
        };
        for record in state
            .by_access_point
            .get(&ticket.access_point)
            .into_iter()
            .flatten()
        {
            assessment
                .known_key_ids
                .extend(record.known_key_ids.iter().cloned());
            if record.ticket != ticket.ticket
                && overlaps(record, window_start)
                && record.phase != CreatePhase::Settled
            {
                assessment.others_unresolved = true;
            }
        }
        assessment
    }
}

fn overlaps(record: &CreateRecord, window_start: DateTime<Utc>) -> bool {
    record
        .finished
        .is_none_or(|finished| finished >= window_start)
}

/// Forgets finished creates that no pending resolution can need: finished more than
/// [`RETENTION`] before the oldest unfinished create on the same AAP started (or before now).
fn prune(state: &mut TrackerState, now: DateTime<Utc>) {
    let retention = chrono::Duration::from_std(RETENTION).unwrap_or(chrono::Duration::MAX);
    state.by_access_point.retain(|_, records| {
        let horizon = records
            .iter()
            .filter(|record| record.finished.is_none())
            .map(|record| record.started)
            .min()
            .unwrap_or(now)
            .min(now)
            - retention;
        records.retain(|record| record.finished.is_none_or(|finished| finished >= horizon));
        !records.is_empty()
    });
}

/// One create's registration. Dropping it marks the create finished; one that had not settled is
/// then `Unresolved` (an error ended it while a key it made might exist).
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

    pub fn set_phase(&self, phase: CreatePhase) {
        self.tracker
            .update(&self.access_point, self.ticket, |record| {
                record.phase = phase
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
        let now = Utc::now();
        self.tracker
            .update(&self.access_point, self.ticket, |record| {
                record.finished = Some(now);
                if matches!(
                    record.phase,
                    CreatePhase::Attempting | CreatePhase::Reconciling
                ) {
                    record.phase = CreatePhase::Unresolved;
                }
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long_ago() -> DateTime<Utc> {
        Utc::now() - chrono::Duration::hours(1)
    }

    #[test]
    fn known_keys_are_shared_and_attempting_or_unresolved_others_make_it_unsafe() {
        let tracker = Arc::new(CreateTracker::new());
        let mine = tracker.begin("aap");
        let other = tracker.begin("aap");
        let elsewhere = tracker.begin("other-aap");
        elsewhere.set_phase(CreatePhase::Unresolved);

        // The other create is still attempting: unsafe.
        assert!(tracker.assess(&mine, long_ago()).others_unresolved);

        other.record_key("KAAP.1");
        other.set_phase(CreatePhase::Settled);
        let assessment = tracker.assess(&mine, long_ago());
        assert!(!assessment.others_unresolved, "{assessment:?}");
        assert!(assessment.known_key_ids.contains("KAAP.1"));

        // Dropping an unsettled ticket marks it unresolved.
        let third = tracker.begin("aap");
        drop(third);
        assert!(tracker.assess(&mine, long_ago()).others_unresolved);
    }

    #[test]
    fn creates_that_finished_before_the_window_do_not_count() {
        let tracker = Arc::new(CreateTracker::new());
        let earlier = tracker.begin("aap");
        drop(earlier);
        let mine = tracker.begin("aap");
        let window_start = Utc::now() + chrono::Duration::seconds(1);
        assert!(!tracker.assess(&mine, window_start).others_unresolved);
    }

    #[tokio::test]
    async fn waiting_ends_when_the_other_attempt_ends_or_at_the_deadline() {
        let tracker = Arc::new(CreateTracker::new());
        let mine = tracker.begin("aap");
        let other = tracker.begin("aap");
        let never = CancellationToken::new();

        let deadline = Instant::now() + Duration::from_millis(20);
        assert!(
            !tracker
                .wait_for_other_attempts(&mine, long_ago(), deadline, &never)
                .await
        );

        let waiter = {
            let tracker = tracker.clone();
            tokio::spawn(async move {
                let far = Instant::now() + Duration::from_secs(60);
                let token = CancellationToken::new();
                tracker
                    .wait_for_other_attempts(&mine, long_ago(), far, &token)
                    .await
            })
        };
        tokio::task::yield_now().await;
        other.set_phase(CreatePhase::Settled);
        assert!(waiter.await.unwrap());
    }
}
