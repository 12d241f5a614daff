//! A policy's `accessControlRules`: JSON text, `{"NetworkRules":["<rule name>", ...]}`, which
//! names the network rules whose addresses may use the policy.
//!
//! It is compared as JSON, never as text: `check` rewrites it in one canonical form (compact,
//! with the rule names sorted, since they form a set), and so do `read` and `create` with what KMS
//! returns. Whitespace, the order of the rule names and a service that formats the text its own
//! way therefore never make a difference. Anything KMS would not keep (another key, a missing
//! `NetworkRules`) is refused at `check`, because a value KMS drops would show as a change on
//! every refresh.

use std::collections::BTreeMap;

use serde_json::Value;

/// The key of the one member KMS keeps.
pub const NETWORK_RULES_KEY: &str = "NetworkRules";

/// At most this many network rules in one policy (documented for Resource Orchestration Service:
/// "up to 40", docs/kms-api.md §3.3).
pub const MAX_NETWORK_RULES: usize = 40;

/// The canonical text of a set of rule names: compact, sorted.
pub fn canonical(names: &[String]) -> String {
    let mut sorted: Vec<&String> = names.iter().collect();
    sorted.sort();
    let mut object = BTreeMap::new();
    object.insert(NETWORK_RULES_KEY, sorted);
    serde_json::to_string(&object).expect("a list of strings serialises")
}

/// The rule names of the text a program wrote, or what is wrong with it (for `check`).
pub fn parse(text: &str) -> Result<Vec<String>, String> {
    let example = r#"{"NetworkRules":["rule-name"]}"#;
    let value: Value = serde_json::from_str(text)
        .map_err(|_| format!("accessControlRules is not valid JSON; write it like {example}"))?;
    // A JSON reader keeps one of two equal keys (serde_json the last, others the first): which
    // rules KMS would keep is anyone's guess. Two keys need two colons, so most texts need no
    // second reading.
    let colons = text.bytes().filter(|byte| *byte == b':').count();
    if colons < 2 {
        return names_of(value, example);
    }
    if let Err(error) = serde_json::from_str::<NoRepeatedKeys>(text) {
        return Err(format!(
            "accessControlRules {error}; a JSON object holds each key once (which one KMS would keep is \
             anyone's guess): write {NETWORK_RULES_KEY} once, like {example}"
        ));
    }
    names_of(value, example)
}

/// The rule names of a parsed `accessControlRules`, or what is wrong with it.
fn names_of(value: Value, example: &str) -> Result<Vec<String>, String> {
    let Value::Object(mut object) = value else {
        return Err(format!(
            "accessControlRules must be a JSON object like {example}"
        ));
    };
    let rules = object.remove(NETWORK_RULES_KEY).ok_or_else(|| {
        format!("accessControlRules needs {NETWORK_RULES_KEY} (an empty list if no rule applies), like {example}")
    })?;
    if let Some(other) = object.keys().next() {
        return Err(format!(
            "accessControlRules has a member {other:?} that KMS does not keep; only {NETWORK_RULES_KEY} is allowed"
        ));
    }
    let Value::Array(items) = rules else {
        return Err(format!(
            "{NETWORK_RULES_KEY} in accessControlRules must be a list of network rule names, like {example}"
        ));
    };
    if items.len() > MAX_NETWORK_RULES {
        return Err(format!(
            "accessControlRules names {} network rules; a policy takes at most {MAX_NETWORK_RULES}",
            items.len()
        ));
    }
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::String(name) if !name.trim().is_empty() => {
                if names.contains(&name) {
                    return Err(format!(
                        "accessControlRules names the network rule {name:?} twice; name each rule once"
                    ));
                }
                names.push(name);
            }
            _ => {
                return Err(format!(
                    "every entry of {NETWORK_RULES_KEY} in accessControlRules must be a network rule name (a \
                     non-empty string)"
                ))
            }
        }
    }
    Ok(names)
}

/// The rule names in the text KMS holds, read leniently (any count, repeats kept): what the
/// policy names, whether or not `check` would accept it. None when it is not the documented
/// object.
pub fn names_in(text: &str) -> Vec<String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => match object.get(NETWORK_RULES_KEY) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The canonical form of the text KMS holds. Empty text means no rule; text that is not the
/// documented object is kept as it is, so that nothing the service says is hidden.
pub fn canonical_from_service(text: &str) -> String {
    if text.trim().is_empty() {
        return canonical(&[]);
    }
    /// The documented object exactly (one `NetworkRules` list of strings), read without a
    /// `Value`: what KMS and `check` write. Anything else is read as a `Value` below.
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Documented {
        #[serde(rename = "NetworkRules")]
        network_rules: Vec<String>,
    }
    if let Ok(documented) = serde_json::from_str::<Documented>(text) {
        return canonical(&documented.network_rules);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) if object.len() <= 1 => match object.get(NETWORK_RULES_KEY) {
            None if object.is_empty() => canonical(&[]),
            Some(Value::Array(items)) => {
                let names: Option<Vec<String>> = items
                    .iter()
                    .map(|item| item.as_str().map(str::to_owned))
                    .collect();
                names.map_or_else(|| text.to_owned(), |names| canonical(&names))
            }
            _ => text.to_owned(),
        },
        _ => text.to_owned(),
    }
}

/// Any JSON value, read only to find an object that names a key twice (the error says which).
struct NoRepeatedKeys;

impl<'de> serde::Deserialize<'de> for NoRepeatedKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NoRepeatedKeysVisitor)
    }
}

struct NoRepeatedKeysVisitor;

impl<'de> serde::de::Visitor<'de> for NoRepeatedKeysVisitor {
    type Value = NoRepeatedKeys;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<NoRepeatedKeys, E> {
        Ok(NoRepeatedKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<NoRepeatedKeys, E> {
        Ok(NoRepeatedKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<NoRepeatedKeys, E> {
        Ok(NoRepeatedKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<NoRepeatedKeys, E> {
        Ok(NoRepeatedKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<NoRepeatedKeys, E> {
        Ok(NoRepeatedKeys)
    }
    fn visit_unit<E>(self) -> Result<NoRepeatedKeys, E> {
        Ok(NoRepeatedKeys)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut items: A,
    ) -> Result<NoRepeatedKeys, A::Error> {
        while items.next_element::<NoRepeatedKeys>()?.is_some() {}
        Ok(NoRepeatedKeys)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut entries: A,
    ) -> Result<NoRepeatedKeys, A::Error> {
        let mut seen = std::collections::BTreeSet::new();
        while let Some(key) = entries.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "has the key {key:?} twice"
                )));
            }
            entries.next_value::<NoRepeatedKeys>()?;
        }
        Ok(NoRepeatedKeys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_and_order_make_no_difference() {
        let pretty = "{\n  \"NetworkRules\" : [ \"b\",\n \"a\" ]\n}";
        let names = parse(pretty).unwrap();
        assert_eq!(canonical(&names), r#"{"NetworkRules":["a","b"]}"#);
        assert_eq!(canonical(&[]), r#"{"NetworkRules":[]}"#);
        assert_eq!(
            canonical_from_service(pretty),
            r#"{"NetworkRules":["a","b"]}"#
        );
        assert_eq!(canonical_from_service(""), r#"{"NetworkRules":[]}"#);
        assert_eq!(canonical_from_service("{}"), r#"{"NetworkRules":[]}"#);
        assert_eq!(canonical_from_service("not json"), "not json");
        // What is not exactly the documented object is read as a JSON reader reads it.
        assert_eq!(
            canonical_from_service(r#"{"NetworkRules":["b","a"],"NetworkRules":["c"]}"#),
            r#"{"NetworkRules":["c"]}"#
        );
        let other_member = r#"{"NetworkRules":["a"],"Other":1}"#;
        assert_eq!(canonical_from_service(other_member), other_member);
        assert_eq!(
            canonical_from_service(r#"{"NetworkRules":[1]}"#),
            r#"{"NetworkRules":[1]}"#
        );
    }

    #[test]
    fn anything_kms_would_not_keep_is_refused() {
        for (text, fragment) in [
            ("", "not valid JSON"),
            ("[\"a\"]", "must be a JSON object"),
            ("{}", "needs NetworkRules"),
            (r#"{"NetworkRules":["a"],"Other":1}"#, "member \"Other\""),
            (r#"{"NetworkRules":"a"}"#, "must be a list"),
            (r#"{"NetworkRules":["a","a"]}"#, "twice"),
            (
                r#"{"NetworkRules":["a"],"NetworkRules":["b"]}"#,
                "has the key \"NetworkRules\" twice",
            ),
            (r#"{"NetworkRules":[" "]}"#, "non-empty string"),
            (r#"{"NetworkRules":[1]}"#, "non-empty string"),
        ] {
            let error = parse(text).unwrap_err();
            assert!(error.contains(fragment), "{text}: {error}");
        }
        let many: Vec<String> = (0..=MAX_NETWORK_RULES)
            .map(|n| format!("\"r{n}\""))
            .collect();
        let error = parse(&format!("{{\"NetworkRules\":[{}]}}", many.join(","))).unwrap_err();
        assert!(error.contains("at most 40"), "{error}");
    }
}
