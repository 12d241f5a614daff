//! The JSON-RPC 2.0 envelope: telling a request from a notification from something invalid, and
//! writing the error replies the transport itself owes (jsonrpsee handles neither notifications,
//! batches nor unparsable input).

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::wellformed::{skip_whitespace, string_end, value_end};

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
        method: Cow<'a, str>,
        params: Option<&'a str>,
    },
    /// A call without `id`: run it, reply nothing.
    Notification {
        method: Cow<'a, str>,
        params: Option<&'a str>,
    },
    /// Not a valid request; `id` is the raw id when it could be read.
    Invalid {
        id: Option<&'a RawValue>,
        code: i32,
        message: String,
    },
}

/// The members of a message as they stand in it (absent members are `None`).
struct Members<'a> {
    jsonrpc: Option<&'a str>,
    id: Option<&'a RawValue>,
    method: Option<&'a str>,
    params: Option<&'a str>,
}

/// Classifies one JSON text (a line, or one element of a batch).
pub fn classify(text: &str) -> Message<'_> {
    match plain_members(text) {
        Some(members) => classify_members(members),
        None => match read_members(text) {
            Ok(members) => classify_members(members),
            Err(invalid) => invalid,
        },
    }
}

/// What a message of these members is.
fn classify_members(envelope: Members<'_>) -> Message<'_> {
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
    if envelope.jsonrpc != Some("\"2.0\"") {
        return invalid("jsonrpc must be \"2.0\"");
    }
    let method = match envelope.method {
        // A string without escapes is its own text (the line is valid JSON already).
        Some(raw) if raw.len() >= 2 && raw.starts_with('"') && !raw.contains('\\') => {
            Cow::Borrowed(&raw[1..raw.len() - 1])
        }
        Some(raw) => match serde_json::from_str::<String>(raw) {
            Ok(method) => Cow::Owned(method),
            Err(_) => return invalid("method must be a string naming the method to call"),
        },
        None => return invalid("method must be a string naming the method to call"),
    };
    let params = envelope.params.filter(|raw| *raw != "null");
    if let Some(raw) = params {
        // JSON-RPC allows an object or an array here; anything else is not a request. (Whether a
        // method takes an array is the method's business: the provider's methods answer -32602.)
        if !raw.starts_with(['{', '[']) {
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

/// The members as serde_json reads them, or the reply to a text that is no JSON object of them.
fn read_members(text: &str) -> Result<Members<'_>, Message<'_>> {
    match serde_json::from_str::<RawEnvelope<'_>>(text) {
        Ok(envelope) => Ok(Members {
            jsonrpc: envelope.jsonrpc.map(RawValue::get),
            id: envelope.id,
            method: envelope.method.map(RawValue::get),
            params: envelope.params.map(RawValue::get),
        }),
        Err(error) if error.is_data() => Err(Message::Invalid {
            id: None,
            code: INVALID_REQUEST,
            message:
                "a request must be a JSON object with jsonrpc, method and optional id and params"
                    .into(),
        }),
        Err(error) => Err(Message::Invalid {
            id: None,
            code: PARSE_ERROR,
            message: format!(
                "the message is not valid JSON ({}); send one JSON-RPC message per line",
                describe(&error)
            ),
        }),
    }
}

/// The members of the common message, read in one pass that builds nothing
/// (`wellformed`): an object of the envelope's members only, each at most once, with keys
/// written plainly. serde_json would check the params the same way only to find where they end
/// (and the handler parses them again), which cost about a tenth of a `check`. `None` when the
/// text is anything else or the pass is not sure it is well-formed: then serde_json reads it
/// ([`read_members`]), so every other text is answered as before.
fn plain_members(text: &str) -> Option<Members<'_>> {
    let bytes = text.as_bytes();
    let mut at = skip_whitespace(bytes, 0);
    if *bytes.get(at)? != b'{' {
        return None;
    }
    at = skip_whitespace(bytes, at + 1);
    let mut members: [Option<&str>; 4] = [None; 4];
    loop {
        if *bytes.get(at)? != b'"' {
            return None;
        }
        let key_end = string_end(bytes, at)?;
        let slot = match &text[at + 1..key_end - 1] {
            "jsonrpc" => 0,
            "id" => 1,
            "method" => 2,
            "params" => 3,
            _ => return None,
        };
        at = skip_whitespace(bytes, key_end);
        if *bytes.get(at)? != b':' {
            return None;
        }
        at = skip_whitespace(bytes, at + 1);
        let value_end = value_end(bytes, at)?;
        if members[slot].replace(&text[at..value_end]).is_some() {
            return None;
        }
        at = skip_whitespace(bytes, value_end);
        match *bytes.get(at)? {
            b',' => at = skip_whitespace(bytes, at + 1),
            b'}' => break,
            _ => return None,
        }
    }
    if skip_whitespace(bytes, at + 1) != bytes.len() {
        return None;
    }
    let [jsonrpc, id, method, params] = members;
    Some(Members {
        jsonrpc,
        // A raw id is short: reading it again costs little.
        id: match id {
            Some(id) => Some(serde_json::from_str::<&RawValue>(id).ok()?),
            None => None,
        },
        method,
        params,
    })
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

    /// Every text is classified as serde_json's reading of its members classifies it, whether or
    /// not the one-pass reading took it.
    #[test]
    fn the_one_pass_reading_of_members_is_serde_jsons() {
        let through_serde = |text| match read_members(text) {
            Ok(members) => classify_members(members),
            Err(invalid) => invalid,
        };
        let base = r#"{"id":12,"jsonrpc":"2.0","method":"check","params":{"news":{"a":"b\"c","n":[1,-2.5e3,true,null],"s":{"k":"v"}},"urn":"u"}}"#;
        let mut texts = vec![
            base.to_owned(),
            r#" { "jsonrpc" : "2.0" , "method" : "diff" , "id" : "x" , "params" : [ ] } "#.into(),
            r#"{"jsonrpc":"2.0","method":"cancel"}"#.into(),
            r#"{"jsonrpc":"2.0","method":"cancel","params":null}"#.into(),
            r#"{"jsonrpc":"2.0","id":null,"method":"m\/x","params":5}"#.into(),
            r#"{"jsonrpc":"2.0","id":-1,"method":"x"}"#.into(),
            r#"{"jsonrpc":"2.0","id":1e999,"method":"x"}"#.into(),
            r#"{"jsonrpc":"2.0","id":"\ud800","method":"x"}"#.into(),
            r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"x"}"#.into(),
            r#"{"jsonrpc":"2.0","id":1,"method":"x","extra":{}}"#.into(),
            r#"{"jsonrpc":"1.0","id":1,"method":"x"}"#.into(),
            r#"{"jsonrpc":"2.0","id":1,"method":7}"#.into(),
            "{}".into(),
        ];
        // Cuts and changes of the common message, valid or not.
        for (at, _) in base.char_indices() {
            texts.push(base[..at].to_owned());
            for replacement in ["", "\"", ",", "}", "]", "x", " ", "\\"] {
                texts.push(format!("{}{replacement}{}", &base[..at], &base[at + 1..]));
            }
        }
        for text in &texts {
            assert_eq!(
                format!("{:?}", classify(text)),
                format!("{:?}", through_serde(text)),
                "{text}"
            );
        }
        assert!(plain_members(base).is_some());
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
