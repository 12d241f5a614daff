//! The KMS actions of an application access point (docs/kms-api.md §3.2), each declared once as
//! an [`Action`], with its requests and reply (the API's exact field names, serde `PascalCase`);
//! `named` calls them, and so does the policy's delete (the access points that list it).
//!
//! Encodings handled with a real JSON parse, never string slicing:
//! - `Policies` travels as a **string holding a JSON array** (`"[\"a\",\"b\"]"`); requests encode
//!   it compactly, and replies accept that string or (as one documentation sample shows) a plain
//!   array.
//! - `ListApplicationAccessPoints` wraps its list: `ApplicationAccessPoints.ApplicationAccessPoint`.
//!   A flat array (an older documentation sample) is accepted too; an absent list is empty.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::kms::retry::Idempotency;
use crate::kms::wire::{deserialize_integer, unwrap_list};
use crate::kms::{
    Action, CallOptions, Client, HttpMethod, KmsError, KmsResponse, RequestIdResponse,
};

use super::super::named::referrers::{Page, PAGE_SIZE};
use super::super::named::{self, description_to_send, NamedActions};
use super::declaration::{AccessPointInputs, AccessPointState};
use super::ApplicationAccessPoint;

pub const ACTIONS: NamedActions = NamedActions {
    create: Action::mutation("CreateApplicationAccessPoint", Idempotency::NonIdempotent),
    describe: Action::read("DescribeApplicationAccessPoint", HttpMethod::Post),
    update: Action::mutation("UpdateApplicationAccessPoint", Idempotency::Idempotent),
    delete: Action::mutation("DeleteApplicationAccessPoint", Idempotency::Idempotent),
};
pub const LIST_APPLICATION_ACCESS_POINTS: Action =
    Action::read("ListApplicationAccessPoints", HttpMethod::Post);

/// The only authentication method KMS supports for an application access point.
pub const CLIENT_KEY_AUTHENTICATION: &str = "ClientKey";

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
pub struct ApplicationAccessPointReply {
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

impl KmsResponse for ApplicationAccessPointReply {
    fn empty_required_field(&self) -> Option<&'static str> {
        self.name.is_empty().then_some("Name")
    }
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

fn deserialize_access_point_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ApplicationAccessPointSummary>, D::Error> {
    unwrap_list(deserializer, "ApplicationAccessPoint")
}

/// `CreateApplicationAccessPoint`. Not retried after an ambiguous failure (the error is then
/// `KmsError::OutcomeUnknown`); a later `Rejected.ResourceExist` would tell the caller.
pub async fn create_application_access_point(
    client: &Client,
    request: &CreateApplicationAccessPointRequest,
    options: &CallOptions,
) -> Result<ApplicationAccessPointReply, KmsError> {
    client.call(ACTIONS.create, request, options).await
}

/// `DescribeApplicationAccessPoint`; a missing AAP gives an error whose `is_not_found()` is
/// true.
pub async fn describe_application_access_point(
    client: &Client,
    name: &str,
    options: &CallOptions,
) -> Result<ApplicationAccessPointReply, KmsError> {
    named::describe_reply::<ApplicationAccessPoint>(client, name, options).await
}

/// `UpdateApplicationAccessPoint`.
pub async fn update_application_access_point(
    client: &Client,
    request: &UpdateApplicationAccessPointRequest,
    options: &CallOptions,
) -> Result<RequestIdResponse, KmsError> {
    client.call(ACTIONS.update, request, options).await
}

/// `DeleteApplicationAccessPoint`.
pub async fn delete_application_access_point(
    client: &Client,
    name: &str,
    options: &CallOptions,
) -> Result<RequestIdResponse, KmsError> {
    named::delete::<ApplicationAccessPoint>(client, name, options).await
}

/// `ListApplicationAccessPoints` (one page).
pub async fn list_application_access_points(
    client: &Client,
    request: &ListApplicationAccessPointsRequest,
    options: &CallOptions,
) -> Result<ListApplicationAccessPointsResponse, KmsError> {
    client
        .call(LIST_APPLICATION_ACCESS_POINTS, request, options)
        .await
}

/// `ListApplicationAccessPoints`: one page of the access point names.
pub async fn list_access_points(
    client: &Client,
    page_number: u32,
    options: &CallOptions,
) -> Result<Page, KmsError> {
    let request = ListApplicationAccessPointsRequest {
        page_number: Some(page_number),
        page_size: Some(PAGE_SIZE),
    };
    let page = list_application_access_points(client, &request, options).await?;
    Ok(Page {
        names: page
            .application_access_points
            .into_iter()
            .map(|point| point.name)
            .collect(),
        total_count: page.total_count,
    })
}

impl CreateApplicationAccessPointRequest {
    /// The request for checked inputs: authentication by client key, the only method KMS offers.
    pub fn new(inputs: &AccessPointInputs) -> CreateApplicationAccessPointRequest {
        CreateApplicationAccessPointRequest {
            name: inputs.application_access_point_name.clone(),
            policies: inputs.policies.clone(),
            authentication_method: CLIENT_KEY_AUTHENTICATION.to_owned(),
            description: inputs.description.clone(),
        }
    }
}

impl UpdateApplicationAccessPointRequest {
    /// The request that makes the access point `name` what `news` ask for.
    pub fn new(
        name: &str,
        news: &AccessPointInputs,
        olds: &AccessPointState,
    ) -> UpdateApplicationAccessPointRequest {
        UpdateApplicationAccessPointRequest {
            name: name.to_owned(),
            description: description_to_send(olds.description.as_ref(), news.description.as_ref()),
            policies: Some(news.policies.clone()),
        }
    }
}

/// The state a reply describes, the access point named `name` (an empty description is none).
pub fn state_of(name: &str, reply: ApplicationAccessPointReply) -> AccessPointState {
    AccessPointState {
        application_access_point_name: Some(if reply.name.is_empty() {
            name.to_owned()
        } else {
            reply.name
        }),
        policies: Some(reply.policies),
        description: reply.description.filter(|text| !text.is_empty()),
    }
}
