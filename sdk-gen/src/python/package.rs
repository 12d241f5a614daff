//! The Python package files: `pyproject.toml` and the in-tree build backend (its generated
//! metadata plus the hooks from `src/runtime/_build_backend.py`).

use std::fmt::{self, Write};

use super::string_literal;
use crate::header::{CommentSyntax, Header};
use crate::model::Package;

/// The lowest `pulumi` the SDK works with (dynamic providers with `configure`).
/// `scripts/test.d/50-artefacts.sh` runs the seed program against exactly this version; raise it
/// only with a reason.
pub const PULUMI_FLOOR: &str = "3.235.0";

/// The platform tag of the release wheel with the binary inside: what `maturin build
/// --compatibility manylinux2014 --target x86_64-unknown-linux-gnu` (scripts/package.sh) names it,
/// manylinux2014 being manylinux_2_17. The READMEs name the wheel with it, and
/// tests/python/test_artefacts_python.py checks every file name they mention against dist/.
pub const WHEEL_PLATFORM_TAG: &str = "manylinux2014_x86_64.manylinux_2_17_x86_64";

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
