//! Decoding a method's params: the one typed place where wire JSON becomes request fields.
//!
//! Params are read field by field rather than through a derived `Deserialize`, for two reasons:
//! every problem gets a message that names the field and says what it must be, and no message
//! ever quotes a value (serde's messages do, and a misplaced password would end up in an error).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::provider::limits::{oversized_check_outcome, refuse_oversized_bag};
use crate::provider::CheckOutcome;
use crate::provider::{request_fields, ProviderError};
use crate::resources::{PropertyMap, PropertyValue};

/// A param that is missing or has the wrong shape. Becomes `-32602 invalid params`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParamsError(String);

impl From<ParamsError> for ProviderError {
    fn from(error: ParamsError) -> ProviderError {
        ProviderError::invalid_params(error.0)
    }
}

/// The params of one request, consumed field by field.
pub struct ParamReader {
    method: &'static str,
    fields: Map<String, Value>,
}

impl ParamReader {
    /// Reads params text (absent params count as `{}`). By-position params are not supported:
    /// the methods mirror protobuf messages, whose fields have names.
    pub fn parse(method: &'static str, params: Option<&str>) -> Result<ParamReader, ParamsError> {
        let fields = match params {
            None => Map::new(),
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(fields)) => fields,
                Ok(Value::Null) => Map::new(),
                Ok(other) => {
                    return Err(ParamsError(format!(
                        "params of {method} must be an object with named fields, not {}",
                        json_type(&other)
                    )))
                }
                Err(_) => {
                    return Err(ParamsError(format!(
                        "params of {method} are not valid JSON"
                    )))
                }
            },
        };
        Ok(ParamReader { method, fields })
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        match self.fields.remove(name) {
            None | Some(Value::Null) => None,
            Some(value) => Some(value),
        }
    }

    fn wrong_type(&self, name: &str, expected: &str, actual: &Value) -> ParamsError {
        ParamsError(format!(
            "{name} in the params of {} must be {expected}, not {}",
            self.method,
            json_type(actual)
        ))
    }

    /// What `check` answers when the property bag `name` breaks the size limits
    /// (`provider::limits`); the bag stays in place.
    pub fn oversized_check_outcome(&self, name: &str) -> Option<CheckOutcome> {
        match self.fields.get(name) {
            Some(Value::Object(fields)) => oversized_check_outcome(name, fields),
            _ => None,
        }
    }

    /// An object of property values (`news`, `olds`, `properties`, ...), if present. A bag that
    /// breaks the size limits is refused before its values are read.
    pub fn property_map(&mut self, name: &str) -> Result<Option<PropertyMap>, ProviderError> {
        if let Some(Value::Object(fields)) = self.fields.get(name) {
            refuse_oversized_bag(self.method, name, fields)?;
        }
        match self.take(name) {
            None => Ok(None),
            Some(Value::Object(fields)) => Ok(Some(
                fields
                    .into_iter()
                    .map(|(key, value)| (key, PropertyValue::from_wire(value)))
                    .collect(),
            )),
            Some(other) => Err(self
                .wrong_type(name, "an object of property values", &other)
                .into()),
        }
    }

    /// An object of property values that must be present.
    pub fn required_property_map(&mut self, name: &str) -> Result<PropertyMap, ProviderError> {
        self.property_map(name)?.ok_or_else(|| {
            ProviderError::invalid_params(format!(
                "{} needs {name} (an object of property values) in its params",
                self.method
            ))
        })
    }

    pub fn optional_string(&mut self, name: &str) -> Result<Option<String>, ParamsError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(self.wrong_type(name, "a string", &other)),
        }
    }

    /// The resource id: a non-empty string (`provider::request_fields`).
    pub fn required_id(&mut self) -> Result<String, ProviderError> {
        let id = self.optional_string("id")?;
        request_fields::required_id(self.method, id)
    }

    pub fn optional_bool(&mut self, name: &str) -> Result<Option<bool>, ParamsError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(flag)),
            Some(other) => Err(self.wrong_type(name, "true or false", &other)),
        }
    }

    pub fn optional_integer(&mut self, name: &str) -> Result<Option<i64>, ParamsError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Number(number)) if number.is_i64() => Ok(number.as_i64()),
            Some(other) => Err(self.wrong_type(name, "an integer", &other)),
        }
    }

    /// `timeout`, in seconds as Pulumi sends it (`provider::request_fields`).
    pub fn optional_timeout(&mut self) -> Result<Option<Duration>, ProviderError> {
        match self.take("timeout") {
            None => Ok(None),
            Some(Value::Number(number)) => {
                request_fields::timeout(self.method, number.as_f64().unwrap_or(f64::NAN))
            }
            Some(other) => Err(self
                .wrong_type("timeout", "a number of seconds", &other)
                .into()),
        }
    }

    /// Bytes sent as proto3 JSON sends them (standard base64), such as `randomSeed`; an empty
    /// string counts as absent.
    pub fn optional_base64_bytes(&mut self, name: &str) -> Result<Option<Vec<u8>>, ParamsError> {
        use base64::Engine as _;
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(text)) if text.is_empty() => Ok(None),
            Some(Value::String(text)) => base64::engine::general_purpose::STANDARD
                .decode(text.as_bytes())
                .map(Some)
                .map_err(|_| {
                    ParamsError(format!(
                        "{name} in the params of {} must be base64 (as proto3 JSON sends bytes)",
                        self.method
                    ))
                }),
            Some(other) => Err(self.wrong_type(name, "a base64 string", &other)),
        }
    }

    /// An array of strings (`ignoreChanges`), empty if absent.
    pub fn string_list(&mut self, name: &str) -> Result<Vec<String>, ParamsError> {
        match self.take(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text),
                    other => Err(self.wrong_type(name, "an array of strings", &other)),
                })
                .collect(),
            Some(other) => Err(self.wrong_type(name, "an array of strings", &other)),
        }
    }

    /// An object of strings (`variables`), empty if absent.
    pub fn string_map(&mut self, name: &str) -> Result<BTreeMap<String, String>, ParamsError> {
        match self.take(name) {
            None => Ok(BTreeMap::new()),
            Some(Value::Object(fields)) => fields
                .into_iter()
                .map(|(key, value)| match value {
                    Value::String(text) => Ok((key, text)),
                    other => Err(self.wrong_type(name, "an object of strings", &other)),
                })
                .collect(),
            Some(other) => Err(self.wrong_type(name, "an object of strings", &other)),
        }
    }

    /// The resource type token, from `type` or from `urn` (`provider::request_fields`), and the
    /// URN if there is one.
    pub fn resource_type(&mut self) -> Result<(String, Option<String>), ProviderError> {
        let urn = self.optional_string("urn")?;
        let explicit = self.optional_string("type")?;
        let token =
            request_fields::resource_type(self.method, urn.as_deref(), explicit.as_deref())?;
        Ok((token, urn))
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_seeds_are_base64() {
        let mut reader = ParamReader::parse(
            "check",
            Some(r#"{"randomSeed": "AQID", "other": "", "bad": "%%"}"#),
        )
        .unwrap();
        assert_eq!(
            reader.optional_base64_bytes("randomSeed").unwrap(),
            Some(vec![1, 2, 3])
        );
        assert_eq!(reader.optional_base64_bytes("other").unwrap(), None);
        assert_eq!(
            reader.optional_base64_bytes("bad").unwrap_err().to_string(),
            "bad in the params of check must be base64 (as proto3 JSON sends bytes)"
        );
    }

    #[test]
    fn messages_name_the_field_but_never_quote_a_value() {
        let mut reader =
            ParamReader::parse("check", Some(r#"{"news": "hunter2hunter2", "type": 7}"#)).unwrap();
        let error = reader.property_map("news").unwrap_err();
        assert_eq!(
            error.to_string(),
            "news in the params of check must be an object of property values, not a string"
        );
        let error = reader.resource_type().unwrap_err();
        assert!(!error.to_string().contains('7'), "{error}");
    }

    #[test]
    fn positional_params_are_refused() {
        let error = ParamReader::parse("diff", Some("[1, 2]")).err().unwrap();
        assert_eq!(
            error.to_string(),
            "params of diff must be an object with named fields, not an array"
        );
    }
}
