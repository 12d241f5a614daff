//! The KMS actions of a permission policy (docs/kms-api.md §3.3), each declared once as an
//! [`Action`], with the requests it writes and the reply it reads; `named` calls them, and the
//! network rule's delete reads the policies (`ListPolicies`, one page at a time).
//!
//! `CreatePolicy` returns `Permissions` and `Resources` as JSON text, `DescribePolicy` as arrays;
//! both are read (`kms::wire`). `AccessControlRules` is JSON text in both directions.

use serde::{Deserialize, Serialize};

use crate::kms::retry::Idempotency;
use crate::kms::wire::{
    deserialize_integer, deserialize_json_list, serialize_json_list, unwrap_list,
};
use crate::kms::{Action, CallOptions, Client, HttpMethod, KmsError, KmsResponse};

use super::super::named::referrers::{Page, PAGE_SIZE};
use super::super::named::{description_to_send, NamedActions};
use super::access_control::canonical_from_service;
use super::declaration::{PolicyInputs, PolicyState};

pub const ACTIONS: NamedActions = NamedActions {
    create: Action::mutation("CreatePolicy", Idempotency::NonIdempotent),
    describe: Action::read("DescribePolicy", HttpMethod::Post),
    update: Action::mutation("UpdatePolicy", Idempotency::Idempotent),
    delete: Action::mutation("DeletePolicy", Idempotency::Idempotent),
};
pub const LIST_POLICIES: Action = Action::read("ListPolicies", HttpMethod::Post);

/// `CreatePolicy` parameters.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePolicyRequest<'a> {
    name: &'a str,
    /// The KMS instance the policy applies to (`kst-...`); it cannot change.
    kms_instance: &'a str,
    #[serde(serialize_with = "serialize_json_list")]
    permissions: &'a [String],
    #[serde(serialize_with = "serialize_json_list")]
    resources: &'a [String],
    /// `{"NetworkRules":[...]}` as JSON text.
    access_control_rules: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

impl<'a> CreatePolicyRequest<'a> {
    pub fn new(inputs: &'a PolicyInputs) -> CreatePolicyRequest<'a> {
        CreatePolicyRequest {
            name: &inputs.policy_name,
            kms_instance: &inputs.kms_instance_id,
            permissions: &inputs.permissions,
            resources: &inputs.resources,
            access_control_rules: &inputs.access_control_rules,
            description: inputs.description.as_deref(),
        }
    }
}

/// `UpdatePolicy` parameters (an absent description is left as it is). The name and the KMS
/// instance cannot change.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdatePolicyRequest<'a> {
    name: &'a str,
    #[serde(serialize_with = "serialize_json_list")]
    permissions: &'a [String],
    #[serde(serialize_with = "serialize_json_list")]
    resources: &'a [String],
    access_control_rules: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

impl<'a> UpdatePolicyRequest<'a> {
    pub fn new(
        name: &'a str,
        news: &'a PolicyInputs,
        olds: &PolicyState,
    ) -> UpdatePolicyRequest<'a> {
        UpdatePolicyRequest {
            name,
            permissions: &news.permissions,
            resources: &news.resources,
            access_control_rules: &news.access_control_rules,
            description: description_to_send(olds.description.as_ref(), news.description.as_ref()),
        }
    }
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

/// The state a reply describes, the policy named `name`: the access control rules in canonical
/// form (or the service's text if it cannot be parsed), an empty description as none.
pub fn state_of(name: &str, reply: PolicyReply) -> PolicyState {
    PolicyState {
        policy_name: Some(
            reply
                .name
                .filter(|text| !text.is_empty())
                .unwrap_or_else(|| name.to_owned()),
        ),
        kms_instance_id: Some(reply.kms_instance.unwrap_or_default()),
        permissions: Some(reply.permissions),
        resources: Some(reply.resources),
        access_control_rules: Some(canonical_from_service(
            reply.access_control_rules.as_deref().unwrap_or_default(),
        )),
        description: reply.description.filter(|text| !text.is_empty()),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kms::client::request_parameters;

    #[test]
    fn create_sends_lists_as_compact_json() {
        let permissions = vec!["RbacPermission/Template/CryptoServiceKeyUser".to_owned()];
        let resources = vec!["key/*".to_owned(), "secret/a".to_owned()];
        let inputs = PolicyInputs {
            policy_name: "p".into(),
            kms_instance_id: "kst-1".into(),
            permissions,
            resources,
            access_control_rules: r#"{"NetworkRules":["r"]}"#.into(),
            description: Some("d".into()),
        };
        let mut parameters = request_parameters(&CreatePolicyRequest::new(&inputs));
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
        let (created, described) = (state_of("p", created), state_of("p", described));
        assert_eq!(created.permissions, described.permissions);
        assert_eq!(
            created.resources.as_deref(),
            Some(&["key/*".to_owned()][..])
        );
        assert_eq!(
            created.access_control_rules.as_deref(),
            Some(r#"{"NetworkRules":["a","b"]}"#)
        );
        assert_eq!(created.access_control_rules, described.access_control_rules);
    }
}
