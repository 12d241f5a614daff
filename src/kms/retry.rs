//! Retry decisions, as pure functions: classify a failure, then decide (from the class, the
//! action's idempotency, the attempts made, the time left and an injected jitter) whether to wait
//! and try again. The loop that sleeps and re-sends lives in `client`.
//!
//! # Classification
//!
//! | failure | class | idempotent actions (reads, update, deletes) | creates (`CreateClientKey`, `CreateApplicationAccessPoint`) |
//! |---|---|---|---|
//! | service code containing `Throttling` (`Throttling`, `Throttling.User`, `Throttling.Api`, `Rejected.Throttling`), any status | `Throttled` | retry | retry: a throttled request was rejected before it did anything |
//! | connection refused or connect timeout, DNS server not answering (nothing sent) | `NotSent` | retry | retry: nothing reached the service |
//! | endpoint that is not a URL (bad port), host name that does not exist, untrusted TLS certificate, failed TLS handshake | `Permanent` | stop | stop: nothing was sent, and trying again cannot help |
//! | service HTTP 5xx, or a `ServiceUnavailable*` code | `Transient` | retry | **stop**, `OutcomeUnknown`: the service may have done the work before failing |
//! | connection lost or read timeout after sending | `Transient` | retry | **stop**, `OutcomeUnknown` |
//! | reply that is not what the API promises, HTTP 5xx (an HTML error page from a proxy) | `Transient` | retry | **stop**, `OutcomeUnknown` |
//! | reply that is not what the API promises, HTTP 2xx | `UnreadableSuccess` | stop | **stop**, `OutcomeUnknown`: the status says it worked, but the id cannot be read |
//! | any other service error (4xx: bad input, permissions, not found, signature) | `Permanent` | stop | stop |
//! | any other invalid reply (3xx, 4xx with a non-JSON body) | `Permanent` | stop | stop |
//! | deadline passed, cancelled | `Permanent` | stop | stop (an in-flight create becomes `OutcomeUnknown`, see `client`) |
//!
//! Backoff: attempt `n` (1-based) that failed is followed by a wait of
//! `min(initial_delay * 2^(n-1), max_delay)`, scaled by "equal jitter" into
//! `[half, full]` of that value. A wait that would end after the deadline is not started: the call
//! ends at once with `DeadlineExceeded`, naming the last failure. At most `max_attempts` attempts.

use std::time::Duration;

use crate::kms::error::KmsError;

/// How a failure bears on retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// The service refused because of a rate limit; the request did nothing.
    Throttled,
    /// The request never left this process.
    NotSent,
    /// A temporary fault after which the request may or may not have taken effect.
    Transient,
    /// HTTP 2xx with a reply that cannot be read: the action most likely took effect.
    UnreadableSuccess,
    /// Repeating the same request would fail the same way.
    Permanent,
}

impl FailureClass {
    /// Whether the request may have taken effect on the service despite the failure.
    pub fn may_have_taken_effect(self) -> bool {
        matches!(
            self,
            FailureClass::Transient | FailureClass::UnreadableSuccess
        )
    }
}

/// Whether repeating an action can have an effect beyond the first successful attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Reads, updates that set absolute values, and deletes (a repeated delete at worst says
    /// "not found", which the resource layer treats as done).
    Idempotent,
    /// Creates: each successful attempt creates one more resource (client keys have no
    /// client-chosen name, so a duplicate would go unnoticed).
    NonIdempotent,
}

/// Classifies a failure for the retry decision. A pure function of the error.
pub fn classify_failure(error: &KmsError) -> FailureClass {
    match error {
        KmsError::Service {
            code, http_status, ..
        } => {
            if code.contains("Throttling") {
                FailureClass::Throttled
            } else if code.starts_with("ServiceUnavailable") || *http_status >= 500 {
                FailureClass::Transient
            } else {
                FailureClass::Permanent
            }
        }
        KmsError::Transport {
            request_may_have_been_sent,
            problem,
            ..
        } => {
            if problem.is_permanent() {
                FailureClass::Permanent
            } else if *request_may_have_been_sent {
                FailureClass::Transient
            } else {
                FailureClass::NotSent
            }
        }
        KmsError::InvalidResponse { http_status, .. } => match http_status {
            500..=599 => FailureClass::Transient,
            200..=299 => FailureClass::UnreadableSuccess,
            _ => FailureClass::Permanent,
        },
        KmsError::DeadlineExceeded { .. }
        | KmsError::Cancelled { .. }
        | KmsError::OutcomeUnknown { .. }
        | KmsError::ClientSetup { .. }
        // The credentials fetch has retried what was worth retrying already.
        | KmsError::Credentials(_) => FailureClass::Permanent,
    }
}

/// The knobs of the backoff schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The most attempts one call makes, the first included.
    pub max_attempts: u32,
    /// The wait after the first failed attempt, before jitter.
    pub initial_delay: Duration,
    /// The longest wait between two attempts, before jitter.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Ten attempts, waits of 1, 2, 4, 8, 16 then 20 seconds (before jitter): about a minute and
    /// a half of retrying, well inside the default five-minute deadline.
    fn default() -> Self {
        Self {
            max_attempts: 10,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `failed_attempt` (1-based), with `jitter_fraction`
    /// in `[0, 1]` choosing a point between half and all of the exponential value.
    pub fn backoff_delay(&self, failed_attempt: u32, jitter_fraction: f64) -> Duration {
        let exponent = failed_attempt.saturating_sub(1).min(31);
        let exponential = self
            .initial_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        let jitter_fraction = if jitter_fraction.is_finite() {
            jitter_fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let half = exponential / 2;
        half + half.mul_f64(jitter_fraction)
    }

    /// Decides what to do after attempt number `attempts_made` failed with a failure of class
    /// `class`, when `time_left` remains before the deadline.
    pub fn decide(
        &self,
        class: FailureClass,
        idempotency: Idempotency,
        attempts_made: u32,
        time_left: Duration,
        jitter_fraction: f64,
    ) -> RetryDecision {
        let retryable = match class {
            FailureClass::Throttled | FailureClass::NotSent => true,
            FailureClass::Transient => idempotency == Idempotency::Idempotent,
            FailureClass::UnreadableSuccess | FailureClass::Permanent => false,
        };
        if !retryable {
            return if idempotency == Idempotency::NonIdempotent && class.may_have_taken_effect() {
                RetryDecision::StopOutcomeUnknown
            } else {
                RetryDecision::Stop
            };
        }
        if attempts_made >= self.max_attempts {
            return RetryDecision::Stop;
        }
        let delay = self.backoff_delay(attempts_made, jitter_fraction);
        if delay >= time_left {
            return RetryDecision::StopDeadlineTooClose;
        }
        RetryDecision::RetryAfter(delay)
    }
}

/// The outcome of [`RetryPolicy::decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Wait this long, then send the request again with a fresh nonce and timestamp.
    RetryAfter(Duration),
    /// Give up and return the failure as it is.
    Stop,
    /// Give up and return the failure wrapped in `KmsError::OutcomeUnknown`.
    StopOutcomeUnknown,
    /// A retry would be worth it, but the wait would end after the deadline: return
    /// `KmsError::DeadlineExceeded` naming the failure.
    StopDeadlineTooClose,
}

/// What the client reports before each backoff wait, so a caller can show progress. Everything
/// in it is free of secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryEvent {
    /// The action being retried, e.g. `CreateClientKey`.
    pub action: &'static str,
    /// The number of the attempt that just failed (1-based).
    pub attempt: u32,
    /// How long the client waits before the next attempt.
    pub delay: Duration,
    /// Why the attempt failed (the error's `Display`, which never holds a secret).
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast_policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
        }
    }

    #[test]
    fn backoff_grows_exponentially_with_equal_jitter_and_a_cap() {
        let policy = fast_policy();
        assert_eq!(policy.backoff_delay(1, 0.0), Duration::from_millis(50));
        assert_eq!(policy.backoff_delay(1, 1.0), Duration::from_millis(100));
        assert_eq!(policy.backoff_delay(2, 1.0), Duration::from_millis(200));
        assert_eq!(policy.backoff_delay(3, 1.0), Duration::from_millis(300));
        assert_eq!(policy.backoff_delay(40, 0.5), Duration::from_millis(225));
        assert_eq!(policy.backoff_delay(1, f64::NAN), Duration::from_millis(50));
    }

    #[test]
    fn decision_table() {
        use FailureClass::*;
        use Idempotency::*;
        let policy = fast_policy();
        let plenty = Duration::from_secs(60);
        let retry = RetryDecision::RetryAfter(Duration::from_millis(100));
        let cases = [
            (Throttled, Idempotent, retry),
            (Throttled, NonIdempotent, retry),
            (NotSent, NonIdempotent, retry),
            (Transient, Idempotent, retry),
            (Transient, NonIdempotent, RetryDecision::StopOutcomeUnknown),
            (UnreadableSuccess, Idempotent, RetryDecision::Stop),
            (
                UnreadableSuccess,
                NonIdempotent,
                RetryDecision::StopOutcomeUnknown,
            ),
            (Permanent, Idempotent, RetryDecision::Stop),
            (Permanent, NonIdempotent, RetryDecision::Stop),
        ];
        for (class, idempotency, expected) in cases {
            assert_eq!(
                policy.decide(class, idempotency, 1, plenty, 1.0),
                expected,
                "{class:?} {idempotency:?}"
            );
        }
        assert_eq!(
            policy.decide(Throttled, Idempotent, 4, plenty, 1.0),
            RetryDecision::Stop
        );
        assert_eq!(
            policy.decide(Throttled, Idempotent, 1, Duration::from_millis(99), 1.0),
            RetryDecision::StopDeadlineTooClose
        );
    }
}
