//! The caller-facing client: builds each attempt (fresh timestamp and nonce, signed with V2 or
//! V3), sends it, decodes the reply, and runs the retry loop under the call's deadline and
//! cancellation token. Each attempt takes its credentials from the `CredentialProvider`, which
//! fetches and refreshes temporary ones (under the same deadline) when they are due.
//!
//! `Client` is an `Arc` around one `reqwest` client, so clones are cheap and share one
//! keep-alive connection pool (with STS and the metadata service); it can be used from many tasks
//! at once.

use std::sync::Arc;

use serde::Serialize;
use tokio::time::Instant;

use crate::kms::credentials::fetch::metadata::METADATA_CONNECT_TIMEOUT;
use crate::kms::credentials::fetch::FetchContext;
use crate::kms::credentials::{
    CredentialProvider, ResolvedConfig, SignatureAlgorithm, SigningCredentials,
};
use crate::kms::error::KmsError;
pub use crate::kms::options::{
    CallOptions, ClientOptions, RetryObserver, StampSource, SystemStampSource,
    DEFAULT_OPERATION_TIMEOUT,
};
use crate::kms::response::{decode_reply, KmsResponse};
use crate::kms::retry::{classify_failure, RetryDecision, RetryEvent};
use crate::kms::secret::secret_forms;
use crate::kms::signer::{
    canonical_query, encode_pairs, format_timestamp, percent_encode_into, signature,
    string_to_sign, CommonParameters, API_VERSION,
};
use crate::kms::signer_v3;
use crate::kms::transport::{HttpMethod, Transport, WireRequest};
use crate::kms::Action;

/// Action parameters whose values are secrets, scrubbed from service messages.
const SECRET_PARAMETER_NAMES: &[&str] = &["Password"];

/// The KMS client. Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    config: ResolvedConfig,
    options: ClientOptions,
    transport: Transport,
    credentials: CredentialProvider,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Client")
            .field("config", &self.inner.config)
            .field("options", &self.inner.options)
            .finish()
    }
}

/// The result of one attempt that did not end the call by itself.
enum AttemptInterrupted {
    Cancelled,
    DeadlinePassed,
}

impl Client {
    /// A client with the default options.
    pub fn new(config: ResolvedConfig) -> Result<Self, KmsError> {
        Self::with_options(config, ClientOptions::default())
    }

    /// A client with explicit options (tests shorten the backoff and inject stamps).
    pub fn with_options(config: ResolvedConfig, options: ClientOptions) -> Result<Self, KmsError> {
        let transport = Transport::new(&config, options.connect_timeout, options.read_timeout)?;
        let metadata_host = options
            .metadata_endpoint
            .split_once("://")
            .map_or(options.metadata_endpoint.as_str(), |(_, host)| host)
            .trim_end_matches('/')
            .to_owned();
        let fetch_context = FetchContext {
            sts: transport.sibling(config.sts_base_url(), config.sts_endpoint.clone()),
            sts_scheme: config.sts_scheme,
            // Never through a proxy, and with the SDKs' short connect timeout.
            metadata: Transport::direct(
                format!("{}/", options.metadata_endpoint.trim_end_matches('/')),
                metadata_host,
                METADATA_CONNECT_TIMEOUT,
                options.read_timeout,
            )?,
            oauth_endpoint: options.oauth_endpoint.clone(),
            retry_policy: options.retry_policy.clone(),
            stamps: options.stamp_source.clone(),
        };
        let credentials = CredentialProvider::new(&config.credentials, fetch_context);
        Ok(Self {
            inner: Arc::new(ClientInner {
                config,
                options,
                transport,
                credentials,
            }),
        })
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &ResolvedConfig {
        &self.inner.config
    }

    /// The credentials the client signs with (their `network_fetches` count is how many times
    /// temporary credentials were fetched).
    pub fn credentials(&self) -> &CredentialProvider {
        &self.inner.credentials
    }

    /// Calls `action` with the parameters of `request`, retrying as `retry` describes.
    pub(crate) async fn call<Request: Serialize, Response: KmsResponse>(
        &self,
        action: Action,
        request: &Request,
        options: &CallOptions,
    ) -> Result<Response, KmsError> {
        let action_name = action.name();
        let action_parameters = request_parameters(request);
        let action_secret_forms = secret_forms(
            action_parameters
                .iter()
                .filter(|(name, _)| SECRET_PARAMETER_NAMES.contains(&name.as_str()))
                .map(|(_, value)| value.as_str()),
        );

        let policy = &self.inner.options.retry_policy;
        let mut attempts = 0u32;
        let mut last_failure: Option<KmsError> = None;
        // Temporary credentials refused by KMS are replaced once per call (see `cache`).
        let mut replaced_refused_credentials = false;
        loop {
            if options.cancellation.is_cancelled() {
                return Err(KmsError::Cancelled {
                    action: action_name,
                    attempts,
                    request_in_flight: false,
                });
            }
            if Instant::now() >= options.deadline {
                return Err(deadline_error(
                    action_name,
                    attempts,
                    false,
                    last_failure.as_ref(),
                ));
            }
            // Temporary credentials are fetched or refreshed here when they are due; a failure
            // means nothing was sent for this attempt.
            let signing = self.inner.credentials.signing_credentials(options).await?;
            let secrets: Vec<&str> = signing
                .secret_forms
                .iter()
                .chain(&action_secret_forms)
                .map(String::as_str)
                .collect();
            attempts += 1;
            let wire_request = self.build_request(action, &action_parameters, &signing);
            let attempt = tokio::select! {
                biased;
                () = options.cancellation.cancelled() => Err(AttemptInterrupted::Cancelled),
                () = tokio::time::sleep_until(options.deadline) => Err(AttemptInterrupted::DeadlinePassed),
                result = self.inner.transport.send(wire_request) => Ok(result),
            };
            let failure = match attempt {
                Ok(Ok(reply)) => {
                    match decode_reply::<Response>(action_name, reply.status, &reply.body, &secrets)
                    {
                        Ok(response) => return Ok(response),
                        Err(failure) => failure,
                    }
                }
                Ok(Err(failure)) => failure,
                Err(interrupted) => {
                    let error = match interrupted {
                        AttemptInterrupted::Cancelled => KmsError::Cancelled {
                            action: action_name,
                            attempts,
                            request_in_flight: true,
                        },
                        AttemptInterrupted::DeadlinePassed => {
                            deadline_error(action_name, attempts, true, last_failure.as_ref())
                        }
                    };
                    // The abandoned attempt may have reached the service; for a create that
                    // leaves the outcome unknown.
                    return Err(if action.is_idempotent() {
                        error
                    } else {
                        KmsError::OutcomeUnknown {
                            action: action_name,
                            cause: Box::new(error),
                        }
                    });
                }
            };

            // A refusal of the credentials themselves happens before KMS acts, so even a create
            // may be sent again, once, with fresh ones.
            if !replaced_refused_credentials
                && refuses_temporary_credentials(&failure, &signing)
                && self.inner.credentials.invalidate(&signing)
            {
                replaced_refused_credentials = true;
                tracing::info!(
                    action = action_name,
                    code = failure.service_code().unwrap_or_default(),
                    "kms refused the temporary credentials; fetching fresh ones and trying once more"
                );
                last_failure = Some(failure);
                continue;
            }
            let time_left = options.deadline.saturating_duration_since(Instant::now());
            let jitter = self.inner.options.stamp_source.jitter_fraction();
            let decision = policy.decide(
                classify_failure(&failure),
                action.idempotency(),
                attempts,
                time_left,
                jitter,
            );
            match decision {
                RetryDecision::Stop => return Err(failure),
                RetryDecision::StopOutcomeUnknown => {
                    return Err(KmsError::OutcomeUnknown {
                        action: action_name,
                        cause: Box::new(failure),
                    });
                }
                RetryDecision::StopDeadlineTooClose => {
                    return Err(deadline_error(action_name, attempts, false, Some(&failure)));
                }
                RetryDecision::RetryAfter(delay) => {
                    let event = RetryEvent {
                        action: action_name,
                        attempt: attempts,
                        delay,
                        reason: failure.to_string(),
                    };
                    tracing::info!(action = action_name, attempt = attempts, delay_ms = delay.as_millis() as u64, reason = %event.reason, "retrying kms call");
                    if let Some(observer) = &options.observer {
                        observer(&event);
                    }
                    tokio::select! {
                        biased;
                        () = options.cancellation.cancelled() => {
                            return Err(KmsError::Cancelled { action: action_name, attempts, request_in_flight: false });
                        }
                        () = tokio::time::sleep(delay) => {}
                    }
                    last_failure = Some(failure);
                }
            }
        }
    }

    /// Builds one signed attempt with a fresh timestamp and nonce.
    fn build_request(
        &self,
        action: Action,
        action_parameters: &[(String, String)],
        signing: &SigningCredentials,
    ) -> WireRequest {
        if self.inner.config.signature_algorithm == SignatureAlgorithm::V3 {
            return self.build_v3_request(action, action_parameters, signing);
        }
        let stamps = &self.inner.options.stamp_source;
        let timestamp = format_timestamp(stamps.utc_now());
        let nonce = stamps.fresh_nonce();
        let credentials = &signing.credentials;
        let common = CommonParameters {
            action: action.name(),
            access_key_id: &credentials.access_key_id,
            security_token: credentials
                .security_token
                .as_ref()
                .map(|token| token.expose_secret()),
            timestamp: &timestamp,
            signature_nonce: &nonce,
        }
        .to_parameters();
        let secret = credentials.access_key_secret.expose_secret();
        let (method, in_body) = action.placement();
        // Every parameter is percent-encoded once: the canonical query (sorted, encoded, joined)
        // is also a valid wire query, so when everything travels in the query it is sent as is.
        let signed: Vec<(&str, &str)> = common
            .iter()
            .chain(action_parameters)
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        let canonical = canonical_query(&signed);
        let signature = signature(secret, &string_to_sign(method.as_str(), &canonical));
        let (mut query, form_body) = if in_body {
            (encode_pairs(&common), Some(encode_pairs(action_parameters)))
        } else {
            // Reads sent as POST still carry an empty form body, as tea-rpc sends them.
            (canonical, (method == HttpMethod::Post).then(String::new))
        };
        query.push_str("&Signature=");
        percent_encode_into(&mut query, &signature);
        WireRequest {
            action: action.name(),
            method,
            path: String::new(),
            query,
            form_body,
            headers: vec![
                ("x-acs-action", action.name().to_owned()),
                ("x-acs-version", API_VERSION.to_owned()),
            ],
            timeout: None,
        }
    }

    /// Builds one attempt signed with `ACS3-HMAC-SHA256`: the action and version travel as
    /// `x-acs-*` headers, the parameters where V2 puts them (a create's in the form body, whose
    /// hash is signed), and the signature in `Authorization`.
    fn build_v3_request(
        &self,
        action: Action,
        action_parameters: &[(String, String)],
        signing: &SigningCredentials,
    ) -> WireRequest {
        let stamps = &self.inner.options.stamp_source;
        let credentials = &signing.credentials;
        let (method, in_body) = action.placement();
        let (query_parameters, form_body): (&[(String, String)], Option<String>) = if in_body {
            (&[], Some(encode_pairs(action_parameters)))
        } else {
            (
                action_parameters,
                (method == HttpMethod::Post).then(String::new),
            )
        };
        let hashed_payload =
            signer_v3::hashed_payload(form_body.as_deref().unwrap_or_default().as_bytes());
        let mut headers: Vec<(&'static str, String)> = vec![
            ("host", self.inner.config.endpoint.clone()),
            ("x-acs-action", action.name().to_owned()),
            ("x-acs-version", API_VERSION.to_owned()),
            ("x-acs-date", format_timestamp(stamps.utc_now())),
            ("x-acs-signature-nonce", stamps.fresh_nonce()),
            ("x-acs-content-sha256", hashed_payload.clone()),
        ];
        if let Some(token) = credentials
            .security_token
            .as_ref()
            .filter(|token| !token.is_empty())
        {
            headers.push(("x-acs-security-token", token.expose_secret().to_owned()));
        }
        let mut signed_headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        if form_body.is_some() {
            // The transport sends this content type with every form body.
            signed_headers.push(("content-type", "application/x-www-form-urlencoded"));
        }
        let query: Vec<(&str, &str)> = query_parameters
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        let stages = signer_v3::sign(
            &signer_v3::V3Request {
                http_method: method.as_str(),
                path: "/",
                query: &query,
                headers: &signed_headers,
                hashed_payload: &hashed_payload,
            },
            &credentials.access_key_id,
            credentials.access_key_secret.expose_secret(),
        );
        headers.push(("authorization", stages.authorization));
        WireRequest {
            action: action.name(),
            method,
            path: String::new(),
            query: encode_pairs(query_parameters),
            form_body,
            headers,
            timeout: None,
        }
    }
}

/// Whether KMS refused the temporary credentials a request was signed with: any
/// `InvalidSecurityToken.*`, or `InvalidAccessKeyId.*` for a key that came with a token.
fn refuses_temporary_credentials(failure: &KmsError, signing: &SigningCredentials) -> bool {
    let Some(code) = failure.service_code() else {
        return false;
    };
    let temporary = signing.credentials.security_token.is_some();
    code.starts_with("InvalidSecurityToken")
        || (temporary && code.starts_with("InvalidAccessKeyId"))
}

fn deadline_error(
    action: &'static str,
    attempts: u32,
    in_flight: bool,
    last: Option<&KmsError>,
) -> KmsError {
    KmsError::DeadlineExceeded {
        action,
        attempts,
        request_in_flight: in_flight,
        last_failure: last.map(ToString::to_string),
        last_request_id: last.and_then(|failure| failure.request_id().map(str::to_owned)),
    }
}

/// Flattens a request struct into wire parameters: its serde field names are the API's, strings
/// go as they are, numbers and booleans as text, absent fields not at all.
pub(crate) fn request_parameters<Request: Serialize>(request: &Request) -> Vec<(String, String)> {
    let value = serde_json::to_value(request).expect("request structs serialise to JSON");
    let serde_json::Value::Object(fields) = value else {
        unreachable!("request structs are JSON objects");
    };
    fields
        .into_iter()
        .filter_map(|(name, value)| match value {
            serde_json::Value::Null => None,
            serde_json::Value::String(text) => Some((name, text)),
            other => Some((name, other.to_string())),
        })
        .collect()
}
