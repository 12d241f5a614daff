//! The rules of a client key's inputs beyond the declaration: the password KMS accepts, a
//! validity period (both dates or neither, in KMS's form, the first before the second), names
//! that are not blank, and, on this machine, a key file that can be written and that holds no
//! other key.

use std::path::Path;

use super::super::check_not_blank;
use super::super::error::CheckFailure;
use super::super::property::{PropertyMap, PropertyValue};
use super::super::timestamp::{normalise_timestamp, NORMALISED_TIME_FORMAT};
use super::declaration::PROPERTY;
use super::key_file;

/// The special characters KMS allows in a client key password.
pub const PASSWORD_SPECIAL_CHARACTERS: &str = "~!@#$%^&*?_-";

const MIN_PASSWORD_LENGTH: usize = 8;
const MAX_PASSWORD_LENGTH: usize = 64;

/// The rules of `check` beyond the declaration: password, validity period, non-blank names.
pub(super) fn check_inputs(inputs: &mut PropertyMap, failures: &mut Vec<CheckFailure>) {
    check_not_blank(inputs, PROPERTY.aap_name.name, failures);
    let password = PROPERTY.password;
    if let Some(text) = password.get_str(inputs) {
        for reason in password_problems(text) {
            failures.push(CheckFailure::new(password.name, reason));
        }
    }
    check_not_blank(inputs, PROPERTY.private_key_data_file.name, failures);
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
    let (first, last) = (PROPERTY.not_before, PROPERTY.not_after);
    let has_not_before = first.get(inputs).is_some();
    let has_not_after = last.get(inputs).is_some();
    if has_not_before && !has_not_after {
        failures.push(CheckFailure::new(
            last.name,
            validity_pair_reason(last.name, first.name),
        ));
    }
    if has_not_after && !has_not_before {
        failures.push(CheckFailure::new(
            first.name,
            validity_pair_reason(first.name, last.name),
        ));
    }
    let not_before = normalise_time_input(inputs, first.name, failures);
    let not_after = normalise_time_input(inputs, last.name, failures);
    if let (Some(not_before), Some(not_after)) = (not_before, not_after) {
        // Normalised times compare correctly as text: same format, same zone, fixed width.
        if not_before >= not_after {
            failures.push(CheckFailure::new(
                last.name,
                format!("{last} ({not_after}) must be later than {first} ({not_before})"),
            ));
        }
    }
}

fn validity_pair_reason(missing: &str, present: &str) -> String {
    let (first, last) = (PROPERTY.not_before, PROPERTY.not_after);
    format!(
        "{missing} is missing: set {first} and {last} together, or leave both out to get a key valid for about five \
         years from its creation ({present} is set)"
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
            if normalised != text {
                *value = value.with_string(normalised.clone());
            }
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
pub(super) fn check_local(
    inputs: &PropertyMap,
    olds: Option<&PropertyMap>,
    working_directory: &Path,
    failures: &mut Vec<CheckFailure>,
    warnings: &mut Vec<String>,
) {
    let key_file_property = PROPERTY.private_key_data_file;
    let Some(text) = key_file_property
        .get_str(inputs)
        .filter(|text| !text.trim().is_empty())
    else {
        return;
    };
    let target = match key_file::resolve_path(text, working_directory) {
        Ok(target) => target,
        Err(reason) => {
            failures.push(CheckFailure::new(key_file_property.name, reason));
            return;
        }
    };
    if let Some(reason) = key_file::unwritable_reason(&target) {
        failures.push(CheckFailure::new(
            key_file_property.name,
            format!("{key_file_property} cannot be written: {reason}"),
        ));
        return;
    }
    if olds.is_some_and(|olds| same_key_file(olds, inputs, working_directory)) {
        return;
    }
    if let Ok(key_file::Held::Key(id)) = key_file::read_held_key(&target) {
        warnings.push(format!(
            "{key_file_property} {} already holds the private key of client key {id}: if that key still exists in \
             KMS, creating this ClientKey will fail rather than replace its only copy (unless it is the key this \
             ClientKey replaces, which is deleted first); give each ClientKey its own file",
            target.display()
        ));
    }
}

/// The key file input of a state or of inputs, when it is set.
fn key_file_input(map: &PropertyMap) -> Option<&PropertyValue> {
    PROPERTY
        .private_key_data_file
        .get(map)
        .map(PropertyValue::unwrap_secret)
}

/// Whether the state's key file and the new inputs' are one file (the same path once `~` and
/// relative paths are resolved), or may be (the new one is unknown in a preview).
pub(super) fn same_key_file(
    olds: &PropertyMap,
    news: &PropertyMap,
    working_directory: &Path,
) -> bool {
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
