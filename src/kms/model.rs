//! Request and response structs of the client-key and application-access-point actions, with the
//! API's exact field names (serde `PascalCase`), and the codecs for the API's odd encodings.
//!
//! Encodings handled with a real JSON parse, never string slicing:
//! - `Policies` travels as a **string holding a JSON array** (`"[\"a\",\"b\"]"`); requests encode
//!   it compactly, and responses accept that string or (as one documentation sample shows) a
//!   plain array.
//! - `ListApplicationAccessPoints` wraps its list: `ApplicationAccessPoints.ApplicationAccessPoint`.
//!   A flat array (an older documentation sample) is accepted too; an absent list is empty.
//! - `ListClientKeys` returns a flat `ClientKeys` array; a `{"ClientKey": [...]}` wrapper is
//!   accepted too; an absent list is empty.
//! - Integers (`PageNumber`, ...) are accepted as JSON numbers or decimal strings.
//!
//! Required response fields are plain `String`s (a missing one is an `InvalidResponse`); an empty
//! identity field is caught by `KmsResponse::empty_required_field`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::kms::response::KmsResponse;
use crate::kms::secret::SecretString;

/// The only authentication method KMS supports for an application access point.
pub const CLIENT_KEY_AUTHENTICATION: &str = "ClientKey";

// ---- client keys ----

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

/// A reply that carries only its request id (deletes and updates).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestIdResponse {
    /// Request id.
    pub request_id: String,
}

impl KmsResponse for RequestIdResponse {}

// ---- application access points ----

/// `CreateApplicationAccessPoint` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateApplicationAccessPointRequest {
    /// The name, which is also the identity; it cannot change.
    pub name: String,
    /// Names of the permission policies (at most three), sent as a JSON-array string.
    #[serde(serialize_with = "serialize_policies")]
    pub policies: Vec<String>,
    /// Always `ClientKey` today.
    pub authentication_method: String,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The description of an application access point, as Create and Describe return it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApplicationAccessPoint {
    /// Request id.
    pub request_id: String,
    /// The name.
    pub name: String,
    /// The policy names, decoded from their JSON-array string.
    #[serde(deserialize_with = "deserialize_policies")]
    pub policies: Vec<String>,
    /// `acs:kms:<region>:<uid>:applicationaccesspoint/<name>`.
    #[serde(default)]
    pub arn: Option<String>,
    /// `ClientKey`.
    #[serde(default)]
    pub authentication_method: Option<String>,
    /// Free text; absent or empty when none was set.
    #[serde(default)]
    pub description: Option<String>,
}

impl KmsResponse for ApplicationAccessPoint {
    fn empty_required_field(&self) -> Option<&'static str> {
        self.name.is_empty().then_some("Name")
    }
}

/// `DescribeApplicationAccessPoint` and `DeleteApplicationAccessPoint` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApplicationAccessPointNameRequest {
    /// The name.
    pub name: String,
}

/// `UpdateApplicationAccessPoint` parameters; absent fields are left as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateApplicationAccessPointRequest {
    /// The name.
    pub name: String,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New policy list (replaces the old one), sent as a JSON-array string.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_optional_policies"
    )]
    pub policies: Option<Vec<String>>,
}

/// `ListApplicationAccessPoints` parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListApplicationAccessPointsRequest {
    /// 1-based page (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_number: Option<u32>,
    /// 1 to 100 (default 20).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
}

/// One entry of `ListApplicationAccessPoints`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApplicationAccessPointSummary {
    /// The name.
    pub name: String,
    /// `ClientKey`.
    #[serde(default)]
    pub authentication_method: Option<String>,
}

/// `ListApplicationAccessPoints` reply.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListApplicationAccessPointsResponse {
    /// Request id.
    pub request_id: String,
    /// The page returned.
    #[serde(deserialize_with = "deserialize_integer")]
    pub page_number: u32,
    /// The page size used.
    #[serde(deserialize_with = "deserialize_integer")]
    pub page_size: u32,
    /// How many access points exist in all.
    #[serde(deserialize_with = "deserialize_integer")]
    pub total_count: u32,
    /// The entries of this page, unwrapped from `ApplicationAccessPoints.ApplicationAccessPoint`.
    #[serde(default, deserialize_with = "deserialize_access_point_list")]
    pub application_access_points: Vec<ApplicationAccessPointSummary>,
}

impl KmsResponse for ListApplicationAccessPointsResponse {
    fn empty_required_field(&self) -> Option<&'static str> {
        self.application_access_points
            .iter()
            .any(|entry| entry.name.is_empty())
            .then_some("ApplicationAccessPoints.ApplicationAccessPoint[].Name")
    }
}

// ---- codecs ----

/// Encodes a policy list the way the API wants it: a compact JSON array inside a string.
pub fn encode_policies(policies: &[String]) -> String {
    serde_json::to_string(policies).expect("a list of strings always serialises")
}

fn serialize_policies<S: Serializer>(
    policies: &[String],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&encode_policies(policies))
}

fn serialize_optional_policies<S: Serializer>(
    policies: &Option<Vec<String>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match policies {
        Some(policies) => serialize_policies(policies, serializer),
        None => serializer.serialize_none(),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PoliciesOnTheWire {
    Encoded(String),
    Plain(Vec<String>),
}

/// Decodes `Policies`: a string holding a JSON array of strings (parsed for real), or an array.
pub fn decode_policies(encoded: &str) -> Result<Vec<String>, String> {
    serde_json::from_str::<Vec<String>>(encoded)
        .map_err(|_| "`Policies` is not a JSON array of strings".to_owned())
}

fn deserialize_policies<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    match PoliciesOnTheWire::deserialize(deserializer).map_err(|_| {
        serde::de::Error::custom("`Policies` is neither a string nor an array of strings")
    })? {
        PoliciesOnTheWire::Encoded(encoded) => {
            decode_policies(&encoded).map_err(serde::de::Error::custom)
        }
        PoliciesOnTheWire::Plain(policies) => Ok(policies),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ListOnTheWire<T> {
    Flat(Vec<T>),
    Wrapped(std::collections::BTreeMap<String, Vec<T>>),
    Null(()),
}

pub(crate) fn unwrap_list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
    wrapper_key: &'static str,
) -> Result<Vec<T>, D::Error> {
    match ListOnTheWire::<T>::deserialize(deserializer).map_err(|_| {
        serde::de::Error::custom(format!("the list is neither an array nor an object with key `{wrapper_key}` holding valid entries"))
    })? {
        ListOnTheWire::Flat(entries) => Ok(entries),
        ListOnTheWire::Null(()) => Ok(Vec::new()),
        ListOnTheWire::Wrapped(mut wrapper) => {
            let entries = wrapper.remove(wrapper_key).unwrap_or_default();
            if let Some(other) = wrapper.keys().next() {
                return Err(serde::de::Error::custom(format!(
                    "the list wrapper has an unexpected key `{other}` (expected `{wrapper_key}`)"
                )));
            }
            Ok(entries)
        }
    }
}

fn deserialize_client_key_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ClientKey>, D::Error> {
    unwrap_list(deserializer, "ClientKey")
}

fn deserialize_access_point_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ApplicationAccessPointSummary>, D::Error> {
    unwrap_list(deserializer, "ApplicationAccessPoint")
}

#[derive(Deserialize)]
#[serde(untagged)]
enum IntegerOnTheWire {
    Number(u32),
    Text(String),
}

pub(crate) fn deserialize_integer<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<u32, D::Error> {
    match IntegerOnTheWire::deserialize(deserializer)
        .map_err(|_| serde::de::Error::custom("expected a non-negative integer"))?
    {
        IntegerOnTheWire::Number(number) => Ok(number),
        IntegerOnTheWire::Text(text) => text
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom("expected a non-negative integer")),
    }
}
