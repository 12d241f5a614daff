//! The outputs of the operations, derived from the declaration: what a preview plans, what a
//! create reports (the state the cloud returned, with the write-only inputs as the program gave
//! them), and what a read reports as outputs and as inputs (the write-only properties carried over
//! from the old state and inputs, since the cloud never returns them).
//!
//! Outputs are property maps, not typed values, where the program's values travel on: a secret
//! the program sent stays one, and a preview leaves what the cloud decides unknown.

use super::declaration::{Declaration, Property, ValueType};
use super::property::{PropertyMap, PropertyValue, UnknownKind};

/// Checked inputs as outputs: engine metadata (`__defaults`) and nulls are not outputs.
pub fn known_outputs(properties: PropertyMap) -> PropertyMap {
    properties
        .into_iter()
        .filter(|(name, value)| !name.starts_with("__") && !value.is_null())
        .collect()
}

/// What a preview of `create` plans: the inputs, with what the cloud decides (the outputs only it
/// sets, an input it fills in when the program leaves it out) unknown.
pub fn planned_outputs(declaration: &Declaration, inputs: PropertyMap) -> PropertyMap {
    let mut outputs = known_outputs(inputs);
    for property in declaration.properties {
        let unknown = PropertyValue::Unknown(unknown_kind(&property.value_type));
        if property.output {
            outputs.insert(property.name.to_owned(), unknown);
        } else if property.computed {
            outputs.entry(property.name.to_owned()).or_insert(unknown);
        }
    }
    outputs
}

/// The sentinel of an unknown value of this type.
fn unknown_kind(value_type: &ValueType) -> UnknownKind {
    match value_type {
        ValueType::String => UnknownKind::String,
        ValueType::Boolean => UnknownKind::Bool,
        ValueType::Integer | ValueType::Number => UnknownKind::Number,
        ValueType::Array(_) => UnknownKind::Array,
        ValueType::Map(_) | ValueType::Any => UnknownKind::Object,
    }
}

/// The write-only inputs: the cloud never returns them.
fn write_only(declaration: &Declaration) -> impl Iterator<Item = &'static Property> {
    declaration.inputs().filter(|property| property.write_only)
}

/// What a create reports: the state the cloud returned, and the write-only inputs as the checked
/// inputs hold them.
pub fn created_outputs(
    declaration: &Declaration,
    mut state: PropertyMap,
    inputs: &PropertyMap,
) -> PropertyMap {
    for property in write_only(declaration) {
        if let Some(value) = property.get(inputs) {
            state.insert(property.name.to_owned(), value.clone());
        }
    }
    state
}

/// What a read reports, as outputs and as inputs, from the state the cloud holds (`found`), the
/// old state and the old inputs. The inputs are the state's inputs, except an input the cloud
/// fills in when the program leaves it out: after a refresh it is an input only if the program
/// set it (so that it stays out of the program's inputs), after an import (no old inputs) always.
/// The write-only properties are carried over: as outputs from the old state, else the old
/// inputs; as inputs the other way round. A declared secret stays a secret.
pub fn read_outputs(
    declaration: &Declaration,
    found: PropertyMap,
    old_state: Option<&PropertyMap>,
    old_inputs: Option<&PropertyMap>,
) -> (PropertyMap, PropertyMap) {
    let mut inputs: PropertyMap = found
        .iter()
        .filter(|(name, _)| {
            declaration.property(name).is_some_and(|property| {
                property.is_input()
                    && (!property.computed
                        || old_inputs.is_none_or(|old| property.get(old).is_some()))
            })
        })
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let mut outputs = found;
    let carried = |property: &Property, value: &PropertyValue| match property.secret {
        true => value.clone().into_secret(),
        false => value.clone(),
    };
    for property in write_only(declaration) {
        let from_state = old_state.and_then(|old| property.get(old));
        let from_inputs = old_inputs.and_then(|old| property.get(old));
        if let Some(value) = from_state.or(from_inputs) {
            outputs.insert(property.name.to_owned(), carried(property, value));
        }
        if let Some(value) = from_inputs.or(from_state) {
            inputs.insert(property.name.to_owned(), carried(property, value));
        }
    }
    (outputs, inputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::client_key::declaration::DECLARATION;

    fn text(value: &str) -> PropertyValue {
        PropertyValue::String(value.to_owned())
    }

    #[test]
    fn a_preview_leaves_what_kms_decides_unknown() {
        let properties = PropertyMap::from([
            ("aapName".to_owned(), text("aap")),
            ("password".to_owned(), text("YouPassword123!").into_secret()),
            ("__defaults".to_owned(), PropertyValue::Array(vec![])),
        ]);
        let outputs = planned_outputs(&DECLARATION, properties);
        let names: Vec<&str> = outputs.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["aapName", "createTime", "notAfter", "notBefore", "password"]
        );
        assert!(outputs["createTime"].is_unknown());
        assert!(outputs["notBefore"].is_unknown());
        assert!(outputs["password"].is_secret());
    }

    #[test]
    fn a_read_carries_the_write_only_properties_over_and_reports_inputs_the_program_set() {
        let found = PropertyMap::from([
            ("aapName".to_owned(), text("aap")),
            ("notBefore".to_owned(), text("2023-09-01T14:11:22Z")),
            ("notAfter".to_owned(), text("2028-09-01T14:11:22Z")),
            ("createTime".to_owned(), text("2023-09-01T14:11:22Z")),
        ]);
        let old_state = PropertyMap::from([
            ("password".to_owned(), text("YouPassword123!").into_secret()),
            ("privateKeyDataFile".to_owned(), text("state.json")),
        ]);
        let old_inputs = PropertyMap::from([
            ("password".to_owned(), text("YouPassword123!")),
            ("privateKeyDataFile".to_owned(), text("inputs.json")),
            ("aapName".to_owned(), text("aap")),
        ]);
        let (outputs, inputs) = read_outputs(
            &DECLARATION,
            found.clone(),
            Some(&old_state),
            Some(&old_inputs),
        );
        assert_eq!(outputs["privateKeyDataFile"], text("state.json"));
        assert_eq!(inputs["privateKeyDataFile"], text("inputs.json"));
        assert!(
            inputs["password"].is_secret(),
            "a declared secret stays one"
        );
        assert!(outputs.contains_key("createTime"));
        let names: Vec<&str> = inputs.keys().map(String::as_str).collect();
        assert_eq!(names, ["aapName", "password", "privateKeyDataFile"]);
        // An import reports every input the cloud holds.
        let (_, imported) = read_outputs(&DECLARATION, found, None, None);
        let names: Vec<&str> = imported.keys().map(String::as_str).collect();
        assert_eq!(names, ["aapName", "notAfter", "notBefore"]);
    }
}
