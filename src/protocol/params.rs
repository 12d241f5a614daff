//! Decoding a method's params: the one typed place where wire JSON becomes request fields.
//!
//! The params text is read once, straight into the fields' values: property bags (`news`, ...)
//! into property values, the other (small) params into JSON values that the typed readers below
//! take field by field. Fields are read by hand rather than through a derived `Deserialize`, for
//! two reasons: every problem gets a message that names the field and says what it must be, and
//! no message ever quotes a value (serde's messages do, and a misplaced password would end up in
//! an error).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::provider::limits::{cannot_breach, oversized_check_outcome, refuse_oversized_bag};
use crate::provider::CheckOutcome;
use crate::provider::{request_fields, ProviderError};
use crate::resources::property::SERDE_JSON_MARKER;
use crate::resources::{PropertyMap, PropertyValue, WireDecoder};

/// A param that is missing or has the wrong shape. Becomes `-32602 invalid params`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParamsError(String);

impl From<ParamsError> for ProviderError {
    fn from(error: ParamsError) -> ProviderError {
        ProviderError::invalid_params(error.0)
    }
}

/// The params that hold property bags: their values are decoded straight from the text into
/// property values (`resources::WireDecoder`); the other params are small and read as JSON.
const PROPERTY_BAGS: [&str; 6] = ["news", "olds", "properties", "inputs", "args", "oldInputs"];

/// The names of the params most requests carry, kept as they are rather than copied.
const COMMON_PARAMS: [&str; 10] = [
    "news",
    "olds",
    "properties",
    "inputs",
    "args",
    "oldInputs",
    "urn",
    "id",
    "type",
    "name",
];

/// A param's name: one of [`COMMON_PARAMS`], or a copy of the text.
struct ParamName(Cow<'static, str>);

impl<'de> serde::Deserialize<'de> for ParamName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ParamName, D::Error> {
        deserializer.deserialize_str(ParamNameVisitor)
    }
}

struct ParamNameVisitor;

impl Visitor<'_> for ParamNameVisitor {
    type Value = ParamName;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a param name")
    }

    fn visit_str<E>(self, name: &str) -> Result<ParamName, E> {
        Ok(ParamName(
            match COMMON_PARAMS.iter().find(|common| **common == name) {
                Some(common) => Cow::Borrowed(common),
                None => Cow::Owned(name.to_owned()),
            },
        ))
    }
}

/// One param as read from the text.
enum Param {
    Json(Value),
    /// A param named as a property bag, decoded as property values (a bag is an `Object`).
    Property(PropertyValue),
}

/// The params of one request, consumed field by field.
pub struct ParamReader {
    method: &'static str,
    /// Whether the text is too small for any bag to break a size limit (`limits::cannot_breach`):
    /// then the bags are not walked.
    within_limits: bool,
    /// In the order sent; a name sent twice keeps its last value, as a JSON object reader does.
    fields: Vec<(Cow<'static, str>, Param)>,
}

impl ParamReader {
    /// Reads params text (absent params count as `{}`) in one pass, straight into the fields'
    /// values. By-position params are not supported: the methods mirror protobuf messages, whose
    /// fields have names.
    pub fn parse(method: &'static str, params: Option<&str>) -> Result<ParamReader, ParamsError> {
        let Some(text) = params else {
            return Ok(ParamReader {
                method,
                within_limits: true,
                fields: Vec::new(),
            });
        };
        let mut unusual = false;
        let mut reader = serde_json::Deserializer::from_str(text);
        let shape = (&mut reader)
            .deserialize_any(ParamsVisitor {
                unusual: &mut unusual,
            })
            // Only whitespace may follow, as `serde_json::from_str` requires.
            .and_then(|shape| reader.end().map(|()| shape));
        let fields = match shape {
            Ok(Ok(fields)) if !unusual => fields,
            // Special values (output values, references, odd secrets) go through the JSON tree
            // and `PropertyValue::from_wire`, which reads every kind of them.
            Ok(Ok(_)) => Self::parse_json(method, text)?,
            Ok(Err(Shape::Null)) => Vec::new(),
            Ok(Err(Shape::Other(kind))) => return Err(not_an_object(method, kind)),
            Err(_) => return Err(not_valid_json(method)),
        };
        Ok(ParamReader {
            method,
            within_limits: cannot_breach(text),
            fields,
        })
    }

    /// Reads params text through a JSON tree: for params with special values.
    fn parse_json(
        method: &'static str,
        text: &str,
    ) -> Result<Vec<(Cow<'static, str>, Param)>, ParamsError> {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(fields)) => Ok(fields
                .into_iter()
                .map(|(name, value)| (Cow::Owned(name), Param::Json(value)))
                .collect()),
            Ok(Value::Null) => Ok(Vec::new()),
            Ok(other) => Err(not_an_object(method, json_type(&other))),
            Err(_) => Err(not_valid_json(method)),
        }
    }

    fn take_param(&mut self, name: &str) -> Option<Param> {
        let at = self.fields.iter().position(|(field, _)| field == name)?;
        match self.fields.swap_remove(at).1 {
            Param::Json(Value::Null) | Param::Property(PropertyValue::Null) => None,
            param => Some(param),
        }
    }

    fn get_param(&self, name: &str) -> Option<&Param> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, param)| param)
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        match self.take_param(name)? {
            Param::Json(value) => Some(value),
            Param::Property(value) => Some(value.to_wire()),
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
        if self.within_limits {
            return None;
        }
        match self.get_param(name)? {
            Param::Property(PropertyValue::Object(members)) => {
                oversized_check_outcome(name, members)
            }
            Param::Json(Value::Object(fields)) => oversized_check_outcome(name, fields),
            _ => None,
        }
    }

    /// An object of property values (`news`, `olds`, `properties`, ...), if present. A bag that
    /// breaks the size limits is refused before its values are used.
    pub fn property_map(&mut self, name: &str) -> Result<Option<PropertyMap>, ProviderError> {
        match self.get_param(name).filter(|_| !self.within_limits) {
            Some(Param::Property(PropertyValue::Object(members))) => {
                refuse_oversized_bag(self.method, name, members)?
            }
            Some(Param::Json(Value::Object(fields))) => {
                refuse_oversized_bag(self.method, name, fields)?
            }
            _ => {}
        }
        let expected = "an object of property values";
        match self.take_param(name) {
            None => Ok(None),
            Some(Param::Property(PropertyValue::Object(members))) => Ok(Some(members)),
            Some(Param::Json(Value::Object(fields))) => Ok(Some(
                fields
                    .into_iter()
                    .map(|(key, value)| (key, PropertyValue::from_wire(value)))
                    .collect(),
            )),
            Some(Param::Property(other)) => {
                Err(self.wrong_type(name, expected, &other.to_wire()).into())
            }
            Some(Param::Json(other)) => Err(self.wrong_type(name, expected, &other).into()),
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

fn not_an_object(method: &str, kind: &str) -> ParamsError {
    ParamsError(format!(
        "params of {method} must be an object with named fields, not {kind}"
    ))
}

fn not_valid_json(method: &str) -> ParamsError {
    ParamsError(format!("params of {method} are not valid JSON"))
}

/// What the params text is when it is not an object.
enum Shape {
    Null,
    Other(&'static str),
}

/// Reads the params object member by member: a property bag's value through
/// `resources::WireDecoder`, any other as JSON.
struct ParamsVisitor<'a> {
    unusual: &'a mut bool,
}

impl<'de> Visitor<'de> for ParamsVisitor<'_> {
    type Value = Result<Vec<(Cow<'static, str>, Param)>, Shape>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("params")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut fields: Vec<(Cow<'static, str>, Param)> = Vec::with_capacity(6);
        while let Some(ParamName(name)) = access.next_key::<ParamName>()? {
            // serde_json's `Value` reads these keys as its own markers (raw values, numbers).
            if name.starts_with(SERDE_JSON_MARKER) {
                *self.unusual = true;
            }
            let param = if PROPERTY_BAGS.contains(&name.as_ref()) {
                Param::Property(access.next_value_seed(WireDecoder::bag(&mut *self.unusual))?)
            } else {
                Param::Json(access.next_value()?)
            };
            match fields.iter_mut().find(|(field, _)| *field == name) {
                Some((_, earlier)) => *earlier = param,
                None => fields.push((name, param)),
            }
        }
        Ok(Ok(fields))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Err(Shape::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        while access.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Err(Shape::Other("an array")))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Err(Shape::Other("a boolean")))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Err(Shape::Other("a number")))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Err(Shape::Other("a number")))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err(Shape::Other("a number")))
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Err(Shape::Other("a string")))
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

    /// The same params read in one pass and through a JSON tree (what `parse` does for special
    /// values): every bag, its size-limit verdict and every error must be the same.
    fn assert_read_as_through_a_tree(text: &str) {
        assert_read_as_through_a_tree_walking(text, false);
        assert_read_as_through_a_tree_walking(text, true);
    }

    fn assert_read_as_through_a_tree_walking(text: &str, walk_every_bag: bool) {
        let through_tree = ParamReader::parse_json("check", text).map(|fields| ParamReader {
            method: "check",
            within_limits: false,
            fields,
        });
        // Read as `parse` reads it, and also with every bag walked (which `parse` skips for texts
        // too small to break a limit), so the walk of the decoded values is compared too.
        let direct = ParamReader::parse("check", Some(text)).map(|mut reader| {
            if walk_every_bag {
                reader.within_limits = false;
            }
            reader
        });
        let (mut direct, mut through_tree) = match (direct, through_tree) {
            (Ok(direct), Ok(through_tree)) => (direct, through_tree),
            (direct, through_tree) => {
                assert_eq!(
                    direct.err().map(|error| error.to_string()),
                    through_tree.err().map(|error| error.to_string()),
                    "{text}"
                );
                return;
            }
        };
        for bag in PROPERTY_BAGS {
            let outcome = |reader: &ParamReader| {
                reader
                    .oversized_check_outcome(bag)
                    .map(|outcome| outcome.failures)
            };
            assert_eq!(outcome(&direct), outcome(&through_tree), "{bag} of {text}");
            let read = |reader: &mut ParamReader| {
                reader.property_map(bag).map_err(|error| error.to_string())
            };
            assert_eq!(
                read(&mut direct),
                read(&mut through_tree),
                "{bag} of {text}"
            );
        }
        assert_eq!(
            direct.optional_string("urn").map_err(|e| e.to_string()),
            through_tree
                .optional_string("urn")
                .map_err(|e| e.to_string()),
            "{text}"
        );
    }

    #[test]
    fn property_bags_read_in_one_pass_are_what_a_json_tree_gives() {
        use crate::resources::property::{OUTPUT_VALUE_SIGNATURE, SECRET_SIGNATURE, SIGNATURE_KEY};
        let secret =
            |value: &str| format!(r#"{{"{SIGNATURE_KEY}":"{SECRET_SIGNATURE}","value":{value}}}"#);
        let unknown = crate::resources::UnknownKind::Array.sentinel();
        let texts = [
            r#"{"urn":"u","news":{"a":1,"b":-2,"c":2.5,"d":18446744073709551615,"e":"x\n\u00e9","f":[true,null,{"g":[]}]}}"#.to_owned(),
            format!(r#"{{"news":{{"p":{},"l":[{}],"u":"{unknown}"}},"olds":{{}}}}"#, secret(r#""pw""#), secret(r#"[1,{"a":2}]"#)),
            format!(r#"{{"news":{{"p":{}}}}}"#, secret(&secret(r#""pw""#))),
            format!(r#"{{"news":{{"p":{{"{SIGNATURE_KEY}":"{SECRET_SIGNATURE}","value":"x","extra":[1,2]}}}}}}"#),
            format!(r#"{{"news":{{"p":{{"{SIGNATURE_KEY}":"{SECRET_SIGNATURE}"}}}}}}"#),
            format!(r#"{{"news":{{"p":{{"{SIGNATURE_KEY}":"{OUTPUT_VALUE_SIGNATURE}","value":"x","secret":true,"dependencies":["a"]}}}}}}"#),
            format!(r#"{{"news":{{"p":{{"{SIGNATURE_KEY}":"5cf8f73096256a8f31e491e813e4eb8e","urn":"x","value":{}}}}}}}"#, secret("1")),
            format!(r#"{{"news":{{"p":{{"{SIGNATURE_KEY}":7}}}}}}"#),
            format!(r#"{{"news":{{"p":{{"{SIGNATURE_KEY}":"{unknown}"}}}}}}"#),
            r#"{"news":{"$serde_json::private::RawValue":"{}"}}"#.to_owned(),
            r#"{"news":{"a":1,"a":[2]},"news":{"b":2},"urn":"x","urn":"y"}"#.to_owned(),
            r#"{"news":"hunter2","olds":[1,{"a":2}],"properties":7,"inputs":true,"args":null,"oldInputs":1.5}"#.to_owned(),
            r#"{"news":{"a":1e999}}"#.to_owned(),
            r#"{"news":{"a":1} x"#.to_owned(),
            "[1,2]".to_owned(),
            "null".to_owned(),
            r#""text""#.to_owned(),
            "{}".to_owned(),
        ];
        for text in &texts {
            assert_read_as_through_a_tree(text);
        }
    }

    #[test]
    fn size_limits_of_bags_read_in_one_pass_are_those_of_a_json_tree() {
        use crate::provider::limits::{MAX_ARRAY_ITEMS, MAX_DEPTH, MAX_STRING_BYTES, MAX_VALUES};
        use crate::resources::property::{SECRET_SIGNATURE, SIGNATURE_KEY};
        let secret = |value: String| {
            format!(r#"{{"{SIGNATURE_KEY}":"{SECRET_SIGNATURE}","value":{value}}}"#)
        };
        // Arrays and secrets in turn, the innermost a secret when `levels` is odd.
        let deep = |levels: usize, leaf: String| {
            (0..levels).fold(leaf, |inner, level| {
                if (levels - level).is_multiple_of(2) {
                    format!("[{inner}]")
                } else {
                    secret(inner)
                }
            })
        };
        let many = |count: usize| format!("[{}]", vec![secret("1".into()); count].join(","));
        let texts = [
            format!(r#"{{"news":{{"a":{}}}}}"#, deep(MAX_DEPTH - 1, "1".into())),
            format!(r#"{{"news":{{"a":{}}}}}"#, deep(MAX_DEPTH, "1".into())),
            format!(r#"{{"news":{{"a":{}}}}}"#, deep(MAX_DEPTH + 1, "1".into())),
            format!(r#"{{"news":{{"a":{}}}}}"#, deep(MAX_DEPTH + 2, "1".into())),
            format!(
                r#"{{"news":{{"a":[{}]}}}}"#,
                deep(MAX_DEPTH - 1, "1".into())
            ),
            format!(
                r#"{{"news":{{"a":{}}}}}"#,
                secret(format!(r#""{}""#, "s".repeat(MAX_STRING_BYTES + 1)))
            ),
            format!(r#"{{"news":{{"a":{}}}}}"#, many(MAX_ARRAY_ITEMS + 1)),
            format!(
                r#"{{"news":{{{}}}}}"#,
                (0..MAX_VALUES / (3 * MAX_ARRAY_ITEMS) + 2)
                    .map(|i| format!(r#""k{i}":{}"#, many(MAX_ARRAY_ITEMS)))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ];
        for text in &texts {
            assert_read_as_through_a_tree(text);
        }
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
