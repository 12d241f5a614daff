//! A provider error as the gRPC status the engine reads: the message is the error's own (the
//! same sentence the JSON-RPC protocol sends), the code says what the engine may assume, and a
//! partial failure carries Pulumi's `ErrorResourceInitFailed` detail.
//!
//! What the engine does with a code (Pulumi's `sdk/go/common/resource/plugin/provider_plugin.go`,
//! `resourceStateAndError` and `parseError`): `INTERNAL`, `DATA_LOSS` and `UNKNOWN` mean the
//! outcome is unknown, and the engine keeps the operation as pending so that the user refreshes;
//! every other code means the operation did nothing. An `ErrorResourceInitFailed` detail (packed
//! in a `google.rpc.Status` in the `grpc-status-details-bin` trailer) overrides the code: the
//! resource was created, the engine keeps its id and properties, and the reasons are the error.

use prost::Message;
use tonic::codegen::Bytes;
use tonic::{Code, Status};

use super::generated::google_rpc;
use super::generated::pulumirpc::ErrorResourceInitFailed;
use super::values::properties_to_struct;
use crate::provider::ProviderError;
use crate::resources::ResourceError;

/// The type URL of the partial-failure detail in a `google.protobuf.Any`.
const INIT_FAILED_TYPE_URL: &str = "type.googleapis.com/pulumirpc.ErrorResourceInitFailed";

/// The status of a failed request.
pub fn status_of(error: &ProviderError) -> Status {
    // The message is safe to log: provider error messages never contain secrets.
    tracing::debug!(kind = error.kind(), "request failed: {error}");
    let code = code_of(error);
    let message = error.to_string();
    match error {
        ProviderError::Resource(ResourceError::ResourceInitFailed {
            id,
            properties,
            reasons,
            ..
        }) => {
            let detail = ErrorResourceInitFailed {
                id: id.clone(),
                // The properties keep their secret markers, so the engine stores them safely.
                properties: Some(properties_to_struct(properties)),
                reasons: reasons.clone(),
                inputs: None,
                refresh_before_update: false,
            };
            let status = google_rpc::Status {
                code: code as i32,
                message: message.clone(),
                details: vec![prost_types::Any {
                    type_url: INIT_FAILED_TYPE_URL.to_owned(),
                    value: detail.encode_to_vec(),
                }],
            };
            Status::with_details(code, message, Bytes::from(status.encode_to_vec()))
        }
        _ => Status::new(code, message),
    }
}

/// The code of each kind of error (`ProviderError::kind`, the `data.kind` of the JSON-RPC error):
/// `UNKNOWN` only where something may exist in KMS that the state will not hold.
fn code_of(error: &ProviderError) -> Code {
    match error.kind() {
        "invalid_params" | "invalid_inputs" => Code::InvalidArgument,
        // A client key left in KMS without its private key (the message names it).
        "local_io" if left_a_client_key(error) => Code::Unknown,
        "configuration" | "kms_service" | "local_io" | "in_use" => Code::FailedPrecondition,
        "kms_unreachable" => Code::Unavailable,
        "deadline_exceeded" => Code::DeadlineExceeded,
        "cancelled" => Code::Cancelled,
        "already_exists" => Code::AlreadyExists,
        "not_implemented" => Code::Unimplemented,
        // A reply KMS's API does not promise says nothing about what the call did; an ambiguous
        // create may have left resources; a partial failure's detail decides (`UNKNOWN` is what
        // Pulumi's own SDKs send with it); and a kind added later is not assumed harmless.
        _ => Code::Unknown,
    }
}

fn left_a_client_key(error: &ProviderError) -> bool {
    matches!(
        error,
        ProviderError::Resource(ResourceError::LocalIo {
            client_key_id: Some(_),
            ..
        })
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{PropertyMap, PropertyValue};

    #[test]
    fn errors_keep_their_message_and_get_a_code() {
        let error = ProviderError::invalid_params("read needs the resource id");
        let status = status_of(&error);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "read needs the resource id");
        assert!(status.details().is_empty());
    }

    #[test]
    fn every_kind_has_the_code_its_outcome_calls_for() {
        let cancelled = ProviderError::from(ResourceError::Cancelled {
            operation: "read",
            message: "nothing changed".into(),
        });
        let key_left = ProviderError::from(ResourceError::LocalIo {
            path: "/k".into(),
            message: "the key file could not be written".into(),
            client_key_id: Some("KAAP.1".into()),
            held_client_key_id: None,
        });
        let no_key = ProviderError::from(ResourceError::LocalIo {
            path: "/k".into(),
            message: "another create is writing it".into(),
            client_key_id: None,
            held_client_key_id: None,
        });
        let ambiguous = ProviderError::from(ResourceError::AmbiguousCreate {
            message: "two keys appeared".into(),
            candidate_ids: vec![],
        });
        assert_eq!(code_of(&cancelled), Code::Cancelled);
        assert_eq!(code_of(&key_left), Code::Unknown);
        assert_eq!(code_of(&no_key), Code::FailedPrecondition);
        assert_eq!(code_of(&ambiguous), Code::Unknown);
    }

    #[test]
    fn a_partial_failure_carries_the_init_failed_detail() {
        let error = ProviderError::from(ResourceError::ResourceInitFailed {
            resource: "ClientKey",
            id: "KAAP.1".into(),
            properties: PropertyMap::from([(
                "password".to_owned(),
                PropertyValue::String("pw".into()).into_secret(),
            )]),
            reasons: vec!["the key file could not be written".into()],
        });
        let status = status_of(&error);
        assert_eq!(status.code(), Code::Unknown);
        assert_eq!(status.message(), error.to_string());
        let details = google_rpc::Status::decode(status.details()).unwrap();
        assert_eq!(details.details.len(), 1);
        assert_eq!(details.details[0].type_url, INIT_FAILED_TYPE_URL);
        let detail = ErrorResourceInitFailed::decode(details.details[0].value.as_slice()).unwrap();
        assert_eq!(detail.id, "KAAP.1");
        assert_eq!(detail.reasons, vec!["the key file could not be written"]);
        let password = &detail.properties.unwrap().fields["password"];
        assert!(
            matches!(&password.kind, Some(prost_types::value::Kind::StructValue(secret))
                if secret.fields.contains_key("4dabf18193072939515e22adb298388d")),
            "{password:?}"
        );
    }
}
