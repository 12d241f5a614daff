//! The published package schema: its exact text (what `getSchema` returns) and the parts of it
//! the `check` and `diff` engine reads (property types, secrets, required inputs, replacements).
//!
//! `schema/schema.json` is the single source of truth; it is compiled into the binary so the
//! provider can never disagree with the schema it publishes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Deserialize;

pub mod generate;

/// The schema exactly as published, byte for byte.
pub const SCHEMA_TEXT: &str = include_str!("../../../schema/schema.json");

/// The type of a property, as far as `check` verifies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PropertyType {
    String,
    Boolean,
    Integer,
    Number,
    Array(Box<PropertyType>),
    /// An object with values of one type (`additionalProperties`).
    Map(Box<PropertyType>),
    /// Anything (`pulumi.json#/Any`, or an object type the engine does not look into).
    Any,
}

impl PropertyType {
    /// The type with an article, for messages ("a string", "an array of strings").
    pub fn describe(&self) -> String {
        match self {
            PropertyType::String => "a string".into(),
            PropertyType::Boolean => "a boolean".into(),
            PropertyType::Integer => "an integer".into(),
            PropertyType::Number => "a number".into(),
            PropertyType::Array(items) => format!("an array of {}", items.describe_plural()),
            PropertyType::Map(values) => format!("an object of {}", values.describe_plural()),
            PropertyType::Any => "any value".into(),
        }
    }

    fn describe_plural(&self) -> String {
        match self {
            PropertyType::String => "strings".into(),
            PropertyType::Boolean => "booleans".into(),
            PropertyType::Integer => "integers".into(),
            PropertyType::Number => "numbers".into(),
            PropertyType::Array(items) => format!("arrays of {}", items.describe_plural()),
            PropertyType::Map(values) => format!("objects of {}", values.describe_plural()),
            PropertyType::Any => "values".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertySchema {
    pub property_type: PropertyType,
    pub secret: bool,
    /// `willReplaceOnChanges` or `replaceOnChanges`: a change replaces the resource.
    pub replace_on_changes: bool,
}

/// The inputs and outputs of a resource (or of the provider's configuration).
#[derive(Clone, Debug, Default)]
pub struct ObjectSchema {
    pub inputs: BTreeMap<String, PropertySchema>,
    pub required_inputs: BTreeSet<String>,
    pub outputs: BTreeMap<String, PropertySchema>,
    pub required_outputs: BTreeSet<String>,
}

impl ObjectSchema {
    /// An optional input that is always an output: when the user leaves it out, the cloud picks
    /// the value (the validity period of a client key). Its absence from the inputs is therefore
    /// never a change.
    pub fn is_filled_by_cloud(&self, property: &str) -> bool {
        self.inputs.contains_key(property)
            && !self.required_inputs.contains(property)
            && self.required_outputs.contains(property)
    }

    /// Names of inputs and outputs together.
    pub fn knows_property(&self, property: &str) -> bool {
        self.inputs.contains_key(property) || self.outputs.contains_key(property)
    }
}

#[derive(Clone, Debug)]
pub struct PackageSchema {
    pub name: String,
    pub version: Option<String>,
    /// The provider's own configuration (its `inputProperties`).
    pub provider: ObjectSchema,
    pub resources: BTreeMap<String, ObjectSchema>,
}

impl PackageSchema {
    pub fn parse(text: &str) -> Result<PackageSchema, SchemaError> {
        let raw: RawPackage =
            serde_json::from_str(text).map_err(|error| SchemaError(error.to_string()))?;
        let provider = match raw.provider {
            Some(provider) => convert_object(provider)?,
            None => ObjectSchema::default(),
        };
        let resources = raw
            .resources
            .into_iter()
            .map(|(token, resource)| Ok((token, convert_object(resource)?)))
            .collect::<Result<_, SchemaError>>()?;
        Ok(PackageSchema {
            name: raw.name,
            version: raw.version,
            provider,
            resources,
        })
    }

    pub fn resource(&self, token: &str) -> Option<&ObjectSchema> {
        self.resources.get(token)
    }
}

/// The embedded schema, parsed once.
pub fn package_schema() -> &'static PackageSchema {
    static SCHEMA: OnceLock<PackageSchema> = OnceLock::new();
    // The schema is compiled in and a unit test parses it, so failing here is a build defect.
    SCHEMA.get_or_init(|| {
        PackageSchema::parse(SCHEMA_TEXT).expect("the embedded schema/schema.json parses")
    })
}

#[derive(Debug, thiserror::Error)]
#[error("schema/schema.json cannot be used: {0}")]
pub struct SchemaError(String);

#[derive(Deserialize)]
struct RawPackage {
    name: String,
    version: Option<String>,
    provider: Option<RawObject>,
    #[serde(default)]
    resources: BTreeMap<String, RawObject>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawObject {
    #[serde(default)]
    properties: BTreeMap<String, RawProperty>,
    #[serde(default)]
    required: Vec<String>,
    #[serde(default)]
    input_properties: BTreeMap<String, RawProperty>,
    #[serde(default)]
    required_inputs: Vec<String>,
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
    #[serde(default)]
    will_replace_on_changes: bool,
    #[serde(default)]
    replace_on_changes: bool,
}

fn convert_object(raw: RawObject) -> Result<ObjectSchema, SchemaError> {
    let convert_map = |map: BTreeMap<String, RawProperty>| {
        map.into_iter()
            .map(|(name, property)| Ok((name, convert_property(&property)?)))
            .collect::<Result<BTreeMap<_, _>, SchemaError>>()
    };
    Ok(ObjectSchema {
        inputs: convert_map(raw.input_properties)?,
        required_inputs: raw.required_inputs.into_iter().collect(),
        outputs: convert_map(raw.properties)?,
        required_outputs: raw.required.into_iter().collect(),
    })
}

fn convert_property(raw: &RawProperty) -> Result<PropertySchema, SchemaError> {
    Ok(PropertySchema {
        property_type: convert_type(raw)?,
        secret: raw.secret,
        replace_on_changes: raw.will_replace_on_changes || raw.replace_on_changes,
    })
}

fn convert_type(raw: &RawProperty) -> Result<PropertyType, SchemaError> {
    if let Some(reference) = &raw.reference {
        // Object types defined elsewhere are not looked into; `check` accepts any value there.
        return Ok(
            if reference.ends_with("#/Any") || reference.contains("#/types/") {
                PropertyType::Any
            } else {
                return Err(SchemaError(format!("unsupported $ref {reference}")));
            },
        );
    }
    match raw.type_name.as_deref() {
        Some("string") => Ok(PropertyType::String),
        Some("boolean") => Ok(PropertyType::Boolean),
        Some("integer") => Ok(PropertyType::Integer),
        Some("number") => Ok(PropertyType::Number),
        Some("array") => {
            let items = raw
                .items
                .as_deref()
                .ok_or_else(|| SchemaError("an array property without items".into()))?;
            Ok(PropertyType::Array(Box::new(convert_type(items)?)))
        }
        Some("object") => match raw.additional_properties.as_deref() {
            Some(values) => Ok(PropertyType::Map(Box::new(convert_type(values)?))),
            None => Ok(PropertyType::Map(Box::new(PropertyType::Any))),
        },
        other => Err(SchemaError(format!("unsupported property type {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_schema_parses_with_both_resources() {
        let schema = PackageSchema::parse(SCHEMA_TEXT).unwrap();
        assert_eq!(schema.name, "alicloud-kms");
        let client_key = schema.resource("alicloud-kms:index:ClientKey").unwrap();
        assert!(client_key.inputs["password"].secret);
        assert!(client_key.inputs["password"].replace_on_changes);
        assert!(client_key.is_filled_by_cloud("notBefore"));
        assert!(!client_key.is_filled_by_cloud("password"));
        assert!(!client_key.is_filled_by_cloud("createTime"));
        let aap = schema
            .resource("alicloud-kms:index:ApplicationAccessPoint")
            .unwrap();
        assert_eq!(
            aap.inputs["policies"].property_type,
            PropertyType::Array(Box::new(PropertyType::String))
        );
        assert!(!aap.inputs["policies"].replace_on_changes);
        assert!(schema.provider.inputs["secretKey"].secret);
    }

    #[test]
    fn types_describe_themselves_for_messages() {
        assert_eq!(
            PropertyType::Array(Box::new(PropertyType::String)).describe(),
            "an array of strings"
        );
        assert_eq!(
            PropertyType::Map(Box::new(PropertyType::Any)).describe(),
            "an object of values"
        );
    }
}
