//! `read` and `delete` of a client key (its `update` is the `Resource` default; the registry
//! checks the id before each).
//!
//! - `read` reports what KMS says (`aapName`, `notBefore`, `notAfter`, `createTime`); the password
//!   and the key file path cannot be read from KMS and are carried over from the old state or
//!   inputs. An import (an id alone) therefore returns inputs without them, which the diff engine
//!   does not count as a change.
//! - `delete` deletes the key (already gone counts as deleted), then removes its private key file
//!   if the file still holds this key: the key is dead, and a file that holds another key (a
//!   replacement written to the same path) is left alone, as is anything at the path that is not
//!   a small regular file (see `key_file::removal`), with a warning.

use super::super::context::OperationContext;
use super::super::error::{Operation, ResourceError};
use super::super::kms_call::KmsCall;
use super::super::operations::{DeleteRequest, ReadRequest, ReadResult};
use super::super::property::{PropertyMap, PropertyValue};
use super::create::service_time;
use super::declaration::DECLARATION;
use super::key_file::{self, Removal};
use super::kms::{delete_client_key, get_client_key};

pub(super) async fn read(
    context: &OperationContext,
    request: ReadRequest,
) -> Result<ReadResult, ResourceError> {
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
            return Ok(ReadResult::Gone);
        }
        Err(error) => return Err(call.error(error)),
    };
    let old_state = request.properties.unwrap_or_default();
    let old_inputs = request.inputs;

    let mut properties = PropertyMap::new();
    properties.insert(
        "aapName".to_owned(),
        PropertyValue::String(key.aap_name.clone()),
    );
    properties.insert("notBefore".to_owned(), service_time(&key.not_before));
    properties.insert("notAfter".to_owned(), service_time(&key.not_after));
    properties.insert("createTime".to_owned(), service_time(&key.create_time));

    let mut inputs = PropertyMap::new();
    inputs.insert("aapName".to_owned(), PropertyValue::String(key.aap_name));
    for property in ["notBefore", "notAfter"] {
        // After an import every input is reported; after a refresh only those the program sets,
        // so that a validity the program leaves to KMS stays out of its inputs.
        let wanted = old_inputs
            .as_ref()
            .is_none_or(|old| old.get(property).is_some_and(|value| !value.is_null()));
        if wanted {
            inputs.insert(property.to_owned(), properties[property].clone());
        }
    }
    // The inputs KMS never returns.
    for property in DECLARATION
        .inputs()
        .filter(|property| property.write_only)
        .map(|property| property.name)
    {
        let from_state = old_state.get(property).filter(|value| !value.is_null());
        let from_inputs = old_inputs
            .as_ref()
            .and_then(|old| old.get(property))
            .filter(|value| !value.is_null());
        if let Some(value) = from_state.or(from_inputs) {
            properties.insert(property.to_owned(), carried(property, value));
        }
        if let Some(value) = from_inputs.or(from_state) {
            inputs.insert(property.to_owned(), carried(property, value));
        }
    }
    Ok(ReadResult::Found {
        id: request.id,
        properties,
        inputs,
    })
}

/// A carried-over value; the password is always a secret.
fn carried(property: &str, value: &PropertyValue) -> PropertyValue {
    if property == "password" {
        value.clone().into_secret()
    } else {
        value.clone()
    }
}

pub(super) async fn delete(
    context: &OperationContext,
    request: DeleteRequest,
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
    let Some(text) = request
        .properties
        .get("privateKeyDataFile")
        .and_then(PropertyValue::as_str)
    else {
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
