//! Resolving a CreateClientKey whose reply was lost (`KmsError::OutcomeUnknown`): did it make a
//! key, and which one?
//!
//! The AAP's keys are listed. A candidate is a key that no create of this process is known to have
//! made, whose `CreateTime` falls in the attempt's window (from the attempt's start to now, widened
//! by [`CLOCK_SKEW`] on both sides, since `CreateTime` has whole seconds and comes from another
//! clock), and whose validity is the one requested (the requested `NotBefore`/`NotAfter`, or, when
//! none was requested, a `NotBefore` at its creation, which is KMS's default).
//!
//! - No candidate: the request made nothing (or what it made is already gone); creating again is
//!   safe.
//! - Exactly one, and no other create on the AAP in this process has an unknown outcome: it is the
//!   key this attempt made. Its private key was lost with the reply, so nobody can ever use it: it
//!   is deleted, and the create may be tried again.
//! - Otherwise (several, or a concurrent create whose outcome is unknown too): no key can be
//!   attributed safely, nothing is deleted, and the error (-32060 `ambiguous_create`) names the
//!   candidates.

use chrono::{DateTime, Duration, DurationRound, Utc};

use crate::kms::{Client, ClientKey, CreateClientKeyRequest, KmsError, ListClientKeysRequest};

use super::super::error::ResourceError;
use super::super::kms_call::KmsCall;
use super::super::timestamp::parse_timestamp;
use super::tracker::{CreatePhase, CreateTicket};

/// How far `CreateTime` may lie outside the attempt's window: the service's clock may differ
/// from this machine's by a few seconds, and `CreateTime` is truncated to whole seconds.
pub const CLOCK_SKEW: std::time::Duration = std::time::Duration::from_secs(5);

/// What a lost create turned out to have done.
#[derive(Debug)]
pub enum Resolution {
    /// No key appeared: nothing to clean up.
    NoKey,
    /// Exactly one key appeared, and it was deleted (its private key was lost).
    DeletedLostKey(String),
    /// No key could be attributed safely; the error to return names the candidates.
    Unclear(ResourceError),
}

/// Finds out what the lost create made, and deletes it when that is certain.
pub async fn reconcile(
    client: &Client,
    call: &KmsCall,
    request: &CreateClientKeyRequest,
    ticket: &CreateTicket,
    attempt_started: DateTime<Utc>,
    lost: &KmsError,
) -> Result<Resolution, ResourceError> {
    ticket.set_phase(CreatePhase::Reconciling);
    let aap_name = &request.aap_name;
    let lost = describe_lost(lost);
    let skew = Duration::from_std(CLOCK_SKEW).unwrap_or(Duration::zero());
    let window_start = attempt_started
        .duration_trunc(Duration::seconds(1))
        .unwrap_or(attempt_started)
        - skew;
    let options = call.cleanup_options();
    call.engine_log().warning(
        format!("{lost}; looking for the client key it may have made on {aap_name}"),
        call.urn(),
    );

    // Creates of this process on the same AAP whose request is in flight will learn their key id
    // soon; waiting for them keeps their keys out of the candidates.
    let settled = ticket
        .tracker()
        .wait_for_other_attempts(
            ticket,
            window_start,
            options.deadline,
            &options.cancellation,
        )
        .await;

    let listed = client
        .list_client_keys(
            &ListClientKeysRequest {
                aap_name: Some(aap_name.clone()),
            },
            &options,
        )
        .await;
    let keys = match listed {
        Ok(reply) => reply.client_keys,
        Err(error) => {
            let list_error = call.error(error);
            return Err(ResourceError::AmbiguousCreate {
                message: format!(
                    "{lost}; looking for the key it may have made failed ({list_error}); list the keys of {aap_name} \
                     with `aliyun kms ListClientKeys --AapName {aap_name}` and delete any created at {} that no \
                     resource uses (its private key was lost), then run the update again",
                    attempt_started.format("%Y-%m-%dT%H:%M:%SZ")
                ),
                candidate_ids: Vec::new(),
            });
        }
    };
    let window_end = Utc::now() + skew;
    let assessment = ticket.tracker().assess(ticket, window_start);
    let candidates: Vec<&ClientKey> = keys
        .iter()
        .filter(|key| key.aap_name == *aap_name || key.aap_name.is_empty())
        .filter(|key| !assessment.known_key_ids.contains(&key.client_key_id))
        .filter(|key| may_be_from_attempt(key, request, window_start, window_end))
        .collect();
    let candidate_ids: Vec<String> = candidates
        .iter()
        .map(|key| key.client_key_id.clone())
        .collect();

    let unsafe_because = if candidates.is_empty() {
        return Ok(Resolution::NoKey);
    } else if !settled || assessment.others_unresolved {
        Some("another create on the same application access point ran at the same time and its outcome is not known either")
    } else if candidates.len() > 1 {
        Some("several keys appeared during the attempt")
    } else {
        None
    };
    if let Some(why) = unsafe_because {
        return Ok(Resolution::Unclear(ambiguous(
            &lost,
            aap_name,
            &candidate_ids,
            why,
        )));
    }

    let id = candidate_ids[0].clone();
    match client.delete_client_key(&id, &options).await {
        Ok(_) => Ok(Resolution::DeletedLostKey(id)),
        Err(error) if error.is_not_found() => Ok(Resolution::DeletedLostKey(id)),
        Err(error) => {
            let why = format!(
                "the key that appeared ({id}) is unusable because its private key was lost, but deleting it failed: {}",
                call.error(error)
            );
            Ok(Resolution::Unclear(ambiguous(
                &lost,
                aap_name,
                &candidate_ids,
                &why,
            )))
        }
    }
}

/// Whether `key` may be the one the attempt made.
fn may_be_from_attempt(
    key: &ClientKey,
    request: &CreateClientKeyRequest,
    window_start: DateTime<Utc>,
    window_end: DateTime<Utc>,
) -> bool {
    // A time that cannot be read cannot rule the key out.
    let Ok(created) = parse_timestamp(&key.create_time) else {
        return true;
    };
    if created < window_start || created > window_end {
        return false;
    }
    let same_instant =
        |given: &str, reported: &str| match (parse_timestamp(given), parse_timestamp(reported)) {
            (Ok(given), Ok(reported)) => given == reported,
            _ => given == reported,
        };
    match (&request.not_before, &request.not_after) {
        (Some(not_before), Some(not_after)) => {
            same_instant(not_before, &key.not_before) && same_instant(not_after, &key.not_after)
        }
        // KMS's default validity starts when the key is made.
        _ => parse_timestamp(&key.not_before).map_or(true, |not_before| {
            (not_before - created).num_seconds().abs()
                <= i64::try_from(CLOCK_SKEW.as_secs()).unwrap_or(i64::MAX)
        }),
    }
}

fn ambiguous(lost: &str, aap_name: &str, candidate_ids: &[String], why: &str) -> ResourceError {
    ResourceError::AmbiguousCreate {
        message: format!(
            "{lost}; it may have made one of these client keys of {aap_name}: {}, but the provider cannot tell \
             which ({why}), so it deleted none; a key whose private key was lost is unusable: delete the ones no \
             resource uses with `aliyun kms DeleteClientKey --ClientKeyId <id>`, then run the update again",
            candidate_ids.join(", ")
        ),
        candidate_ids: candidate_ids.to_vec(),
    }
}

/// What a lost create is, in a sentence: the action, and the failure that lost its reply.
pub fn describe_lost(error: &KmsError) -> String {
    match error {
        KmsError::OutcomeUnknown { action, cause } => {
            format!("{action} failed in a way that leaves open whether it took effect ({cause})")
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kms::SecretString;

    fn key(create_time: &str, not_before: &str, not_after: &str) -> ClientKey {
        ClientKey {
            client_key_id: "KAAP.1".into(),
            aap_name: "aap".into(),
            create_time: create_time.into(),
            not_before: not_before.into(),
            not_after: not_after.into(),
            key_algorithm: None,
            key_origin: None,
            public_key_data: None,
        }
    }

    fn request(validity: Option<(&str, &str)>) -> CreateClientKeyRequest {
        CreateClientKeyRequest {
            aap_name: "aap".into(),
            password: SecretString::new("YouPassword123!"),
            not_before: validity.map(|(before, _)| before.to_owned()),
            not_after: validity.map(|(_, after)| after.to_owned()),
        }
    }

    #[test]
    fn candidates_lie_in_the_window_and_have_the_requested_validity() {
        let start: DateTime<Utc> = "2024-05-01T10:00:00Z".parse().unwrap();
        let end: DateTime<Utc> = "2024-05-01T10:00:30Z".parse().unwrap();
        let seed = Some(("2023-09-01T14:11:22Z", "2028-09-01T14:11:22Z"));
        let table = [
            // (create time, not before, not after, requested validity, candidate?)
            (
                "2024-05-01T10:00:10Z",
                "2023-09-01T14:11:22Z",
                "2028-09-01T14:11:22Z",
                seed,
                true,
            ),
            (
                "2024-05-01T09:59:59Z",
                "2023-09-01T14:11:22Z",
                "2028-09-01T14:11:22Z",
                seed,
                false,
            ),
            (
                "2024-05-01T10:00:31Z",
                "2023-09-01T14:11:22Z",
                "2028-09-01T14:11:22Z",
                seed,
                false,
            ),
            (
                "2024-05-01T10:00:10Z",
                "2023-09-01T14:11:23Z",
                "2028-09-01T14:11:22Z",
                seed,
                false,
            ),
            (
                "2024-05-01T10:00:10Z",
                "2024-05-01T10:00:10Z",
                "2029-05-01T10:00:10Z",
                None,
                true,
            ),
            (
                "2024-05-01T10:00:10Z",
                "2023-09-01T14:11:22Z",
                "2028-09-01T14:11:22Z",
                None,
                false,
            ),
            ("not a time", "x", "y", None, true),
        ];
        for (created, before, after, validity, expected) in table {
            assert_eq!(
                may_be_from_attempt(&key(created, before, after), &request(validity), start, end),
                expected,
                "{created} {before} {after} {validity:?}"
            );
        }
    }
}
