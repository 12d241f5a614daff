//! The KMS actions of a client key (docs/kms-api.md §3.1), each declared once as an [`Action`],
//! with its request and reply (the API's exact field names, serde `PascalCase`), called through
//! `Client::call`.
//!
//! `ListClientKeys` returns a flat `ClientKeys` array; a `{"ClientKey": [...]}` wrapper is
//! accepted too; an absent list is empty. Required reply fields are plain `String`s (a missing
//! one is an `InvalidResponse`); an empty identity field is caught by
//! `KmsResponse::empty_required_field`.

use serde::{Deserialize, Deserializer, Serialize};

use crate::kms::retry::Idempotency;
use crate::kms::wire::unwrap_list;
use crate::kms::{
    Action, CallOptions, Client, HttpMethod, KmsError, KmsResponse, RequestIdResponse, SecretString,
};

pub const CREATE_CLIENT_KEY: Action =
    Action::mutation("CreateClientKey", Idempotency::NonIdempotent);
pub const GET_CLIENT_KEY: Action = Action::read("GetClientKey", HttpMethod::Get);
pub const DELETE_CLIENT_KEY: Action = Action::mutation("DeleteClientKey", Idempotency::Idempotent);
pub const LIST_CLIENT_KEYS: Action = Action::read("ListClientKeys", HttpMethod::Get);

/// `CreateClientKey` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateClientKeyRequest {
    /// The application access point the key belongs to.
    pub aap_name: String,
    /// The password protecting the returned PKCS#12.
    pub password: SecretString,
    /// Start of validity, `YYYY-MM-DDTHH:MM:SSZ`; must come with `not_after`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    /// End of validity, `YYYY-MM-DDTHH:MM:SSZ`; must come with `not_before`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
}

/// `CreateClientKey` reply. `PrivateKeyData` exists only here, never again.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateClientKeyResponse {
    /// Request id.
    pub request_id: String,
    /// `KAAP.<uuid>`.
    pub client_key_id: String,
    /// Base64 of the password-protected PKCS#12.
    pub private_key_data: SecretString,
    /// Start of validity.
    pub not_before: String,
    /// End of validity.
    pub not_after: String,
    /// `RSA_2048`.
    #[serde(default)]
    pub key_algorithm: Option<String>,
}

impl KmsResponse for CreateClientKeyResponse {
    fn empty_required_field(&self) -> Option<&'static str> {
        if self.client_key_id.is_empty() {
            Some("ClientKeyId")
        } else if self.private_key_data.is_empty() {
            Some("PrivateKeyData")
        } else {
            None
        }
    }
}

/// `GetClientKey` and `DeleteClientKey` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClientKeyIdRequest {
    /// `KAAP.<uuid>`.
    pub client_key_id: String,
}

/// The description of a client key, as `GetClientKey` and `ListClientKeys` return it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClientKey {
    /// `KAAP.<uuid>`.
    pub client_key_id: String,
    /// The application access point the key belongs to.
    pub aap_name: String,
    /// Creation time.
    pub create_time: String,
    /// Start of validity.
    pub not_before: String,
    /// End of validity.
    pub not_after: String,
    /// `RSA_2048`.
    #[serde(default)]
    pub key_algorithm: Option<String>,
    /// `KMS_PROVIDED`.
    #[serde(default)]
    pub key_origin: Option<String>,
    /// PEM certificate of the key.
    #[serde(default)]
    pub public_key_data: Option<String>,
}

/// `GetClientKey` reply.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetClientKeyResponse {
    /// Request id.
    pub request_id: String,
    /// The key.
    #[serde(flatten)]
    pub client_key: ClientKey,
}

impl KmsResponse for GetClientKeyResponse {
    fn empty_required_field(&self) -> Option<&'static str> {
        self.client_key
            .client_key_id
            .is_empty()
            .then_some("ClientKeyId")
    }
}

/// `ListClientKeys` parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListClientKeysRequest {
    /// Only the keys of this application access point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aap_name: Option<String>,
}

/// `ListClientKeys` reply.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListClientKeysResponse {
    /// Request id.
    pub request_id: String,
    /// The keys.
    #[serde(default, deserialize_with = "deserialize_client_key_list")]
    pub client_keys: Vec<ClientKey>,
}

impl KmsResponse for ListClientKeysResponse {
    fn empty_required_field(&self) -> Option<&'static str> {
        self.client_keys
            .iter()
            .any(|key| key.client_key_id.is_empty())
            .then_some("ClientKeys[].ClientKeyId")
    }
}

fn deserialize_client_key_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ClientKey>, D::Error> {
    unwrap_list(deserializer, "ClientKey")
}

/// `CreateClientKey`. Not retried after an ambiguous failure: the error is then
/// `KmsError::OutcomeUnknown`, and the caller should list the AAP's keys to reconcile.
pub async fn create_client_key(
    client: &Client,
    request: &CreateClientKeyRequest,
    options: &CallOptions,
) -> Result<CreateClientKeyResponse, KmsError> {
    client.call(CREATE_CLIENT_KEY, request, options).await
}

/// `GetClientKey`; a missing key gives an error whose `is_not_found()` is true.
pub async fn get_client_key(
    client: &Client,
    client_key_id: &str,
    options: &CallOptions,
) -> Result<GetClientKeyResponse, KmsError> {
    let request = ClientKeyIdRequest {
        client_key_id: client_key_id.to_owned(),
    };
    client.call(GET_CLIENT_KEY, &request, options).await
}

/// `DeleteClientKey`.
pub async fn delete_client_key(
    client: &Client,
    client_key_id: &str,
    options: &CallOptions,
) -> Result<RequestIdResponse, KmsError> {
    let request = ClientKeyIdRequest {
        client_key_id: client_key_id.to_owned(),
    };
    client.call(DELETE_CLIENT_KEY, &request, options).await
}

/// `ListClientKeys`, optionally only those of one AAP.
pub async fn list_client_keys(
    client: &Client,
    request: &ListClientKeysRequest,
    options: &CallOptions,
) -> Result<ListClientKeysResponse, KmsError> {
    client.call(LIST_CLIENT_KEYS, request, options).await
}
