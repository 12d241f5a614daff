//! The sections both packages' READMEs share, written from the schema: the examples of each
//! resource in the package's language, and the stack configuration.

use std::fmt::{self, Write};

use crate::docs::{code_blocks, description_lines};
use crate::model::Package;

/// `## A program`: each resource's examples in `language` (a code block language of the schema's
/// descriptions), under the resource's class name and token.
pub fn program_section(out: &mut String, package: &Package, language: &str) -> fmt::Result {
    writeln!(out, "## A program")?;
    for resource in &package.resources {
        let examples = code_blocks(resource.description.as_deref().unwrap_or(""), language);
        if examples.is_empty() {
            continue;
        }
        writeln!(out)?;
        writeln!(out, "`{}` (`{}`):", resource.class_name, resource.token)?;
        writeln!(out)?;
        for line in examples {
            writeln!(out, "{line}")?;
        }
    }
    writeln!(out)
}

/// `## Configuration`: a `pulumi config set` line per setting, then what each one means.
pub fn configuration_section(out: &mut String, package: &Package) -> fmt::Result {
    writeln!(out, "## Configuration")?;
    writeln!(out)?;
    writeln!(out, "The stack configuration in the `{}` namespace applies to every resource without settings of its own:", package.name)?;
    writeln!(out)?;
    writeln!(out, "```sh")?;
    for variable in &package.config_variables {
        let secret = if variable.secret { "--secret " } else { "" };
        writeln!(
            out,
            "pulumi config set {secret}{}:{} ...",
            package.name, variable.name
        )?;
    }
    writeln!(out, "```")?;
    writeln!(out)?;
    for variable in &package.config_variables {
        let description = variable
            .description
            .as_deref()
            .map(description_lines)
            .unwrap_or_default()
            .join(" ");
        writeln!(out, "- `{}`: {description}", variable.name)?;
    }
    writeln!(out)
}

/// `## Importing existing resources`: the SDK's import resource option (`option`, as the
/// language spells it), with `example` (a line of `language` code) when the package has a
/// resource.
pub fn import_section(
    out: &mut String,
    option: &str,
    language: &str,
    example: Option<String>,
) -> fmt::Result {
    writeln!(out, "## Importing existing resources")?;
    writeln!(out)?;
    writeln!(out, "Use the `{option}` resource option with the resource's id: the SDK reads the resource and adopts it")?;
    writeln!(
        out,
        "when the program's inputs describe it as it is (otherwise the update fails and names the"
    )?;
    writeln!(out, "differing properties). `pulumi import <token> <name> <id>` applies to engines that run the")?;
    writeln!(
        out,
        "`alicloud-kms-provider` plugin directly, not to these dynamic resources."
    )?;
    writeln!(out)?;
    writeln!(out, "```{language}")?;
    if let Some(example) = example {
        writeln!(out, "{example}")?;
    }
    writeln!(out, "```")?;
    writeln!(out)
}
