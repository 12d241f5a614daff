//! Schema → bound `Package`: resolves references and checks every rule the emitters rely on.
//!
//! Binding never stops at the first problem. Each broken rule becomes a `Diagnostic` carrying the
//! JSON pointer of the offending value (`#/resources/<token>/inputProperties/aapName`), and the
//! caller gets all of them at once, the way `pulumi/pulumi`'s `bindSpec` reports its diagnostics.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::model::{ConfigVariable, Package, Property, PropertyType, Resource};
use crate::names;
use crate::spec::{PackageSpec, PropertySpec, ResourceSpec};

/// One problem found in the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// A JSON pointer into the schema, as a URI fragment (`#/resources/...`).
    pub path: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.path, self.message)
    }
}

/// Property names Pulumi reserves on every resource, the dynamic-provider key, and the key under
/// which the SDKs keep a resource's own provider settings.
const RESERVED_PROPERTY_NAMES: &[&str] = &["id", "urn", "__provider", "__providerSettings"];

/// Parses the schema text. A shape error (a string where an object belongs, broken JSON) stops
/// here with serde's line and column; everything else is left to `bind`.
pub fn parse(schema_text: &str) -> Result<PackageSpec, Diagnostic> {
    serde_json::from_str(schema_text).map_err(|error| Diagnostic {
        path: "#".to_string(),
        message: format!(
            "the schema is not a valid package schema (line {}, column {}): {error}",
            error.line(),
            error.column()
        ),
    })
}

/// Binds a parsed schema, returning every problem when there is at least one.
pub fn bind(spec: &PackageSpec) -> Result<Package, Vec<Diagnostic>> {
    let mut binder = Binder {
        spec,
        diagnostics: Vec::new(),
    };
    let package = binder.bind_package();
    if binder.diagnostics.is_empty() {
        Ok(package)
    } else {
        Err(binder.diagnostics)
    }
}

struct Binder<'a> {
    spec: &'a PackageSpec,
    diagnostics: Vec<Diagnostic>,
}

impl Binder<'_> {
    fn report(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            path: path.into(),
            message: message.into(),
        });
    }

    fn bind_package(&mut self) -> Package {
        let spec = self.spec;
        if !is_package_name(&spec.name) {
            self.report(
                "#/name",
                format!("package name `{}` must start with a letter and use only letters, digits, `-` and `_`", spec.name),
            );
        }
        let version = spec.version.clone().unwrap_or_default();
        if version.is_empty() {
            self.report(
                "#/version",
                "the package needs a version: the npm and Python packages are published under it",
            );
        }
        let nodejs_package_name = spec
            .language
            .nodejs
            .as_ref()
            .and_then(|nodejs| nodejs.package_name.clone())
            .unwrap_or_else(|| format!("@pulumi/{}", spec.name));
        if !is_npm_package_name(&nodejs_package_name) {
            self.report(
                "#/language/nodejs/packageName",
                format!("`{nodejs_package_name}` is not a valid npm package name (lowercase letters, digits, `-`, `.`, `_`, optionally scoped)"),
            );
        }
        let python_package_name = spec
            .language
            .python
            .as_ref()
            .and_then(|python| python.package_name.clone())
            .unwrap_or_else(|| format!("pulumi_{}", spec.name.replace('-', "_")));
        if !is_python_package_name(&python_package_name) {
            self.report(
                "#/language/python/packageName",
                format!("`{python_package_name}` is not a valid Python package name (lowercase letters, digits and `_`, not a keyword)"),
            );
        }
        for token in spec.functions.keys() {
            self.report(
                format!("#/functions/{}", escape_pointer(token)),
                "functions are not supported: the provider serves no invokes, so sdk-gen cannot emit them; remove the function",
            );
        }

        let mut config_variables = Vec::new();
        for (name, variable) in &spec.config.variables {
            let path = format!("#/config/variables/{}", escape_pointer(name));
            self.check_property_name(&path, name);
            let Some(property_type) = self.bind_type(&path, variable) else {
                continue;
            };
            config_variables.push(ConfigVariable {
                name: name.clone(),
                description: variable.description.clone(),
                secret: variable.secret,
                property_type,
            });
        }

        let mut resources = Vec::new();
        let mut class_tokens: BTreeMap<String, &str> = BTreeMap::new();
        for (token, resource_spec) in &spec.resources {
            let path = format!("#/resources/{}", escape_pointer(token));
            let Some(resource) = self.bind_resource(&path, token, resource_spec) else {
                continue;
            };
            if let Some(other) = class_tokens.insert(resource.class_name.clone(), token) {
                self.report(
                    path,
                    format!("resource class `{}` is also the class of `{other}`; the SDKs put every resource in one module, so rename one", resource.class_name),
                );
            }
            resources.push(resource);
        }

        Package {
            name: spec.name.clone(),
            version,
            description: spec.description.clone(),
            license: spec.license.clone(),
            keywords: spec
                .keywords
                .iter()
                .filter(|keyword| {
                    !keyword.starts_with("category/") && !keyword.starts_with("kind/")
                })
                .cloned()
                .collect(),
            homepage: spec.homepage.clone(),
            repository: spec.repository.clone(),
            nodejs_package_name,
            python_package_name,
            config_variables,
            resources,
        }
    }

    fn bind_resource(&mut self, path: &str, token: &str, spec: &ResourceSpec) -> Option<Resource> {
        let parts: Vec<&str> = token.split(':').collect();
        let [package, _module, member] = parts.as_slice() else {
            self.report(
                path,
                format!("resource token `{token}` must look like `<package>:<module>:<Name>`"),
            );
            return None;
        };
        if *package != self.spec.name {
            self.report(
                path,
                format!(
                    "resource token `{token}` must start with the package name `{}`",
                    self.spec.name
                ),
            );
        }
        if !is_pascal_identifier(member) {
            self.report(path, format!("resource name `{member}` must be a PascalCase identifier (a capital letter, then letters and digits)"));
            return None;
        }
        if let Some(problem) = names::class_name_problem(member) {
            self.report(
                path,
                format!("resource name {problem}; rename the resource"),
            );
        }

        let outputs = self.bind_properties(
            &format!("{path}/properties"),
            &spec.properties,
            &spec.required,
            &format!("{path}/required"),
        );
        let inputs = self.bind_properties(
            &format!("{path}/inputProperties"),
            &spec.input_properties,
            &spec.required_inputs,
            &format!("{path}/requiredInputs"),
        );
        let state = match &spec.state_inputs {
            Some(state_inputs) => self.bind_properties(
                &format!("{path}/stateInputs/properties"),
                &state_inputs.properties,
                &[],
                "",
            ),
            None => outputs
                .iter()
                .map(|output| Property {
                    required: false,
                    ..output.clone()
                })
                .collect(),
        };

        for input in &inputs {
            if let Some(output) = outputs.iter().find(|output| output.name == input.name) {
                if output.property_type != input.property_type {
                    self.report(
                        format!("{path}/inputProperties/{}", escape_pointer(&input.name)),
                        format!("input `{}` has a different type from the output of the same name; the SDKs expose one type per property", input.name),
                    );
                }
            }
        }
        let schema_names: BTreeSet<&str> = outputs
            .iter()
            .chain(&inputs)
            .chain(&state)
            .map(|property| property.name.as_str())
            .collect();
        let mut python_names: BTreeMap<String, &str> = BTreeMap::new();
        for schema_name in schema_names {
            let python_name = names::python_property_name(schema_name);
            if let Some(other) = python_names.insert(python_name.clone(), schema_name) {
                self.report(path, format!("properties `{other}` and `{schema_name}` both become `{python_name}` in Python; rename one"));
            }
        }

        Some(Resource {
            token: token.to_string(),
            class_name: (*member).to_string(),
            description: spec.description.clone(),
            deprecation_message: spec.deprecation_message.clone(),
            outputs,
            inputs,
            state,
        })
    }

    fn bind_properties(
        &mut self,
        path: &str,
        specs: &BTreeMap<String, PropertySpec>,
        required: &[String],
        required_path: &str,
    ) -> Vec<Property> {
        for (index, name) in required.iter().enumerate() {
            if !specs.contains_key(name) {
                self.report(
                    format!("{required_path}/{index}"),
                    format!("required property `{name}` is not defined in the sibling properties"),
                );
            }
        }
        let mut properties = Vec::new();
        for (name, spec) in specs {
            let property_path = format!("{path}/{}", escape_pointer(name));
            self.check_property_name(&property_path, name);
            let Some(property_type) = self.bind_type(&property_path, spec) else {
                continue;
            };
            properties.push(Property {
                name: name.clone(),
                property_type,
                description: spec.description.clone(),
                required: required.contains(name),
                secret: spec.secret,
                will_replace_on_changes: spec.will_replace_on_changes,
                deprecation_message: spec.deprecation_message.clone(),
            });
        }
        properties
    }

    fn check_property_name(&mut self, path: &str, name: &str) {
        if RESERVED_PROPERTY_NAMES.contains(&name) {
            self.report(
                path,
                format!(
                    "property name `{name}` is reserved by Pulumi on every resource; rename it"
                ),
            );
        } else if !is_camel_identifier(name) {
            self.report(path, format!("property name `{name}` must be a lowerCamelCase identifier (a lowercase letter, then letters and digits)"));
        }
    }

    fn bind_type(&mut self, path: &str, spec: &PropertySpec) -> Option<PropertyType> {
        match (&spec.type_name, &spec.reference) {
            (Some(_), Some(_)) => {
                self.report(path, "a property has either `type` or `$ref`, not both");
                None
            }
            (None, None) => {
                self.report(path, "the property has neither `type` nor `$ref`");
                None
            }
            (None, Some(reference)) => self.bind_reference(&format!("{path}/$ref"), reference),
            (Some(type_name), None) => match type_name.as_str() {
                "string" => Some(PropertyType::String),
                "integer" => Some(PropertyType::Integer),
                "number" => Some(PropertyType::Number),
                "boolean" => Some(PropertyType::Boolean),
                "array" => match &spec.items {
                    Some(items) => self
                        .bind_type(&format!("{path}/items"), items)
                        .map(|item| PropertyType::Array(Box::new(item))),
                    None => {
                        self.report(path, "an array property needs `items`");
                        None
                    }
                },
                "object" => match &spec.additional_properties {
                    Some(values) => self
                        .bind_type(&format!("{path}/additionalProperties"), values)
                        .map(|value| PropertyType::Map(Box::new(value))),
                    None => {
                        self.report(path, "an object property needs `additionalProperties` (a map); named object types are not supported");
                        None
                    }
                },
                other => {
                    self.report(
                        format!("{path}/type"),
                        format!("unknown type `{other}`; use string, integer, number, boolean, array or object"),
                    );
                    None
                }
            },
        }
    }

    fn bind_reference(&mut self, path: &str, reference: &str) -> Option<PropertyType> {
        match reference {
            "pulumi.json#/Any" | "pulumi.json#/Json" => return Some(PropertyType::Any),
            "pulumi.json#/Archive" | "pulumi.json#/Asset" => {
                self.report(path, format!("`{reference}` is not supported: the provider binary takes no assets or archives"));
                return None;
            }
            _ => {}
        }
        if let Some(token) = reference.strip_prefix("#/types/") {
            if self.spec.types.contains_key(token) {
                self.report(path, format!("type `{token}` is defined, but sdk-gen does not support object or enum types yet"));
            } else {
                self.report(
                    path,
                    format!(
                        "`{reference}` does not resolve: there is no type `{token}` in `#/types`"
                    ),
                );
            }
        } else {
            self.report(path, format!("`{reference}` is not supported: only `pulumi.json#/Any`, `pulumi.json#/Json` and `#/types/...` references are"));
        }
        None
    }
}

/// Escapes one JSON-pointer segment (RFC 6901: `~` → `~0`, `/` → `~1`).
pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn is_package_name(name: &str) -> bool {
    let mut characters = name.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        && characters.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn is_npm_package_name(name: &str) -> bool {
    let bare = match name.strip_prefix('@') {
        Some(scoped) => match scoped.split_once('/') {
            Some((scope, bare)) if is_npm_name_part(scope) => bare,
            _ => return false,
        },
        None => name,
    };
    is_npm_name_part(bare) && !bare.starts_with('.') && !bare.starts_with('_')
}

fn is_npm_name_part(part: &str) -> bool {
    !part.is_empty()
        && part.len() <= 214
        && part
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._~".contains(c))
}

fn is_python_package_name(name: &str) -> bool {
    let mut characters = name.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_lowercase() || first == '_')
        && characters.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !names::is_python_keyword(name)
}

fn is_pascal_identifier(name: &str) -> bool {
    let mut characters = name.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_uppercase())
        && characters.all(|c| c.is_ascii_alphanumeric())
}

fn is_camel_identifier(name: &str) -> bool {
    let mut characters = name.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_lowercase())
        && characters.all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bind_text(text: &str) -> Result<Package, Vec<Diagnostic>> {
        bind(&parse(text).map_err(|diagnostic| vec![diagnostic])?)
    }

    #[test]
    fn a_minimal_schema_binds_with_language_defaults() {
        let package = bind_text(r#"{"name": "demo", "version": "1.2.3"}"#).unwrap();
        assert_eq!(package.nodejs_package_name, "@pulumi/demo");
        assert_eq!(package.python_package_name, "pulumi_demo");
        assert!(package.resources.is_empty());
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let diagnostics = bind_text(
            r#"{"name": "demo", "version": "1",
                "resources": {"demo:index:Thing": {
                    "properties": {"id": {"type": "string"}, "count": {"type": "integr"}},
                    "required": ["missing"]}}}"#,
        )
        .unwrap_err();
        let paths: Vec<&str> = diagnostics.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "#/resources/demo:index:Thing/required/0",
                "#/resources/demo:index:Thing/properties/count/type",
                "#/resources/demo:index:Thing/properties/id",
            ]
        );
    }

    #[test]
    fn pointer_segments_are_escaped() {
        assert_eq!(escape_pointer("a/b~c"), "a~1b~0c");
    }

    #[test]
    fn a_shape_error_names_line_and_column() {
        let diagnostic = parse("{\"name\": 3}").unwrap_err();
        assert_eq!(diagnostic.path, "#");
        assert!(
            diagnostic.message.contains("line 1, column 10"),
            "{}",
            diagnostic.message
        );
    }
}
