//! `read` and `delete` of a client key (it cannot be updated; the registry checks the id before
//! each).
//!
//! - `read` reports what KMS says (`GetClientKey`: the access point, the validity, the creation
//!   time); the password and the key file path cannot be read from KMS, and the registry carries
//!   them over from the old state or inputs. An import (an id alone) therefore returns inputs
//!   without them, which the diff engine does not count as a change.
//! - `delete` deletes the key (already gone counts as deleted), then removes its private key file
//!   if the file still holds this key: the key is dead, and a file that holds another key (a
//!   replacement written to the same path) is left alone, as is anything at the path that is not
//!   a small regular file (see `key_file::removal`), with a warning.

use super::super::context::OperationContext;
use super::super::error::{Operation, ResourceError};
use super::super::kms_call::KmsCall;
use super::super::operations::{Delete, Read};
use super::create::service_time;
use super::declaration::ClientKeyState;
use super::key_file::{self, Removal};
use super::kms::{delete_client_key, get_client_key};

pub(super) async fn read(
    context: &OperationContext,
    request: Read,
) -> Result<Option<ClientKeyState>, ResourceError> {
    let client = context.kms.client().await?;
    let call = KmsCall::start(
        context,
        Operation::Read,
        request.urn.as_deref(),
        request.timeout,
    );
    let key = match get_client_key(&client, &request.id, &call.options()).await {
        Ok(reply) => reply.client_key,
        Err(error) if error.is_not_found() => {
            tracing::info!(client_key_id = %request.id, "client key is gone");
            return Ok(None);
        }
        Err(error) => return Err(call.error(error)),
    };
    Ok(Some(ClientKeyState {
        aap_name: Some(key.aap_name),
        not_before: Some(service_time(&key.not_before)),
        not_after: Some(service_time(&key.not_after)),
        create_time: Some(service_time(&key.create_time)),
        ..ClientKeyState::default()
    }))
}

pub(super) async fn delete(
    context: &OperationContext,
    request: Delete<ClientKeyState>,
) -> Result<(), ResourceError> {
    let urn = request.urn.as_deref();
    let client = context.kms.client().await?;
    let call = KmsCall::start(context, Operation::Delete, urn, request.timeout);
    match delete_client_key(&client, &request.id, &call.options()).await {
        Ok(_) => tracing::info!(client_key_id = %request.id, "client key deleted"),
        Err(error) if error.is_not_found() => {
            context
                .engine_log
                .info(format!("client key {} was already gone", request.id), urn);
        }
        Err(error) => return Err(call.error(error)),
    }
    let Some(text) = request.state.private_key_data_file.as_deref() else {
        return Ok(());
    };
    let target = match key_file::resolve_path(text, &context.working_directory) {
        Ok(target) => target,
        Err(reason) => {
            context.engine_log.warning(
                format!("the private key file of the deleted client key was not removed: {reason}"),
                urn,
            );
            return Ok(());
        }
    };
    let removal = key_file::remove_if_it_holds(target.clone(), request.id.clone(), call.deadline());
    match removal.await {
        Ok(Removal::Removed) => context.engine_log.info(
            format!(
                "removed the private key file {}: it held the deleted client key {}",
                target.display(),
                request.id
            ),
            urn,
        ),
        Ok(Removal::Absent | Removal::HoldsSomethingElse) => {}
        Ok(Removal::LeftAlone(reason)) => context.engine_log.warning(
            format!(
                "the private key file {} of the deleted client key {} was left alone: {reason}; if it holds that \
                 key, remove it yourself (the key no longer works)",
                target.display(),
                request.id
            ),
            urn,
        ),
        Err(error) => context.engine_log.warning(
            format!(
                "could not check or remove the private key file {} ({}); if it holds the deleted client key {}, \
                 remove it yourself (the key no longer works)",
                target.display(),
                key_file::describe_io_error(&error),
                request.id
            ),
            urn,
        ),
    }
    Ok(())
}
