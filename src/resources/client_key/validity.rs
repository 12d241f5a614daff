//! The validity period a new client key is created with, and the proof it gives of who made it.
//!
//! When the user sets `notBefore` and `notAfter`, those are sent. When the user sets neither, the
//! provider does not leave the dates to KMS (KMS would make them the creation time and five years
//! later, the same for every creator): it chooses them itself, with a nonce in them. `NotBefore`
//! is a random whole number of seconds, 60 to 659, before now; `NotAfter` is five calendar years
//! after `NotBefore` minus a random 1 to 86,400 seconds, so never exactly KMS's default. A key
//! whose dates equal the chosen pair was made by this create: after a lost reply that is the proof
//! that lets the provider delete it (see `reconcile`). The chosen dates are the key's outputs, as
//! KMS's would have been; they are not inputs, so they never show as a change.
//!
//! Two creates choose the same pair with a probability of at most 1 in 600 × 86,400 =
//! 51,840,000 (about 1.9 × 10⁻⁸): `NotBefore` must fall on the same second (each create spreads it
//! over 600) and the shortening must be the same (86,400 choices).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use chrono::{DateTime, Duration, DurationRound, Months, Utc};

use crate::resources::timestamp::{format_timestamp, parse_timestamp};

/// The earliest and one past the latest `NotBefore` offset before now, in seconds.
pub const NOT_BEFORE_OFFSETS: (i64, i64) = (60, 660);
/// How many seconds shorter than five years a chosen validity may be: 1 to this many.
pub const MAX_SHORTENING_SECONDS: i64 = 86_400;
/// The length of the validity KMS gives a key by default, which the provider's choice follows.
pub const DEFAULT_VALIDITY_MONTHS: u32 = 5 * 12;

/// A validity period, normalised (`YYYY-MM-DDTHH:MM:SSZ`, UTC).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validity {
    pub not_before: String,
    pub not_after: String,
}

impl Validity {
    /// `NotBefore <time> and NotAfter <time>`, for messages.
    pub fn describe(&self) -> String {
        format!(
            "NotBefore {} and NotAfter {}",
            self.not_before, self.not_after
        )
    }

    /// Whether a key's reported dates are this period (the same instants in whole seconds).
    pub fn matches(&self, not_before: &str, not_after: &str) -> bool {
        same_instant(&self.not_before, not_before) && same_instant(&self.not_after, not_after)
    }
}

fn same_instant(expected: &str, reported: &str) -> bool {
    match (parse_timestamp(expected), parse_timestamp(reported)) {
        (Ok(expected), Ok(reported)) => expected == reported,
        _ => expected == reported,
    }
}

/// The validity the provider chooses at `now`, from a random number.
pub fn choose(now: DateTime<Utc>, random: u64) -> Validity {
    let (earliest, end) = NOT_BEFORE_OFFSETS;
    let offsets = u64::try_from(end - earliest).expect("a positive range");
    let shortenings = u64::try_from(MAX_SHORTENING_SECONDS).expect("positive");
    let offset = earliest + i64::try_from(random % offsets).expect("small");
    let shortening = 1 + i64::try_from((random / offsets) % shortenings).expect("small");
    let now = now.duration_trunc(Duration::seconds(1)).unwrap_or(now);
    let not_before = now - Duration::seconds(offset);
    let not_after = not_before
        .checked_add_months(Months::new(DEFAULT_VALIDITY_MONTHS))
        .expect("five years after a time near now is representable")
        - Duration::seconds(shortening);
    Validity {
        not_before: format_timestamp(&not_before),
        not_after: format_timestamp(&not_after),
    }
}

/// A random number for [`choose`]: from the operating system, or, should that fail, from the
/// standard library's randomly keyed hasher fed with the time.
pub fn random_nonce() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_ok() {
        return u64::from_le_bytes(bytes);
    }
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_i64(Utc::now().timestamp_nanos_opt().unwrap_or_default());
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn the_chosen_validity_starts_minutes_ago_and_is_never_kms_default() {
        let now = at("2024-05-01T10:00:00.750Z");
        for random in [0, 1, 599, 600, 12_345_678_901, u64::MAX] {
            let validity = choose(now, random);
            let not_before = parse_timestamp(&validity.not_before).unwrap();
            let not_after = parse_timestamp(&validity.not_after).unwrap();
            let before_now = (at("2024-05-01T10:00:00Z") - not_before).num_seconds();
            assert!((60..660).contains(&before_now), "{random}: {validity:?}");
            let five_years = not_before
                .checked_add_months(Months::new(DEFAULT_VALIDITY_MONTHS))
                .unwrap();
            let shorter_by = (five_years - not_after).num_seconds();
            assert!((1..=86_400).contains(&shorter_by), "{random}: {validity:?}");
        }
        // The two extremes of each part.
        assert_eq!(
            choose(now, 0),
            Validity {
                not_before: "2024-05-01T09:59:00Z".into(),
                not_after: "2029-05-01T09:58:59Z".into(),
            }
        );
        assert_eq!(
            choose(now, 599 + 600 * 86_399),
            Validity {
                not_before: "2024-05-01T09:49:01Z".into(),
                not_after: "2029-04-30T09:49:01Z".into(),
            }
        );
    }

    #[test]
    fn a_validity_matches_the_same_instants_in_any_spelling() {
        let validity = Validity {
            not_before: "2023-09-01T14:11:22Z".into(),
            not_after: "2028-09-01T14:11:22Z".into(),
        };
        assert!(validity.matches("2023-09-01T14:11:22Z", "2028-09-01T14:11:22Z"));
        assert!(validity.matches("2023-09-01T22:11:22+08:00", "2028-09-01T14:11:22.000Z"));
        assert!(!validity.matches("2023-09-01T14:11:23Z", "2028-09-01T14:11:22Z"));
        assert!(!validity.matches("2023-09-01T14:11:22Z", "not a time"));
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(random_nonce(), random_nonce());
    }
}
