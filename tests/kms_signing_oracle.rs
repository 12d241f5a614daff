//! Property test: for thousands of random parameter sets (UTF-8, spaces, `+ * ~ / = & %`, empty
//! values, random keys and secrets), our signer's canonical query, string to sign and signature
//! equal those of the official Python SDKs (`aliyun-python-sdk-core` and
//! `alibabacloud-openapi-util`, which `tests/python/kms_signing_oracle.py` also checks against
//! each other). The fixture vectors are sent through the oracle too, so the fixture files are
//! themselves checked against the SDK on every run.
//!
//! The Python interpreter comes from `KMS_TEST_PYTHON` (set by `scripts/test.sh`) or else from
//! `scripts/ensure-python-env.sh`, which creates the venv on a fresh machine. All cases go to one
//! Python process. The random cases are reproducible: the seed is fixed unless
//! `KMS_SIGNING_SEED` is set, and a failure prints the seed and the case.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use alicloud_kms_provider::kms::signer;
use serde_json::json;

const RANDOM_CASES: usize = 5000;

/// One signing input: HTTP method, AccessKey secret, parameters.
type SigningCase = (String, String, Vec<(String, String)>);
const DEFAULT_SEED: u64 = 0x5EED_2016_0120_0001;

/// A small deterministic generator (xorshift64*); a test needs repeatability, not quality.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        let mut state = self.0;
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        self.0 = state;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Characters chosen to hit every encoding rule: unreserved, reserved, `%`, space, controls,
/// multi-byte UTF-8 (2, 3 and 4 bytes).
const VALUE_CHARACTERS: &[&str] = &[
    "a", "Z", "0", "9", "-", "_", ".", "~", " ", "+", "*", "/", "=", "&", "%", "!", "'", "(", ")",
    "#", "?", "[", "]", "\"", ",", ":", ";", "@", "$", "^", "|", "\\", "<", ">", "{", "}", "`",
    "\n", "\t", "é", "ß", "测", "試", "€", "😀", "🔑", "%20", "%2A", "+/=",
];

const REAL_KEYS: &[&str] = &[
    "Action",
    "Version",
    "Format",
    "AccessKeyId",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "Timestamp",
    "SecurityToken",
    "AapName",
    "Password",
    "NotBefore",
    "NotAfter",
    "Name",
    "Policies",
    "Description",
    "AuthenticationMethod",
    "ClientKeyId",
    "PageNumber",
    "PageSize",
    "RegionId",
    "SignatureType",
    "TimeStamp",
    "a",
    "B",
    "_x",
    "x-y",
];

fn random_text(random: &mut Xorshift, max_pieces: usize) -> String {
    let pieces = random.below(max_pieces + 1);
    (0..pieces)
        .map(|_| *random.pick(VALUE_CHARACTERS))
        .collect()
}

fn random_case(random: &mut Xorshift) -> SigningCase {
    let method = random
        .pick(&["GET", "POST", "POST", "GET", "", "PUT"])
        .to_string();
    let secret = random_text(random, 24);
    let count = random.below(12);
    let mut parameters: Vec<(String, String)> = Vec::with_capacity(count);
    while parameters.len() < count {
        let key = if random.below(5) == 0 {
            let key = random_text(random, 6);
            if key.is_empty() {
                continue;
            }
            key
        } else {
            random.pick(REAL_KEYS).to_string()
        };
        if parameters.iter().any(|(existing, _)| *existing == key) {
            continue;
        }
        let value = if random.below(7) == 0 {
            String::new()
        } else {
            random_text(random, 20)
        };
        parameters.push((key, value));
    }
    (method, secret, parameters)
}

fn python_path() -> String {
    if let Ok(python) = std::env::var("KMS_TEST_PYTHON") {
        if !python.is_empty() {
            return python;
        }
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/ensure-python-env.sh");
    let output = Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/ensure-python-env.sh");
    assert!(
        output.status.success(),
        "scripts/ensure-python-env.sh failed"
    );
    String::from_utf8(output.stdout)
        .expect("utf-8 path")
        .trim()
        .to_owned()
}

#[derive(serde::Deserialize)]
struct OracleAnswer {
    canonical: String,
    string_to_sign: String,
    signature: String,
}

fn ask_oracle(cases: &[SigningCase]) -> Vec<OracleAnswer> {
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/kms_signing_oracle.py");
    let mut child = Command::new(python_path())
        .arg(&oracle)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the python signing oracle");
    let mut input = String::new();
    for (method, secret, parameters) in cases {
        let line = json!({ "method": method, "secret": secret, "params": parameters });
        input.push_str(&line.to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("stdin");
    // Written from another thread so a full stdout pipe cannot deadlock the two processes.
    let writer = std::thread::spawn(move || {
        stdin.write_all(input.as_bytes()).expect("write cases");
    });
    let answers: Vec<OracleAnswer> = BufReader::new(child.stdout.take().expect("stdout"))
        .lines()
        .map(|line| serde_json::from_str(&line.expect("read answer")).expect("answer is JSON"))
        .collect();
    writer.join().expect("writer thread");
    let status = child.wait().expect("wait for the oracle");
    assert!(
        status.success(),
        "the python signing oracle failed: {status}"
    );
    assert_eq!(
        answers.len(),
        cases.len(),
        "the oracle answered a different number of cases"
    );
    answers
}

fn fixture_cases() -> Vec<SigningCase> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/signing");
    let mut folders: Vec<_> = std::fs::read_dir(&root)
        .expect("fixtures")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();
    let read = |folder: &Path, file: &str| {
        let text = std::fs::read_to_string(folder.join(file)).expect("fixture file");
        text.strip_suffix('\n').map(str::to_owned).unwrap_or(text)
    };
    folders
        .iter()
        .map(|folder| {
            let parameters = serde_json::from_str(&read(folder, "params.json")).expect("pairs");
            (
                read(folder, "method.txt"),
                read(folder, "secret.txt"),
                parameters,
            )
        })
        .collect()
}

#[test]
fn signatures_match_the_official_python_sdk() {
    let seed = std::env::var("KMS_SIGNING_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let mut random = Xorshift(seed | 1);
    let mut cases = fixture_cases();
    let fixture_count = cases.len();
    assert!(fixture_count >= 8, "the signing fixtures are missing");
    cases.extend((0..RANDOM_CASES).map(|_| random_case(&mut random)));

    // The generator must really produce the awkward inputs the test promises.
    let all_values: String = cases
        .iter()
        .flat_map(|case| case.2.iter().map(|pair| pair.1.as_str()))
        .collect();
    for needle in [" ", "+", "*", "~", "/", "=", "&", "%", "测", "😀"] {
        assert!(
            all_values.contains(needle),
            "no generated value contains {needle:?}"
        );
    }
    assert!(
        cases
            .iter()
            .any(|case| case.2.iter().any(|pair| pair.1.is_empty())),
        "no empty value"
    );

    let answers = ask_oracle(&cases);
    for (index, ((method, secret, parameters), answer)) in cases.iter().zip(&answers).enumerate() {
        let ours = signer::sign(method, parameters, secret);
        let context = || {
            format!(
                "case {index} (seed {seed:#x}): method {method:?}, secret {secret:?}, parameters {parameters:?}"
            )
        };
        assert_eq!(
            ours.canonical_query,
            answer.canonical,
            "canonical query, {}",
            context()
        );
        assert_eq!(
            ours.string_to_sign,
            answer.string_to_sign,
            "string to sign, {}",
            context()
        );
        assert_eq!(ours.signature, answer.signature, "signature, {}", context());
    }
}
