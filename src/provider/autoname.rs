//! Auto-naming, as Pulumi does it: a name input the program leaves out is filled in by `check`
//! with the resource's name (the last part of its URN), a dash and seven random hex digits, so
//! that two stacks, or a replacement and the resource it replaces, do not collide.
//!
//! The name must stay the same from one `check` to the next, or every `up` would replace the
//! resource: the engine sends the last checked inputs as `olds`, and a name found there is kept
//! (the Terraform bridge of pulumi-alicloud does the same). When the engine replaces a resource
//! it calls `check` without `olds`, so the replacement gets a new name. The random digits are a
//! function of the engine's `randomSeed` when it sends one (so a preview and the update that
//! follows it agree), and come from the operating system otherwise.
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

/// What a `check` knows besides the new inputs.
#[derive(Clone, Copy, Debug, Default)]
pub struct NamingContext<'a> {
    /// The resource's name in the program (the last part of its URN).
    pub resource_name: Option<&'a str>,
    /// The last checked inputs, from the engine's state.
    pub olds: Option<&'a PropertyMap>,
    /// The engine's `randomSeed`.
    pub random_seed: Option<&'a [u8]>,
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
        (None, Some(resource_name)) => auto_name(resource_name, context.random_seed),
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

/// `<resource name>-<seven hex digits>`.
pub fn auto_name(resource_name: &str, random_seed: Option<&[u8]>) -> String {
    let bytes: [u8; 4] = match random_seed.filter(|seed| !seed.is_empty()) {
        Some(seed) => {
            let digest = Sha1::digest(seed);
            [digest[0], digest[1], digest[2], digest[3]]
        }
        None => {
            let mut bytes = [0u8; 4];
            // Without an OS random source a name could repeat; the clock still varies it.
            if getrandom::fill(&mut bytes).is_err() {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|elapsed| elapsed.subsec_nanos())
                    .unwrap_or_default();
                bytes = nanos.to_le_bytes();
            }
            bytes
        }
    };
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
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
    fn a_new_name_is_the_resource_name_and_seven_hex_digits() {
        let name = auto_name("rule", None);
        let (prefix, suffix) = name.rsplit_once('-').unwrap();
        assert_eq!(prefix, "rule");
        assert_eq!(suffix.len(), RANDOM_SUFFIX_LENGTH);
        assert!(suffix
            .chars()
            .all(|digit| digit.is_ascii_hexdigit() && !digit.is_ascii_uppercase()));
        // Random without a seed (two equal draws of 28 bits in a row are vanishingly unlikely).
        assert!((0..4).any(|_| auto_name("rule", None) != name));
    }

    #[test]
    fn a_seed_makes_the_name_deterministic() {
        assert_eq!(
            auto_name("rule", Some(b"seed")),
            auto_name("rule", Some(b"seed"))
        );
        assert_ne!(
            auto_name("rule", Some(b"seed")),
            auto_name("rule", Some(b"other"))
        );
        // SHA-1 of "seed" starts with 92713d47.
        assert_eq!(auto_name("rule", Some(b"seed")), "rule-92713d4");
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
            random_seed: None,
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
