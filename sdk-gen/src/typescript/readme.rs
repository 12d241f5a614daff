//! The npm package's README: install, a program (the schema's TypeScript examples), the stack
//! configuration, per-resource settings, importing, and the resources.

use std::fmt::{self, Write};

use super::{string_literal, PLATFORM_PACKAGE_SUFFIXES, PULUMI_PEER_FLOOR};
use crate::header::{CommentSyntax, Header};
use crate::model::Package;
use crate::names;

pub(super) fn readme(package: &Package, header: &Header) -> Result<String, fmt::Error> {
    let name = &package.nodejs_package_name;
    let version = &package.version;
    let mut out = header.line(CommentSyntax::Html);
    writeln!(out)?;
    writeln!(out, "# {name}")?;
    writeln!(out)?;
    if let Some(description) = &package.description {
        writeln!(out, "{description}")?;
        writeln!(out)?;
    }
    writeln!(out, "Each resource is a Pulumi dynamic resource whose provider runs the `alicloud-kms-provider` binary.")?;
    writeln!(out)?;
    writeln!(out, "## Install")?;
    writeln!(out)?;
    writeln!(out, "```sh")?;
    let platform_packages: Vec<String> = PLATFORM_PACKAGE_SUFFIXES
        .iter()
        .map(|suffix| format!("{name}-{suffix}-{version}.tgz"))
        .collect();
    writeln!(
        out,
        "npm install {name}-{version}.tgz {}",
        platform_packages.join(" ")
    )?;
    writeln!(out, "```")?;
    writeln!(out)?;
    writeln!(out, "`@pulumi/pulumi` (>= {PULUMI_PEER_FLOOR}) is a peer dependency: the program's own copy is used. The binary")?;
    writeln!(
        out,
        "comes in a platform package (`{}`), an optional dependency chosen by",
        platform_packages_names(package).join("`, `")
    )?;
    writeln!(
        out,
        "`process.platform` and `process.arch`. The resources run the binary found first among:"
    )?;
    writeln!(
        out,
        "`ALICLOUD_KMS_PROVIDER_PATH`; the platform package's; `alicloud-kms-provider` on `PATH`."
    )?;
    writeln!(out, "`providerBinary()` returns it, or throws an error that says how to install it. Installing this")?;
    writeln!(
        out,
        "directory (`npm install --install-links <dir>`) compiles the TypeScript (`prepare`), without a binary."
    )?;
    writeln!(out)?;
    crate::readme::program_section(&mut out, package, "typescript")?;
    crate::readme::configuration_section(&mut out, package)?;
    writeln!(out, "## Several regions or accounts")?;
    writeln!(out)?;
    writeln!(out, "Give a resource its own settings with the `providerSettings` resource option. Every field of")?;
    writeln!(out, "`ProviderSettings` is one of the settings above; one left out falls back to the environment, not to")?;
    writeln!(out, "the stack configuration. Secret settings make the settings a secret input, encrypted in the state.")?;
    writeln!(out, "The `provider` and `providers` options are refused with an error: a dynamic resource's provider is")?;
    writeln!(out, "the package's own.")?;
    writeln!(out)?;
    writeln!(out, "```typescript")?;
    writeln!(out, "import * as pulumi from \"@pulumi/pulumi\";")?;
    writeln!(out, "import * as kms from \"{name}\";")?;
    writeln!(out)?;
    writeln!(out, "const config = new pulumi.Config();")?;
    writeln!(
        out,
        "const other: kms.ProviderSettings = {{ {} }};",
        settings_example(package)
    )?;
    if let Some(resource) = package.resources.first() {
        writeln!(
            out,
            "new kms.{}(\"elsewhere\", {{ ... }}, {{ providerSettings: other }});",
            resource.class_name
        )?;
    }
    writeln!(out, "```")?;
    writeln!(out)?;
    let example = package.resources.first().map(|resource| {
        format!(
            "new kms.{}(\"existing\", {{ ... }}, {{ import: \"<id>\" }});",
            resource.class_name
        )
    });
    crate::readme::import_section(&mut out, "import", "typescript", example)?;
    writeln!(out, "## Resources")?;
    writeln!(out)?;
    for resource in &package.resources {
        writeln!(out, "- `{}` (`{}`)", resource.class_name, resource.token)?;
    }
    Ok(out)
}

fn platform_packages_names(package: &Package) -> Vec<String> {
    PLATFORM_PACKAGE_SUFFIXES
        .iter()
        .map(|suffix| format!("{}-{suffix}", package.nodejs_package_name))
        .collect()
}

/// Fields for a `ProviderSettings` example: each setting read from the program's own config.
fn settings_example(package: &Package) -> String {
    let variables = &package.config_variables;
    let region = variables.iter().find(|variable| variable.name == "region");
    let plain = variables
        .iter()
        .find(|variable| !variable.secret && variable.name != "region");
    let secret = variables.iter().find(|variable| variable.secret);
    [region, plain, secret]
        .into_iter()
        .flatten()
        .map(|variable| {
            let getter = if variable.secret {
                "requireSecret"
            } else {
                "require"
            };
            let key = format!("other{}", names::to_pascal_case(&variable.name));
            format!(
                "{}: config.{getter}({})",
                variable.name,
                string_literal(&key)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}
