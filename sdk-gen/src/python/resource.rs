//! One resource module of the Python SDK (`client_key.py`): the provider constant, the `Args` and
//! `_State` input types, and the resource class with its two constructor forms, `get`, and typed
//! output getters.

use std::fmt::{self, Write};

use super::input_type::{write_getter_decorator, write_input_type};
use super::{
    output_type, param_doc_lines, parameter_type, property_docstring, python_name, python_renames,
    resource_description_lines, string_literal,
};
use crate::docs::{python_docstring, Renames};
use crate::header::{CommentSyntax, Header};
use crate::model::{Package, Property, Resource};
use crate::names;

/// The docstring line of the `provider_settings` argument.
const PROVIDER_SETTINGS_PARAM: &str = ":param ProviderSettings provider_settings: This resource's own region, endpoint and credentials, instead of the stack configuration.";

pub(super) fn resource_module(
    package: &Package,
    resource: &Resource,
    header: &Header,
) -> Result<String, fmt::Error> {
    let class = &resource.class_name;
    let mut out = header.line(CommentSyntax::Hash);
    writeln!(out)?;
    writeln!(out, "import builtins as _builtins")?;
    writeln!(
        out,
        "from typing import Any, Mapping, Optional, Sequence, cast, overload"
    )?;
    writeln!(out)?;
    writeln!(out, "import pulumi")?;
    writeln!(out, "import pulumi.dynamic")?;
    writeln!(out)?;
    writeln!(out, "from . import _options, _provider, _utilities")?;
    writeln!(
        out,
        "from .provider_settings import SECRET_SETTINGS, ProviderSettings"
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "__all__ = [{}, {}]",
        string_literal(&format!("{class}Args")),
        string_literal(class)
    )?;
    writeln!(out)?;
    write_provider_constant(&mut out, package, resource)?;
    let renames = python_renames(package);
    write_input_type(
        &mut out,
        &format!("{class}Args"),
        &format!("The set of arguments for constructing a {class} resource."),
        &resource.inputs,
        &renames,
    )?;
    write_input_type(
        &mut out,
        &format!("_{class}State"),
        &format!("Input properties used for looking up and filtering {class} resources."),
        &resource.state,
        &renames,
    )?;
    write_resource_class(&mut out, package, resource, &renames)?;
    Ok(out)
}

fn write_provider_constant(
    out: &mut String,
    package: &Package,
    resource: &Resource,
) -> fmt::Result {
    writeln!(out)?;
    writeln!(out, "# One provider per resource type; it is pickled into every resource's state, so it holds only")?;
    writeln!(out, "# plain data (see _provider.py).")?;
    writeln!(out, "_PROVIDER = _provider.DynamicProvider(")?;
    writeln!(
        out,
        "    resource_type={},",
        string_literal(&resource.token)
    )?;
    writeln!(
        out,
        "    config_namespace={},",
        string_literal(&package.name)
    )?;
    let variables: Vec<String> = package
        .config_variables
        .iter()
        .map(|variable| string_literal(&variable.name))
        .collect();
    writeln!(out, "    config_variables=[{}],", variables.join(", "))?;
    writeln!(out, "    property_names={{")?;
    for name in resource.all_property_names() {
        writeln!(
            out,
            "        {}: {},",
            string_literal(&names::python_property_name(name)),
            string_literal(name)
        )?;
    }
    writeln!(out, "    }},")?;
    writeln!(out, ")")
}

fn write_resource_class(
    out: &mut String,
    package: &Package,
    resource: &Resource,
    renames: &Renames,
) -> fmt::Result {
    let class = &resource.class_name;
    let mut inputs: Vec<&Property> = resource.inputs.iter().collect();
    inputs.sort_by_key(|property| python_name(property));
    let description = resource_description_lines(package, resource);

    writeln!(out)?;
    writeln!(out)?;
    writeln!(
        out,
        "class {class}(pulumi.dynamic.Resource, module={}, name={}):",
        string_literal(&package.name),
        string_literal(class)
    )?;
    let mut class_doc = description.clone();
    if let Some(message) = &resource.deprecation_message {
        class_doc.push(String::new());
        class_doc.push(format!("Deprecated: {message}"));
    }
    out.push_str(&python_docstring("    ", &class_doc));
    writeln!(out)?;
    writeln!(
        out,
        "    #: The schema token of this resource, sent to the provider binary with every call."
    )?;
    writeln!(
        out,
        "    schema_token: _builtins.str = {}",
        string_literal(&resource.token)
    )?;

    // The keyword form: ClientKey("name", aap_name=..., opts=...).
    writeln!(out)?;
    writeln!(out, "    @overload")?;
    writeln!(out, "    def __init__(__self__,")?;
    writeln!(out, "                 resource_name: _builtins.str,")?;
    writeln!(
        out,
        "                 opts: Optional[pulumi.ResourceOptions] = None,"
    )?;
    writeln!(out, "                 *,")?;
    for input in &inputs {
        writeln!(
            out,
            "                 {}: {} = None,",
            python_name(input),
            parameter_type(input, false)
        )?;
    }
    writeln!(
        out,
        "                 provider_settings: Optional[ProviderSettings] = None) -> None:"
    )?;
    let mut doc = description.clone();
    doc.push(String::new());
    doc.push(":param str resource_name: The name of the resource.".to_string());
    doc.push(":param pulumi.ResourceOptions opts: Options for the resource.".to_string());
    let owned: Vec<Property> = inputs.iter().map(|property| (*property).clone()).collect();
    doc.extend(param_doc_lines(&owned, |_| false, renames));
    doc.push(PROVIDER_SETTINGS_PARAM.to_string());
    out.push_str(&python_docstring("        ", &doc));
    writeln!(out, "        ...")?;

    // The Args form: ClientKey("name", ClientKeyArgs(...), opts).
    writeln!(out)?;
    writeln!(out, "    @overload")?;
    writeln!(out, "    def __init__(__self__,")?;
    writeln!(out, "                 resource_name: _builtins.str,")?;
    writeln!(out, "                 args: {class}Args,")?;
    writeln!(
        out,
        "                 opts: Optional[pulumi.ResourceOptions] = None,"
    )?;
    writeln!(out, "                 *,")?;
    writeln!(
        out,
        "                 provider_settings: Optional[ProviderSettings] = None) -> None:"
    )?;
    let mut doc = description.clone();
    doc.push(String::new());
    doc.push(":param str resource_name: The name of the resource.".to_string());
    doc.push(format!(
        ":param {class}Args args: The arguments to use to populate this resource's properties."
    ));
    doc.push(":param pulumi.ResourceOptions opts: Options for the resource.".to_string());
    doc.push(PROVIDER_SETTINGS_PARAM.to_string());
    out.push_str(&python_docstring("        ", &doc));
    writeln!(out, "        ...")?;

    writeln!(out)?;
    writeln!(out, "    def __init__(__self__, resource_name: _builtins.str, *args: Any, **kwargs: Any) -> None:")?;
    writeln!(out, "        resource_args, opts = _utilities.get_resource_args_opts({class}Args, pulumi.ResourceOptions, *args, **kwargs)")?;
    writeln!(out, "        if resource_args is not None:")?;
    writeln!(
        out,
        "            __self__._internal_init(resource_name, opts, provider_settings=kwargs.get(\"provider_settings\"), **resource_args.__dict__)"
    )?;
    writeln!(out, "        else:")?;
    writeln!(
        out,
        "            __self__._internal_init(resource_name, *args, **kwargs)"
    )?;

    write_internal_init(out, resource, &inputs)?;
    write_get(out, resource, renames)?;

    for output in &resource.outputs {
        writeln!(out)?;
        writeln!(out, "    @_builtins.property")?;
        write_getter_decorator(out, output)?;
        let value_type = output_type(output);
        writeln!(
            out,
            "    def {}(self) -> {value_type}:",
            python_name(output)
        )?;
        out.push_str(&property_docstring("        ", output, renames));
        writeln!(
            out,
            "        return cast({value_type}, pulumi.get(self, {}))",
            string_literal(&python_name(output))
        )?;
    }
    Ok(())
}

fn write_internal_init(out: &mut String, resource: &Resource, inputs: &[&Property]) -> fmt::Result {
    writeln!(out)?;
    writeln!(out, "    def _internal_init(__self__,")?;
    writeln!(out, "                       resource_name: _builtins.str,")?;
    writeln!(
        out,
        "                       opts: Optional[pulumi.ResourceOptions] = None,"
    )?;
    for input in inputs {
        writeln!(
            out,
            "                       {}: {} = None,",
            python_name(input),
            parameter_type(input, false)
        )?;
    }
    writeln!(
        out,
        "                       provider_settings: Optional[ProviderSettings] = None,"
    )?;
    writeln!(
        out,
        "                       __props__: Optional[Mapping[_builtins.str, Any]] = None) -> None:"
    )?;
    writeln!(out, "        opts = opts or pulumi.ResourceOptions()")?;
    writeln!(
        out,
        "        if not _builtins.isinstance(opts, pulumi.ResourceOptions):"
    )?;
    writeln!(out, "            raise _builtins.TypeError(\"Expected resource options to be a ResourceOptions instance\")")?;
    writeln!(out, "        # Settings and `import_` become inputs; `provider`/`providers` are refused (see _options.py).")?;
    writeln!(
        out,
        "        opts, option_inputs = _options.split_resource_options({}, opts, provider_settings, ProviderSettings, SECRET_SETTINGS)",
        string_literal(&resource.class_name)
    )?;
    writeln!(out, "        _props: _builtins.dict[_builtins.str, Any]")?;
    writeln!(out, "        if opts.id is None:")?;
    writeln!(out, "            if __props__ is not None:")?;
    writeln!(
        out,
        "                raise _builtins.TypeError(\"__props__ is only valid when passed in combination with a valid opts.id to get an existing resource\")"
    )?;
    for input in inputs.iter().filter(|input| input.required) {
        writeln!(
            out,
            "            if {} is None and not opts.urn:",
            python_name(input)
        )?;
        writeln!(
            out,
            "                raise _builtins.TypeError({})",
            string_literal(&format!(
                "Missing required property '{}'",
                python_name(input)
            ))
        )?;
    }
    writeln!(out, "            _props = {{}}")?;
    for input in inputs {
        let name = python_name(input);
        if input.secret {
            writeln!(
                out,
                "            _props[{}] = None if {name} is None else pulumi.Output.secret({name})",
                string_literal(&name)
            )?;
        } else {
            writeln!(
                out,
                "            _props[{}] = {name}",
                string_literal(&name)
            )?;
        }
    }
    // Pulumi's dynamic-provider hosts give `check` neither a URN nor a resource name, so the
    // name and the stack travel as engine metadata, which the binary's auto-naming reads
    // (docs/protocol.md): a name derived from them is the same in a preview and the update after.
    writeln!(
        out,
        "            # The resource name and the stack, for auto-naming: check gets no URN from a dynamic-provider host."
    )?;
    writeln!(
        out,
        "            _props[\"__resourceName\"] = resource_name"
    )?;
    writeln!(
        out,
        "            _props[\"__stack\"] = f\"{{pulumi.get_project()}}/{{pulumi.get_stack()}}\""
    )?;
    writeln!(out, "        else:")?;
    writeln!(
        out,
        "            _props = _builtins.dict(__props__ or {{}})"
    )?;
    writeln!(out, "        # Every output needs a key, even one without a value yet, for Pulumi to resolve it.")?;
    writeln!(out, "        for output_name in (")?;
    for output in &resource.outputs {
        writeln!(out, "            {},", string_literal(&python_name(output)))?;
    }
    writeln!(out, "        ):")?;
    writeln!(out, "            _props.setdefault(output_name, None)")?;
    writeln!(out, "        _props.update(option_inputs)")?;
    let secrets: Vec<String> = resource
        .secret_property_names()
        .iter()
        .map(|name| string_literal(&names::python_property_name(name)))
        .collect();
    if !secrets.is_empty() {
        writeln!(out, "        # Secret outputs are marked by the engine: a dynamic provider cannot return secrets itself.")?;
        writeln!(
            out,
            "        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=[{}]))",
            secrets.join(", ")
        )?;
    }
    writeln!(
        out,
        "        super().__init__(_PROVIDER, resource_name, _props, opts)"
    )
}

fn write_get(out: &mut String, resource: &Resource, renames: &Renames) -> fmt::Result {
    let class = &resource.class_name;
    writeln!(out)?;
    writeln!(out, "    @staticmethod")?;
    writeln!(out, "    def get(resource_name: _builtins.str,")?;
    writeln!(out, "            id: pulumi.Input[_builtins.str],")?;
    writeln!(
        out,
        "            opts: Optional[pulumi.ResourceOptions] = None,"
    )?;
    writeln!(out, "            *,")?;
    for property in &resource.state {
        writeln!(
            out,
            "            {}: {} = None,",
            python_name(property),
            parameter_type(property, false)
        )?;
    }
    writeln!(
        out,
        "            provider_settings: Optional[ProviderSettings] = None) -> \"{class}\":"
    )?;
    let mut doc = vec![
        format!(
            "Gets an existing {class} resource's state with the given name, id, and optional extra"
        ),
        "properties used to qualify the lookup.".to_string(),
        String::new(),
        ":param str resource_name: The unique name of the resulting resource.".to_string(),
        ":param pulumi.Input[str] id: The unique provider ID of the resource to lookup."
            .to_string(),
        ":param pulumi.ResourceOptions opts: Options for the resource.".to_string(),
    ];
    doc.extend(param_doc_lines(&resource.state, |_| false, renames));
    doc.push(PROVIDER_SETTINGS_PARAM.to_string());
    out.push_str(&python_docstring("        ", &doc));
    writeln!(
        out,
        "        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))"
    )?;
    writeln!(
        out,
        "        _props: _builtins.dict[_builtins.str, Any] = {{}}"
    )?;
    for property in &resource.state {
        let name = python_name(property);
        writeln!(out, "        _props[{}] = {name}", string_literal(&name))?;
    }
    writeln!(
        out,
        "        # Calling _internal_init directly keeps the public overloads free of __props__."
    )?;
    writeln!(out, "        resource = {class}.__new__({class})")?;
    writeln!(
        out,
        "        resource._internal_init(resource_name, opts, provider_settings=provider_settings, __props__=_props)"
    )?;
    writeln!(out, "        return resource")
}
