//! The serde mirror of the parts of a Pulumi Package Schema that sdk-gen reads.
//!
//! These types only describe shape; every rule about what the values may be lives in `bind`,
//! which reports each broken rule with its JSON-pointer path instead of stopping at the first.
//! Fields the generator does not use (logo, meta, ...) are ignored on purpose: the
//! schema is also served to engines, which read more of it than we do.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The whole package schema (`schema/schema.json`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageSpec {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub license: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub homepage: Option<String>,
    #[serde(default)]
    pub repository: Option<String>,
    #[serde(default)]
    pub language: LanguageSpec,
    #[serde(default)]
    pub config: ConfigSpec,
    #[serde(default)]
    pub types: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub resources: BTreeMap<String, ResourceSpec>,
    #[serde(default)]
    pub functions: BTreeMap<String, serde_json::Value>,
}

/// Per-language overrides (`language.nodejs`, `language.python`).
#[derive(Debug, Default, Deserialize)]
pub struct LanguageSpec {
    #[serde(default)]
    pub nodejs: Option<LanguagePackageSpec>,
    #[serde(default)]
    pub python: Option<LanguagePackageSpec>,
}

/// The one language override sdk-gen honours: the name the package is published under.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LanguagePackageSpec {
    #[serde(default)]
    pub package_name: Option<String>,
}

/// Stack configuration the provider reads (`config.variables`).
#[derive(Debug, Default, Deserialize)]
pub struct ConfigSpec {
    #[serde(default)]
    pub variables: BTreeMap<String, PropertySpec>,
}

/// One resource (`resources.<token>`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSpec {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub properties: BTreeMap<String, PropertySpec>,
    #[serde(default)]
    pub required: Vec<String>,
    #[serde(default)]
    pub input_properties: BTreeMap<String, PropertySpec>,
    #[serde(default)]
    pub required_inputs: Vec<String>,
    #[serde(default)]
    pub state_inputs: Option<StateInputsSpec>,
    #[serde(default)]
    pub deprecation_message: Option<String>,
}

/// The `stateInputs` object of a resource: the properties `get` may filter on.
#[derive(Debug, Default, Deserialize)]
pub struct StateInputsSpec {
    #[serde(default)]
    pub properties: BTreeMap<String, PropertySpec>,
}

/// A property (or config variable) and its type.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertySpec {
    #[serde(rename = "type", default)]
    pub type_name: Option<String>,
    #[serde(rename = "$ref", default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub items: Option<Box<PropertySpec>>,
    #[serde(default)]
    pub additional_properties: Option<Box<PropertySpec>>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub secret: bool,
    #[serde(default)]
    pub will_replace_on_changes: bool,
    #[serde(default)]
    pub deprecation_message: Option<String>,
}
