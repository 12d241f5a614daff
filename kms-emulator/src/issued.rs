//! Temporary credentials the emulator issued (STS `AssumeRole*`, the instance metadata
//! stand-in): who they stand for, when they expire, and a bounded memory of them so that an
//! expired credential is still recognised (and refused as expired, not as unknown).

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use rand::RngExt as _;
use serde::Serialize;

use crate::config::Credential;
use crate::rules;

/// How a temporary credential came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssuedBy {
    /// `AssumeRole`.
    AssumeRole,
    /// `AssumeRoleWithOIDC`.
    AssumeRoleWithOidc,
    /// The instance metadata stand-in (an ECS instance role).
    InstanceMetadata,
    /// The credentials-URI stand-in.
    CredentialsUri,
    /// The CloudSSO portal stand-in.
    CloudSso,
    /// The OAuth service stand-in.
    #[serde(rename = "oauth")]
    OAuth,
}

/// One issued credential. `Debug` and the control endpoint's view never show the secret or the
/// token.
#[derive(Clone)]
pub struct IssuedCredential {
    /// Id, secret and token.
    pub credential: Credential,
    /// The role whose session this is.
    pub role_arn: String,
    /// The role session name.
    pub session_name: String,
    /// When it stops being accepted.
    pub expiration: DateTime<Utc>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// Which stand-in issued it.
    pub issued_by: IssuedBy,
}

impl std::fmt::Debug for IssuedCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCredential")
            .field("credential", &self.credential)
            .field("role_arn", &self.role_arn)
            .field("session_name", &self.session_name)
            .field("expiration", &self.expiration)
            .field("issued_by", &self.issued_by)
            .finish()
    }
}

/// What the control endpoint and the library show of an issued credential (no secret, no
/// token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedCredentialView {
    /// The `STS.` AccessKey ID.
    pub access_key_id: String,
    /// The role whose session this is.
    pub role_arn: String,
    /// The role session name.
    pub session_name: String,
    /// `yyyy-MM-ddTHH:mm:ssZ`.
    pub expiration: String,
    /// `yyyy-MM-ddTHH:mm:ssZ`.
    pub issued_at: String,
    /// Which stand-in issued it.
    pub issued_by: IssuedBy,
}

impl IssuedCredential {
    /// A fresh random `STS.` credential for a session of `role_arn`, valid from `now` for
    /// `lifetime_seconds`.
    pub fn mint(
        role_arn: &str,
        session_name: &str,
        now: DateTime<Utc>,
        lifetime_seconds: u64,
        issued_by: IssuedBy,
    ) -> Self {
        let access_key_id = format!(
            "STS.{}",
            random_text(rules::STS_ACCESS_KEY_ID_RANDOM_LENGTH)
        );
        let secret = random_text(rules::STS_ACCESS_KEY_SECRET_LENGTH);
        let token = format!(
            "CAIS{}",
            random_text(rules::STS_SECURITY_TOKEN_RANDOM_LENGTH)
        );
        let lifetime =
            chrono::Duration::seconds(i64::try_from(lifetime_seconds).unwrap_or(i64::MAX / 1000));
        IssuedCredential {
            credential: Credential::sts(access_key_id, secret, token),
            role_arn: role_arn.to_owned(),
            session_name: session_name.to_owned(),
            expiration: now + lifetime,
            issued_at: now,
            issued_by,
        }
    }

    /// Whether it is past its expiration at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expiration
    }

    /// The redacted view.
    pub fn view(&self) -> IssuedCredentialView {
        IssuedCredentialView {
            access_key_id: self.credential.access_key_id.clone(),
            role_arn: self.role_arn.clone(),
            session_name: self.session_name.clone(),
            expiration: format_api_time(self.expiration),
            issued_at: format_api_time(self.issued_at),
            issued_by: self.issued_by,
        }
    }
}

/// `yyyy-MM-ddTHH:mm:ssZ`, the format of `Expiration` in STS and metadata answers.
pub fn format_api_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Issued credentials by AccessKey ID, oldest forgotten first once `capacity` are held.
#[derive(Debug)]
pub struct IssuedCredentials {
    capacity: usize,
    by_id: HashMap<String, IssuedCredential>,
    order: VecDeque<String>,
}

impl IssuedCredentials {
    /// An empty registry holding at most `capacity` credentials.
    pub fn new(capacity: usize) -> Self {
        IssuedCredentials {
            capacity: capacity.max(1),
            by_id: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Remembers `issued`, forgetting the oldest when full.
    pub fn insert(&mut self, issued: IssuedCredential) {
        while self.order.len() >= self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.by_id.remove(&oldest);
            }
        }
        self.order
            .push_back(issued.credential.access_key_id.clone());
        self.by_id
            .insert(issued.credential.access_key_id.clone(), issued);
    }

    /// The credential with this AccessKey ID, expired or not.
    pub fn get(&self, access_key_id: &str) -> Option<&IssuedCredential> {
        self.by_id.get(access_key_id)
    }

    /// Every remembered credential, oldest first.
    pub fn all(&self) -> Vec<&IssuedCredential> {
        self.order
            .iter()
            .filter_map(|id| self.by_id.get(id))
            .collect()
    }

    /// Makes every credential expire at `now` (a test hook); returns how many were still valid.
    pub fn expire_all(&mut self, now: DateTime<Utc>) -> usize {
        self.revoke(None, now)
    }

    /// Revokes the credential with this AccessKey ID (`None`: every one) at `now`, before its
    /// `Expiration`: from then on it is refused like an expired one. Returns how many were still
    /// valid.
    pub fn revoke(&mut self, access_key_id: Option<&str>, now: DateTime<Utc>) -> usize {
        let mut revoked = 0;
        for issued in self.by_id.values_mut() {
            let chosen = access_key_id.is_none_or(|id| issued.credential.access_key_id == id);
            if chosen && !issued.is_expired(now) {
                issued.expiration = now;
                revoked += 1;
            }
        }
        revoked
    }

    /// How many are remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether none is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// `length` random characters from `A-Za-z0-9`.
pub fn random_text(length: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut random = rand::rng();
    (0..length)
        .map(|_| ALPHABET[random.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_credentials_look_like_sts_ones_and_expire() {
        let now = Utc::now();
        let issued =
            IssuedCredential::mint("acs:ram::1:role/r", "s", now, 900, IssuedBy::AssumeRole);
        assert!(issued.credential.access_key_id.starts_with("STS."));
        assert!(issued
            .credential
            .security_token
            .as_deref()
            .is_some_and(|token| token.starts_with("CAIS")));
        assert!(!issued.is_expired(now + chrono::Duration::seconds(899)));
        assert!(issued.is_expired(now + chrono::Duration::seconds(900)));
        let debug = format!("{issued:?}");
        assert!(!debug.contains(&issued.credential.access_key_secret));
    }

    #[test]
    fn the_registry_is_bounded_and_can_expire_everything() {
        let now = Utc::now();
        let mut registry = IssuedCredentials::new(2);
        let mut ids = Vec::new();
        for _ in 0..3 {
            let issued = IssuedCredential::mint("r", "s", now, 900, IssuedBy::AssumeRole);
            ids.push(issued.credential.access_key_id.clone());
            registry.insert(issued);
        }
        assert_eq!(registry.len(), 2);
        assert!(registry.get(&ids[0]).is_none());
        assert!(registry.get(&ids[2]).is_some());
        assert_eq!(registry.expire_all(now), 2);
        assert!(registry.get(&ids[2]).unwrap().is_expired(now));
    }
}
