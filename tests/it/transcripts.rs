//! Transcript tests: each `tests/transcripts/*.jsonl` file is a conversation with the real
//! binary, one directive per line, run in order:
//!
//! - `{"send": v}` writes `v` as one compact line; `{"sendText": "..."}` writes the text as is;
//!   `{"sendHex": "..."}` writes raw bytes; each gets a newline;
//! - `{"sendPadded": {"message": v, "pointer": "/params/...", "bytes": n}}` writes `v` with the
//!   string at `pointer` replaced by `n` copies of `x` (for the 10 MB line);
//! - `{"expect": v}` reads the next stdout line and compares it with `v`;
//! - `{"expectUnordered": [v, ...]}` reads as many lines and matches them in any order;
//! - `{"expectBatch": [v, ...]}` reads one line holding an array whose elements match in any order;
//! - `{"closeStdin": true}` ends the input; `{"stderrContains": "..."}` is checked at the end;
//! - `{"comment": "..."}` is ignored.
//!
//! In expected values, `"$any"` matches any value and `"$length:N"` a string of N characters;
//! `$MANAGED_TYPES` inside a string stands for the registry's list of resource types, as the
//! provider's messages write it (so that adding a resource does not touch the transcripts).
//! After the last directive, stdin is closed and the process must exit 0 with no unread line.
//! The binary runs with `ALICLOUD_KMS_PROVIDER_TEST_HOOKS=1`, which adds the `test/...` methods.

use crate::common;

use common::{fixture_path, ProviderProcess};
use serde_json::Value;

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
    // Every transcript runs, and all failures are reported together.
    let failed: Vec<String> = files
        .iter()
        .filter(|file| std::panic::catch_unwind(|| run_transcript(file)).is_err())
        .map(|file| file.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        failed.is_empty(),
        "failed transcripts (see the panics above): {failed:?}"
    );
}

fn run_transcript(file: &std::path::Path) {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(file).unwrap();
    let mut provider = ProviderProcess::spawn(&[]);
    let mut stderr_expectations = Vec::new();
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
            "expect" => {
                let actual = provider.receive();
                assert!(
                    matches(argument, &actual),
                    "{at}: expected {argument}\n  got {}",
                    abbreviate(&actual)
                );
            }
            "expectUnordered" => {
                let expected = argument.as_array().unwrap();
                let actual: Vec<Value> = expected.iter().map(|_| provider.receive()).collect();
                assert!(
                    matches_in_any_order(expected, &actual),
                    "{at}: expected {argument} in any order\n  got {actual:?}"
                );
            }
            "expectBatch" => {
                let actual = provider.receive();
                let items = actual
                    .as_array()
                    .unwrap_or_else(|| panic!("{at}: expected a batch reply, got {actual}"));
                assert!(
                    matches_in_any_order(argument.as_array().unwrap(), items),
                    "{at}: expected the batch {argument}\n  got {actual}"
                );
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

fn matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::String(pattern), _) if pattern == "$any" => true,
        (Value::String(pattern), Value::String(text)) if pattern.starts_with("$length:") => pattern
            ["$length:".len()..]
            .parse::<usize>()
            .is_ok_and(|length| text.chars().count() == length),
        (Value::Object(expected), Value::Object(actual)) => {
            expected.len() == actual.len()
                && expected.iter().all(|(key, value)| {
                    actual.get(key).is_some_and(|actual| matches(value, actual))
                })
        }
        (Value::Array(expected), Value::Array(actual)) => {
            expected.len() == actual.len()
                && expected
                    .iter()
                    .zip(actual)
                    .all(|(expected, actual)| matches(expected, actual))
        }
        (expected, actual) => expected == actual,
    }
}

/// Every expected value matches a different actual one.
fn matches_in_any_order(expected: &[Value], actual: &[Value]) -> bool {
    if expected.len() != actual.len() {
        return false;
    }
    let mut used = vec![false; actual.len()];
    expected.iter().all(|expected| {
        let found =
            (0..actual.len()).find(|&index| !used[index] && matches(expected, &actual[index]));
        found.map(|index| used[index] = true).is_some()
    })
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

fn abbreviate(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 2000 {
        format!("{}... ({} bytes)", &text[..2000], text.len())
    } else {
        text
    }
}
