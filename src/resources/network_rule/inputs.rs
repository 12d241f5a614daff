//! The inputs of a network rule: the rules of `check`, the checked inputs as the operations use
//! them, and the properties of a rule as KMS describes it.

use std::net::Ipv4Addr;

use super::super::check_not_blank;
use super::super::error::{CheckFailure, ResourceError};
use super::super::named_resource::{check_distinct_items, same_set, InputReader};
use super::super::property::{PropertyMap, PropertyValue};
use super::kms::NetworkRule;
use super::RULES;

/// At most this many addresses and CIDR blocks in one rule (documented for the console and
/// Resource Orchestration Service: "up to 800", docs/kms-api.md §3.4).
pub const MAX_SOURCE_PRIVATE_IPS: usize = 800;

/// The rules of `check` beyond the schema: a non-blank name, one to 800 distinct IPv4 addresses
/// or CIDR blocks.
pub(super) fn check_inputs(inputs: &mut PropertyMap, failures: &mut Vec<CheckFailure>) {
    check_not_blank(inputs, "networkRuleName", failures);
    let Some(items) = inputs
        .get("sourcePrivateIps")
        .and_then(PropertyValue::as_array)
    else {
        return;
    };
    // The number of addresses is known even when some are not (preview).
    if items.is_empty() || items.len() > MAX_SOURCE_PRIVATE_IPS {
        failures.push(CheckFailure::new(
            "sourcePrivateIps",
            format!(
                "sourcePrivateIps must list 1 to {MAX_SOURCE_PRIVATE_IPS} private IPv4 addresses or CIDR blocks, \
                 not {}",
                items.len()
            ),
        ));
    }
    for (position, item) in items.iter().enumerate() {
        let Some(text) = item.as_str() else {
            continue;
        };
        if !text.trim().is_empty() && !is_ipv4_or_cidr(text) {
            let path = format!("sourcePrivateIps[{position}]");
            failures.push(CheckFailure::new(
                &path,
                format!(
                    "{path} ({text:?}) is not an IPv4 address or CIDR block; write it like 192.168.0.10 or \
                     192.168.0.0/24, without spaces"
                ),
            ));
        }
    }
    check_distinct_items(inputs, "sourcePrivateIps", "address", failures);
}

/// `a.b.c.d` or `a.b.c.d/n` with `n` from 0 to 32, in the form KMS accepts (no spaces).
pub fn is_ipv4_or_cidr(text: &str) -> bool {
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text, None),
    };
    let prefix_fits = prefix.is_none_or(|prefix| {
        !prefix.is_empty()
            && prefix.chars().all(|digit| digit.is_ascii_digit())
            && prefix.parse::<u8>().is_ok_and(|bits| bits <= 32)
    });
    prefix_fits && address.parse::<Ipv4Addr>().is_ok()
}

/// The checked inputs of a network rule, as the operations use them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkRuleInputs {
    pub name: String,
    pub source_private_ips: Vec<String>,
    pub description: Option<String>,
}

impl NetworkRuleInputs {
    pub fn from_properties(properties: &PropertyMap) -> Result<NetworkRuleInputs, ResourceError> {
        let mut reader = InputReader::new(&RULES, properties);
        let inputs = NetworkRuleInputs {
            name: reader.string("networkRuleName"),
            source_private_ips: reader.strings("sourcePrivateIps"),
            description: reader.optional_string("description"),
        };
        reader.finish(inputs)
    }

    /// Whether an existing rule is exactly what these inputs ask for (addresses in any order, an
    /// empty description the same as none).
    pub fn matches(&self, existing: &NetworkRule) -> bool {
        same_set(&self.source_private_ips, &existing.source_private_ips)
            && self.description.as_deref().unwrap_or_default() == existing.description
    }
}

/// The properties (and inputs) of a rule as KMS describes it; an empty description is absent.
pub(super) fn properties_of(rule: &NetworkRule) -> PropertyMap {
    let mut properties = PropertyMap::new();
    properties.insert(
        "networkRuleName".to_owned(),
        PropertyValue::String(rule.name.clone()),
    );
    properties.insert(
        "sourcePrivateIps".to_owned(),
        PropertyValue::Array(
            rule.source_private_ips
                .iter()
                .cloned()
                .map(PropertyValue::String)
                .collect(),
        ),
    );
    if !rule.description.is_empty() {
        properties.insert(
            "description".to_owned(),
            PropertyValue::String(rule.description.clone()),
        );
    }
    properties
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_cidr_blocks_are_ipv4() {
        for good in [
            "10.10.10.10",
            "192.168.0.0/24",
            "0.0.0.0/0",
            "100.177.24.254/32",
        ] {
            assert!(is_ipv4_or_cidr(good), "{good}");
        }
        for bad in [
            "10.10.10.300",
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0.0/+8",
            " 10.0.0.1",
            "fe80::1",
            "10.0.0",
            "host.example",
        ] {
            assert!(!is_ipv4_or_cidr(bad), "{bad}");
        }
    }

    #[test]
    fn matching_ignores_order_and_an_empty_description() {
        let inputs = NetworkRuleInputs {
            name: "rule".into(),
            source_private_ips: vec!["10.0.0.2".into(), "10.0.0.1".into()],
            description: None,
        };
        let existing = NetworkRule {
            request_id: "r".into(),
            name: "rule".into(),
            source_private_ips: vec!["10.0.0.1".into(), "10.0.0.2".into()],
            description: String::new(),
        };
        assert!(inputs.matches(&existing));
        let other = NetworkRule {
            description: "x".into(),
            ..existing.clone()
        };
        assert!(!inputs.matches(&other));
        let fewer = NetworkRule {
            source_private_ips: vec!["10.0.0.1".into()],
            ..existing
        };
        assert!(!inputs.matches(&fewer));
    }
}
