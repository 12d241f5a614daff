//! A seeded, structure-aware generator of stdin frames for the provider (`replies.rs` checks what
//! comes back). The suite (`tests/it/stdin_fuzz.rs`) and the benchmark harness (`bench/`, which
//! includes both files by path) drive the real binary with it.
//!
//! Frames are built from the wire contract: a JSON-RPC envelope around the params of every method,
//! filled from the schema's property names and values that are right, wrong and extreme (secret
//! wrappers, unknown sentinels, output values, wrong types, odd strings), then mutated as JSON
//! (fields dropped, added, retyped). Some become notifications or batches. A share are mutated as
//! raw bytes (flips, inserts of newlines and invalid UTF-8, cuts, duplicates). Every request whose
//! envelope is left intact owes a reply: each frame says which ids it owes.
//!
//! `configure` always points at the endpoint given to the generator (a local emulator), so no
//! frame can send the provider to a real service.

use std::io::{self, Write};

use alicloud_kms_provider::protocol::METHOD_NAMES;
use alicloud_kms_provider::provider::kms_options::TEST_HOOKS_VARIABLE;
use serde_json::{json, Value};

// The params of every method, from the schema's names and values: a part of the generator.
#[path = "params.rs"]
mod params;

/// The variables a fuzzed provider must not inherit: credentials, a region or an endpoint that
/// could send it anywhere but the generator's endpoint, and the test hooks' `test/...` methods.
pub const REMOVED_VARIABLES: [&str; 8] = [
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALICLOUD_ACCESS_KEY",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALICLOUD_SECRET_KEY",
    "ALIBABA_CLOUD_REGION",
    "ALICLOUD_REGION",
    "ALIBABA_CLOUD_ENDPOINT_KMS",
    TEST_HOOKS_VARIABLE,
];

/// Writes one fuzz session to the provider's stdin: a valid `configure` for `endpoint`, then
/// `frames` frames of `seed` (`cancel` allowed only in the last 2 %, so that the rest reach the
/// emulator), in writes of about 64 KiB. Returns the ids owed a reply, `configure`'s first.
pub fn write_session(
    stdin: &mut impl Write,
    seed: u64,
    endpoint: &str,
    frames: usize,
) -> io::Result<Vec<String>> {
    let mut generator = FrameGenerator::new(seed, endpoint);
    let mut owed = vec!["\"configure\"".to_owned()];
    let mut buffer = generator.configure_line("configure").into_bytes();
    buffer.push(b'\n');
    for index in 0..frames {
        if index == frames - frames / 50 {
            generator.allow_cancel();
        }
        let frame = generator.next_frame();
        buffer.extend_from_slice(&frame.bytes);
        buffer.push(b'\n');
        owed.extend(frame.owed);
        if buffer.len() > 64 * 1024 {
            stdin.write_all(&buffer)?;
            buffer.clear();
        }
    }
    stdin.write_all(&buffer)?;
    Ok(owed)
}

/// xorshift64*: small, fast, seeded; the same seed gives the same frames.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One frame: the bytes of a line (without its newline; a raw mutation may have put newlines
/// inside) and the ids (as JSON text) it owes replies to.
pub struct Frame {
    pub bytes: Vec<u8>,
    pub owed: Vec<String>,
}

const AAP: &str = "alicloud-kms:index:ApplicationAccessPoint";
const KEY: &str = "alicloud-kms:index:ClientKey";
const RULE: &str = "alicloud-kms:index:NetworkRule";
const POLICY: &str = "alicloud-kms:index:Policy";
const SECRET_SIG: &str = "4dabf18193072939515e22adb298388d";
const UNKNOWN: &str = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/// The generator.
pub struct FrameGenerator {
    rng: Rng,
    next_id: u64,
    endpoint: String,
    /// `cancel` trips a provider-wide cancellation that stays tripped, after which every KMS
    /// operation fails at once; the harness allows it only for the last frames, so that the rest
    /// reach the emulator.
    cancel_allowed: bool,
}

impl FrameGenerator {
    /// `endpoint` (`HOST:PORT`, plain HTTP) is where every `configure` points.
    pub fn new(seed: u64, endpoint: &str) -> FrameGenerator {
        FrameGenerator {
            rng: Rng::new(seed),
            next_id: 0,
            endpoint: endpoint.to_owned(),
            cancel_allowed: false,
        }
    }

    /// Lets `cancel` be one of the methods from now on.
    pub fn allow_cancel(&mut self) {
        self.cancel_allowed = true;
    }

    /// A valid `configure` for the endpoint with the emulator's demo credential.
    pub fn configure_line(&self, id: &str) -> String {
        self.configure_line_with(&json!(id))
    }

    fn configure_line_with(&self, id: &Value) -> String {
        json!({"jsonrpc": "2.0", "id": id, "method": "configure", "params": {"args": {
            "region": "cn-hangzhou", "endpoint": self.endpoint, "protocol": "HTTP",
            "accessKey": "demo-access-key-id", "secretKey": "demo-access-key-secret"}}})
        .to_string()
    }

    pub fn next_frame(&mut self) -> Frame {
        match self.rng.below(100) {
            0..=67 => {
                let (message, id) = self.request();
                let mut frame = Frame {
                    bytes: message.to_string().into_bytes(),
                    owed: vec![id],
                };
                // A fuzzed `configure` may leave the provider unconfigured; a good one follows on
                // the next line, so that later frames still reach the emulator.
                if message["method"] == "configure" {
                    let id = self.fresh_id();
                    frame.bytes.push(b'\n');
                    frame
                        .bytes
                        .extend_from_slice(self.configure_line_with(&id).as_bytes());
                    frame.owed.push(id.to_string());
                }
                frame
            }
            68..=73 => {
                let (mut message, _) = self.request();
                message.as_object_mut().unwrap().remove("id");
                Frame {
                    bytes: message.to_string().into_bytes(),
                    owed: Vec::new(),
                }
            }
            74..=81 => self.batch(),
            _ => {
                let (message, _) = self.request();
                let mut bytes = message.to_string().into_bytes();
                self.mutate_bytes(&mut bytes);
                Frame {
                    bytes,
                    owed: Vec::new(),
                }
            }
        }
    }

    fn fresh_id(&mut self) -> Value {
        self.next_id += 1;
        if self.rng.chance(30) {
            json!(self.next_id + 1_000_000_000)
        } else {
            json!(format!("f-{}", self.next_id))
        }
    }

    /// A request with an intact envelope, and its id as JSON text.
    fn request(&mut self) -> (Value, String) {
        let id = self.fresh_id();
        // `getSchema` replies are 14 KB: fewer of them keeps the output volume sane.
        let method = loop {
            let method = *self.rng.pick(&METHOD_NAMES);
            let wanted = match method {
                "getSchema" => self.rng.chance(25),
                "cancel" => self.cancel_allowed,
                _ => true,
            };
            if wanted {
                break method;
            }
        };
        let mut params = self.params(method);
        if self.rng.chance(35) {
            self.mutate_json(&mut params, 0);
        }
        let mut message = json!({"jsonrpc": "2.0", "id": id, "method": method});
        if !(params.is_null() && self.rng.chance(50)) {
            message["params"] = params;
        }
        let text = id.to_string();
        (message, text)
    }

    fn batch(&mut self) -> Frame {
        let mut members = Vec::new();
        let mut owed = Vec::new();
        for _ in 0..1 + self.rng.below(6) {
            match self.rng.below(10) {
                0 => {
                    let (mut message, _) = self.request();
                    message.as_object_mut().unwrap().remove("id");
                    members.push(message);
                }
                1 => members.push(self.random_value(2)),
                _ => {
                    let (message, id) = self.request();
                    members.push(message);
                    owed.push(id);
                }
            }
        }
        Frame {
            bytes: Value::Array(members).to_string().into_bytes(),
            owed,
        }
    }

    /// A JSON-level mutation somewhere in `value`.
    fn mutate_json(&mut self, value: &mut Value, depth: usize) {
        match value {
            Value::Object(map) if !map.is_empty() && depth < 4 && self.rng.chance(70) => {
                let keys: Vec<String> = map.keys().cloned().collect();
                let key = self.rng.pick(&keys).clone();
                match self.rng.below(6) {
                    0 => {
                        map.remove(&key);
                    }
                    1 => {
                        let added = self.random_value(2);
                        map.insert(format!("{key}_"), added);
                    }
                    _ => self.mutate_json(map.get_mut(&key).unwrap(), depth + 1),
                }
            }
            Value::Array(items) if !items.is_empty() && depth < 4 && self.rng.chance(70) => {
                let position = self.rng.below(items.len());
                self.mutate_json(&mut items[position], depth + 1);
            }
            _ => *value = self.random_value(3),
        }
    }

    /// Any JSON value, extremes included.
    fn random_value(&mut self, depth: usize) -> Value {
        let kinds = if depth == 0 { 6 } else { 9 };
        match self.rng.below(kinds) {
            0 => Value::Null,
            1 => json!(self.rng.chance(50)),
            2 => self
                .rng
                .pick(&[
                    json!(0),
                    json!(-1),
                    json!(u64::MAX),
                    json!(1.5),
                    json!(-0.0),
                    json!(1e308),
                    json!(i64::MIN),
                ])
                .clone(),
            3 => json!(self.random_string()),
            4 => json!(UNKNOWN),
            5 => {
                json!({SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "value": self.random_string()})
            }
            6 => Value::Array(
                (0..self.rng.below(4))
                    .map(|_| self.random_value(depth - 1))
                    .collect(),
            ),
            7 => Value::Object(
                (0..self.rng.below(4))
                    .map(|index| (format!("k{index}"), self.random_value(depth - 1)))
                    .collect(),
            ),
            _ => {
                json!({SECRET_SIG: "d0e6a833031e9bbcd3f4e8bde6ca49a4", "value": self.random_value(depth - 1)})
            }
        }
    }

    fn random_string(&mut self) -> String {
        match self.rng.below(7) {
            0 => String::new(),
            1 => "ünïcødé ✓ 𝄞".to_owned(),
            2 => "\u{0}\u{1}\r\n\t\"\\".to_owned(),
            3 => "x".repeat(1 + self.rng.below(4096)),
            4 => "../../etc/passwd".to_owned(),
            5 => format!("{:x}", self.rng.next()),
            _ => "YouPassword123!".to_owned(),
        }
    }

    /// Byte-level mutations of a serialised frame.
    fn mutate_bytes(&mut self, bytes: &mut Vec<u8>) {
        for _ in 0..1 + self.rng.below(4) {
            if bytes.is_empty() {
                bytes.push(b'{');
            }
            let position = self.rng.below(bytes.len());
            match self.rng.below(7) {
                0 => bytes[position] ^= 1 << self.rng.below(8),
                1 => bytes[position] = self.rng.next() as u8,
                2 => {
                    let inserted = *self
                        .rng
                        .pick(&[b'\n', b'\r', 0, 0xff, 0xc0, b'"', b'[', b'{', b',']);
                    bytes.insert(position, inserted);
                }
                3 => bytes.truncate(position),
                4 => {
                    let end = (position + 1 + self.rng.below(16)).min(bytes.len());
                    bytes.drain(position..end);
                }
                5 => {
                    let end = (position + 1 + self.rng.below(32)).min(bytes.len());
                    let chunk: Vec<u8> = bytes[position..end].to_vec();
                    let at = self.rng.below(bytes.len());
                    bytes.splice(at..at, chunk);
                }
                _ => {
                    let nested = b"[".repeat(1 + self.rng.below(300));
                    bytes.splice(position..position, nested);
                }
            }
        }
    }
}
