//! The Alibaba Cloud KMS client (OpenAPI 2016-01-20, RPC style, V2 or V3 signatures) that the
//! resources call their actions through, with the credential chain it signs with
//! (static keys, RAM roles through STS, OIDC, instance metadata, credential files). Knows nothing
//! of Pulumi.
//!
//! # Modules
//!
//! | module | job |
//! |---|---|
//! | [`signer`] | pure V2 signing: `percent_encode`, `canonical_query`, `string_to_sign`, `signature` |
//! | [`signer_v3`] | pure `ACS3-HMAC-SHA256` signing (`signatureAlgorithm: v3`) |
//! | [`credentials`] | resolves the credential plan, region, endpoints and scheme (config → environment → credential files, then `assumeRole`); fetches, caches and refreshes temporary credentials |
//! | [`sts`] | the STS requests (`AssumeRole`, `AssumeRoleWithOIDC`) as pure builders, and the advice for refusals |
//! | [`endpoint`] | endpoint and region syntax, and redaction of URL-like values in messages |
//! | [`client`] | `Client` (cheap to clone, one keep-alive pool), the attempt builder and the retry loop |
//! | `options` | `ClientOptions` (backoff, timeouts, `StampSource` for clock and nonces, the metadata endpoint) and `CallOptions` (deadline, cancellation, retry observer), re-exported here |
//! | `action` | `Action`: an action's name, placement and idempotency (each resource declares its actions in its folder) |
//! | [`wire`] | the codecs of the API's odd encodings (lists as JSON text, wrapped lists, integers as text) |
//! | [`retry`] | pure failure classification and backoff decisions (the classification table lives there) |
//! | [`error`] | `KmsError` and its predicates |
//! | [`secret`] | `SecretString`, whose `Debug` is redacted |
//! | `transport`, `response` | internal: HTTP, reply decoding |
//!
//! # Using it (the interface the resource layer builds on)
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use alicloud_kms_provider::kms::{self, CallOptions, ClientSettings, ProcessEnvironment};
//!
//! let settings = ClientSettings { region: Some("cn-hangzhou".into()), ..Default::default() };
//! let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
//! let config = kms::credentials::resolve(&settings, &ProcessEnvironment, home.as_deref())?;
//! let client = kms::Client::new(config)?;
//!
//! let options = CallOptions::new()
//!     .with_timeout(std::time::Duration::from_secs(300))
//!     .with_observer(|event| eprintln!("retrying {} in {:?}: {}", event.action, event.delay, event.reason));
//! // Each resource declares its actions in its own folder (an `Action` constant, its request and
//! // reply) and calls them with `client.call(action, &request, &options)`.
//! # let _ = (client, options);
//! # Ok(())
//! # }
//! ```
//!
//! The retry observer runs on the calling task, before each backoff wait; it should only hand the
//! event on (for example to a `log` notification), never block.
//!
//! Benchmark (client CPU per signed call, against the official Python SDK): `./scripts/bench.sh`
//! (the harness in `bench/`; figures in `BENCHMARKS.md`).
//!
//! Invariants: the signer never reads the clock or a random source; every attempt gets a fresh
//! timestamp and nonce; a create is never repeated after a failure that may have let it take
//! effect (`KmsError::OutcomeUnknown` instead); no secret reaches a `Debug`, a log line or an
//! error message.

mod action;
pub mod client;
pub mod credentials;
pub mod endpoint;
pub mod error;
pub mod local_file;
mod options;
mod response;
pub mod retry;
pub mod secret;
pub mod signer;
pub mod signer_v3;
pub mod sts;
mod transport;
pub mod wire;

pub use action::Action;
pub use client::{
    CallOptions, Client, ClientOptions, RetryObserver, StampSource, SystemStampSource,
    DEFAULT_OPERATION_TIMEOUT,
};
pub use credentials::{
    missing_credential_sources, resolve, AssumeRoleSettings, ClientSettings, CredentialPlan,
    CredentialProvider, CredentialSettings, Credentials, CredentialsError, CredentialsSource,
    Environment, OidcRoleSettings, ProcessEnvironment, ResolvedConfig, Scheme, SignatureAlgorithm,
};
pub use error::{KmsError, TransportProblem};
pub use options::METADATA_ENDPOINT;
pub use response::{KmsResponse, RequestIdResponse};
pub use retry::{RetryEvent, RetryPolicy};
pub use secret::SecretString;
pub use transport::HttpMethod;
