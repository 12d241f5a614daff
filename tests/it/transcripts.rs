//! Transcript tests: each `tests/transcripts/*.jsonl` file is a conversation with the real
//! binary, one directive per line, run in order, and what the binary answers is a reviewed insta
//! snapshot (`tests/it/snapshots/it__transcripts__<file stem>.snap`; `cargo insta review` accepts
//! a change):
//!
//! - `{"send": v}` writes `v` as one compact line; `{"sendText": "..."}` writes the text as is;
//!   `{"sendHex": "..."}` writes raw bytes; each gets a newline;
//! - `{"sendPadded": {"message": v, "pointer": "/params/...", "bytes": n}}` writes `v` with the
//!   string at `pointer` replaced by `n` copies of `x` (for the 10 MB line);
//! - `{"receive": n}` reads the next `n` stdout lines, which may come in any order (the snapshot
//!   lists them sorted under `any order:` when `n` is more than 1);
//! - `{"receiveBatch": true}` reads one line holding an array whose elements may come in any order
//!   (listed sorted under `batch, any order:`);
//! - `{"closeStdin": true}` ends the input; `{"stderrContains": "..."}` is checked at the end;
//! - `{"comment": "..."}` is ignored.
//!
//! Each message is one line of the snapshot, compact JSON, except that a string longer than
//! 1,000 characters (the schema, snapshot-tested in `schema.rs`) is written `"$long"`, and the
//! registry's list of resource types, as the provider's messages write it, is `$MANAGED_TYPES`
//! (in a directive too), so that adding a resource does not touch the transcripts.
//! After the last directive, stdin is closed and the process must exit 0 with no unread line.
//! The binary runs with `ALICLOUD_KMS_PROVIDER_TEST_HOOKS=1`, which adds the `test/...` methods.

use crate::common;

use common::{assert_every_snapshot, fixture_path, ProviderProcess};
use serde_json::Value;
use std::fmt::Write;

#[test]
fn every_transcript_passes() {
    let directory = fixture_path("transcripts");
    let mut files: Vec<_> = std::fs::read_dir(&directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "jsonl")
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "the transcripts are missing from {}",
        directory.display()
    );
    // Every transcript runs, and every differing snapshot is reported together.
    let snapshots: Vec<(String, String)> = files
        .iter()
        .map(|file| {
            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, run_transcript(file))
        })
        .collect();
    assert_every_snapshot(snapshots, |name, text| insta::assert_snapshot!(name, text));
}

/// Runs one transcript and returns the text of its snapshot: what the binary wrote.
fn run_transcript(file: &std::path::Path) -> String {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(file).unwrap();
    let mut provider = ProviderProcess::spawn(&[]);
    let mut stderr_expectations = Vec::new();
    let mut received = String::new();
    for (index, line) in text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
    {
        let at = format!("{name}:{}", index + 1);
        let line = line.replace("$MANAGED_TYPES", &managed_types());
        let directive: Value =
            serde_json::from_str(&line).unwrap_or_else(|error| panic!("{at}: {error}"));
        let (kind, argument) = directive
            .as_object()
            .and_then(|object| object.iter().next())
            .unwrap();
        match kind.as_str() {
            "comment" => {}
            "send" => provider.send(argument),
            "sendText" => provider.send_line(argument.as_str().unwrap()),
            "sendHex" => {
                let mut bytes = decode_hex(argument.as_str().unwrap());
                bytes.push(b'\n');
                provider.send_bytes(&bytes);
            }
            "sendPadded" => {
                let mut message = argument["message"].clone();
                let length = argument["bytes"].as_u64().unwrap() as usize;
                *message
                    .pointer_mut(argument["pointer"].as_str().unwrap())
                    .unwrap() = Value::String("x".repeat(length));
                provider.send(&message);
            }
            "receive" => {
                let count = argument.as_u64().unwrap_or_else(|| panic!("{at}: a count")) as usize;
                let mut lines: Vec<String> = (0..count)
                    .map(|_| snapshot_line(&provider.receive()))
                    .collect();
                if count > 1 {
                    lines.sort();
                    received.push_str("any order:\n");
                    lines.iter_mut().for_each(|line| line.insert_str(0, "  "));
                }
                lines
                    .iter()
                    .for_each(|line| writeln!(received, "{line}").unwrap());
            }
            "receiveBatch" => {
                let actual = provider.receive();
                let items = actual
                    .as_array()
                    .unwrap_or_else(|| panic!("{at}: expected a batch reply, got {actual}"));
                let mut lines: Vec<String> = items.iter().map(snapshot_line).collect();
                lines.sort();
                received.push_str("batch, any order:\n");
                lines
                    .iter()
                    .for_each(|line| writeln!(received, "  {line}").unwrap());
            }
            "closeStdin" => provider.close_stdin(),
            "stderrContains" => stderr_expectations.push(argument.as_str().unwrap().to_owned()),
            other => panic!("{at}: unknown directive {other}"),
        }
    }
    let (status, unread, stderr) = provider.finish();
    assert!(
        status.success(),
        "{name}: the provider exited with {status}; stderr:\n{stderr}"
    );
    assert!(
        unread.is_empty(),
        "{name}: lines nobody expected: {unread:?}"
    );
    for expected in stderr_expectations {
        assert!(
            stderr.contains(&expected),
            "{name}: stderr lacks {expected:?}:\n{stderr}"
        );
    }
    if !name.contains("panic") {
        assert!(
            !stderr.contains("panicked"),
            "{name}: the provider panicked:\n{stderr}"
        );
    }
    received
}

/// One message as a line of a snapshot: compact JSON, a string longer than 1,000 characters as
/// `"$long"`, the registry's list of types as `$MANAGED_TYPES`.
fn snapshot_line(message: &Value) -> String {
    fn shorten(value: &Value) -> Value {
        match value {
            Value::String(text) if text.chars().count() > 1000 => Value::String("$long".into()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, value)| (key.clone(), shorten(value)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(shorten).collect()),
            other => other.clone(),
        }
    }
    shorten(message)
        .to_string()
        .replace(&managed_types(), "$MANAGED_TYPES")
}

/// The registry's type tokens as a list in prose: `a, b and c`.
fn managed_types() -> String {
    let tokens: Vec<&str> = alicloud_kms_provider::resources::registry::registered_declarations()
        .map(|declaration| declaration.token)
        .collect();
    match tokens.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

fn decode_hex(text: &str) -> Vec<u8> {
    let digits: Vec<char> = text
        .chars()
        .filter(|character| !character.is_whitespace())
        .collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(&pair.iter().collect::<String>(), 16).expect("hex digits"))
        .collect()
}
