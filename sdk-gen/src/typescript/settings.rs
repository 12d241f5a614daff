//! `providerSettings.ts`: the `ProviderSettings` type (one optional field per schema config
//! variable, so new settings come along on regeneration), the package's `ResourceOptions`, and
//! `providerBinary()`.

use std::fmt::{self, Write};

use super::{input_type, string_literal};
use crate::docs::{description_lines, jsdoc};
use crate::header::{CommentSyntax, Header};
use crate::model::Package;

pub(super) fn settings_module(package: &Package, header: &Header) -> Result<String, fmt::Error> {
    let mut out = header.line(CommentSyntax::DoubleSlash);
    writeln!(out)?;
    writeln!(out, "import * as pulumi from \"@pulumi/pulumi\";")?;
    writeln!(
        out,
        "import {{ SettingsSchema, SplitOptions, splitResourceOptions }} from \"./options\";"
    )?;
    writeln!(out, "import {{ findProviderBinary }} from \"./rpc\";")?;
    writeln!(out)?;
    out.push_str(&jsdoc(
        "",
        &[
            "The provider settings of one resource, for programs that use several regions or accounts:".to_string(),
            "pass them as the `providerSettings` resource option. A resource with its own settings uses".to_string(),
            "them instead of the stack configuration (`alicloud-kms:*`); a setting left out falls back to".to_string(),
            "the environment and the Alibaba Cloud CLI profile, as for the stack. Secret settings make the".to_string(),
            "settings a secret input, kept encrypted in the state.".to_string(),
            String::new(),
            "```typescript".to_string(),
            "const shanghai: kms.ProviderSettings = { region: \"cn-shanghai\", accessKey: config.require(\"shAccessKey\"),".to_string(),
            "    secretKey: config.requireSecret(\"shSecretKey\") };".to_string(),
            "new kms.ApplicationAccessPoint(\"sh\", { ... }, { providerSettings: shanghai });".to_string(),
            "```".to_string(),
        ],
    ));
    writeln!(out, "export interface ProviderSettings {{")?;
    for (index, variable) in package.config_variables.iter().enumerate() {
        if index > 0 {
            writeln!(out)?;
        }
        let mut lines = variable
            .description
            .as_deref()
            .map(description_lines)
            .unwrap_or_default();
        if variable.secret {
            lines.push(
                "Secret: the settings that hold it are kept encrypted in the state.".to_string(),
            );
        }
        out.push_str(&jsdoc("    ", &lines));
        writeln!(
            out,
            "    {}?: {};",
            variable.name,
            input_type(&variable.property_type, true)
        )?;
    }
    writeln!(out, "}}")?;
    writeln!(out)?;
    out.push_str(&jsdoc(
        "",
        &[
            "The options of this package's resources: Pulumi's, plus `providerSettings`. The `provider` and".to_string(),
            "`providers` options are refused: a dynamic resource's provider is the package's own.".to_string(),
        ],
    ));
    writeln!(
        out,
        "export interface ResourceOptions extends pulumi.CustomResourceOptions {{"
    )?;
    out.push_str(&jsdoc(
        "    ",
        &[
            "This resource's own provider settings, instead of the stack configuration."
                .to_string(),
        ],
    ));
    writeln!(out, "    providerSettings?: ProviderSettings;")?;
    writeln!(out, "}}")?;
    writeln!(out)?;
    let names: Vec<String> = package
        .config_variables
        .iter()
        .map(|variable| string_literal(&variable.name))
        .collect();
    let secret_names: Vec<String> = package
        .config_variables
        .iter()
        .filter(|variable| variable.secret)
        .map(|variable| string_literal(&variable.name))
        .collect();
    writeln!(out, "/** @internal The settings the schema declares. */")?;
    writeln!(out, "export const settingsSchema: SettingsSchema = {{")?;
    writeln!(out, "    names: [{}],", names.join(", "))?;
    writeln!(out, "    secretNames: [{}],", secret_names.join(", "))?;
    writeln!(out, "}};")?;
    writeln!(out)?;
    writeln!(
        out,
        "/** @internal Pulumi's options of a resource, and the inputs its other options become. */"
    )?;
    writeln!(
        out,
        "export function splitOptions(className: string, opts: ResourceOptions | undefined): SplitOptions {{"
    )?;
    writeln!(
        out,
        "    return splitResourceOptions(className, opts, settingsSchema);"
    )?;
    writeln!(out, "}}")?;
    writeln!(out)?;
    out.push_str(&jsdoc(
        "",
        &[
            "The path of the `alicloud-kms-provider` binary the resources run, found in this order:".to_string(),
            "`ALICLOUD_KMS_PROVIDER_PATH`; the binary of this machine's platform package".to_string(),
            "(`pulumi-alicloud-kms-linux-x64-gnu`, installed with this package); `PATH`.".to_string(),
            "Throws a `ProviderError` that says how to install it when there is none.".to_string(),
        ],
    ));
    writeln!(out, "export function providerBinary(): string {{")?;
    writeln!(out, "    return findProviderBinary();")?;
    writeln!(out, "}}")?;
    Ok(out)
}
