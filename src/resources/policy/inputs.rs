//! The inputs of a permission policy: the rules of `check`, the checked inputs as the operations
//! use them, and the properties of a policy as KMS describes it.

use super::super::check_not_blank;
use super::super::error::{CheckFailure, ResourceError};
use super::super::named_resource::{check_distinct_items, check_name, same_set, InputReader};
use super::super::property::{PropertyMap, PropertyValue};
use super::access_control;
use super::declaration::DECLARATION;
use super::kms::Policy;

/// The RBAC templates a policy can grant (documented: cryptographic operations, secrets).
pub const PERMISSION_TEMPLATES: [&str; 2] = [
    "RbacPermission/Template/CryptoServiceKeyUser",
    "RbacPermission/Template/CryptoServiceSecretUser",
];

/// The kinds of resource a policy can grant access to: `key/<KeyId>`, `key/*`,
/// `secret/<SecretName>`, `secret/*`.
const RESOURCE_PREFIXES: [&str; 2] = ["key/", "secret/"];

/// The rules of `check` beyond the schema; `accessControlRules` is rewritten in its canonical
/// form (see `access_control`).
pub(super) fn check_inputs(inputs: &mut PropertyMap, failures: &mut Vec<CheckFailure>) {
    check_name(inputs, "policyName", failures);
    check_not_blank(inputs, "kmsInstanceId", failures);
    // An empty list and a repeated permission are accepted: KMS takes both (Terraform's
    // acceptance tests, docs/kms-api.md §3.3), and the permissions are compared as a set.
    let permissions = ListRule {
        may_be_empty: true,
        may_repeat: true,
    };
    check_list(
        inputs,
        "permissions",
        "permission",
        permissions,
        failures,
        |text| {
            (!PERMISSION_TEMPLATES.contains(&text)).then(|| {
                format!(
                    "{text:?} is not a permission KMS grants; use {}",
                    PERMISSION_TEMPLATES.join(" or ")
                )
            })
        },
    );
    check_list(
        inputs,
        "resources",
        "resource",
        ListRule::STRICT,
        failures,
        |text| {
            let fits = RESOURCE_PREFIXES.iter().any(|prefix| {
                text.strip_prefix(prefix)
                    .is_some_and(|rest| !rest.trim().is_empty())
            });
            (!fits).then(|| {
            format!("{text:?} is not a KMS resource; write key/<KeyId>, key/*, secret/<SecretName> or secret/*")
        })
        },
    );
    if let Some(value) = inputs.get_mut("accessControlRules") {
        if let Some(text) = value.as_str() {
            match access_control::parse(text) {
                Ok(names) => *value = value.with_string(access_control::canonical(&names)),
                Err(reason) => failures.push(CheckFailure::new("accessControlRules", reason)),
            }
        }
    }
}

/// What a policy's list may be besides its items' own rule.
#[derive(Clone, Copy)]
struct ListRule {
    may_be_empty: bool,
    may_repeat: bool,
}

impl ListRule {
    /// At least one item, each listed once.
    const STRICT: ListRule = ListRule {
        may_be_empty: false,
        may_repeat: false,
    };
}

/// A known list: each item accepted by `problem` (which says what is wrong), and not empty and
/// no item twice unless `rule` allows it.
fn check_list(
    inputs: &PropertyMap,
    property: &str,
    noun: &str,
    rule: ListRule,
    failures: &mut Vec<CheckFailure>,
    problem: impl Fn(&str) -> Option<String>,
) {
    let Some(items) = inputs.get(property).and_then(PropertyValue::as_array) else {
        return;
    };
    if items.is_empty() && !rule.may_be_empty {
        failures.push(CheckFailure::new(
            property,
            format!("{property} must list at least one {noun}"),
        ));
    }
    for (position, item) in items.iter().enumerate() {
        if let Some(reason) = item
            .as_str()
            .filter(|text| !text.trim().is_empty())
            .and_then(&problem)
        {
            let path = format!("{property}[{position}]");
            failures.push(CheckFailure::new(&path, format!("{path}: {reason}")));
        }
    }
    if !rule.may_repeat {
        // Blank items too.
        check_distinct_items(inputs, property, noun, failures);
        return;
    }
    for (position, item) in items.iter().enumerate() {
        if item.as_str().is_some_and(|text| text.trim().is_empty()) {
            let path = format!("{property}[{position}]");
            failures.push(CheckFailure::new(
                &path,
                format!("{path} must not be empty"),
            ));
        }
    }
}

/// The checked inputs of a policy, as the operations use them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyInputs {
    pub name: String,
    pub kms_instance_id: String,
    pub permissions: Vec<String>,
    pub resources: Vec<String>,
    /// The canonical text.
    pub access_control_rules: String,
    pub description: Option<String>,
}

impl PolicyInputs {
    pub fn from_properties(properties: &PropertyMap) -> Result<PolicyInputs, ResourceError> {
        let mut reader = InputReader::new(&DECLARATION, properties);
        let inputs = PolicyInputs {
            name: reader.string("policyName"),
            kms_instance_id: reader.string("kmsInstanceId"),
            permissions: reader.strings("permissions"),
            resources: reader.strings("resources"),
            access_control_rules: access_control::canonical_from_service(
                &reader.string("accessControlRules"),
            ),
            description: reader.optional_string("description"),
        };
        reader.finish(inputs)
    }

    /// Whether an existing policy is exactly what these inputs ask for (lists in any order, the
    /// rules compared in canonical form, an empty description the same as none).
    pub fn matches(&self, existing: &Policy) -> bool {
        self.kms_instance_id == existing.kms_instance
            && same_permissions(&self.permissions, &existing.permissions)
            && same_set(&self.resources, &existing.resources)
            && self.access_control_rules == existing.access_control_rules
            && self.description.as_deref().unwrap_or_default() == existing.description
    }
}

/// Whether two permission lists grant the same: as sets, so that a permission listed twice (which
/// KMS takes, and may or may not keep twice) is no difference.
pub(super) fn same_permissions(left: &[String], right: &[String]) -> bool {
    let set = |items: &[String]| {
        items
            .iter()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
    };
    set(left) == set(right)
}

fn strings(items: &[String]) -> PropertyValue {
    PropertyValue::Array(items.iter().cloned().map(PropertyValue::String).collect())
}

/// The properties (and inputs) of a policy as KMS describes it; an empty description is absent.
pub(super) fn properties_of(policy: &Policy) -> PropertyMap {
    let mut properties = PropertyMap::from([
        (
            "policyName".to_owned(),
            PropertyValue::String(policy.name.clone()),
        ),
        (
            "kmsInstanceId".to_owned(),
            PropertyValue::String(policy.kms_instance.clone()),
        ),
        ("permissions".to_owned(), strings(&policy.permissions)),
        ("resources".to_owned(), strings(&policy.resources)),
        (
            "accessControlRules".to_owned(),
            PropertyValue::String(policy.access_control_rules.clone()),
        ),
    ]);
    if !policy.description.is_empty() {
        properties.insert(
            "description".to_owned(),
            PropertyValue::String(policy.description.clone()),
        );
    }
    properties
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            request_id: "r".into(),
            name: "p".into(),
            kms_instance: "kst-1".into(),
            permissions: vec![
                PERMISSION_TEMPLATES[0].into(),
                PERMISSION_TEMPLATES[1].into(),
            ],
            resources: vec!["key/*".into()],
            access_control_rules: access_control::canonical(&["rule".into()]),
            description: String::new(),
        }
    }

    #[test]
    fn matching_ignores_list_order_and_an_empty_description() {
        let inputs = PolicyInputs {
            name: "p".into(),
            kms_instance_id: "kst-1".into(),
            permissions: vec![
                PERMISSION_TEMPLATES[1].into(),
                PERMISSION_TEMPLATES[0].into(),
            ],
            resources: vec!["key/*".into()],
            access_control_rules: r#"{"NetworkRules":["rule"]}"#.into(),
            description: None,
        };
        assert!(inputs.matches(&policy()));
        for other in [
            Policy {
                kms_instance: "kst-2".into(),
                ..policy()
            },
            Policy {
                resources: vec!["secret/*".into()],
                ..policy()
            },
            Policy {
                access_control_rules: access_control::canonical(&[]),
                ..policy()
            },
            Policy {
                description: "d".into(),
                ..policy()
            },
        ] {
            assert!(!inputs.matches(&other), "{other:?}");
        }
    }
}
