//! The contract every resource implements: [`Resource`], one typed type per resource, with its
//! [`Declaration`], its own input rules and its operations. `create`, `read` and `delete` are
//! required; the rest have the defaults documented on each method.
//!
//! pulumi-go-provider's `infer` is the model: one type per resource, the provider's generic
//! machinery (the schema-driven `check` and `diff` in `provider`, the wire in `protocol`) around
//! it, and opt-in hooks with defaults. Two differences, both deliberate:
//! - `read` and `delete` have no default. KMS keeps every resource until it is deleted, so a
//!   default that only dropped a resource from the state would leave it in the account, and one
//!   that echoed the old state would hide drift; both would pretend to succeed.
//! - Outputs are a [`PropertyMap`], not a typed struct: Pulumi's secret and unknown markers ride
//!   on values (an input the program sent as a secret stays one in the outputs, a preview leaves
//!   what the cloud decides unknown), and a typed struct would drop them.

use std::future::Future;
use std::path::Path;

use super::context::OperationContext;
use super::declaration::{article, Declaration, Property};
use super::error::{CheckFailure, ResourceError};
use super::operations::{
    CreateRequest, CreateResult, DeleteRequest, ReadRequest, ReadResult, UpdateRequest,
    UpdateResult,
};
use super::property::{PropertyMap, PropertyValue};

/// One resource type. The provider builds one value of it per process ([`Resource::new`]); that
/// value holds whatever the resource must remember between operations (the client key's create
/// tracker, for example), and every operation borrows it.
///
/// Register the type in `resources/mod.rs` (its `mod` and its line in `RESOURCES`); give it a
/// schema entry in `schema/schema.json` and a check table and a diff table under `tests/tables/`.
pub trait Resource: Send + Sync + 'static {
    /// Its properties, from which the schema entry and the generic `check` and `diff` are
    /// derived.
    const DECLARATION: Declaration;

    /// The checked inputs as the operations use them (names, lists, secrets as `SecretString`).
    type Inputs: Send;

    /// The resource's process state, empty or not. Called once, when the provider starts.
    fn new() -> Self
    where
        Self: Sized;

    /// Reads checked inputs into [`Resource::Inputs`]. Every value must be known (outside a
    /// preview the engine resolves them): an unknown one is an `invalid_inputs` error that names
    /// the property.
    fn decode_inputs(properties: &PropertyMap) -> Result<Self::Inputs, ResourceError>;

    /// The rules of `check` beyond the schema. Values may be unknown (preview) or secret: skip
    /// what cannot be seen, normalise in place, report failures as data. A warning (the inputs
    /// pass, but the user should know something) reaches the engine as a `log` warning.
    ///
    /// Default: none (the schema's names, types and required inputs are all there is).
    fn check_inputs(
        &self,
        inputs: &mut PropertyMap,
        failures: &mut Vec<CheckFailure>,
        warnings: &mut Vec<String>,
    ) {
        let _ = (inputs, failures, warnings);
    }

    /// The checks of `check` that look at this machine rather than at the inputs alone (the
    /// client key's file directory). `olds` are the last checked inputs (none for a new
    /// resource, or a replacement). Not run again by `create`, which must check for real.
    ///
    /// Default: none.
    fn check_local(
        &self,
        inputs: &PropertyMap,
        olds: Option<&PropertyMap>,
        working_directory: &Path,
        failures: &mut Vec<CheckFailure>,
        warnings: &mut Vec<String>,
    ) {
        let _ = (inputs, olds, working_directory, failures, warnings);
    }

    /// Whether `id` can be an id of this resource, and agrees with `state` when there is one.
    /// Runs before `read`, `update` and `delete` send anything to the cloud: a read with the id
    /// of another resource type would otherwise look like a deleted resource.
    ///
    /// Default: any id.
    fn check_id(&self, id: &str, state: Option<&PropertyMap>) -> Result<(), ResourceError> {
        let _ = (id, state);
        Ok(())
    }

    /// Whether two known values of `property` (secrets unwrapped) that differ by the generic
    /// rules (equality, times as instants, unordered lists as sets) still mean the same, so that
    /// `diff` shows no change: JSON text in another layout, for example.
    ///
    /// Default: never.
    fn same_meaning(&self, property: &str, old: &PropertyValue, new: &PropertyValue) -> bool {
        let _ = (property, old, new);
        false
    }

    /// Whether two known values of `property` are the same: by the declaration (times, set-like
    /// lists, secrets; see `Property::same_value`) or by [`Resource::same_meaning`].
    fn equivalent(&self, property: &Property, old: &PropertyValue, new: &PropertyValue) -> bool {
        property.same_value(old, new)
            || self.same_meaning(property.name, old.unwrap_secret(), new.unwrap_secret())
    }

    /// Whether a replacement must delete the old resource before it creates the new one because
    /// the two would share something only one may hold (a name the cloud refuses twice is
    /// already covered by the declaration's identity property). Answered whether or not the diff replaces,
    /// since the engine may force a replacement; `news` may hold unknowns (a preview).
    ///
    /// Default: no.
    fn replacement_must_delete_first(
        &self,
        olds: &PropertyMap,
        news: &PropertyMap,
        working_directory: &Path,
    ) -> bool {
        let _ = (olds, news, working_directory);
        false
    }

    /// The outputs a preview of `create` plans, from the checked inputs (which may hold
    /// unknowns). Nothing may be called or written.
    ///
    /// Default: the inputs, without engine metadata and nulls. Override it to mark the outputs
    /// the cloud decides as unknown.
    fn preview_create(&self, properties: PropertyMap) -> PropertyMap {
        known_outputs(properties)
    }

    /// Creates the resource (never called in a preview: see [`Resource::preview_create`]).
    /// `request.properties` are the checked inputs that `inputs` was decoded from.
    fn create(
        &self,
        context: &OperationContext,
        request: CreateRequest,
        inputs: Self::Inputs,
    ) -> impl Future<Output = Result<CreateResult, ResourceError>> + Send;

    /// Reads the live resource (refresh), or adopts one by id (import). `Gone` only when the
    /// cloud says the resource does not exist.
    fn read(
        &self,
        context: &OperationContext,
        request: ReadRequest,
    ) -> impl Future<Output = Result<ReadResult, ResourceError>> + Send;

    /// Changes the resource in place (or, with `request.preview`, plans the change).
    ///
    /// Default, for a resource the cloud cannot change (the schema marks every input
    /// `willReplaceOnChanges`, so `diff` answers a replacement for every real change): a real
    /// change is refused with `invalid_inputs`, and a call without one (the engine writing the
    /// write-only inputs of the program into the state of an imported resource) keeps the state
    /// and takes those write-only inputs into it. Nothing is sent to the cloud.
    fn update(
        &self,
        context: &OperationContext,
        request: UpdateRequest,
    ) -> impl Future<Output = Result<UpdateResult, ResourceError>> + Send {
        let _ = context;
        std::future::ready(update_without_change(
            &Self::DECLARATION,
            |property, old, new| self.equivalent(property, old, new),
            request,
        ))
    }

    /// Deletes the resource; one that is already gone counts as deleted.
    fn delete(
        &self,
        context: &OperationContext,
        request: DeleteRequest,
    ) -> impl Future<Output = Result<(), ResourceError>> + Send;
}

/// Checked inputs as outputs: engine metadata (`__defaults`) and nulls are not outputs.
pub fn known_outputs(properties: PropertyMap) -> PropertyMap {
    properties
        .into_iter()
        .filter(|(name, value)| !name.starts_with("__") && !value.is_null())
        .collect()
}

/// The default `update` (see [`Resource::update`]).
pub(crate) fn update_without_change(
    declaration: &Declaration,
    equivalent: impl Fn(&Property, &PropertyValue, &PropertyValue) -> bool,
    request: UpdateRequest,
) -> Result<UpdateResult, ResourceError> {
    refuse_changes_in_place(declaration, equivalent, &request, declaration.inputs())?;
    // Nothing changes in the cloud; the state takes the inputs the cloud cannot report (after an
    // import). The new inputs were checked, so their secrets are already marked.
    let mut properties = known_outputs(request.olds);
    for property in declaration.inputs().filter(|property| property.write_only) {
        if let Some(value) = property.get(&request.news) {
            properties.insert(property.name.to_owned(), value.clone());
        }
    }
    Ok(UpdateResult { properties })
}

/// Refuses an update that would change one of `properties` (which the cloud cannot change in
/// place: `diff` asks for a replacement instead), naming each. An input absent from the state
/// (the write-only inputs of an imported resource), an input the program leaves to the cloud and
/// a value not known yet are no changes; values compare by `equivalent` (the resource's
/// [`Resource::equivalent`], as `diff` compares them). The old value of the identity property is
/// the id.
pub(crate) fn refuse_changes_in_place<'p>(
    declaration: &Declaration,
    equivalent: impl Fn(&Property, &PropertyValue, &PropertyValue) -> bool,
    request: &UpdateRequest,
    properties: impl Iterator<Item = &'p Property>,
) -> Result<(), ResourceError> {
    let id = PropertyValue::String(request.id.clone());
    let mut failures: Vec<CheckFailure> = properties
        .filter_map(|property| {
            let new = property.get(&request.news)?;
            let old = match property.identity {
                true => &id,
                false => property.get(&request.olds)?,
            };
            if new.contains_unknown() || equivalent(property, old, new) {
                return None;
            }
            // The values are quoted only when neither is a secret.
            let shown = match (old, new, property.secret) {
                (PropertyValue::String(old), PropertyValue::String(new), false) => {
                    format!(" (from {old} to {new})")
                }
                _ => String::new(),
            };
            Some(CheckFailure::new(
                property.name,
                format!(
                    "{property} of {article} {name} cannot change in place{shown}: a new {name} replaces the old \
                     one; diff asks for that replacement, so let the engine replace the {name} instead of \
                     calling update",
                    article = article(declaration.name),
                    name = declaration.name
                ),
            ))
        })
        .collect();
    if failures.is_empty() {
        return Ok(());
    }
    failures.sort_by(|left, right| left.property.cmp(&right.property));
    Err(ResourceError::InvalidInputs {
        resource: declaration.name,
        failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::declaration::ValueType;

    const THING: Declaration = Declaration {
        token: "test:index:Thing",
        name: "Thing",
        noun: "thing",
        description: "",
        properties: &[
            Property::new("name", ValueType::String, true, false, ""),
            Property::new("password", ValueType::String, true, true, "").write_only(),
            Property::new("notAfter", ValueType::String, false, false, "").time(),
            Property::new(
                "tags",
                ValueType::Array(&ValueType::String),
                false,
                false,
                "",
            )
            .set_like(),
        ],
    };

    fn map(entries: &[(&str, PropertyValue)]) -> PropertyMap {
        entries
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect()
    }

    fn text(value: &str) -> PropertyValue {
        PropertyValue::String(value.to_owned())
    }

    fn list(values: &[&str]) -> PropertyValue {
        PropertyValue::Array(values.iter().map(|value| text(value)).collect())
    }

    #[test]
    fn only_real_changes_count() {
        let olds = map(&[
            ("name", text("a")),
            ("notAfter", text("2028-09-01T14:11:22Z")),
            ("tags", list(&["x", "y"])),
            ("createTime", text("2024-01-01T00:00:00Z")),
        ]);
        let same = map(&[
            ("name", text("a").into_secret()),
            ("notAfter", text("2028-09-01T22:11:22+08:00")),
            ("tags", list(&["y", "x"])),
            ("password", text("YouPassword123!").into_secret()),
            ("__defaults", PropertyValue::Array(vec![])),
        ]);
        let refused = |news: PropertyMap| -> Vec<String> {
            let request = update_request(olds.clone(), news);
            match refuse_changes_in_place(&THING, by_declaration, &request, THING.inputs()) {
                Ok(()) => Vec::new(),
                Err(ResourceError::InvalidInputs { failures, .. }) => failures
                    .into_iter()
                    .map(|failure| failure.property)
                    .collect(),
                Err(error) => panic!("not invalid_inputs: {error}"),
            }
        };
        assert!(refused(same).is_empty());
        let changed = map(&[
            ("name", text("b")),
            ("notAfter", text("2029-01-01T00:00:00Z")),
            ("tags", list(&["x"])),
        ]);
        assert_eq!(refused(changed), ["name", "notAfter", "tags"]);
    }

    fn by_declaration(property: &Property, old: &PropertyValue, new: &PropertyValue) -> bool {
        property.same_value(old, new)
    }

    fn update_request(olds: PropertyMap, news: PropertyMap) -> UpdateRequest {
        UpdateRequest {
            urn: None,
            id: "id".into(),
            olds,
            news,
            old_inputs: None,
            timeout: None,
            preview: false,
            ignore_changes: Vec::new(),
        }
    }

    #[test]
    fn the_default_update_refuses_a_real_change_and_names_it() {
        let request = update_request(map(&[("name", text("a"))]), map(&[("name", text("b"))]));
        let error = update_without_change(&THING, by_declaration, request).unwrap_err();
        let ResourceError::InvalidInputs { resource, failures } = error else {
            panic!("not invalid_inputs: {error}");
        };
        assert_eq!(resource, "Thing");
        assert_eq!(failures.len(), 1);
        assert!(
            failures[0]
                .reason
                .starts_with("name of a Thing cannot change in place (from a to b)"),
            "{failures:?}"
        );
    }

    #[test]
    fn the_default_update_takes_write_only_inputs_into_an_imported_state() {
        let request = update_request(
            map(&[("name", text("a")), ("__meta", text("x"))]),
            map(&[
                ("name", text("a")),
                ("password", text("YouPassword123!").into_secret()),
            ]),
        );
        let result = update_without_change(&THING, by_declaration, request).unwrap();
        assert_eq!(
            result.properties,
            map(&[
                ("name", text("a")),
                ("password", text("YouPassword123!").into_secret()),
            ])
        );
    }
}
