//! Turns a raw reply (status and body) into a typed response or a `KmsError`.
//!
//! A reply is an error when its status is not 2xx, or when it carries a `Code` (success bodies
//! never do; the Terraform provider applies the same rule). An error reply must carry a non-empty
//! `Code`: anything else is `InvalidResponse`, never `Service`, so a broken reply can never be
//! mistaken for "not found". The body is never quoted in an error: it may hold private key data.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::kms::error::KmsError;
use crate::kms::secret::redact_secrets;

/// A typed success body, with the checks serde cannot express.
pub trait KmsResponse: DeserializeOwned {
    /// The name of a required field that is present but empty, if any.
    fn empty_required_field(&self) -> Option<&'static str> {
        None
    }
}

/// A reply that carries only its request id (deletes and updates).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestIdResponse {
    /// Request id.
    pub request_id: String,
}

impl KmsResponse for RequestIdResponse {}

/// Decodes `body` (received with `http_status`) as the reply to `action`. `secrets` are the
/// values to scrub from service messages before they are kept.
pub(crate) fn decode_reply<T: KmsResponse>(
    action: &'static str,
    http_status: u16,
    body: &[u8],
    secrets: &[&str],
) -> Result<T, KmsError> {
    let invalid = |request_id: Option<String>, problem: String| KmsError::InvalidResponse {
        action,
        request_id,
        http_status,
        problem,
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(None, "the body is empty".to_owned()));
    }
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        let problem = if error.is_eof() {
            "the body is truncated (the JSON ends early)".to_owned()
        } else {
            format!(
                "the body is not JSON (syntax error at line {}, column {})",
                error.line(),
                error.column()
            )
        };
        invalid(None, problem)
    })?;
    let Value::Object(object) = value else {
        return Err(invalid(
            None,
            format!("the body is a JSON {}, not an object", kind_of(&value)),
        ));
    };
    let request_id = string_field(&object, &["RequestId", "requestId"]);
    let code_value = object.get("Code").or_else(|| object.get("code"));
    let is_success_status = (200..300).contains(&http_status);

    if !is_success_status || code_value.is_some() {
        let code = match code_value {
            Some(Value::String(code)) if !code.trim().is_empty() => code.trim().to_owned(),
            Some(Value::String(_)) => {
                return Err(invalid(
                    request_id,
                    "the error reply carries an empty Code".to_owned(),
                ));
            }
            Some(other) => {
                return Err(invalid(
                    request_id,
                    format!(
                        "the error reply's Code is a JSON {}, not a string",
                        kind_of(other)
                    ),
                ));
            }
            None => {
                return Err(invalid(
                    request_id,
                    "the error reply carries no Code".to_owned(),
                ));
            }
        };
        let scrub = |text: Option<String>| text.map(|text| redact_secrets(&text, secrets));
        return Err(KmsError::Service {
            action,
            code,
            message: scrub(string_field(&object, &["Message", "message"])).unwrap_or_default(),
            request_id,
            host_id: string_field(&object, &["HostId", "hostId"]).map(String::into_boxed_str),
            recommend: scrub(string_field(&object, &["Recommend", "recommend"]))
                .map(String::into_boxed_str),
            http_status,
        });
    }

    let response: T = serde_json::from_value(Value::Object(object))
        .map_err(|error| invalid(request_id.clone(), describe_data_error(&error)))?;
    if let Some(field) = response.empty_required_field() {
        return Err(invalid(
            request_id,
            format!("the required field `{field}` is empty"),
        ));
    }
    Ok(response)
}

fn string_field(object: &Map<String, Value>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| match object.get(*name) {
        Some(Value::String(text)) if !text.is_empty() => Some(text.clone()),
        _ => None,
    })
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// serde's text for a data error, with every double-quoted part removed: serde quotes offending
/// string values there (`invalid type: string "..."`), and a value may be a secret. Field names,
/// which serde writes in backticks, stay.
fn describe_data_error(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let text = text.split(" at line ").next().unwrap_or(&text);
    let mut cleaned = String::with_capacity(text.len());
    let mut inside_quotes = false;
    for character in text.chars() {
        if character == '"' {
            if !inside_quotes {
                cleaned.push_str("<value>");
            }
            inside_quotes = !inside_quotes;
        } else if !inside_quotes {
            cleaned.push(character);
        }
    }
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "PascalCase")]
    struct Probe {
        #[allow(dead_code)]
        request_id: String,
        #[allow(dead_code)]
        page_size: u32,
    }
    impl KmsResponse for Probe {}

    #[test]
    fn data_errors_never_quote_values() {
        let body = br#"{"RequestId":"r","PageSize":"secret-value"}"#;
        let error =
            decode_reply::<Probe>("ListApplicationAccessPoints", 200, body, &[]).unwrap_err();
        let text = error.to_string();
        assert!(!text.contains("secret-value"), "{text}");
        assert!(text.contains("request id r"), "{text}");
    }
}
