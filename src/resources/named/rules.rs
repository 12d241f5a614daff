//! The rules of a name the program chooses: what KMS holds in a name (`check`), the id that is
//! the name (before `read`, `update` and `delete`), a list whose items must each appear once, and
//! the `pulumi import` command the errors suggest.

use super::super::declaration::{article, Declaration};
use super::super::error::{CheckFailure, ResourceError};
use super::super::property::{PropertyMap, PropertyValue};

/// The longest name of an access point, a policy or a network rule, and the characters a name may
/// have besides ASCII letters and digits. No public source states them; these are the choices of
/// docs/kms-api.md §9 (every documented name, `aap_test`, `policy_test`, `networkrule_test`,
/// `kst-hzz62ee817bvyyr5x****.efkd`, fits), the same as the emulator's.
pub const NAME_MAX_LENGTH: usize = 128;
/// See [`NAME_MAX_LENGTH`].
pub const NAME_EXTRA_CHARACTERS: &str = "_./-";

/// Checks a known name input (`networkRuleName`, `policyName`, `applicationAccessPointName`):
/// not blank, at most [`NAME_MAX_LENGTH`] characters of ASCII letters, digits and
/// [`NAME_EXTRA_CHARACTERS`]. The reason never quotes a long name whole.
pub fn check_name(inputs: &PropertyMap, property: &str, failures: &mut Vec<CheckFailure>) {
    let Some(name) = inputs.get(property).and_then(PropertyValue::as_str) else {
        return;
    };
    if name.trim().is_empty() {
        failures.push(CheckFailure::new(
            property,
            format!("{property} must not be empty"),
        ));
        return;
    }
    let length = name.chars().count();
    let others = name
        .chars()
        .filter(|character| {
            !character.is_ascii_alphanumeric() && !NAME_EXTRA_CHARACTERS.contains(*character)
        })
        .count();
    let mut problems = Vec::new();
    if length > NAME_MAX_LENGTH {
        problems.push(format!("has {length} characters"));
    }
    if others > 0 {
        let first = name
            .chars()
            .find(|character| {
                !character.is_ascii_alphanumeric() && !NAME_EXTRA_CHARACTERS.contains(*character)
            })
            .expect("one was counted");
        let shown = match first {
            ' ' => "a space".to_owned(),
            _ if first.is_control() || first.is_whitespace() => {
                format!("U+{:04X}", u32::from(first))
            }
            _ => format!("'{first}'"),
        };
        problems.push(format!(
            "has {others} character(s) KMS does not take in a name, such as {shown}"
        ));
    }
    if !problems.is_empty() {
        failures.push(CheckFailure::new(
            property,
            format!(
                "{property} {}; a name has 1 to {NAME_MAX_LENGTH} characters: letters, digits and {}",
                problems.join(" and "),
                NAME_EXTRA_CHARACTERS
                    .chars()
                    .map(|character| format!("`{character}`"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        ));
    }
}

/// Checks that `id` can be the name of a resource of `declaration` (whose identity property names
/// it) and agrees with the state.
pub fn check_name_id(
    declaration: &Declaration,
    id: &str,
    state: Option<&PropertyMap>,
) -> Result<(), ResourceError> {
    let resource = declaration.name;
    let invalid = |message: String| ResourceError::InvalidId { resource, message };
    let property = declaration
        .identity()
        .map_or("name", |property| property.name);
    if id
        .chars()
        .any(|character| character.is_whitespace() || character.is_control())
    {
        return Err(invalid(format!(
            "{id:?} is not {} {resource} id: the id is its name ({property}), which has no spaces or \
             control characters",
            article(resource)
        )));
    }
    if let Some(name) = state
        .and_then(|state| state.get(property))
        .and_then(PropertyValue::as_str)
    {
        if name != id {
            return Err(invalid(format!(
                "the id {id:?} and {property} {name:?} of the state disagree; the id of {} {resource} is its \
                 name, so pass the state that belongs to this id",
                article(resource)
            )));
        }
    }
    Ok(())
}

/// The strings of a known list of strings (secrets unwrapped), for a resource's `same_meaning`.
pub fn list_of_strings(value: &PropertyValue) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|item| item.unwrap_secret().as_str().map(str::to_owned))
        .collect()
}

/// Whether two lists hold the same items, in any order.
pub fn same_set(left: &[String], right: &[String]) -> bool {
    let mut left: Vec<&String> = left.iter().collect();
    let mut right: Vec<&String> = right.iter().collect();
    left.sort();
    right.sort();
    left == right
}

/// Reports the items of a known list that repeat an earlier one (`property[2] repeats
/// property[0] ("x")`), and blank items.
pub fn check_distinct_items(
    inputs: &PropertyMap,
    property: &str,
    noun: &str,
    failures: &mut Vec<CheckFailure>,
) {
    let Some(items) = inputs.get(property).and_then(PropertyValue::as_array) else {
        return;
    };
    let mut first_position: std::collections::BTreeMap<&str, usize> = Default::default();
    for (position, item) in items.iter().enumerate() {
        let Some(text) = item.as_str() else {
            continue;
        };
        // Written only for a failure: most lists have none.
        let path = || format!("{property}[{position}]");
        if text.trim().is_empty() {
            let path = path();
            failures.push(CheckFailure::new(
                &path,
                format!("{path} must not be empty"),
            ));
        } else if let Some(first) = first_position.get(text) {
            let path = path();
            failures.push(CheckFailure::new(
                &path,
                format!("{path} repeats {property}[{first}] (\"{text}\"); list each {noun} once"),
            ));
        } else {
            first_position.insert(text, position);
        }
    }
}

/// The resource name of a URN, for the `pulumi import` suggestions, or a placeholder.
pub fn resource_name_of(urn: Option<&str>) -> &str {
    urn.and_then(|urn| urn.rsplit("::").next())
        .filter(|name| !name.is_empty() && !name.starts_with("urn:"))
        .unwrap_or("<resource-name>")
}

/// `pulumi import <token> <resource name> <id>`.
pub fn import_command(token: &str, urn: Option<&str>, id: &str) -> String {
    format!("pulumi import {token} {} {id}", resource_name_of(urn))
}

#[cfg(test)]
mod tests {
    use super::*;

    const THING: Declaration = Declaration {
        token: "test:index:Thing",
        name: "Thing",
        noun: "thing",
        description: "",
        properties: &[crate::resources::declaration::Property::new(
            "thingName",
            crate::resources::declaration::ValueType::String,
            true,
            false,
            "",
        )
        .identity()],
    };

    #[test]
    fn names_are_what_kms_holds() {
        let check = |name: &str| {
            let inputs = PropertyMap::from([(
                "thingName".to_owned(),
                PropertyValue::String(name.to_owned()),
            )]);
            let mut failures = Vec::new();
            check_name(&inputs, "thingName", &mut failures);
            failures
                .into_iter()
                .map(|failure| failure.reason)
                .collect::<Vec<_>>()
        };
        for good in [
            "aap_test",
            "kst-hzz62ee817bvyyr5x.efkd",
            "a/b",
            &"n".repeat(128),
        ] {
            assert_eq!(check(good), Vec::<String>::new(), "{good}");
        }
        assert_eq!(check(" "), ["thingName must not be empty"]);
        let reasons = check("two words\t");
        assert!(
            reasons[0].starts_with(
                "thingName has 2 character(s) KMS does not take in a name, such as a space;"
            ),
            "{reasons:?}"
        );
        let reasons = check("\u{7}bell");
        assert!(reasons[0].contains("such as U+0007"), "{reasons:?}");
        let long = "n".repeat(60 * 1024);
        let reasons = check(&long);
        assert!(
            reasons[0].starts_with("thingName has 61440 characters;"),
            "{reasons:?}"
        );
        assert!(reasons[0].len() < 200, "the name is never quoted whole");
    }

    #[test]
    fn ids_are_names_that_agree_with_the_state() {
        assert!(check_name_id(&THING, "thing-1", None).is_ok());
        for bad in ["two words", "tab\tbed", "line\n"] {
            let error = check_name_id(&THING, bad, None).unwrap_err();
            assert!(matches!(error, ResourceError::InvalidId { .. }), "{bad}");
        }
        let state = PropertyMap::from([(
            "thingName".to_owned(),
            PropertyValue::String("other".into()),
        )]);
        let error = check_name_id(&THING, "mine", Some(&state)).unwrap_err();
        assert!(error.to_string().contains("disagree"), "{error}");
    }

    #[test]
    fn repeated_and_blank_items_are_reported() {
        let inputs = PropertyMap::from([(
            "items".to_owned(),
            PropertyValue::Array(
                ["a", " ", "a"]
                    .iter()
                    .map(|text| PropertyValue::String((*text).to_owned()))
                    .collect(),
            ),
        )]);
        let mut failures = Vec::new();
        check_distinct_items(&inputs, "items", "item", &mut failures);
        let reasons: Vec<&str> = failures
            .iter()
            .map(|failure| failure.reason.as_str())
            .collect();
        assert_eq!(
            reasons,
            [
                "items[1] must not be empty",
                "items[2] repeats items[0] (\"a\"); list each item once"
            ]
        );
        assert!(same_set(
            &["a".into(), "b".into()],
            &["b".into(), "a".into()]
        ));
        assert!(!same_set(&["a".into()], &["a".into(), "a".into()]));
    }

    #[test]
    fn the_import_command_names_the_resource_from_the_urn() {
        assert_eq!(
            import_command(
                "alicloud-kms:index:Policy",
                Some("urn:pulumi:dev::demo::alicloud-kms:index:Policy::policy"),
                "p"
            ),
            "pulumi import alicloud-kms:index:Policy policy p"
        );
        assert_eq!(
            import_command("alicloud-kms:index:Policy", None, "p"),
            "pulumi import alicloud-kms:index:Policy <resource-name> p"
        );
    }
}
