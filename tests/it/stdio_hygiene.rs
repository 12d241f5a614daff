//! What the process writes, whatever it is sent: stdout carries nothing but whole protocol lines
//! (even with `RUST_LOG=trace`), no secret ever reaches stderr at any log level, and arbitrary
//! bytes on stdin get errors (or nothing) while the server keeps serving without a panic.

use crate::common;

use alicloud_kms_provider::provider::kms_options::TEST_HOOKS_VARIABLE;
use common::ProviderProcess;
use serde_json::{json, Value};

const PASSWORD: &str = "Sup3r-Secret-Passw0rd";
const SHORT_PASSWORD: &str = "Shh-1";
const SECRET_KEY: &str = "secret-key-7f3a9c1e";
const SECURITY_TOKEN: &str = "security-token-0b2d4f6a";

fn secret(value: &str) -> Value {
    json!({"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": value})
}

/// A session that touches every method, errors included, with secrets in every place they can be.
fn session_with_secrets() -> Vec<Value> {
    let client_key = "alicloud-kms:index:ClientKey";
    let inputs = json!({"aapName": "aap", "password": PASSWORD, "notBefore": "2023-09-01T14:11:22Z", "notAfter": "2028-09-01T14:11:22Z"});
    let state = json!({"aapName": "aap", "password": secret(PASSWORD), "notBefore": "2023-09-01T14:11:22Z",
                       "notAfter": "2028-09-01T14:11:22Z", "createTime": "2023-09-01T09:14:38Z"});
    let requests = vec![
        ("getPluginInfo", json!({})),
        (
            "checkConfig",
            json!({"news": {"secretKey": SECRET_KEY, "securityToken": SECURITY_TOKEN, "protocol": "FTP"}}),
        ),
        (
            "configure",
            json!({"variables": {"alicloud-kms:config:secretKey": SECRET_KEY},
                             "args": {"securityToken": secret(SECURITY_TOKEN), "protocol": "nope"}}),
        ),
        (
            "configure",
            json!({"variables": {"alicloud-kms:config:secretKey": SECRET_KEY},
                             "args": {"securityToken": secret(SECURITY_TOKEN)}}),
        ),
        ("check", json!({"type": client_key, "news": inputs})),
        (
            "check",
            json!({"type": client_key, "news": {"aapName": "aap", "password": SHORT_PASSWORD}}),
        ),
        (
            "check",
            json!({"type": client_key, "news": {"pasword": PASSWORD}}),
        ),
        ("check", json!({"type": client_key, "news": PASSWORD})),
        (
            "diff",
            json!({"type": client_key, "id": "KAAP.1", "olds": state, "news": {"aapName": "aap", "password": "Other-Passw0rd"}}),
        ),
        (
            "diff",
            json!({"type": client_key, "id": PASSWORD, "olds": {"applicationAccessPointName": PASSWORD}, "news": {}}),
        ),
        (
            "create",
            json!({"type": client_key, "properties": inputs, "timeout": PASSWORD}),
        ),
        (
            "create",
            json!({"type": client_key, "properties": inputs, "preview": true}),
        ),
        (
            "create",
            json!({"type": client_key, "properties": {"aapName": "aap", "password": SHORT_PASSWORD}}),
        ),
        (
            "read",
            json!({"type": client_key, "id": "KAAP.1", "properties": state}),
        ),
        (
            "update",
            json!({"type": client_key, "id": "KAAP.1", "olds": state, "news": inputs}),
        ),
        (
            "delete",
            json!({"type": client_key, "id": "KAAP.1", "properties": state}),
        ),
        (PASSWORD, json!({"password": PASSWORD})),
    ];
    let mut messages: Vec<Value> = requests
        .into_iter()
        .enumerate()
        .map(|(id, (method, params))| json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
        .collect();
    messages.push(json!([{"jsonrpc": "2.0", "id": 100, "method": "check", "params": {"type": client_key, "news": inputs}}]));
    messages.push(json!({"jsonrpc": "2.0", "method": "check", "params": {"type": client_key, "news": inputs}}));
    messages
}

/// Runs the session and returns every stdout line and stderr.
fn run_session(rust_log: &str) -> (Vec<String>, String) {
    let mut provider = ProviderProcess::spawn(&[("RUST_LOG", rust_log)]);
    let messages = session_with_secrets();
    for message in &messages {
        provider.send(message);
    }
    provider.send_line(&format!("{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"check\",\"params\":{{\"password\":\"{PASSWORD}\""));
    let (status, lines, stderr) = provider.finish();
    assert!(status.success(), "{status}: {stderr}");
    // One reply per request (the notification gets none), plus the reply to the cut-short line.
    assert_eq!(
        lines.len(),
        messages.len() - 1 + 1,
        "stdout lines: {lines:#?}"
    );
    (lines, stderr)
}

/// Every string equal to a secret must sit inside a secret wrapper.
fn assert_secrets_only_wrapped(value: &Value, inside_secret: bool, line: &str) {
    match value {
        Value::String(text) => {
            for secret in [PASSWORD, SHORT_PASSWORD, SECRET_KEY, SECURITY_TOKEN] {
                if text.contains(secret) {
                    assert!(
                        inside_secret && text == secret,
                        "a secret appears unwrapped on stdout: {line}"
                    );
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| assert_secrets_only_wrapped(item, inside_secret, line)),
        Value::Object(map) => {
            let is_secret = map.get("4dabf18193072939515e22adb298388d")
                == Some(&json!("1b47061264138c4ac30d75fd1eb44270"));
            map.values().for_each(|item| {
                assert_secrets_only_wrapped(item, inside_secret || is_secret, line)
            });
        }
        _ => {}
    }
}

#[test]
fn stdout_carries_only_protocol_lines_even_at_trace_level() {
    let (lines, stderr) = run_session("trace");
    for line in &lines {
        let message: Value = serde_json::from_str(line)
            .unwrap_or_else(|_| panic!("not JSON on stdout: {line:.300}"));
        let replies = match &message {
            Value::Array(replies) => replies.clone(),
            other => vec![other.clone()],
        };
        for reply in replies {
            assert_eq!(reply["jsonrpc"], json!("2.0"), "{line:.300}");
            assert!(reply.get("id").is_some(), "{line:.300}");
            assert!(
                reply.get("result").is_some() != reply.get("error").is_some(),
                "{line:.300}"
            );
        }
    }
    // The trace level was really on: the logs went to stderr, without colour codes (stderr is a
    // pipe here, not a terminal).
    assert!(
        stderr.contains("request answered"),
        "no debug logs on stderr:\n{stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "ANSI escape codes on a stderr that is not a terminal"
    );
}

#[test]
fn no_secret_reaches_stderr_at_any_log_level_and_stdout_only_wraps_them() {
    // `jsonrpsee=trace` asks explicitly for the library that logs whole requests.
    for rust_log in [
        "error",
        "warn",
        "info",
        "debug",
        "trace",
        "jsonrpsee=trace,trace",
    ] {
        let (lines, stderr) = run_session(rust_log);
        for secret in [PASSWORD, SHORT_PASSWORD, SECRET_KEY, SECURITY_TOKEN] {
            assert!(
                !stderr.contains(secret),
                "RUST_LOG={rust_log}: a secret reached stderr:\n{stderr}"
            );
        }
        for line in &lines {
            assert_secrets_only_wrapped(&serde_json::from_str(line).unwrap(), false, line);
        }
    }
}

/// xorshift64*: a small, seeded generator, so every run sends the same bytes.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

/// One line of hostile input (without its newline, though it may contain newlines itself).
fn hostile_line(generator: &mut Generator) -> Vec<u8> {
    let valid = br#"{"jsonrpc":"2.0","id":7,"method":"check","params":{"type":"alicloud-kms:index:ClientKey","news":{"aapName":"a","password":"YouPassword123!"}}}"#;
    match generator.below(8) {
        // Random bytes of any value, newlines included.
        0 => (0..generator.below(300))
            .map(|_| generator.next() as u8)
            .collect(),
        // A valid request cut short.
        1 => valid[..generator.below(valid.len())].to_vec(),
        // A valid request with one byte replaced by an invalid UTF-8 byte.
        2 => {
            let mut line = valid.to_vec();
            let position = generator.below(line.len());
            line[position] = 0xC0 | (generator.next() as u8 & 0x1F);
            line
        }
        // Nesting far past any recursion limit.
        3 => {
            let depth = 1 + generator.below(20_000);
            let opener = if generator.below(2) == 0 {
                b"["
            } else {
                b"{\"a\":".as_slice()
            };
            opener.repeat(depth)
        }
        // Valid JSON that is not a request.
        4 => [
            b"null".as_slice(),
            b"true",
            b"-0.5e999",
            b"\"\\ud800\"",
            b"{}",
            b"[[]]",
            b"[1,2,3]",
        ][generator.below(7)]
        .to_vec(),
        // Requests with odd members.
        5 => {
            let methods = [
                "check",
                "diff",
                "create",
                "getSchema",
                "",
                "cancel",
                "rpc.discover",
            ];
            let params = [
                "[]",
                "{}",
                "1",
                "null",
                "{\"news\":[]}",
                "{\"type\":7,\"news\":{}}",
                "{\"urn\":\"urn:pulumi:::\",\"news\":{}}",
            ];
            let ids = ["1", "\"x\"", "null", "-3", "1e3", "[]"];
            format!(
                r#"{{"jsonrpc":"2.0","id":{},"method":"{}","params":{}}}"#,
                ids[generator.below(ids.len())],
                methods[generator.below(methods.len())],
                params[generator.below(params.len())]
            )
            .into_bytes()
        }
        // A batch mixing all of the above.
        6 => {
            let mut line = b"[".to_vec();
            for index in 0..generator.below(5) {
                if index > 0 {
                    line.push(b',');
                }
                line.extend_from_slice(valid);
            }
            line.extend_from_slice(b",{\"jsonrpc\":\"2.0\",\"method\":\"getPluginInfo\"},0]");
            line
        }
        // Control characters and a carriage return inside a string.
        _ => b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"check\x01\r\"}".to_vec(),
    }
}

#[test]
fn hostile_input_gets_errors_and_the_server_keeps_serving() {
    let mut provider = ProviderProcess::spawn(&[(TEST_HOOKS_VARIABLE, "0"), ("RUST_LOG", "debug")]);
    let mut generator = Generator(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        let mut line = hostile_line(&mut generator);
        line.push(b'\n');
        provider.send_bytes(&line);
    }
    // After all of that, a plain request is still answered.
    provider.send_line(r#"{"jsonrpc":"2.0","id":"still-serving","method":"getPluginInfo"}"#);
    let (status, lines, stderr) = provider.finish();
    assert!(status.success(), "{status}");
    assert!(
        !stderr.contains("panicked"),
        "the provider panicked:\n{stderr}"
    );
    assert!(
        lines.len() > 1000,
        "only {} replies to 3000 hostile lines",
        lines.len()
    );
    let mut answered = false;
    for line in &lines {
        // `finish` already failed on any partial line; each line must also be a whole reply.
        let message: Value = serde_json::from_str(line)
            .unwrap_or_else(|_| panic!("not JSON on stdout: {line:.300}"));
        let replies = match message {
            Value::Array(replies) => replies,
            other => vec![other],
        };
        for reply in replies {
            assert_eq!(reply["jsonrpc"], json!("2.0"), "{line:.300}");
            if reply["id"] == json!("still-serving") {
                assert_eq!(reply["result"], json!({"version": "0.1.0"}));
                answered = true;
            } else if let Some(error) = reply.get("error") {
                assert!(
                    error["data"]["kind"].is_string(),
                    "an error without data.kind: {line:.300}"
                );
                assert_ne!(
                    error["code"],
                    json!(-32603),
                    "an internal error: {line:.300}"
                );
            }
        }
    }
    assert!(
        answered,
        "the request after the hostile input was not answered"
    );
}

#[test]
fn a_message_cut_short_by_the_end_of_input_is_answered() {
    let mut provider = ProviderProcess::spawn(&[]);
    provider.send_line(r#"{"jsonrpc":"2.0","id":1,"method":"getPluginInfo"}"#);
    provider.send_bytes(br#"{"jsonrpc":"2.0","id":2,"method":"#);
    let (status, lines, _stderr) = provider.finish();
    assert!(status.success());
    let mut replies: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    replies.sort_by_key(|reply| reply["id"].to_string());
    assert_eq!(replies.len(), 2, "{lines:?}");
    assert_eq!(replies[0]["result"], json!({"version": "0.1.0"}));
    assert_eq!(replies[1]["error"]["code"], json!(-32700), "{lines:?}");
}
