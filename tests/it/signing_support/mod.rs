//! Helpers of the property tests that compare the provider's signing with the official Python
//! code: a small deterministic random generator, the awkward characters values are built from,
//! and one Python oracle process per test that answers a JSON line per case.
//!
//! The Python interpreter is `python_support`'s.

#![allow(dead_code)] // Each test file uses a different subset.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::python_support::python_path;

/// xorshift64*: a test needs repeatability, not quality.
pub struct Xorshift(pub u64);

impl Xorshift {
    pub fn next(&mut self) -> u64 {
        let mut state = self.0;
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        self.0 = state;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Up to `max_pieces` pieces from `alphabet`, joined.
    pub fn text(&mut self, alphabet: &[&str], max_pieces: usize) -> String {
        let pieces = self.below(max_pieces + 1);
        (0..pieces).map(|_| *self.pick(alphabet)).collect()
    }
}

/// The seed: fixed unless `KMS_SIGNING_SEED` is set (a failure prints it).
pub fn seed(default: u64) -> u64 {
    std::env::var("KMS_SIGNING_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(default)
}

/// Characters that hit every encoding rule: unreserved, reserved, `%`, space, multi-byte UTF-8.
pub const VALUE_CHARACTERS: &[&str] = &[
    "a", "Z", "0", "9", "-", "_", ".", "~", " ", "+", "*", "/", "=", "&", "%", "!", "'", "(", ")",
    "#", "?", "[", "]", "\"", ",", ":", ";", "@", "$", "^", "|", "\\", "<", ">", "{", "}", "`",
    "\n", "\t", "é", "ß", "测", "試", "€", "😀", "🔑", "%20", "%2A", "+/=",
];

/// Characters a key name may have and every signer encodes alike (the unreserved set).
pub const KEY_CHARACTERS: &[&str] = &[
    "a", "b", "Z", "Y", "0", "7", "-", "_", ".", "~", "Key", "Id",
];

/// Runs `tests/python/<script>` once with every case as a line; returns its answers in order.
pub fn ask_oracle(script: &str, cases: &[Value]) -> Vec<Value> {
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(script);
    let mut child = Command::new(python_path())
        .arg(&oracle)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the python oracle");
    let mut input = String::new();
    for case in cases {
        input.push_str(&case.to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("stdin");
    // Written from another thread so a full stdout pipe cannot deadlock the two processes.
    let writer = std::thread::spawn(move || {
        stdin.write_all(input.as_bytes()).expect("write cases");
    });
    let answers: Vec<Value> = BufReader::new(child.stdout.take().expect("stdout"))
        .lines()
        .map(|line| serde_json::from_str(&line.expect("read answer")).expect("answer is JSON"))
        .collect();
    writer.join().expect("writer thread");
    let status = child.wait().expect("wait for the oracle");
    assert!(
        status.success(),
        "the python oracle {script} failed: {status}"
    );
    assert_eq!(
        answers.len(),
        cases.len(),
        "the oracle answered a different number of cases"
    );
    answers
}
