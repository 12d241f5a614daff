//! `alicloud-kms:index:Policy`: a permission policy, which grants the applications of the access
//! points it is bound to some permissions on some keys and secrets of one KMS instance, from the
//! addresses of the network rules it names. What is its own: its declaration, the rules of its
//! permissions, resources and access control rules, its KMS actions, and the access points that
//! may still list it when it is deleted; the rest is `named`'s.
//!
//! KMS identifies a policy by its name, which is also the resource id. The name and the KMS
//! instance cannot change (a new one replaces the policy); the permissions, the resources, the
//! access control rules and the description change in place.

mod access_control;
pub mod declaration;
mod kms;
mod rules;

use serde::Serialize;

use crate::kms::{CallOptions, Client, KmsError};

use super::application_access_point::{list_access_points, ApplicationAccessPoint};
use super::error::CheckFailure;
use super::named::referrers::{self, Referred};
use super::named::{describe, list_of_strings, NamedActions, NamedResource};
use super::property::{PropertyMap, PropertyValue};
use super::Declaration;
use declaration::{PolicyInputs, PolicyState, DECLARATION, PROPERTY};
use kms::{CreatePolicyRequest, PolicyReply, UpdatePolicyRequest};

pub use access_control::{canonical as canonical_access_control_rules, MAX_NETWORK_RULES};
pub(crate) use kms::list_policies;
pub use rules::PERMISSION_TEMPLATES;

/// The permission policy. It keeps no state between operations.
#[derive(Debug)]
pub struct Policy;

/// The names of the network rules a policy's access control rules name (none when the text is
/// not the documented object): what the network rule's delete looks for.
pub(crate) fn access_control_rule_names(policy: &PolicyState) -> Vec<String> {
    access_control::names_in(policy.access_control_rules.as_deref().unwrap_or_default())
}

impl NamedResource for Policy {
    const DECLARATION: Declaration = DECLARATION;
    const ACTIONS: NamedActions = kms::ACTIONS;
    /// The access points that list it.
    const REFERRED: Option<Referred> = Some(Referred {
        referrers: "application access points",
        permissions: "kms:ListApplicationAccessPoints and kms:DescribeApplicationAccessPoint",
        how_to_unbind: "remove the policy from the policies of those access points (or delete them) first, then \
                        delete the policy (in a Pulumi program, make the access points depend on the policy, for \
                        example through policyName, so that they go first)",
    });
    type Inputs = PolicyInputs;
    type State = PolicyState;
    type Reply = PolicyReply;

    fn new() -> Policy {
        Policy
    }

    fn state_of(name: &str, reply: PolicyReply) -> PolicyState {
        kms::state_of(name, reply)
    }

    fn create_request(inputs: &PolicyInputs) -> impl Serialize + Send + Sync + '_ {
        CreatePolicyRequest::new(inputs)
    }

    /// The permissions, resources, access control rules and description, changed in place.
    fn update_request<'a>(
        name: &'a str,
        news: &'a PolicyInputs,
        olds: &'a PolicyState,
    ) -> impl Serialize + Send + Sync + 'a {
        UpdatePolicyRequest::new(name, news, olds)
    }

    fn check_inputs(
        &self,
        inputs: &mut PropertyMap,
        failures: &mut Vec<CheckFailure>,
        _warnings: &mut Vec<String>,
    ) {
        rules::check_policy(inputs, failures);
    }

    /// The access control rules are JSON: the same rules in another layout are no change. The
    /// permissions are a set: one listed twice is no change.
    fn same_meaning(&self, property: &str, old: &PropertyValue, new: &PropertyValue) -> bool {
        if property == PROPERTY.access_control_rules.name {
            return match (old.as_str(), new.as_str()) {
                (Some(old), Some(new)) => {
                    access_control::canonical_from_service(old)
                        == access_control::canonical_from_service(new)
                }
                _ => false,
            };
        }
        property == PROPERTY.permissions.name
            && match (list_of_strings(old), list_of_strings(new)) {
                (Some(old), Some(new)) => rules::same_permissions(&old, &new),
                _ => false,
            }
    }

    /// The access points that list the policy `name`: every page of ListApplicationAccessPoints,
    /// then DescribeApplicationAccessPoint for each (the list has no policies).
    async fn find_referrers(
        client: Client,
        name: String,
        options: CallOptions,
    ) -> Result<Vec<String>, KmsError> {
        let (client, options) = (&client, &options);
        let all =
            referrers::all_names(|page_number| list_access_points(client, page_number, options))
                .await?;
        referrers::referring(
            all,
            |point| {
                let (client, options) = (client.clone(), options.clone());
                async move { describe::<ApplicationAccessPoint>(&client, &point, &options).await }
            },
            |described| {
                described
                    .policies
                    .as_ref()
                    .is_some_and(|policies| policies.contains(&name))
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::declaration::Properties;
    use crate::resources::named::matches;
    use crate::resources::resource::refuse_changes_in_place;
    use crate::resources::{Property, ResourceError, UpdateRequest};

    fn existing() -> PolicyState {
        PolicyState {
            policy_name: Some("p".into()),
            kms_instance_id: Some("kst-1".into()),
            permissions: Some(vec![
                PERMISSION_TEMPLATES[0].into(),
                PERMISSION_TEMPLATES[1].into(),
            ]),
            resources: Some(vec!["key/*".into()]),
            access_control_rules: Some(access_control::canonical(&["rule".into()])),
            description: None,
        }
    }

    #[test]
    fn an_existing_policy_matches_in_any_list_order_and_with_an_empty_description() {
        let inputs = PolicyInputs {
            policy_name: "p".into(),
            kms_instance_id: "kst-1".into(),
            permissions: vec![
                PERMISSION_TEMPLATES[1].into(),
                PERMISSION_TEMPLATES[0].into(),
            ],
            resources: vec!["key/*".into()],
            access_control_rules: r#"{"NetworkRules":["rule"]}"#.into(),
            description: None,
        }
        .encode();
        assert!(matches(&Policy, &inputs, &existing()));
        for other in [
            PolicyState {
                kms_instance_id: Some("kst-2".into()),
                ..existing()
            },
            PolicyState {
                resources: Some(vec!["secret/*".into()]),
                ..existing()
            },
            PolicyState {
                access_control_rules: Some(access_control::canonical(&[])),
                ..existing()
            },
            PolicyState {
                description: Some("d".into()),
                ..existing()
            },
        ] {
            assert!(!matches(&Policy, &inputs, &other), "{other:?}");
        }
    }

    #[test]
    fn the_name_and_the_kms_instance_cannot_change_in_place() {
        let map = |entries: &[(&Property, &str)]| -> PropertyMap {
            entries
                .iter()
                .map(|(property, value)| {
                    (
                        property.name.to_owned(),
                        PropertyValue::String((*value).to_owned()),
                    )
                })
                .collect()
        };
        let (name, instance) = (&PROPERTY.policy_name, &PROPERTY.kms_instance_id);
        let refused = |news: PropertyMap| -> Vec<String> {
            let request = UpdateRequest {
                urn: None,
                id: "p".into(),
                olds: map(&[(name, "p"), (instance, "kst-1")]),
                news,
                old_inputs: None,
                timeout: None,
                preview: false,
                ignore_changes: Vec::new(),
            };
            let replacing = DECLARATION.inputs().filter(|property| property.replaces);
            match refuse_changes_in_place(
                &DECLARATION,
                |property, old, new| property.same_value(old, new),
                &request,
                replacing,
            ) {
                Ok(()) => Vec::new(),
                Err(ResourceError::InvalidInputs { failures, .. }) => {
                    failures.into_iter().map(|failure| failure.reason).collect()
                }
                Err(error) => panic!("not invalid_inputs: {error}"),
            }
        };
        assert!(refused(map(&[(name, "p"), (instance, "kst-1")])).is_empty());
        assert_eq!(
            refused(map(&[(name, "q"), (instance, "kst-2")])),
            [
                "kmsInstanceId of a Policy cannot change in place (from kst-1 to kst-2): a new Policy replaces the \
                 old one; diff asks for that replacement, so let the engine replace the Policy instead of calling \
                 update",
                "policyName of a Policy cannot change in place (from p to q): a new Policy replaces the old one; \
                 diff asks for that replacement, so let the engine replace the Policy instead of calling update",
            ]
        );
    }
}
