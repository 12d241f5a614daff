//! The Python package files: `pyproject.toml`, the in-tree build backend (its generated metadata
//! plus the hooks from `src/runtime/_build_backend.py`), and the package README.

use std::fmt::{self, Write};

use super::{module_name, string_literal};
use crate::header::{CommentSyntax, Header};
use crate::model::Package;

/// The lowest `pulumi` the SDK works with (dynamic providers with `configure`).
/// `scripts/test.d/50-artefacts.sh` runs the seed program against exactly this version; raise it
/// only with a reason.
pub const PULUMI_FLOOR: &str = "3.235.0";

/// The module name of the in-tree build backend (`build-backend` in `pyproject.toml`).
pub(super) const BUILD_BACKEND_MODULE: &str = "_sdk_build_backend";

const BUILD_BACKEND_HOOKS: &str = include_str!("../runtime/_build_backend.py");

/// Trove classifiers of every generated package; the licence is given by its SPDX expression.
const CLASSIFIERS: &[&str] = &[
    "Development Status :: 3 - Alpha",
    "Intended Audience :: Developers",
    "Intended Audience :: System Administrators",
    "Programming Language :: Python :: 3",
    "Programming Language :: Python :: 3 :: Only",
    "Topic :: Security :: Cryptography",
    "Topic :: System :: Systems Administration",
    "Typing :: Typed",
];

const REQUIRES_PYTHON: &str = ">=3.9";

fn pulumi_requirement() -> String {
    format!("pulumi>={PULUMI_FLOOR},<4.0.0")
}

/// `(label, url)` of the project URLs.
fn project_urls(package: &Package) -> Vec<(&'static str, String)> {
    let mut urls = Vec::new();
    if let Some(homepage) = &package.homepage {
        urls.push(("Homepage", homepage.clone()));
    }
    if let Some(repository) = &package.repository {
        urls.push(("Repository", repository.clone()));
        urls.push(("Issues", format!("{repository}/issues")));
    }
    urls
}

fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| string_literal(item)).collect();
    format!("[{}]", quoted.join(", "))
}

/// The `[project]` table is the package's metadata; the repository root's `pyproject.toml`
/// (maturin, the release wheels) must carry the same table, which `scripts/package.sh` checks.
pub(super) fn pyproject_toml(package: &Package, header: &Header) -> Result<String, fmt::Error> {
    let mut out = header.line(CommentSyntax::Hash);
    writeln!(out)?;
    writeln!(out, "[build-system]")?;
    writeln!(out, "# Nothing to download: the in-tree backend builds this pure-Python package with the standard")?;
    writeln!(
        out,
        "# library, so `pip install --no-build-isolation` works in any virtual environment."
    )?;
    writeln!(out, "requires = []")?;
    writeln!(
        out,
        "build-backend = {}",
        string_literal(BUILD_BACKEND_MODULE)
    )?;
    writeln!(out, "backend-path = [\".\"]")?;
    writeln!(out)?;
    writeln!(out, "[project]")?;
    // Hyphens and underscores are the same in a distribution name; the import name keeps `_`.
    writeln!(
        out,
        "name = {}",
        string_literal(&package.python_package_name)
    )?;
    writeln!(out, "version = {}", string_literal(&package.version))?;
    if let Some(description) = &package.description {
        writeln!(out, "description = {}", string_literal(description))?;
    }
    writeln!(out, "readme = \"README.md\"")?;
    if let Some(license) = &package.license {
        writeln!(out, "license = {}", string_literal(license))?;
        writeln!(out, "license-files = [\"LICENSE\"]")?;
    }
    writeln!(out, "requires-python = {}", string_literal(REQUIRES_PYTHON))?;
    writeln!(out, "dependencies = {}", toml_list(&[pulumi_requirement()]))?;
    if !package.keywords.is_empty() {
        writeln!(out, "keywords = {}", toml_list(&package.keywords))?;
    }
    writeln!(out, "classifiers = [")?;
    for classifier in CLASSIFIERS {
        writeln!(out, "    {},", string_literal(classifier))?;
    }
    writeln!(out, "]")?;
    let urls = project_urls(package);
    if !urls.is_empty() {
        writeln!(out)?;
        writeln!(out, "[project.urls]")?;
        for (label, url) in urls {
            writeln!(out, "{label} = {}", string_literal(&url))?;
        }
    }
    Ok(out)
}

/// The core metadata (version 2.1, which every pip reads) the in-tree backend writes.
fn metadata_headers(package: &Package) -> String {
    let mut lines = vec![
        "Metadata-Version: 2.1".to_string(),
        format!("Name: {}", package.python_package_name),
        format!("Version: {}", package.version),
    ];
    if let Some(description) = &package.description {
        lines.push(format!("Summary: {description}"));
    }
    if !package.keywords.is_empty() {
        lines.push(format!("Keywords: {}", package.keywords.join(",")));
    }
    for (label, url) in project_urls(package) {
        lines.push(format!("Project-URL: {label}, {url}"));
    }
    if let Some(license) = &package.license {
        lines.push(format!("License: {license}"));
    }
    for classifier in CLASSIFIERS {
        lines.push(format!("Classifier: {classifier}"));
    }
    lines.push(format!("Requires-Python: {REQUIRES_PYTHON}"));
    lines.push(format!("Requires-Dist: {}", pulumi_requirement()));
    lines.push("Description-Content-Type: text/markdown".to_string());
    lines.join("\n") + "\n"
}

pub(super) fn build_backend(package: &Package, header: &Header) -> Result<String, fmt::Error> {
    let mut out = header.line(CommentSyntax::Hash);
    writeln!(
        out,
        "\"\"\"The in-tree PEP 517 build backend of this package (see the hooks below).\"\"\""
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "DISTRIBUTION = {}",
        string_literal(&package.python_package_name)
    )?;
    writeln!(
        out,
        "PACKAGE = {}",
        string_literal(&package.python_package_name)
    )?;
    writeln!(out, "VERSION = {}", string_literal(&package.version))?;
    writeln!(
        out,
        "METADATA_HEADERS = {}",
        string_literal(&metadata_headers(package))
    )?;
    out.push_str(BUILD_BACKEND_HOOKS);
    Ok(out)
}

/// The name a program imports the package as in the README (`kms` for `alicloud-kms`).
fn import_alias(package: &Package) -> String {
    package
        .name
        .rsplit(['-', '_'])
        .next()
        .unwrap_or("sdk")
        .to_string()
}

pub(super) fn readme(package: &Package, header: &Header) -> Result<String, fmt::Error> {
    let alias = import_alias(package);
    let name = &package.python_package_name;
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
    writeln!(out, "pip install {name}-{}-py3-none-manylinux_2_17_x86_64.whl   # Linux x86_64: the binary is inside", package.version)?;
    writeln!(out, "pip install {name}-{}.tar.gz                               # elsewhere: builds the binary with cargo", package.version)?;
    writeln!(out, "```")?;
    writeln!(out)?;
    writeln!(out, "The resources run the binary found first among: `ALICLOUD_KMS_PROVIDER_PATH`; the binary installed")?;
    writeln!(out, "with this package (from the wheel's or the sdist's build, even when the environment's `bin/` is not")?;
    writeln!(
        out,
        "on `PATH`); `alicloud-kms-provider` on `PATH`. `{name}.provider_binary()` returns it, or"
    )?;
    writeln!(out, "raises an error that says how to install it. Installing this directory (`pip install ./sdk/python`)")?;
    writeln!(out, "gives the SDK without a binary.")?;
    writeln!(out)?;
    crate::readme::program_section(&mut out, package, "python")?;
    crate::readme::configuration_section(&mut out, package)?;
    writeln!(out, "## Several regions or accounts")?;
    writeln!(out)?;
    writeln!(out, "Give a resource its own settings with `provider_settings=`. Every field of `{alias}.ProviderSettings`")?;
    writeln!(out, "is one of the settings above; one left out falls back to the environment, not to the stack")?;
    writeln!(out, "configuration. Secret settings make the settings a secret input, encrypted in the state. The")?;
    writeln!(out, "`provider` and `providers` resource options are refused with an error: a dynamic resource's provider")?;
    writeln!(out, "is the package's own.")?;
    writeln!(out)?;
    writeln!(out, "```python")?;
    writeln!(out, "import pulumi")?;
    writeln!(out, "import {name} as {alias}")?;
    writeln!(out)?;
    writeln!(out, "config = pulumi.Config()")?;
    writeln!(
        out,
        "other = {alias}.ProviderSettings({})",
        settings_example(package)
    )?;
    if let Some(resource) = package.resources.first() {
        writeln!(
            out,
            "{alias}.{}(\"elsewhere\", ..., provider_settings=other)",
            resource.class_name
        )?;
    }
    writeln!(out, "```")?;
    writeln!(out)?;
    let example = package.resources.first().map(|resource| {
        format!(
            "{alias}.{}(\"existing\", ..., opts=pulumi.ResourceOptions(import_=\"<id>\"))",
            resource.class_name
        )
    });
    crate::readme::import_section(&mut out, "import_", "python", example)?;
    writeln!(out, "## Resources")?;
    writeln!(out)?;
    for resource in &package.resources {
        writeln!(
            out,
            "- `{alias}.{}` (`{}`, module `{name}.{}`)",
            resource.class_name,
            resource.token,
            module_name(resource)
        )?;
    }
    Ok(out)
}

/// Keyword arguments for a `ProviderSettings(...)` example: each setting read from the program's
/// own config (secrets with `require_secret`).
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
                "require_secret"
            } else {
                "require"
            };
            let key = format!("other{}", crate::names::to_pascal_case(&variable.name));
            format!(
                "{}=config.{getter}({})",
                crate::names::python_property_name(&variable.name),
                string_literal(&key)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}
