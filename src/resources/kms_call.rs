//! One resource operation's dealings with KMS: its deadline (the engine's `timeout`, or the
//! five-minute default of the seed), the provider-wide cancellation token, the retry observer
//! that tells the engine about waits, and the translation of a KMS error into the resource error
//! the engine sees.

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::kms::{CallOptions, KmsError, RetryEvent};

use super::context::{EngineLog, OperationContext};
use super::error::{KmsServiceFailure, Operation, ResourceError};

/// The deadline of an operation whose `timeout` the engine left out (or sent as 0): five minutes,
/// the create and delete timeouts of the Terraform resource the seed describes.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// How long clean-up work (deleting a key whose private key could not be kept, looking for what
/// a create whose reply was lost made) may run past the operation's deadline. A create that timed
/// out while its request was in flight may have made a key; finding and deleting it is worth a
/// little more time than leaving an orphan.
pub const CLEANUP_GRACE: Duration = Duration::from_secs(30);

/// How long clean-up work may go on once the operation is cancelled (the engine's `cancel`, or a
/// shutdown). Clean-up does not stop at the cancellation itself: stopping there is what would
/// leave an orphan key. It fits well inside the shutdown's default grace period of 20 s, so that
/// the reply (which names what was left) is still written.
pub const CANCELLED_CLEANUP_GRACE: Duration = Duration::from_secs(10);

/// The KMS side of one operation.
#[derive(Clone, Debug)]
pub struct KmsCall {
    operation: Operation,
    urn: Option<String>,
    timeout: Duration,
    deadline: Instant,
    context: OperationContext,
}

impl KmsCall {
    /// Starts the clock of an operation.
    pub fn start(
        context: &OperationContext,
        operation: Operation,
        urn: Option<&str>,
        timeout: Option<Duration>,
    ) -> KmsCall {
        let timeout = timeout.unwrap_or(DEFAULT_TIMEOUT);
        KmsCall {
            operation,
            urn: urn.map(str::to_owned),
            timeout,
            deadline: Instant::now() + timeout,
            context: context.clone(),
        }
    }

    pub fn operation(&self) -> Operation {
        self.operation
    }

    pub fn urn(&self) -> Option<&str> {
        self.urn.as_deref()
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn engine_log(&self) -> &EngineLog {
        &self.context.engine_log
    }

    /// How long a create whose reply was lost waits before it looks a second time for what it
    /// made (see `OperationContext::lost_create_settle`).
    pub fn lost_create_settle(&self) -> Duration {
        self.context.lost_create_settle
    }

    /// Waits the settle delay under a clean-up budget's options: it ends early only when the
    /// budget does (a cancellation's grace), and the look after it then fails and says so.
    pub async fn settle(&self, budget: &CallOptions) {
        tokio::select! {
            () = tokio::time::sleep(self.lost_create_settle()) => {}
            () = budget.cancellation.cancelled() => {}
            () = tokio::time::sleep_until(budget.deadline) => {}
        }
    }

    /// Whether the engine sent `cancel`.
    pub fn is_cancelled(&self) -> bool {
        self.context.cancellation.is_cancelled()
    }

    /// Whether the operation's deadline has passed.
    pub fn deadline_passed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Options for a call that counts against the operation's deadline.
    pub fn options(&self) -> CallOptions {
        self.options_until(self.deadline)
    }

    /// The operation's deadline.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// A budget for clean-up work, which must not stop where the operation stops: until the
    /// operation's deadline or [`CLEANUP_GRACE`] from now, whichever is later, and never more than
    /// [`CANCELLED_CLEANUP_GRACE`] past a cancellation (one that came before counts from now).
    /// Create it once for the whole clean-up; it ends when dropped.
    pub fn cleanup(&self) -> CleanupBudget {
        let now = Instant::now();
        let operation = self.context.cancellation.clone();
        let token = CancellationToken::new();
        let deadline = if operation.is_cancelled() {
            now + CANCELLED_CLEANUP_GRACE
        } else {
            let watched = token.clone();
            tokio::spawn(async move {
                tokio::select! {
                    () = operation.cancelled() => {
                        tokio::select! {
                            () = tokio::time::sleep(CANCELLED_CLEANUP_GRACE) => watched.cancel(),
                            () = watched.cancelled() => {}
                        }
                    }
                    () = watched.cancelled() => {}
                }
            });
            self.deadline.max(now + CLEANUP_GRACE)
        };
        CleanupBudget {
            options: self.options_with(deadline, token.clone()),
            _ends_with_it: token.drop_guard(),
        }
    }

    fn options_until(&self, deadline: Instant) -> CallOptions {
        self.options_with(deadline, self.context.cancellation.clone())
    }

    fn options_with(&self, deadline: Instant, cancellation: CancellationToken) -> CallOptions {
        let log = self.context.engine_log.clone();
        let urn = self.urn.clone();
        CallOptions::new()
            .with_deadline(deadline)
            .with_cancellation(cancellation)
            .with_observer(move |event: &RetryEvent| {
                log.warning(describe_retry(event), urn.as_deref());
            })
    }

    /// The resource error for a KMS error, with the service's advice. An unknown outcome becomes
    /// the error of its cause here; creates handle it before it gets this far.
    pub fn error(&self, error: KmsError) -> ResourceError {
        let hint = error.service_hint();
        self.error_with_hint(error, hint)
    }

    /// Like [`KmsCall::error`], with advice that knows the resource (for a service error).
    pub fn error_with_hint(&self, error: KmsError, hint: Option<String>) -> ResourceError {
        match error {
            KmsError::Service {
                action,
                code,
                message,
                request_id,
                recommend,
                http_status,
                ..
            } => {
                let mut text = message.trim().trim_end_matches('.').to_owned();
                if let Some(hint) = hint.filter(|hint| !hint.is_empty()) {
                    if !text.is_empty() {
                        text.push_str("; ");
                    }
                    text.push_str(&hint);
                }
                ResourceError::KmsService(Box::new(KmsServiceFailure {
                    action: action.to_owned(),
                    code,
                    message: text,
                    request_id: request_id.unwrap_or_else(|| "unknown".to_owned()),
                    http_status,
                    recommend: recommend.map(String::from),
                }))
            }
            KmsError::Transport {
                action,
                host,
                request_may_have_been_sent,
                problem,
                reason,
                ..
            } => ResourceError::KmsUnreachable {
                action: action.to_owned(),
                message: format!(
                    "{host}: {reason}; {}; {}",
                    if request_may_have_been_sent {
                        "the request may have reached the service"
                    } else {
                        "the request was not sent"
                    },
                    problem.advice()
                ),
            },
            KmsError::InvalidResponse {
                action,
                request_id,
                http_status,
                problem,
            } => ResourceError::KmsInvalidResponse {
                action: action.to_owned(),
                message: format!(
                    "{problem} (http {http_status}); this is a fault of the service (or emulator): report it with the RequestId"
                ),
                request_id,
            },
            error @ KmsError::DeadlineExceeded { .. } => ResourceError::DeadlineExceeded {
                operation: self.operation.as_str(),
                timeout: self.timeout,
                message: error.to_string(),
            },
            error @ KmsError::Cancelled { .. } => ResourceError::Cancelled {
                operation: self.operation.as_str(),
                message: error.to_string(),
            },
            KmsError::OutcomeUnknown { cause, .. } => self.error_with_hint(*cause, hint),
            error => ResourceError::Configuration {
                message: error.to_string(),
            },
        }
    }
}

/// The call options of one clean-up (see [`KmsCall::cleanup`]). Dropping it ends the watch on the
/// operation's cancellation.
#[derive(Debug)]
pub struct CleanupBudget {
    options: CallOptions,
    _ends_with_it: DropGuard,
}

impl CleanupBudget {
    pub fn options(&self) -> &CallOptions {
        &self.options
    }
}

impl KmsCall {
    /// The error that ends a create after a lost reply was looked into: a cancellation that came
    /// meanwhile is what stopped it from trying again, so that is what it reports.
    pub fn lost_create_error(&self, error: KmsError) -> ResourceError {
        if self.is_cancelled() && !error.is_cancelled() {
            return ResourceError::Cancelled {
                operation: self.operation.as_str(),
                message: describe_lost(&error),
            };
        }
        self.error(error)
    }
}

/// Appends a sentence to the message of an error (for the errors a lost create can end in).
pub fn with_note(error: ResourceError, note: &str) -> ResourceError {
    let append = |message: String| format!("{message}; {note}");
    match error {
        ResourceError::KmsService(mut failure) => {
            failure.message = append(std::mem::take(&mut failure.message));
            ResourceError::KmsService(failure)
        }
        ResourceError::KmsUnreachable { action, message } => ResourceError::KmsUnreachable {
            action,
            message: append(message),
        },
        ResourceError::KmsInvalidResponse {
            action,
            message,
            request_id,
        } => ResourceError::KmsInvalidResponse {
            action,
            message: append(message),
            request_id,
        },
        ResourceError::DeadlineExceeded {
            operation,
            timeout,
            message,
        } => ResourceError::DeadlineExceeded {
            operation,
            timeout,
            message: append(message),
        },
        ResourceError::Cancelled { operation, message } => ResourceError::Cancelled {
            operation,
            message: append(message),
        },
        other => other,
    }
}

/// What a create whose reply was lost is, in a sentence: the action, and the failure that lost
/// its reply.
pub fn describe_lost(error: &KmsError) -> String {
    match error {
        KmsError::OutcomeUnknown { action, cause } => {
            format!("{action} failed in a way that leaves open whether it took effect ({cause})")
        }
        other => other.to_string(),
    }
}

/// The `log` message before a retry wait. The reason is the error's `Display`, which never holds a
/// secret and names the RequestId when there is one.
fn describe_retry(event: &RetryEvent) -> String {
    format!(
        "{} attempt {} failed, retrying in {:.1}s: {}",
        event.action,
        event.attempt,
        event.delay.as_secs_f64(),
        event.reason
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    use crate::resources::context::LogEntry;

    fn context_with_log() -> (OperationContext, Arc<Mutex<Vec<LogEntry>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let mut context = OperationContext::for_tests(std::env::temp_dir());
        context.engine_log = EngineLog::new(move |entry| sink.lock().unwrap().push(entry));
        (context, seen)
    }

    #[test]
    fn retries_are_logged_as_warnings_with_the_urn() {
        let (context, seen) = context_with_log();
        let call = KmsCall::start(&context, Operation::Create, Some("urn:x"), None);
        let options = call.options();
        let observer = options.observer.expect("an observer is set");
        observer(&RetryEvent {
            action: "CreateClientKey",
            attempt: 1,
            delay: Duration::from_millis(750),
            reason: "kms refused CreateClientKey: Throttling.User (request id r-1)".into(),
        });
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].urn.as_deref(), Some("urn:x"));
        assert_eq!(
            seen[0].message,
            "CreateClientKey attempt 1 failed, retrying in 0.8s: kms refused CreateClientKey: Throttling.User (request id r-1)"
        );
    }

    #[test]
    fn service_errors_keep_the_request_id_and_get_the_hint() {
        let (context, _) = context_with_log();
        let call = KmsCall::start(&context, Operation::Read, None, None);
        let error = call.error(KmsError::Service {
            action: "GetClientKey",
            code: "Forbidden.NoPermission".into(),
            message: "This operation is forbidden by permission system.".into(),
            request_id: Some("req-9".into()),
            host_id: None,
            recommend: None,
            http_status: 403,
        });
        assert_eq!(
            error.to_string(),
            "KMS refused GetClientKey: Forbidden.NoPermission: This operation is forbidden by permission system; \
             grant the caller the RAM permission kms:GetClientKey (RequestId req-9)"
        );
    }

    #[tokio::test]
    async fn the_cleanup_deadline_is_never_earlier_than_the_operation_deadline() {
        let (context, _) = context_with_log();
        let call = KmsCall::start(
            &context,
            Operation::Create,
            None,
            Some(Duration::from_secs(3600)),
        );
        assert!(call.cleanup().options().deadline >= call.options().deadline);
        let short = KmsCall::start(
            &context,
            Operation::Create,
            None,
            Some(Duration::from_millis(1)),
        );
        assert!(short.cleanup().options().deadline >= Instant::now() + CLEANUP_GRACE / 2);
    }

    #[tokio::test(start_paused = true)]
    async fn cleanup_outlives_a_cancellation_by_its_own_short_grace() {
        let (context, _) = context_with_log();
        let call = KmsCall::start(&context, Operation::Create, None, None);
        let cleanup = call.cleanup();
        context.cancellation.cancel();
        // The operation is cancelled, the clean-up is not (yet) ...
        tokio::task::yield_now().await;
        assert!(call.options().cancellation.is_cancelled());
        assert!(!cleanup.options().cancellation.is_cancelled());
        // ... until its grace has passed.
        tokio::time::sleep(CANCELLED_CLEANUP_GRACE + Duration::from_millis(1)).await;
        assert!(cleanup.options().cancellation.is_cancelled());

        // One that starts after the cancellation gets the same grace, from its start.
        let late = call.cleanup();
        assert!(!late.options().cancellation.is_cancelled());
        assert!(late.options().deadline <= Instant::now() + CANCELLED_CLEANUP_GRACE);
    }

    #[test]
    fn notes_are_appended_to_the_message() {
        let error = with_note(
            ResourceError::KmsUnreachable {
                action: "CreateClientKey".into(),
                message: "connection reset".into(),
            },
            "no client key was left behind",
        );
        assert_eq!(
            error.to_string(),
            "could not reach KMS for CreateClientKey: connection reset; no client key was left behind"
        );
    }
}
