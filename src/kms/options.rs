//! The knobs of the client (`ClientOptions`: backoff, timeouts, the clock and nonce source) and of
//! each call (`CallOptions`: deadline, cancellation token, retry observer).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::kms::retry::{RetryEvent, RetryPolicy};

/// The deadline of a call when the caller gives none (the engine's default operation timeout).
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The source of everything an attempt needs that is not a pure function of the request: the
/// clock, nonces and backoff jitter. Tests inject a deterministic one.
pub trait StampSource: Send + Sync {
    /// The current UTC time, for the `Timestamp` parameter.
    fn utc_now(&self) -> DateTime<Utc>;
    /// A value never returned before, for `SignatureNonce`.
    fn fresh_nonce(&self) -> String;
    /// A number in `[0, 1]` that spreads backoff waits.
    fn jitter_fraction(&self) -> f64;
}

/// The system clock and the operating system's random source.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemStampSource;

impl StampSource for SystemStampSource {
    fn utc_now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn fresh_nonce(&self) -> String {
        let mut bytes = [0u8; 16];
        random_bytes(&mut bytes);
        const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";
        let mut nonce = String::with_capacity(32);
        for byte in bytes {
            nonce.push(char::from(LOWER_HEX[usize::from(byte >> 4)]));
            nonce.push(char::from(LOWER_HEX[usize::from(byte & 0x0F)]));
        }
        nonce
    }

    fn jitter_fraction(&self) -> f64 {
        let mut bytes = [0u8; 4];
        random_bytes(&mut bytes);
        f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX)
    }
}

fn random_bytes(buffer: &mut [u8]) {
    // Without a working OS random source the process cannot make a safe nonce at all; there is no
    // sensible fallback, and the failure is limited to platforms this provider does not run on.
    getrandom::fill(buffer).expect("the operating system random source is unavailable");
}

/// How the client behaves, beyond what the configuration says.
#[derive(Clone)]
pub struct ClientOptions {
    /// The backoff schedule.
    pub retry_policy: RetryPolicy,
    /// How long to wait for a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// How long to wait for the next bytes of a reply.
    pub read_timeout: Duration,
    /// Clock, nonces and jitter.
    pub stamp_source: Arc<dyn StampSource>,
    /// The base URL of the ECS instance metadata service ([`METADATA_ENDPOINT`]; a test points
    /// it at a local stand-in).
    pub metadata_endpoint: String,
    /// The OAuth service of CLI OAuth logins instead of the profile site's (a test points it at a
    /// local stand-in).
    pub oauth_endpoint: Option<String>,
}

/// Where the ECS instance metadata service answers, on every instance.
pub const METADATA_ENDPOINT: &str = "http://100.100.100.200";

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            retry_policy: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            stamp_source: Arc::new(SystemStampSource),
            metadata_endpoint: METADATA_ENDPOINT.to_owned(),
            oauth_endpoint: None,
        }
    }
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ClientOptions")
            .field("retry_policy", &self.retry_policy)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("metadata_endpoint", &self.metadata_endpoint)
            .field("oauth_endpoint", &self.oauth_endpoint)
            .finish_non_exhaustive()
    }
}

/// A callback told about every retry before the client waits.
pub type RetryObserver = Arc<dyn Fn(&RetryEvent) + Send + Sync>;

/// Per-call options: the deadline, the cancellation token and an optional retry observer.
#[derive(Clone)]
pub struct CallOptions {
    /// The call fails with `DeadlineExceeded` once this instant passes.
    pub deadline: Instant,
    /// Cancelling it stops the call at once, even mid-request or mid-wait.
    pub cancellation: CancellationToken,
    /// Told about every retry before its wait.
    pub observer: Option<RetryObserver>,
}

impl CallOptions {
    /// A deadline [`DEFAULT_OPERATION_TIMEOUT`] from now, a token nobody cancels, no observer.
    pub fn new() -> Self {
        Self {
            deadline: Instant::now() + DEFAULT_OPERATION_TIMEOUT,
            cancellation: CancellationToken::new(),
            observer: None,
        }
    }

    /// Sets the deadline to `timeout` from now.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.deadline = Instant::now() + timeout;
        self
    }

    /// Sets the deadline.
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = deadline;
        self
    }

    /// Sets the cancellation token.
    pub fn with_cancellation(mut self, cancellation: CancellationToken) -> Self {
        self.cancellation = cancellation;
        self
    }

    /// Sets the retry observer.
    pub fn with_observer(mut self, observer: impl Fn(&RetryEvent) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }
}

impl Default for CallOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for CallOptions {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("CallOptions")
            .field("deadline", &self.deadline)
            .field("cancelled", &self.cancellation.is_cancelled())
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_nonces_are_32_lower_hex_digits_and_differ() {
        let stamps = SystemStampSource;
        let first = stamps.fresh_nonce();
        let second = stamps.fresh_nonce();
        assert_eq!(first.len(), 32);
        assert!(first
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte)));
        assert_ne!(first, second);
        let jitter = stamps.jitter_fraction();
        assert!((0.0..=1.0).contains(&jitter));
    }
}
