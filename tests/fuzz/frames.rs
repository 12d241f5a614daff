//! A seeded, structure-aware generator of stdin frames for the provider, and the checker of what
//! comes back. The suite (`tests/stdin_fuzz.rs`) and the benchmark harness (`bench/`, which
//! includes this file by path) drive the real binary with it.
//!
//! Frames are built from the wire contract: a JSON-RPC envelope around the params of every method,
//! filled from the schema's property names and values that are right, wrong and extreme (secret
//! wrappers, unknown sentinels, output values, wrong types, odd strings), then mutated as JSON
//! (fields dropped, added, retyped). Some become notifications or batches. A share are mutated as
//! raw bytes (flips, inserts of newlines and invalid UTF-8, cuts, duplicates). Every request whose
//! envelope is left intact owes a reply, and the checker verifies that each one gets it, that
//! every stdout line is a JSON-RPC message, and that no reply is an internal error (a panic).
//!
//! `configure` always points at the endpoint given to the generator (a local emulator), so no
//! frame can send the provider to a real service.

use std::collections::{BTreeMap, HashSet};

use serde_json::{json, Map, Value};

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

const METHODS: &[&str] = &[
    "getPluginInfo",
    "getSchema",
    "checkConfig",
    "configure",
    "check",
    "diff",
    "create",
    "read",
    "update",
    "delete",
    "cancel",
];
const AAP: &str = "alicloud-kms:index:ApplicationAccessPoint";
const KEY: &str = "alicloud-kms:index:ClientKey";
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
            let method = *self.rng.pick(METHODS);
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

    fn resource_type(&mut self) -> (&'static str, String) {
        let resource_type = if self.rng.chance(50) { AAP } else { KEY };
        let name = self
            .rng
            .pick(&["r", "AAP0", "default", "x y", ""])
            .to_string();
        let urn = match self.rng.below(10) {
            0 => "urn:pulumi:::".to_owned(),
            1 => format!("urn:pulumi:dev::p::alicloud-kms:index:Nope::{name}"),
            2 => format!("urn:pulumi:dev::p::parent$${resource_type}::{name}"),
            _ => format!("urn:pulumi:dev::p::{resource_type}::{name}"),
        };
        (resource_type, urn)
    }

    fn params(&mut self, method: &str) -> Value {
        let (resource_type, urn) = self.resource_type();
        let mut params = Map::new();
        let address = |params: &mut Map<String, Value>, rng: &mut Rng| match rng.below(4) {
            0 => {
                params.insert("type".into(), json!(resource_type));
            }
            1 => {
                params.insert("type".into(), json!(resource_type));
                params.insert("urn".into(), json!(urn));
            }
            _ => {
                params.insert("urn".into(), json!(urn));
            }
        };
        match method {
            "getPluginInfo" | "cancel" => return Value::Null,
            "getSchema" => {
                params.insert("version".into(), json!(self.rng.below(3)));
            }
            "checkConfig" => {
                params.insert("news".into(), self.config_bag(false));
                params.insert("olds".into(), json!({}));
            }
            "configure" => {
                params.insert(
                    "variables".into(),
                    json!({"alicloud-kms:config:region": "cn-hangzhou"}),
                );
                params.insert("args".into(), self.config_bag(true));
                params.insert("acceptSecrets".into(), json!(true));
            }
            "check" => {
                address(&mut params, &mut self.rng);
                params.insert("news".into(), self.property_bag(resource_type));
                if self.rng.chance(30) {
                    params.insert("olds".into(), self.property_bag(resource_type));
                }
            }
            "diff" | "update" => {
                address(&mut params, &mut self.rng);
                params.insert("id".into(), self.id_for(resource_type));
                params.insert("olds".into(), self.property_bag(resource_type));
                params.insert("news".into(), self.property_bag(resource_type));
                if self.rng.chance(30) {
                    params.insert("oldInputs".into(), self.property_bag(resource_type));
                }
                if self.rng.chance(20) {
                    params.insert("ignoreChanges".into(), json!(["policies[0]", "aapName"]));
                }
                self.operation_options(&mut params);
            }
            "create" => {
                address(&mut params, &mut self.rng);
                params.insert("properties".into(), self.property_bag(resource_type));
                self.operation_options(&mut params);
            }
            "read" | "delete" => {
                address(&mut params, &mut self.rng);
                params.insert("id".into(), self.id_for(resource_type));
                if self.rng.chance(60) {
                    params.insert("properties".into(), self.property_bag(resource_type));
                }
                if self.rng.chance(30) {
                    params.insert("inputs".into(), self.property_bag(resource_type));
                }
                self.operation_options(&mut params);
            }
            _ => unreachable!("every method has params"),
        }
        Value::Object(params)
    }

    fn operation_options(&mut self, params: &mut Map<String, Value>) {
        if self.rng.chance(50) {
            params.insert("preview".into(), json!(self.rng.chance(50)));
        }
        if self.rng.chance(30) {
            let timeout = self
                .rng
                .pick(&[
                    json!(0),
                    json!(1),
                    json!(30),
                    json!(-5),
                    json!(1e12),
                    json!("60"),
                ])
                .clone();
            params.insert("timeout".into(), timeout);
        }
    }

    fn id_for(&mut self, resource_type: &str) -> Value {
        match self.rng.below(6) {
            0 => json!(""),
            1 => json!(7),
            2 => json!("KAAP.66abf237-63f6-4625-b8cf-47e1086e0000"),
            3 => json!(format!(
                "KAAP.{:08x}-0000-4000-8000-000000000000",
                self.rng.next() as u32
            )),
            _ if resource_type == AAP => json!(self.aap_name()),
            _ => json!("KAAP.not-a-uuid"),
        }
    }

    fn aap_name(&mut self) -> String {
        self.rng
            .pick(&["aap", "fuzz-aap", "terraform-example", "a.b_c-d", "x"])
            .to_string()
    }

    /// Provider settings; `configure` keeps the endpoint and protocol pinned.
    fn config_bag(&mut self, pinned: bool) -> Value {
        let mut bag = Map::new();
        if self.rng.chance(70) {
            bag.insert(
                "region".into(),
                self.rng
                    .pick(&[
                        json!("cn-hangzhou"),
                        json!("CN hangzhou"),
                        json!(""),
                        json!(5),
                    ])
                    .clone(),
            );
        }
        if self.rng.chance(70) {
            bag.insert("accessKey".into(), json!("demo-access-key-id"));
            bag.insert(
                "secretKey".into(),
                self.maybe_secret(json!("demo-access-key-secret")),
            );
        }
        if self.rng.chance(20) {
            bag.insert("securityToken".into(), self.maybe_secret(json!("token")));
        }
        if self.rng.chance(15) {
            bag.insert("alicloud-kms:config:protocl".into(), json!("http"));
        }
        if pinned {
            bag.insert("endpoint".into(), json!(self.endpoint));
            bag.insert("protocol".into(), json!("HTTP"));
        } else {
            if self.rng.chance(50) {
                let endpoint = self
                    .rng
                    .pick(&[
                        json!("kms.cn-hangzhou.aliyuncs.com"),
                        json!("ftp://x"),
                        json!("http://a:b@h"),
                        json!("h:1:x"),
                        json!(""),
                    ])
                    .clone();
                bag.insert("endpoint".into(), endpoint);
            }
            if self.rng.chance(50) {
                bag.insert(
                    "protocol".into(),
                    self.rng
                        .pick(&[json!("https"), json!("HTTP"), json!("FTP")])
                        .clone(),
                );
            }
        }
        Value::Object(bag)
    }

    fn maybe_secret(&mut self, value: Value) -> Value {
        if self.rng.chance(50) {
            json!({SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "value": value})
        } else {
            value
        }
    }

    fn time(&mut self) -> Value {
        self.rng
            .pick(&[
                json!("2023-09-01T14:11:22Z"),
                json!("2028-09-01T14:11:22Z"),
                json!("2023-09-01T22:11:22.5+08:00"),
                json!("2023-13-01T00:00:00Z"),
                json!("yesterday"),
                json!(1693577482),
                json!(UNKNOWN),
            ])
            .clone()
    }

    fn property_bag(&mut self, resource_type: &str) -> Value {
        let mut bag = Map::new();
        if resource_type == AAP {
            if self.rng.chance(85) {
                bag.insert("applicationAccessPointName".into(), json!(self.aap_name()));
            }
            if self.rng.chance(85) {
                let count = self.rng.below(5);
                let policies: Vec<Value> = (0..count)
                    .map(|_| {
                        self.rng
                            .pick(&[
                                json!("aa"),
                                json!("bb"),
                                json!(""),
                                json!("aa"),
                                json!(UNKNOWN),
                                json!(3),
                            ])
                            .clone()
                    })
                    .collect();
                bag.insert("policies".into(), Value::Array(policies));
            }
            if self.rng.chance(40) {
                bag.insert("description".into(), json!("described"));
            }
        } else {
            if self.rng.chance(85) {
                bag.insert("aapName".into(), json!(self.aap_name()));
            }
            if self.rng.chance(80) {
                let password = self
                    .rng
                    .pick(&[
                        json!("YouPassword123!"),
                        json!("short"),
                        json!("Pässwörd-1234"),
                        json!(UNKNOWN),
                    ])
                    .clone();
                bag.insert("password".into(), self.maybe_secret(password));
            }
            if self.rng.chance(50) {
                bag.insert("notBefore".into(), self.time());
                bag.insert("notAfter".into(), self.time());
            }
            if self.rng.chance(50) {
                // Paths stay inside the provider's working directory (or nowhere).
                let path = self
                    .rng
                    .pick(&[
                        json!("./key.json"),
                        json!("k2.json"),
                        json!("~/k3.json"),
                        json!("missing-dir/k.json"),
                        json!("/nonexistent/k.json"),
                        json!(""),
                        json!("."),
                    ])
                    .clone();
                bag.insert("privateKeyDataFile".into(), path);
            }
            if self.rng.chance(20) {
                bag.insert("createTime".into(), self.time());
            }
        }
        if self.rng.chance(10) {
            bag.insert(
                self.rng
                    .pick(&["aap_name", "Policies", "__defaults", "extra"])
                    .to_string(),
                json!(["x"]),
            );
        }
        Value::Object(bag)
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

/// What the checker found.
#[derive(Debug, Default)]
pub struct Findings {
    pub lines: usize,
    pub replies: usize,
    pub non_json_lines: Vec<String>,
    /// Replies with -32603 (a handler panicked, or the transport failed).
    pub internal_errors: Vec<String>,
    pub malformed_messages: Vec<String>,
    /// How many replies were results, and how many errors of each code: what the frames reached.
    pub outcomes: BTreeMap<String, usize>,
}

/// Reads stdout lines and keeps the books: which owed ids were answered.
pub struct ReplyChecker {
    owed: HashSet<String>,
    answered: HashSet<String>,
    pub findings: Findings,
}

impl Default for ReplyChecker {
    fn default() -> Self {
        ReplyChecker::new()
    }
}

impl ReplyChecker {
    pub fn new() -> ReplyChecker {
        ReplyChecker {
            owed: HashSet::new(),
            answered: HashSet::new(),
            findings: Findings::default(),
        }
    }

    pub fn expect(&mut self, ids: &[String]) {
        self.owed.extend(ids.iter().cloned());
    }

    pub fn line(&mut self, line: &str) {
        self.findings.lines += 1;
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            self.keep(|findings| &mut findings.non_json_lines, line);
            return;
        };
        match message {
            Value::Array(replies) => replies.iter().for_each(|reply| self.message(reply, line)),
            reply => self.message(&reply, line),
        }
    }

    fn message(&mut self, message: &Value, line: &str) {
        let well_formed = message["jsonrpc"] == "2.0"
            && (message.get("method").is_some()
                || (message.get("id").is_some()
                    && (message.get("result").is_some() != message.get("error").is_some())));
        if !well_formed {
            self.keep(|findings| &mut findings.malformed_messages, line);
            return;
        }
        if message.get("method").is_some() {
            return;
        }
        self.findings.replies += 1;
        let outcome = match message.get("error") {
            Some(error) => error["code"].to_string(),
            None => "result".to_owned(),
        };
        *self.findings.outcomes.entry(outcome).or_default() += 1;
        if message["error"]["code"] == json!(-32603) {
            self.keep(|findings| &mut findings.internal_errors, line);
        }
        self.answered.insert(message["id"].to_string());
    }

    fn keep(&mut self, list: impl Fn(&mut Findings) -> &mut Vec<String>, line: &str) {
        let list = list(&mut self.findings);
        if list.len() < 5 {
            list.push(line.chars().take(300).collect());
        } else {
            list.push(String::new());
        }
    }

    /// The owed ids never answered (at most `limit` of them), and how many there were.
    pub fn unanswered(&self, limit: usize) -> (usize, Vec<String>) {
        let missing: Vec<&String> = self.owed.difference(&self.answered).collect();
        (
            missing.len(),
            missing.into_iter().take(limit).cloned().collect(),
        )
    }

    pub fn owed(&self) -> usize {
        self.owed.len()
    }
}
