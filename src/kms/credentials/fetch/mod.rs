//! How temporary credentials are obtained over the network: what every fetch shares (the HTTP
//! targets, the retry loop, the credentials document of the metadata service and credentials
//! URLs), with one module per source: `sts`, `metadata`, `uri`.
//!
//! Every fetch runs under the calling operation's deadline and cancellation, and is retried like
//! a KMS read (`retry`: throttling, 5xx, connection failures; never a refusal), with each wait
//! announced to the call's retry observer.

use std::future::Future;
use std::sync::Arc;

use serde_json::Value;
use tokio::time::Instant;

mod cli_login;
pub(crate) mod cloud_sso;
pub(crate) mod metadata;
pub(crate) mod oauth;
pub(crate) mod process;
pub(crate) mod sts;
pub(crate) mod uri;

use crate::kms::credentials::error::CredentialsError;
use crate::kms::credentials::plan::Credentials;
use crate::kms::credentials::Scheme;
use crate::kms::error::KmsError;
use crate::kms::options::{CallOptions, StampSource};
use crate::kms::retry::{classify_failure, Idempotency, RetryDecision, RetryEvent, RetryPolicy};
use crate::kms::secret::value_problem;
use crate::kms::sts::{parse_expiration, TemporaryCredentials};
use crate::kms::transport::Transport;

/// What every fetch shares: the HTTP client (one pool with KMS), the STS and metadata targets,
/// the retry policy and the clock.
pub(crate) struct FetchContext {
    /// The configured STS endpoint, through the environment's proxies.
    pub sts: Transport,
    /// The scheme of STS hosts a profile names.
    pub sts_scheme: Scheme,
    /// The instance metadata service, never through a proxy.
    pub metadata: Transport,
    /// The OAuth service instead of the profile site's (a test stand-in).
    pub oauth_endpoint: Option<String>,
    pub retry_policy: RetryPolicy,
    pub stamps: Arc<dyn StampSource>,
}

impl FetchContext {
    /// The transport to another host over the same client and proxies (a role's own STS host, a
    /// credentials URL, a login service). `base_url` ends with `/`.
    pub(crate) fn elsewhere(&self, base_url: String, host: String) -> Transport {
        self.sts.sibling(base_url, host)
    }

    /// The STS transport of a role: its own host when its profile names one.
    pub(crate) fn sts_of(&self, host: Option<&str>) -> Transport {
        match host {
            Some(host) => self.elsewhere(
                format!("{}://{host}/", self.sts_scheme.as_str()),
                host.to_owned(),
            ),
            None => self
                .sts
                .sibling(self.sts.base_url().to_owned(), self.sts.host().to_owned()),
        }
    }
}

pub(super) fn credentials_error(error: CredentialsError) -> KmsError {
    KmsError::Credentials(Box::new(error))
}

/// Runs `attempt` until it succeeds, a failure is not worth repeating, `max_attempts` (when
/// given, below the policy's) are used up, or the call's deadline or cancellation ends it.
/// `describe` words a failure for the retry observer.
pub(crate) async fn with_retries<T, F, Fut>(
    action: &'static str,
    context: &FetchContext,
    max_attempts: Option<u32>,
    options: &CallOptions,
    describe: impl Fn(&KmsError) -> String,
    mut attempt: F,
) -> Result<T, KmsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, KmsError>>,
{
    let mut attempts = 0u32;
    let mut last_failure: Option<String> = None;
    let deadline_error =
        |attempts: u32, in_flight: bool, last: Option<String>| KmsError::DeadlineExceeded {
            action,
            attempts,
            request_in_flight: in_flight,
            last_failure: last,
            last_request_id: None,
        };
    loop {
        if options.cancellation.is_cancelled() {
            return Err(KmsError::Cancelled {
                action,
                attempts,
                request_in_flight: false,
            });
        }
        if Instant::now() >= options.deadline {
            return Err(deadline_error(attempts, false, last_failure));
        }
        attempts += 1;
        let failure = tokio::select! {
            biased;
            () = options.cancellation.cancelled() => {
                return Err(KmsError::Cancelled { action, attempts, request_in_flight: true });
            }
            () = tokio::time::sleep_until(options.deadline) => {
                return Err(deadline_error(attempts, true, last_failure));
            }
            result = attempt() => match result {
                Ok(value) => return Ok(value),
                Err(failure) => failure,
            },
        };
        let time_left = options.deadline.saturating_duration_since(Instant::now());
        let capped;
        let policy = match max_attempts {
            Some(cap) if cap < context.retry_policy.max_attempts => {
                capped = RetryPolicy {
                    max_attempts: cap,
                    ..context.retry_policy.clone()
                };
                &capped
            }
            _ => &context.retry_policy,
        };
        let decision = policy.decide(
            classify_failure(&failure),
            Idempotency::Idempotent,
            attempts,
            time_left,
            context.stamps.jitter_fraction(),
        );
        match decision {
            RetryDecision::Stop | RetryDecision::StopOutcomeUnknown => return Err(failure),
            RetryDecision::StopDeadlineTooClose => {
                return Err(deadline_error(attempts, false, Some(describe(&failure))));
            }
            RetryDecision::RetryAfter(delay) => {
                let event = RetryEvent {
                    action,
                    attempt: attempts,
                    delay,
                    reason: describe(&failure),
                };
                tracing::info!(action, attempt = attempts, delay_ms = delay.as_millis() as u64, reason = %event.reason, "retrying a credentials request");
                if let Some(observer) = &options.observer {
                    observer(&event);
                }
                tokio::select! {
                    biased;
                    () = options.cancellation.cancelled() => {
                        return Err(KmsError::Cancelled { action, attempts, request_in_flight: false });
                    }
                    () = tokio::time::sleep(delay) => {}
                }
                last_failure = Some(event.reason);
            }
        }
    }
}

/// Reads `{AccessKeyId, AccessKeySecret, SecurityToken, Expiration}` (and an optional `Code`
/// that must be `Success`) from the metadata service or a credentials URL. Never quotes the body.
pub(super) fn parse_credentials_document(
    action: &'static str,
    status: u16,
    body: &[u8],
) -> Result<TemporaryCredentials, KmsError> {
    let invalid = |problem: &str| invalid_answer(action, status, problem);
    if !(200..300).contains(&status) {
        return Err(invalid("the answer is not a success"));
    }
    let document: Value =
        serde_json::from_slice(body).map_err(|_| invalid("the body is not a JSON object"))?;
    credentials_from_document(action, status, &document)
}

fn invalid_answer(action: &'static str, status: u16, problem: &str) -> KmsError {
    KmsError::InvalidResponse {
        action,
        request_id: None,
        http_status: status,
        problem: problem.to_owned(),
    }
}

/// The credentials in a JSON object with the fields above (the metadata service, a credentials
/// URL, the CloudSSO portal's `CloudCredential`, the OAuth exchange). A value with a line break
/// or another control character is refused as not a valid credential.
pub(super) fn credentials_from_document(
    action: &'static str,
    status: u16,
    document: &Value,
) -> Result<TemporaryCredentials, KmsError> {
    let invalid = |problem: &str| invalid_answer(action, status, problem);
    let field = |name: &str| {
        document
            .get(name)
            .and_then(Value::as_str)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    if let Some(code) = document.get("Code") {
        if code.as_str() != Some("Success") {
            return Err(invalid("its Code is not Success"));
        }
    }
    let (Some(access_key_id), Some(secret), Some(token), Some(expiration)) = (
        field("AccessKeyId"),
        field("AccessKeySecret"),
        field("SecurityToken"),
        field("Expiration"),
    ) else {
        return Err(invalid(
            "it lacks one of AccessKeyId, AccessKeySecret, SecurityToken, Expiration",
        ));
    };
    for (name, value) in [
        ("AccessKeyId", &access_key_id),
        ("AccessKeySecret", &secret),
        ("SecurityToken", &token),
    ] {
        if let Some(problem) = value_problem(value) {
            return Err(invalid(&format!(
                "its {name} {problem}, so it is not a valid credential"
            )));
        }
    }
    let expiration =
        parse_expiration(&expiration).ok_or_else(|| invalid("its Expiration is not a time"))?;
    Ok(TemporaryCredentials {
        credentials: Credentials {
            access_key_id,
            access_key_secret: secret.into(),
            security_token: Some(token.into()),
        },
        expiration,
    })
}

pub(super) fn describe_fetch_failure(error: &KmsError) -> String {
    match error {
        KmsError::Transport { reason, .. } => reason.clone(),
        KmsError::InvalidResponse {
            problem,
            http_status,
            request_id,
            ..
        } => format!(
            "the answer (http {http_status}, request id {}) is not usable: {problem}",
            request_id.as_deref().unwrap_or("unknown")
        ),
        other => other.to_string(),
    }
}
