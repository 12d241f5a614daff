//! Limits on the size of the property values a request may carry, checked on the JSON before any
//! other work on it, so that one pathological request (a million policies, a property bag with
//! hundreds of thousands of names) costs a walk over its values and not seconds of validation,
//! suggestions and an echo of megabytes, while the other requests wait.
//!
//! The limits are far above anything a resource of this provider needs (an AAP has at most three
//! policies; names, paths and descriptions are short), and apply to every property bag a method
//! reads (`news`, `olds`, `properties`, `inputs`, `args`, ...). `check` and `checkConfig` report a
//! breach as a failure (data, like every other check problem); the other methods answer `-32602`.

use serde_json::{Map, Value};

use super::check::CheckOutcome;
use super::error::ProviderError;
use crate::resources::property::{SECRET_SIGNATURE, SIGNATURE_KEY};
use crate::resources::{CheckFailure, PropertyMap, PropertyValue};

/// The most properties in one object (the bag itself, or a map inside it).
pub const MAX_PROPERTIES: usize = 1_000;
/// The most items in one array.
pub const MAX_ARRAY_ITEMS: usize = 1_000;
/// The longest string (or property name), in bytes.
pub const MAX_STRING_BYTES: usize = 64 * 1024;
/// The deepest nesting of arrays and objects inside a property value.
pub const MAX_DEPTH: usize = 32;
/// The most values (of any kind, nested ones included) in one property bag.
pub const MAX_VALUES: usize = 100_000;

/// One breach: the property it is in (its top-level name, or the bag's name when the bag itself
/// is too big) and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitExceeded {
    pub property: String,
    pub reason: String,
}

/// The breaches in a property bag called `bag` (`news`, ...): at most one per property, and none
/// past the first that makes the walk stop (too many properties or values in all).
pub fn check_property_bag(bag: &str, properties: &impl PropertyBag) -> Vec<LimitExceeded> {
    if properties.member_count() > MAX_PROPERTIES {
        return vec![LimitExceeded {
            property: bag.to_owned(),
            reason: format!(
                "{bag} holds {} properties, more than the {MAX_PROPERTIES} a property bag may hold; send only the \
                 resource's properties",
                properties.member_count()
            ),
        }];
    }
    let mut walk = Walk { values: 0 };
    let mut breaches = Vec::new();
    for (name, value) in properties.members() {
        if let Err(problem) = walk.check_name(name).and_then(|()| walk.value(value, 1)) {
            let shown = shown_name(name);
            breaches.push(LimitExceeded {
                property: shown.clone(),
                reason: format!("{shown}: {problem}"),
            });
            if walk.values > MAX_VALUES {
                break;
            }
        }
    }
    breaches
}

/// Whether no property bag inside the JSON text `params` can break a limit, whatever it holds:
/// true for short texts without deep nesting (most requests), whose bags then need no walk.
///
/// Every limit but the depth needs a long text: more than [`MAX_PROPERTIES`] members take at
/// least four bytes each (`"":0,`), more than [`MAX_ARRAY_ITEMS`] items two (`0,`), a string or
/// name longer than [`MAX_STRING_BYTES`] at least as many bytes (an escape never decodes to more
/// bytes than it takes), and more than [`MAX_VALUES`] values a byte each. A value nested more than
/// [`MAX_DEPTH`] levels deep in a bag inside the params object needs `MAX_DEPTH + 3` opening
/// brackets, and the text holds at most as many as it has `{` and `[` bytes.
pub fn cannot_breach(params: &str) -> bool {
    const SHORT: usize = {
        let mut shortest = MAX_PROPERTIES * 4;
        if MAX_ARRAY_ITEMS * 2 < shortest {
            shortest = MAX_ARRAY_ITEMS * 2;
        }
        if MAX_STRING_BYTES < shortest {
            shortest = MAX_STRING_BYTES;
        }
        if MAX_VALUES < shortest {
            shortest = MAX_VALUES;
        }
        shortest
    };
    // Counted as a sum without an early exit, which the compiler turns into vector code (16-bit
    // lanes: a short text holds fewer brackets than `u16::MAX`); finding each bracket with
    // `memchr2` cost about 230 instructions more on the benchmark's requests.
    const _: () = assert!(SHORT < u16::MAX as usize);
    params.len() <= SHORT
        && params
            .as_bytes()
            .iter()
            .map(|&byte| u16::from(byte == b'{' || byte == b'['))
            .sum::<u16>()
            <= (MAX_DEPTH + 2) as u16
}

/// Refuses a property bag past the limits, for a method that would act on it: `-32602` (an
/// invalid-argument status over gRPC), and nothing is done.
pub fn refuse_oversized_bag(
    method: &str,
    bag: &str,
    properties: &impl PropertyBag,
) -> Result<(), ProviderError> {
    match check_property_bag(bag, properties).into_iter().next() {
        None => Ok(()),
        Some(breach) => Err(ProviderError::invalid_params(format!(
            "{bag} in the params of {method} is too large ({}); nothing was done",
            breach.reason
        ))),
    }
}

/// What `check` and `checkConfig` answer for a bag past the limits: the breaches as failures,
/// and no inputs (echoing megabytes back is part of what the limits prevent). `None` when the bag
/// is within them.
pub fn oversized_check_outcome(bag: &str, properties: &impl PropertyBag) -> Option<CheckOutcome> {
    let breaches = check_property_bag(bag, properties);
    if breaches.is_empty() {
        return None;
    }
    Some(CheckOutcome {
        inputs: Default::default(),
        failures: breaches
            .into_iter()
            .map(|breach| CheckFailure::new(breach.property, breach.reason))
            .collect(),
        warnings: Vec::new(),
    })
}

/// A name as it may appear in a message: a name past the limit is cut (it is the client's text).
fn shown_name(name: &str) -> String {
    const SHOWN: usize = 64;
    if name.len() <= SHOWN {
        return name.to_owned();
    }
    let mut end = SHOWN;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &name[..end])
}

/// A property bag as the limits see it: its wire JSON (the gRPC plugin's converted `Struct`s, and
/// requests with special values), or the values decoded straight from the text, which have the
/// wire's shape (`resources::WireDecoder`).
pub trait PropertyBag {
    type Value: Limited;
    fn member_count(&self) -> usize;
    fn members(&self) -> impl Iterator<Item = (&str, &Self::Value)>;
}

impl PropertyBag for Map<String, Value> {
    type Value = Value;
    fn member_count(&self) -> usize {
        self.len()
    }
    fn members(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.iter().map(|(name, value)| (name.as_str(), value))
    }
}

impl PropertyBag for PropertyMap {
    type Value = PropertyValue;
    fn member_count(&self) -> usize {
        self.len()
    }
    fn members(&self) -> impl Iterator<Item = (&str, &PropertyValue)> {
        self.iter().map(|(name, value)| (name.as_str(), value))
    }
}

/// A value the limits walk: each kind says which of its parts the walk visits.
pub trait Limited {
    /// Walks what is inside this value (already counted) at nesting `depth`.
    fn walk_inside(&self, walk: &mut Walk, depth: usize) -> Result<(), String>;
}

impl Limited for Value {
    fn walk_inside(&self, walk: &mut Walk, depth: usize) -> Result<(), String> {
        match self {
            Value::String(text) => walk.string(text.len()),
            Value::Array(items) => walk.array(items, depth),
            Value::Object(entries) => walk.object(
                entries.len(),
                entries.iter().map(|(name, value)| (name.as_str(), value)),
                depth,
            ),
            _ => Ok(()),
        }
    }
}

/// A decoded value walks as the JSON it was decoded from: a secret is its two members, an unknown
/// its sentinel string.
impl Limited for PropertyValue {
    fn walk_inside(&self, walk: &mut Walk, depth: usize) -> Result<(), String> {
        match self {
            PropertyValue::String(text) => walk.string(text.len()),
            PropertyValue::Unknown(kind) => walk.string(kind.sentinel().len()),
            PropertyValue::Array(items) => walk.array(items, depth),
            PropertyValue::Object(entries) => walk.object(
                entries.len(),
                entries.iter().map(|(name, value)| (name.as_str(), value)),
                depth,
            ),
            PropertyValue::Secret(inner) => {
                walk.object_of(2, depth)?;
                walk.check_name(SIGNATURE_KEY)?;
                walk.count()?;
                walk.string(SECRET_SIGNATURE.len())?;
                walk.check_name("value")?;
                walk.value(inner.as_ref(), depth + 1)
            }
            PropertyValue::Special(entries) => walk.object(
                entries.len(),
                entries.iter().map(|(name, value)| (name.as_str(), value)),
                depth,
            ),
            PropertyValue::Null | PropertyValue::Bool(_) | PropertyValue::Number(_) => Ok(()),
        }
    }
}

pub struct Walk {
    values: usize,
}

impl Walk {
    fn check_name(&self, name: &str) -> Result<(), String> {
        if name.len() > MAX_STRING_BYTES {
            return Err(format!(
                "a property name of {} bytes is longer than the {MAX_STRING_BYTES} bytes allowed",
                name.len()
            ));
        }
        Ok(())
    }

    /// Walks one value at nesting `depth` (1 for a property's own value).
    fn value<V: Limited + ?Sized>(&mut self, value: &V, depth: usize) -> Result<(), String> {
        self.count()?;
        value.walk_inside(self, depth)
    }

    fn count(&mut self) -> Result<(), String> {
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(format!(
                "the request holds more than {MAX_VALUES} values in all; split it, or send only what the resource needs"
            ));
        }
        Ok(())
    }

    fn string(&self, bytes: usize) -> Result<(), String> {
        if bytes > MAX_STRING_BYTES {
            return Err(format!(
                "a string of {bytes} bytes is longer than the {MAX_STRING_BYTES} bytes allowed"
            ));
        }
        Ok(())
    }

    fn array<V: Limited>(&mut self, items: &[V], depth: usize) -> Result<(), String> {
        if items.len() > MAX_ARRAY_ITEMS {
            return Err(format!(
                "a list of {} items is longer than the {MAX_ARRAY_ITEMS} items allowed",
                items.len()
            ));
        }
        self.nested(depth)?;
        items
            .iter()
            .try_for_each(|item| self.value(item, depth + 1))
    }

    /// An object's own limits: how many members, how deep.
    fn object_of(&self, members: usize, depth: usize) -> Result<(), String> {
        if members > MAX_PROPERTIES {
            return Err(format!(
                "an object of {members} properties has more than the {MAX_PROPERTIES} allowed"
            ));
        }
        self.nested(depth)
    }

    fn object<'a, V: Limited + 'a>(
        &mut self,
        members: usize,
        entries: impl Iterator<Item = (&'a str, &'a V)>,
        depth: usize,
    ) -> Result<(), String> {
        self.object_of(members, depth)?;
        for (name, entry) in entries {
            self.check_name(name)?;
            self.value(entry, depth + 1)?;
        }
        Ok(())
    }

    fn nested(&self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "the value is nested more than {MAX_DEPTH} levels deep"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn breaches(value: Value) -> Vec<LimitExceeded> {
        match value {
            Value::Object(map) => check_property_bag("news", &map),
            _ => unreachable!(),
        }
    }

    #[test]
    fn values_within_the_limits_pass() {
        let policies: Vec<String> = (0..MAX_ARRAY_ITEMS).map(|i| format!("p{i}")).collect();
        let mut nested = json!("leaf");
        for _ in 0..MAX_DEPTH - 1 {
            nested = json!([nested]);
        }
        assert!(breaches(json!({
            "policies": policies,
            "description": "d".repeat(MAX_STRING_BYTES),
            "password": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "x"},
            "deep": nested,
        }))
        .is_empty());
    }

    #[test]
    fn breaches_name_the_property_and_the_limit() {
        let table = [
            (
                json!({"policies": vec!["p"; MAX_ARRAY_ITEMS + 1]}),
                "policies",
                "1001 items",
            ),
            (
                json!({"description": "d".repeat(MAX_STRING_BYTES + 1)}),
                "description",
                "65537 bytes",
            ),
            (
                json!({"tags": {"a": {"b": "c".repeat(MAX_STRING_BYTES + 1)}}}),
                "tags",
                "bytes",
            ),
            (
                json!({"deep": (0..=MAX_DEPTH).fold(json!(1), |inner, _| json!([inner]))}),
                "deep",
                "nested more than 32",
            ),
        ];
        for (bag, property, fragment) in table {
            let params = json!({ "news": bag }).to_string();
            assert!(!cannot_breach(&params), "{property}");
            let found = breaches(bag);
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0].property, property);
            assert!(found[0].reason.contains(fragment), "{found:?}");
        }
    }

    #[test]
    fn only_short_shallow_params_are_taken_as_within_the_limits() {
        let nested = |levels: usize| {
            let mut text = r#"{"news":{"a":"#.to_owned();
            text.push_str(&"[".repeat(levels));
            text.push_str(&"]".repeat(levels));
            text.push_str("}}");
            text
        };
        // The deepest value a bag may hold (MAX_DEPTH containers) is still taken as within.
        assert!(cannot_breach(&nested(MAX_DEPTH)));
        assert!(breaches(
            serde_json::from_str::<Value>(&nested(MAX_DEPTH)).unwrap()["news"].clone()
        )
        .is_empty());
        assert!(!cannot_breach(&nested(MAX_DEPTH + 1)));
        let long = format!(
            r#"{{"news":{{"a":"{}"}}}}"#,
            "x".repeat(2 * MAX_ARRAY_ITEMS)
        );
        assert!(!cannot_breach(&long));
    }

    #[test]
    fn a_bag_with_too_many_properties_or_values_is_one_breach() {
        let many: Map<String, Value> = (0..=MAX_PROPERTIES)
            .map(|i| (format!("k{i}"), json!(1)))
            .collect();
        let found = check_property_bag("news", &many);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].property, "news");

        let wide: Map<String, Value> = (0..200)
            .map(|i| (format!("k{i}"), json!(vec![vec![1; 30]; 30])))
            .collect();
        let found = check_property_bag("news", &wide);
        assert!(!found.is_empty() && found.len() < 200, "{}", found.len());
        assert!(found.last().unwrap().reason.contains("values in all"));
    }

    #[test]
    fn a_long_name_is_cut_in_messages() {
        let name = "n".repeat(MAX_STRING_BYTES + 1);
        let found = check_property_bag(
            "news",
            &[(name, json!(1))]
                .into_iter()
                .collect::<Map<String, Value>>(),
        );
        assert_eq!(found[0].property, format!("{}...", "n".repeat(64)));
        assert!(found[0].reason.len() < 300);
    }
}
