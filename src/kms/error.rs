//! The one error type of the KMS client, [`KmsError`], and its pure predicates.
//!
//! The variants keep apart what the caller must handle differently:
//!
//! | variant | meaning |
//! |---|---|
//! | `Service` | the service answered and said no (a non-empty `Code`) |
//! | `Transport` | we could not reach it, or lost the connection; says whether the request may have been sent |
//! | `InvalidResponse` | the reply was not what the API promises (not JSON, truncated, a required field missing, an empty `Code`) |
//! | `DeadlineExceeded` | the operation's deadline passed (while waiting for a reply or before the next retry) |
//! | `Cancelled` | the caller's cancellation token fired |
//! | `OutcomeUnknown` | a non-idempotent action (a create) failed in a way after which it may have taken effect; it was deliberately not retried |
//! | `ClientSetup` | the HTTP client could not be built |
//!
//! `Display` says what went wrong, what to do, and names the `RequestId` when there is one. It
//! never contains a secret or the signed URL: service texts are scrubbed of the request's secrets
//! before they are stored (`client`), `reqwest` errors are stripped of their URL (`transport`), and
//! a reply body is never quoted.

use crate::kms::retry::{classify_failure, FailureClass};

/// A boxed source error, reachable only through `std::error::Error::source`.
pub type BoxedSource = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The code KMS uses for a missing application access point, policy or client key.
pub const RESOURCE_NOT_FOUND_CODE: &str = "Forbidden.ResourceNotFound";

/// The service codes that mean "the resource is gone", and nothing else does: not the HTTP status
/// (a gateway answers 404 for a wrong route or product too, e.g. `EntityNotExist.Route` or
/// `InvalidApi.NotFound`, and a read that took those for "gone" would drop a live resource from
/// the state). The Terraform provider reads these resources with the same single code. One list,
/// so that adding a code (should KMS document another) is one line.
pub const GONE_CODES: &[&str] = &[RESOURCE_NOT_FOUND_CODE];

/// Everything that can go wrong calling KMS.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KmsError {
    /// The service answered with an error body carrying a non-empty `Code`.
    #[error("{}", describe_service_error(action, code, message, request_id.as_deref(), recommend.as_deref(), *http_status))]
    Service {
        /// The action called, e.g. `GetClientKey`.
        action: &'static str,
        /// The service's error code, e.g. `Forbidden.ResourceNotFound`; never empty.
        code: String,
        /// The service's message, with the request's secrets replaced by `***`.
        message: String,
        /// The request id the service gave, if any.
        request_id: Option<String>,
        /// The host that answered, if the service named it.
        host_id: Option<Box<str>>,
        /// The service's troubleshooting link, if any.
        recommend: Option<Box<str>>,
        /// The HTTP status of the reply.
        http_status: u16,
    },

    /// The service could not be reached, or the connection failed before a full reply arrived.
    #[error("could not reach kms at {host} for {action}: {reason}; {}; {}", sent_phrase(*request_may_have_been_sent), problem.advice())]
    Transport {
        /// The action called.
        action: &'static str,
        /// The host (and port) the client tried to reach.
        host: String,
        /// `false` only when the failure proves the request never left this process (for example
        /// the connection was refused); `true` when it may have reached the service.
        request_may_have_been_sent: bool,
        /// Whether trying again can help, and what to do.
        problem: TransportProblem,
        /// A short, secret-free description of the failure.
        reason: String,
        /// The underlying error, without its URL.
        #[source]
        source: Option<BoxedSource>,
    },

    /// The reply was not what the API promises.
    #[error("kms replied to {action} with a reply the api does not promise (http {http_status}, request id {}): {problem}; this is a fault of the service or emulator, report it with the request id", request_id.as_deref().unwrap_or("unknown"))]
    InvalidResponse {
        /// The action called.
        action: &'static str,
        /// The request id, when it could be read from the reply.
        request_id: Option<String>,
        /// The HTTP status of the reply.
        http_status: u16,
        /// What was wrong, e.g. "the body is not JSON" or "missing field `ClientKeyId`".
        problem: String,
    },

    /// The deadline passed before the action completed.
    #[error("kms {action} did not complete before its deadline after {attempts} attempt(s){}{}; increase the operation timeout or try again later", in_flight_phrase(*request_in_flight), last_failure_phrase(last_failure.as_deref()))]
    DeadlineExceeded {
        /// The action called.
        action: &'static str,
        /// How many attempts were started.
        attempts: u32,
        /// Whether an attempt was still waiting for its reply when the deadline passed.
        request_in_flight: bool,
        /// The failure that caused the last retry, if any.
        last_failure: Option<String>,
        /// The request id of the last failed attempt, if the service gave one.
        last_request_id: Option<String>,
    },

    /// The caller cancelled the operation.
    #[error("kms {action} was cancelled after {attempts} attempt(s){}; run the operation again if it is still needed", in_flight_phrase(*request_in_flight))]
    Cancelled {
        /// The action called.
        action: &'static str,
        /// How many attempts were started.
        attempts: u32,
        /// Whether an attempt was still waiting for its reply when the cancellation came.
        request_in_flight: bool,
    },

    /// A non-idempotent action (a create) failed in a way after which it may have taken effect.
    /// The client did not retry it, because a retry could create a duplicate; the caller should
    /// look for what the action may have created (for a client key: list the keys of its AAP).
    #[error("kms {action} may or may not have taken effect: {cause}; it was not retried because a retry could create a duplicate, so check for what it may have created before trying again")]
    OutcomeUnknown {
        /// The action called.
        action: &'static str,
        /// The failure that left the outcome unknown.
        #[source]
        cause: Box<KmsError>,
    },

    /// The HTTP client could not be built (for example the TLS roots failed to load).
    #[error("could not set up the https client for kms: {reason}")]
    ClientSetup {
        /// A short description of the failure.
        reason: String,
    },

    /// The credentials to sign with could not be obtained (STS refused or could not be reached,
    /// the instance metadata service or the credentials URL failed, the OIDC token file is
    /// unreadable). Nothing was sent to KMS.
    #[error("{0}")]
    Credentials(Box<crate::kms::credentials::CredentialsError>),
}

/// What kind of transport failure it was: one that may go away (retried), or one that trying
/// again cannot fix (returned at once, with what to change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportProblem {
    /// Refused, reset or timed-out connections, a DNS server that did not answer: may be gone on
    /// the next attempt.
    Transient,
    /// The endpoint cannot be a URL (a port that is not a number from 1 to 65535, say).
    InvalidEndpoint,
    /// The host name does not exist in DNS.
    UnknownHost,
    /// The server's TLS certificate is not trusted, or not valid for the host.
    UntrustedCertificate,
    /// The TLS handshake failed otherwise: typically the server does not speak TLS on that port.
    TlsHandshake,
}

impl TransportProblem {
    /// Whether repeating the request cannot succeed.
    pub fn is_permanent(self) -> bool {
        self != TransportProblem::Transient
    }

    /// What the user should do about it.
    pub fn advice(self) -> &'static str {
        match self {
            TransportProblem::Transient => {
                "check the endpoint, the network and any proxy, then try again"
            }
            TransportProblem::InvalidEndpoint => {
                "not retried: set endpoint to host[:port] or http(s)://host[:port], with a port from 1 to 65535"
            }
            TransportProblem::UnknownHost => {
                "not retried: check the endpoint, or the region that makes the default endpoint kms.<region>.aliyuncs.com, and this machine's DNS settings"
            }
            TransportProblem::UntrustedCertificate => {
                "not retried: check that the endpoint is the KMS service of your region (kms.<region>.aliyuncs.com) and that no proxy intercepts TLS; a local emulator without TLS needs protocol HTTP"
            }
            TransportProblem::TlsHandshake => {
                "not retried: check that the endpoint speaks HTTPS on that port; for a plain-HTTP endpoint such as a local emulator, set protocol HTTP"
            }
        }
    }
}

impl KmsError {
    /// Whether the error means "the resource does not exist": the service answered with one of
    /// [`GONE_CODES`], whatever the HTTP status. Any other code, a 404 included, is an error;
    /// never true for an invalid reply, a transport failure or an unknown outcome, so a broken
    /// reply or a wrong endpoint can never make a read drop a live resource.
    pub fn is_not_found(&self) -> bool {
        match self {
            KmsError::Service { code, .. } => GONE_CODES.contains(&code.as_str()),
            _ => false,
        }
    }

    /// Whether repeating the same request could succeed: throttling, a temporary service fault
    /// (5xx, `ServiceUnavailable*`), or a connection failure. Whether the client actually repeats
    /// a request also depends on the action's idempotency; see `retry`.
    pub fn is_retryable(&self) -> bool {
        matches!(
            classify_failure(self),
            FailureClass::Throttled | FailureClass::NotSent | FailureClass::Transient
        )
    }

    /// Whether the error says a non-idempotent action may have taken effect despite failing.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, KmsError::OutcomeUnknown { .. })
    }

    /// Whether the operation ran out of time (directly, or as the cause of an unknown outcome).
    pub fn is_deadline_exceeded(&self) -> bool {
        match self {
            KmsError::DeadlineExceeded { .. } => true,
            KmsError::OutcomeUnknown { cause, .. } => cause.is_deadline_exceeded(),
            _ => false,
        }
    }

    /// Whether the operation was cancelled (directly, or as the cause of an unknown outcome).
    pub fn is_cancelled(&self) -> bool {
        match self {
            KmsError::Cancelled { .. } => true,
            KmsError::OutcomeUnknown { cause, .. } => cause.is_cancelled(),
            _ => false,
        }
    }

    /// The KMS request id the error is about, when there is one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            KmsError::Service { request_id, .. } | KmsError::InvalidResponse { request_id, .. } => {
                request_id.as_deref()
            }
            KmsError::DeadlineExceeded {
                last_request_id, ..
            } => last_request_id.as_deref(),
            KmsError::OutcomeUnknown { cause, .. } => cause.request_id(),
            KmsError::Credentials(error) => error.request_id(),
            KmsError::Transport { .. }
            | KmsError::Cancelled { .. }
            | KmsError::ClientSetup { .. } => None,
        }
    }

    /// The service's error code, for a `Service` error (or one that caused an unknown outcome).
    pub fn service_code(&self) -> Option<&str> {
        match self {
            KmsError::Service { code, .. } => Some(code),
            KmsError::OutcomeUnknown { cause, .. } => cause.service_code(),
            _ => None,
        }
    }

    /// The HTTP status of the reply the error is about, when a reply arrived.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            KmsError::Service { http_status, .. }
            | KmsError::InvalidResponse { http_status, .. } => Some(*http_status),
            KmsError::OutcomeUnknown { cause, .. } => cause.http_status(),
            _ => None,
        }
    }

    /// What the user should do about a `Service` error (or one that caused an unknown outcome),
    /// the same advice its `Display` ends with; `None` for other errors.
    pub fn service_hint(&self) -> Option<String> {
        match self {
            KmsError::Service {
                action,
                code,
                http_status,
                ..
            } => Some(hint_for_code(action, code, *http_status)),
            KmsError::OutcomeUnknown { cause, .. } => cause.service_hint(),
            _ => None,
        }
    }

    /// The action the error is about (`None` for `ClientSetup` and `Credentials`).
    pub fn action(&self) -> Option<&'static str> {
        match self {
            KmsError::Service { action, .. }
            | KmsError::Transport { action, .. }
            | KmsError::InvalidResponse { action, .. }
            | KmsError::DeadlineExceeded { action, .. }
            | KmsError::Cancelled { action, .. }
            | KmsError::OutcomeUnknown { action, .. } => Some(action),
            KmsError::ClientSetup { .. } | KmsError::Credentials(_) => None,
        }
    }
}

fn sent_phrase(request_may_have_been_sent: bool) -> &'static str {
    if request_may_have_been_sent {
        "the request may have reached the service"
    } else {
        "the request was not sent"
    }
}

fn in_flight_phrase(request_in_flight: bool) -> &'static str {
    if request_in_flight {
        " while waiting for a reply"
    } else {
        ""
    }
}

fn last_failure_phrase(last_failure: Option<&str>) -> String {
    match last_failure {
        Some(failure) => format!(" (last failure: {failure})"),
        None => String::new(),
    }
}

/// Builds the `Display` text of a service error, with a hint that says what to do.
fn describe_service_error(
    action: &str,
    code: &str,
    message: &str,
    request_id: Option<&str>,
    recommend: Option<&str>,
    http_status: u16,
) -> String {
    let mut text = format!(
        "kms refused {action}: {code} (http {http_status}, request id {})",
        request_id.unwrap_or("unknown")
    );
    let message = message.trim().trim_end_matches('.');
    if !message.is_empty() {
        text.push_str(": ");
        text.push_str(message);
    }
    text.push_str("; ");
    text.push_str(&hint_for_code(action, code, http_status));
    if let Some(link) = recommend.filter(|link| !link.is_empty()) {
        text.push_str(" (see ");
        text.push_str(link);
        text.push(')');
    }
    text
}

/// What the user should do about a given service error code.
fn hint_for_code(action: &str, code: &str, http_status: u16) -> String {
    let hint = if code.contains("Throttling") {
        "the request rate limit was hit; try again later or run fewer operations in parallel"
    } else if code.starts_with("InvalidAccessKeyId")
        || code == "SignatureDoesNotMatch"
        || code == "IncompleteSignature"
        || code == "Forbidden.AccessKey"
    {
        "check the access key id and secret (provider config, environment or ~/.aliyun/config.json)"
    } else if code.starts_with("InvalidTimeStamp") || code == "IllegalTimestamp" {
        "check that this machine's clock is correct"
    } else if code == "SignatureNonceUsed" {
        "a request was replayed; try again"
    } else if code == "InvalidSecurityToken.Expired" || code.starts_with("InvalidSecurityToken") {
        "the security token is invalid or expired; obtain fresh temporary credentials"
    } else if code == RESOURCE_NOT_FOUND_CODE {
        "the resource does not exist (it may have been deleted outside this program)"
    } else if code == "Forbidden.NoPermission" || code == "Forbidden.RAM" {
        return format!("grant the caller the RAM permission kms:{action}");
    } else if code == "Forbidden.KmsServiceNotEnabled" {
        "enable the KMS service for this account first"
    } else if code == "Rejected.ResourceExist" {
        "a resource with this name already exists; choose another name or import it"
    } else if code == "Rejected.LimitExceeded" {
        "the account's resource quota is used up; delete unused resources or raise the quota"
    } else if code.starts_with("ServiceUnavailable") || http_status >= 500 {
        "the service had a temporary problem; try again later"
    } else if code.starts_with("InvalidParameter") || code.starts_with("Missing") {
        "check the values passed to this action"
    } else {
        "check the inputs and the KMS documentation for this code"
    };
    hint.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(code: &str, http_status: u16) -> KmsError {
        KmsError::Service {
            action: "GetClientKey",
            code: code.to_owned(),
            message: "The resource is not found.".to_owned(),
            request_id: Some("req-1".to_owned()),
            host_id: None,
            recommend: None,
            http_status,
        }
    }

    #[test]
    fn not_found_table() {
        let cases = [
            ("Forbidden.ResourceNotFound", 404, true),
            ("Forbidden.ResourceNotFound", 400, true),
            // Codes of other KMS objects, or of the gateway, are not "this resource is gone".
            ("Forbidden.KeyNotFound", 404, false),
            ("EntityNotExist.Route", 404, false),
            ("InvalidProduct.NotFound", 404, false),
            ("InvalidAccessKeyId.NotFound", 404, false),
            ("InvalidApi.NotFound", 404, false),
            ("", 404, false),
            ("InvalidParameter", 400, false),
        ];
        for (code, status, expected) in cases {
            assert_eq!(
                service(code, status).is_not_found(),
                expected,
                "{code} {status}"
            );
        }
        let invalid = KmsError::InvalidResponse {
            action: "GetClientKey",
            request_id: None,
            http_status: 404,
            problem: "the body is not JSON".to_owned(),
        };
        assert!(!invalid.is_not_found());
    }

    /// Every `Result<_, KmsError>` carries the error inline; keeping it small keeps the happy path
    /// cheap (and clippy's `result_large_err` quiet for every caller).
    #[test]
    fn the_error_stays_small() {
        assert!(
            std::mem::size_of::<KmsError>() <= 128,
            "{}",
            std::mem::size_of::<KmsError>()
        );
    }

    #[test]
    fn display_is_lower_case_names_the_request_id_and_has_no_trailing_period() {
        let text = service("Forbidden.ResourceNotFound", 404).to_string();
        assert!(text.starts_with("kms refused GetClientKey"), "{text}");
        assert!(text.contains("request id req-1"), "{text}");
        assert!(!text.ends_with('.'), "{text}");
    }
}
