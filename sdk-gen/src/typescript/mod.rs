//! The TypeScript SDK (`sdk/nodejs`): one module per resource (`resource`), the provider settings
//! and resource options (`settings`), the package files, and the runtime helpers from
//! `src/runtime/*.ts`.
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
use crate::{Language, LICENSE_TEXT};

mod readme;
mod resource;
mod settings;

use resource::resource_module;

/// The hand-written runtime modules, copied verbatim after the header.
const RUNTIME_FILES: &[(&str, &str)] = &[
    ("rpc.ts", include_str!("../runtime/rpc.ts")),
    ("bridge.ts", include_str!("../runtime/bridge.ts")),
    (
        "dynamicProvider.ts",
        include_str!("../runtime/dynamicProvider.ts"),
    ),
    ("options.ts", include_str!("../runtime/options.ts")),
    ("prepare.js", include_str!("../runtime/prepare.js")),
];

/// The lowest `@pulumi/pulumi` the SDK works with (dynamic providers with `configure`), a peer
/// dependency so that a program's own copy is the one used. `scripts/test.d/50-artefacts.sh` runs
/// the Node tests against exactly this version; raise it only with a reason.
pub const PULUMI_PEER_FLOOR: &str = "3.216.0";

/// The `@pulumi/pulumi` the SDK is built and type-checked with (its devDependency): the version of
/// the test packages in `tests/node/package.json`.
const PULUMI_BUILD_VERSION: &str = "3.276.0";

/// The platform packages that carry the binary (`<package>-<suffix>`), each an optional
/// dependency of the main package at the same version; npm installs the one whose `os`, `cpu`
/// and `libc` match the machine. `scripts/package.sh` builds them.
pub const PLATFORM_PACKAGE_SUFFIXES: &[&str] = &["linux-x64-gnu"];

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
        files.insert(
            "providerSettings.ts".to_string(),
            settings::settings_module(package, header)?,
        );
        files.insert("index.ts".to_string(), index_module(package, header)?);
        if let Some(namespace) = package.namespace() {
            files.insert(
                format!("{namespace}.ts"),
                namespace_module(package, header)?,
            );
        }
        files.insert("LICENSE".to_string(), LICENSE_TEXT.to_string());
        files.insert("package.json".to_string(), package_json(package, header));
        files.insert("tsconfig.json".to_string(), tsconfig_json(&files, header)?);
        files.insert("README.md".to_string(), readme::readme(package, header)?);
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

/// The type of an input: every level accepts an `Input` (a value, a promise or an output). An
/// optional input also accepts `undefined` *inside* the input, as pulumi-alicloud's optional
/// outputs hold it (`Output<string | undefined>`), so one resource's optional output can feed
/// another's optional input.
fn input_type(property_type: &PropertyType, optional: bool) -> String {
    let value = match property_type {
        PropertyType::Array(item) => format!("pulumi.Input<{}>[]", plain_type(item)),
        PropertyType::Map(value) => {
            format!("{{[key: string]: pulumi.Input<{}>}}", plain_type(value))
        }
        other => plain_type(other),
    };
    if optional {
        format!("pulumi.Input<{value} | undefined>")
    } else {
        format!("pulumi.Input<{value}>")
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

/// The exports of the package: every resource with its `Args` and `State`, the settings and the
/// binary's helpers.
fn write_exports(out: &mut String, package: &Package) -> fmt::Result {
    for resource in &package.resources {
        let class = &resource.class_name;
        writeln!(
            out,
            "export {{ {class}, {class}Args, {class}State }} from \"./{}\";",
            module_name(resource)
        )?;
    }
    writeln!(
        out,
        "export {{ ProviderSettings, ResourceOptions, providerBinary }} from \"./providerSettings\";"
    )?;
    writeln!(out, "export {{ ProviderError }} from \"./rpc\";")
}

fn index_module(package: &Package, header: &Header) -> Result<String, fmt::Error> {
    let mut out = header.line(CommentSyntax::DoubleSlash);
    writeln!(out)?;
    write_exports(&mut out, package)?;
    if let Some(namespace) = package.namespace() {
        writeln!(out, "export * as {namespace} from \"./{namespace}\";")?;
    }
    Ok(out)
}

/// `kms.ts`: every export of the package again, as the namespace `kms`, so that a program written
/// for pulumi-alicloud (`import * as alicloud from "@pulumi/alicloud"`, then
/// `new alicloud.kms.ClientKey(...)`) ports by changing its import line.
fn namespace_module(package: &Package, header: &Header) -> Result<String, fmt::Error> {
    let mut out = header.line(CommentSyntax::DoubleSlash);
    writeln!(out)?;
    out.push_str(&jsdoc(
        "",
        &[format!(
            "The resources under the name pulumi-alicloud gives their module (`alicloud.{}`), so that a program written for pulumi-alicloud ports by changing its import line.",
            package.module_alias()
        )],
    ));
    write_exports(&mut out, package)?;
    Ok(out)
}

/// `package.json` cannot hold a comment, so the header sentence goes in the `"//"` key, which npm
/// reserves for comments and ignores. Keys are sorted (serde_json's map), so `"//"` comes first.
///
/// `@pulumi/pulumi` is a peer dependency: a program's own copy must be the one our classes extend
/// (a second, nested copy breaks `instanceof` checks and the resource monitor). `prepare` compiles
/// the TypeScript (`prepare.js`), so `npm pack` and installs from a git URL or a directory get `bin/`.
fn package_json(package: &Package, header: &Header) -> String {
    let mut optional_dependencies = serde_json::Map::new();
    for suffix in PLATFORM_PACKAGE_SUFFIXES {
        optional_dependencies.insert(
            format!("{}-{suffix}", package.nodejs_package_name),
            serde_json::Value::String(package.version.clone()),
        );
    }
    let mut manifest = serde_json::json!({
        "//": header.text(),
        "name": package.nodejs_package_name,
        "version": package.version,
        "main": "bin/index.js",
        "types": "bin/index.d.ts",
        "exports": {
            ".": { "types": "./bin/index.d.ts", "default": "./bin/index.js" },
            // Resources created by earlier versions load the bridge by this path (dynamicProvider.ts).
            "./bin/bridge": "./bin/bridge.js",
            "./package.json": "./package.json",
        },
        "files": ["bin/**/*.js", "bin/**/*.d.ts", "README.md", "LICENSE"],
        "engines": { "node": ">=18" },
        "scripts": { "build": "tsc", "prepare": "node prepare.js" },
        "peerDependencies": { "@pulumi/pulumi": format!(">={PULUMI_PEER_FLOOR} <4") },
        "optionalDependencies": optional_dependencies,
        "devDependencies": {
            "@pulumi/pulumi": PULUMI_BUILD_VERSION,
            "@types/node": "^20.0.0",
            "typescript": "^5.9.3",
        },
    });
    if let Some(description) = &package.description {
        manifest["description"] = serde_json::Value::String(description.clone());
    }
    if let Some(license) = &package.license {
        manifest["license"] = serde_json::Value::String(license.clone());
    }
    if !package.keywords.is_empty() {
        manifest["keywords"] = serde_json::json!(package.keywords);
    }
    if let Some(homepage) = &package.homepage {
        manifest["homepage"] = serde_json::Value::String(homepage.clone());
    }
    if let Some(repository) = &package.repository {
        manifest["repository"] = serde_json::json!({
            "type": "git",
            "url": format!("git+{repository}.git"),
            "directory": "sdk/nodejs",
        });
        manifest["bugs"] = serde_json::json!({ "url": format!("{repository}/issues") });
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
        // Node's own resolution (TypeScript 6 refuses the old `node`): CommonJS output, since
        // package.json has no `"type": "module"`.
        "\"module\": \"node16\"",
        "\"moduleResolution\": \"node16\"",
        "\"declaration\": true",
        // No source maps: the package ships JavaScript and types, not the TypeScript they map to.
        "\"sourceMap\": false",
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
