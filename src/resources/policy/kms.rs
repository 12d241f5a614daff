//! The KMS actions of a permission policy (docs/kms-api.md §3.3): each declared once as an
//! [`Action`], with its request and reply, and called through the crate's `Client::call`.
//!
//! `CreatePolicy` returns `Permissions` and `Resources` as JSON text, `DescribePolicy` as arrays;
//! both are read (`wire_lists`). `AccessControlRules` is JSON text in both directions.

use serde::{Deserialize, Serialize};

use crate::kms::model::{deserialize_integer, unwrap_list};
use crate::kms::retry::Idempotency;
use crate::kms::{
    Action, CallOptions, Client, HttpMethod, KmsError, KmsResponse, RequestIdResponse,
};

use super::super::referrers::{Page, PAGE_SIZE};
use super::super::wire_lists::{
    deserialize_json_list, serialize_json_list, serialize_optional_json_list,
};
use super::access_control::canonical_from_service;

pub const CREATE_POLICY: Action = Action::mutation("CreatePolicy", Idempotency::NonIdempotent);
pub const DESCRIBE_POLICY: Action = Action::read("DescribePolicy", HttpMethod::Post);
pub const UPDATE_POLICY: Action = Action::mutation("UpdatePolicy", Idempotency::Idempotent);
pub const DELETE_POLICY: Action = Action::mutation("DeletePolicy", Idempotency::Idempotent);
pub const LIST_POLICIES: Action = Action::read("ListPolicies", HttpMethod::Post);

/// `CreatePolicy` parameters.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePolicyRequest<'a> {
    pub name: &'a str,
    /// The KMS instance the policy applies to (`kst-...`); it cannot change.
    pub kms_instance: &'a str,
    #[serde(serialize_with = "serialize_json_list")]
    pub permissions: &'a [String],
    #[serde(serialize_with = "serialize_json_list")]
    pub resources: &'a [String],
    /// `{"NetworkRules":[...]}` as JSON text.
    pub access_control_rules: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct NameRequest<'a> {
    name: &'a str,
}

/// `ListPolicies` parameters: one page.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct PageRequest {
    page_number: u32,
    page_size: u32,
}

/// One entry of `ListPolicies`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyName {
    name: String,
}

/// `ListPolicies` reply: `Policies.Policy[]` of `{Name}`, with the paging fields.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListPoliciesReply {
    #[serde(deserialize_with = "deserialize_integer")]
    total_count: u32,
    #[serde(default, deserialize_with = "deserialize_policy_names")]
    policies: Vec<PolicyName>,
}

impl KmsResponse for ListPoliciesReply {
    fn empty_required_field(&self) -> Option<&'static str> {
        self.policies
            .iter()
            .any(|policy| policy.name.is_empty())
            .then_some("Policies.Policy[].Name")
    }
}

fn deserialize_policy_names<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<PolicyName>, D::Error> {
    unwrap_list(deserializer, "Policy")
}

/// `UpdatePolicy` parameters; absent fields are left as they are. The name and the KMS instance
/// cannot change.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdatePolicyRequest {
    pub name: String,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_optional_json_list"
    )]
    pub permissions: Option<Vec<String>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_optional_json_list"
    )]
    pub resources: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_control_rules: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A policy as `CreatePolicy` and `DescribePolicy` return it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyReply {
    pub request_id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub kms_instance: Option<String>,
    #[serde(default, deserialize_with = "deserialize_json_list")]
    pub permissions: Vec<String>,
    #[serde(default, deserialize_with = "deserialize_json_list")]
    pub resources: Vec<String>,
    #[serde(default)]
    pub access_control_rules: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub arn: Option<String>,
}

impl KmsResponse for PolicyReply {}

/// A policy under its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub request_id: String,
    pub name: String,
    pub kms_instance: String,
    pub permissions: Vec<String>,
    pub resources: Vec<String>,
    /// The canonical text (`access_control`), or the service's text if it cannot be parsed.
    pub access_control_rules: String,
    /// Empty when none is set.
    pub description: String,
}

impl Policy {
    /// The names of the network rules its access control rules name (none when the text is not
    /// the documented object).
    pub fn network_rule_names(&self) -> Vec<String> {
        super::access_control::names_in(&self.access_control_rules)
    }

    fn from_reply(name: &str, reply: PolicyReply) -> Policy {
        Policy {
            request_id: reply.request_id,
            name: reply
                .name
                .filter(|text| !text.is_empty())
                .unwrap_or_else(|| name.to_owned()),
            kms_instance: reply.kms_instance.unwrap_or_default(),
            permissions: reply.permissions,
            resources: reply.resources,
            access_control_rules: canonical_from_service(
                reply.access_control_rules.as_deref().unwrap_or_default(),
            ),
            description: reply.description.unwrap_or_default(),
        }
    }
}

/// `CreatePolicy`. Not repeated after an ambiguous failure.
pub async fn create_policy(
    client: &Client,
    request: &CreatePolicyRequest<'_>,
    options: &CallOptions,
) -> Result<Policy, KmsError> {
    let reply: PolicyReply = client.call(CREATE_POLICY, request, options).await?;
    Ok(Policy::from_reply(request.name, reply))
}

/// `DescribePolicy`; a missing policy gives an error whose `is_not_found()` is true.
pub async fn describe_policy(
    client: &Client,
    name: &str,
    options: &CallOptions,
) -> Result<Policy, KmsError> {
    let reply: PolicyReply = client
        .call(DESCRIBE_POLICY, &NameRequest { name }, options)
        .await?;
    Ok(Policy::from_reply(name, reply))
}

/// `UpdatePolicy`.
pub async fn update_policy(
    client: &Client,
    request: &UpdatePolicyRequest,
    options: &CallOptions,
) -> Result<RequestIdResponse, KmsError> {
    client.call(UPDATE_POLICY, request, options).await
}

/// `ListPolicies`: one page of the policy names.
pub async fn list_policies(
    client: &Client,
    page_number: u32,
    options: &CallOptions,
) -> Result<Page, KmsError> {
    let reply: ListPoliciesReply = client
        .call(
            LIST_POLICIES,
            &PageRequest {
                page_number,
                page_size: PAGE_SIZE,
            },
            options,
        )
        .await?;
    Ok(Page {
        names: reply
            .policies
            .into_iter()
            .map(|policy| policy.name)
            .collect(),
        total_count: reply.total_count,
    })
}

/// `DeletePolicy`.
pub async fn delete_policy(
    client: &Client,
    name: &str,
    options: &CallOptions,
) -> Result<RequestIdResponse, KmsError> {
    client
        .call(DELETE_POLICY, &NameRequest { name }, options)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kms::client::request_parameters;

    #[test]
    fn create_sends_lists_as_compact_json() {
        let permissions = vec!["RbacPermission/Template/CryptoServiceKeyUser".to_owned()];
        let resources = vec!["key/*".to_owned(), "secret/a".to_owned()];
        let mut parameters = request_parameters(&CreatePolicyRequest {
            name: "p",
            kms_instance: "kst-1",
            permissions: &permissions,
            resources: &resources,
            access_control_rules: r#"{"NetworkRules":["r"]}"#,
            description: Some("d"),
        });
        parameters.sort();
        let expected: Vec<(String, String)> = [
            ("AccessControlRules", r#"{"NetworkRules":["r"]}"#),
            ("Description", "d"),
            ("KmsInstance", "kst-1"),
            ("Name", "p"),
            (
                "Permissions",
                r#"["RbacPermission/Template/CryptoServiceKeyUser"]"#,
            ),
            ("Resources", r#"["key/*","secret/a"]"#),
        ]
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
        assert_eq!(parameters, expected);
    }

    #[test]
    fn replies_are_read_with_lists_as_text_or_arrays() {
        let created: PolicyReply = serde_json::from_str(
            r#"{"RequestId": "r", "Name": "p", "KmsInstance": "kst-1",
                "Permissions": "[\"RbacPermission/Template/CryptoServiceKeyUser\"]", "Resources": "[\"key/*\"]",
                "AccessControlRules": "{\"NetworkRules\": [\"b\", \"a\"]}", "Description": ""}"#,
        )
        .unwrap();
        let described: PolicyReply = serde_json::from_str(
            r#"{"RequestId": "r", "Name": "p", "KmsInstance": "kst-1",
                "Permissions": ["RbacPermission/Template/CryptoServiceKeyUser"], "Resources": ["key/*"],
                "AccessControlRules": "{\"NetworkRules\":[\"a\",\"b\"]}"}"#,
        )
        .unwrap();
        let (created, described) = (
            Policy::from_reply("p", created),
            Policy::from_reply("p", described),
        );
        assert_eq!(created.permissions, described.permissions);
        assert_eq!(created.resources, ["key/*"]);
        assert_eq!(
            created.access_control_rules,
            r#"{"NetworkRules":["a","b"]}"#
        );
        assert_eq!(created.access_control_rules, described.access_control_rules);
    }
}
