//! The rules of a permission policy's inputs beyond the declaration and the name: a KMS instance,
//! permissions KMS grants, resources KMS knows, and access control rules in canonical form.

use super::super::check_not_blank;
use super::super::error::CheckFailure;
use super::super::named::check_distinct_items;
use super::super::property::{PropertyMap, PropertyValue};
use super::access_control;
use super::declaration::PROPERTY;

/// The RBAC templates a policy can grant (documented: cryptographic operations, secrets).
pub const PERMISSION_TEMPLATES: [&str; 2] = [
    "RbacPermission/Template/CryptoServiceKeyUser",
    "RbacPermission/Template/CryptoServiceSecretUser",
];

/// The kinds of resource a policy can grant access to: `key/<KeyId>`, `key/*`,
/// `secret/<SecretName>`, `secret/*`.
const RESOURCE_PREFIXES: [&str; 2] = ["key/", "secret/"];

/// The rules of `check` beyond the declaration and the name; `accessControlRules` is rewritten in
/// its canonical form (see `access_control`).
pub(super) fn check_policy(inputs: &mut PropertyMap, failures: &mut Vec<CheckFailure>) {
    check_not_blank(inputs, PROPERTY.kms_instance_id.name, failures);
    // An empty list and a repeated permission are accepted: KMS takes both (Terraform's
    // acceptance tests, docs/kms-api.md §3.3), and the permissions are compared as a set.
    let permissions = ListRule {
        may_be_empty: true,
        may_repeat: true,
    };
    check_list(
        inputs,
        PROPERTY.permissions.name,
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
        PROPERTY.resources.name,
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
    let rules = PROPERTY.access_control_rules.name;
    if let Some(value) = inputs.get_mut(rules) {
        if let Some(text) = value.as_str() {
            match access_control::parse(text) {
                Ok(names) => *value = value.with_string(access_control::canonical(&names)),
                Err(reason) => failures.push(CheckFailure::new(rules, reason)),
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
