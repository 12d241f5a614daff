//! How the declaration compares values: when a property counts as set, and when two of its
//! values are the same (times as instants, set-like lists in any order, secrets looked through).
//! `diff`, the refusal of changes in place and the ownership proof of a named create all compare
//! so.

use super::super::property::{PropertyMap, PropertyValue};
use super::super::timestamp::parse_timestamp;
use super::Property;

impl Property {
    /// The value of the property in `map` if it is set. Null is never set; for an optional input,
    /// neither is an empty string or an empty array, which the cloud reports for "none" (an AAP's
    /// description).
    pub fn set_value<'a>(&self, map: &'a PropertyMap) -> Option<&'a PropertyValue> {
        let value = map.get(self.name)?;
        let is_empty = match value.unwrap_secret() {
            PropertyValue::Null => true,
            PropertyValue::String(text) => text.is_empty() && !self.required,
            PropertyValue::Array(items) => items.is_empty() && !self.required,
            _ => false,
        };
        (!is_empty).then_some(value)
    }

    /// Whether two known values of the property are the same by the declaration: the same instant
    /// for a time, the same items in any order for a set-like list, and equal otherwise, secret
    /// or not.
    pub fn same_value(&self, old: &PropertyValue, new: &PropertyValue) -> bool {
        if self.time {
            if let (Some(old_text), Some(new_text)) = (old.as_str(), new.as_str()) {
                if let (Ok(old_time), Ok(new_time)) =
                    (parse_timestamp(old_text), parse_timestamp(new_text))
                {
                    return old_time == new_time;
                }
            }
        }
        if self.set_like {
            if let (Some(old_items), Some(new_items)) = (old.as_array(), new.as_array()) {
                return same_items_in_any_order(old_items, new_items);
            }
        }
        equal_ignoring_secrets(old, new)
    }
}

fn same_items_in_any_order(old: &[PropertyValue], new: &[PropertyValue]) -> bool {
    if old.len() != new.len() {
        return false;
    }
    // Lists of strings (all a set-like property holds in practice): compared as sorted strings.
    if let (Some(old), Some(new)) = (sorted_strings(old), sorted_strings(new)) {
        return old == new;
    }
    let sorted_texts = |items: &[PropertyValue]| {
        let mut texts: Vec<String> = items
            .iter()
            .map(|item| strip_secrets(item).to_wire().to_string())
            .collect();
        texts.sort();
        texts
    };
    sorted_texts(old) == sorted_texts(new)
}

/// The items sorted, when every one is a string (a secret one included).
fn sorted_strings(items: &[PropertyValue]) -> Option<Vec<&str>> {
    let mut strings = items
        .iter()
        .map(|item| match item.unwrap_secret() {
            PropertyValue::String(text) => Some(text.as_str()),
            _ => None,
        })
        .collect::<Option<Vec<&str>>>()?;
    strings.sort_unstable();
    Some(strings)
}

/// Equality that looks through secret wrappers at any depth: becoming secret is not a change.
pub fn equal_ignoring_secrets(left: &PropertyValue, right: &PropertyValue) -> bool {
    match (left.unwrap_secret(), right.unwrap_secret()) {
        (PropertyValue::Array(left_items), PropertyValue::Array(right_items)) => {
            left_items.len() == right_items.len()
                && left_items
                    .iter()
                    .zip(right_items)
                    .all(|(left, right)| equal_ignoring_secrets(left, right))
        }
        (PropertyValue::Object(left_map), PropertyValue::Object(right_map)) => {
            left_map.len() == right_map.len()
                && left_map
                    .iter()
                    .zip(right_map)
                    .all(|((left_name, left), (right_name, right))| {
                        left_name == right_name && equal_ignoring_secrets(left, right)
                    })
        }
        (left, right) => left == right,
    }
}

fn strip_secrets(value: &PropertyValue) -> PropertyValue {
    match value.unwrap_secret() {
        PropertyValue::Array(items) => {
            PropertyValue::Array(items.iter().map(strip_secrets).collect())
        }
        PropertyValue::Object(map) => PropertyValue::Object(
            map.iter()
                .map(|(name, value)| (name.clone(), strip_secrets(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}
