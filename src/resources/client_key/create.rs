//! `create` of a client key (outside a preview): CreateClientKey (resolving a lost reply, see `reconcile`), then the
//! private key file, then GetClientKey for `createTime`.
//!
//! The order is chosen so that no key is ever left without its private half unnoticed:
//! 1. the temporary key file is created first, so an unwritable directory fails before KMS is
//!    called;
//! 2. the key is created;
//! 3. the file is written and renamed into place; if that fails, the key is deleted again (and an
//!    error names it if even that fails);
//! 4. only then is the key read back; if that read fails, the key and its file both exist, so the
//!    error is `resource_init_failed` with the id, and the engine keeps the key in its state.

use std::sync::Arc;

use chrono::Utc;

use crate::kms::{Client, CreateClientKeyRequest, CreateClientKeyResponse, KmsError};

use super::super::context::OperationContext;
use super::super::error::{Operation, ResourceError};
use super::super::kms_call::{with_note, KmsCall};
use super::super::operations::{CreateRequest, CreateResult};
use super::super::property::{PropertyMap, PropertyValue, UnknownKind};
use super::super::resource::known_outputs;
use super::super::timestamp::normalise_timestamp;
use super::key_file::{self, StagedKeyFile};
use super::reconcile::{describe_lost, reconcile, Resolution};
use super::tracker::{CreatePhase, CreateTicket, CreateTracker};
use super::{ClientKeyInputs, RULES};

pub(super) async fn create(
    context: &OperationContext,
    creates: &Arc<CreateTracker>,
    request: CreateRequest,
    inputs: ClientKeyInputs,
) -> Result<CreateResult, ResourceError> {
    let urn = request.urn.as_deref();
    let client = context.kms.client()?;
    let call = KmsCall::start(context, Operation::Create, urn, request.timeout);

    let staged = match &inputs.private_key_data_file {
        Some(text) => Some(stage_key_file(context, text).await?),
        None => {
            context.engine_log.warning(
                "privateKeyDataFile is not set, so the private key of the new client key is not kept anywhere, and KMS \
                 returns it only once: no application can use this key; set privateKeyDataFile to keep the private key",
                urn,
            );
            None
        }
    };

    let created = {
        let ticket = creates.begin(&inputs.aap_name);
        create_key(&client, &call, &inputs, &ticket).await?
    };
    let client_key_id = created.client_key_id.clone();
    tracing::info!(client_key_id = %client_key_id, aap = %inputs.aap_name, "client key created");

    if let Some(staged) = staged {
        let target = staged.target().to_path_buf();
        let content =
            key_file::key_file_content(&client_key_id, created.private_key_data.expose_secret());
        drop(created.private_key_data);
        if let Err(error) = staged.commit(content).await {
            return Err(undo_after_write_failure(
                &client,
                &call,
                &client_key_id,
                &target.display().to_string(),
                &error.reason,
            )
            .await);
        }
        context.engine_log.info(
            format!(
                "wrote the private key of client key {client_key_id} to {}",
                target.display()
            ),
            urn,
        );
    }

    let mut outputs = known_outputs(request.properties);
    outputs.insert("notBefore".to_owned(), service_time(&created.not_before));
    outputs.insert("notAfter".to_owned(), service_time(&created.not_after));
    match client.get_client_key(&client_key_id, &call.options()).await {
        Ok(reply) => {
            let key = reply.client_key;
            outputs.insert("notBefore".to_owned(), service_time(&key.not_before));
            outputs.insert("notAfter".to_owned(), service_time(&key.not_after));
            outputs.insert("createTime".to_owned(), service_time(&key.create_time));
            Ok(CreateResult {
                id: client_key_id,
                properties: outputs,
            })
        }
        Err(error) => {
            let reason = format!(
                "reading it back (GetClientKey) to learn its createTime failed: {}; the key and its private key file \
                 exist, so keep it: a refresh fills in createTime",
                call.error(error)
            );
            Err(ResourceError::ResourceInitFailed {
                resource: RULES.name,
                id: client_key_id,
                properties: outputs,
                reasons: vec![reason],
            })
        }
    }
}

/// The outputs of a preview: the inputs, with what KMS decides unknown.
pub(super) fn planned_outputs(properties: PropertyMap) -> PropertyMap {
    let mut outputs = known_outputs(properties);
    outputs.insert(
        "createTime".to_owned(),
        PropertyValue::Unknown(UnknownKind::String),
    );
    for property in ["notBefore", "notAfter"] {
        outputs
            .entry(property.to_owned())
            .or_insert(PropertyValue::Unknown(UnknownKind::String));
    }
    outputs
}

/// A time as KMS returned it, normalised when it is a valid RFC 3339 time.
pub(super) fn service_time(text: &str) -> PropertyValue {
    PropertyValue::String(normalise_timestamp(text).unwrap_or_else(|_| text.to_owned()))
}

async fn stage_key_file(
    context: &OperationContext,
    text: &str,
) -> Result<StagedKeyFile, ResourceError> {
    let refuse = |path: String, reason: String| ResourceError::LocalIo {
        message: format!(
            "cannot write the private key file {path}: {reason}; nothing was created in KMS"
        ),
        path,
        client_key_id: None,
    };
    let target = key_file::resolve_path(text, &context.working_directory)
        .map_err(|reason| refuse(text.to_owned(), reason))?;
    StagedKeyFile::create(target.clone())
        .await
        .map_err(|error| refuse(target.display().to_string(), error.reason))
}

/// CreateClientKey, with at most one more attempt after a lost reply was resolved (the key it made,
/// if any, deleted). Every key made is recorded on the ticket.
async fn create_key(
    client: &Client,
    call: &KmsCall,
    inputs: &ClientKeyInputs,
    ticket: &CreateTicket,
) -> Result<CreateClientKeyResponse, ResourceError> {
    let request = CreateClientKeyRequest {
        aap_name: inputs.aap_name.clone(),
        password: inputs.password.clone(),
        not_before: inputs.not_before.clone(),
        not_after: inputs.not_after.clone(),
    };
    let mut tried_again = false;
    loop {
        let attempt_started = Utc::now();
        ticket.set_phase(CreatePhase::Attempting);
        let error = match client.create_client_key(&request, &call.options()).await {
            Ok(reply) => {
                ticket.record_key(&reply.client_key_id);
                ticket.set_phase(CreatePhase::Settled);
                return Ok(reply);
            }
            Err(error) if error.is_outcome_unknown() => error,
            Err(error) => {
                // A definite refusal: nothing was made.
                ticket.set_phase(CreatePhase::Settled);
                return Err(create_refused(call, &inputs.aap_name, error));
            }
        };
        if error.is_cancelled() {
            return Err(with_note(
                call.error(error),
                &format!(
                    "the request may have created a client key on {} before the cancellation, and its private key \
                     was lost; list the keys with `aliyun kms ListClientKeys --AapName {}` and delete any created at \
                     {} that no resource uses",
                    inputs.aap_name,
                    inputs.aap_name,
                    attempt_started.format("%Y-%m-%dT%H:%M:%SZ")
                ),
            ));
        }
        let may_try_again = !tried_again && !call.deadline_passed() && !call.is_cancelled();
        let what_happened = describe_lost(&error);
        match reconcile(client, call, &request, ticket, attempt_started, &error).await? {
            Resolution::NoKey => {
                ticket.set_phase(CreatePhase::Settled);
                if may_try_again {
                    call.engine_log().warning(
                        format!("{what_happened}; no key was made, so the provider creates the client key again"),
                        call.urn(),
                    );
                    tried_again = true;
                    continue;
                }
                return Err(with_note(
                    call.error(error),
                    &format!(
                        "no client key was left behind (the keys of {} show none from this attempt); run the update again",
                        inputs.aap_name
                    ),
                ));
            }
            Resolution::DeletedLostKey(id) => {
                ticket.set_phase(CreatePhase::Settled);
                if may_try_again {
                    call.engine_log().warning(
                        format!(
                            "{what_happened}; the key it made ({id}) was deleted because its private key was lost with \
                             the reply, and the provider creates the client key again"
                        ),
                        call.urn(),
                    );
                    tried_again = true;
                    continue;
                }
                return Err(with_note(
                    call.error(error),
                    &format!(
                        "the key it made ({id}) was deleted because its private key was lost with the reply, so no \
                         client key was left behind; run the update again"
                    ),
                ));
            }
            Resolution::Unclear(ambiguous) => {
                ticket.set_phase(CreatePhase::Unresolved);
                return Err(ambiguous);
            }
        }
    }
}

/// The error for a CreateClientKey that KMS refused, with advice that knows the inputs.
fn create_refused(call: &KmsCall, aap_name: &str, error: KmsError) -> ResourceError {
    let hint = match error.service_code() {
        Some(_) if error.is_not_found() => Some(format!(
            "create the application access point {aap_name} first, or fix aapName"
        )),
        Some(code) if code.starts_with("InvalidParameter") => Some(
            "check password (8 to 64 characters from letters, digits and ~!@#$%^&*?_-, mixing at least two of \
             those kinds), notBefore and notAfter (both or neither, notBefore earlier)"
                .to_owned(),
        ),
        _ => error.service_hint(),
    };
    call.error_with_hint(error, hint)
}

/// The error after the key file could not be written: the key is deleted again, since nobody can
/// ever use it; if that fails too, the error names it and says how to delete it.
async fn undo_after_write_failure(
    client: &Client,
    call: &KmsCall,
    client_key_id: &str,
    path: &str,
    reason: &str,
) -> ResourceError {
    let outcome = client
        .delete_client_key(client_key_id, &call.cleanup_options())
        .await;
    match outcome {
        Ok(_) => ResourceError::LocalIo {
            path: path.to_owned(),
            message: format!(
                "could not write the private key file {path}: {reason}; the new client key {client_key_id} was \
                 deleted again so that no key without its private key is left behind; fix the problem and run the \
                 update again"
            ),
            client_key_id: None,
        },
        Err(error) if error.is_not_found() => ResourceError::LocalIo {
            path: path.to_owned(),
            message: format!(
                "could not write the private key file {path}: {reason}; the new client key {client_key_id} is \
                 already gone; fix the problem and run the update again"
            ),
            client_key_id: None,
        },
        Err(error) => {
            let delete_error = call.error(error);
            tracing::error!(client_key_id, "orphaned client key: its private key could not be written and it could not be deleted");
            ResourceError::LocalIo {
                path: path.to_owned(),
                message: format!(
                    "could not write the private key file {path}: {reason}; deleting the new client key \
                     {client_key_id} failed as well ({delete_error}), so it exists without its private key: delete it \
                     with `aliyun kms DeleteClientKey --ClientKeyId {client_key_id}` (or in the KMS console), then fix \
                     the problem and run the update again"
                ),
                client_key_id: Some(client_key_id.to_owned()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_leaves_what_kms_decides_unknown() {
        let properties = PropertyMap::from([
            ("aapName".to_owned(), PropertyValue::String("aap".into())),
            (
                "password".to_owned(),
                PropertyValue::String("YouPassword123!".into()).into_secret(),
            ),
            ("__defaults".to_owned(), PropertyValue::Array(vec![])),
        ]);
        let outputs = planned_outputs(properties);
        let names: Vec<&str> = outputs.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["aapName", "createTime", "notAfter", "notBefore", "password"]
        );
        assert!(outputs["createTime"].is_unknown());
        assert!(outputs["notBefore"].is_unknown());
        assert!(outputs["password"].is_secret());
    }
}
