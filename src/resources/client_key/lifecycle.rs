//! `read`, `update` and `delete` of a client key.
//!
//! - `read` reports what KMS says (`aapName`, `notBefore`, `notAfter`, `createTime`); the password
//!   and the key file path cannot be read from KMS and are carried over from the old state or
//!   inputs. An import (an id alone) therefore returns inputs without them, which the diff engine
//!   does not count as a change.
//! - `update` never changes anything in KMS (a client key has no update action; every changed
//!   input replaces it). It only accepts calls without a real change, such as writing the password
//!   and key file path of the program into the state of an imported key.
//! - `delete` deletes the key (already gone counts as deleted), then removes its private key file
//!   if the file still holds this key: the key is dead, and a file that holds another key (a
//!   replacement written to the same path) is left alone.

use super::super::context::OperationContext;
use super::super::error::{CheckFailure, Operation, ResourceError};
use super::super::kms_call::KmsCall;
use super::super::operations::{
    DeleteRequest, ReadRequest, ReadResult, UpdateRequest, UpdateResult,
};
use super::super::property::{PropertyMap, PropertyValue};
use super::super::timestamp::parse_timestamp;
use super::create::service_time;
use super::key_file;
use super::{check_client_key_id, RULES};

/// The inputs KMS never returns.
const CARRIED_OVER: [&str; 2] = ["password", "privateKeyDataFile"];

pub(super) async fn read(
    context: &OperationContext,
    request: ReadRequest,
) -> Result<ReadResult, ResourceError> {
    check_client_key_id(&request.id)?;
    let client = context.kms.client()?;
    let call = KmsCall::start(
        context,
        Operation::Read,
        request.urn.as_deref(),
        request.timeout,
    );
    let key = match client.get_client_key(&request.id, &call.options()).await {
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
    for property in CARRIED_OVER {
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

pub(super) async fn update(
    _context: &OperationContext,
    request: UpdateRequest,
) -> Result<UpdateResult, ResourceError> {
    check_client_key_id(&request.id)?;
    let failures: Vec<CheckFailure> = real_changes(&request.olds, &request.news)
        .into_iter()
        .map(|property| {
            CheckFailure::new(
                property,
                format!(
                    "{property} of a ClientKey cannot change in place: a new key replaces the old one; diff asks for \
                     that replacement, so let the engine replace the key instead of calling update"
                ),
            )
        })
        .collect();
    if !failures.is_empty() {
        return Err(ResourceError::InvalidInputs {
            resource: RULES.name,
            failures,
        });
    }
    // Nothing changes in KMS; the state takes the inputs KMS cannot report (after an import).
    let mut properties: PropertyMap = request
        .olds
        .into_iter()
        .filter(|(name, value)| !name.starts_with("__") && !value.is_null())
        .collect();
    for property in CARRIED_OVER {
        if let Some(value) = request.news.get(property).filter(|value| !value.is_null()) {
            properties.insert(property.to_owned(), carried(property, value));
        }
    }
    Ok(UpdateResult { properties })
}

/// The inputs whose new value differs from the state. An input absent from the state (the
/// password and key file of an imported key) and a validity the program leaves to KMS are not
/// changes; times are compared as instants.
fn real_changes<'a>(olds: &PropertyMap, news: &'a PropertyMap) -> Vec<&'a str> {
    let mut changed = Vec::new();
    for (name, new) in news {
        if name.starts_with("__") || new.is_null() {
            continue;
        }
        let Some(old) = olds.get(name).filter(|value| !value.is_null()) else {
            continue;
        };
        let same = match (old.as_str(), new.as_str()) {
            (Some(old), Some(new)) if name == "notBefore" || name == "notAfter" => {
                match (parse_timestamp(old), parse_timestamp(new)) {
                    (Ok(old), Ok(new)) => old == new,
                    _ => old == new,
                }
            }
            _ => old.unwrap_secret() == new.unwrap_secret(),
        };
        if !same {
            changed.push(name.as_str());
        }
    }
    changed
}

pub(super) async fn delete(
    context: &OperationContext,
    request: DeleteRequest,
) -> Result<(), ResourceError> {
    check_client_key_id(&request.id)?;
    let urn = request.urn.as_deref();
    let client = context.kms.client()?;
    let call = KmsCall::start(context, Operation::Delete, urn, request.timeout);
    match client.delete_client_key(&request.id, &call.options()).await {
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
    match key_file::remove_if_it_holds(target.clone(), request.id.clone()).await {
        Ok(true) => context.engine_log.info(
            format!(
                "removed the private key file {}: it held the deleted client key {}",
                target.display(),
                request.id
            ),
            urn,
        ),
        Ok(false) => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, PropertyValue)]) -> PropertyMap {
        entries
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect()
    }

    fn text(value: &str) -> PropertyValue {
        PropertyValue::String(value.to_owned())
    }

    #[test]
    fn only_real_changes_count() {
        let olds = map(&[
            ("aapName", text("aap")),
            ("notBefore", text("2023-09-01T14:11:22Z")),
            ("notAfter", text("2028-09-01T14:11:22Z")),
            ("createTime", text("2024-01-01T00:00:00Z")),
        ]);
        let same = map(&[
            ("aapName", text("aap")),
            ("notBefore", text("2023-09-01T22:11:22+08:00")),
            ("password", text("YouPassword123!").into_secret()),
            ("privateKeyDataFile", text("./key.json")),
        ]);
        assert!(real_changes(&olds, &same).is_empty());
        let changed = map(&[
            ("aapName", text("other")),
            ("notAfter", text("2029-01-01T00:00:00Z")),
        ]);
        assert_eq!(real_changes(&olds, &changed), ["aapName", "notAfter"]);
    }
}
