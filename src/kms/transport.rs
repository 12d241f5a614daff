//! The HTTP layer: one `reqwest` client (rustls, keep-alive pool, connect and read timeouts)
//! that sends an already signed request and returns the raw status and body.
//!
//! Which destination uses which client: KMS, STS, a credentials URL, the CloudSSO portal and
//! the OAuth service share one client, which honours `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`
//! (reqwest's system proxies); the instance metadata service gets a client of its own built
//! without any proxy ([`Transport::direct`]), whatever its address: a proxy cannot reach the
//! metadata address, and must never see the credentials it hands out.
//!
//! It turns `reqwest` failures into `KmsError::Transport`, deciding from the failure whether the
//! request may have been sent (only a failure to connect proves it was not), and stripping the
//! URL from the error first: the URL carries the signature and, with STS, the security token.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use crate::kms::credentials::ResolvedConfig;
use crate::kms::error::{KmsError, TransportProblem};

/// The largest reply body read; KMS replies for these actions are a few kilobytes.
const MAX_REPLY_BYTES: usize = 4 * 1024 * 1024;

/// Sent as `user-agent`.
const USER_AGENT: &str = concat!("alicloud-kms-provider/", env!("CARGO_PKG_VERSION"));

/// The HTTP method of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// All parameters in the query.
    Get,
    /// A body (a form, unless the headers name another content type) and the rest in the query.
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
    /// The body, for `POST`: a form, unless `headers` name another `content-type`.
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

/// A `reqwest` client with the provider's settings; `through_proxies`: whether the environment's
/// proxy variables apply.
fn http_client(
    connect_timeout: Duration,
    read_timeout: Duration,
    through_proxies: bool,
) -> Result<reqwest::Client, KmsError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(connect_timeout)
        .read_timeout(read_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
        // A KMS endpoint never redirects; following one would re-send a signed request to a
        // host we did not choose.
        .redirect(reqwest::redirect::Policy::none());
    if !through_proxies {
        builder = builder.no_proxy();
    }
    builder.build().map_err(|error| KmsError::ClientSetup {
        reason: innermost_reason(&error.without_url()),
    })
}

impl Transport {
    /// Builds the client for `config`'s endpoint (through the environment's proxies).
    pub fn new(
        config: &ResolvedConfig,
        connect_timeout: Duration,
        read_timeout: Duration,
    ) -> Result<Self, KmsError> {
        let http = http_client(connect_timeout, read_timeout, true)?;
        let base_url = config.base_url();
        check_base_url(&base_url, &config.endpoint)?;
        Ok(Self {
            http,
            base_url,
            host: config.endpoint.clone(),
        })
    }

    /// A client of its own that never goes through a proxy (the instance metadata service).
    /// `base_url` ends with `/`.
    pub fn direct(
        base_url: String,
        host: String,
        connect_timeout: Duration,
        read_timeout: Duration,
    ) -> Result<Self, KmsError> {
        Ok(Self {
            http: http_client(connect_timeout, read_timeout, false)?,
            base_url,
            host,
        })
    }

    /// The same HTTP client (one connection pool) speaking to another base URL: STS, a
    /// credentials URL, the CloudSSO portal, the OAuth service.
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

    /// The base URL requests go to (ending with `/`).
    pub fn base_url(&self) -> &str {
        &self.base_url
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
            HttpMethod::Post => {
                let typed = request
                    .headers
                    .iter()
                    .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
                let builder = self.http.post(url);
                let builder = if typed {
                    builder
                } else {
                    builder.header("content-type", "application/x-www-form-urlencoded")
                };
                builder.body(request.form_body.unwrap_or_default())
            }
        };
        let mut builder = builder.header("accept", "application/json");
        // A value no header can carry (a line break in a token) is named here, rather than
        // becoming reqwest's builder error, which reads as a bad endpoint.
        if let Some((name, _)) = request
            .headers
            .iter()
            .find(|(_, value)| reqwest::header::HeaderValue::from_str(value).is_err())
        {
            return Err(KmsError::ClientSetup {
                reason: format!(
                    "the {name} header cannot carry the value it was given (it has a line break or another control character): the token or key behind it is not valid; set it again without it"
                ),
            });
        }
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
        let problem = classify_transport_failure(&error);
        let reason = if error.is_builder() {
            "the endpoint is not a valid url".to_owned()
        } else if problem == TransportProblem::UnknownHost {
            format!(
                "the host name does not resolve ({})",
                innermost_reason(&error)
            )
        } else if problem == TransportProblem::UntrustedCertificate {
            format!(
                "the server's tls certificate is not trusted ({})",
                innermost_reason(&error)
            )
        } else if problem == TransportProblem::TlsHandshake {
            format!("the tls handshake failed ({})", innermost_reason(&error))
        } else if error.is_connect() {
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
            problem,
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

/// Refuses an endpoint that cannot become a URL with a usable port, before any request: such an
/// endpoint fails the same way on every attempt.
fn check_base_url(base_url: &str, endpoint: &str) -> Result<(), KmsError> {
    let problem = match reqwest::Url::parse(base_url) {
        Err(error) => Some(error.to_string()),
        Ok(url) if url.port() == Some(0) => Some("port 0 cannot be connected to".to_owned()),
        Ok(url) if url.host_str().is_none_or(str::is_empty) => Some("it has no host".to_owned()),
        Ok(_) => None,
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(KmsError::ClientSetup {
            reason: format!(
                "the endpoint {endpoint} is not a valid host and port ({problem}); set endpoint to \
                 host[:port] or http(s)://host[:port], with a port from 1 to 65535"
            ),
        }),
    }
}

/// Tells a failure that trying again cannot fix from one that may go away. It looks at types
/// (rustls's error inside the I/O error of the TLS stream), never at messages, except for the
/// resolver: getaddrinfo's errors reach us only as text, so "no such host" is recognised by the
/// wording of the C libraries (glibc, musl, macOS), and every other DNS failure stays transient.
fn classify_transport_failure(error: &reqwest::Error) -> TransportProblem {
    if error.is_builder() {
        return TransportProblem::InvalidEndpoint;
    }
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(layer) = current {
        if let Some(tls) = tls_error_of(layer) {
            return match tls {
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => {
                    TransportProblem::UntrustedCertificate
                }
                _ => TransportProblem::TlsHandshake,
            };
        }
        // hyper-util's connector names a resolver failure "dns error", with getaddrinfo's error
        // as its cause.
        if layer.to_string() == "dns error" {
            let cause = layer.source().map(innermost_reason).unwrap_or_default();
            return if host_does_not_exist(&cause) {
                TransportProblem::UnknownHost
            } else {
                TransportProblem::Transient
            };
        }
        current = layer.source();
    }
    TransportProblem::Transient
}

/// The rustls error behind one layer of an error chain: the layer itself, or the error inside an
/// `io::Error` (which `source()` skips), however deeply the I/O errors are nested (hyper-rustls
/// wraps tokio-rustls's `InvalidData` error in one of its own).
fn tls_error_of<'a>(layer: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut layer: &(dyn StdError + 'static) = layer;
    loop {
        if let Some(tls) = layer.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        layer = layer.downcast_ref::<io::Error>()?.get_ref()?;
    }
}

/// Whether a getaddrinfo message says that the name does not exist (`EAI_NONAME`, `EAI_NODATA`,
/// `EAI_FAIL`), as opposed to a resolver that could not be asked (`EAI_AGAIN`, a system error).
fn host_does_not_exist(message: &str) -> bool {
    const NO_SUCH_HOST: &[&str] = &[
        "Name or service not known",                  // glibc EAI_NONAME
        "No address associated with hostname",        // glibc EAI_NODATA
        "Name does not resolve",                      // musl EAI_NONAME
        "nodename nor servname provided",             // macOS EAI_NONAME
        "Non-recoverable failure in name resolution", // EAI_FAIL
    ];
    NO_SUCH_HOST.iter().any(|text| message.contains(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolver_messages_table() {
        let cases = [
            ("failed to lookup address information: Name or service not known", true),
            ("failed to lookup address information: Name does not resolve", true),
            ("failed to lookup address information: nodename nor servname provided, or not known", true),
            ("failed to lookup address information: No address associated with hostname", true),
            ("failed to lookup address information: Temporary failure in name resolution", false),
            ("failed to lookup address information: System error", false),
        ];
        for (message, no_such_host) in cases {
            assert_eq!(host_does_not_exist(message), no_such_host, "{message}");
        }
    }

    #[test]
    fn base_urls_table() {
        for good in [
            "http://127.0.0.1:8080/",
            "https://kms.cn-hangzhou.aliyuncs.com/",
            "http://[::1]:80/",
        ] {
            assert!(check_base_url(good, good).is_ok(), "{good}");
        }
        for bad in [
            "http://127.0.0.1:1:x/",
            "http://127.0.0.1:70000/",
            "http://127.0.0.1:0/",
            "http://:80/",
        ] {
            let error = check_base_url(bad, bad).expect_err(bad).to_string();
            assert!(error.contains("port"), "{error}");
        }
    }
}
