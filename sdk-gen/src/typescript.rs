//! The TypeScript SDK (`sdk/nodejs`): one module per resource, the package files, and the
//! runtime helpers from `src/runtime/*.ts`.
//!
//! Property names are the schema names (camelCase), so the Node SDK needs no name mapping. Each
//! resource class extends `pulumi.dynamic.Resource` and hands it a provider object built by
//! `dynamicProvider.ts`; see that file for why the object survives closure serialisation.

use std::collections::BTreeMap;
use std::fmt::{self, Write};

use crate::docs::{description_lines, jsdoc};
use crate::header::{CommentSyntax, Header};
use crate::model::{Package, Property, PropertyType, Resource};
use crate::names;
use crate::Language;

/// The hand-written runtime modules, copied verbatim after the header.
const RUNTIME_FILES: &[(&str, &str)] = &[
    ("rpc.ts", include_str!("runtime/rpc.ts")),
    ("bridge.ts", include_str!("runtime/bridge.ts")),
    (
        "dynamicProvider.ts",
        include_str!("runtime/dynamicProvider.ts"),
    ),
];

/// The `@pulumi/pulumi` range the SDK needs: dynamic providers with `configure` and the typed
/// `ResourceProvider` interface. CI type-checks and runs against exactly this version.
const PULUMI_VERSION_RANGE: &str = "^3.276.0";

/// The TypeScript emitter.
pub struct TypeScript;

impl Language for TypeScript {
    fn directory(&self) -> &'static str {
        "nodejs"
    }

    fn emit(
        &self,
        package: &Package,
        header: &Header,
    ) -> Result<BTreeMap<String, String>, fmt::Error> {
        let mut files = BTreeMap::new();
        for resource in &package.resources {
            files.insert(
                format!("{}.ts", module_name(resource)),
                resource_module(package, resource, header)?,
            );
        }
        for (name, contents) in RUNTIME_FILES {
            files.insert(
                (*name).to_string(),
                format!("{}{contents}", header.line(CommentSyntax::DoubleSlash)),
            );
        }
        files.insert("index.ts".to_string(), index_module(package, header)?);
        files.insert("package.json".to_string(), package_json(package, header));
        files.insert("tsconfig.json".to_string(), tsconfig_json(&files, header)?);
        files.insert("README.md".to_string(), readme(package, header)?);
        Ok(files)
    }
}

/// `ClientKey` → `clientKey`, the file name pulumi's Node codegen uses.
fn module_name(resource: &Resource) -> String {
    names::to_camel_case(&resource.class_name)
}

/// The type of a property as seen by a program, without `pulumi.Input`/`Output` wrapping.
fn plain_type(property_type: &PropertyType) -> String {
    match property_type {
        PropertyType::String => "string".to_string(),
        PropertyType::Integer | PropertyType::Number => "number".to_string(),
        PropertyType::Boolean => "boolean".to_string(),
        PropertyType::Any => "any".to_string(),
        PropertyType::Array(item) => format!("{}[]", wrap_union(&plain_type(item))),
        PropertyType::Map(value) => format!("{{[key: string]: {}}}", plain_type(value)),
    }
}

/// The type of an input: every level accepts an `Input` (a value, a promise or an output).
fn input_type(property_type: &PropertyType) -> String {
    match property_type {
        PropertyType::Array(item) => format!("pulumi.Input<pulumi.Input<{}>[]>", input_inner(item)),
        PropertyType::Map(value) => format!(
            "pulumi.Input<{{[key: string]: pulumi.Input<{}>}}>",
            input_inner(value)
        ),
        other => format!("pulumi.Input<{}>", plain_type(other)),
    }
}

fn input_inner(property_type: &PropertyType) -> String {
    match property_type {
        PropertyType::Array(_) | PropertyType::Map(_) => {
            // Nested collections are accepted as plain values inside the outer input.
            plain_type(property_type)
        }
        other => plain_type(other),
    }
}

fn wrap_union(type_text: &str) -> String {
    if type_text.contains(' ') && !type_text.starts_with('{') {
        format!("({type_text})")
    } else {
        type_text.to_string()
    }
}

fn property_doc(indent: &str, property: &Property) -> String {
    let mut lines = property
        .description
        .as_deref()
        .map(description_lines)
        .unwrap_or_default();
    if let Some(message) = &property.deprecation_message {
        lines.push(format!("@deprecated {message}"));
    }
    jsdoc(indent, &lines)
}

fn string_literal(text: &str) -> String {
    // JSON string syntax is valid JavaScript string syntax.
    serde_json::Value::String(text.to_string()).to_string()
}

fn resource_module(
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
    writeln!(out)?;
    write_provider_constant(&mut out, package, resource)?;
    writeln!(out)?;

    let mut class_doc = resource
        .description
        .as_deref()
        .map(description_lines)
        .unwrap_or_default();
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
        "    public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: {class}State, opts?: pulumi.CustomResourceOptions): {class} {{"
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
            "@param opts A bag of options that control this resource's behavior.".to_string(),
        ],
    ));
    let args_optional = if resource.inputs.iter().any(|input| input.required) {
        ""
    } else {
        "?"
    };
    writeln!(out, "    constructor(name: string, args{args_optional}: {class}Args, opts?: pulumi.CustomResourceOptions)")?;
    writeln!(out, "    constructor(name: string, argsOrState?: {class}Args | {class}State, opts?: pulumi.CustomResourceOptions) {{")?;
    writeln!(out, "        const resourceInputs: pulumi.Inputs = {{}};")?;
    writeln!(out, "        opts = opts || {{}};")?;
    writeln!(out, "        if (opts.id) {{")?;
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
            "            if (args?.{} === undefined && !opts.urn) {{",
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
    // See the Python generator: the resource name travels to `check` as engine metadata.
    writeln!(
        out,
        "            // The resource name, for auto-naming: check gets no URN from a dynamic-provider host."
    )?;
    writeln!(out, "            resourceInputs[\"__resourceName\"] = name;")?;
    writeln!(out, "        }}")?;
    let secrets = resource.secret_property_names();
    if !secrets.is_empty() {
        let list: Vec<String> = secrets.iter().map(|name| string_literal(name)).collect();
        writeln!(out, "        // Secret outputs are marked by the engine: a dynamic provider cannot return secrets itself.")?;
        writeln!(
            out,
            "        opts = pulumi.mergeOptions(opts, {{ additionalSecretOutputs: [{}] }});",
            list.join(", ")
        )?;
    }
    writeln!(
        out,
        "        super({}, name, resourceInputs, opts, {}, {});",
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
            input_type(&property.property_type)
        )?;
    }
    writeln!(out, "}}")
}

fn index_module(package: &Package, header: &Header) -> Result<String, fmt::Error> {
    let mut out = header.line(CommentSyntax::DoubleSlash);
    writeln!(out)?;
    for resource in &package.resources {
        let class = &resource.class_name;
        writeln!(
            out,
            "export {{ {class}, {class}Args, {class}State }} from \"./{}\";",
            module_name(resource)
        )?;
    }
    writeln!(out, "export {{ ProviderError }} from \"./rpc\";")?;
    Ok(out)
}

/// `package.json` cannot hold a comment, so the header sentence goes in the `"//"` key, which npm
/// reserves for comments and ignores. Keys are sorted (serde_json's map), so `"//"` comes first.
fn package_json(package: &Package, header: &Header) -> String {
    let mut manifest = serde_json::json!({
        "//": header.text(),
        "name": package.nodejs_package_name,
        "version": package.version,
        "main": "bin/index.js",
        "types": "bin/index.d.ts",
        "files": ["bin/"],
        "scripts": { "build": "tsc" },
        "dependencies": { "@pulumi/pulumi": PULUMI_VERSION_RANGE },
        "devDependencies": { "@types/node": "^20.0.0", "typescript": "^5.9.3" },
    });
    if let Some(description) = &package.description {
        manifest["description"] = serde_json::Value::String(description.clone());
    }
    if let Some(license) = &package.license {
        manifest["license"] = serde_json::Value::String(license.clone());
    }
    // Pretty printing a `Value` cannot fail: it holds no non-string map keys.
    let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    format!("{text}\n")
}

fn tsconfig_json(files: &BTreeMap<String, String>, header: &Header) -> Result<String, fmt::Error> {
    let mut out = header.line(CommentSyntax::DoubleSlash);
    writeln!(out, "{{")?;
    writeln!(out, "    \"compilerOptions\": {{")?;
    for option in [
        "\"outDir\": \"bin\"",
        "\"target\": \"es2020\"",
        "\"module\": \"commonjs\"",
        "\"moduleResolution\": \"node\"",
        "\"declaration\": true",
        "\"sourceMap\": true",
        "\"stripInternal\": true",
        "\"strict\": true",
        "\"noImplicitReturns\": true",
        "\"forceConsistentCasingInFileNames\": true",
    ] {
        writeln!(out, "        {option},")?;
    }
    writeln!(out, "        \"types\": [\"node\"]")?;
    writeln!(out, "    }},")?;
    writeln!(out, "    \"files\": [")?;
    let sources: Vec<&String> = files.keys().filter(|name| name.ends_with(".ts")).collect();
    for (index, source) in sources.iter().enumerate() {
        let comma = if index + 1 < sources.len() { "," } else { "" };
        writeln!(out, "        {}{comma}", string_literal(source))?;
    }
    writeln!(out, "    ]")?;
    writeln!(out, "}}")?;
    Ok(out)
}

fn readme(package: &Package, header: &Header) -> Result<String, fmt::Error> {
    let mut out = header.line(CommentSyntax::Html);
    writeln!(out)?;
    writeln!(out, "# {}", package.nodejs_package_name)?;
    writeln!(out)?;
    if let Some(description) = &package.description {
        writeln!(out, "{description}")?;
        writeln!(out)?;
    }
    writeln!(out, "Each resource is a Pulumi dynamic resource whose provider runs the `alicloud-kms-provider` binary,")?;
    writeln!(
        out,
        "found through `ALICLOUD_KMS_PROVIDER_PATH` or else on `PATH`. Build with `npm run build`."
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Stack configuration is read from the `{}` namespace:",
        package.name
    )?;
    writeln!(out)?;
    for variable in &package.config_variables {
        writeln!(out, "- `{}:{}`", package.name, variable.name)?;
    }
    writeln!(out)?;
    writeln!(out, "Resources:")?;
    writeln!(out)?;
    for resource in &package.resources {
        writeln!(out, "- `{}` (`{}`)", resource.class_name, resource.token)?;
    }
    Ok(out)
}
