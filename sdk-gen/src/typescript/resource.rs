//! One resource module of the TypeScript SDK (`clientKey.ts`): the shared provider object, the
//! resource class (constructor, `get`, `isInstance`, typed outputs), and its `Args` and `State`
//! interfaces.

use std::fmt::{self, Write};

use super::{input_type, module_name, plain_type, property_doc, string_literal};
use crate::docs::{jsdoc, resource_description, Renames, SdkDocs};
use crate::header::{CommentSyntax, Header};
use crate::model::{Package, Property, Resource};

pub(super) fn resource_module(
    package: &Package,
    resource: &Resource,
    header: &Header,
) -> Result<String, fmt::Error> {
    let class = &resource.class_name;
    let mut out = header.line(CommentSyntax::DoubleSlash);
    writeln!(out)?;
    writeln!(out, "import * as pulumi from \"@pulumi/pulumi\";")?;
    writeln!(
        out,
        "import {{ dynamicProvider }} from \"./dynamicProvider\";"
    )?;
    writeln!(
        out,
        "import {{ ResourceOptions, splitOptions }} from \"./providerSettings\";"
    )?;
    writeln!(out)?;
    write_provider_constant(&mut out, package, resource)?;
    writeln!(out)?;

    let no_renames = Renames::new();
    let example = |class: &str, id: &str| import_example(package, class, id);
    let docs = SdkDocs {
        language: "typescript",
        renames: &no_renames,
        import_option: "import",
        import_example: &example,
    };
    let mut class_doc =
        resource_description(resource.description.as_deref().unwrap_or(""), class, &docs);
    if let Some(message) = &resource.deprecation_message {
        class_doc.push(String::new());
        class_doc.push(format!("@deprecated {message}"));
    }
    out.push_str(&jsdoc("", &class_doc));
    writeln!(
        out,
        "export class {class} extends pulumi.dynamic.Resource {{"
    )?;
    out.push_str(&jsdoc(
        "    ",
        &[
            format!("Gets an existing {class} resource's state with the given name, ID, and optional extra"),
            "properties used to qualify the lookup.".to_string(),
            String::new(),
            "@param name The _unique_ name of the resulting resource.".to_string(),
            "@param id The _unique_ provider ID of the resource to lookup.".to_string(),
            "@param state Any extra arguments used during the lookup.".to_string(),
            "@param opts Optional settings to control the behavior of the CustomResource.".to_string(),
        ],
    ));
    writeln!(
        out,
        "    public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: {class}State, opts?: ResourceOptions): {class} {{"
    )?;
    writeln!(
        out,
        "        return new {class}(name, <any>state, {{ ...opts, id: id }});"
    )?;
    writeln!(out, "    }}")?;
    writeln!(out)?;
    writeln!(out, "    /** The schema token of this resource, sent to the provider binary with every call. */")?;
    writeln!(
        out,
        "    public static readonly schemaToken = {};",
        string_literal(&resource.token)
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "    /** @internal The type Pulumi registers: a Node dynamic resource. */"
    )?;
    writeln!(
        out,
        "    public static readonly __pulumiType = {};",
        string_literal(&format!("pulumi-nodejs:dynamic/{}:{class}", package.name))
    )?;
    writeln!(out)?;
    out.push_str(&jsdoc(
        "    ",
        &[
            format!("Returns true if the given object is an instance of {class}. This is designed to work even"),
            "when multiple copies of the Pulumi SDK have been loaded into the same process.".to_string(),
        ],
    ));
    writeln!(
        out,
        "    public static isInstance(obj: any): obj is {class} {{"
    )?;
    writeln!(out, "        if (obj === undefined || obj === null) {{")?;
    writeln!(out, "            return false;")?;
    writeln!(out, "        }}")?;
    writeln!(
        out,
        "        return obj[\"__pulumiType\"] === {class}.__pulumiType;"
    )?;
    writeln!(out, "    }}")?;

    for output in &resource.outputs {
        writeln!(out)?;
        out.push_str(&property_doc("    ", output));
        let is_output_only = !resource
            .inputs
            .iter()
            .any(|input| input.name == output.name);
        let marker = if is_output_only { "/*out*/ " } else { "" };
        let value_type = if output.required {
            plain_type(&output.property_type)
        } else {
            format!("{} | undefined", plain_type(&output.property_type))
        };
        writeln!(
            out,
            "    declare public {marker}readonly {}: pulumi.Output<{value_type}>;",
            output.name
        )?;
    }

    writeln!(out)?;
    out.push_str(&jsdoc(
        "    ",
        &[
            format!(
                "Creates a {class} resource with the given unique name, arguments, and options."
            ),
            String::new(),
            "@param name The _unique_ name of the resource.".to_string(),
            "@param args The arguments to use to populate this resource's properties.".to_string(),
            "@param opts A bag of options that control this resource's behavior, including"
                .to_string(),
            "`providerSettings`: this resource's own region, endpoint and credentials.".to_string(),
        ],
    ));
    let args_optional = if resource.inputs.iter().any(|input| input.required) {
        ""
    } else {
        "?"
    };
    writeln!(
        out,
        "    constructor(name: string, args{args_optional}: {class}Args, opts?: ResourceOptions)"
    )?;
    writeln!(out, "    constructor(name: string, argsOrState?: {class}Args | {class}State, opts?: ResourceOptions) {{")?;
    writeln!(out, "        const resourceInputs: pulumi.Inputs = {{}};")?;
    writeln!(out, "        // Settings and `import` become inputs; `provider`/`providers` are refused (see options.ts).")?;
    writeln!(
        out,
        "        const {{ opts: customOptions, inputs: optionInputs }} = splitOptions({}, opts);",
        string_literal(class)
    )?;
    writeln!(out, "        let options = customOptions;")?;
    writeln!(out, "        if (options.id) {{")?;
    writeln!(
        out,
        "            const state = argsOrState as {class}State | undefined;"
    )?;
    for property in &resource.state {
        writeln!(
            out,
            "            resourceInputs[{}] = state?.{};",
            string_literal(&property.name),
            property.name
        )?;
    }
    let state_names: Vec<&str> = resource
        .state
        .iter()
        .map(|property| property.name.as_str())
        .collect();
    for output in resource
        .outputs
        .iter()
        .filter(|output| !state_names.contains(&output.name.as_str()))
    {
        writeln!(
            out,
            "            resourceInputs[{}] = undefined /*out*/;",
            string_literal(&output.name)
        )?;
    }
    writeln!(out, "        }} else {{")?;
    writeln!(
        out,
        "            const args = argsOrState as {class}Args | undefined;"
    )?;
    for input in resource.inputs.iter().filter(|input| input.required) {
        writeln!(
            out,
            "            if (args?.{} === undefined && !options.urn) {{",
            input.name
        )?;
        writeln!(
            out,
            "                throw new Error({});",
            string_literal(&format!("Missing required property '{}'", input.name))
        )?;
        writeln!(out, "            }}")?;
    }
    for input in &resource.inputs {
        let key = string_literal(&input.name);
        if input.secret {
            writeln!(
                out,
                "            resourceInputs[{key}] = args?.{name} === undefined ? undefined : pulumi.secret(args.{name});",
                name = input.name
            )?;
        } else {
            writeln!(
                out,
                "            resourceInputs[{key}] = args?.{};",
                input.name
            )?;
        }
    }
    for output in resource.output_only() {
        writeln!(
            out,
            "            resourceInputs[{}] = undefined /*out*/;",
            string_literal(&output.name)
        )?;
    }
    // See the Python generator: the resource name and the stack travel to `check` as engine
    // metadata.
    writeln!(
        out,
        "            // The resource name and the stack, for auto-naming: check gets no URN from a dynamic-provider host."
    )?;
    writeln!(
        out,
        "            resourceInputs[\"__resourceName\"] = name;"
    )?;
    writeln!(
        out,
        "            resourceInputs[\"__stack\"] = `${{pulumi.getProject()}}/${{pulumi.getStack()}}`;"
    )?;
    writeln!(out, "        }}")?;
    writeln!(out, "        Object.assign(resourceInputs, optionInputs);")?;
    let secrets = resource.secret_property_names();
    if !secrets.is_empty() {
        let list: Vec<String> = secrets.iter().map(|name| string_literal(name)).collect();
        writeln!(out, "        // Secret outputs are marked by the engine: a dynamic provider cannot return secrets itself.")?;
        writeln!(
            out,
            "        options = pulumi.mergeOptions(options, {{ additionalSecretOutputs: [{}] }});",
            list.join(", ")
        )?;
    }
    writeln!(
        out,
        "        super({}, name, resourceInputs, options, {}, {});",
        provider_constant_name(resource),
        string_literal(&package.name),
        string_literal(class)
    )?;
    writeln!(out, "    }}")?;
    writeln!(out, "}}")?;

    write_interface(
        &mut out,
        &format!("{class}State"),
        &format!("Input properties used for looking up and filtering {class} resources."),
        &resource.state,
    )?;
    write_interface(
        &mut out,
        &format!("{class}Args"),
        &format!("The set of arguments for constructing a {class} resource."),
        &resource.inputs,
    )?;
    Ok(out)
}

/// How a TypeScript program adopts an existing resource (the docs' `pulumi import` becomes this).
pub(super) fn import_example(package: &Package, class: &str, id: &str) -> String {
    format!(
        "new {}.{class}(\"example\", {{ ... }}, {{ import: {} }});",
        package.module_alias(),
        string_literal(id)
    )
}

fn provider_constant_name(resource: &Resource) -> String {
    format!("{}Provider", module_name(resource))
}

/// The provider object every instance of the class shares, so the SDK serialises it only once.
fn write_provider_constant(
    out: &mut String,
    package: &Package,
    resource: &Resource,
) -> fmt::Result {
    writeln!(out, "// One provider object per resource type: @pulumi/pulumi caches its serialised form per object.")?;
    writeln!(
        out,
        "const {} = dynamicProvider({{",
        provider_constant_name(resource)
    )?;
    writeln!(
        out,
        "    resourceType: {},",
        string_literal(&resource.token)
    )?;
    writeln!(
        out,
        "    configNamespace: {},",
        string_literal(&package.name)
    )?;
    let variables: Vec<String> = package
        .config_variables
        .iter()
        .map(|variable| string_literal(&variable.name))
        .collect();
    writeln!(out, "    configVariables: [{}],", variables.join(", "))?;
    writeln!(
        out,
        "    bridgeModule: {},",
        string_literal(&format!("{}/bin/bridge", package.nodejs_package_name))
    )?;
    writeln!(out, "    bridgePath: require.resolve(\"./bridge\"),")?;
    writeln!(out, "}});")
}

fn write_interface(
    out: &mut String,
    name: &str,
    doc: &str,
    properties: &[Property],
) -> fmt::Result {
    writeln!(out)?;
    out.push_str(&jsdoc("", &[doc.to_string()]));
    writeln!(out, "export interface {name} {{")?;
    for (index, property) in properties.iter().enumerate() {
        if index > 0 {
            writeln!(out)?;
        }
        out.push_str(&property_doc("    ", property));
        let optional = if property.required { "" } else { "?" };
        writeln!(
            out,
            "    {}{optional}: {};",
            property.name,
            input_type(&property.property_type, !property.required)
        )?;
    }
    writeln!(out, "}}")
}
