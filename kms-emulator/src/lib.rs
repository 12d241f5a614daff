//! A local, strict stand-in for the Alibaba Cloud KMS OpenAPI (version 2016-01-20), limited to the
//! application-access family: client keys, application access points (AAPs), permission policies
//! and network rules.
//!
//! It checks what the real gateway checks (RPC signature v1.0 / HMAC-SHA1 and signature V3 /
//! ACS3-HMAC-SHA256, timestamp window, nonce replay, access keys, STS tokens and their expiry),
//! enforces the service's rules, answers in the API's exact JSON shapes and error format, returns
//! real PKCS#12 client keys, and can inject faults. Beside KMS it serves an STS stand-in
//! (`AssumeRole`, `AssumeRoleWithOIDC`, `GetCallerIdentity`, told apart by `Version`
//! 2015-04-01), an ECS instance metadata stand-in (`/latest/...`), a credentials-URI stand-in
//! (`/credentials-uri`) and the services behind the CLI's logins (a CloudSSO portal and an OAuth
//! service, [`logins`]), whose temporary credentials the KMS gateway accepts until they expire
//! or are revoked.
//! The README of this crate has the full list of behaviours and the choices made where the real
//! service's behaviour is unconfirmed (all in [`rules`]).
//!
//! # Starting one
//!
//! From async code:
//!
//! ```no_run
//! # async fn demo() -> Result<(), kms_emulator::StartError> {
//! let emulator = kms_emulator::Emulator::start(kms_emulator::Config::default()).await?;
//! println!("KMS at {}", emulator.endpoint()); // http://127.0.0.1:PORT
//! # Ok(()) }
//! ```
//!
//! From plain (sync) test code, with its own runtime on a background thread:
//!
//! ```no_run
//! let emulator = kms_emulator::Emulator::start_blocking(kms_emulator::Config::default()).unwrap();
//! let host_and_port = emulator.addr();
//! // ... the emulator stops when `emulator` is dropped, or with `emulator.shutdown()`.
//! ```
//!
//! # Command line
//!
//! `kms-emulator [--listen ADDR] [--credential ID:SECRET[:TOKEN]]... [--state FILE] [--region R]
//! [--account-id ID] [--fault ACTION:KEY=VALUE,...]... [--no-control] [--nonce-capacity N]
//! [--role ARN[=TRUSTED,...]]... [--oidc-provider ARN=ISSUER]... [--oidc-token ARN=TOKEN]...
//! [--credential-lifetime SECONDS] [--ecs-role-name NAME] [--imds-require-token]`.
//! `--listen` defaults to `127.0.0.1:0`; the default credential is
//! `demo-access-key-id:demo-access-key-secret`; `ID:SECRET:TOKEN` is an STS credential whose
//! requests must carry `SecurityToken=TOKEN`. The first stdout line is exactly
//! `listening on http://HOST:PORT`; logs go to stderr. See [`cli::USAGE`].
//!
//! # Test hooks
//!
//! The handle sets and clears faults per action ([`Emulator::set_fault`]), inspects resources
//! ([`Emulator::client_keys`], [`Emulator::access_points`], ...) and changes them behind the API's
//! back to simulate drift ([`Emulator::delete_client_key`], [`Emulator::delete_access_point`],
//! [`Emulator::update_access_point`]). The same operations are served over HTTP under
//! `/__emulator/`: `GET health`, `GET|DELETE faults`, `PUT|POST|DELETE faults/{action or *}`
//! (body: a [`FaultSpec`] as JSON), `GET calls`, `GET client-keys`, `DELETE client-keys/{id}`,
//! `GET application-access-points`, `PATCH|DELETE application-access-points/{name}` (body:
//! an [`AccessPointPatch`] as JSON), `GET policies`, `GET network-rules`, and for the stand-ins
//! `GET sts`, `PUT|DELETE sts/roles/{arn}`, `PUT|DELETE sts/oidc-providers/{arn}`,
//! `PUT sts/credential-lifetime`, `GET sts/credentials`, `POST sts/credentials/expire`,
//! `POST sts/credentials/revoke`, `POST sts/oidc-tokens`, `GET|PUT metadata`, `GET|PUT logins`
//! (library: [`Emulator::put_role`], [`Emulator::revoke_issued_credentials`],
//! [`Emulator::set_login_config`],
//! [`Emulator::set_credential_lifetime`], [`Emulator::set_metadata_config`], ...). The README has
//! the answers' shapes.

pub mod actions;
pub mod cli;
pub mod clock;
pub mod config;
mod control;
mod control_sts;
pub mod error;
pub mod faults;
pub mod gateway;
mod ids;
pub mod issued;
pub mod key_material;
pub mod logins;
pub mod metadata;
pub mod nonce;
pub mod params;
pub mod rules;
mod server;
mod shared;
pub mod signature;
pub mod signature_v3;
mod state_file;
pub mod store;
pub mod sts;
pub mod validation;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use actions::Action;
pub use clock::Clock;
pub use config::{Config, Credential, DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET};
pub use control::PREFIX as CONTROL_PREFIX;
pub use error::{ApiError, FaultError, StartError};
pub use faults::{FaultSpec, ALL_ACTIONS};
pub use issued::{IssuedBy, IssuedCredentialView};
pub use logins::LoginConfig;
pub use metadata::{MetadataConfig, MetadataEndpoint};
pub use shared::{AccessPointPatch, NetworkRulePatch, PolicyPatch};
pub use store::{AccessPoint, ClientKey, NetworkRule, Policy};
pub use sts::{OidcProvider, Role, StsConfig};

use shared::Shared;

/// A running emulator. It stops when dropped (or on [`Emulator::shutdown`]); the blocking variant
/// also joins its background thread then.
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    background: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator on the current tokio runtime and returns once it is listening.
    pub async fn start(config: Config) -> Result<Emulator, StartError> {
        let shared = Arc::new(Shared::new(&config)?);
        let listener = bind(&config.listen).await?;
        let addr = local_addr(&listener, &config.listen)?;
        let (shutdown, shutdown_receiver) = watch::channel(false);
        tokio::spawn(server::serve(listener, shared.clone(), shutdown_receiver));
        tracing::info!(%addr, "kms emulator listening");
        Ok(Emulator {
            addr,
            shared,
            shutdown,
            background: None,
        })
    }

    /// Starts an emulator on its own runtime (two worker threads) on a background thread, for
    /// code that is not async; returns once it is listening.
    pub fn start_blocking(config: Config) -> Result<Emulator, StartError> {
        let shared = Arc::new(Shared::new(&config)?);
        let (shutdown, shutdown_receiver) = watch::channel(false);
        let (ready_sender, ready_receiver) =
            std::sync::mpsc::channel::<Result<SocketAddr, StartError>>();
        let server_shared = shared.clone();
        let listen = config.listen.clone();
        let background = std::thread::Builder::new()
            .name("kms-emulator".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = ready_sender.send(Err(StartError::Runtime(error.to_string())));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listener = match bind(&listen).await {
                        Ok(listener) => listener,
                        Err(error) => {
                            let _ = ready_sender.send(Err(error));
                            return;
                        }
                    };
                    match local_addr(&listener, &listen) {
                        Ok(addr) => {
                            let _ = ready_sender.send(Ok(addr));
                        }
                        Err(error) => {
                            let _ = ready_sender.send(Err(error));
                            return;
                        }
                    }
                    server::serve(listener, server_shared, shutdown_receiver).await;
                });
            })
            .map_err(|error| StartError::Runtime(error.to_string()))?;
        let addr = ready_receiver.recv().map_err(|_| {
            StartError::Runtime("the emulator thread ended before listening".to_owned())
        })??;
        tracing::info!(%addr, "kms emulator listening");
        Ok(Emulator {
            addr,
            shared,
            shutdown,
            background: Some(background),
        })
    }

    /// The address it listens on, e.g. `127.0.0.1:41234`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving: the listener closes and open connections are cut.
    pub fn shutdown(self) {
        drop(self);
    }

    /// Sets (replaces) the fault specification of one action, or of every action with `"*"`.
    pub fn set_fault(&self, target: &str, spec: FaultSpec) -> Result<(), FaultError> {
        self.shared.set_fault(target, spec)
    }

    /// Removes the fault specification of one action (or of `"*"`); true if there was one.
    pub fn clear_fault(&self, target: &str) -> Result<bool, FaultError> {
        self.shared.clear_fault(target)
    }

    /// Removes every fault specification.
    pub fn clear_faults(&self) {
        self.shared.clear_faults();
    }

    /// The active fault specifications by action name (or `"*"`).
    pub fn faults(&self) -> BTreeMap<String, FaultSpec> {
        self.shared.faults()
    }

    /// How many authenticated calls of `action` arrived (faulted ones included).
    pub fn call_count(&self, action: Action) -> u64 {
        self.shared.call_count(action)
    }

    /// How many requests reached an instance metadata or credentials-URI endpoint (refused ones
    /// included).
    pub fn metadata_call_count(&self, endpoint: MetadataEndpoint) -> u64 {
        self.shared.metadata.call_count(endpoint)
    }

    /// The STS stand-in's configuration now.
    pub fn sts_config(&self) -> StsConfig {
        self.shared.read_sts(StsConfig::clone)
    }

    /// Adds a role, or replaces the one with the same ARN.
    pub fn put_role(&self, role: Role) -> Result<(), String> {
        self.shared
            .change_sts(|config| config.upsert_role(role))
            .map(drop)
    }

    /// Removes a role; false if there was none.
    pub fn remove_role(&self, arn: &str) -> bool {
        let mut removed = false;
        let _ = self.shared.change_sts(|config| {
            let before = config.roles.len();
            config
                .roles
                .retain(|role| !role.arn.eq_ignore_ascii_case(arn));
            removed = config.roles.len() != before;
        });
        removed
    }

    /// Adds an OIDC provider, or replaces the one with the same ARN.
    pub fn put_oidc_provider(&self, provider: OidcProvider) -> Result<(), String> {
        self.shared
            .change_sts(|config| config.upsert_oidc_provider(provider))
            .map(drop)
    }

    /// Makes every credential issued from now on expire `seconds` after issue (`None`: as
    /// requested, `DurationSeconds` or the metadata default).
    pub fn set_credential_lifetime(&self, seconds: Option<u64>) -> Result<(), String> {
        self.shared
            .change_sts(|config| config.credential_lifetime_seconds = seconds)
            .map(drop)
    }

    /// The emulator's clock (a clone: advancing it advances the emulator's). Tests reach an
    /// expiry with [`Clock::advance`] instead of sleeping.
    pub fn clock(&self) -> Clock {
        self.shared.clock.clone()
    }

    /// The temporary credentials issued so far (STS, metadata, credentials URI), oldest first,
    /// without secrets or tokens.
    pub fn issued_credentials(&self) -> Vec<IssuedCredentialView> {
        self.shared.gateway.issued_credentials()
    }

    /// Makes every issued credential expire now; returns how many were still valid.
    pub fn expire_issued_credentials(&self) -> usize {
        self.shared.metadata.forget_credentials();
        self.shared
            .gateway
            .expire_issued_credentials(self.shared.clock.now())
    }

    /// Revokes the issued credential with this AccessKey ID (`None`: every one) before its
    /// `Expiration`: the gateway refuses it from now on as expired. Returns how many were still
    /// valid.
    pub fn revoke_issued_credentials(&self, access_key_id: Option<&str>) -> usize {
        self.shared.metadata.forget_credentials();
        self.shared
            .gateway
            .revoke_issued_credentials(access_key_id, self.shared.clock.now())
    }

    /// The CLI login stand-ins' configuration now (the tokens they accept).
    pub fn login_config(&self) -> LoginConfig {
        self.shared.logins.config()
    }

    /// Replaces the CLI login stand-ins' configuration.
    pub fn set_login_config(&self, config: LoginConfig) {
        self.shared.logins.set_config(config);
    }

    /// The instance metadata stand-in's configuration now.
    pub fn metadata_config(&self) -> MetadataConfig {
        self.shared.metadata.config()
    }

    /// Replaces the instance metadata stand-in's configuration (instance role, IMDSv2
    /// enforcement).
    pub fn set_metadata_config(&self, config: MetadataConfig) {
        self.shared.metadata.set_config(config);
    }

    /// An unsigned JWT-shaped OIDC token from `issuer` for audience `sts.aliyuncs.com`, valid
    /// `lifetime_seconds`: accepted by an [`OidcProvider`] for that issuer with no token list.
    pub fn mint_oidc_token(issuer: &str, subject: &str, lifetime_seconds: i64) -> String {
        sts::oidc::mint_unsigned_token(
            issuer,
            rules::OIDC_DEFAULT_CLIENT_ID,
            subject,
            chrono::Utc::now(),
            lifetime_seconds,
        )
    }

    /// Client keys, oldest first (id, AAP, validity, create time, certificate).
    pub fn client_keys(&self) -> Vec<ClientKey> {
        self.shared.client_keys()
    }

    /// AAPs, oldest first (name, policies, description, authentication method).
    pub fn access_points(&self) -> Vec<AccessPoint> {
        self.shared.access_points()
    }

    /// Permission policies, oldest first.
    pub fn policies(&self) -> Vec<Policy> {
        self.shared.policies()
    }

    /// Network rules, oldest first.
    pub fn network_rules(&self) -> Vec<NetworkRule> {
        self.shared.network_rules()
    }

    /// Deletes a client key behind the API's back; false if there was none.
    pub fn delete_client_key(&self, client_key_id: &str) -> bool {
        self.shared.delete_client_key(client_key_id)
    }

    /// Deletes an AAP and its client keys behind the API's back; false if there was none.
    pub fn delete_access_point(&self, name: &str) -> bool {
        self.shared.delete_access_point(name)
    }

    /// Changes an AAP's policies and/or description behind the API's back (no validation);
    /// false if there is no such AAP.
    pub fn update_access_point(&self, name: &str, patch: AccessPointPatch) -> bool {
        self.shared.update_access_point(name, patch)
    }

    /// Deletes a permission policy behind the API's back (even one an AAP lists); false if there
    /// was none.
    pub fn delete_policy(&self, name: &str) -> bool {
        self.shared.delete_policy(name)
    }

    /// Changes a policy's permissions, resources, network rules and/or description behind the
    /// API's back (no validation); false if there is no such policy.
    pub fn update_policy(&self, name: &str, patch: PolicyPatch) -> bool {
        self.shared.update_policy(name, patch)
    }

    /// Deletes a network rule behind the API's back (even one a policy names); false if there was
    /// none.
    pub fn delete_network_rule(&self, name: &str) -> bool {
        self.shared.delete_network_rule(name)
    }

    /// Changes a rule's addresses and/or description behind the API's back (no validation);
    /// false if there is no such rule.
    pub fn update_network_rule(&self, name: &str, patch: NetworkRulePatch) -> bool {
        self.shared.update_network_rule(name, patch)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(background) = self.background.take() {
            let _ = background.join();
        }
    }
}

async fn bind(listen: &str) -> Result<TcpListener, StartError> {
    TcpListener::bind(listen)
        .await
        .map_err(|source| StartError::Bind {
            address: listen.to_owned(),
            source,
        })
}

fn local_addr(listener: &TcpListener, listen: &str) -> Result<SocketAddr, StartError> {
    listener.local_addr().map_err(|source| StartError::Bind {
        address: listen.to_owned(),
        source,
    })
}
