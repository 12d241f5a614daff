//! `create` of a client key (outside a preview): CreateClientKey (resolving a lost reply, see
//! `reconcile`), then the private key file, then GetClientKey for `createTime`.
//!
//! The order is chosen so that no key is ever left without its private half unnoticed:
//! 1. the key file's lock is taken and the temporary key file created first, so an unwritable
//!    directory, or another create writing the same file, fails before KMS is called; and if the
//!    file already holds a key, the create stops there, before any KMS call: writing would
//!    replace that key's only private key;
//! 2. the AAP's keys are listed (the snapshot a lost reply is resolved against), and the key is
//!    created, with the validity the user set or one the provider chooses (see `validity`);
//! 3. the file is written and renamed into place; if that fails, the key is deleted again (and an
//!    error names it if even that fails);
//! 4. only then is the key read back; if that read fails, the key and its file both exist, so the
//!    error is `resource_init_failed` with the id, and the engine keeps the key in its state.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Utc;

use crate::kms::{Client, KmsError};

use super::super::context::OperationContext;
use super::super::declaration::Properties;
use super::super::error::{Operation, ResourceError};
use super::super::kms_call::{describe_lost, with_note, KmsCall};
use super::super::operations::{Create, Created};
use super::super::timestamp::normalise_timestamp;
use super::declaration::{ClientKeyInputs, ClientKeyState, DECLARATION, PROPERTY};
use super::key_file::{self, StagedKeyFile};
use super::kms::{
    create_client_key, delete_client_key, get_client_key, list_client_keys, CreateClientKeyRequest,
    CreateClientKeyResponse, ListClientKeysRequest,
};
use super::reconcile::{reconcile, Evidence, Resolution, SentValidity};
use super::tracker::{CreateTicket, CreateTracker};
use super::validity::{self, Validity};

pub(super) async fn create(
    context: &OperationContext,
    creates: &Arc<CreateTracker>,
    request: Create<ClientKeyInputs>,
) -> Result<Created<ClientKeyState>, ResourceError> {
    let Create {
        urn,
        inputs,
        timeout,
    } = request;
    let urn = urn.as_deref();
    let client = context.kms.client().await?;
    let call = KmsCall::start(context, Operation::Create, urn, timeout);

    let staged = match &inputs.private_key_data_file {
        Some(text) => {
            let staged = stage_key_file(context, text).await?;
            refuse_to_replace_a_held_key(&staged).await?;
            Some(staged)
        }
        None => {
            let key_file = PROPERTY.private_key_data_file;
            context.engine_log.warning(
                format!(
                    "{key_file} is not set, so the private key of the new client key is not kept anywhere, and KMS \
                     returns it only once: no application can use this key; set {key_file} to keep the private key"
                ),
                urn,
            );
            None
        }
    };

    let (created, lost_attempts) = {
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

    // What exists now, as CreateClientKey returned it; GetClientKey adds createTime.
    let mut state = ClientKeyState {
        aap_name: Some(inputs.aap_name),
        not_before: Some(service_time(&created.not_before)),
        not_after: Some(service_time(&created.not_after)),
        ..ClientKeyState::default()
    };
    match get_client_key(&client, &client_key_id, &call.options()).await {
        Ok(reply) => {
            let key = reply.client_key;
            state.not_before = Some(service_time(&key.not_before));
            state.not_after = Some(service_time(&key.not_after));
            state.create_time = Some(service_time(&key.create_time));
            Ok(Created {
                id: client_key_id,
                state,
                warnings: lost_attempts,
            })
        }
        Err(error) => {
            let reason = format!(
                "reading it back (GetClientKey) to learn its {} failed: {}; the key and its private key file \
                 exist, so keep it: a refresh fills in {}",
                PROPERTY.create_time,
                call.error(error),
                PROPERTY.create_time
            );
            Err(ResourceError::ResourceInitFailed {
                resource: DECLARATION.name,
                id: client_key_id,
                properties: state.encode(),
                reasons: vec![reason],
            })
        }
    }
}

/// A time as KMS writes it, in the form the state holds (the text itself if it is not a time).
pub(super) fn service_time(text: &str) -> String {
    normalise_timestamp(text).unwrap_or_else(|_| text.to_owned())
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
        held_client_key_id: None,
    };
    let target = key_file::resolve_path(text, &context.working_directory)
        .map_err(|reason| refuse(text.to_owned(), reason))?;
    StagedKeyFile::create(target.clone())
        .await
        .map_err(|error| refuse(target.display().to_string(), error.reason))
}

/// Stops the create when the file it would write already holds the private key of a client key:
/// writing would replace that key's only copy (a second ClientKey on the same file, in another
/// run or another process than the first). Nothing is asked of KMS: whether that key still
/// exists cannot be told from here, since the file does not say in which account or region it
/// was made, and a NotFound from this provider's account would not prove another account's key
/// dead. A replacement keeps its file by deleting the old key first (the delete removes the file
/// of the key it deleted), as `diff` asks. Runs under the key file's lock, before KMS is asked
/// for anything.
async fn refuse_to_replace_a_held_key(staged: &StagedKeyFile) -> Result<(), ResourceError> {
    let target = staged.target().to_path_buf();
    let path = target.display().to_string();
    let reading = target.clone();
    let held = tokio::task::spawn_blocking(move || key_file::read_held_key(&reading))
        .await
        .map_err(|error| std::io::Error::other(error.to_string()))
        .and_then(|held| held);
    let held_id = match held {
        Ok(key_file::Held::Key(id)) => id,
        Ok(_) => return Ok(()),
        Err(error) => {
            return Err(ResourceError::LocalIo {
                message: format!(
                    "cannot read the private key file {path} to make sure it holds no client key's private key ({}); \
                     nothing was created in KMS",
                    key_file::describe_io_error(&error)
                ),
                path,
                client_key_id: None,
                held_client_key_id: None,
            })
        }
    };
    Err(ResourceError::LocalIo {
        message: format!(
            "the private key file {path} already holds the private key of client key {held_id}, and writing a new key \
             there would replace that key's only copy; nothing was created in KMS: give this ClientKey its own \
             privateKeyDataFile (if it replaces {held_id} with the same file, let the engine delete {held_id} first, \
             as diff asks, rather than forcing create-before-delete; if {held_id} no longer exists in any account or \
             region, move the file away and run again)"
        ),
        path,
        client_key_id: None,
        held_client_key_id: Some(held_id),
    })
}

/// CreateClientKey, with at most one more attempt after a lost reply was resolved (the key it
/// made, if any, deleted). Before the first attempt the AAP's keys are listed, the snapshot that
/// tells the keys that appear afterwards apart (see `reconcile`). Every key made is recorded on
/// the ticket. With the reply, the notes the success must carry: one per lost attempt, naming
/// the dates it sent, so that a key it makes later can be recognised.
async fn create_key(
    client: &Client,
    call: &KmsCall,
    inputs: &ClientKeyInputs,
    ticket: &CreateTicket,
) -> Result<(CreateClientKeyResponse, Vec<String>), ResourceError> {
    let aap_name = &inputs.aap_name;
    let sent = match (&inputs.not_before, &inputs.not_after) {
        (Some(not_before), Some(not_after)) => SentValidity::Requested(Validity {
            not_before: not_before.clone(),
            not_after: not_after.clone(),
        }),
        // `check` lets through both dates or neither; neither: the provider chooses.
        _ => SentValidity::Chosen(Vec::new()),
    };
    let mut evidence = Evidence {
        aap_name: aap_name.clone(),
        keys_before: keys_before(client, call, aap_name).await?,
        sent,
        first_attempt: Utc::now(),
    };
    let mut tried_again = false;
    let mut lost_attempts = Vec::new();
    loop {
        let validity = match &mut evidence.sent {
            SentValidity::Requested(validity) => validity.clone(),
            SentValidity::Chosen(chosen) => {
                let validity = validity::choose(Utc::now(), validity::random_nonce());
                chosen.push(validity.clone());
                validity
            }
        };
        let request = CreateClientKeyRequest {
            aap_name: aap_name.clone(),
            password: inputs.password.clone(),
            not_before: Some(validity.not_before.clone()),
            not_after: Some(validity.not_after.clone()),
        };
        ticket.set_attempting(true);
        let outcome = create_client_key(client, &request, &call.options()).await;
        if let Ok(reply) = &outcome {
            // Known before the attempt counts as ended, so that no resolution waiting for it
            // mistakes this key for a candidate.
            ticket.record_key(&reply.client_key_id);
        }
        ticket.set_attempting(false);
        let error = match outcome {
            Ok(reply) => return Ok((reply, lost_attempts)),
            Err(error) if error.is_outcome_unknown() => error,
            // A definite refusal: nothing was made.
            Err(error) => return Err(create_refused(call, aap_name, error)),
        };
        let what_happened = describe_lost(&error);
        let settled = call.lost_create_settle().as_secs_f64();
        let done = match reconcile(client, call, &evidence, ticket, &error).await {
            Resolution::NoKey => format!(
                "no key was made as far as KMS shows (no key with {} appeared on {aap_name}, listed at once and \
                 again {settled}s later)",
                validity.describe()
            ),
            Resolution::DeletedLostKeys(ids) => format!(
                "the key it made ({}, with {}) was deleted because its private key was lost with the reply",
                ids.join(", "),
                validity.describe()
            ),
            Resolution::KeysLeft(error) => return Err(error),
        };
        // KMS may still carry out the request after the search (delivered later than the settle
        // delay): whatever happens next, the reply and the log name the key to look out for.
        let later = format!(
            "if it still reaches KMS, {}",
            key_that_may_appear(aap_name, &evidence.sent, &validity)
        );
        // Decided after the search, which a cancellation does not stop.
        if !tried_again && !call.deadline_passed() && !call.is_cancelled() {
            let note = format!("{what_happened}; {done}; {later}");
            call.engine_log().warning(
                format!("{note}; the provider creates the client key again"),
                call.urn(),
            );
            tracing::warn!(aap = %aap_name, dates = %validity.describe(), "a CreateClientKey reply was lost; creating again");
            lost_attempts.push(note);
            tried_again = true;
            continue;
        }
        let note =
            format!("{done}, so no client key was left behind; {later}; run the update again");
        call.engine_log()
            .warning(format!("{what_happened}; {note}"), call.urn());
        return Err(with_note(call.lost_create_error(error), &note));
    }
}

/// The key that may yet appear after an attempt whose reply was lost, which sent `validity`.
fn key_that_may_appear(aap_name: &str, sent: &SentValidity, validity: &Validity) -> String {
    let dates = format!(
        "a key of {aap_name} with {} that appears later",
        validity.describe()
    );
    match sent {
        SentValidity::Chosen(_) => format!(
            "{dates} is this create's (the provider chose those dates for it) and unusable, its private key \
             lost: delete it with `aliyun kms DeleteClientKey --ClientKeyId <id>`"
        ),
        SentValidity::Requested(_) => format!(
            "{dates} may be this create's (unusable, its private key lost) or another stack's with the same \
             dates: delete it only if no stack has it in its state"
        ),
    }
}

/// The ids of the AAP's keys, listed before the first CreateClientKey.
async fn keys_before(
    client: &Client,
    call: &KmsCall,
    aap_name: &str,
) -> Result<HashSet<String>, ResourceError> {
    let request = ListClientKeysRequest {
        aap_name: Some(aap_name.to_owned()),
    };
    match list_client_keys(client, &request, &call.options()).await {
        Ok(reply) => Ok(reply
            .client_keys
            .into_iter()
            .map(|key| key.client_key_id)
            .collect()),
        Err(error) => {
            let hint = if error.is_not_found() {
                Some(format!(
                    "create the application access point {aap_name} first, or fix aapName"
                ))
            } else {
                error.service_hint()
            };
            Err(with_note(
                call.error_with_hint(error, hint),
                "the provider lists the access point's keys before it creates one (to tell its own key apart if \
                 the reply is lost); nothing was created",
            ))
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
    let cleanup = call.cleanup();
    let outcome = delete_client_key(client, client_key_id, cleanup.options()).await;
    match outcome {
        Ok(_) => ResourceError::LocalIo {
            path: path.to_owned(),
            message: format!(
                "could not write the private key file {path}: {reason}; the new client key {client_key_id} was \
                 deleted again so that no key without its private key is left behind; fix the problem and run the \
                 update again"
            ),
            client_key_id: None,
            held_client_key_id: None,
        },
        Err(error) if error.is_not_found() => ResourceError::LocalIo {
            path: path.to_owned(),
            message: format!(
                "could not write the private key file {path}: {reason}; the new client key {client_key_id} is \
                 already gone; fix the problem and run the update again"
            ),
            client_key_id: None,
            held_client_key_id: None,
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
                    held_client_key_id: None,
            }
        }
    }
}
