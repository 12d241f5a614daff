//! The KMS actions of a network rule (docs/kms-api.md §3.4), each declared once as an [`Action`],
//! with the requests it writes and the reply it reads; `named` calls them.
//!
//! `DescribeNetworkRule` has no `Name` in its reply; the rule is named by the request. The IPs
//! travel as JSON text (`["10.0.0.1","192.168.0.0/24"]`) and are read back in any of the forms
//! the API documents (`kms::wire`).

use serde::{Deserialize, Serialize};

use crate::kms::retry::Idempotency;
use crate::kms::wire::{deserialize_comma_or_json_list, serialize_json_list};
use crate::kms::{Action, HttpMethod, KmsResponse};

use super::super::named::{description_to_send, NamedActions};
use super::declaration::{NetworkRuleInputs, NetworkRuleState};

pub const ACTIONS: NamedActions = NamedActions {
    create: Action::mutation("CreateNetworkRule", Idempotency::NonIdempotent),
    describe: Action::read("DescribeNetworkRule", HttpMethod::Post),
    update: Action::mutation("UpdateNetworkRule", Idempotency::Idempotent),
    delete: Action::mutation("DeleteNetworkRule", Idempotency::Idempotent),
};

/// The only rule type KMS offers: private addresses.
pub const PRIVATE_RULE_TYPE: &str = "Private";

/// `CreateNetworkRule` parameters.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateNetworkRuleRequest<'a> {
    name: &'a str,
    #[serde(rename = "Type")]
    rule_type: &'static str,
    #[serde(serialize_with = "serialize_json_list")]
    source_private_ip: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

impl<'a> CreateNetworkRuleRequest<'a> {
    pub fn new(inputs: &'a NetworkRuleInputs) -> CreateNetworkRuleRequest<'a> {
        CreateNetworkRuleRequest {
            name: &inputs.network_rule_name,
            rule_type: PRIVATE_RULE_TYPE,
            source_private_ip: &inputs.source_private_ips,
            description: inputs.description.as_deref(),
        }
    }
}

/// `UpdateNetworkRule` parameters (an absent description is left as it is).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateNetworkRuleRequest<'a> {
    name: &'a str,
    #[serde(serialize_with = "serialize_json_list")]
    source_private_ip: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

impl<'a> UpdateNetworkRuleRequest<'a> {
    pub fn new(
        name: &'a str,
        news: &'a NetworkRuleInputs,
        olds: &NetworkRuleState,
    ) -> UpdateNetworkRuleRequest<'a> {
        UpdateNetworkRuleRequest {
            name,
            source_private_ip: &news.source_private_ips,
            description: description_to_send(olds.description.as_ref(), news.description.as_ref()),
        }
    }
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

/// The state a reply describes, the rule named `name` (an empty description is none).
pub fn state_of(name: &str, reply: NetworkRuleReply) -> NetworkRuleState {
    NetworkRuleState {
        network_rule_name: Some(
            reply
                .name
                .filter(|text| !text.is_empty())
                .unwrap_or_else(|| name.to_owned()),
        ),
        source_private_ips: Some(reply.source_private_ip),
        description: reply.description.filter(|text| !text.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kms::client::request_parameters;

    #[test]
    fn create_sends_the_ips_as_compact_json_and_the_private_type() {
        let inputs = NetworkRuleInputs {
            network_rule_name: "rule".into(),
            source_private_ips: vec!["10.0.0.1".to_owned(), "192.168.0.0/24".to_owned()],
            description: None,
        };
        let mut parameters = request_parameters(&CreateNetworkRuleRequest::new(&inputs));
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
        let state = state_of("rule", reply);
        assert_eq!(state.network_rule_name.as_deref(), Some("rule"));
        assert_eq!(
            state.source_private_ips.as_deref(),
            Some(&["10.0.0.1".to_owned(), "10.0.0.2".to_owned()][..])
        );
        assert_eq!(state.description, None);
    }
}
