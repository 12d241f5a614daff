//! The requests and results of the resource operations (`create`, `read`, `update`, `delete`):
//! as the provider passes them to the registry (property maps, `CreateRequest` and the like), and
//! as a resource receives and returns them (typed by its declaration, `Create` and the like).
//!
//! The wire decoding (and the checks that an id is present and that a state belongs to the
//! resource type) has already happened when a resource sees one of these; the inputs of `create`
//! and `update` have also passed the resource's `check` rules.

use std::time::Duration;

use super::property::PropertyMap;

/// Create a resource. With `preview`, nothing may be created: return the planned outputs with
/// unknowns where the cloud decides, and an empty id.
#[derive(Clone, Debug)]
pub struct CreateRequest {
    pub urn: Option<String>,
    /// The checked inputs.
    pub properties: PropertyMap,
    /// The engine's deadline for the whole operation; `None` means the resource's default.
    pub timeout: Option<Duration>,
    pub preview: bool,
}

#[derive(Clone, Debug)]
pub struct CreateResult {
    /// The cloud id; empty only in a preview.
    pub id: String,
    /// The outputs (inputs plus what the cloud computed).
    pub properties: PropertyMap,
    /// What the user must know although the create succeeded (a lost attempt, and the dates of
    /// the key it may still make); also sent as `log` warnings.
    pub warnings: Vec<String>,
}

/// Read the live state of a resource (refresh), or adopt one by id (import: `properties` and
/// `inputs` are then absent or empty).
#[derive(Clone, Debug)]
pub struct ReadRequest {
    pub urn: Option<String>,
    pub id: String,
    /// The last known state, if any.
    pub properties: Option<PropertyMap>,
    /// The last inputs, if any (only sent during a refresh).
    pub inputs: Option<PropertyMap>,
    pub timeout: Option<Duration>,
}

#[derive(Clone, Debug)]
pub enum ReadResult {
    /// The resource exists; `inputs` are the inputs that would produce it, as `check` returns them.
    Found {
        id: String,
        properties: PropertyMap,
        inputs: PropertyMap,
    },
    /// The resource no longer exists (the engine removes it from state).
    Gone,
}

/// Update a resource in place. With `preview`, nothing may be changed.
#[derive(Clone, Debug)]
pub struct UpdateRequest {
    pub urn: Option<String>,
    pub id: String,
    /// The old state.
    pub olds: PropertyMap,
    /// The new checked inputs.
    pub news: PropertyMap,
    pub old_inputs: Option<PropertyMap>,
    pub timeout: Option<Duration>,
    pub preview: bool,
    /// Property paths whose changes the user asked to ignore.
    pub ignore_changes: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct UpdateResult {
    pub properties: PropertyMap,
}

/// Delete a resource. Deleting one that is already gone succeeds.
#[derive(Clone, Debug)]
pub struct DeleteRequest {
    pub urn: Option<String>,
    pub id: String,
    /// The old state.
    pub properties: PropertyMap,
    pub old_inputs: Option<PropertyMap>,
    pub timeout: Option<Duration>,
}

/// `create`, as a resource receives it: its checked inputs, typed.
#[derive(Clone, Debug)]
pub struct Create<I> {
    pub urn: Option<String>,
    pub inputs: I,
    /// The engine's deadline for the whole operation; `None` means the default.
    pub timeout: Option<Duration>,
}

/// What a resource's `create` made: its id, its state as the cloud returned it, and what the user
/// must know although it succeeded.
#[derive(Clone, Debug)]
pub struct Created<S> {
    pub id: String,
    pub state: S,
    pub warnings: Vec<String>,
}

/// `read`, as a resource receives it (what it carries over is the provider's business).
#[derive(Clone, Debug)]
pub struct Read {
    pub urn: Option<String>,
    pub id: String,
    pub timeout: Option<Duration>,
}

/// `update`, as a resource receives it: the new checked inputs and the old state, typed.
#[derive(Clone, Debug)]
pub struct Update<I, S> {
    pub urn: Option<String>,
    pub id: String,
    pub news: I,
    pub olds: S,
    pub timeout: Option<Duration>,
}

/// `delete`, as a resource receives it: its state, typed.
#[derive(Clone, Debug)]
pub struct Delete<S> {
    pub urn: Option<String>,
    pub id: String,
    pub state: S,
    pub timeout: Option<Duration>,
}
