//! Resolving a CreateClientKey whose reply was lost (`KmsError::OutcomeUnknown`): did it make a
//! key, and can the provider prove which one?
//!
//! The rule: the provider never deletes, or reports as its own, a key it cannot prove it made.
//! The evidence:
//!
//! - **The snapshot.** Before its first attempt, a create lists the AAP's keys. A key in that
//!   list existed before the create and is never its own.
//! - **Keys of this process.** A key another create of this process got a reply for is that
//!   create's (see `tracker`).
//! - **The validity dates.** When the user sets none, the create chose them with a nonce (see
//!   `validity`): a new key with the chosen dates of one of this create's attempts is this
//!   create's. When the user set them, any creator may have used the same dates: a new key with
//!   those dates might be anyone's.
//!
//! The AAP's keys are listed again, and the new ones (not in the snapshot, not another create's)
//! with the dates this create sent are the candidates. When there are none, the provider waits
//! a settle delay (`OperationContext::lost_create_settle`) and lists once more: a request that
//! reaches KMS late, or a list that lags, shows up then. What it finds:
//!
//! - none: the request made nothing (or what it made is already gone); creating again is safe;
//! - with dates the provider chose: they are this create's; their private keys were lost with
//!   the reply, so they are deleted, and the create may be tried again;
//! - with dates the user set: nothing tells this create's key from one another stack made at the
//!   same time with the same dates, so nothing is deleted and the error (`-32060
//!   ambiguous_create`) names every candidate and says how to check them.
//!
//! All of this runs under the clean-up budget (`KmsCall::cleanup`), not under the operation's
//! cancellation: a cancelled create still finds and deletes the key it made, or names it.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::kms::{Client, KmsError};

use super::super::error::ResourceError;
use super::super::kms_call::{describe_lost, KmsCall};
use super::kms::{delete_client_key, list_client_keys, ClientKey, ListClientKeysRequest};
use super::tracker::CreateTicket;
use super::validity::Validity;

/// The dates a create sent, and whether they prove authorship.
#[derive(Clone, Debug)]
pub enum SentValidity {
    /// The user's dates: the same for every create that uses them.
    Requested(Validity),
    /// The dates the provider chose, one pair per attempt so far.
    Chosen(Vec<Validity>),
}

/// What a lost create turned out to have done.
#[derive(Debug)]
pub enum Resolution {
    /// No new key with the dates sent, in either listing: nothing to clean up (yet; the caller
    /// names the dates of the key that may still appear).
    NoKey,
    /// This create's keys (proven by their dates) were deleted: their private keys were lost.
    DeletedLostKeys(Vec<String>),
    /// Keys were left in KMS that the provider cannot prove its own, or could not delete; the
    /// error names them.
    KeysLeft(ResourceError),
}

/// What a create keeps to resolve a lost reply.
#[derive(Debug)]
pub struct Evidence {
    pub aap_name: String,
    /// The ids of the AAP's keys before the first attempt.
    pub keys_before: HashSet<String>,
    /// The dates sent so far.
    pub sent: SentValidity,
    /// When the first attempt started (for messages).
    pub first_attempt: DateTime<Utc>,
}

/// Finds out what the lost create made, and deletes it when it is proven its own.
pub async fn reconcile(
    client: &Client,
    call: &KmsCall,
    evidence: &Evidence,
    ticket: &CreateTicket,
    lost: &KmsError,
) -> Resolution {
    let Evidence {
        aap_name,
        keys_before,
        sent,
        first_attempt,
    } = evidence;
    let aap_name = aap_name.as_str();
    let first_attempt = *first_attempt;
    let lost = describe_lost(lost);
    let cleanup = call.cleanup();
    let options = cleanup.options();
    call.engine_log().warning(
        format!("{lost}; looking for the client key it may have made on {aap_name}"),
        call.urn(),
    );
    // A create of this process whose request is in flight will soon know its key; waiting keeps
    // that key out of the candidates. Only needed when the dates prove nothing.
    if let SentValidity::Requested(_) = sent {
        ticket
            .tracker()
            .wait_for_other_attempts(ticket, options.deadline, &options.cancellation)
            .await;
    }
    // The new keys of the AAP with the dates this create sent; the error names the dates to look
    // for when the list cannot be had.
    let candidates = || async {
        let listed = list_client_keys(
            client,
            &ListClientKeysRequest {
                aap_name: Some(aap_name.to_owned()),
            },
            options,
        )
        .await;
        let keys = listed.map_err(|error| {
            ResourceError::AmbiguousCreate {
                message: format!(
                    "{lost}; looking for the key it may have made failed ({}), so the provider deleted none and \
                     claims none; {}",
                    call.error(error),
                    how_to_find(aap_name, sent, first_attempt)
                ),
                candidate_ids: Vec::new(),
            }
        })?;
        let others = ticket.tracker().keys_of_other_creates(ticket);
        Ok::<Vec<ClientKey>, ResourceError>(
            keys.client_keys
                .into_iter()
                .filter(|key| key.aap_name == aap_name || key.aap_name.is_empty())
                .filter(|key| !keys_before.contains(&key.client_key_id))
                .filter(|key| !others.contains(&key.client_key_id))
                .filter(|key| sent.includes(&key.not_before, &key.not_after))
                .collect(),
        )
    };
    let mut matching = match candidates().await {
        Ok(matching) => matching,
        Err(error) => return Resolution::KeysLeft(error),
    };
    if matching.is_empty() {
        // Nothing yet: the request may still reach KMS, or the list lag. The wait ends early only
        // when the clean-up budget does (a cancellation's grace), and the listing then fails.
        call.engine_log().warning(
            format!(
                "no client key with the dates it sent is on {aap_name} yet; listing again in {}s, in case KMS \
                 receives the request late",
                call.lost_create_settle().as_secs_f64()
            ),
            call.urn(),
        );
        call.settle(options).await;
        matching = match candidates().await {
            Ok(matching) => matching,
            Err(error) => return Resolution::KeysLeft(error),
        };
    }
    if matching.is_empty() {
        return Resolution::NoKey;
    }
    let ids: Vec<String> = matching
        .iter()
        .map(|key| key.client_key_id.clone())
        .collect();
    let SentValidity::Chosen(_) = sent else {
        return Resolution::KeysLeft(unprovable(&lost, aap_name, sent, &ids));
    };

    // Proven this create's: delete them, their private keys are lost.
    let mut failures = Vec::new();
    for id in &ids {
        match delete_client_key(client, id, options).await {
            Ok(_) => tracing::info!(client_key_id = %id, "deleted the key of a lost create"),
            Err(error) if error.is_not_found() => {}
            Err(error) => failures.push((id.clone(), call.error(error).to_string())),
        }
    }
    if failures.is_empty() {
        return Resolution::DeletedLostKeys(ids);
    }
    let failed_ids: Vec<String> = failures.iter().map(|(id, _)| id.clone()).collect();
    let reasons: Vec<String> = failures
        .iter()
        .map(|(id, reason)| format!("{id}: {reason}"))
        .collect();
    tracing::error!(client_key_ids = ?failed_ids, "orphaned client keys: a lost create made them and deleting them failed");
    Resolution::KeysLeft(ResourceError::AmbiguousCreate {
        message: format!(
            "{lost}; it made {} (the validity dates the provider chose for this create prove it: {}), whose \
             private key was lost with the reply, and deleting it failed ({}); nobody can use such a key: delete \
             it with `aliyun kms DeleteClientKey --ClientKeyId <id>`, then run the update again",
            failed_ids.join(", "),
            sent.describe(),
            reasons.join("; ")
        ),
        candidate_ids: failed_ids,
    })
}

impl SentValidity {
    /// Whether a key with these dates may be one this create made.
    pub fn includes(&self, not_before: &str, not_after: &str) -> bool {
        match self {
            SentValidity::Requested(validity) => validity.matches(not_before, not_after),
            SentValidity::Chosen(chosen) => chosen
                .iter()
                .any(|validity| validity.matches(not_before, not_after)),
        }
    }

    /// The dates sent, for messages: `NotBefore ... and NotAfter ...` (each pair, for chosen ones).
    pub fn describe(&self) -> String {
        let pairs: Vec<String> = match self {
            SentValidity::Requested(validity) => vec![validity.describe()],
            SentValidity::Chosen(chosen) => chosen.iter().map(Validity::describe).collect(),
        };
        pairs.join(", or ")
    }
}

/// The error when keys with the user's dates appeared: any creator may have made them.
fn unprovable(lost: &str, aap_name: &str, sent: &SentValidity, ids: &[String]) -> ResourceError {
    let dates = match sent {
        SentValidity::Requested(validity) => {
            format!("{} to {}", validity.not_before, validity.not_after)
        }
        SentValidity::Chosen(_) => sent.describe(),
    };
    ResourceError::AmbiguousCreate {
        message: format!(
            "{lost}; while it was in flight these client keys of {aap_name} with the requested validity ({dates}) \
             appeared: {}; one may be the key this create made (its private key lost with the reply), and any may \
             have been made at the same time by another stack or program with the same dates: nothing tells \
             them apart, so the provider deleted none and claims none; check each one (a key a stack uses is in \
             that stack's state, see `pulumi stack export`, and its creator holds its key file; `aliyun kms \
             ListClientKeys --AapName {aap_name}` lists the keys) and delete only a key nobody holds, with \
             `aliyun kms DeleteClientKey --ClientKeyId <id>`; then run the update again (leaving notBefore and \
             notAfter out lets the provider choose dates that prove which key is its own)",
            ids.join(", ")
        ),
        candidate_ids: ids.to_vec(),
    }
}

/// How the user finds the key a lost create may have made, when the provider could not look.
fn how_to_find(aap_name: &str, sent: &SentValidity, first_attempt: DateTime<Utc>) -> String {
    let list = format!("`aliyun kms ListClientKeys --AapName {aap_name}` lists the keys");
    match sent {
        SentValidity::Chosen(_) => {
            format!(
                "a key of {aap_name} with {} is this create's (the provider chose those dates for it) and unusable, \
                 its private key lost: delete it with `aliyun kms DeleteClientKey --ClientKeyId <id>` ({list}), \
                 then run the update again",
                sent.describe()
            )
        }
        SentValidity::Requested(validity) => format!(
            "a key of {aap_name} created at {} or later with NotBefore {} and NotAfter {} may be this create's, \
             or another stack's with the same dates: check each one ({list}; a key a stack uses is in that \
             stack's state) and delete only a key nobody holds, then run the update again",
            first_attempt.format("%Y-%m-%dT%H:%M:%SZ"),
            validity.not_before,
            validity.not_after
        ),
    }
}
