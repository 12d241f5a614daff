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

use crate::resources::declaration::equal_ignoring_secrets;
use crate::resources::{PropertyMap, PropertyValue, RegisteredResource};

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

pub fn diff_resource(resource: &dyn RegisteredResource, inputs: DiffInputs<'_>) -> DiffOutcome {
    let declaration = resource.declaration();
    let import_shaped = declaration.inputs().any(|property| {
        property.write_only && property.required && property.set_value(inputs.olds).is_none()
    });

    // The id of a name-identified resource is its name: it stands in for a state without one.
    let id_as_name = PropertyValue::String(inputs.id.to_owned());
    let mut detailed_diff = BTreeMap::new();
    for property in declaration.inputs() {
        let name = property.name;
        if is_ignored(name, inputs.ignore_changes) {
            continue;
        }
        let old = property
            .set_value(inputs.olds)
            .or_else(|| property.identity.then_some(&id_as_name));
        let new = property.set_value(inputs.news);
        let kind = match (old, new) {
            (None, None) => continue,
            (None, Some(_)) if import_shaped && property.write_only => continue,
            (None, Some(_)) => DiffKind::Add,
            (Some(_), None) if property.is_filled_when_absent() => continue,
            (Some(_), None) => DiffKind::Delete,
            (Some(_), Some(new)) if new.contains_unknown() => DiffKind::Update,
            (Some(old), Some(new)) if resource.equivalent(property, old, new) => continue,
            (Some(_), Some(_)) => DiffKind::Update,
        };
        let kind = kind.replacing_if(property.replaces);
        detailed_diff.insert(
            name.to_owned(),
            PropertyDiff {
                kind,
                input_diff: false,
            },
        );
    }

    let (diffs, replaces) = changed_and_replaced(&detailed_diff);
    // Without a replacement, the properties that would force one are, by definition, unchanged.
    let stables = if replaces.is_empty() {
        let mut stables: Vec<String> = declaration
            .inputs()
            .filter(|property| property.replaces && !detailed_diff.contains_key(property.name))
            .map(|property| property.name.to_owned())
            .collect();
        // In the order of their names, as every list of the reply.
        stables.sort_unstable();
        stables
    } else {
        Vec::new()
    };
    DiffOutcome {
        has_changes: !diffs.is_empty(),
        replaces,
        stables,
        delete_before_replace: replacement_would_collide(resource, inputs)
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
fn replacement_would_collide(resource: &dyn RegisteredResource, inputs: DiffInputs<'_>) -> bool {
    let Some(identity) = resource.declaration().identity() else {
        return false;
    };
    let Some(new_name) = identity.set_value(inputs.news) else {
        return false;
    };
    if new_name.contains_unknown() {
        return true;
    }
    match identity.set_value(inputs.olds) {
        Some(old_name) => resource.equivalent(identity, old_name, new_name),
        // The id of a name-identified resource is its name.
        None => new_name.as_str() == Some(inputs.id),
    }
}

fn is_ignored(name: &str, ignore_changes: &[String]) -> bool {
    ignore_changes.iter().any(|path| {
        path.strip_prefix(name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
    })
}
