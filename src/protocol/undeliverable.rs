//! What a line the engine never received said, for stderr: when stdout is gone (the engine went
//! away), a reply or `log` notification that names a key (its id, the dates a lost create sent)
//! must not vanish with it.
//!
//! Kept: error replies (their messages and `data` say what was made and how to find it), results
//! that carry a resource `id` (a create or a read: the resource exists), and `log` notifications.
//! Other results (a schema, a check) are only counted by size. Every value in Pulumi's secret
//! wrapper is replaced by `[secret]` first, so a password in a create's outputs never reaches
//! stderr; messages never hold secrets (`docs/protocol.md`, Errors).

use serde_json::{Map, Value};

use crate::resources::property::{SECRET_SIGNATURE, SIGNATURE_KEY};

/// The text for stderr of one line that could not be delivered, or `None` when it says nothing a
/// user needs (a schema, a check result).
pub fn describe(line: &str) -> Option<String> {
    let Ok(value) = serde_json::from_str::<Value>(line) else {
        return Some(format!("an undeliverable line of {} bytes", line.len()));
    };
    match value {
        // A batch's reply: each member on its own.
        Value::Array(members) => {
            let described: Vec<String> = members.iter().filter_map(describe_message).collect();
            (!described.is_empty()).then(|| described.join("\n"))
        }
        message => describe_message(&message),
    }
}

fn describe_message(message: &Value) -> Option<String> {
    let id = message.get("id").map(Value::to_string);
    if message.get("method").and_then(Value::as_str) == Some("log") {
        let params = redact(&message["params"]);
        return Some(format!(
            "undeliverable log ({}{}): {}",
            params["severity"].as_str().unwrap_or("info"),
            params["urn"]
                .as_str()
                .map(|urn| format!(", {urn}"))
                .unwrap_or_default(),
            params["message"].as_str().unwrap_or_default()
        ));
    }
    let id = id.unwrap_or_else(|| "null".to_owned());
    if let Some(error) = message.get("error") {
        let error = redact(error);
        return Some(format!(
            "undeliverable reply to request {id}: error {}: {}; data: {}",
            error["code"],
            error["message"].as_str().unwrap_or_default(),
            error["data"]
        ));
    }
    let result = message.get("result")?;
    if result.get("id").and_then(Value::as_str).is_some() {
        return Some(format!(
            "undeliverable reply to request {id}: result {}",
            redact(result)
        ));
    }
    None
}

/// A copy of `value` with every secret replaced by `"[secret]"`.
fn redact(value: &Value) -> Value {
    match value {
        Value::Object(map)
            if map.get(SIGNATURE_KEY).and_then(Value::as_str) == Some(SECRET_SIGNATURE) =>
        {
            Value::String("[secret]".to_owned())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| (key.clone(), redact(item)))
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secret(value: &str) -> Value {
        json!({SIGNATURE_KEY: SECRET_SIGNATURE, "value": value})
    }

    #[test]
    fn what_names_a_resource_is_kept_and_secrets_never_are() {
        let created = json!({"jsonrpc": "2.0", "id": 7, "result": {"id": "KAAP.1",
            "properties": {"password": secret("YouPassword123!"), "notBefore": "2023-09-01T14:11:22Z"},
            "warnings": ["a key of aap with NotBefore a and NotAfter b that appears later ..."]}});
        let text = describe(&created.to_string()).unwrap();
        assert!(
            text.starts_with("undeliverable reply to request 7: result "),
            "{text}"
        );
        assert!(
            text.contains("KAAP.1") && text.contains("NotBefore a and NotAfter b"),
            "{text}"
        );
        assert!(
            !text.contains("YouPassword123!") && text.contains("[secret]"),
            "{text}"
        );

        let failed = json!({"jsonrpc": "2.0", "id": "x", "error": {"code": -32060,
            "message": "it made KAAP.2", "data": {"kind": "ambiguous_create", "candidateIds": ["KAAP.2"]}}});
        let text = describe(&failed.to_string()).unwrap();
        assert_eq!(
            text,
            "undeliverable reply to request \"x\": error -32060: it made KAAP.2; data: \
             {\"candidateIds\":[\"KAAP.2\"],\"kind\":\"ambiguous_create\"}"
        );

        let log = json!({"jsonrpc": "2.0", "method": "log", "params": {"severity": "info",
            "message": "wrote the private key of client key KAAP.3", "urn": "urn:x"}});
        assert_eq!(
            describe(&log.to_string()).unwrap(),
            "undeliverable log (info, urn:x): wrote the private key of client key KAAP.3"
        );

        let batch = format!("[{created},{failed}]");
        assert_eq!(describe(&batch).unwrap().lines().count(), 2);
    }

    #[test]
    fn results_that_name_nothing_are_left_out() {
        let schema = json!({"jsonrpc": "2.0", "id": 1, "result": {"schema": "{...}"}});
        assert_eq!(describe(&schema.to_string()), None);
        let check = json!({"jsonrpc": "2.0", "id": 2, "result": {"inputs": {}, "failures": []}});
        assert_eq!(describe(&check.to_string()), None);
        assert_eq!(
            describe("not json").unwrap(),
            "an undeliverable line of 8 bytes"
        );
    }
}
