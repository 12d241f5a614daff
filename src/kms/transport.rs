//! The HTTP layer: one `reqwest` client (rustls, keep-alive pool, connect and read timeouts)
//! that sends an already signed request and returns the raw status and body.
//!
//! It turns `reqwest` failures into `KmsError::Transport`, deciding from the failure whether the
//! request may have been sent (only a failure to connect proves it was not), and stripping the
//! URL from the error first: the URL carries the signature and, with STS, the security token.

use std::time::Duration;

use crate::kms::credentials::ResolvedConfig;
use crate::kms::error::KmsError;

/// The largest reply body read; KMS replies for these actions are a few kilobytes.
const MAX_REPLY_BYTES: usize = 4 * 1024 * 1024;

/// Sent as `user-agent`.
const USER_AGENT: &str = concat!("alicloud-kms-provider/", env!("CARGO_PKG_VERSION"));

/// The HTTP method of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// All parameters in the query.
    Get,
    /// A form body (possibly empty) and the rest in the query.
    Post,
    /// Only for the instance metadata token.
    Put,
}

impl HttpMethod {
    /// The method as it appears on the wire and in the string to sign.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
        }
    }
}

/// A signed request ready to send. `Debug` is not derived: the query and body hold secrets.
pub(crate) struct WireRequest {
    pub action: &'static str,
    pub method: HttpMethod,
    /// The path after the base URL's `/` (empty for KMS and STS, `latest/...` for metadata).
    pub path: String,
    /// The encoded query string, without the leading `?` (empty: no query).
    pub query: String,
    /// The encoded form body, for `POST`.
    pub form_body: Option<String>,
    /// Headers besides `accept` and `user-agent` (`x-acs-action`, a V3 `authorization`, ...).
    pub headers: Vec<(&'static str, String)>,
    /// A limit on the whole exchange, tighter than the client's timeouts (metadata requests).
    pub timeout: Option<Duration>,
}

/// A reply as received.
pub(crate) struct WireReply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The HTTP client, shared by every clone of `Client`.
pub(crate) struct Transport {
    http: reqwest::Client,
    base_url: String,
    host: String,
}

impl Transport {
    /// Builds the client for `config`'s endpoint.
    pub fn new(
        config: &ResolvedConfig,
        connect_timeout: Duration,
        read_timeout: Duration,
    ) -> Result<Self, KmsError> {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(connect_timeout)
            .read_timeout(read_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            // A KMS endpoint never redirects; following one would re-send a signed request to a
            // host we did not choose.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| KmsError::ClientSetup {
                reason: innermost_reason(&error.without_url()),
            })?;
        Ok(Self {
            http,
            base_url: config.base_url(),
            host: config.endpoint.clone(),
        })
    }

    /// The same HTTP client (one connection pool) speaking to another base URL: STS, the
    /// instance metadata service, a credentials URL.
    pub fn sibling(&self, base_url: String, host: String) -> Transport {
        Transport {
            http: self.http.clone(),
            base_url,
            host,
        }
    }

    /// The `host[:port]` requests go to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Sends `request` and reads the whole reply.
    pub async fn send(&self, request: WireRequest) -> Result<WireReply, KmsError> {
        let mut url = format!("{}{}", self.base_url, request.path);
        if !request.query.is_empty() {
            url.push('?');
            url.push_str(&request.query);
        }
        let builder = match request.method {
            HttpMethod::Get => self.http.get(url),
            HttpMethod::Put => self.http.put(url),
            HttpMethod::Post => self
                .http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(request.form_body.unwrap_or_default()),
        };
        let mut builder = builder.header("accept", "application/json");
        for (name, value) in request.headers {
            builder = builder.header(name, value);
        }
        if let Some(timeout) = request.timeout {
            builder = builder.timeout(timeout);
        }
        let mut response = builder
            .send()
            .await
            .map_err(|error| self.transport_error(request.action, error))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_REPLY_BYTES {
                        return Err(KmsError::InvalidResponse {
                            action: request.action,
                            request_id: None,
                            http_status: status,
                            problem: format!("the body is larger than {MAX_REPLY_BYTES} bytes"),
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                // The status line arrived, so the request certainly reached the service.
                Err(error) => return Err(self.transport_error(request.action, error)),
            }
        }
        Ok(WireReply { status, body })
    }

    fn transport_error(&self, action: &'static str, error: reqwest::Error) -> KmsError {
        let error = error.without_url();
        // Only a failure inside the connector (DNS, TCP connect, TLS handshake, connect timeout)
        // proves that no byte of the request was written. hyper itself re-sends a request whose
        // pooled connection turned out closed before anything was written, so what reaches us
        // after connecting is genuinely ambiguous.
        let not_sent = error.is_connect() || error.is_builder();
        let reason = if error.is_connect() {
            format!("could not connect ({})", innermost_reason(&error))
        } else if error.is_timeout() {
            "no reply within the read timeout".to_owned()
        } else {
            format!("the connection failed ({})", innermost_reason(&error))
        };
        KmsError::Transport {
            action,
            host: self.host.clone(),
            request_may_have_been_sent: !not_sent,
            reason,
            source: Some(Box::new(error)),
        }
    }
}

/// The text of the innermost error of a chain (e.g. `Connection refused (os error 111)`), which
/// names the cause without the URL.
fn innermost_reason(error: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost = error;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    innermost.to_string()
}
