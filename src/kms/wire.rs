//! The serde codecs of the API's odd encodings, shared by the actions that carry them:
//!
//! - lists sent as JSON text inside a string (a network rule's `SourcePrivateIp`, a policy's
//!   `Permissions` and `Resources`): requests encode compact JSON (`["a","b"]`), as the Terraform
//!   provider does; replies are parsed for real, never sliced: a string holding a JSON array, a
//!   plain array (`DescribePolicy` sends those), or, for IP lists, the comma-separated form one
//!   sentence of the API reference describes (docs/kms-api.md §3.4). Absent, null or empty means
//!   an empty list;
//! - lists a reply wraps in an object (`Policies.Policy[]`), or sends flat;
//! - integers sent as JSON numbers or as decimal text.

use serde::{Deserialize, Deserializer, Serializer};

/// A list as compact JSON text.
pub(crate) fn encode_json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| unreachable!("a list of strings serialises"))
}

pub(crate) fn serialize_json_list<S: Serializer>(
    items: &[String],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&encode_json_list(items))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ListOnTheWire {
    Text(String),
    Plain(Vec<String>),
    Null(()),
}

fn decode(text: &str, commas_allowed: bool) -> Result<Vec<String>, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    if trimmed.starts_with('[') || !commas_allowed {
        return serde_json::from_str::<Vec<String>>(trimmed)
            .map_err(|_| "the list is not a JSON array of strings".to_owned());
    }
    Ok(trimmed
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect())
}

fn deserialize_list<'de, D: Deserializer<'de>>(
    deserializer: D,
    commas_allowed: bool,
) -> Result<Vec<String>, D::Error> {
    match ListOnTheWire::deserialize(deserializer).map_err(|_| {
        serde::de::Error::custom("the list is neither a string nor an array of strings")
    })? {
        ListOnTheWire::Text(text) => {
            decode(&text, commas_allowed).map_err(serde::de::Error::custom)
        }
        ListOnTheWire::Plain(items) => Ok(items),
        ListOnTheWire::Null(()) => Ok(Vec::new()),
    }
}

/// A list sent as JSON text or as an array.
pub(crate) fn deserialize_json_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    deserialize_list(deserializer, false)
}

/// A list sent as JSON text, as an array, or as comma-separated text.
pub(crate) fn deserialize_comma_or_json_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    deserialize_list(deserializer, true)
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WrappedListOnTheWire<T> {
    Flat(Vec<T>),
    Wrapped(std::collections::BTreeMap<String, Vec<T>>),
    Null(()),
}

/// A list sent flat or wrapped in an object under `wrapper_key`; absent or null is empty.
pub(crate) fn unwrap_list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
    wrapper_key: &'static str,
) -> Result<Vec<T>, D::Error> {
    match WrappedListOnTheWire::<T>::deserialize(deserializer).map_err(|_| {
        serde::de::Error::custom(format!("the list is neither an array nor an object with key `{wrapper_key}` holding valid entries"))
    })? {
        WrappedListOnTheWire::Flat(entries) => Ok(entries),
        WrappedListOnTheWire::Null(()) => Ok(Vec::new()),
        WrappedListOnTheWire::Wrapped(mut wrapper) => {
            let entries = wrapper.remove(wrapper_key).unwrap_or_default();
            if let Some(other) = wrapper.keys().next() {
                return Err(serde::de::Error::custom(format!(
                    "the list wrapper has an unexpected key `{other}` (expected `{wrapper_key}`)"
                )));
            }
            Ok(entries)
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum IntegerOnTheWire {
    Number(u32),
    Text(String),
}

/// A non-negative integer sent as a JSON number or as decimal text.
pub(crate) fn deserialize_integer<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<u32, D::Error> {
    match IntegerOnTheWire::deserialize(deserializer)
        .map_err(|_| serde::de::Error::custom("expected a non-negative integer"))?
    {
        IntegerOnTheWire::Number(number) => Ok(number),
        IntegerOnTheWire::Text(text) => text
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom("expected a non-negative integer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Reply {
        #[serde(default, deserialize_with = "deserialize_json_list")]
        json: Vec<String>,
        #[serde(default, deserialize_with = "deserialize_comma_or_json_list")]
        ips: Vec<String>,
    }

    fn reply(text: &str) -> Result<Reply, serde_json::Error> {
        serde_json::from_str(text)
    }

    #[test]
    fn lists_are_read_from_text_arrays_and_commas() {
        let parsed = reply(r#"{"json": "[\"a, b\",\"c\"]", "ips": "10.0.0.1, 10.0.0.2"}"#).unwrap();
        assert_eq!(parsed.json, ["a, b", "c"]);
        assert_eq!(parsed.ips, ["10.0.0.1", "10.0.0.2"]);
        let parsed = reply(r#"{"json": ["x"], "ips": "[\"10.0.0.1\"]"}"#).unwrap();
        assert_eq!(parsed.json, ["x"]);
        assert_eq!(parsed.ips, ["10.0.0.1"]);
        let parsed = reply(r#"{"json": null, "ips": ""}"#).unwrap();
        assert!(parsed.json.is_empty() && parsed.ips.is_empty());
        assert!(reply(r#"{"json": "a,b"}"#).is_err());
        assert!(reply(r#"{"json": 5}"#).is_err());
    }

    #[test]
    fn lists_are_encoded_as_compact_json() {
        assert_eq!(
            encode_json_list(&["a\"b".to_owned(), "c".to_owned()]),
            r#"["a\"b","c"]"#
        );
    }
}
