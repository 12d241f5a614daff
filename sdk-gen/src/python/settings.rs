//! `provider_settings.py`: the `ProviderSettings` input type (one optional field per schema config
//! variable, so new settings come along on regeneration) and `provider_binary()`.

use std::fmt::{self, Write};

use super::input_type::write_input_type;
use super::{python_renames, string_literal};
use crate::header::{CommentSyntax, Header};
use crate::model::{Package, Property};
use crate::names;

pub(super) fn settings_module(package: &Package, header: &Header) -> Result<String, fmt::Error> {
    let mut out = header.line(CommentSyntax::Hash);
    writeln!(out)?;
    writeln!(
        out,
        "\"\"\"The provider settings of one resource, and the binary the resources run.\"\"\""
    )?;
    writeln!(out)?;
    writeln!(out, "import builtins as _builtins")?;
    // The settings' types may use any of these (an object setting is a `Mapping` of `Any`).
    writeln!(
        out,
        "from typing import Any, Mapping, Optional, Sequence, cast"
    )?;
    writeln!(out)?;
    writeln!(out, "import pulumi")?;
    writeln!(out)?;
    writeln!(out, "from . import _rpc")?;
    writeln!(out)?;
    writeln!(out, "__all__ = [\"ProviderSettings\", \"provider_binary\"]")?;
    let settings: Vec<Property> = package
        .config_variables
        .iter()
        .map(|variable| Property {
            name: variable.name.clone(),
            property_type: variable.property_type.clone(),
            description: variable.description.clone(),
            required: false,
            secret: variable.secret,
            will_replace_on_changes: false,
            deprecation_message: None,
        })
        .collect();
    write_input_type(
        &mut out,
        "ProviderSettings",
        &format!(
            "The provider settings of one resource, for programs that use several regions or accounts: pass \
             them as the `provider_settings` argument of a resource. A resource with its own settings uses them \
             instead of the stack configuration (`{}:*`); a setting left out falls back to the environment and the \
             Alibaba Cloud CLI profile, as for the stack. Secret settings make the settings a secret input, kept \
             encrypted in the state.",
            package.name
        ),
        &settings,
        &python_renames(package),
    )?;
    writeln!(out)?;
    writeln!(out)?;
    let secrets: Vec<String> = package
        .config_variables
        .iter()
        .filter(|variable| variable.secret)
        .map(|variable| string_literal(&names::python_property_name(&variable.name)))
        .collect();
    let trailing_comma = if secrets.len() == 1 { "," } else { "" };
    writeln!(
        out,
        "SECRET_SETTINGS: tuple[_builtins.str, ...] = ({}{trailing_comma})",
        secrets.join(", ")
    )?;
    writeln!(
        out,
        "\"\"\"The Python names of the settings that are secret in the schema.\"\"\""
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "SETTING_NAMES: dict[_builtins.str, _builtins.str] = {{"
    )?;
    for variable in &package.config_variables {
        writeln!(
            out,
            "    {}: {},",
            string_literal(&names::python_property_name(&variable.name)),
            string_literal(&variable.name)
        )?;
    }
    writeln!(out, "}}")?;
    writeln!(
        out,
        "\"\"\"The Python name of every setting → its schema name (the binary's messages use the latter).\"\"\""
    )?;
    writeln!(out)?;
    writeln!(out)?;
    writeln!(out, "def provider_binary() -> _builtins.str:")?;
    writeln!(out, "    \"\"\"")?;
    writeln!(
        out,
        "    The path of the ``alicloud-kms-provider`` binary the resources run, found in this order:"
    )?;
    writeln!(
        out,
        "    ``ALICLOUD_KMS_PROVIDER_PATH``; the binary installed with this package (the platform wheels"
    )?;
    writeln!(
        out,
        "    carry one); ``PATH``. Raises a ``ProviderError`` that says how to install it when there is none."
    )?;
    writeln!(out, "    \"\"\"")?;
    writeln!(out, "    return _rpc.find_provider_binary()")?;
    Ok(out)
}
