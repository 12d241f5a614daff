//! An `@pulumi.input_type` class (a resource's `Args` and `_State`, and `ProviderSettings`): the
//! keyword-only constructor and a typed getter/setter pair per property.

use std::fmt::{self, Write};

use super::{param_doc_lines, parameter_type, property_docstring, python_name, string_literal};
use crate::docs::{python_docstring, Renames};
use crate::model::Property;

/// An `@pulumi.input_type` class (the `Args` of a resource, or its `_State`).
pub(super) fn write_input_type(
    out: &mut String,
    class: &str,
    doc: &str,
    properties: &[Property],
    renames: &Renames,
) -> fmt::Result {
    let mut ordered: Vec<&Property> = properties
        .iter()
        .filter(|property| property.required)
        .collect();
    ordered.extend(properties.iter().filter(|property| !property.required));
    writeln!(out)?;
    writeln!(out)?;
    writeln!(out, "@pulumi.input_type")?;
    writeln!(out, "class {class}:")?;
    if ordered.is_empty() {
        writeln!(out, "    def __init__(__self__) -> None:")?;
    } else {
        writeln!(out, "    def __init__(__self__, *,")?;
        for (index, property) in ordered.iter().enumerate() {
            let default = if property.required { "" } else { " = None" };
            let end = if index + 1 == ordered.len() {
                ") -> None:"
            } else {
                ","
            };
            writeln!(
                out,
                "                 {}: {}{default}{end}",
                python_name(property),
                parameter_type(property, property.required)
            )?;
        }
    }
    let mut doc_lines = vec![doc.to_string(), String::new()];
    let owned: Vec<Property> = ordered.iter().map(|property| (*property).clone()).collect();
    doc_lines.extend(param_doc_lines(
        &owned,
        |property| property.required,
        renames,
    ));
    out.push_str(&python_docstring("        ", &doc_lines));
    for property in &ordered {
        let name = python_name(property);
        if property.required {
            writeln!(
                out,
                "        pulumi.set(__self__, {}, {name})",
                string_literal(&name)
            )?;
        } else {
            writeln!(out, "        if {name} is not None:")?;
            writeln!(
                out,
                "            pulumi.set(__self__, {}, {name})",
                string_literal(&name)
            )?;
        }
    }
    for property in &ordered {
        let name = python_name(property);
        let value_type = parameter_type(property, property.required);
        writeln!(out)?;
        writeln!(out, "    @_builtins.property")?;
        write_getter_decorator(out, property)?;
        writeln!(out, "    def {name}(self) -> {value_type}:")?;
        out.push_str(&property_docstring("        ", property, renames));
        writeln!(
            out,
            "        return cast({value_type}, pulumi.get(self, {}))",
            string_literal(&name)
        )?;
        writeln!(out)?;
        writeln!(out, "    @{name}.setter")?;
        writeln!(out, "    def {name}(self, value: {value_type}) -> None:")?;
        writeln!(
            out,
            "        pulumi.set(self, {}, value)",
            string_literal(&name)
        )?;
    }
    Ok(())
}

pub(super) fn write_getter_decorator(out: &mut String, property: &Property) -> fmt::Result {
    if python_name(property) == property.name {
        writeln!(out, "    @pulumi.getter")
    } else {
        writeln!(
            out,
            "    @pulumi.getter(name={})",
            string_literal(&property.name)
        )
    }
}
