//! `alicloud-kms:index:ClientKey`: a client key of an application access point. Its declaration,
//! its input rules (the KMS password rule, the validity period, the key file), its KMS actions
//! and its operations.
//!
//! A client key cannot be changed: every input replaces it (the declaration says so), so it has
//! no `update` of its own. KMS returns the private key only in the reply that creates the key,
//! and never returns the password, so neither can be read back: they are write-only, absent from
//! the state of an imported key, which `diff` does not mistake for a change, and carried over by
//! a read.

mod create;
pub mod declaration;
pub mod key_file;
pub mod kms;
mod lifecycle;
mod reconcile;
mod rules;
mod tracker;
mod validity;

use std::path::Path;
use std::sync::Arc;

use super::context::OperationContext;
use super::declaration::Declaration;
use super::error::{CheckFailure, ResourceError};
use super::operations::{Create, Created, Delete, Read};
use super::property::PropertyMap;
use super::resource::Resource;
use declaration::{ClientKeyInputs, ClientKeyState, DECLARATION};
use tracker::CreateTracker;

pub use rules::{password_problems, PASSWORD_SPECIAL_CHARACTERS};

/// Checks that `id` can be a client key id (`KAAP.` and a UUID-like tail), before anything is
/// sent to KMS: a read with the id of another resource type would otherwise look like a deleted
/// key and drop it from the state.
pub(crate) fn check_client_key_id(id: &str) -> Result<(), ResourceError> {
    let tail = id.strip_prefix(CLIENT_KEY_ID_PREFIX).unwrap_or_default();
    let plausible = !tail.is_empty()
        && tail.len() <= 64
        && tail
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || character == '-');
    if plausible {
        return Ok(());
    }
    Err(ResourceError::InvalidId {
        resource: DECLARATION.name,
        message: format!(
            "{id:?} is not a ClientKey id: ClientKey ids are the ClientKeyId KMS generates, such as \
             KAAP.66abf237-63f6-4625-b8cf-47e1086e0000; pass that (an ApplicationAccessPoint is \
             identified by its name instead)"
        ),
    })
}

/// The prefix of every client key id.
pub const CLIENT_KEY_ID_PREFIX: &str = "KAAP.";

/// The client key resource. Its state is the tracker of the creates this process runs, which
/// the resolution of a lost create reply consults so that it never deletes a key another create
/// made.
#[derive(Debug)]
pub struct ClientKey {
    creates: Arc<CreateTracker>,
}

impl Resource for ClientKey {
    const DECLARATION: Declaration = DECLARATION;
    type Inputs = ClientKeyInputs;
    type State = ClientKeyState;

    fn new() -> ClientKey {
        ClientKey {
            creates: Arc::new(CreateTracker::new()),
        }
    }

    fn check_inputs(
        &self,
        inputs: &mut PropertyMap,
        failures: &mut Vec<CheckFailure>,
        _warnings: &mut Vec<String>,
    ) {
        rules::check_inputs(inputs, failures);
    }

    fn check_local(
        &self,
        inputs: &PropertyMap,
        olds: Option<&PropertyMap>,
        working_directory: &Path,
        failures: &mut Vec<CheckFailure>,
        warnings: &mut Vec<String>,
    ) {
        rules::check_local(inputs, olds, working_directory, failures, warnings);
    }

    fn check_id(&self, id: &str, _state: Option<&PropertyMap>) -> Result<(), ResourceError> {
        check_client_key_id(id)
    }

    /// When the old key and its replacement use the same key file: a create refuses to replace
    /// the file of a key that still exists (its only private key), so the old key must go first.
    /// The cost, a short window with no key, is in docs/protocol.md.
    fn replacement_must_delete_first(
        &self,
        olds: &PropertyMap,
        news: &PropertyMap,
        working_directory: &Path,
    ) -> bool {
        rules::same_key_file(olds, news, working_directory)
    }

    /// CreateClientKey, then the private key file, then GetClientKey for `createTime`.
    async fn create(
        &self,
        context: &OperationContext,
        request: Create<ClientKeyInputs>,
    ) -> Result<Created<ClientKeyState>, ResourceError> {
        create::create(context, &self.creates, request).await
    }

    /// GetClientKey; gone when KMS says it does not exist.
    async fn read(
        &self,
        context: &OperationContext,
        request: Read,
    ) -> Result<Option<ClientKeyState>, ResourceError> {
        lifecycle::read(context, request).await
    }

    // It cannot change in place (`UPDATES_IN_PLACE` is the default, no): every input replaces it,
    // and only a call without a real change is accepted, such as writing the password and key
    // file path of the program into the state of an imported key.

    /// DeleteClientKey (already gone counts as deleted), then the private key file if it still
    /// holds this key.
    async fn delete(
        &self,
        context: &OperationContext,
        request: Delete<ClientKeyState>,
    ) -> Result<(), ResourceError> {
        lifecycle::delete(context, request).await
    }
}
