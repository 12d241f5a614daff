//! Writing `schema/schema.json`: the package's own part (`package.json` next to this file: its
//! name, metadata, configuration and provider settings) followed by one entry per registered
//! resource, derived from its declaration. The text is laid out as the file always was (two
//! spaces, lists of names on one line), so that a change reads as a small diff.

use crate::resources::declaration::{Declaration, Property, ValueType};
use crate::resources::registry::registered_declarations;

/// The package's own part of the schema, everything but `resources`.
pub const PACKAGE_TEXT: &str = include_str!("package.json");

/// The whole schema, as `schema/schema.json` must hold it.
pub fn schema_text() -> String {
    let package = PACKAGE_TEXT.trim_end();
    let body = package
        .strip_suffix('}')
        .expect("package.json is one JSON object")
        .trim_end();
    let resources = Node::Object(
        registered_declarations()
            .map(|declaration| (declaration.token.to_owned(), resource_entry(declaration)))
            .collect(),
    );
    let mut text = format!("{body},\n  \"resources\": ");
    resources.write(1, &mut text);
    text.push_str("\n}\n");
    text
}

/// One resource's entry: its outputs (`properties`, `required`), its inputs (`inputProperties`,
/// `requiredInputs`) and the properties a lookup may filter by (`stateInputs`).
fn resource_entry(declaration: &Declaration) -> Node {
    let properties = declaration.properties;
    let inputs: Vec<&Property> = declaration.inputs().collect();
    Node::object([
        ("description", Node::text(declaration.description.trim())),
        (
            "properties",
            Node::Object(
                properties
                    .iter()
                    .map(|property| (property.name.to_owned(), property_entry(property, false)))
                    .collect(),
            ),
        ),
        (
            "required",
            Node::Names(
                properties
                    .iter()
                    .filter(|property| property.is_required_output())
                    .map(|property| property.name)
                    .collect(),
            ),
        ),
        (
            "inputProperties",
            Node::Object(
                inputs
                    .iter()
                    .map(|property| (property.name.to_owned(), property_entry(property, true)))
                    .collect(),
            ),
        ),
        (
            "requiredInputs",
            Node::Names(
                inputs
                    .iter()
                    .filter(|property| property.required)
                    .map(|property| property.name)
                    .collect(),
            ),
        ),
        (
            "stateInputs",
            Node::object([
                (
                    "description",
                    Node::text(&format!(
                        "Input properties used for looking up and filtering {} resources.",
                        declaration.name
                    )),
                ),
                (
                    "properties",
                    Node::Object(
                        properties
                            .iter()
                            .map(|property| {
                                (property.name.to_owned(), property_entry(property, true))
                            })
                            .collect(),
                    ),
                ),
                ("type", Node::text("object")),
            ]),
        ),
    ])
}

/// A property's schema: its type, secret, description, and (for an input) whether a change
/// replaces the resource.
fn property_entry(property: &Property, as_input: bool) -> Node {
    let mut entries = type_entries(&property.value_type);
    if property.secret {
        entries.push(("secret".to_owned(), Node::True));
    }
    entries.push((
        "description".to_owned(),
        Node::text(property.description.trim()),
    ));
    if as_input && property.replaces {
        entries.push(("willReplaceOnChanges".to_owned(), Node::True));
    }
    Node::Object(entries)
}

fn type_entries(value_type: &ValueType) -> Vec<(String, Node)> {
    let type_name = |name: &str| ("type".to_owned(), Node::text(name));
    match value_type {
        ValueType::String => vec![type_name("string")],
        ValueType::Boolean => vec![type_name("boolean")],
        ValueType::Integer => vec![type_name("integer")],
        ValueType::Number => vec![type_name("number")],
        ValueType::Array(items) => vec![
            type_name("array"),
            ("items".to_owned(), Node::Object(type_entries(items))),
        ],
        ValueType::Map(values) => vec![
            type_name("object"),
            (
                "additionalProperties".to_owned(),
                Node::Object(type_entries(values)),
            ),
        ],
        ValueType::Any => vec![("$ref".to_owned(), Node::text("pulumi.json#/Any"))],
    }
}

/// JSON as the schema file lays it out.
enum Node {
    Text(String),
    /// A list of names, written on one line.
    Names(Vec<&'static str>),
    True,
    Object(Vec<(String, Node)>),
}

impl Node {
    fn text(text: &str) -> Node {
        Node::Text(text.to_owned())
    }

    fn object<const N: usize>(entries: [(&str, Node); N]) -> Node {
        Node::Object(
            entries
                .into_iter()
                .map(|(name, node)| (name.to_owned(), node))
                .collect(),
        )
    }

    /// Writes the node, its closing bracket indented by `depth` levels.
    fn write(&self, depth: usize, out: &mut String) {
        match self {
            Node::Text(text) => out.push_str(&quoted(text)),
            Node::True => out.push_str("true"),
            Node::Names(names) => {
                let quoted: Vec<String> = names.iter().map(|name| quoted(name)).collect();
                out.push('[');
                out.push_str(&quoted.join(", "));
                out.push(']');
            }
            Node::Object(entries) => {
                out.push('{');
                for (position, (name, node)) in entries.iter().enumerate() {
                    out.push_str(if position == 0 { "\n" } else { ",\n" });
                    out.push_str(&"  ".repeat(depth + 1));
                    out.push_str(&quoted(name));
                    out.push_str(": ");
                    node.write(depth + 1, out);
                }
                out.push('\n');
                out.push_str(&"  ".repeat(depth));
                out.push('}');
            }
        }
    }
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serialises")
}
