//! The emulator's clock: the system clock plus an offset that only moves forward. Everything that
//! expires (issued credentials, metadata tokens, OIDC tokens, remembered nonces) and every time
//! the emulator writes reads it, so a test reaches an expiry by advancing the clock instead of
//! sleeping through it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// A clock shared by one emulator and whoever holds a clone of it (the test that started it).
/// `Clock::default()` is the system clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// How far ahead of the system clock this clock is, in microseconds.
    offset_micros: Arc<AtomicU64>,
}

impl Clock {
    /// Moves the clock forward by `by` for every holder of this clock.
    pub fn advance(&self, by: Duration) {
        let micros = u64::try_from(by.as_micros()).unwrap_or(u64::MAX);
        self.offset_micros.fetch_add(micros, Ordering::SeqCst);
    }

    /// How far the clock has been moved forward so far.
    pub fn offset(&self) -> Duration {
        Duration::from_micros(self.offset_micros.load(Ordering::SeqCst))
    }

    /// The wall-clock time now.
    pub fn now(&self) -> DateTime<Utc> {
        let offset = chrono::Duration::from_std(self.offset()).unwrap_or(chrono::Duration::MAX);
        Utc::now() + offset
    }

    /// The monotonic time now.
    pub fn instant(&self) -> Instant {
        Instant::now() + self.offset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_both_times_for_every_clone() {
        let clock = Clock::default();
        let holder = clock.clone();
        let (wall, monotonic) = (holder.now(), holder.instant());
        clock.advance(Duration::from_secs(3600));
        assert!(holder.now() - wall >= chrono::Duration::seconds(3600));
        assert!(holder.instant() - monotonic >= Duration::from_secs(3600));
        assert_eq!(holder.offset(), Duration::from_secs(3600));
    }
}
