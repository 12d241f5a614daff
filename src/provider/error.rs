//! The provider's error, and the one place that turns an error into a JSON-RPC error object:
//! a stable code, a sentence that says what to fix, and `data` with at least a `kind`.
//!
//! The transport's own errors (-32700 parse error, -32600 invalid request, -32601 method not
//! found, -32603 for a panic) are built by `rpc`, which knows nothing of the provider.

use jsonrpsee::types::ErrorObjectOwned;
use serde_json::{json, Map, Value};

use crate::resources::{CheckFailure, ResourceError};

/// The JSON-RPC error codes of the provider's errors (the transport's, -32700, -32600, -32601
/// and -32603, are `rpc`'s). jsonrpsee itself uses -32000..-32011, so the provider's own codes
/// start at -32050.
pub mod codes {
    // JSON-RPC's own code for bad params, as jsonrpsee declares it.
    pub const INVALID_PARAMS: i32 = jsonrpsee::types::error::INVALID_PARAMS_CODE;
    // The provider's codes, documented in docs/protocol.md.
    pub const NOT_IMPLEMENTED: i32 = -32050;
    pub const CONFIGURATION: i32 = -32051;
    pub const KMS_SERVICE: i32 = -32052;
    pub const KMS_UNREACHABLE: i32 = -32053;
    pub const KMS_INVALID_RESPONSE: i32 = -32054;
    pub const DEADLINE_EXCEEDED: i32 = -32055;
    pub const CANCELLED: i32 = -32056;
    pub const RESOURCE_INIT_FAILED: i32 = -32057;
    pub const INVALID_INPUTS: i32 = -32058;
    pub const LOCAL_IO: i32 = -32059;
    pub const AMBIGUOUS_CREATE: i32 = -32060;
    pub const ALREADY_EXISTS: i32 = -32061;
    pub const IN_USE: i32 = -32062;
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The request's params are not what the method takes: bad shape, a missing id, an unknown
    /// resource type, or a state that belongs to another resource type.
    #[error("{message}")]
    InvalidParams { message: String },

    /// `configure` got settings that fail validation.
    #[error(
        "invalid provider configuration: {}; fix the alicloud-kms:config settings",
        describe_failures(failures)
    )]
    InvalidConfiguration { failures: Vec<CheckFailure> },

    /// A resource operation failed.
    #[error(transparent)]
    Resource(#[from] ResourceError),
}

impl ProviderError {
    pub fn invalid_params(message: impl Into<String>) -> ProviderError {
        ProviderError::InvalidParams {
            message: message.into(),
        }
    }

    /// The JSON-RPC error code.
    pub fn code(&self) -> i32 {
        self.code_and_kind().0
    }

    /// The stable `data.kind` string.
    pub fn kind(&self) -> &'static str {
        self.code_and_kind().1
    }

    /// The code and the `data.kind` of each error: the one table of the wire contract's errors.
    fn code_and_kind(&self) -> (i32, &'static str) {
        match self {
            ProviderError::InvalidParams { .. } => (codes::INVALID_PARAMS, "invalid_params"),
            ProviderError::InvalidConfiguration { .. } => (codes::CONFIGURATION, "configuration"),
            ProviderError::Resource(error) => match error {
                ResourceError::NotImplemented { .. } => (codes::NOT_IMPLEMENTED, "not_implemented"),
                ResourceError::Configuration { .. } => (codes::CONFIGURATION, "configuration"),
                ResourceError::KmsService(_) => (codes::KMS_SERVICE, "kms_service"),
                ResourceError::KmsUnreachable { .. } => (codes::KMS_UNREACHABLE, "kms_unreachable"),
                ResourceError::KmsInvalidResponse { .. } => {
                    (codes::KMS_INVALID_RESPONSE, "kms_invalid_response")
                }
                ResourceError::DeadlineExceeded { .. } => {
                    (codes::DEADLINE_EXCEEDED, "deadline_exceeded")
                }
                ResourceError::Cancelled { .. } => (codes::CANCELLED, "cancelled"),
                ResourceError::ResourceInitFailed { .. } => {
                    (codes::RESOURCE_INIT_FAILED, "resource_init_failed")
                }
                ResourceError::InvalidInputs { .. } => (codes::INVALID_INPUTS, "invalid_inputs"),
                ResourceError::LocalIo { .. } => (codes::LOCAL_IO, "local_io"),
                ResourceError::AmbiguousCreate { .. } => {
                    (codes::AMBIGUOUS_CREATE, "ambiguous_create")
                }
                ResourceError::AlreadyExists { .. } => (codes::ALREADY_EXISTS, "already_exists"),
                ResourceError::InUse { .. } => (codes::IN_USE, "in_use"),
                ResourceError::InvalidId { .. } => (codes::INVALID_PARAMS, "invalid_params"),
            },
        }
    }

    /// The structured details a client can act on, besides the kind.
    fn details(&self) -> Map<String, Value> {
        let details = match self {
            ProviderError::InvalidParams { .. } => json!({}),
            ProviderError::InvalidConfiguration { failures } => {
                json!({ "failures": failures_json(failures) })
            }
            ProviderError::Resource(error) => match error {
                ResourceError::NotImplemented {
                    resource,
                    operation,
                } => {
                    json!({ "resource": resource, "operation": operation })
                }
                ResourceError::Configuration { .. } => json!({}),
                ResourceError::KmsService(failure) => json!({
                    "action": failure.action,
                    "code": failure.code,
                    "requestId": failure.request_id,
                    "httpStatus": failure.http_status,
                    "recommend": failure.recommend,
                }),
                ResourceError::KmsUnreachable { action, .. } => json!({ "action": action }),
                ResourceError::KmsInvalidResponse {
                    action, request_id, ..
                } => {
                    json!({ "action": action, "requestId": request_id })
                }
                ResourceError::DeadlineExceeded {
                    operation, timeout, ..
                } => {
                    json!({ "operation": operation, "timeoutSeconds": timeout.as_secs_f64() })
                }
                ResourceError::Cancelled { operation, .. } => json!({ "operation": operation }),
                ResourceError::ResourceInitFailed {
                    id,
                    properties,
                    reasons,
                    ..
                } => json!({
                    "id": id,
                    // The properties keep their secret markers, so the engine stores them safely.
                    "properties": serde_json::to_value(properties).unwrap_or(Value::Null),
                    "reasons": reasons,
                }),
                ResourceError::InvalidInputs { failures, .. } => {
                    json!({ "failures": failures_json(failures) })
                }
                ResourceError::LocalIo {
                    path,
                    client_key_id,
                    held_client_key_id,
                    ..
                } => {
                    let mut data = json!({ "path": path });
                    if let Some(id) = client_key_id {
                        data["clientKeyId"] = json!(id);
                    }
                    if let Some(id) = held_client_key_id {
                        data["heldClientKeyId"] = json!(id);
                    }
                    data
                }
                ResourceError::InvalidId { .. } => json!({}),
                ResourceError::AmbiguousCreate { candidate_ids, .. } => {
                    json!({ "candidateIds": candidate_ids })
                }
                ResourceError::AlreadyExists { resource, name, .. } => {
                    json!({ "resource": resource, "name": name })
                }
                ResourceError::InUse {
                    resource,
                    name,
                    used_by,
                    ..
                } => json!({ "resource": resource, "name": name, "usedBy": used_by }),
            },
        };
        match details {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    /// The JSON-RPC error object: the single mapping from provider errors to the wire.
    pub fn to_error_object(&self) -> ErrorObjectOwned {
        let mut data = Map::new();
        data.insert("kind".to_owned(), Value::String(self.kind().to_owned()));
        data.extend(self.details());
        ErrorObjectOwned::owned(self.code(), self.to_string(), Some(Value::Object(data)))
    }
}

fn failures_json(failures: &[CheckFailure]) -> Value {
    Value::Array(
        failures
            .iter()
            .map(|failure| json!({ "property": failure.property, "reason": failure.reason }))
            .collect(),
    )
}

fn describe_failures(failures: &[CheckFailure]) -> String {
    failures
        .iter()
        .map(|failure| failure.reason.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::error::KmsServiceFailure;
    use crate::resources::{Operation, PropertyMap, PropertyValue};
    use std::time::Duration;

    fn wire(error: ProviderError) -> Value {
        serde_json::to_value(error.to_error_object()).unwrap()
    }

    #[test]
    fn every_kind_maps_to_its_code_and_data() {
        let table: Vec<(ProviderError, i32, Value)> = vec![
            (
                ProviderError::invalid_params("id is required"),
                -32602,
                json!({"kind": "invalid_params"}),
            ),
            (
                ResourceError::not_implemented("ClientKey", Operation::Create).into(),
                -32050,
                json!({"kind": "not_implemented", "resource": "ClientKey", "operation": "create"}),
            ),
            (
                ResourceError::KmsService(Box::new(KmsServiceFailure {
                    action: "CreateClientKey".into(),
                    code: "InvalidParameter".into(),
                    message: "bad".into(),
                    request_id: "req-1".into(),
                    http_status: 400,
                    recommend: None,
                }))
                .into(),
                -32052,
                json!({"kind": "kms_service", "action": "CreateClientKey", "code": "InvalidParameter",
                       "requestId": "req-1", "httpStatus": 400, "recommend": null}),
            ),
            (
                ResourceError::DeadlineExceeded {
                    operation: "create",
                    timeout: Duration::from_secs(300),
                    message: "the key may exist; run a refresh".into(),
                }
                .into(),
                -32055,
                json!({"kind": "deadline_exceeded", "operation": "create", "timeoutSeconds": 300.0}),
            ),
            (
                ResourceError::ResourceInitFailed {
                    resource: "ClientKey",
                    id: "KAAP.1".into(),
                    properties: PropertyMap::from([(
                        "password".to_owned(),
                        PropertyValue::String("pw".into()).into_secret(),
                    )]),
                    reasons: vec!["the key file could not be written".into()],
                }
                .into(),
                -32057,
                json!({"kind": "resource_init_failed", "id": "KAAP.1",
                       "properties": {"password": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "pw"}},
                       "reasons": ["the key file could not be written"]}),
            ),
            (
                ResourceError::AmbiguousCreate {
                    message: "two keys appeared".into(),
                    candidate_ids: vec!["KAAP.1".into()],
                }
                .into(),
                -32060,
                json!({"kind": "ambiguous_create", "candidateIds": ["KAAP.1"]}),
            ),
            (
                ResourceError::AlreadyExists {
                    resource: "ApplicationAccessPoint",
                    name: "aap".into(),
                    message: "an access point named aap already exists".into(),
                }
                .into(),
                -32061,
                json!({"kind": "already_exists", "resource": "ApplicationAccessPoint", "name": "aap"}),
            ),
            (
                ResourceError::InUse {
                    resource: "Policy",
                    name: "p".into(),
                    used_by: vec!["aap".into()],
                    message: "the permission policy p is still in use by the application access points aap".into(),
                }
                .into(),
                -32062,
                json!({"kind": "in_use", "resource": "Policy", "name": "p", "usedBy": ["aap"]}),
            ),
        ];
        for (error, code, data) in table {
            let wire = wire(error);
            assert_eq!(wire["code"], json!(code), "{wire}");
            assert_eq!(wire["data"], data, "{wire}");
            let message = wire["message"].as_str().unwrap();
            assert!(!message.ends_with('.'), "{message}");
        }
    }
}
