//! The Python SDK (`sdk/python`): one module per resource in the style of pulumi-alicloud's
//! generated code, the package files, and the runtime helpers from `src/runtime/*.py`.
//!
//! Python programs use snake_case keys, so a dynamic resource's state is keyed by the Python
//! names; the provider object carries the table from Python name to schema name and maps both
//! ways on every call (see `_provider.py`).

use std::collections::BTreeMap;
use std::fmt::{self, Write};

use crate::docs::{description_lines, python_docstring, rename_words, Renames, SdkDocs};
use crate::header::{CommentSyntax, Header};
use crate::model::{Package, Property, PropertyType, Resource};

mod input_type;
mod package;
mod readme;
mod resource;
mod settings;
use crate::names;
use crate::{Language, LICENSE_TEXT};

/// The hand-written runtime modules, copied verbatim after the header.
const RUNTIME_FILES: &[(&str, &str)] = &[
    ("_rpc.py", include_str!("../runtime/_rpc.py")),
    ("_provider.py", include_str!("../runtime/_provider.py")),
    ("_utilities.py", include_str!("../runtime/_utilities.py")),
    ("_options.py", include_str!("../runtime/_options.py")),
];

/// The Python emitter.
pub struct Python;

impl Language for Python {
    fn directory(&self) -> &'static str {
        "python"
    }

    fn emit(
        &self,
        package: &Package,
        header: &Header,
    ) -> Result<BTreeMap<String, String>, fmt::Error> {
        let module_directory = &package.python_package_name;
        let mut files = BTreeMap::new();
        for resource in &package.resources {
            files.insert(
                format!("{module_directory}/{}.py", module_name(resource)),
                resource::resource_module(package, resource, header)?,
            );
        }
        for (name, contents) in RUNTIME_FILES {
            files.insert(
                format!("{module_directory}/{name}"),
                format!("{}{contents}", header.line(CommentSyntax::Hash)),
            );
        }
        files.insert(
            format!("{module_directory}/__init__.py"),
            init_module(package, header)?,
        );
        // PEP 561 marker. Type checkers only test that it exists (and whether it says `partial`),
        // so the header comment is harmless.
        files.insert(
            format!("{module_directory}/py.typed"),
            header.line(CommentSyntax::Hash),
        );
        files.insert(
            format!("{module_directory}/provider_settings.py"),
            settings::settings_module(package, header)?,
        );
        files.insert(
            "pyproject.toml".to_string(),
            package::pyproject_toml(package, header)?,
        );
        files.insert(
            format!("{}.py", package::BUILD_BACKEND_MODULE),
            package::build_backend(package, header)?,
        );
        files.insert("README.md".to_string(), readme::readme(package, header)?);
        if let Some(namespace) = package.namespace() {
            files.insert(
                format!("{module_directory}/{namespace}.py"),
                namespace_module(package, &namespace, header)?,
            );
        }
        files.insert("LICENSE".to_string(), LICENSE_TEXT.to_string());
        Ok(files)
    }
}

/// `ClientKey` → `client_key`.
pub(super) fn module_name(resource: &Resource) -> String {
    names::to_snake_case(&resource.class_name)
}

pub(super) fn python_name(property: &Property) -> String {
    names::python_property_name(&property.name)
}

pub(super) fn string_literal(text: &str) -> String {
    // A JSON string is a valid Python string literal for the text sdk-gen puts in one
    // (names, tokens, messages): both escape `"` and `\` the same way.
    serde_json::Value::String(text.to_string()).to_string()
}

pub(super) fn plain_type(property_type: &PropertyType) -> String {
    match property_type {
        PropertyType::String => "_builtins.str".to_string(),
        PropertyType::Integer => "_builtins.int".to_string(),
        PropertyType::Number => "_builtins.float".to_string(),
        PropertyType::Boolean => "_builtins.bool".to_string(),
        PropertyType::Any => "Any".to_string(),
        PropertyType::Array(item) => format!("Sequence[{}]", plain_type(item)),
        PropertyType::Map(value) => format!("Mapping[_builtins.str, {}]", plain_type(value)),
    }
}

/// The type of an input: every level accepts a `pulumi.Input` (a value, an awaitable or an output).
/// An optional input also accepts `None` *inside* the input, as pulumi-alicloud's optional
/// outputs hold it (`Output[Optional[str]]`), so one resource's optional output can feed another's
/// optional input.
pub(super) fn input_type(property_type: &PropertyType, optional: bool) -> String {
    let value = match property_type {
        PropertyType::Array(item) => format!("Sequence[pulumi.Input[{}]]", plain_type(item)),
        PropertyType::Map(value) => format!(
            "Mapping[_builtins.str, pulumi.Input[{}]]",
            plain_type(value)
        ),
        other => plain_type(other),
    };
    if optional {
        format!("pulumi.Input[Optional[{value}]]")
    } else {
        format!("pulumi.Input[{value}]")
    }
}

pub(super) fn output_type(property: &Property) -> String {
    if property.required {
        format!("pulumi.Output[{}]", plain_type(&property.property_type))
    } else {
        format!(
            "pulumi.Output[Optional[{}]]",
            plain_type(&property.property_type)
        )
    }
}

pub(super) fn parameter_type(property: &Property, required: bool) -> String {
    input_type(&property.property_type, !required)
}

/// Schema names → Python names, for the prose of docstrings and messages: every property of every
/// resource and every setting whose Python name differs (`notBefore` → `not_before`).
pub(super) fn python_renames(package: &Package) -> Renames {
    package
        .all_property_names()
        .into_iter()
        .chain(
            package
                .config_variables
                .iter()
                .map(|variable| variable.name.as_str()),
        )
        .filter_map(|name| {
            let python = names::python_property_name(name);
            (python != name).then(|| (name.to_string(), python))
        })
        .collect()
}

/// A description's lines with the schema's names spelled as in Python.
pub(super) fn python_description_lines(description: &str, renames: &Renames) -> Vec<String> {
    description_lines(&rename_words(description, renames))
}

/// How a Python program adopts an existing resource (the docs' `pulumi import` becomes this).
pub(super) fn import_example(package: &Package, class: &str, id: &str) -> String {
    format!(
        "{}.{class}(\"example\", ..., opts=pulumi.ResourceOptions(import_={}))",
        package.module_alias(),
        string_literal(id)
    )
}

/// A resource's description as its Python docstrings show it (see `docs::resource_description`).
pub(super) fn resource_description_lines(package: &Package, resource: &Resource) -> Vec<String> {
    let renames = python_renames(package);
    let example = |class: &str, id: &str| import_example(package, class, id);
    let docs = SdkDocs {
        language: "python",
        renames: &renames,
        import_option: "import_",
        import_example: &example,
    };
    crate::docs::resource_description(
        resource.description.as_deref().unwrap_or(""),
        &resource.class_name,
        &docs,
    )
}

/// `:param <type> <name>: <description>` lines, continuation lines indented.
pub(super) fn param_doc_lines(
    properties: &[Property],
    required: impl Fn(&Property) -> bool,
    renames: &Renames,
) -> Vec<String> {
    let mut lines = Vec::new();
    for property in properties {
        let description = property
            .description
            .as_deref()
            .map(|description| python_description_lines(description, renames))
            .unwrap_or_default();
        let type_text = parameter_type(property, required(property)).replace("_builtins.", "");
        let mut first = format!(":param {type_text} {}:", python_name(property));
        let mut rest = description.iter();
        if let Some(line) = rest.next() {
            first.push(' ');
            first.push_str(line);
        }
        lines.push(first);
        for line in rest {
            lines.push(if line.is_empty() {
                String::new()
            } else {
                format!("       {line}")
            });
        }
    }
    lines
}

pub(super) fn property_docstring(indent: &str, property: &Property, renames: &Renames) -> String {
    let mut lines = property
        .description
        .as_deref()
        .map(|description| python_description_lines(description, renames))
        .unwrap_or_default();
    if let Some(message) = &property.deprecation_message {
        lines.push(format!("Deprecated: {message}"));
    }
    python_docstring(indent, &lines)
}

fn init_module(package: &Package, header: &Header) -> Result<String, fmt::Error> {
    let mut out = header.line(CommentSyntax::Hash);
    writeln!(out)?;
    if let Some(description) = &package.description {
        let renames = python_renames(package);
        out.push_str(&python_docstring(
            "",
            &python_description_lines(description, &renames),
        ));
        writeln!(out)?;
    }
    let mut exported = write_exports(&mut out, package)?;
    if let Some(namespace) = package.namespace() {
        writeln!(out, "from . import {namespace}")?;
        exported.push(namespace);
    }
    write_all(&mut out, exported)?;
    Ok(out)
}

/// Imports every public name of the package (the settings, the binary's helpers, each resource
/// and its `Args`) and returns them.
fn write_exports(out: &mut String, package: &Package) -> Result<Vec<String>, fmt::Error> {
    writeln!(out, "from ._rpc import ProviderError")?;
    writeln!(
        out,
        "from .provider_settings import ProviderSettings, provider_binary"
    )?;
    let mut exported = vec![
        "ProviderError".to_string(),
        "ProviderSettings".to_string(),
        "provider_binary".to_string(),
    ];
    for resource in &package.resources {
        let class = &resource.class_name;
        writeln!(
            out,
            "from .{} import {class}, {class}Args",
            module_name(resource)
        )?;
        exported.push(format!("{class}Args"));
        exported.push(class.clone());
    }
    Ok(exported)
}

/// `__all__`, sorted.
fn write_all(out: &mut String, mut exported: Vec<String>) -> fmt::Result {
    exported.sort();
    writeln!(out)?;
    writeln!(out, "__all__ = [")?;
    for name in exported {
        writeln!(out, "    {},", string_literal(&name))?;
    }
    writeln!(out, "]")
}

/// `kms.py`: every public name of the package again, so that a program written for
/// pulumi-alicloud (`import pulumi_alicloud as alicloud`, then `alicloud.kms.ClientKey(...)`) ports
/// by changing its import line to `import pulumi_alicloud_kms as alicloud`.
fn namespace_module(
    package: &Package,
    namespace: &str,
    header: &Header,
) -> Result<String, fmt::Error> {
    let mut out = header.line(CommentSyntax::Hash);
    writeln!(out)?;
    writeln!(out, "\"\"\"")?;
    writeln!(out, "The resources under the name pulumi-alicloud gives their module (``alicloud.{namespace}``), so that a")?;
    writeln!(
        out,
        "program written for pulumi-alicloud ports by changing its import line to"
    )?;
    writeln!(
        out,
        "``import {} as alicloud``.",
        package.python_package_name
    )?;
    writeln!(out, "\"\"\"")?;
    writeln!(out)?;
    let exported = write_exports(&mut out, package)?;
    write_all(&mut out, exported)?;
    Ok(out)
}
