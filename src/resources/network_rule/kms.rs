//! The KMS actions of a network rule (docs/kms-api.md §3.4): each declared once as an [`Action`],
//! with its request and reply, and called through the crate's `Client::call`.
//!
//! `DescribeNetworkRule` has no `Name` in its reply; the rule is named by the request. The IPs
//! travel as JSON text (`["10.0.0.1","192.168.0.0/24"]`) and are read back in any of the forms
//! the API documents (`wire_lists`).

use serde::{Deserialize, Serialize};

use crate::kms::retry::Idempotency;
use crate::kms::{Action, CallOptions, Client, KmsError, KmsResponse, RequestIdResponse};

use super::super::wire_lists::{
    deserialize_comma_or_json_list, serialize_json_list, serialize_optional_json_list,
};

pub const CREATE_NETWORK_RULE: Action =
    Action::mutation("CreateNetworkRule", Idempotency::NonIdempotent);
pub const DESCRIBE_NETWORK_RULE: Action =
    Action::read("DescribeNetworkRule", crate::kms::HttpMethod::Post);
pub const UPDATE_NETWORK_RULE: Action =
    Action::mutation("UpdateNetworkRule", Idempotency::Idempotent);
pub const DELETE_NETWORK_RULE: Action =
    Action::mutation("DeleteNetworkRule", Idempotency::Idempotent);

/// The only rule type KMS offers: private addresses.
pub const PRIVATE_RULE_TYPE: &str = "Private";

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateNetworkRuleRequest<'a> {
    name: &'a str,
    #[serde(rename = "Type")]
    rule_type: &'static str,
    #[serde(serialize_with = "serialize_json_list")]
    source_private_ip: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct NameRequest<'a> {
    name: &'a str,
}

/// `UpdateNetworkRule` parameters; absent fields are left as they are.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateNetworkRuleRequest {
    pub name: String,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_optional_json_list"
    )]
    pub source_private_ip: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A network rule as `CreateNetworkRule` and `DescribeNetworkRule` return it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkRuleReply {
    pub request_id: String,
    /// Only in the reply to Create.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "deserialize_comma_or_json_list")]
    pub source_private_ip: Vec<String>,
    /// Free text; absent or empty when none was set.
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, rename = "Type")]
    pub rule_type: Option<String>,
    #[serde(default)]
    pub arn: Option<String>,
}

impl KmsResponse for NetworkRuleReply {}

/// A network rule under its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkRule {
    pub request_id: String,
    pub name: String,
    pub source_private_ips: Vec<String>,
    /// Empty when none is set.
    pub description: String,
}

impl NetworkRule {
    fn from_reply(name: &str, reply: NetworkRuleReply) -> NetworkRule {
        NetworkRule {
            request_id: reply.request_id,
            name: reply
                .name
                .filter(|text| !text.is_empty())
                .unwrap_or_else(|| name.to_owned()),
            source_private_ips: reply.source_private_ip,
            description: reply.description.unwrap_or_default(),
        }
    }
}

/// `CreateNetworkRule` with `Type=Private`. Not repeated after an ambiguous failure.
pub async fn create_network_rule(
    client: &Client,
    name: &str,
    source_private_ips: &[String],
    description: Option<&str>,
    options: &CallOptions,
) -> Result<NetworkRule, KmsError> {
    let request = CreateNetworkRuleRequest {
        name,
        rule_type: PRIVATE_RULE_TYPE,
        source_private_ip: source_private_ips,
        description,
    };
    let reply: NetworkRuleReply = client.call(CREATE_NETWORK_RULE, &request, options).await?;
    Ok(NetworkRule::from_reply(name, reply))
}

/// `DescribeNetworkRule`; a missing rule gives an error whose `is_not_found()` is true.
pub async fn describe_network_rule(
    client: &Client,
    name: &str,
    options: &CallOptions,
) -> Result<NetworkRule, KmsError> {
    let reply: NetworkRuleReply = client
        .call(DESCRIBE_NETWORK_RULE, &NameRequest { name }, options)
        .await?;
    Ok(NetworkRule::from_reply(name, reply))
}

/// `UpdateNetworkRule`.
pub async fn update_network_rule(
    client: &Client,
    request: &UpdateNetworkRuleRequest,
    options: &CallOptions,
) -> Result<RequestIdResponse, KmsError> {
    client.call(UPDATE_NETWORK_RULE, request, options).await
}

/// `DeleteNetworkRule`.
pub async fn delete_network_rule(
    client: &Client,
    name: &str,
    options: &CallOptions,
) -> Result<RequestIdResponse, KmsError> {
    client
        .call(DELETE_NETWORK_RULE, &NameRequest { name }, options)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kms::client::request_parameters;

    #[test]
    fn create_sends_the_ips_as_compact_json_and_the_private_type() {
        let ips = vec!["10.0.0.1".to_owned(), "192.168.0.0/24".to_owned()];
        let mut parameters = request_parameters(&CreateNetworkRuleRequest {
            name: "rule",
            rule_type: PRIVATE_RULE_TYPE,
            source_private_ip: &ips,
            description: None,
        });
        parameters.sort();
        assert_eq!(
            parameters,
            [
                ("Name".to_owned(), "rule".to_owned()),
                (
                    "SourcePrivateIp".to_owned(),
                    r#"["10.0.0.1","192.168.0.0/24"]"#.to_owned()
                ),
                ("Type".to_owned(), "Private".to_owned()),
            ]
        );
    }

    #[test]
    fn describe_replies_have_no_name_and_any_list_form() {
        let reply: NetworkRuleReply = serde_json::from_str(
            r#"{"RequestId": "r", "Arn": "acs:kms:cn-hangzhou:1:network/rule", "Type": "Private",
                "SourcePrivateIp": "10.0.0.1, 10.0.0.2", "Description": ""}"#,
        )
        .unwrap();
        let rule = NetworkRule::from_reply("rule", reply);
        assert_eq!(rule.name, "rule");
        assert_eq!(rule.source_private_ips, ["10.0.0.1", "10.0.0.2"]);
        assert_eq!(rule.description, "");
    }
}
