//! Auto-naming, as Pulumi does it: a name input the program leaves out is filled in by `check`
//! with the resource's name (the last part of its URN), a dash and seven random hex digits, so
//! that two stacks, or a replacement and the resource it replaces, do not collide.
//!
//! The name must stay the same from one `check` to the next, or every `up` would replace the
//! resource: the engine sends the last checked inputs as `olds`, and a name found there is kept
//! (the Terraform bridge of pulumi-alicloud does the same). When the engine replaces a resource
//! it calls `check` without `olds`, and the name is derived again.
//!
//! A preview and the update after it call `check` separately (with a dynamic-provider host, in
//! separate processes), and must show the same name, so the seven digits are derived from what
//! the engine gives `check`, never drawn at random: the SHA-1 of the engine's `randomSeed` when it
//! sends one; otherwise of the URN (which names the stack, the project, the type and the
//! resource); otherwise, from a dynamic-provider host, which sends neither, of the stack the
//! generated SDKs name in the `__stack` input and the resource name. So two stacks of one program
//! get two names. The cost: without a seed, a replacement the engine forces keeps the same name,
//! so `diff` asks for the old rule to be deleted first (the name is the identity).
//!
//! The resource name comes from the `urn`, else from the `name` param (Pulumi's
//! `CheckRequest.name`), else from the `__resourceName` input (the generated SDKs set it: Pulumi's
//! dynamic-provider hosts pass neither a URN nor a name to `check`).

use sha1::{Digest, Sha1};

use crate::resources::{CheckFailure, PropertyMap, PropertyValue};

/// The number of random hex digits after the resource name.
pub const RANDOM_SUFFIX_LENGTH: usize = 7;

/// The input in which the generated SDKs pass the resource name (engine metadata, never a
/// property: names starting with `__` pass through `check` untouched).
pub const RESOURCE_NAME_INPUT: &str = "__resourceName";

/// The input in which the generated SDKs pass the stack (`<project>/<stack>`), engine metadata
/// like [`RESOURCE_NAME_INPUT`].
pub const STACK_INPUT: &str = "__stack";

/// What a `check` knows besides the new inputs.
#[derive(Clone, Copy, Debug, Default)]
pub struct NamingContext<'a> {
    /// The resource's name in the program (the last part of its URN).
    pub resource_name: Option<&'a str>,
    /// The URN, when the engine sent one.
    pub urn: Option<&'a str>,
    /// The stack, when the generated SDKs name it (`__stack`).
    pub stack: Option<&'a str>,
    /// The last checked inputs, from the engine's state.
    pub olds: Option<&'a PropertyMap>,
    /// The engine's `randomSeed`.
    pub random_seed: Option<&'a [u8]>,
}

impl NamingContext<'_> {
    /// What the digits of a new name are derived from: the seed, else the URN, else the stack and
    /// the resource name (each part ended by a NUL, so that no two pairs give one text).
    fn seed(&self, resource_name: &str) -> Vec<u8> {
        if let Some(seed) = self.random_seed.filter(|seed| !seed.is_empty()) {
            return seed.to_vec();
        }
        if let Some(urn) = self.urn.filter(|urn| !urn.is_empty()) {
            return urn.as_bytes().to_vec();
        }
        format!("{}\0{resource_name}\0", self.stack.unwrap_or_default()).into_bytes()
    }
}

/// Fills `property` when the inputs leave it out: from `olds`, or a new name. Reports a failure
/// when there is no resource name to derive one from.
pub fn fill_auto_name(
    property: &str,
    inputs: &mut PropertyMap,
    context: &NamingContext<'_>,
    failures: &mut Vec<CheckFailure>,
) {
    if inputs.get(property).is_some_and(|value| !value.is_null()) {
        return;
    }
    let kept = context
        .olds
        .and_then(|olds| olds.get(property))
        .map(PropertyValue::unwrap_secret)
        .and_then(PropertyValue::as_str)
        .filter(|name| !name.is_empty());
    let name = match (kept, context.resource_name.filter(|name| !name.is_empty())) {
        (Some(kept), _) => kept.to_owned(),
        (None, Some(resource_name)) => auto_name(resource_name, &context.seed(resource_name)),
        (None, None) => {
            failures.push(CheckFailure::new(
                property,
                format!(
                    "{property} is not set, and there is no resource name to derive one from (send urn or name \
                     with check); set {property}"
                ),
            ));
            return;
        }
    };
    inputs.insert(property.to_owned(), PropertyValue::String(name));
}

/// `<resource name>-<seven hex digits>`, the digits the start of the SHA-1 of `seed`.
pub fn auto_name(resource_name: &str, seed: &[u8]) -> String {
    let digest = Sha1::digest(seed);
    let hex: String = digest[..4]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("{resource_name}-{}", &hex[..RANDOM_SUFFIX_LENGTH])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(inputs: &mut PropertyMap, context: &NamingContext<'_>) -> Vec<CheckFailure> {
        let mut failures = Vec::new();
        fill_auto_name("ruleName", inputs, context, &mut failures);
        failures
    }

    #[test]
    fn a_new_name_is_the_resource_name_and_seven_hex_digits_of_the_seed() {
        let name = auto_name("rule", b"seed");
        let (prefix, suffix) = name.rsplit_once('-').unwrap();
        assert_eq!(prefix, "rule");
        assert_eq!(suffix.len(), RANDOM_SUFFIX_LENGTH);
        assert!(suffix
            .chars()
            .all(|digit| digit.is_ascii_hexdigit() && !digit.is_ascii_uppercase()));
        assert_eq!(auto_name("rule", b"seed"), auto_name("rule", b"seed"));
        assert_ne!(auto_name("rule", b"seed"), auto_name("rule", b"other"));
        // SHA-1 of "seed" starts with 92713d47.
        assert_eq!(name, "rule-92713d4");
    }

    #[test]
    fn a_preview_and_the_update_after_it_derive_the_same_name_from_what_check_gets() {
        let named = |context: NamingContext<'_>| {
            let mut inputs = PropertyMap::new();
            assert!(fill(&mut inputs, &context).is_empty());
            inputs["ruleName"].as_str().unwrap().to_owned()
        };
        let seeded = NamingContext {
            resource_name: Some("rule"),
            urn: Some("urn:pulumi:dev::demo::t::rule"),
            random_seed: Some(b"seed"),
            ..NamingContext::default()
        };
        // The seed wins, then the URN, then the SDK's stack and the resource name.
        assert_eq!(named(seeded), "rule-92713d4");
        let by_urn = NamingContext {
            random_seed: None,
            ..seeded
        };
        assert_eq!(named(by_urn), named(by_urn));
        let other_stack = NamingContext {
            urn: Some("urn:pulumi:prod::demo::t::rule"),
            ..by_urn
        };
        assert_ne!(named(by_urn), named(other_stack));
        let dynamic_host = NamingContext {
            resource_name: Some("rule"),
            stack: Some("demo/dev"),
            ..NamingContext::default()
        };
        assert_eq!(named(dynamic_host), named(dynamic_host));
        let prod = NamingContext {
            stack: Some("demo/prod"),
            ..dynamic_host
        };
        assert_ne!(named(dynamic_host), named(prod));
    }

    #[test]
    fn a_name_in_the_inputs_wins_then_one_in_the_olds() {
        let olds = PropertyMap::from([(
            "ruleName".to_owned(),
            PropertyValue::String("rule-1234567".into()),
        )]);
        let context = NamingContext {
            resource_name: Some("rule"),
            olds: Some(&olds),
            ..NamingContext::default()
        };
        let mut given =
            PropertyMap::from([("ruleName".to_owned(), PropertyValue::String("mine".into()))]);
        assert!(fill(&mut given, &context).is_empty());
        assert_eq!(given["ruleName"].as_str(), Some("mine"));
        let mut left_out = PropertyMap::new();
        assert!(fill(&mut left_out, &context).is_empty());
        assert_eq!(left_out["ruleName"].as_str(), Some("rule-1234567"));
    }

    #[test]
    fn without_a_resource_name_the_failure_says_what_to_set() {
        let mut inputs = PropertyMap::new();
        let failures = fill(&mut inputs, &NamingContext::default());
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].property, "ruleName");
        assert!(failures[0].reason.ends_with("set ruleName"), "{failures:?}");
        assert!(inputs.is_empty());
    }
}
