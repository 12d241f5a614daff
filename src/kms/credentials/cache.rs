//! The run-time side of a [`CredentialPlan`]: gives every KMS attempt the credentials to sign
//! with, fetching temporary ones on first use, caching them, and refreshing them before they
//! expire.
//!
//! Rules:
//!
//! - **Lazy.** Nothing is fetched until a KMS call needs it: building the client, `check` and
//!   `diff` never touch the network.
//! - **Refresh with a margin.** Credentials that live `L` are refreshed `min(3 minutes, L / 4)`
//!   before they expire (the Go SDK refreshes 3 minutes early; the quarter keeps short-lived test
//!   credentials sensible).
//! - **One fetch at a time.** Concurrent callers that find the credentials due wait for a single
//!   refresh and share its result, so an `assumeRole` costs one STS call per expiry period
//!   however many operations run at once.
//! - **Still-valid credentials outlive a failed refresh.** If a refresh fails while the cached
//!   credentials have not expired yet, they are used, and the next refresh is tried after
//!   10 seconds (or half the time left, if that is shorter).
//! - A role assumed on top of temporary credentials refreshes those first when they are due.
//! - **Refused credentials are dropped.** When KMS refuses temporary credentials it was signed
//!   with (revoked before their `Expiration`, or a skewed clock), the client calls
//!   [`CredentialProvider::invalidate`] with them and tries once more: the next caller fetches
//!   fresh ones. Only the credentials that were refused are dropped, so many callers refused at
//!   once cost one fetch.
//! - Waiting for a fetch holds no thread: the single-flight lock is an async one, and a waiter
//!   leaves it when its call is cancelled or its deadline passes. Files are read on blocking
//!   threads (`fetch::sts`), programs run as child processes (`fetch::process`).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

use super::fetch::metadata::EcsRole;
use super::fetch::{cloud_sso, metadata, oauth, process, sts, uri, FetchContext};
use super::plan::{
    AssumeRole, CloudSsoLogin, CredentialPlan, Credentials, CredentialsSource, OAuthLogin, OidcRole,
};
use crate::kms::error::KmsError;
use crate::kms::options::CallOptions;
use crate::kms::secret::{secret_forms, SecretString};
use crate::kms::sts::TemporaryCredentials;

/// The credentials one request is signed with.
pub struct SigningCredentials {
    /// The key (and token).
    pub credentials: Credentials,
    /// When they stop working, for temporary credentials.
    pub expiration: Option<DateTime<Utc>>,
    /// Every form in which their secrets may come back in a service message.
    pub(crate) secret_forms: Vec<String>,
}

impl SigningCredentials {
    fn new(credentials: Credentials, expiration: Option<DateTime<Utc>>) -> SigningCredentials {
        let secrets = std::iter::once(credentials.access_key_secret.expose_secret()).chain(
            credentials
                .security_token
                .as_ref()
                .map(SecretString::expose_secret),
        );
        SigningCredentials {
            secret_forms: secret_forms(secrets),
            credentials,
            expiration,
        }
    }
}

impl std::fmt::Debug for SigningCredentials {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SigningCredentials")
            .field("credentials", &self.credentials)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

/// When credentials that expire at `expiration`, fetched at `fetched_at`, should be refreshed.
pub fn refresh_time(fetched_at: DateTime<Utc>, expiration: DateTime<Utc>) -> DateTime<Utc> {
    let lifetime = expiration - fetched_at;
    if lifetime <= TimeDelta::zero() {
        // Already expired by this machine's clock: use them once, refresh on the next call.
        return fetched_at;
    }
    let margin = std::cmp::min(TimeDelta::minutes(3), lifetime / 4);
    expiration - margin
}

/// Gives out signing credentials for one plan; cheap to clone (clones share the cache).
#[derive(Clone)]
pub struct CredentialProvider {
    root: Arc<Node>,
    context: Arc<FetchContext>,
    fetches: Arc<AtomicU64>,
}

impl std::fmt::Debug for CredentialProvider {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("CredentialProvider")
            .field("network_fetches", &self.network_fetches())
            .finish_non_exhaustive()
    }
}

enum Node {
    Static(Arc<SigningCredentials>),
    Refreshing(Box<Refreshing>),
}

struct Refreshing {
    fetch: Fetch,
    state: Mutex<CacheState>,
    /// Held while a refresh runs, so that concurrent callers wait for it instead of starting
    /// their own.
    refresh_lock: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct CacheState {
    current: Option<Arc<SigningCredentials>>,
    refresh_at: Option<DateTime<Utc>>,
}

enum Fetch {
    EcsRole(EcsRole),
    Uri {
        uri: SecretString,
    },
    Oidc {
        role: OidcRole,
        source: String,
    },
    AssumeRole {
        base: Arc<Node>,
        base_description: String,
        role: AssumeRole,
        source: String,
    },
    External {
        command: Vec<String>,
        source: String,
    },
    CloudSso(Box<CloudSsoLogin>),
    /// Behind a lock held only while the login is copied out or back: a refresh changes its
    /// tokens.
    OAuth(Mutex<OAuthLogin>),
}

fn build(plan: &CredentialPlan) -> Node {
    let refreshing = |fetch: Fetch| {
        Node::Refreshing(Box::new(Refreshing {
            fetch,
            state: Mutex::new(CacheState::default()),
            refresh_lock: tokio::sync::Mutex::new(()),
        }))
    };
    match plan {
        CredentialPlan::Static { credentials, .. } => {
            Node::Static(Arc::new(SigningCredentials::new(credentials.clone(), None)))
        }
        CredentialPlan::EcsRamRole {
            role_name,
            allow_imds_v1,
            source,
        } => refreshing(Fetch::EcsRole(EcsRole {
            role_name: role_name.clone(),
            allow_imds_v1: *allow_imds_v1,
            default_chain: match source {
                CredentialsSource::DefaultChain { looked_in } => Some(looked_in.clone()),
                _ => None,
            },
        })),
        CredentialPlan::CredentialsUri { uri, .. } => refreshing(Fetch::Uri { uri: uri.clone() }),
        CredentialPlan::Oidc { role, source } => refreshing(Fetch::Oidc {
            role: role.clone(),
            source: source.to_string(),
        }),
        CredentialPlan::External { command, source } => refreshing(Fetch::External {
            command: command.clone(),
            source: source.to_string(),
        }),
        CredentialPlan::CloudSso { login, .. } => refreshing(Fetch::CloudSso(login.clone())),
        CredentialPlan::OAuth { login, .. } => {
            refreshing(Fetch::OAuth(Mutex::new(login.as_ref().clone())))
        }
        CredentialPlan::AssumeRole { base, role, source } => refreshing(Fetch::AssumeRole {
            base: Arc::new(build(base)),
            base_description: base.to_string(),
            role: role.clone(),
            source: source.to_string(),
        }),
    }
}

type CredentialsFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Arc<SigningCredentials>, KmsError>> + Send + 'a>>;

impl CredentialProvider {
    pub(crate) fn new(plan: &CredentialPlan, context: FetchContext) -> CredentialProvider {
        CredentialProvider {
            root: Arc::new(build(plan)),
            context: Arc::new(context),
            fetches: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The credentials to sign the next attempt with, fetched or refreshed if they are due.
    pub async fn signing_credentials(
        &self,
        options: &CallOptions,
    ) -> Result<Arc<SigningCredentials>, KmsError> {
        self.root.get(&self.context, &self.fetches, options).await
    }

    /// Drops `refused` if they are the cached credentials, so that the next caller fetches fresh
    /// ones; true when something was dropped (then trying again may help). Fixed keys are never
    /// dropped: there is nothing else to fetch.
    pub fn invalidate(&self, refused: &Arc<SigningCredentials>) -> bool {
        match self.root.as_ref() {
            Node::Static(_) => false,
            Node::Refreshing(refreshing) => {
                let mut state = refreshing
                    .state
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let is_cached = state
                    .current
                    .as_ref()
                    .is_some_and(|current| Arc::ptr_eq(current, refused));
                if is_cached {
                    state.current = None;
                    state.refresh_at = None;
                }
                is_cached
            }
        }
    }

    /// How many times credentials were fetched over the network (STS, metadata, URL), counting
    /// every level of a chain once per fetch. Tests and the benchmark read it.
    pub fn network_fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }
}

impl Node {
    fn get<'a>(
        &'a self,
        context: &'a FetchContext,
        fetches: &'a AtomicU64,
        options: &'a CallOptions,
    ) -> CredentialsFuture<'a> {
        Box::pin(async move {
            match self {
                Node::Static(credentials) => Ok(credentials.clone()),
                Node::Refreshing(refreshing) => refreshing.get(context, fetches, options).await,
            }
        })
    }
}

impl Refreshing {
    /// The cached credentials when they are not due for a refresh.
    fn fresh(&self, now: DateTime<Utc>) -> Option<Arc<SigningCredentials>> {
        let state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match (&state.current, state.refresh_at) {
            (Some(current), Some(refresh_at)) if now < refresh_at => Some(current.clone()),
            _ => None,
        }
    }

    async fn get(
        &self,
        context: &FetchContext,
        fetches: &AtomicU64,
        options: &CallOptions,
    ) -> Result<Arc<SigningCredentials>, KmsError> {
        if let Some(current) = self.fresh(context.stamps.utc_now()) {
            return Ok(current);
        }
        // Wait for a refresh that is already running rather than starting a second one; the
        // wait ends with the call's cancellation or deadline like any other.
        let _refreshing = tokio::select! {
            biased;
            () = options.cancellation.cancelled() => {
                return Err(KmsError::Cancelled { action: self.action(), attempts: 0, request_in_flight: false });
            }
            () = tokio::time::sleep_until(options.deadline) => {
                return Err(KmsError::DeadlineExceeded { action: self.action(), attempts: 0, request_in_flight: false, last_failure: None, last_request_id: None });
            }
            guard = self.refresh_lock.lock() => guard,
        };
        let now = context.stamps.utc_now();
        if let Some(current) = self.fresh(now) {
            return Ok(current);
        }
        match self.fetch(context, fetches, options).await {
            Ok((fresh, expiration)) => {
                let fetched_at = context.stamps.utc_now();
                let credentials = Arc::new(SigningCredentials::new(fresh, expiration));
                let mut state = self
                    .state
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                state.current = Some(credentials.clone());
                // Credentials without an expiration (a program that printed a fixed key) are
                // kept until KMS refuses them.
                state.refresh_at = Some(match expiration {
                    Some(expiration) => refresh_time(fetched_at, expiration),
                    None => DateTime::<Utc>::MAX_UTC,
                });
                tracing::info!(action = self.action(), expiration = ?expiration, "obtained credentials");
                Ok(credentials)
            }
            Err(error) => {
                let mut state = self
                    .state
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let still_valid = state.current.clone().filter(|current| {
                    current
                        .expiration
                        .is_some_and(|expiration| now < expiration)
                });
                match still_valid {
                    Some(current) => {
                        let expiration = current.expiration.expect("filtered on it");
                        let pause = std::cmp::min(TimeDelta::seconds(10), (expiration - now) / 2);
                        state.refresh_at = Some(now + pause);
                        tracing::warn!(action = self.action(), error = %error, "refreshing credentials failed; the current ones are still valid and stay in use");
                        Ok(current)
                    }
                    None => Err(error),
                }
            }
        }
    }

    fn action(&self) -> &'static str {
        match &self.fetch {
            Fetch::EcsRole { .. } => "GetEcsRamRoleCredentials",
            Fetch::Uri { .. } => "GetCredentialsFromUri",
            Fetch::External { .. } => "RunCredentialsProgram",
            Fetch::CloudSso(_) => "GetCloudSsoCredentials",
            Fetch::OAuth(_) => "ExchangeOAuthToken",
            Fetch::Oidc { .. } => crate::kms::sts::ASSUME_ROLE_WITH_OIDC,
            Fetch::AssumeRole { .. } => crate::kms::sts::ASSUME_ROLE,
        }
    }

    async fn fetch(
        &self,
        context: &FetchContext,
        fetches: &AtomicU64,
        options: &CallOptions,
    ) -> Result<(Credentials, Option<DateTime<Utc>>), KmsError> {
        let temporary =
            |fetched: TemporaryCredentials| (fetched.credentials, Some(fetched.expiration));
        let result = match &self.fetch {
            Fetch::EcsRole(role) => metadata::ecs_role_credentials(context, role, options)
                .await
                .map(temporary),
            Fetch::Uri { uri } => uri::uri_credentials(context, uri.expose_secret(), options)
                .await
                .map(temporary),
            Fetch::Oidc { role, source } => {
                sts::assume_role_with_oidc(context, role, source, options)
                    .await
                    .map(temporary)
            }
            Fetch::External { command, source } => {
                process::external_credentials(command, source, options).await
            }
            Fetch::CloudSso(login) => cloud_sso::cloud_sso_credentials(context, login, options)
                .await
                .map(temporary),
            Fetch::OAuth(login) => {
                let mut working = login
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .clone();
                let result = oauth::oauth_credentials(context, &mut working, options).await;
                *login
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = working;
                result.map(temporary)
            }
            Fetch::AssumeRole {
                base,
                base_description,
                role,
                source,
            } => {
                let caller = base.get(context, fetches, options).await?;
                sts::assume_role(
                    context,
                    role,
                    &caller.credentials,
                    source,
                    base_description,
                    options,
                )
                .await
                .map(temporary)
            }
        };
        if result.is_ok() {
            fetches.fetch_add(1, Ordering::Relaxed);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn refresh_margins() {
        // An hour: three minutes early.
        assert_eq!(refresh_time(at(0), at(3600)), at(3600 - 180));
        // Twenty seconds: five seconds early.
        assert_eq!(refresh_time(at(0), at(20)), at(15));
        // Already expired: refresh on the next call.
        assert_eq!(refresh_time(at(10), at(5)), at(10));
    }
}
