//! A string that holds a secret (a secret key, a security token, a client-key password or private
//! key data) and refuses to show it in `Debug` output.
//!
//! The type deliberately has no `Display`: the only ways to see the value are `expose_secret`
//! (for the signer and for the resource layer, which must hand the private key to its file) and
//! `Serialize` (so a request struct can put a password on the wire).

use std::fmt;

/// What `Debug` prints instead of a secret value.
pub const REDACTED: &str = "** redacted **";

/// A secret string; `Debug` prints [`REDACTED`], never the value.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Call sites are few on purpose: signing, the wire, the key file.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string (an empty secret is treated as "not set").
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(REDACTED)
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl serde::Serialize for SecretString {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for SecretString {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

/// Replaces every occurrence of each non-empty secret in `text` by `***`.
///
/// The service sometimes echoes request values in its messages (a `SignatureDoesNotMatch` reply
/// carries the whole string to sign, password included), so every service text that may reach an
/// error message passes through here first.
pub fn redact_secrets(text: &str, secrets: &[&str]) -> String {
    let mut redacted = text.to_owned();
    for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
        if redacted.contains(secret) {
            redacted = redacted.replace(secret, "***");
        }
    }
    redacted
}

/// What is wrong with a credential value that must travel in a header or a signed string: a
/// line break, another control character, or white space inside (completing "it ..."); `None`
/// when it is fine. Never quotes the value.
pub fn value_problem(value: &str) -> Option<&'static str> {
    if value.contains(['\r', '\n']) {
        Some("contains a line break")
    } else if value.chars().any(char::is_control) {
        Some("contains a control character")
    } else if value.chars().any(char::is_whitespace) {
        Some("contains white space")
    } else {
        None
    }
}

/// Every form in which a secret may come back in a service message: as it is, percent-encoded
/// once (as in a URL) and twice (as in an echoed string to sign), longest first so a longer form
/// is replaced before a shorter one inside it.
pub(crate) fn secret_forms<'a>(secrets: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut forms = Vec::new();
    for secret in secrets.filter(|secret| !secret.is_empty()) {
        let once = crate::kms::signer::percent_encode(secret);
        let twice = crate::kms::signer::percent_encode(&once);
        forms.extend([twice, once, secret.to_owned()]);
    }
    forms.sort_by(|left, right| right.len().cmp(&left.len()).then_with(|| left.cmp(right)));
    forms.dedup();
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = SecretString::new("hunter2-very-secret");
        let printed = format!("{secret:?}");
        assert_eq!(printed, REDACTED);
        assert!(!printed.contains("hunter2"));
    }

    #[test]
    fn redaction_replaces_every_occurrence_and_ignores_empty_secrets() {
        let text = "password pw1, again pw1, token STS.tok";
        assert_eq!(
            redact_secrets(text, &["pw1", "", "STS.tok"]),
            "password ***, again ***, token ***"
        );
    }
}
