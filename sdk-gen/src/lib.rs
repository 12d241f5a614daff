//! sdk-gen: the TypeScript and Python SDKs of a Pulumi package schema, as in-memory files.
//!
//! The pipeline is `spec` (serde mirror of the JSON) → `bind` (resolve and validate, collecting
//! every problem with its JSON pointer) → one `Language` emitter per SDK. Emitting is pure: it
//! returns a sorted map of relative path → contents, and only the CLI (`main.rs`) touches the disk.
//!
//! The SDKs wrap each resource as a Pulumi dynamic resource whose provider runs the
//! `alicloud-kms-provider` binary; the code that talks to the binary is hand-written under
//! `src/runtime/` and copied into each SDK verbatim, behind the usual generated-file header.
//!
//! Invariant: sdk-gen reads only the schema (and compiles in the repository's `LICENSE`, which
//! both packages ship). It never links the provider crate.

pub mod bind;
pub mod docs;
pub mod header;
pub mod model;
pub mod names;
pub mod python;
pub mod readme;
pub mod spec;
pub mod tree;
pub mod typescript;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

pub use bind::Diagnostic;
pub use header::Header;
pub use model::Package;

/// What the emitters need besides the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The schema path as written in the header, e.g. `schema/schema.json`.
    pub schema_label: String,
}

/// Everything that can stop a generation.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("the schema has {} problem(s):\n{}", .0.len(), render_diagnostics(.0))]
    Schema(Vec<Diagnostic>),
    #[error("an emitter failed to format its output")]
    Format(#[from] fmt::Error),
}

fn render_diagnostics(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|diagnostic| format!("  {diagnostic}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One target SDK. Each implementation lives in its own module and writes its files with
/// `writeln!` into strings.
pub trait Language {
    /// The directory under the output root this SDK owns, e.g. `nodejs`.
    fn directory(&self) -> &'static str;

    /// Every file of the SDK, as path relative to `directory()` → contents.
    fn emit(
        &self,
        package: &Package,
        header: &Header,
    ) -> Result<BTreeMap<String, String>, fmt::Error>;
}

/// The SDKs sdk-gen writes, in output order.
pub fn languages() -> Vec<Box<dyn Language>> {
    vec![Box::new(typescript::TypeScript), Box::new(python::Python)]
}

/// Parses, binds and emits `schema_text`.
pub fn generate(
    schema_text: &str,
    options: &Options,
) -> Result<BTreeMap<PathBuf, String>, GenerateError> {
    let spec =
        bind::parse(schema_text).map_err(|diagnostic| GenerateError::Schema(vec![diagnostic]))?;
    let package = bind::bind(&spec).map_err(GenerateError::Schema)?;
    Ok(emit(&package, options)?)
}

/// Emits every language for a bound package; paths are `<language directory>/<file>`.
pub fn emit(package: &Package, options: &Options) -> Result<BTreeMap<PathBuf, String>, fmt::Error> {
    let header = Header::new(&options.schema_label);
    let mut files = BTreeMap::new();
    for language in languages() {
        for (path, contents) in language.emit(package, &header)? {
            files.insert(PathBuf::from(language.directory()).join(path), contents);
        }
    }
    Ok(files)
}

/// The project's licence, shipped in both SDK packages as `LICENSE`. It is compiled in from the
/// repository root, so the SDKs always carry the licence the project is published under.
pub const LICENSE_TEXT: &str = include_str!("../../LICENSE");
