//! Decoding a method's params: the one typed place where wire JSON becomes request fields.
//!
//! Params are read field by field rather than through a derived `Deserialize`, for two reasons:
//! every problem gets a message that names the field and says what it must be, and no message
//! ever quotes a value (serde's messages do, and a misplaced password would end up in an error).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::provider::limits::{check_property_bag, LimitExceeded};
use crate::provider::ProviderError;
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

    /// The size limits (`provider::limits`) the property bag `name` breaks, if any; the bag stays
    /// in place. `check` reports them as failures before it reads the bag.
    pub fn limit_breaches(&self, name: &str) -> Vec<LimitExceeded> {
        match self.fields.get(name) {
            Some(Value::Object(fields)) => check_property_bag(name, fields),
            _ => Vec::new(),
        }
    }

    /// An object of property values (`news`, `olds`, `properties`, ...), if present. A bag that
    /// breaks the size limits is refused before its values are read.
    pub fn property_map(&mut self, name: &str) -> Result<Option<PropertyMap>, ParamsError> {
        if let Some(breach) = self.limit_breaches(name).into_iter().next() {
            return Err(ParamsError(format!(
                "{name} in the params of {} is too large ({}); nothing was done",
                self.method, breach.reason
            )));
        }
        match self.take(name) {
            None => Ok(None),
            Some(Value::Object(fields)) => Ok(Some(
                fields
                    .into_iter()
                    .map(|(key, value)| (key, PropertyValue::from_wire(value)))
                    .collect(),
            )),
            Some(other) => Err(self.wrong_type(name, "an object of property values", &other)),
        }
    }

    /// An object of property values that must be present.
    pub fn required_property_map(&mut self, name: &str) -> Result<PropertyMap, ParamsError> {
        self.property_map(name)?.ok_or_else(|| {
            ParamsError(format!(
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

    /// The resource id: a non-empty string.
    pub fn required_id(&mut self) -> Result<String, ParamsError> {
        match self.optional_string("id")? {
            Some(id) if !id.is_empty() => Ok(id),
            _ => Err(ParamsError(format!(
                "{} needs the resource id (a non-empty string) in the id param",
                self.method
            ))),
        }
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

    /// `timeout`, in seconds as Pulumi sends it (a double). Zero means "no timeout given", which
    /// is what Pulumi sends when the user set none; the operation then uses its default.
    pub fn optional_timeout(&mut self) -> Result<Option<Duration>, ParamsError> {
        match self.take("timeout") {
            None => Ok(None),
            Some(Value::Number(number)) => match number.as_f64() {
                Some(0.0) => Ok(None),
                Some(seconds) if seconds.is_finite() && seconds > 0.0 && seconds < 1e9 => {
                    Ok(Some(Duration::from_secs_f64(seconds)))
                }
                _ => Err(ParamsError(format!(
                    "timeout in the params of {} must be a number of seconds between 0 and 1e9",
                    self.method
                ))),
            },
            Some(other) => Err(self.wrong_type("timeout", "a number of seconds", &other)),
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

    /// The resource type token, from `type` or from `urn` (both may be given if they agree), and
    /// the URN if there is one.
    pub fn resource_type(&mut self) -> Result<(String, Option<String>), ParamsError> {
        let urn = self.optional_string("urn")?;
        let explicit = self
            .optional_string("type")?
            .filter(|token| !token.is_empty());
        let from_urn = urn.as_deref().map(resource_type_from_urn).transpose()?;
        let token = match (explicit, from_urn) {
            (Some(explicit), Some(from_urn)) if explicit != from_urn => {
                return Err(ParamsError(format!(
                    "type {explicit:?} does not match the type in the urn ({from_urn:?}); send one or make them agree"
                )))
            }
            (Some(explicit), _) => explicit,
            (None, Some(from_urn)) => from_urn.to_owned(),
            (None, None) => {
                return Err(ParamsError(format!(
                    "{} needs the resource type: send urn (urn:pulumi:stack::project::type::name) or type",
                    self.method
                )))
            }
        };
        Ok((token, urn))
    }
}

/// The resource type of a Pulumi URN: `urn:pulumi:<stack>::<project>::[<parent type>$]<type>::<name>`.
pub fn resource_type_from_urn(urn: &str) -> Result<&str, ParamsError> {
    urn_parts(urn).map(|(resource_type, _)| resource_type)
}

/// The resource name of a Pulumi URN (its last part, which may itself contain `::`).
pub fn resource_name_from_urn(urn: &str) -> Result<&str, ParamsError> {
    urn_parts(urn).map(|(_, name)| name)
}

fn urn_parts(urn: &str) -> Result<(&str, &str), ParamsError> {
    let malformed = || {
        ParamsError(
            "urn is not a Pulumi URN of the form urn:pulumi:stack::project::type::name".to_owned(),
        )
    };
    let rest = urn.strip_prefix("urn:pulumi:").ok_or_else(malformed)?;
    // The name (the last part) may itself contain "::", so split only three times.
    let mut parts = rest.splitn(4, "::");
    let (_stack, _project, qualified_type, name) = (
        parts.next(),
        parts.next(),
        parts.next().ok_or_else(malformed)?,
        parts.next().ok_or_else(malformed)?,
    );
    let resource_type = qualified_type.rsplit('$').next().unwrap_or(qualified_type);
    if resource_type.is_empty() {
        return Err(malformed());
    }
    Ok((resource_type, name))
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
    fn urns_name_their_type() {
        let table = [
            (
                "urn:pulumi:dev::proj::alicloud-kms:index:ClientKey::key",
                Ok("alicloud-kms:index:ClientKey"),
            ),
            (
                "urn:pulumi:dev::proj::pulumi:pulumi:Stack$alicloud-kms:index:ClientKey::a::b",
                Ok("alicloud-kms:index:ClientKey"),
            ),
            (
                "urn:pulumi:dev::proj::alicloud-kms:index:ClientKey",
                Err(()),
            ),
            ("urn:other:dev::proj::t::n", Err(())),
            ("", Err(())),
        ];
        for (urn, expected) in table {
            assert_eq!(
                resource_type_from_urn(urn).map_err(|_| ()),
                expected,
                "{urn}"
            );
        }
    }

    #[test]
    fn urns_name_their_resource() {
        assert_eq!(
            resource_name_from_urn(
                "urn:pulumi:dev::proj::pulumi:pulumi:Stack$alicloud-kms:index:NetworkRule::a::b"
            )
            .unwrap(),
            "a::b"
        );
        assert!(resource_name_from_urn("urn:pulumi:dev::proj::t").is_err());
    }

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

    #[test]
    fn type_and_urn_must_agree() {
        let mut reader = ParamReader::parse(
            "check",
            Some(r#"{"urn": "urn:pulumi:s::p::alicloud-kms:index:ClientKey::k", "type": "alicloud-kms:index:ApplicationAccessPoint"}"#),
        )
        .unwrap();
        assert!(reader.resource_type().is_err());
    }

    #[test]
    fn timeouts_are_seconds_and_zero_means_default() {
        let mut reader = ParamReader::parse("create", Some(r#"{"timeout": 0}"#)).unwrap();
        assert_eq!(reader.optional_timeout().unwrap(), None);
        let mut reader = ParamReader::parse("create", Some(r#"{"timeout": 1.5}"#)).unwrap();
        assert_eq!(
            reader.optional_timeout().unwrap(),
            Some(Duration::from_millis(1500))
        );
        let mut reader = ParamReader::parse("create", Some(r#"{"timeout": -1}"#)).unwrap();
        assert!(reader.optional_timeout().is_err());
    }
}
