//! Writes `src/plugin/generated` from Pulumi's own protocol definitions, as the `pulumi` Python
//! package the tests pin (`tests/python/requirements.txt`) carries them compiled
//! (`pulumi/runtime/proto/*_pb2.py`; `tests/python/pulumi_protocol_descriptors.py` prints them as
//! a `FileDescriptorSet`): `pulumi/provider.proto`, `pulumi/engine.proto` and the
//! `google.rpc.Status` of error details. They are cut down to what the plugin serves and calls (the
//! services' methods below, and every message those reach, whole), then `tonic-prost-build` writes
//! the Rust code, without `protoc`. Each file's header line carries three fingerprints (SHA-256,
//! the first 16 hex digits): of the descriptors, of this generator (its source and lock file) and
//! of the code below the header, which `tests/grpc_generated_code.rs` checks.
//!
//! Run from the repository root (with the tests' Python environment, `KMS_TEST_PYTHON` or
//! `scripts/ensure-python-env.sh`'s):
//! `cargo run --manifest-path tools/grpc-codegen/Cargo.toml`.

use std::collections::{BTreeSet, VecDeque};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

use prost::Message;
use prost_types::field_descriptor_proto::Type;
use prost_types::{DescriptorProto, FileDescriptorProto, FileDescriptorSet};
use sha2::{Digest, Sha256};

/// The `ResourceProvider` methods the plugin serves. The others (`Invoke`, `Call`, `Construct`,
/// `Parameterize`, `List`, `GetMapping`, `GetMappings`) are answered `UNIMPLEMENTED`, which the
/// engine takes as "not supported".
const PROVIDER_METHODS: [&str; 14] = [
    "Handshake",
    "GetSchema",
    "CheckConfig",
    "DiffConfig",
    "Configure",
    "Check",
    "Diff",
    "Create",
    "Read",
    "Update",
    "Delete",
    "Cancel",
    "GetPluginInfo",
    "Attach",
];

/// The `Engine` methods the plugin calls.
const ENGINE_METHODS: [&str; 1] = ["Log"];

/// Messages the plugin needs that no kept method names: the error detail of a partial failure
/// and the status that carries it.
const EXTRA_MESSAGES: [&str; 2] = [".pulumirpc.ErrorResourceInitFailed", ".google.rpc.Status"];

/// The generated files, by protobuf package.
const GENERATED: [(&str, &str); 2] = [
    ("pulumirpc", "pulumirpc.rs"),
    ("google.rpc", "google_rpc.rs"),
];

fn python() -> Result<String, String> {
    if let Some(python) = std::env::var_os("KMS_TEST_PYTHON").filter(|python| !python.is_empty()) {
        return python
            .into_string()
            .map_err(|_| "KMS_TEST_PYTHON is not UTF-8".to_owned());
    }
    let output = Command::new("bash")
        .arg("scripts/ensure-python-env.sh")
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| format!("cannot run scripts/ensure-python-env.sh: {error}"))?;
    if !output.status.success() {
        return Err("scripts/ensure-python-env.sh failed".to_owned());
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The serialized `FileDescriptorSet` the pinned `pulumi` package carries.
fn official_descriptors() -> Result<Vec<u8>, String> {
    let output = Command::new(python()?)
        .arg("tests/python/pulumi_protocol_descriptors.py")
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| {
            format!("cannot run tests/python/pulumi_protocol_descriptors.py: {error}")
        })?;
    if !output.status.success() {
        return Err("tests/python/pulumi_protocol_descriptors.py failed".to_owned());
    }
    Ok(output.stdout)
}

/// The first 16 hex digits of the SHA-256 of `parts`, one after the other.
fn fingerprint(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize()[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn find_message<'a>(set: &'a FileDescriptorSet, full_name: &str) -> Option<&'a DescriptorProto> {
    fn within<'a>(
        prefix: &str,
        messages: &'a [DescriptorProto],
        full_name: &str,
    ) -> Option<&'a DescriptorProto> {
        messages.iter().find_map(|message| {
            let name = format!("{prefix}.{}", message.name());
            if name == full_name {
                Some(message)
            } else if full_name.starts_with(&format!("{name}.")) {
                within(&name, &message.nested_type, full_name)
            } else {
                None
            }
        })
    }
    set.file.iter().find_map(|file| {
        within(
            &format!(".{}", file.package()),
            &file.message_type,
            full_name,
        )
    })
}

/// Keeps the listed methods, the messages they reach (whole, with every field), and the files
/// that hold them; drops the rest. The well-known types (`google.protobuf.*`) stay whole: prost
/// maps them to `prost_types` (and `Empty` to `()`) and generates nothing for them.
fn cut_down(mut set: FileDescriptorSet) -> FileDescriptorSet {
    let mut wanted: VecDeque<String> = EXTRA_MESSAGES
        .iter()
        .map(|name| (*name).to_owned())
        .collect();
    for file in &mut set.file {
        for service in &mut file.service {
            let kept: &[&str] = match service.name() {
                "ResourceProvider" => &PROVIDER_METHODS,
                "Engine" => &ENGINE_METHODS,
                _ => &[],
            };
            service
                .method
                .retain(|method| kept.contains(&method.name()));
            for method in &service.method {
                wanted.push_back(method.input_type().to_owned());
                wanted.push_back(method.output_type().to_owned());
            }
        }
        file.service.retain(|service| !service.method.is_empty());
    }
    let mut reached = BTreeSet::new();
    while let Some(name) = wanted.pop_front() {
        if name.starts_with(".google.protobuf.") || !reached.insert(name.clone()) {
            continue;
        }
        let message =
            find_message(&set, &name).unwrap_or_else(|| panic!("{name} is not in the descriptors"));
        let mut pending = vec![message];
        while let Some(message) = pending.pop() {
            for field in &message.field {
                if field.r#type() == Type::Message {
                    wanted.push_back(field.type_name().to_owned());
                }
            }
            pending.extend(&message.nested_type);
        }
    }
    for file in set
        .file
        .iter_mut()
        .filter(|file| file.package() != "google.protobuf")
    {
        let package = format!(".{}", file.package());
        file.message_type
            .retain(|message| reached.contains(&format!("{package}.{}", message.name())));
        // An enum at file level is kept when a kept field names it.
        let used_enums = type_names_used_by(file);
        file.enum_type.retain(|enumeration| {
            used_enums.contains(&format!("{package}.{}", enumeration.name()))
        });
    }
    set.file.retain(|file| {
        file.package() == "google.protobuf"
            || !file.message_type.is_empty()
            || !file.service.is_empty()
    });
    let kept_files: BTreeSet<String> = set.file.iter().map(|file| file.name().to_owned()).collect();
    for file in &mut set.file {
        file.dependency.retain(|dependency| {
            kept_files.contains(dependency) || dependency.starts_with("google/protobuf/")
        });
        file.public_dependency.clear();
        file.weak_dependency.clear();
    }
    set
}

/// The type names the fields of the messages of `file` refer to.
fn type_names_used_by(file: &FileDescriptorProto) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut pending: Vec<&DescriptorProto> = file.message_type.iter().collect();
    while let Some(message) = pending.pop() {
        for field in &message.field {
            names.insert(field.type_name().to_owned());
        }
        pending.extend(&message.nested_type);
    }
    names
}

fn run() -> Result<(), String> {
    if !Path::new("tools/grpc-codegen/Cargo.toml").exists() {
        return Err("run it from the repository root".to_owned());
    }
    let descriptors = official_descriptors()?;
    let read =
        |path: &str| std::fs::read(path).map_err(|error| format!("cannot read {path}: {error}"));
    let generator = fingerprint(&[
        &read("tools/grpc-codegen/src/main.rs")?,
        &read("tools/grpc-codegen/Cargo.lock")?,
    ]);
    let set = FileDescriptorSet::decode(descriptors.as_slice())
        .map_err(|error| format!("not a FileDescriptorSet: {error}"))?;
    let out = std::env::temp_dir().join(format!("grpc-codegen-{}", std::process::id()));
    std::fs::create_dir_all(&out)
        .map_err(|error| format!("cannot create {}: {error}", out.display()))?;
    tonic_prost_build::configure()
        .build_transport(false)
        .out_dir(&out)
        .compile_fds(cut_down(set))
        .map_err(|error| format!("tonic-prost-build failed: {error}"))?;
    for (package, file) in GENERATED {
        let code = std::fs::read_to_string(out.join(format!("{package}.rs")))
            .map_err(|error| format!("no code for {package}: {error}"))?;
        let header = format!(
            "// generated by tools/grpc-codegen from the pinned pulumi package's descriptors; do not edit \
             (descriptors {}, generator {generator}, code {})\n",
            fingerprint(&[&descriptors]),
            fingerprint(&[code.as_bytes()])
        );
        let target = format!("src/plugin/generated/{file}");
        std::fs::write(&target, format!("{header}{code}"))
            .map_err(|error| format!("cannot write {target}: {error}"))?;
        eprintln!("wrote {target}");
    }
    let _ = std::fs::remove_dir_all(&out);
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("grpc-codegen: {message}");
            ExitCode::FAILURE
        }
    }
}
