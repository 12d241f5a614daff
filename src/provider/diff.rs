//! The schema-driven `diff`: compares the old state with the new checked inputs, property by
//! property, and says whether the resource is unchanged, updated in place or replaced.
//!
//! The old *state* is the reference (not the old inputs): after a refresh it is what the cloud
//! holds, so drift shows up as a change. Three things are deliberately not changes, so that no
//! plan shows a difference forever:
//! - an optional input that is always an output (the cloud fills it when the user leaves it
//!   out, like a client key's validity period) and is absent from the new inputs;
//! - two times that are the same instant in whole seconds, whatever their offset or precision;
//! - a write-only input (the password, the key file path) absent from an imported state. A state
//!   is import-shaped when a *required* write-only input is missing from it: every state the
//!   provider wrote itself has those;
//! - two values the resource reads as the same (`Resource::same_meaning`: a policy's access
//!   control rules are JSON, compared as JSON).
//!
//! An unknown new value (preview) is a change: a replacement if the property replaces on change.

use std::collections::BTreeMap;
use std::path::Path;

use crate::resources::timestamp::parse_timestamp;
use crate::resources::{PropertyMap, PropertyValue, RegisteredResource, ResourceRules};

use super::schema::ObjectSchema;

/// Pulumi's `PropertyDiff.Kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffKind {
    Add,
    AddReplace,
    Delete,
    DeleteReplace,
    Update,
    UpdateReplace,
}

impl DiffKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            DiffKind::Add => "ADD",
            DiffKind::AddReplace => "ADD_REPLACE",
            DiffKind::Delete => "DELETE",
            DiffKind::DeleteReplace => "DELETE_REPLACE",
            DiffKind::Update => "UPDATE",
            DiffKind::UpdateReplace => "UPDATE_REPLACE",
        }
    }

    pub const fn is_replace(self) -> bool {
        matches!(
            self,
            DiffKind::AddReplace | DiffKind::DeleteReplace | DiffKind::UpdateReplace
        )
    }

    /// This kind, or its replacing twin when `replaces`.
    const fn replacing_if(self, replaces: bool) -> DiffKind {
        if replaces {
            self.replacing()
        } else {
            self
        }
    }

    const fn replacing(self) -> DiffKind {
        match self {
            DiffKind::Add | DiffKind::AddReplace => DiffKind::AddReplace,
            DiffKind::Delete | DiffKind::DeleteReplace => DiffKind::DeleteReplace,
            DiffKind::Update | DiffKind::UpdateReplace => DiffKind::UpdateReplace,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PropertyDiff {
    pub kind: DiffKind,
    /// True when the difference is between old and new inputs rather than old state and new
    /// inputs: false for a resource (compared against its state), true for the provider's
    /// settings (`diff_settings`).
    pub input_diff: bool,
}

/// The engine's answer. `DIFF_UNKNOWN` is never given: the provider always decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffOutcome {
    pub has_changes: bool,
    pub replaces: Vec<String>,
    pub stables: Vec<String>,
    pub delete_before_replace: bool,
    pub diffs: Vec<String>,
    pub detailed_diff: BTreeMap<String, PropertyDiff>,
}

/// What `diff` compares.
#[derive(Clone, Copy, Debug)]
pub struct DiffInputs<'a> {
    /// The cloud id of the resource.
    pub id: &'a str,
    /// The old state (outputs).
    pub olds: &'a PropertyMap,
    /// The new checked inputs.
    pub news: &'a PropertyMap,
    /// Property paths whose changes the user asked to ignore; a path ignores its whole top-level
    /// property (`policies[0]` ignores `policies`).
    pub ignore_changes: &'a [String],
    /// The directory relative paths are resolved against (a client key's file).
    pub working_directory: &'a Path,
}

pub fn diff_resource(
    resource: &dyn RegisteredResource,
    schema: &ObjectSchema,
    inputs: DiffInputs<'_>,
) -> DiffOutcome {
    let rules = resource.rules();
    let import_shaped = rules.write_only_inputs.iter().any(|property| {
        schema.required_inputs.contains(*property)
            && set_value(schema, inputs.olds, property).is_none()
    });

    // The id of a name-identified resource is its name: it stands in for a state without one.
    let id_as_name = PropertyValue::String(inputs.id.to_owned());
    let mut detailed_diff = BTreeMap::new();
    for (name, property) in &schema.inputs {
        if is_ignored(name, inputs.ignore_changes) {
            continue;
        }
        let old = set_value(schema, inputs.olds, name)
            .or_else(|| (rules.identity_property == Some(name.as_str())).then_some(&id_as_name));
        let new = set_value(schema, inputs.news, name);
        let kind = match (old, new) {
            (None, None) => continue,
            (None, Some(_))
                if import_shaped && rules.write_only_inputs.contains(&name.as_str()) =>
            {
                continue
            }
            (None, Some(_)) => DiffKind::Add,
            (Some(_), None) if schema.is_filled_by_cloud(name) => continue,
            (Some(_), None) => DiffKind::Delete,
            (Some(_), Some(new)) if new.contains_unknown() => DiffKind::Update,
            (Some(old), Some(new)) if equivalent(resource, name, old, new) => continue,
            (Some(_), Some(_)) => DiffKind::Update,
        };
        let kind = kind.replacing_if(property.replace_on_changes);
        detailed_diff.insert(
            name.clone(),
            PropertyDiff {
                kind,
                input_diff: false,
            },
        );
    }

    let (diffs, replaces) = changed_and_replaced(&detailed_diff);
    // Without a replacement, the properties that would force one are, by definition, unchanged.
    let stables = if replaces.is_empty() {
        schema
            .inputs
            .iter()
            .filter(|(name, property)| {
                property.replace_on_changes && !detailed_diff.contains_key(*name)
            })
            .map(|(name, _)| name.clone())
            .collect()
    } else {
        Vec::new()
    };
    DiffOutcome {
        has_changes: !diffs.is_empty(),
        replaces,
        stables,
        delete_before_replace: replacement_would_collide(resource, schema, inputs)
            || resource.replacement_must_delete_first(
                inputs.olds,
                inputs.news,
                inputs.working_directory,
            ),
        diffs,
        detailed_diff,
    }
}

/// Compares two sets of provider settings (`DiffConfig`), setting by setting, secrets or not. A
/// change to one of `replacing` replaces the provider, and with it every resource it manages;
/// only a change from one value to another does: a setting that appears or goes away may well
/// name what the environment already gave (an old state may lack it altogether), so it updates.
/// An unknown new value (preview) counts as a change.
pub fn diff_settings(
    olds: &PropertyMap,
    news: &PropertyMap,
    ignore_changes: &[String],
    replacing: &[&str],
) -> DiffOutcome {
    let set =
        |map: &'_ PropertyMap, name: &str| map.get(name).filter(|value| !value.is_null()).cloned();
    let names: std::collections::BTreeSet<&String> = olds.keys().chain(news.keys()).collect();
    let mut detailed_diff = BTreeMap::new();
    for name in names {
        if is_ignored(name, ignore_changes) {
            continue;
        }
        let kind = match (set(olds, name), set(news, name)) {
            (None, None) => continue,
            (None, Some(_)) => DiffKind::Add,
            (Some(_), None) => DiffKind::Delete,
            (Some(_), Some(new)) if new.contains_unknown() => DiffKind::Update,
            (Some(old), Some(new)) if equal_ignoring_secrets(&old, &new) => continue,
            (Some(_), Some(_)) => DiffKind::Update,
        };
        let kind =
            kind.replacing_if(kind == DiffKind::Update && replacing.contains(&name.as_str()));
        detailed_diff.insert(
            name.clone(),
            PropertyDiff {
                kind,
                input_diff: true,
            },
        );
    }
    let (diffs, replaces) = changed_and_replaced(&detailed_diff);
    DiffOutcome {
        has_changes: !diffs.is_empty(),
        replaces,
        stables: Vec::new(),
        delete_before_replace: false,
        diffs,
        detailed_diff,
    }
}

/// The properties a detailed diff changes, and those of them whose change replaces.
fn changed_and_replaced(
    detailed_diff: &BTreeMap<String, PropertyDiff>,
) -> (Vec<String>, Vec<String>) {
    let changed = detailed_diff.keys().cloned().collect();
    let replaced = detailed_diff
        .iter()
        .filter(|(_, diff)| diff.kind.is_replace())
        .map(|(name, _)| name.clone())
        .collect();
    (changed, replaced)
}

/// True when a replacement would create the new resource under the cloud name the old one still
/// holds: the identity property is unchanged, or unknown (it may turn out unchanged). This is
/// answered whether or not this diff replaces, because the engine may force a replacement itself
/// (`replaceOnChanges`, `--target-replace`) and then relies on this flag.
fn replacement_would_collide(
    resource: &dyn RegisteredResource,
    schema: &ObjectSchema,
    inputs: DiffInputs<'_>,
) -> bool {
    let Some(identity) = resource.rules().identity_property else {
        return false;
    };
    let Some(new_name) = set_value(schema, inputs.news, identity) else {
        return false;
    };
    if new_name.contains_unknown() {
        return true;
    }
    match set_value(schema, inputs.olds, identity) {
        Some(old_name) => equivalent(resource, identity, old_name, new_name),
        // The id of a name-identified resource is its name.
        None => new_name.as_str() == Some(inputs.id),
    }
}

/// The value of a property if it is set. Null is never set; for an optional input, neither is an
/// empty string or an empty array, which the cloud reports for "none" (an AAP's description).
fn set_value<'a>(
    schema: &ObjectSchema,
    map: &'a PropertyMap,
    name: &str,
) -> Option<&'a PropertyValue> {
    let value = map.get(name)?;
    let is_empty = match value.unwrap_secret() {
        PropertyValue::Null => true,
        PropertyValue::String(text) => text.is_empty() && !schema.required_inputs.contains(name),
        PropertyValue::Array(items) => items.is_empty() && !schema.required_inputs.contains(name),
        _ => false,
    };
    (!is_empty).then_some(value)
}

fn is_ignored(name: &str, ignore_changes: &[String]) -> bool {
    ignore_changes.iter().any(|path| {
        path.strip_prefix(name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
    })
}

/// Whether two known values mean the same thing for this property: by the rules (times,
/// unordered lists, secrets), or by the resource's own reading (`Resource::same_meaning`).
fn equivalent(
    resource: &dyn RegisteredResource,
    name: &str,
    old: &PropertyValue,
    new: &PropertyValue,
) -> bool {
    equivalent_by_rules(resource.rules(), name, old, new)
        || resource.same_meaning(name, old.unwrap_secret(), new.unwrap_secret())
}

fn equivalent_by_rules(
    rules: &ResourceRules,
    name: &str,
    old: &PropertyValue,
    new: &PropertyValue,
) -> bool {
    if rules.time_properties.contains(&name) {
        if let (Some(old_text), Some(new_text)) = (old.as_str(), new.as_str()) {
            if let (Ok(old_time), Ok(new_time)) =
                (parse_timestamp(old_text), parse_timestamp(new_text))
            {
                return old_time == new_time;
            }
        }
    }
    if rules.unordered_properties.contains(&name) {
        if let (Some(old_items), Some(new_items)) = (old.as_array(), new.as_array()) {
            return same_items_in_any_order(old_items, new_items);
        }
    }
    equal_ignoring_secrets(old, new)
}

fn same_items_in_any_order(old: &[PropertyValue], new: &[PropertyValue]) -> bool {
    if old.len() != new.len() {
        return false;
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

/// Equality that looks through secret wrappers at any depth: becoming secret is not a change.
fn equal_ignoring_secrets(left: &PropertyValue, right: &PropertyValue) -> bool {
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
