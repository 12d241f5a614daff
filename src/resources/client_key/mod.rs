//! `alicloud-kms:index:ClientKey`: a client key of an application access point. Its input rules
//! (the KMS password rule, the validity period), its diff hints, and its operations.
//!
//! A client key cannot be changed: every input replaces it (the schema says so with
//! `willReplaceOnChanges`), so its `update` is the trait's default, which changes nothing. KMS returns the private key only in the
//! reply that creates the key, and never returns the password, so neither can be read back: an
//! imported key has no `password` and no `privateKeyDataFile` in its state, which the diff engine
//! must not mistake for a change (`write_only_inputs`).

mod create;
pub mod declaration;
pub mod key_file;
pub mod kms;
mod lifecycle;
mod reconcile;
mod tracker;
mod validity;

use std::path::Path;
use std::sync::Arc;

use crate::kms::SecretString;

use super::check_not_blank;
use super::context::OperationContext;
use super::declaration::Declaration;
use super::error::{CheckFailure, ResourceError};
use super::operations::{CreateRequest, CreateResult, DeleteRequest, ReadRequest, ReadResult};
use super::property::{PropertyMap, PropertyValue};
use super::resource::Resource;
use super::timestamp::{normalise_timestamp, NORMALISED_TIME_FORMAT};
use declaration::DECLARATION;
use tracker::CreateTracker;

/// The special characters KMS allows in a client key password.
pub const PASSWORD_SPECIAL_CHARACTERS: &str = "~!@#$%^&*?_-";

const MIN_PASSWORD_LENGTH: usize = 8;
const MAX_PASSWORD_LENGTH: usize = 64;

/// The rules of `check` beyond the schema: password, validity period, non-blank names.
fn check_inputs(inputs: &mut PropertyMap, failures: &mut Vec<CheckFailure>) {
    check_not_blank(inputs, "aapName", failures);
    if let Some(password) = inputs.get("password").and_then(PropertyValue::as_str) {
        for reason in password_problems(password) {
            failures.push(CheckFailure::new("password", reason));
        }
    }
    check_not_blank(inputs, "privateKeyDataFile", failures);
    check_validity_period(inputs, failures);
}

/// What is wrong with a password under the KMS rule: 8 to 64 characters from letters, digits and
/// `~!@#$%^&*?_-`, mixing at least two of those three kinds. The reasons never quote the password
/// or any character of it.
///
/// Letters are the ASCII letters (the Chinese documentation says "English upper- and lower-case");
/// upper and lower case count as one kind, the reading of the rule that rejects the least. Both
/// choices are UNCONFIRMED against the live service (see docs/kms-api.md §5.1).
pub fn password_problems(password: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let length = password.chars().count();
    if !(MIN_PASSWORD_LENGTH..=MAX_PASSWORD_LENGTH).contains(&length) {
        problems.push(format!(
            "password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long, not {length}"
        ));
    }
    let disallowed = password
        .chars()
        .filter(|character| {
            !character.is_ascii_alphanumeric() && !PASSWORD_SPECIAL_CHARACTERS.contains(*character)
        })
        .count();
    if disallowed > 0 {
        let characters = if disallowed == 1 {
            "character"
        } else {
            "characters"
        };
        problems.push(format!(
            "password may only contain letters, digits and {PASSWORD_SPECIAL_CHARACTERS} (it has {disallowed} other {characters})"
        ));
    }
    let has_letter = password
        .chars()
        .any(|character| character.is_ascii_alphabetic());
    let has_digit = password.chars().any(|character| character.is_ascii_digit());
    let has_special = password
        .chars()
        .any(|character| PASSWORD_SPECIAL_CHARACTERS.contains(character));
    let kinds = [has_letter, has_digit, has_special]
        .into_iter()
        .filter(|present| *present)
        .count();
    if kinds < 2 {
        problems.push(format!(
            "password must mix at least two of these kinds of characters: letters, digits, special characters ({PASSWORD_SPECIAL_CHARACTERS})"
        ));
    }
    problems
}

/// `notBefore` and `notAfter`: both or neither, each an RFC 3339 time (normalised in place to
/// KMS's form), and `notBefore` strictly before `notAfter`. Unknown values are left alone.
fn check_validity_period(inputs: &mut PropertyMap, failures: &mut Vec<CheckFailure>) {
    let is_set = |property: &str| inputs.get(property).is_some_and(|value| !value.is_null());
    let has_not_before = is_set("notBefore");
    let has_not_after = is_set("notAfter");
    if has_not_before && !has_not_after {
        failures.push(CheckFailure::new(
            "notAfter",
            validity_pair_reason("notAfter", "notBefore"),
        ));
    }
    if has_not_after && !has_not_before {
        failures.push(CheckFailure::new(
            "notBefore",
            validity_pair_reason("notBefore", "notAfter"),
        ));
    }
    let not_before = normalise_time_input(inputs, "notBefore", failures);
    let not_after = normalise_time_input(inputs, "notAfter", failures);
    if let (Some(not_before), Some(not_after)) = (not_before, not_after) {
        // Normalised times compare correctly as text: same format, same zone, fixed width.
        if not_before >= not_after {
            failures.push(CheckFailure::new(
                "notAfter",
                format!("notAfter ({not_after}) must be later than notBefore ({not_before})"),
            ));
        }
    }
}

fn validity_pair_reason(missing: &str, present: &str) -> String {
    format!(
        "{missing} is missing: set notBefore and notAfter together, or leave both out to get a key valid for about five years from its creation ({present} is set)"
    )
}

/// Normalises one known time input in place and returns the normalised text.
fn normalise_time_input(
    inputs: &mut PropertyMap,
    property: &str,
    failures: &mut Vec<CheckFailure>,
) -> Option<String> {
    let value = inputs.get_mut(property)?;
    let text = value.as_str()?;
    match normalise_timestamp(text) {
        Ok(normalised) => {
            *value = value.with_string(normalised.clone());
            Some(normalised)
        }
        Err(error) => {
            failures.push(CheckFailure::new(
                property,
                format!("{property} {error}; it is stored as {NORMALISED_TIME_FORMAT} in UTC"),
            ));
            None
        }
    }
}

/// The checks of `check` that look at the local file system: the directory of
/// `privateKeyDataFile` must exist and be writable, and the path must not be a directory. Only
/// what can be known without writing is checked (`create` makes sure by creating the temporary
/// file before it calls KMS). A file that already holds a key gets a warning, unless the last
/// inputs named the same file (it then holds this resource's own key): a create refuses to
/// replace the file of a key that still exists.
fn check_local(
    inputs: &PropertyMap,
    olds: Option<&PropertyMap>,
    working_directory: &Path,
    failures: &mut Vec<CheckFailure>,
    warnings: &mut Vec<String>,
) {
    let Some(text) = inputs
        .get("privateKeyDataFile")
        .and_then(PropertyValue::as_str)
        .filter(|text| !text.trim().is_empty())
    else {
        return;
    };
    let target = match key_file::resolve_path(text, working_directory) {
        Ok(target) => target,
        Err(reason) => {
            failures.push(CheckFailure::new("privateKeyDataFile", reason));
            return;
        }
    };
    if let Some(reason) = key_file::unwritable_reason(&target) {
        failures.push(CheckFailure::new(
            "privateKeyDataFile",
            format!("privateKeyDataFile cannot be written: {reason}"),
        ));
        return;
    }
    if olds.is_some_and(|olds| same_key_file(olds, inputs, working_directory)) {
        return;
    }
    if let Ok(key_file::Held::Key(id)) = key_file::read_held_key(&target) {
        warnings.push(format!(
            "privateKeyDataFile {} already holds the private key of client key {id}: if that key still exists in \
             KMS, creating this ClientKey will fail rather than replace its only copy (unless it is the key this \
             ClientKey replaces, which is deleted first); give each ClientKey its own file",
            target.display()
        ));
    }
}

/// The key file input of a state or of inputs, when it is set.
fn key_file_input(map: &PropertyMap) -> Option<&PropertyValue> {
    map.get("privateKeyDataFile")
        .map(PropertyValue::unwrap_secret)
        .filter(|value| !value.is_null())
}

/// Whether the state's key file and the new inputs' are one file (the same path once `~` and
/// relative paths are resolved), or may be (the new one is unknown in a preview).
fn same_key_file(olds: &PropertyMap, news: &PropertyMap, working_directory: &Path) -> bool {
    let (Some(old), Some(new)) = (key_file_input(olds), key_file_input(news)) else {
        return false;
    };
    if new.contains_unknown() {
        return true;
    }
    let (Some(old), Some(new)) = (old.as_str(), new.as_str()) else {
        return false;
    };
    if old == new {
        return true;
    }
    match (
        key_file::resolve_path(old, working_directory),
        key_file::resolve_path(new, working_directory),
    ) {
        (Ok(old), Ok(new)) => old == new,
        _ => false,
    }
}

/// The checked inputs of a client key, as the operations use them.
#[derive(Clone, Debug)]
pub struct ClientKeyInputs {
    pub aap_name: String,
    pub password: SecretString,
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    pub private_key_data_file: Option<String>,
}

impl ClientKeyInputs {
    /// Reads checked inputs. Every value must be known (outside a preview the engine resolves
    /// them); an unknown one is an `invalid_inputs` error.
    pub fn from_properties(properties: &PropertyMap) -> Result<ClientKeyInputs, ResourceError> {
        let mut failures = Vec::new();
        let mut text = |property: &str, required: bool| -> Option<String> {
            match properties.get(property) {
                None => {
                    if required {
                        failures.push(CheckFailure::new(
                            property,
                            format!("{property} is required; set it on the ClientKey"),
                        ));
                    }
                    None
                }
                Some(value) if value.is_null() => None,
                Some(value) => match value.as_str() {
                    Some(text) => Some(text.to_owned()),
                    None if value.is_unknown() => {
                        failures.push(CheckFailure::new(
                            property,
                            format!("{property} is unknown; it must be known when the key is created (only a preview may leave it unknown)"),
                        ));
                        None
                    }
                    None => {
                        failures.push(CheckFailure::new(
                            property,
                            format!(
                                "{property} must be a string, not {}",
                                value.type_description()
                            ),
                        ));
                        None
                    }
                },
            }
        };
        let aap_name = text("aapName", true);
        let password = text("password", true);
        let not_before = text("notBefore", false);
        let not_after = text("notAfter", false);
        let private_key_data_file = text("privateKeyDataFile", false);
        match (aap_name, password) {
            (Some(aap_name), Some(password)) if failures.is_empty() => Ok(ClientKeyInputs {
                aap_name,
                password: SecretString::new(password),
                not_before,
                not_after,
                private_key_data_file,
            }),
            _ => Err(ResourceError::InvalidInputs {
                resource: DECLARATION.name,
                failures,
            }),
        }
    }
}

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

    fn new() -> ClientKey {
        ClientKey {
            creates: Arc::new(CreateTracker::new()),
        }
    }

    fn decode_inputs(properties: &PropertyMap) -> Result<ClientKeyInputs, ResourceError> {
        ClientKeyInputs::from_properties(properties)
    }

    fn check_inputs(
        &self,
        inputs: &mut PropertyMap,
        failures: &mut Vec<CheckFailure>,
        _warnings: &mut Vec<String>,
    ) {
        check_inputs(inputs, failures);
    }

    fn check_local(
        &self,
        inputs: &PropertyMap,
        olds: Option<&PropertyMap>,
        working_directory: &Path,
        failures: &mut Vec<CheckFailure>,
        warnings: &mut Vec<String>,
    ) {
        check_local(inputs, olds, working_directory, failures, warnings);
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
        same_key_file(olds, news, working_directory)
    }

    /// The inputs, with what KMS decides (`createTime`, and a validity left to KMS) unknown.
    fn preview_create(&self, properties: PropertyMap) -> PropertyMap {
        create::planned_outputs(properties)
    }

    /// CreateClientKey, then the private key file, then GetClientKey for `createTime`.
    async fn create(
        &self,
        context: &OperationContext,
        request: CreateRequest,
        inputs: ClientKeyInputs,
    ) -> Result<CreateResult, ResourceError> {
        create::create(context, &self.creates, request, inputs).await
    }

    /// GetClientKey; gone when KMS says it does not exist.
    async fn read(
        &self,
        context: &OperationContext,
        request: ReadRequest,
    ) -> Result<ReadResult, ResourceError> {
        lifecycle::read(context, request).await
    }

    // `update` is the default: a client key cannot change in place (every input replaces it), so
    // only a call without a real change is accepted, such as writing the password and key file
    // path of the program into the state of an imported key.

    /// DeleteClientKey (already gone counts as deleted), then the private key file if it still
    /// holds this key.
    async fn delete(
        &self,
        context: &OperationContext,
        request: DeleteRequest,
    ) -> Result<(), ResourceError> {
        lifecycle::delete(context, request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rule_table() {
        // (password, number of problems): one problem per rule broken.
        let table: &[(&str, usize)] = &[
            ("YouPassword123!", 0),
            ("abcdefg1", 0),
            ("abcdefg!", 0),
            ("12345678-", 0),
            ("ABCDEFGH", 1),
            ("12345678", 1),
            ("!?!?!?!?", 1),
            ("abc1", 1),
            ("", 2),
            ("pass word1", 1),
            ("pässwörd12", 1),
            ("a1", 1),
        ];
        for (password, expected) in table {
            let problems = password_problems(password);
            assert_eq!(problems.len(), *expected, "{password:?}: {problems:?}");
            for problem in &problems {
                assert!(
                    password.is_empty() || !problem.contains(password),
                    "{problem}"
                );
            }
        }
        let long = format!("a1{}", "b".repeat(62));
        assert!(password_problems(&long).is_empty());
        let too_long = format!("a1{}", "b".repeat(63));
        assert_eq!(
            password_problems(&too_long),
            vec!["password must be 8 to 64 characters long, not 65"]
        );
    }
}
