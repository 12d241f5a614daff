//! Resource property values as Pulumi models them (plain JSON plus secrets and unknowns), and
//! their wire encoding.
//!
//! Every Pulumi-aware layer (`protocol`, `provider`, `resources`) speaks in these values, and a
//! layer may only import the layers below it, so the vocabulary lives in the lowest of them. The
//! wire encoding sits next to the type as its serde implementation: a value is decoded once, where
//! a request is parsed, and encoded once, where a reply is written.
//!
//! On the wire (Pulumi's `Struct` encoding, see `docs/protocol.md`):
//! - a secret is `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": v}`;
//! - an unknown (a value only known after the deployment, seen during preview) is one of seven
//!   sentinel strings, one per type; the string sentinel `04da6b54-...` is the one SDKs send;
//! - an output value (`d0e6a833...`) is understood on input (it becomes its value, a secret or an
//!   unknown), although `configure` tells engines not to send them;
//! - any other special object (resource reference, asset, archive) is kept verbatim.

use std::collections::BTreeMap;
use std::fmt;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Number, Value};

/// A bag of properties by name. Sorted, so that every reply is deterministic.
pub type PropertyMap = BTreeMap<String, PropertyValue>;

/// The key that marks a JSON object as one of Pulumi's special values.
pub const SIGNATURE_KEY: &str = "4dabf18193072939515e22adb298388d";
/// The signature value of a secret.
pub const SECRET_SIGNATURE: &str = "1b47061264138c4ac30d75fd1eb44270";
/// The signature value of an output value (a value with its secret and known flags).
pub const OUTPUT_VALUE_SIGNATURE: &str = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

/// Which of Pulumi's typed unknown sentinels a value carried, so it is sent back unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnknownKind {
    String,
    Bool,
    Number,
    Array,
    Object,
    Asset,
    Archive,
}

impl UnknownKind {
    pub const ALL: [UnknownKind; 7] = [
        UnknownKind::String,
        UnknownKind::Bool,
        UnknownKind::Number,
        UnknownKind::Array,
        UnknownKind::Object,
        UnknownKind::Asset,
        UnknownKind::Archive,
    ];

    /// The sentinel string that stands for an unknown value of this kind on the wire.
    pub const fn sentinel(self) -> &'static str {
        match self {
            UnknownKind::String => "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
            UnknownKind::Bool => "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
            UnknownKind::Number => "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
            UnknownKind::Array => "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
            UnknownKind::Object => "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
            UnknownKind::Asset => "030794c1-ac77-496b-92df-f27374a8bd58",
            UnknownKind::Archive => "e48ece36-62e2-4504-bad9-02848725956a",
        }
    }

    pub fn from_sentinel(text: &str) -> Option<UnknownKind> {
        // All sentinels are 36 characters long; the length test keeps the common case cheap.
        if text.len() != 36 {
            return None;
        }
        UnknownKind::ALL
            .into_iter()
            .find(|kind| kind.sentinel() == text)
    }
}

/// One property value.
#[derive(Clone, PartialEq)]
pub enum PropertyValue {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<PropertyValue>),
    Object(PropertyMap),
    /// A value the engine (or the schema) marks as secret. Never nested: wrapping a secret again
    /// yields the same secret.
    Secret(Box<PropertyValue>),
    /// A value that is not known yet (preview).
    Unknown(UnknownKind),
    /// Another special value (resource reference, asset, archive, byte string), kept verbatim.
    Special(Map<String, Value>),
}

impl PropertyValue {
    /// Decodes a value from its wire form.
    pub fn from_wire(value: Value) -> PropertyValue {
        match value {
            Value::Null => PropertyValue::Null,
            Value::Bool(flag) => PropertyValue::Bool(flag),
            Value::Number(number) => PropertyValue::Number(number),
            Value::String(text) => match UnknownKind::from_sentinel(&text) {
                Some(kind) => PropertyValue::Unknown(kind),
                None => PropertyValue::String(text),
            },
            Value::Array(items) => {
                PropertyValue::Array(items.into_iter().map(PropertyValue::from_wire).collect())
            }
            Value::Object(object) => decode_object(object),
        }
    }

    /// The wire form of this value (the same JSON its `Serialize` implementation writes).
    pub fn to_wire(&self) -> Value {
        match self {
            PropertyValue::Null => Value::Null,
            PropertyValue::Bool(flag) => Value::Bool(*flag),
            PropertyValue::Number(number) => Value::Number(number.clone()),
            PropertyValue::String(text) => Value::String(text.clone()),
            PropertyValue::Array(items) => Value::Array(items.iter().map(Self::to_wire).collect()),
            PropertyValue::Object(map) => Value::Object(
                map.iter()
                    .map(|(name, value)| (name.clone(), value.to_wire()))
                    .collect(),
            ),
            PropertyValue::Secret(inner) => {
                let mut object = Map::new();
                object.insert(
                    SIGNATURE_KEY.to_owned(),
                    Value::String(SECRET_SIGNATURE.to_owned()),
                );
                object.insert("value".to_owned(), inner.to_wire());
                Value::Object(object)
            }
            PropertyValue::Unknown(kind) => Value::String(kind.sentinel().to_owned()),
            PropertyValue::Special(object) => Value::Object(object.clone()),
        }
    }

    /// Wraps the value as a secret (a secret stays a single secret).
    pub fn into_secret(self) -> PropertyValue {
        match self {
            PropertyValue::Secret(_) => self,
            other => PropertyValue::Secret(Box::new(other)),
        }
    }

    /// The value inside a secret, or the value itself.
    pub fn unwrap_secret(&self) -> &PropertyValue {
        match self {
            PropertyValue::Secret(inner) => inner,
            other => other,
        }
    }

    pub fn is_secret(&self) -> bool {
        matches!(self, PropertyValue::Secret(_))
    }

    /// True for an unknown value, secret or not.
    pub fn is_unknown(&self) -> bool {
        matches!(self.unwrap_secret(), PropertyValue::Unknown(_))
    }

    /// True for null, secret or not: a null property is the same as an absent one.
    pub fn is_null(&self) -> bool {
        matches!(self.unwrap_secret(), PropertyValue::Null)
    }

    /// True if the value, or anything inside it, is unknown.
    pub fn contains_unknown(&self) -> bool {
        match self.unwrap_secret() {
            PropertyValue::Unknown(_) => true,
            PropertyValue::Array(items) => items.iter().any(Self::contains_unknown),
            PropertyValue::Object(map) => map.values().any(Self::contains_unknown),
            _ => false,
        }
    }

    /// The text of a known string, looking through a secret.
    pub fn as_str(&self) -> Option<&str> {
        match self.unwrap_secret() {
            PropertyValue::String(text) => Some(text),
            _ => None,
        }
    }

    /// The items of a known array, looking through a secret.
    pub fn as_array(&self) -> Option<&[PropertyValue]> {
        match self.unwrap_secret() {
            PropertyValue::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Replaces a known string, keeping the secret wrapper if there was one.
    pub fn with_string(&self, text: String) -> PropertyValue {
        match self {
            PropertyValue::Secret(_) => PropertyValue::String(text).into_secret(),
            _ => PropertyValue::String(text),
        }
    }

    /// A short description of the value's type, for messages ("a string", "an array", ...).
    /// It never includes the value itself.
    pub fn type_description(&self) -> &'static str {
        match self.unwrap_secret() {
            PropertyValue::Null => "null",
            PropertyValue::Bool(_) => "a boolean",
            PropertyValue::Number(_) => "a number",
            PropertyValue::String(_) => "a string",
            PropertyValue::Array(_) => "an array",
            PropertyValue::Object(_) => "an object",
            PropertyValue::Secret(_) => "a secret",
            PropertyValue::Unknown(_) => "an unknown value",
            PropertyValue::Special(_) => "a resource reference, asset or archive",
        }
    }
}

/// Decodes an object that may be one of Pulumi's special values.
fn decode_object(mut object: Map<String, Value>) -> PropertyValue {
    let signature = match object.get(SIGNATURE_KEY) {
        None => {
            return PropertyValue::Object(
                object
                    .into_iter()
                    .map(|(name, value)| (name, PropertyValue::from_wire(value)))
                    .collect(),
            )
        }
        Some(Value::String(signature)) => signature.as_str(),
        Some(_) => return PropertyValue::Special(object),
    };
    match signature {
        SECRET_SIGNATURE => {
            let inner = object.remove("value").unwrap_or(Value::Null);
            PropertyValue::from_wire(inner).into_secret()
        }
        OUTPUT_VALUE_SIGNATURE => {
            let is_secret = matches!(object.get("secret"), Some(Value::Bool(true)));
            // An output value without a `value` is an unknown whose type is not said.
            let inner = match object.remove("value") {
                Some(value) => PropertyValue::from_wire(value),
                None => PropertyValue::Unknown(UnknownKind::String),
            };
            if is_secret {
                inner.into_secret()
            } else {
                inner
            }
        }
        _ => PropertyValue::Special(object),
    }
}

impl Serialize for PropertyValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            PropertyValue::Null => serializer.serialize_unit(),
            PropertyValue::Bool(flag) => serializer.serialize_bool(*flag),
            PropertyValue::Number(number) => number.serialize(serializer),
            PropertyValue::String(text) => serializer.serialize_str(text),
            PropertyValue::Array(items) => {
                let mut sequence = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    sequence.serialize_element(item)?;
                }
                sequence.end()
            }
            PropertyValue::Object(map) => map.serialize(serializer),
            PropertyValue::Secret(inner) => {
                let mut object = serializer.serialize_map(Some(2))?;
                object.serialize_entry(SIGNATURE_KEY, SECRET_SIGNATURE)?;
                object.serialize_entry("value", inner)?;
                object.end()
            }
            PropertyValue::Unknown(kind) => serializer.serialize_str(kind.sentinel()),
            PropertyValue::Special(object) => object.serialize(serializer),
        }
    }
}

/// How the keys start that serde_json's `Value` reads as its own markers (raw values, numbers)
/// rather than as members.
pub const SERDE_JSON_MARKER: &str = "$serde_json::private::";

/// Decodes property values straight from JSON text, with no `serde_json::Value` in between: the
/// same values [`PropertyValue::from_wire`] makes, for every value that is plain JSON or a plain
/// secret (`{signature, value}`, no other member, not wrapping another secret). Anything else with
/// the signature key (an output value, a resource reference, an odd secret), and the keys serde_json
/// reserves for itself, set `unusual`: the caller then decodes the text through `from_wire`, which
/// knows them all, so this decoder needs only the common case.
///
/// A value decoded here is also the same shape the wire had, member for member (a secret is its
/// two members, an unknown its sentinel string), which the size limits rely on.
pub struct WireDecoder<'a> {
    unusual: &'a mut bool,
    /// A property bag (`news`, ...): an object is its members, never a special value.
    bag: bool,
}

impl WireDecoder<'_> {
    /// The decoder of one property value.
    pub fn value(unusual: &mut bool) -> WireDecoder<'_> {
        WireDecoder {
            unusual,
            bag: false,
        }
    }

    /// The decoder of a property bag: an object of property values (anything else is decoded as
    /// a value, so that a message can name its type).
    pub fn bag(unusual: &mut bool) -> WireDecoder<'_> {
        WireDecoder { unusual, bag: true }
    }

    fn nested(&mut self) -> WireDecoder<'_> {
        WireDecoder::value(&mut *self.unusual)
    }

    /// Decodes the members of an object (`visit_map`'s part), without looking for a signature.
    fn members<'de, A: serde::de::MapAccess<'de>>(
        mut self,
        mut access: A,
    ) -> Result<PropertyMap, A::Error> {
        let mut members = PropertyMap::new();
        while let Some(key) = access.next_key::<String>()? {
            if key.starts_with(SERDE_JSON_MARKER) {
                *self.unusual = true;
            }
            let value = access.next_value_seed(self.nested())?;
            members.insert(key, value);
        }
        Ok(members)
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for WireDecoder<'_> {
    type Value = PropertyValue;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<PropertyValue, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for WireDecoder<'_> {
    type Value = PropertyValue;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a property value")
    }

    fn visit_unit<E>(self) -> Result<PropertyValue, E> {
        Ok(PropertyValue::Null)
    }

    fn visit_bool<E>(self, flag: bool) -> Result<PropertyValue, E> {
        Ok(PropertyValue::Bool(flag))
    }

    fn visit_i64<E>(self, number: i64) -> Result<PropertyValue, E> {
        Ok(PropertyValue::Number(number.into()))
    }

    fn visit_u64<E>(self, number: u64) -> Result<PropertyValue, E> {
        Ok(PropertyValue::Number(number.into()))
    }

    fn visit_f64<E>(self, number: f64) -> Result<PropertyValue, E> {
        // As serde_json's `Value` reads it.
        Ok(Number::from_f64(number).map_or(PropertyValue::Null, PropertyValue::Number))
    }

    fn visit_str<E>(self, text: &str) -> Result<PropertyValue, E> {
        Ok(match UnknownKind::from_sentinel(text) {
            Some(kind) => PropertyValue::Unknown(kind),
            None => PropertyValue::String(text.to_owned()),
        })
    }

    fn visit_string<E>(self, text: String) -> Result<PropertyValue, E> {
        Ok(match UnknownKind::from_sentinel(&text) {
            Some(kind) => PropertyValue::Unknown(kind),
            None => PropertyValue::String(text),
        })
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        mut self,
        mut access: A,
    ) -> Result<PropertyValue, A::Error> {
        let mut items = Vec::with_capacity(access.size_hint().unwrap_or(0));
        while let Some(item) = access.next_element_seed(self.nested())? {
            items.push(item);
        }
        Ok(PropertyValue::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        mut self,
        access: A,
    ) -> Result<PropertyValue, A::Error> {
        let mut members = self.nested().members(access)?;
        if self.bag || !members.contains_key(SIGNATURE_KEY) {
            return Ok(PropertyValue::Object(members));
        }
        let plain_secret = members.len() == 2
            && matches!(members.get(SIGNATURE_KEY), Some(PropertyValue::String(signature)) if signature == SECRET_SIGNATURE)
            && matches!(members.get("value"), Some(inner) if !inner.is_secret());
        match members.remove("value") {
            Some(inner) if plain_secret => Ok(PropertyValue::Secret(Box::new(inner))),
            _ => {
                *self.unusual = true;
                Ok(PropertyValue::Null)
            }
        }
    }
}

impl<'de> Deserialize<'de> for PropertyValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(PropertyValue::from_wire)
    }
}

/// Debug never prints a string's text: a plain (unwrapped) string may be a password that the
/// engine sent without the secret marker, and `Debug` output ends up in logs and panic messages.
impl fmt::Debug for PropertyValue {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PropertyValue::Null => formatter.write_str("Null"),
            PropertyValue::Bool(flag) => write!(formatter, "Bool({flag})"),
            PropertyValue::Number(number) => write!(formatter, "Number({number})"),
            PropertyValue::String(text) => write!(formatter, "String(<{} bytes>)", text.len()),
            PropertyValue::Array(items) => formatter.debug_list().entries(items).finish(),
            PropertyValue::Object(map) => formatter.debug_map().entries(map).finish(),
            PropertyValue::Secret(_) => formatter.write_str("Secret(<redacted>)"),
            PropertyValue::Unknown(kind) => write!(formatter, "Unknown({kind:?})"),
            PropertyValue::Special(_) => formatter.write_str("Special(..)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(wire: Value) -> Value {
        let decoded: PropertyValue = serde_json::from_value(wire).unwrap();
        serde_json::to_value(&decoded).unwrap()
    }

    #[test]
    fn plain_values_round_trip_unchanged() {
        let wire = json!({"a": [1, 2.5, "x", true, null, {"b": "c"}]});
        assert_eq!(round_trip(wire.clone()), wire);
    }

    #[test]
    fn secrets_decode_and_encode_with_the_signature() {
        let wire = json!({SIGNATURE_KEY: SECRET_SIGNATURE, "value": "hunter2hunter2"});
        let decoded = PropertyValue::from_wire(wire.clone());
        assert!(decoded.is_secret());
        assert_eq!(decoded.as_str(), Some("hunter2hunter2"));
        assert_eq!(serde_json::to_value(&decoded).unwrap(), wire);
        assert_eq!(decoded.to_wire(), wire);
    }

    #[test]
    fn a_secret_inside_a_secret_is_one_secret() {
        let inner = json!({SIGNATURE_KEY: SECRET_SIGNATURE, "value": "x"});
        let wire = json!({SIGNATURE_KEY: SECRET_SIGNATURE, "value": inner});
        assert_eq!(round_trip(wire), inner);
    }

    #[test]
    fn every_typed_unknown_sentinel_is_kept_as_sent() {
        for kind in UnknownKind::ALL {
            let wire = json!(kind.sentinel());
            let decoded = PropertyValue::from_wire(wire.clone());
            assert_eq!(decoded, PropertyValue::Unknown(kind));
            assert!(decoded.is_unknown());
            assert_eq!(round_trip(wire.clone()), wire);
        }
    }

    #[test]
    fn output_values_become_their_value_secret_or_unknown() {
        let known = json!({SIGNATURE_KEY: OUTPUT_VALUE_SIGNATURE, "value": "a"});
        assert_eq!(
            PropertyValue::from_wire(known),
            PropertyValue::String("a".into())
        );
        let secret = json!({SIGNATURE_KEY: OUTPUT_VALUE_SIGNATURE, "value": "a", "secret": true});
        assert_eq!(
            PropertyValue::from_wire(secret),
            PropertyValue::String("a".into()).into_secret()
        );
        let unknown = json!({SIGNATURE_KEY: OUTPUT_VALUE_SIGNATURE, "dependencies": []});
        assert!(PropertyValue::from_wire(unknown).is_unknown());
    }

    #[test]
    fn other_special_values_are_kept_verbatim() {
        let reference = json!({SIGNATURE_KEY: "5cf8f73096256a8f31e491e813e4eb8e", "urn": "urn:x"});
        assert_eq!(round_trip(reference.clone()), reference);
        let odd_signature = json!({SIGNATURE_KEY: 7, "value": "x"});
        assert_eq!(round_trip(odd_signature.clone()), odd_signature);
    }

    #[test]
    fn debug_never_prints_string_text() {
        let value =
            PropertyValue::from_wire(json!({"password": "hunter2hunter2", "list": ["abc"]}));
        let printed = format!("{value:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(!printed.contains("abc"), "{printed}");
        let secret = PropertyValue::String("hunter2hunter2".into()).into_secret();
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
    }

    #[test]
    fn with_string_keeps_the_secret_wrapper() {
        let secret = PropertyValue::String("a".into()).into_secret();
        assert!(secret.with_string("b".into()).is_secret());
        assert!(!PropertyValue::String("a".into())
            .with_string("b".into())
            .is_secret());
    }
}
