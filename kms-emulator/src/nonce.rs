//! Replay protection: remembers each `SignatureNonce` (per access key) for 31 minutes, in
//! bounded memory.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The set of nonces seen recently. Entries expire after the TTL; when `capacity` entries are
/// held, the oldest is forgotten first, so memory stays bounded under any request rate (at the
/// price of accepting a replay of a forgotten nonce, which needs more than `capacity` requests
/// inside the timestamp window).
#[derive(Debug)]
pub struct NonceCache {
    ttl: Duration,
    capacity: usize,
    seen: HashSet<Arc<str>>,
    order: VecDeque<(Instant, Arc<str>)>,
}

impl NonceCache {
    /// An empty cache.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        NonceCache {
            ttl,
            capacity: capacity.max(1),
            seen: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    /// Records `nonce` for `access_key_id` at `now`; false if it was already used.
    pub fn check_and_insert(&mut self, access_key_id: &str, nonce: &str, now: Instant) -> bool {
        while let Some((seen_at, _)) = self.order.front() {
            if now.saturating_duration_since(*seen_at) < self.ttl
                && self.order.len() < self.capacity
            {
                break;
            }
            if let Some((_, key)) = self.order.pop_front() {
                self.seen.remove(&key);
            }
        }
        let key: Arc<str> = Arc::from(format!("{access_key_id}\n{nonce}"));
        if self.seen.contains(&key) {
            return false;
        }
        self.seen.insert(key.clone());
        self.order.push_back((now, key));
        true
    }

    /// How many nonces are remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no nonce is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_refused_until_it_expires() {
        let start = Instant::now();
        let mut cache = NonceCache::new(Duration::from_secs(60), 10);
        assert!(cache.check_and_insert("ak", "n1", start));
        assert!(!cache.check_and_insert("ak", "n1", start + Duration::from_secs(59)));
        assert!(cache.check_and_insert("other-ak", "n1", start));
        assert!(cache.check_and_insert("ak", "n1", start + Duration::from_secs(61)));
    }

    #[test]
    fn memory_stays_within_capacity() {
        let start = Instant::now();
        let mut cache = NonceCache::new(Duration::from_secs(60), 3);
        for index in 0..10 {
            assert!(cache.check_and_insert("ak", &index.to_string(), start));
        }
        assert_eq!(cache.len(), 3);
        assert!(!cache.check_and_insert("ak", "9", start));
    }
}
