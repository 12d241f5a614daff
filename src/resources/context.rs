//! What a resource operation gets besides its request: the provider settings and their shared KMS
//! client, the provider-wide cancellation token, a handle to send log messages to the engine, and
//! the working directory. What one resource type must remember between operations lives in its
//! own `Resource` value instead (see `registry`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::kms::{ClientOptions, CredentialSettings};

use super::kms_access::KmsAccess;

/// The provider configuration exactly as the engine gave it (`configure`): `args` over
/// `variables`, secrets unwrapped. Nothing here is resolved against the environment or the CLI
/// profile file; the KMS client does that, so that one place owns the precedence rules.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProviderSettings {
    /// True once `configure` has run.
    pub configured: bool,
    pub region: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub security_token: Option<String>,
    /// A host or `host:port` that replaces the KMS endpoint (a local emulator, for example).
    pub endpoint: Option<String>,
    /// `HTTPS` or `HTTP`, upper-case.
    pub protocol: Option<String>,
    /// Roles, OIDC, instance metadata, credential files, the STS endpoint and the signature
    /// version (its `Debug` redacts the secret parts).
    pub credential_settings: CredentialSettings,
    /// Settings whose value was unknown (a preview with config computed from another resource).
    /// Their field above is `None`.
    pub unknown_settings: Vec<String>,
    /// Settings taken from pulumi-alicloud's `alicloud:*` config, as `name (alicloud:key)`.
    pub from_alicloud: Vec<String>,
}

/// Prints the secret key and the security token only as `<redacted>` (so whether they are set
/// still shows); every other field is printed as it is, the access key id included: it names a
/// credential but grants nothing without its secret.
impl fmt::Debug for ProviderSettings {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn redacted(value: &Option<String>) -> Option<&'static str> {
            value.as_ref().map(|_| "<redacted>")
        }
        formatter
            .debug_struct("ProviderSettings")
            .field("configured", &self.configured)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("secret_key", &redacted(&self.secret_key))
            .field("security_token", &redacted(&self.security_token))
            .field("endpoint", &self.endpoint)
            .field("protocol", &self.protocol)
            .field("credential_settings", &self.credential_settings)
            .field("unknown_settings", &self.unknown_settings)
            .field("from_alicloud", &self.from_alicloud)
            .finish()
    }
}

/// How important a log message is, as the engine's `log` notification names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogSeverity {
    Debug,
    Info,
    Warning,
    Error,
}

impl LogSeverity {
    pub const fn as_str(self) -> &'static str {
        match self {
            LogSeverity::Debug => "debug",
            LogSeverity::Info => "info",
            LogSeverity::Warning => "warning",
            LogSeverity::Error => "error",
        }
    }
}

/// One message for the engine. It must never carry a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub severity: LogSeverity,
    pub message: String,
    /// The resource the message is about, if any.
    pub urn: Option<String>,
}

/// Sends log messages to the engine (as `log` notifications on stdout, through the one writer).
/// Cheap to clone. Sending never blocks and never fails: a message that cannot be delivered
/// (the engine went away) is dropped.
#[derive(Clone)]
pub struct EngineLog {
    sink: Arc<dyn Fn(LogEntry) + Send + Sync>,
}

impl EngineLog {
    pub fn new(sink: impl Fn(LogEntry) + Send + Sync + 'static) -> EngineLog {
        EngineLog {
            sink: Arc::new(sink),
        }
    }

    /// A log that drops every message, for tests that do not look at them.
    pub fn discard() -> EngineLog {
        EngineLog::new(|_| {})
    }

    pub fn log(&self, severity: LogSeverity, message: impl Into<String>, urn: Option<&str>) {
        (self.sink)(LogEntry {
            severity,
            message: message.into(),
            urn: urn.map(str::to_owned),
        });
    }

    pub fn info(&self, message: impl Into<String>, urn: Option<&str>) {
        self.log(LogSeverity::Info, message, urn);
    }

    pub fn warning(&self, message: impl Into<String>, urn: Option<&str>) {
        self.log(LogSeverity::Warning, message, urn);
    }
}

impl fmt::Debug for EngineLog {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("EngineLog")
    }
}

/// Everything a resource operation needs from the provider, besides its request.
#[derive(Clone, Debug)]
pub struct OperationContext {
    /// The settings `configure` stored (all `None` and `configured: false` before it runs).
    pub settings: Arc<ProviderSettings>,
    /// The KMS client of those settings, built on first use and shared until the next `configure`.
    pub kms: Arc<KmsAccess>,
    /// Tripped by the engine's `cancel` notification; long waits select on it and end with
    /// `ResourceError::Cancelled`.
    pub cancellation: CancellationToken,
    /// Progress and warnings for the engine.
    pub engine_log: EngineLog,
    /// The directory the provider was started in; relative paths (the private key file) are
    /// resolved against it.
    pub working_directory: Arc<Path>,
    /// How long a create whose reply was lost waits, when it finds nothing it made, before it
    /// looks again ([`LOST_CREATE_SETTLE_DELAY`]; a test hook shortens it).
    pub lost_create_settle: Duration,
}

/// How long a create whose reply was lost waits before it looks a second time for what it may
/// have made, when the first look found nothing: a request that reaches KMS late (a middlebox
/// that delivers it after the connection dropped, a service still working on it after the
/// client's read timed out) or a list that lags behind the service's writes shows up then. The
/// window it leaves is written down in docs/protocol.md ("Ownership").
pub const LOST_CREATE_SETTLE_DELAY: Duration = Duration::from_secs(5);

impl OperationContext {
    /// A context for tests: default settings, a fresh token, a discarding log, no settle delay.
    pub fn for_tests(working_directory: PathBuf) -> OperationContext {
        let settings = Arc::new(ProviderSettings::default());
        OperationContext {
            kms: Arc::new(KmsAccess::new(
                settings.clone(),
                ClientOptions::default(),
                EngineLog::discard(),
            )),
            settings,
            cancellation: CancellationToken::new(),
            engine_log: EngineLog::discard(),
            working_directory: working_directory.into(),
            // Tests do not wait for a late delivery.
            lost_create_settle: Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn settings_debug_redacts_secret_key_and_security_token() {
        let settings = ProviderSettings {
            secret_key: Some("very-secret-key".into()),
            security_token: Some("very-secret-token".into()),
            access_key: Some("LTAI-access".into()),
            ..ProviderSettings::default()
        };
        let printed = format!("{settings:?}");
        assert!(!printed.contains("very-secret"), "{printed}");
        assert!(
            printed.contains("secret_key: Some(\"<redacted>\")"),
            "{printed}"
        );
        assert!(printed.contains("LTAI-access"), "{printed}");
    }

    #[test]
    fn engine_log_hands_entries_to_its_sink() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let log = EngineLog::new(move |entry| sink.lock().unwrap().push(entry));
        log.info("waiting for KMS", Some("urn:pulumi:s::p::t::n"));
        log.warning("slow", None);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].severity, LogSeverity::Info);
        assert_eq!(seen[0].urn.as_deref(), Some("urn:pulumi:s::p::t::n"));
        assert_eq!(seen[1].message, "slow");
    }
}
