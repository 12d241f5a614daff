//! Start-up configuration of an emulator: where it listens, whom it trusts, where it keeps state.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::clock::Clock;
use crate::faults::FaultSpec;
use crate::logins::LoginConfig;
use crate::metadata::MetadataConfig;
use crate::sts::StsConfig;

/// The demo access key id accepted when no credential is configured.
pub const DEMO_ACCESS_KEY_ID: &str = "demo-access-key-id";
/// The demo access key secret accepted when no credential is configured.
pub const DEMO_ACCESS_KEY_SECRET: &str = "demo-access-key-secret";

/// One access key the emulator accepts. With a `security_token` it is an STS credential:
/// requests must then carry that exact `SecurityToken`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// The AccessKey ID (`STS.…` by convention for STS keys, not required).
    pub access_key_id: String,
    /// The AccessKey secret.
    pub access_key_secret: String,
    /// The STS security token, if this is a temporary credential.
    pub security_token: Option<String>,
}

impl Credential {
    /// A long-term access key.
    pub fn new(access_key_id: impl Into<String>, access_key_secret: impl Into<String>) -> Self {
        Credential {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: None,
        }
    }

    /// An STS credential: id, secret and the token requests must carry.
    pub fn sts(
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<String>,
        security_token: impl Into<String>,
    ) -> Self {
        Credential {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: Some(security_token.into()),
        }
    }

    /// The demo pair `demo-access-key-id:demo-access-key-secret`.
    pub fn demo() -> Self {
        Self::new(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET)
    }

    /// Parses the command-line form `ID:SECRET` or `ID:SECRET:TOKEN` (STS).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = text.splitn(3, ':');
        let id = parts.next().unwrap_or_default();
        let secret = parts.next().unwrap_or_default();
        let token = parts.next();
        if id.is_empty() || secret.is_empty() || token.is_some_and(str::is_empty) {
            return Err(
                "a credential must be ID:SECRET or ID:SECRET:TOKEN with non-empty parts".to_owned(),
            );
        }
        Ok(match token {
            Some(token) => Self::sts(id, secret, token),
            None => Self::new(id, secret),
        })
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret and the token never reach a log line.
        f.debug_struct("Credential")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Everything an emulator needs to start. `Config::default()` listens on `127.0.0.1:0` with the
/// demo credential, region `cn-hangzhou`, no state file, no faults, no STS role, no OIDC
/// provider and no instance role.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on, e.g. `127.0.0.1:0` (port 0 picks a free port).
    pub listen: String,
    /// Accepted access keys.
    pub credentials: Vec<Credential>,
    /// Region used in ARNs and `HostId` (`kms.<region>.aliyuncs.com`).
    pub region: String,
    /// Account id used in ARNs.
    pub account_id: String,
    /// JSON file the resources are loaded from at start and saved to after every change.
    pub state_file: Option<PathBuf>,
    /// Faults active from the start, by action name (`*` for every action).
    pub faults: BTreeMap<String, FaultSpec>,
    /// Whether the `/__emulator/` control endpoint is served.
    pub control_endpoint: bool,
    /// How many `SignatureNonce`s are remembered at most (memory bound); the oldest are forgotten
    /// first once the bound is reached.
    pub nonce_capacity: usize,
    /// The STS stand-in: roles, OIDC providers, the credential lifetime control.
    pub sts: StsConfig,
    /// The instance metadata stand-in: the instance's role, whether IMDSv2 is enforced.
    pub metadata: MetadataConfig,
    /// The CLI login stand-ins (CloudSSO portal, OAuth service): the tokens they accept.
    pub logins: LoginConfig,
    /// The header-read and idle timeout of a connection: a request's head must arrive within it,
    /// counted from the connection's start or from its previous response (so a connection that
    /// sends nothing, or stays idle, is closed too), and its body within it after the head.
    pub header_read_timeout: Duration,
    /// The clock every expiry and every time the emulator writes is read from: the system clock
    /// by default; a test keeps a clone and advances it.
    pub clock: Clock,
}

/// The default [`Config::header_read_timeout`]: longer than the 60 s a client's pool (reqwest's,
/// as the provider sets it) keeps an idle connection, so that the server never closes a connection
/// a client is about to reuse.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(75);

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:0".to_owned(),
            credentials: vec![Credential::demo()],
            region: "cn-hangzhou".to_owned(),
            account_id: "1234567890123456".to_owned(),
            state_file: None,
            faults: BTreeMap::new(),
            control_endpoint: true,
            nonce_capacity: 500_000,
            sts: StsConfig::default(),
            metadata: MetadataConfig::default(),
            logins: LoginConfig::default(),
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            clock: Clock::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_long_term_and_sts_credentials() {
        assert_eq!(
            Credential::parse("id:secret").unwrap(),
            Credential::new("id", "secret")
        );
        assert_eq!(
            Credential::parse("STS.id:secret:tok:en").unwrap(),
            Credential::sts("STS.id", "secret", "tok:en")
        );
        assert!(Credential::parse("id").is_err());
        assert!(Credential::parse("id:").is_err());
        assert!(Credential::parse("id:secret:").is_err());
    }

    #[test]
    fn debug_redacts_the_secret_and_token() {
        let text = format!(
            "{:?}",
            Credential::sts("STS.id", "very-secret", "the-token")
        );
        assert!(text.contains("STS.id"));
        assert!(!text.contains("very-secret"));
        assert!(!text.contains("the-token"));
    }
}
