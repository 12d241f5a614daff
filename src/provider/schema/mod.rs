//! The published package schema: its exact text (what `getSchema` returns), how it is generated
//! (`generate`: the package's own part and the resources' declarations), and the provider
//! settings as `checkConfig` reads them from the package's own part.
//!
//! `schema/schema.json` is compiled into the binary, so the provider can never disagree with the
//! schema it publishes; a test holds the file and the declarations together.

pub mod generate;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::resources::declaration::{Property, ValueType};

/// The schema exactly as published, byte for byte.
pub const SCHEMA_TEXT: &str = include_str!("../../../schema/schema.json");

/// The provider's settings (the schema's `provider.inputProperties`), as `check` reads a
/// resource's properties: names, types and secrets. Read from the package's own part once.
pub fn provider_settings() -> &'static [Property] {
    static SETTINGS: OnceLock<Vec<Property>> = OnceLock::new();
    // The text is compiled in and a unit test reads it, so failing here is a build defect.
    SETTINGS.get_or_init(|| {
        parse_settings(generate::PACKAGE_TEXT).expect("the provider settings of package.json parse")
    })
}

#[derive(Debug, thiserror::Error)]
#[error("src/provider/schema/package.json cannot be used: {0}")]
pub struct SchemaError(String);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPackage {
    provider: RawProvider,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProvider {
    #[serde(default)]
    input_properties: BTreeMap<String, RawProperty>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProperty {
    #[serde(rename = "type")]
    type_name: Option<String>,
    items: Option<Box<RawProperty>>,
    additional_properties: Option<Box<RawProperty>>,
    #[serde(rename = "$ref")]
    reference: Option<String>,
    #[serde(default)]
    secret: bool,
}

/// The settings, in the order of their names (the order `check` lists them in). Their names and
/// types are leaked once per process: a handful of short strings, so that settings and resource
/// properties are one type.
fn parse_settings(text: &str) -> Result<Vec<Property>, SchemaError> {
    let raw: RawPackage =
        serde_json::from_str(text).map_err(|error| SchemaError(error.to_string()))?;
    raw.provider
        .input_properties
        .into_iter()
        .map(|(name, raw)| {
            let value_type = convert_type(&raw)?;
            let property = Property::new(String::leak(name), value_type, false, raw.secret, "");
            Ok(property)
        })
        .collect()
}

fn convert_type(raw: &RawProperty) -> Result<ValueType, SchemaError> {
    let leaked = |value_type: ValueType| -> &'static ValueType { Box::leak(Box::new(value_type)) };
    if let Some(reference) = &raw.reference {
        // Object types defined elsewhere are not looked into; `check` accepts any value there.
        return if reference.ends_with("#/Any") || reference.contains("#/types/") {
            Ok(ValueType::Any)
        } else {
            Err(SchemaError(format!("unsupported $ref {reference}")))
        };
    }
    match raw.type_name.as_deref() {
        Some("string") => Ok(ValueType::String),
        Some("boolean") => Ok(ValueType::Boolean),
        Some("integer") => Ok(ValueType::Integer),
        Some("number") => Ok(ValueType::Number),
        Some("array") => {
            let items = raw
                .items
                .as_deref()
                .ok_or_else(|| SchemaError("an array property without items".into()))?;
            Ok(ValueType::Array(leaked(convert_type(items)?)))
        }
        Some("object") => match raw.additional_properties.as_deref() {
            Some(values) => Ok(ValueType::Map(leaked(convert_type(values)?))),
            None => Ok(ValueType::Map(&ValueType::Any)),
        },
        other => Err(SchemaError(format!("unsupported property type {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_settings_parse_with_their_secrets_and_types() {
        let settings = provider_settings();
        let setting = |name: &str| {
            settings
                .iter()
                .find(|setting| setting.name == name)
                .unwrap()
        };
        assert!(setting("secretKey").secret);
        assert!(!setting("region").secret);
        assert_eq!(setting("region").value_type, ValueType::String);
        assert_eq!(
            setting("assumeRole").value_type,
            ValueType::Map(&ValueType::Any)
        );
        let names: Vec<&str> = settings.iter().map(|setting| setting.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }

    #[test]
    fn types_describe_themselves_for_messages() {
        assert_eq!(
            ValueType::Array(&ValueType::String).describe(),
            "an array of strings"
        );
        assert_eq!(
            ValueType::Map(&ValueType::Any).describe(),
            "an object of values"
        );
    }

    #[test]
    fn the_schema_version_is_the_crate_version() {
        let schema: serde_json::Value = serde_json::from_str(SCHEMA_TEXT).unwrap();
        assert_eq!(schema["version"], env!("CARGO_PKG_VERSION"));
    }
}
