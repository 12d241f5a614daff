//! The JSON-RPC 2.0 envelope: telling a request from a notification from something invalid, and
//! writing the error replies the transport itself owes (jsonrpsee handles neither notifications,
//! batches nor unparsable input).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Value};

// The transport's own error codes, as jsonrpsee declares them.
pub use jsonrpsee::types::error::{
    INTERNAL_ERROR_CODE as INTERNAL_ERROR, INVALID_REQUEST_CODE as INVALID_REQUEST,
    METHOD_NOT_FOUND_CODE as METHOD_NOT_FOUND, PARSE_ERROR_CODE as PARSE_ERROR,
};

/// The members of a message, unparsed. Absent members are `None`; a member that is present but
/// `null` is `Some`, which is how a request with `"id": null` differs from a notification.
#[derive(Deserialize)]
struct RawEnvelope<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    jsonrpc: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    id: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    method: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    params: Option<&'a RawValue>,
}

fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(deserializer).map(Some)
}

/// What one message is.
#[derive(Debug)]
pub enum Message<'a> {
    /// A call that gets a reply. `id` is the raw id, echoed as sent.
    Request {
        id: &'a RawValue,
        method: String,
        params: Option<&'a RawValue>,
    },
    /// A call without `id`: run it, reply nothing.
    Notification {
        method: String,
        params: Option<&'a RawValue>,
    },
    /// Not a valid request; `id` is the raw id when it could be read.
    Invalid {
        id: Option<&'a RawValue>,
        code: i32,
        message: String,
    },
}

/// Classifies one JSON text (a line, or one element of a batch).
pub fn classify(text: &str) -> Message<'_> {
    let envelope: RawEnvelope<'_> = match serde_json::from_str(text) {
        Ok(envelope) => envelope,
        Err(error) if error.is_data() => return Message::Invalid {
            id: None,
            code: INVALID_REQUEST,
            message:
                "a request must be a JSON object with jsonrpc, method and optional id and params"
                    .into(),
        },
        Err(error) => {
            return Message::Invalid {
                id: None,
                code: PARSE_ERROR,
                message: format!(
                    "the message is not valid JSON ({}); send one JSON-RPC message per line",
                    describe(&error)
                ),
            }
        }
    };
    let id = match envelope.id {
        None => None,
        Some(raw) => match id_problem(raw) {
            None => Some(raw),
            Some((echo, problem)) => {
                return Message::Invalid {
                    id: echo.then_some(raw),
                    code: INVALID_REQUEST,
                    message: problem.into(),
                }
            }
        },
    };
    let invalid = |message: &str| Message::Invalid {
        id,
        code: INVALID_REQUEST,
        message: message.into(),
    };
    if envelope.jsonrpc.map(RawValue::get) != Some("\"2.0\"") {
        return invalid("jsonrpc must be \"2.0\"");
    }
    let method = match envelope.method.map(RawValue::get) {
        // A string without escapes is its own text (the line is valid JSON already).
        Some(raw) if raw.len() >= 2 && raw.starts_with('"') && !raw.contains('\\') => {
            raw[1..raw.len() - 1].to_owned()
        }
        Some(raw) => match serde_json::from_str::<String>(raw) {
            Ok(method) => method,
            Err(_) => return invalid("method must be a string naming the method to call"),
        },
        None => return invalid("method must be a string naming the method to call"),
    };
    let params = envelope.params.filter(|raw| raw.get() != "null");
    if let Some(raw) = params {
        // JSON-RPC allows an object or an array here; anything else is not a request. (Whether a
        // method takes an array is the method's business: the provider's methods answer -32602.)
        if !raw.get().starts_with(['{', '[']) {
            return invalid(
                "params must be an object with named fields (JSON-RPC also allows an array), not a single value",
            );
        }
    }
    match id {
        Some(id) => Message::Request { id, method, params },
        None => Message::Notification { method, params },
    }
}

/// Why an id cannot be used, and whether it can still be echoed. jsonrpsee accepts string ids,
/// `null` and non-negative integers; other numbers are refused here with a clear message. A
/// string id must be Unicode text: an escaped lone surrogate (`"\ud800"`) is valid JSON but no
/// text, which no reader can take back, so it is refused and not echoed.
fn id_problem(raw: &RawValue) -> Option<(bool, &'static str)> {
    let text = raw.get();
    if text == "null" {
        return None;
    }
    if text.starts_with('"') {
        // Only an escape can hide a surrogate: the line itself is UTF-8.
        if text.contains("\\u") && serde_json::from_str::<String>(text).is_err() {
            return Some((
                false,
                "id must be a string of Unicode text (an escaped lone surrogate such as \\ud800 is none), a \
                 non-negative integer or null",
            ));
        }
        return None;
    }
    if text.starts_with(|character: char| character.is_ascii_digit() || character == '-') {
        if text.parse::<u64>().is_ok() {
            return None;
        }
        // Echoed when a reader can take it back as a number; `1e999` is valid JSON, but most
        // parsers refuse it or turn it into infinity, so the reply's id is `null` instead.
        let echo = text.parse::<f64>().is_ok_and(f64::is_finite);
        return Some((echo, "id must be a string, a non-negative integer or null"));
    }
    Some((false, "id must be a string, a non-negative integer or null"))
}

/// A parse error's category and position, never the offending text.
fn describe(error: &serde_json::Error) -> String {
    if error.is_eof() {
        "it ends early".to_owned()
    } else {
        format!("syntax error at column {}", error.column())
    }
}

/// An error reply. `data` always holds `kind`, plus `extra` members.
pub fn error_reply(
    id: Option<&RawValue>,
    code: i32,
    message: &str,
    kind: &str,
    extra: Value,
) -> String {
    #[derive(Serialize)]
    struct ErrorReply<'a> {
        jsonrpc: &'static str,
        id: Option<&'a RawValue>,
        error: ErrorBody<'a>,
    }
    #[derive(Serialize)]
    struct ErrorBody<'a> {
        code: i32,
        message: &'a str,
        data: Value,
    }
    let mut data = json!({ "kind": kind });
    if let (Value::Object(data), Value::Object(extra)) = (&mut data, extra) {
        data.extend(extra);
    }
    serde_json::to_string(&ErrorReply {
        jsonrpc: "2.0",
        id,
        error: ErrorBody {
            code,
            message,
            data,
        },
    })
    .expect("an error reply of strings and raw JSON serialises")
}

/// The `data.kind` of a transport error code.
pub fn kind_of(code: i32) -> &'static str {
    match code {
        PARSE_ERROR => "parse_error",
        INVALID_REQUEST => "invalid_request",
        METHOD_NOT_FOUND => "method_not_found",
        _ => "internal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(message: Message<'_>) -> Option<i32> {
        match message {
            Message::Invalid { code, .. } => Some(code),
            _ => None,
        }
    }

    #[test]
    fn classification_table() {
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","id":1,"method":"check"}"#),
            Message::Request { .. }
        ));
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","id":null,"method":"check"}"#),
            Message::Request { .. }
        ));
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","id":"a","method":"x","params":{}}"#),
            Message::Request { .. }
        ));
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","method":"cancel"}"#),
            Message::Notification { .. }
        ));
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","method":"cancel","params":null}"#),
            Message::Notification { params: None, .. }
        ));
        let table = [
            (r#"{"jsonrpc":"2.0","id":1,"method":"x""#, PARSE_ERROR),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"x"} trailing"#,
                PARSE_ERROR,
            ),
            ("not json", PARSE_ERROR),
            ("42", INVALID_REQUEST),
            (r#""text""#, INVALID_REQUEST),
            (r#"{"id":1,"method":"x"}"#, INVALID_REQUEST),
            (r#"{"jsonrpc":"1.0","id":1,"method":"x"}"#, INVALID_REQUEST),
            (r#"{"jsonrpc":"2.0","id":1}"#, INVALID_REQUEST),
            (r#"{"jsonrpc":"2.0","id":1,"method":7}"#, INVALID_REQUEST),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"x","params":5}"#,
                INVALID_REQUEST,
            ),
            (r#"{"jsonrpc":"2.0","id":{},"method":"x"}"#, INVALID_REQUEST),
            (r#"{"jsonrpc":"2.0","id":-1,"method":"x"}"#, INVALID_REQUEST),
            (
                r#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#,
                INVALID_REQUEST,
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"x"}"#,
                INVALID_REQUEST,
            ),
        ];
        for (text, code) in table {
            assert_eq!(code_of(classify(text)), Some(code), "{text}");
        }
    }

    #[test]
    fn a_number_id_that_cannot_be_used_is_still_echoed() {
        match classify(r#"{"jsonrpc":"2.0","id":-1,"method":"x"}"#) {
            Message::Invalid { id: Some(id), .. } => assert_eq!(id.get(), "-1"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_number_id_no_reader_can_take_back_is_answered_with_a_null_id() {
        // Found by the stdin fuzzer: `10e0754922` echoed made a line serde_json refuses.
        for id in ["10e0754922", "1e999", "-1E400"] {
            let text = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"x"}}"#);
            match classify(&text) {
                Message::Invalid { id: None, code, .. } => assert_eq!(code, INVALID_REQUEST),
                other => panic!("{id}: {other:?}"),
            }
        }
        match classify(r#"{"jsonrpc":"2.0","id":1.5e3,"method":"x"}"#) {
            Message::Invalid { id: Some(id), .. } => assert_eq!(id.get(), "1.5e3"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_string_id_that_is_no_text_is_refused_with_a_null_id() {
        for id in [r#""\ud800""#, r#""a\udc00b""#, r#""\ud800\u0041""#] {
            let text = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"x"}}"#);
            match classify(&text) {
                Message::Invalid { id: None, code, .. } => assert_eq!(code, INVALID_REQUEST),
                other => panic!("{id}: {other:?}"),
            }
        }
        // Escapes that are text, a surrogate pair included, are ids like any other.
        for id in [r#""\u00e9""#, r#""\ud83d\ude00""#, r#""plain""#] {
            let text = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"x"}}"#);
            match classify(&text) {
                Message::Request { id: echoed, .. } => assert_eq!(echoed.get(), id),
                other => panic!("{id}: {other:?}"),
            }
        }
    }

    #[test]
    fn error_replies_carry_a_kind_and_echo_the_raw_id() {
        let id = RawValue::from_string("\"abc\"".to_owned()).unwrap();
        let reply = error_reply(
            Some(&id),
            METHOD_NOT_FOUND,
            "unknown method",
            "method_not_found",
            json!({"method": "x"}),
        );
        assert_eq!(
            reply,
            r#"{"jsonrpc":"2.0","id":"abc","error":{"code":-32601,"message":"unknown method","data":{"kind":"method_not_found","method":"x"}}}"#
        );
        let reply = error_reply(None, PARSE_ERROR, "bad", "parse_error", Value::Null);
        assert!(
            reply.starts_with(r#"{"jsonrpc":"2.0","id":null,"#),
            "{reply}"
        );
    }
}
