//! Real client key material: an RSA-2048 key pair, a self-signed X.509 certificate per client
//! key, and the password-protected PKCS#12 that `CreateClientKey` returns as `PrivateKeyData`.
//!
//! RSA key generation in pure Rust takes a noticeable fraction of a second, so one key pair is
//! generated lazily per process and shared by every client key (each still gets its own
//! certificate, serial number and validity). That is fine for an emulator and would not be for a
//! real KMS.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use p12_keystore::{KeyStore, KeyStoreEntry, PrivateKeyChain};
use rand::Rng as _;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, KeyIdMethod, KeyUsagePurpose, SerialNumber,
};
use rsa::pkcs1::EncodeRsaPublicKey as _;
use rsa::pkcs8::EncodePrivateKey as _;
use sha1::{Digest as _, Sha1};

use crate::rules;

/// Why key material could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum KeyMaterialError {
    /// The certificate could not be built or signed.
    #[error("cannot build the client key certificate: {0}")]
    Certificate(String),
    /// The PKCS#12 could not be built.
    #[error("cannot build the PKCS#12 container: {0}")]
    Pkcs12(String),
}

/// What a new client key is made of.
pub struct IssuedClientKey {
    /// The certificate, PEM (the `PublicKeyData` field).
    pub certificate_pem: String,
    /// The DER PKCS#12 holding the private key and the certificate (base64 of it is
    /// `PrivateKeyData`).
    pub pkcs12_der: Vec<u8>,
}

impl std::fmt::Debug for IssuedClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedClientKey")
            .field("pkcs12_der", &"<redacted>")
            .finish_non_exhaustive()
    }
}

struct SharedKeyPair {
    /// The same private key in `ring`, which signs each certificate: an RSA-2048 signature costs
    /// about a fifth of what `rsa` needs, and signing was most of a CreateClientKey's CPU time.
    signing_key: ring::signature::RsaKeyPair,
    private_key_pkcs8_der: Vec<u8>,
    public_key_pkcs1_der: Vec<u8>,
    subject_key_identifier: Vec<u8>,
}

/// `RSA_2048`, the only algorithm KMS offers for client keys.
const RSA_KEY_BITS: usize = 2048;

static SHARED_KEY_PAIR: OnceLock<Result<SharedKeyPair, String>> = OnceLock::new();

fn shared_key_pair() -> Result<&'static SharedKeyPair, KeyMaterialError> {
    SHARED_KEY_PAIR
        .get_or_init(|| {
            let private_key = rsa::PrivateKey::new(&mut rand::rng(), RSA_KEY_BITS)
                .map_err(|error| error.to_string())?;
            let private_key_pkcs8_der = private_key
                .to_pkcs8_der()
                .map_err(|error| error.to_string())?
                .as_bytes()
                .to_vec();
            let public_key_pkcs1_der = private_key
                .to_public_key()
                .to_pkcs1_der()
                .map_err(|error| error.to_string())?
                .as_bytes()
                .to_vec();
            // RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
            let subject_key_identifier = Sha1::digest(&public_key_pkcs1_der).to_vec();
            let signing_key = ring::signature::RsaKeyPair::from_pkcs8(&private_key_pkcs8_der)
                .map_err(|error| format!("ring rejects the generated key: {error}"))?;
            Ok(SharedKeyPair {
                signing_key,
                private_key_pkcs8_der,
                public_key_pkcs1_der,
                subject_key_identifier,
            })
        })
        .as_ref()
        .map_err(|reason| {
            KeyMaterialError::Certificate(format!("cannot generate the RSA key pair: {reason}"))
        })
}

/// Generates the shared RSA key pair now if it does not exist yet (e.g. at start-up, so the
/// first `CreateClientKey` is fast).
pub fn warm_up() {
    // An error here is reported again, with context, by the first `issue_client_key`.
    let _ = shared_key_pair();
}

impl rcgen::PublicKeyData for SharedKeyPair {
    fn der_bytes(&self) -> &[u8] {
        &self.public_key_pkcs1_der
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

impl rcgen::SigningKey for SharedKeyPair {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let mut signature = vec![0; self.signing_key.public().modulus_len()];
        self.signing_key
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| rcgen::Error::RemoteKeyError)?;
        Ok(signature)
    }
}

/// Issues the material of a new client key: a certificate for `client_key_id` valid from
/// `not_before` to `not_after`, and a PKCS#12 protected by `password`.
pub fn issue_client_key(
    client_key_id: &str,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    password: &str,
) -> Result<IssuedClientKey, KeyMaterialError> {
    let key_pair = shared_key_pair()?;

    let mut params = CertificateParams::default();
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CommonName, client_key_id);
    subject.push(DnType::OrganizationName, "KMS emulator");
    params.distinguished_name = subject;
    params.not_before = to_offset_date_time(not_before)?;
    params.not_after = to_offset_date_time(not_after)?;
    let mut serial = [0_u8; 16];
    rand::rng().fill_bytes(&mut serial);
    serial[0] &= 0x7f; // A positive INTEGER.
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.key_identifier_method =
        KeyIdMethod::PreSpecified(key_pair.subject_key_identifier.clone());
    let certificate = params
        .self_signed(key_pair)
        .map_err(|error| KeyMaterialError::Certificate(error.to_string()))?;
    let certificate_der = certificate.der().to_vec();

    let mut key_store = KeyStore::new();
    let private_key = p12_keystore::PrivateKey::from_der(&key_pair.private_key_pkcs8_der)
        .map_err(|error| KeyMaterialError::Pkcs12(error.to_string()))?;
    let certificate_entry = p12_keystore::Certificate::from_der(&certificate_der)
        .map_err(|error| KeyMaterialError::Pkcs12(error.to_string()))?;
    let local_key_id = key_pair.subject_key_identifier.clone();
    key_store.add_entry(
        client_key_id,
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(
            local_key_id,
            private_key,
            [certificate_entry],
        )),
    );
    let pkcs12_der = key_store
        .writer(password)
        .encryption_iterations(rules::PKCS12_ITERATIONS)
        .mac_iterations(rules::PKCS12_ITERATIONS)
        .write()
        .map_err(|error| KeyMaterialError::Pkcs12(error.to_string()))?;

    let mut certificate_pem = certificate.pem();
    if !rules::PUBLIC_KEY_PEM_REAL_NEWLINES {
        certificate_pem = certificate_pem.replace('\n', "\\n");
    }
    Ok(IssuedClientKey {
        certificate_pem,
        pkcs12_der,
    })
}

fn to_offset_date_time(time: DateTime<Utc>) -> Result<time::OffsetDateTime, KeyMaterialError> {
    time::OffsetDateTime::from_unix_timestamp(time.timestamp()).map_err(|_| {
        KeyMaterialError::Certificate(format!(
            "{time} is outside the range a certificate can hold"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::SigningKey as _;

    #[test]
    fn certificate_signatures_verify_with_the_public_key_of_the_certificate() {
        let key_pair = shared_key_pair().unwrap();
        let message = b"tbsCertificate bytes";
        let signature = key_pair.sign(message).unwrap();
        let public_key = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            &key_pair.public_key_pkcs1_der,
        );
        assert!(public_key.verify(message, &signature).is_ok());
        assert!(public_key.verify(b"another message", &signature).is_err());
    }

    #[test]
    fn the_pkcs12_opens_with_the_password_and_holds_the_certificate() {
        let not_before = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let not_after = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let issued =
            issue_client_key("KAAP.test", not_before, not_after, "YouPassword123!").unwrap();
        assert!(issued
            .certificate_pem
            .starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert_eq!(
            shared_key_pair()
                .unwrap()
                .signing_key
                .public()
                .modulus_len()
                * 8,
            2048,
            "an RSA-2048 key"
        );

        let opened = KeyStore::from_pkcs12(
            &issued.pkcs12_der,
            "YouPassword123!",
            p12_keystore::Pkcs12ImportPolicy::Relaxed,
        )
        .expect("opens with the password");
        let (_, chain) = opened.private_key_chain().expect("holds a key chain");
        assert_eq!(
            chain.key().as_der(),
            shared_key_pair().unwrap().private_key_pkcs8_der.as_slice()
        );
        assert_eq!(chain.certs().len(), 1);
        assert!(chain.certs()[0].subject().contains("KAAP.test"));

        assert!(KeyStore::from_pkcs12(
            &issued.pkcs12_der,
            "WrongPassword1!",
            p12_keystore::Pkcs12ImportPolicy::Relaxed
        )
        .is_err());
    }
}
