//! The error of a resource operation: what went wrong, in terms the engine's user can act on.
//!
//! Each variant corresponds to one provider error code of the wire contract; the mapping to the
//! JSON-RPC error (code, message, `data`) lives in one place, `provider::error`. Messages are
//! lower-case, end without a period, say what to do, name the KMS `RequestId` when there is one,
//! and never contain a secret.

use std::time::Duration;

use super::property::PropertyMap;

/// One failed input rule, as `check` reports it and as `invalid_inputs` carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckFailure {
    /// The property (or property path, such as `policies[1]`) the failure is about.
    pub property: String,
    /// What is wrong and how to fix it.
    pub reason: String,
}

impl CheckFailure {
    pub fn new(property: impl Into<String>, reason: impl Into<String>) -> CheckFailure {
        CheckFailure {
            property: property.into(),
            reason: reason.into(),
        }
    }
}

/// The operation a `not_implemented`, deadline or cancellation error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Create,
    Read,
    Update,
    Delete,
}

impl Operation {
    pub const fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Read => "read",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// The operation is not available in this provider version. Nothing was changed.
    #[error("{operation} of {resource} is not implemented in this provider version yet; nothing was changed")]
    NotImplemented {
        resource: &'static str,
        operation: &'static str,
    },

    /// The provider configuration is missing or invalid (credentials, region, endpoint).
    #[error("{message}")]
    Configuration { message: String },

    /// KMS answered with an error. Boxed: it is the largest variant, and errors travel in every
    /// `Result` of the operations.
    #[error("{0}")]
    KmsService(Box<KmsServiceFailure>),

    /// KMS could not be reached (connection refused, DNS, TLS, timeout of a single attempt).
    #[error("could not reach KMS for {action}: {message}")]
    KmsUnreachable { action: String, message: String },

    /// KMS answered, but not with what its API promises.
    #[error(
        "KMS sent an unexpected reply to {action}: {message}{}",
        request_id_suffix(request_id)
    )]
    KmsInvalidResponse {
        action: String,
        message: String,
        request_id: Option<String>,
    },

    /// The operation's deadline (the engine's `timeout`, or the default) passed.
    #[error("{operation} did not finish within its timeout of {}; {message}", describe_seconds(*timeout))]
    DeadlineExceeded {
        operation: &'static str,
        timeout: Duration,
        message: String,
    },

    /// The engine sent `cancel` while the operation was waiting.
    #[error("{operation} was cancelled by the engine; {message}")]
    Cancelled {
        operation: &'static str,
        message: String,
    },

    /// The resource was created but could not be fully initialised; the engine keeps it in state
    /// (with these properties) and the next run updates or replaces it.
    #[error("{resource} {id} was created but is not fully initialised: {}", reasons.join("; "))]
    ResourceInitFailed {
        resource: &'static str,
        id: String,
        properties: PropertyMap,
        reasons: Vec<String>,
    },

    /// Inputs that fail the resource's rules reached create or update (the engine skipped `check`).
    #[error(
        "the inputs of {resource} are invalid: {}; fix them (the same rules run in check)",
        describe_failures(failures)
    )]
    InvalidInputs {
        resource: &'static str,
        failures: Vec<CheckFailure>,
    },

    /// A local file operation failed (for example writing the private key file).
    #[error("{message}")]
    LocalIo {
        path: String,
        message: String,
        /// The client key the failure is about, when one exists in KMS that the user must know of
        /// (a key whose private key could not be kept, and which could not be deleted again).
        client_key_id: Option<String>,
        /// The client key whose private key the file holds, when the create refused to replace
        /// the file because it holds that key's private key.
        held_client_key_id: Option<String>,
    },

    /// The id of a `read`, `update` or `delete` cannot be an id of this resource type, or
    /// disagrees with the state. Nothing was sent to KMS.
    #[error("{message}")]
    InvalidId {
        resource: &'static str,
        message: String,
    },

    /// A create may have taken effect although its reply was lost, and it left resources the
    /// provider cannot prove it made (or could not delete): the candidates, named in the message.
    /// Nothing was claimed.
    #[error("{message}")]
    AmbiguousCreate {
        message: String,
        candidate_ids: Vec<String>,
    },

    /// A delete the provider refused because other resources still refer to the resource (access
    /// points that list a policy, policies that name a network rule): KMS would delete it and cut
    /// them off. Nothing was deleted.
    #[error("{message}")]
    InUse {
        resource: &'static str,
        name: String,
        used_by: Vec<String>,
        message: String,
    },

    /// The name a create was asked to use was already taken before it tried, by a resource it did
    /// not make. Nothing was created or claimed.
    #[error("{message}")]
    AlreadyExists {
        resource: &'static str,
        name: String,
        message: String,
    },
}

/// What KMS said when it refused a request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "KMS refused {action}: {code}: {message} (RequestId {request_id}){}",
    recommend_suffix(recommend)
)]
pub struct KmsServiceFailure {
    /// The API action, such as `CreateClientKey`.
    pub action: String,
    /// The service's error code, such as `Forbidden.ResourceNotFound`.
    pub code: String,
    pub message: String,
    pub request_id: String,
    pub http_status: u16,
    /// The troubleshooting link KMS sends along, if any.
    pub recommend: Option<String>,
}

impl ResourceError {
    pub fn not_implemented(resource: &'static str, operation: Operation) -> ResourceError {
        ResourceError::NotImplemented {
            resource,
            operation: operation.as_str(),
        }
    }
}

fn recommend_suffix(recommend: &Option<String>) -> String {
    match recommend {
        Some(link) if !link.is_empty() => format!("; see {link}"),
        _ => String::new(),
    }
}

fn request_id_suffix(request_id: &Option<String>) -> String {
    match request_id {
        Some(id) if !id.is_empty() => format!(" (RequestId {id})"),
        _ => String::new(),
    }
}

/// `300s`, or `1.5s` for a timeout that is not a whole number of seconds.
fn describe_seconds(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}

fn describe_failures(failures: &[CheckFailure]) -> String {
    failures
        .iter()
        .map(|failure| format!("{}: {}", failure.property, failure.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lower_case_without_a_trailing_period() {
        let errors = [
            ResourceError::not_implemented("ClientKey", Operation::Create),
            ResourceError::KmsService(Box::new(KmsServiceFailure {
                action: "CreateClientKey".into(),
                code: "Forbidden.ResourceNotFound".into(),
                message: "the resource does not exist".into(),
                request_id: "bcfefe15-46f0".into(),
                http_status: 404,
                recommend: Some("https://api.aliyun.com/troubleshoot?q=x".into()),
            })),
            ResourceError::InvalidInputs {
                resource: "ClientKey",
                failures: vec![CheckFailure::new("password", "is too short")],
            },
        ];
        for error in errors {
            let message = error.to_string();
            assert!(!message.ends_with('.'), "{message}");
            // Lower-case, unless the message opens with an acronym such as KMS.
            let first = message.chars().next().unwrap();
            assert!(
                first.is_lowercase() || message.starts_with("KMS "),
                "{message}"
            );
        }
    }

    #[test]
    fn kms_service_errors_name_the_request_id() {
        let error = ResourceError::KmsService(Box::new(KmsServiceFailure {
            action: "GetClientKey".into(),
            code: "Throttling.User".into(),
            message: "request was denied due to user flow control".into(),
            request_id: "63d849a6-045b".into(),
            http_status: 400,
            recommend: None,
        }));
        assert_eq!(
            error.to_string(),
            "KMS refused GetClientKey: Throttling.User: request was denied due to user flow control (RequestId 63d849a6-045b)"
        );
    }
}
