//! `sdk-gen`: writes the TypeScript and Python SDKs from `schema/schema.json`.
//!
//! ```text
//! cargo run -p sdk-gen -- --schema schema/schema.json --out sdk           # write sdk/nodejs, sdk/python
//! cargo run -p sdk-gen -- --schema schema/schema.json --out sdk --check   # fail if they are stale
//! ```
//!
//! Exit codes: 0 success, 1 the schema has problems or (with `--check`) the SDKs are stale,
//! 2 bad command line or an I/O error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sdk_gen::{generate, tree, GenerateError, Options};

const USAGE: &str = "usage: sdk-gen [--schema PATH] [--out DIR] [--check]\n\
\n\
  --schema PATH  the package schema (default: schema/schema.json)\n\
  --out DIR      the directory that receives nodejs/ and python/ (default: sdk)\n\
  --check        write nothing; exit 1 and list the files that differ from a fresh generation";

struct Arguments {
    schema: PathBuf,
    out: PathBuf,
    check: bool,
}

fn parse_arguments(arguments: impl Iterator<Item = String>) -> Result<Arguments, String> {
    let mut parsed = Arguments {
        schema: PathBuf::from("schema/schema.json"),
        out: PathBuf::from("sdk"),
        check: false,
    };
    let mut arguments = arguments.peekable();
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "--schema" => parsed.schema = arguments.next().ok_or("--schema needs a path")?.into(),
            "--out" => parsed.out = arguments.next().ok_or("--out needs a directory")?.into(),
            "--check" => parsed.check = true,
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(parsed)
}

/// The schema path as the header names it: relative to the working directory when it is inside
/// it, with `/` separators, so the header is the same on every machine.
fn schema_label(schema: &Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|directory| {
            std::path::absolute(schema)
                .ok()?
                .strip_prefix(directory)
                .ok()
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| schema.to_path_buf());
    relative
        .components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn main() -> ExitCode {
    let arguments = match parse_arguments(std::env::args().skip(1)) {
        Ok(arguments) => arguments,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("sdk-gen: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let schema_text = match std::fs::read_to_string(&arguments.schema) {
        Ok(text) => text,
        Err(error) => {
            eprintln!(
                "sdk-gen: cannot read the schema {}: {error}",
                arguments.schema.display()
            );
            return ExitCode::from(2);
        }
    };
    let options = Options {
        schema_label: schema_label(&arguments.schema),
    };
    let files = match generate(&schema_text, &options) {
        Ok(files) => files,
        Err(error @ GenerateError::Schema(_)) => {
            eprintln!("sdk-gen: {}: {error}", arguments.schema.display());
            return ExitCode::from(1);
        }
        Err(error) => {
            eprintln!("sdk-gen: {error}");
            return ExitCode::from(2);
        }
    };
    if arguments.check {
        check(&arguments.out, &files)
    } else {
        write(&arguments.out, &files)
    }
}

fn check(out: &Path, files: &std::collections::BTreeMap<PathBuf, String>) -> ExitCode {
    let on_disk = match tree::read_tree(out, &tree::top_directories(files)) {
        Ok(on_disk) => on_disk,
        Err(error) => {
            eprintln!("sdk-gen: cannot read {}: {error}", out.display());
            return ExitCode::from(2);
        }
    };
    let comparison = tree::compare(files, &on_disk);
    if comparison.is_clean() {
        eprintln!(
            "sdk-gen: {} is up to date ({} files)",
            out.display(),
            files.len()
        );
        return ExitCode::SUCCESS;
    }
    for (label, paths) in [
        ("stale", &comparison.stale),
        ("missing", &comparison.missing),
        ("extra", &comparison.extra),
    ] {
        for path in paths {
            eprintln!("{label}: {}", out.join(path).display());
        }
    }
    eprintln!(
        "sdk-gen: {} differs from a fresh generation; run `cargo run -p sdk-gen -- --schema schema/schema.json --out sdk` and commit the result",
        out.display()
    );
    ExitCode::from(1)
}

fn write(out: &Path, files: &std::collections::BTreeMap<PathBuf, String>) -> ExitCode {
    match tree::write_tree(out, files) {
        Ok(comparison) => {
            eprintln!(
                "sdk-gen: wrote {} ({} files: {} changed, {} new, {} removed)",
                out.display(),
                files.len(),
                comparison.stale.len(),
                comparison.missing.len(),
                comparison.extra.len()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("sdk-gen: cannot write {}: {error}", out.display());
            ExitCode::from(2)
        }
    }
}
