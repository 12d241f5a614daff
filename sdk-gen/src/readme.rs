//! The sections both packages' READMEs share, written once and rendered in each package's
//! language (`ReadmeLanguage`): the examples of each resource, coming from pulumi-alicloud, the
//! stack configuration, per-resource settings and importing.
//!
//! Every code block of a README is a whole program: the tests run each one against a local KMS
//! emulator (`tests/python/test_readme_examples.py`, `tests/node/readme_examples.test.js`) and
//! type-check it strictly (`scripts/test.d/30-sdk.sh`). The programs of the last three sections
//! are this package's (they build its network rules, access points and client keys); a schema
//! without those resources or settings gets the prose without them.

use std::fmt::{self, Write};

use crate::docs::{code_blocks, description_lines, rename_words, Renames};
use crate::header::{CommentSyntax, Header};
use crate::model::Package;

/// How one package's README speaks: its language and what a program of it writes.
pub struct ReadmeLanguage {
    /// The language of its code blocks, e.g. `python`.
    pub fence: &'static str,
    /// Where a program imports the package from: the Python module or the npm package.
    pub package: String,
    /// Setting names it spells differently (schema → its name).
    pub renames: Renames,
    /// How a resource gets its own settings, in a sentence: `the \`provider_settings\` argument`.
    pub settings_option: &'static str,
    /// Its import resource option, e.g. `import_`.
    pub import_option: &'static str,
    /// How a pulumi-alicloud program picks a provider, e.g. `opts=pulumi.ResourceOptions(provider=...)`.
    pub provider_option: &'static str,
    /// One of pulumi-alicloud's kms data sources as the language names it, e.g. `get_keys`.
    pub data_source: &'static str,
}

impl ReadmeLanguage {
    /// A setting's name as this language spells it.
    fn setting(&self, schema_name: &str) -> String {
        rename_words(schema_name, &self.renames)
    }

    /// `example` with `{package}` (where programs import from) and `{alias}` filled in, as a
    /// code block.
    fn write_program(&self, out: &mut String, package: &Package, example: &Example) -> fmt::Result {
        let code = match self.fence {
            "python" => example.python,
            _ => example.typescript,
        };
        writeln!(out, "```{}", self.fence)?;
        write!(
            out,
            "{}",
            code.replace("{package}", &self.package)
                .replace("{alias}", &package.module_alias())
        )?;
        writeln!(out, "```")?;
        writeln!(out)
    }
}

/// A program in both languages, with the resource classes and settings it needs.
struct Example {
    classes: &'static [&'static str],
    settings: &'static [&'static str],
    python: &'static str,
    typescript: &'static str,
}

impl Example {
    fn fits(&self, package: &Package) -> bool {
        self.classes.iter().all(|class| {
            package
                .resources
                .iter()
                .any(|resource| resource.class_name == *class)
        }) && self.settings.iter().all(|setting| {
            package
                .config_variables
                .iter()
                .any(|variable| variable.name == *setting)
        })
    }
}

/// pulumi-alicloud's client key example (the seed's), with only its import line changed.
const PORTED: Example = Example {
    classes: &["ApplicationAccessPoint", "ClientKey"],
    settings: &[],
    python: r#"import pulumi
import {package} as alicloud  # was: import pulumi_alicloud as alicloud

config = pulumi.Config()
name = config.get("name") or "terraform-example"
aap0 = alicloud.{alias}.ApplicationAccessPoint("AAP0",
    policies=["aa"],
    description="aa",
    application_access_point_name=name)
default = alicloud.{alias}.ClientKey("default",
    aap_name=aap0.application_access_point_name,
    password="YouPassword123!",
    not_before="2023-09-01T14:11:22Z",
    not_after="2028-09-01T14:11:22Z",
    private_key_data_file="./private_key_data_file.txt")
"#,
    typescript: r#"import * as pulumi from "@pulumi/pulumi";
import * as alicloud from "{package}"; // was: import * as alicloud from "@pulumi/alicloud";

const config = new pulumi.Config();
const name = config.get("name") || "terraform-example";
const aap0 = new alicloud.{alias}.ApplicationAccessPoint("AAP0", {
    policies: ["aa"],
    description: "aa",
    applicationAccessPointName: name,
});
const clientKey = new alicloud.{alias}.ClientKey("default", {
    aapName: aap0.applicationAccessPointName,
    password: "YouPassword123!",
    notBefore: "2023-09-01T14:11:22Z",
    notAfter: "2028-09-01T14:11:22Z",
    privateKeyDataFile: "./private_key_data_file.txt",
});
"#,
};

/// A network rule in a second account and region.
const SEVERAL_ACCOUNTS: Example = Example {
    classes: &["NetworkRule"],
    settings: &["region", "accessKey", "secretKey"],
    python: r#"import pulumi
import {package} as {alias}

config = pulumi.Config()
# The other account's AccessKey pair, from this stack's own config:
#   pulumi config set shanghaiAccessKeyId LTAI...
#   pulumi config set --secret shanghaiAccessKeySecret ...
shanghai = {alias}.ProviderSettings(
    region="cn-shanghai",
    access_key=config.require("shanghaiAccessKeyId"),
    secret_key=config.require_secret("shanghaiAccessKeySecret"))

office = {alias}.NetworkRule("shanghai-office",
    source_private_ips=["10.20.0.0/16"],
    description="the Shanghai office",
    provider_settings=shanghai)
"#,
    typescript: r#"import * as pulumi from "@pulumi/pulumi";
import * as {alias} from "{package}";

const config = new pulumi.Config();
// The other account's AccessKey pair, from this stack's own config:
//   pulumi config set shanghaiAccessKeyId LTAI...
//   pulumi config set --secret shanghaiAccessKeySecret ...
const shanghai: {alias}.ProviderSettings = {
    region: "cn-shanghai",
    accessKey: config.require("shanghaiAccessKeyId"),
    secretKey: config.requireSecret("shanghaiAccessKeySecret"),
};

const office = new {alias}.NetworkRule("shanghai-office", {
    sourcePrivateIps: ["10.20.0.0/16"],
    description: "the Shanghai office",
}, { providerSettings: shanghai });
"#,
};

/// Adopting a network rule made outside the program.
const IMPORT: Example = Example {
    classes: &["NetworkRule"],
    settings: &[],
    python: r#"import pulumi
import {package} as {alias}

# The network rule office-network exists already (made in the console, or by another tool);
# from now on this program manages it.
office = {alias}.NetworkRule("office",
    network_rule_name="office-network",
    source_private_ips=["192.168.10.0/24"],
    description="the office network",
    opts=pulumi.ResourceOptions(import_="office-network"))
"#,
    typescript: r#"import * as {alias} from "{package}";

// The network rule office-network exists already (made in the console, or by another tool);
// from now on this program manages it.
const office = new {alias}.NetworkRule("office", {
    networkRuleName: "office-network",
    sourcePrivateIps: ["192.168.10.0/24"],
    description: "the office network",
}, { import: "office-network" });
"#,
};

/// The top of a package's README, up to the `## Install` heading: the generated-file header, the
/// package `name` as the title, the description, and what the resources are.
pub fn start(package: &Package, header: &Header, name: &str) -> Result<String, fmt::Error> {
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
    Ok(out)
}

/// The sections after the package's own install notes: a program, coming from pulumi-alicloud,
/// the configuration, several regions or accounts, and importing.
pub fn shared_sections(
    out: &mut String,
    package: &Package,
    language: &ReadmeLanguage,
) -> fmt::Result {
    program_section(out, package, language)?;
    coming_from_pulumi_alicloud_section(out, package, language)?;
    configuration_section(out, package, language)?;
    settings_section(out, package, language)?;
    import_section(out, package, language)
}

/// `## A program`: each resource's examples in the package's language (the code blocks of the
/// schema's descriptions), under the resource's class name and token. They build on each other,
/// in this order, as one program would.
fn program_section(out: &mut String, package: &Package, language: &ReadmeLanguage) -> fmt::Result {
    writeln!(out, "## A program")?;
    for resource in &package.resources {
        let examples = code_blocks(
            resource.description.as_deref().unwrap_or(""),
            language.fence,
        );
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

/// `## Coming from pulumi-alicloud`: what carries over (names, types, a program by its import
/// line) and what does not (config namespace, providers, `pulumi import`, state).
fn coming_from_pulumi_alicloud_section(
    out: &mut String,
    package: &Package,
    language: &ReadmeLanguage,
) -> fmt::Result {
    let alias = package.module_alias();
    let classes: Vec<String> = package
        .resources
        .iter()
        .map(|resource| format!("`{alias}.{}`", resource.class_name))
        .collect();
    writeln!(out, "## Coming from pulumi-alicloud")?;
    writeln!(out)?;
    writeln!(
        out,
        "The resources are pulumi-alicloud's {}, with its property names and",
        join_words(&classes)
    )?;
    writeln!(out, "types (optional inputs also take optional outputs, such as another resource's `description`).")?;
    writeln!(out, "A program moves over by changing its import line: the package has a `{alias}` namespace, as")?;
    writeln!(out, "pulumi-alicloud does, so `alicloud.{alias}.ClientKey(...)` keeps working (or use `{alias}.ClientKey(...)`).")?;
    writeln!(out)?;
    if PORTED.fits(package) {
        language.write_program(out, package, &PORTED)?;
    }
    writeln!(out, "What else changes:")?;
    writeln!(out)?;
    writeln!(out, "- **Configuration** is read from the `{}` namespace (`pulumi config set {}:region cn-hangzhou`;", package.name, package.name)?;
    writeln!(out, "  see [Configuration](#configuration)). A stack set up for pulumi-alicloud works as it is: what")?;
    writeln!(
        out,
        "  that namespace leaves unset comes from its `alicloud:*` keys (`alicloud:region`,"
    )?;
    writeln!(out, "  `alicloud:accessKey`, `alicloud:profile`, ..., the `kms` and `sts` entries of `alicloud:endpoints`);")?;
    writeln!(out, "  unset there too, credentials come from the environment, the Alibaba Cloud CLI's profiles and")?;
    writeln!(
        out,
        "  the ECS instance role, as pulumi-alicloud finds them."
    )?;
    writeln!(out, "- **Providers**: these are Pulumi dynamic resources, whose provider is the package's own, so")?;
    writeln!(
        out,
        "  `{}` cannot reach them and is refused with an",
        language.provider_option
    )?;
    writeln!(
        out,
        "  error. Give a resource its own region and credentials with {} instead",
        language.settings_option
    )?;
    writeln!(
        out,
        "  (see [Several regions or accounts](#several-regions-or-accounts))."
    )?;
    writeln!(
        out,
        "- **Importing**: `pulumi import` cannot load a dynamic resource's provider; use the `{}`",
        language.import_option
    )?;
    writeln!(
        out,
        "  resource option (see [Importing existing resources](#importing-existing-resources))."
    )?;
    writeln!(
        out,
        "- **State** does not carry over: a pulumi-alicloud resource has another type"
    )?;
    writeln!(out, "  (`alicloud:kms/clientKey:ClientKey`) and provider. To move one without re-creating it, remove it")?;
    writeln!(out, "  from the old stack with `pulumi state delete <urn>` (which leaves the cloud resource alone), then")?;
    writeln!(out, "  adopt it with the `{}` option. KMS never returns a client key's password or private key,", language.import_option)?;
    writeln!(
        out,
        "  so an adopted key has neither in its state (and that is no change): keep its key file."
    )?;
    writeln!(out, "- **Better here**: a name that is taken when a create starts is an error, never an adoption, and")?;
    writeln!(out, "  nothing is deleted or claimed that the provider cannot prove it made (other stacks share the")?;
    writeln!(out, "  account); the private key is written atomically with mode 0600, and a key whose file cannot be")?;
    writeln!(out, "  written is deleted again; lists that are sets compare as sets; an imported client key plans no")?;
    writeln!(
        out,
        "  replacement; errors name the KMS RequestId and say what to do."
    )?;
    writeln!(out, "- **Missing here**: the rest of pulumi-alicloud's `{alias}` module (keys, secrets, instances, aliases,")?;
    writeln!(
        out,
        "  and data sources such as `{alias}.{}`), the `pulumi import` command, the `provider` and",
        language.data_source
    )?;
    writeln!(
        out,
        "  `providers` options, and SDKs for other languages than Python and TypeScript."
    )?;
    writeln!(out)
}

/// `## Configuration`: a `pulumi config set` line per setting, then what each one means.
fn configuration_section(
    out: &mut String,
    package: &Package,
    language: &ReadmeLanguage,
) -> fmt::Result {
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
        let own_name = language.setting(&variable.name);
        if own_name == variable.name {
            writeln!(out, "- `{}`: {description}", variable.name)?;
        } else {
            writeln!(
                out,
                "- `{}` (`{own_name}` in `ProviderSettings`): {description}",
                variable.name
            )?;
        }
    }
    writeln!(out)
}

/// `## Several regions or accounts`: a resource's own settings.
fn settings_section(out: &mut String, package: &Package, language: &ReadmeLanguage) -> fmt::Result {
    let alias = package.module_alias();
    let setting = |name: &str| format!("`{}`", language.setting(name));
    writeln!(out, "## Several regions or accounts")?;
    writeln!(out)?;
    writeln!(
        out,
        "Give a resource its own settings with {}: every field of",
        language.settings_option
    )?;
    writeln!(out, "`{alias}.ProviderSettings` is one of the settings above. A resource with settings of its own uses")?;
    writeln!(out, "them instead of the stack configuration; one left out falls back to the environment and the CLI")?;
    writeln!(out, "profile, not to the stack configuration. Set one credential per set of settings: an AccessKey pair")?;
    writeln!(
        out,
        "({} and {}), {}, {}, {} or {} ({} can be added on top",
        setting("accessKey"),
        setting("secretKey"),
        setting("profile"),
        setting("credentialsUri"),
        setting("ecsRoleName"),
        setting("assumeRoleWithOidc"),
        setting("assumeRole")
    )?;
    writeln!(out, "of any); two of them are an error. Secret settings make the settings a secret input, encrypted in")?;
    writeln!(
        out,
        "the state, and each distinct set of settings gets its own provider process."
    )?;
    writeln!(out)?;
    if SEVERAL_ACCOUNTS.fits(package) {
        language.write_program(out, package, &SEVERAL_ACCOUNTS)?;
    }
    Ok(())
}

/// `## Importing existing resources`: the SDK's import resource option.
fn import_section(out: &mut String, package: &Package, language: &ReadmeLanguage) -> fmt::Result {
    writeln!(out, "## Importing existing resources")?;
    writeln!(out)?;
    writeln!(out, "Use the `{}` resource option with the resource's id: the SDK reads the resource and adopts it", language.import_option)?;
    writeln!(
        out,
        "when the program's inputs describe it as it is (otherwise the update fails and names the"
    )?;
    writeln!(out, "differing properties). The `pulumi import` command cannot load a dynamic resource's provider.")?;
    writeln!(out)?;
    if IMPORT.fits(package) {
        language.write_program(out, package, &IMPORT)?;
    }
    Ok(())
}

/// `a`, `a and b`, `a, b and c`.
fn join_words(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
