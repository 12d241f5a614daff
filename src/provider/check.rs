//! The schema-driven `check`: unknown property names (with a suggestion), types, required inputs
//! and secrets, read from the schema; then the resource's own rules. Every failure is collected and
//! returned as data, never as an error.

use crate::resources::declaration::{Property, ValueType};
use crate::resources::{CheckFailure, PropertyMap, PropertyValue, RegisteredResource};

use super::autoname::{fill_auto_name, NamingContext};
use super::suggest::closest_name;

/// The checked inputs and every failure found.
#[derive(Clone, Debug, Default)]
pub struct CheckOutcome {
    pub inputs: PropertyMap,
    pub failures: Vec<CheckFailure>,
    /// What the user should know although the inputs pass; the provider sends each as a `log`
    /// warning.
    pub warnings: Vec<String>,
}

/// True for the names an engine adds to inputs for its own use (`__defaults`, `__provider`):
/// they are passed through untouched instead of being reported as unknown properties.
pub fn is_engine_metadata(name: &str) -> bool {
    name.starts_with("__")
}

/// Checks a resource's new inputs: the schema first, then the auto-named input (when `naming` is
/// given: a `check` from the engine, not the re-check of `create` and `update`), then the
/// resource's rules.
pub fn check_resource(
    resource: &dyn RegisteredResource,
    news: PropertyMap,
    naming: Option<&NamingContext<'_>>,
) -> CheckOutcome {
    let declaration = resource.declaration();
    let properties = declaration.properties;
    let mut outcome = check_against_schema(properties, declaration.name, news);
    if let (Some(property), Some(naming)) = (declaration.auto_named(), naming) {
        fill_auto_name(
            property.name,
            &mut outcome.inputs,
            naming,
            &mut outcome.failures,
        );
    }
    resource.check_inputs(
        &mut outcome.inputs,
        &mut outcome.failures,
        &mut outcome.warnings,
    );
    mark_secrets(properties, &mut outcome.inputs);
    outcome
}

/// The checks every object gets from its schema: names, nulls (dropped: null means absent),
/// types and required inputs. `subject` names the object in messages ("ClientKey").
///
/// Secrets are not marked here but by [`mark_secrets`], after the rules have normalised values.
pub fn check_against_schema(
    properties: &[Property],
    subject: &str,
    news: PropertyMap,
) -> CheckOutcome {
    // The inputs are the news, kept in place (in the order of their names) less what is dropped.
    let mut inputs = news;
    let mut failures = Vec::new();
    inputs.retain(|name, value| {
        if is_engine_metadata(name) {
            return true;
        }
        let Some(property) = input(properties, name) else {
            failures.push(unknown_property_failure(properties, subject, name));
            return false;
        };
        if value.is_null() {
            return false;
        }
        check_type(&|| name.clone(), value, &property.value_type, &mut failures);
        true
    });
    let mut missing: Vec<&str> = properties
        .iter()
        .filter(|property| property.required && !inputs.contains_key(property.name))
        .map(|property| property.name)
        .collect();
    // In the order of their names, as the engine's own messages list properties.
    missing.sort_unstable();
    for required in missing {
        failures.push(CheckFailure::new(
            required,
            format!("{required} is required; set it on the {subject}"),
        ));
    }
    CheckOutcome {
        inputs,
        failures,
        warnings: Vec::new(),
    }
}

/// Wraps every known value of a secret property as a secret, whether or not it arrived wrapped,
/// so the engine keeps it encrypted in state. Unknown values stay as they are.
pub fn mark_secrets(properties: &[Property], inputs: &mut PropertyMap) {
    for (name, value) in inputs.iter_mut() {
        let is_secret = input(properties, name).is_some_and(|property| property.secret);
        if is_secret && !value.is_unknown() && !value.is_secret() {
            let plain = std::mem::replace(value, PropertyValue::Null);
            *value = plain.into_secret();
        }
    }
}

/// The input property with this name.
fn input<'a>(properties: &'a [Property], name: &str) -> Option<&'a Property> {
    properties
        .iter()
        .find(|property| property.name == name && property.is_input())
}

fn unknown_property_failure(properties: &[Property], subject: &str, name: &str) -> CheckFailure {
    if properties.iter().any(|property| property.name == name) {
        return CheckFailure::new(
            name,
            format!(
                "{name} is an output of {subject}, set by the provider; remove it from the inputs"
            ),
        );
    }
    // In the order of their names, so that the suggestion and the list never depend on the
    // order of the declaration.
    let mut known: Vec<&str> = properties
        .iter()
        .filter(|property| property.is_input())
        .map(|property| property.name)
        .collect();
    known.sort_unstable();
    let reason = match closest_name(name, known.iter().copied()) {
        Some(suggestion) => {
            format!("unknown property {name} on the {subject}; did you mean {suggestion}?")
        }
        None => format!(
            "unknown property {name} on the {subject}; the properties are {}",
            known.join(", ")
        ),
    };
    CheckFailure::new(name, reason)
}

/// Verifies a value against its schema type; an unknown value fits any type.
/// `path` writes the value's path, for a failure only (most values have none).
fn check_type(
    path: &dyn Fn() -> String,
    value: &PropertyValue,
    expected: &ValueType,
    failures: &mut Vec<CheckFailure>,
) {
    let value = value.unwrap_secret();
    let fits = match (expected, value) {
        (_, PropertyValue::Unknown(_)) | (ValueType::Any, _) => true,
        (ValueType::String, PropertyValue::String(_)) => true,
        (ValueType::Boolean, PropertyValue::Bool(_)) => true,
        (ValueType::Number, PropertyValue::Number(_)) => true,
        (ValueType::Integer, PropertyValue::Number(number)) => {
            number.is_i64()
                || number.is_u64()
                || number.as_f64().is_some_and(|float| float.fract() == 0.0)
        }
        (ValueType::Array(item_type), PropertyValue::Array(items)) => {
            for (position, item) in items.iter().enumerate() {
                check_type(
                    &|| format!("{}[{position}]", path()),
                    item,
                    item_type,
                    failures,
                );
            }
            true
        }
        (ValueType::Map(value_type), PropertyValue::Object(entries)) => {
            for (key, entry) in entries {
                check_type(&|| format!("{}.{key}", path()), entry, value_type, failures);
            }
            true
        }
        _ => false,
    };
    if !fits {
        let path = path();
        failures.push(CheckFailure::new(
            &path,
            format!(
                "{path} must be {}, not {}",
                expected.describe(),
                value.type_description()
            ),
        ));
    }
}
