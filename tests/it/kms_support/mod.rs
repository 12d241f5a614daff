//! The scripted HTTP/1.1 server on loopback that the tests stand in for KMS with when the emulator
//! cannot play the part (it records every request and answers from a script, or passes requests on
//! as a forward proxy; `BackgroundServer` runs it for a test without a runtime, one driving the
//! binary), and builders for clients pointed at it. What is by nature no HTTP server stays a raw
//! socket in its test: a TLS endpoint whose certificate nobody trusts, and [`closed_endpoint`].

#![allow(dead_code)] // Each test file uses a different subset.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alicloud_kms_provider::kms::{
    self, ClientOptions, Credentials, ResolvedConfig, RetryPolicy, Scheme, SecretString,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// What the server does with the next request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Answer with this status and body (content-type JSON).
    Body { status: u16, body: String },
    /// Never answer; keep the connection open.
    Hang,
    /// Close the connection without answering.
    Close,
    /// Be a forward proxy: pass the request, whose target is an absolute `http://` URL, on to
    /// that host with `Connection: close`, relay its whole answer, and close the connection.
    Forward,
}

/// A JSON reply.
pub fn json(status: u16, body: &str) -> Reply {
    Reply::Body {
        status,
        body: body.to_owned(),
    }
}

/// An error reply in the service's format.
pub fn service_error(status: u16, code: &str, request_id: &str) -> Reply {
    json(
        status,
        &format!(
            r#"{{"RequestId":"{request_id}","HostId":"kms.cn-hangzhou.aliyuncs.com","Code":"{code}","Message":"scripted {code}","Recommend":"https://api.aliyun.com/troubleshoot?q={code}"}}"#
        ),
    )
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RecordedRequest {
    /// The query parameters, form-decoded, in order.
    pub fn query_parameters(&self) -> Vec<(String, String)> {
        let query = self
            .target
            .split_once('?')
            .map(|(_, query)| query)
            .unwrap_or("");
        form_decode(query)
    }

    /// The body parameters, form-decoded, in order.
    pub fn body_parameters(&self) -> Vec<(String, String)> {
        form_decode(&self.body)
    }

    /// The value of a query or body parameter.
    pub fn parameter(&self, name: &str) -> Option<String> {
        self.query_parameters()
            .into_iter()
            .chain(self.body_parameters())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// A header value (names compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space), as the real gateway does.
pub fn form_decode(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => decoded.push(b' '),
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).expect("ascii");
                decoded.push(u8::from_str_radix(hex, 16).expect("valid percent escape"));
                index += 2;
            }
            other => decoded.push(other),
        }
        index += 1;
    }
    String::from_utf8(decoded).expect("utf-8 after decoding")
}

struct ServerState {
    script: Mutex<VecDeque<Reply>>,
    /// The reply once the script has run out; without one, a 500 `InvalidScript`.
    fallback: Option<Reply>,
    requests: Mutex<Vec<RecordedRequest>>,
    /// Connections that opened with bytes that are not an HTTP request.
    not_http: AtomicUsize,
    request_arrived: Notify,
}

/// A loopback HTTP/1.1 server that answers from a script, one reply per request, in order.
/// When the script runs out it answers 500 with an `InvalidScript` code, which tests notice.
/// Bytes that are not an HTTP request (a TLS client hello, say) get `400 Bad Request` and the
/// connection closes, as any HTTP server does; no script entry is used, and they are counted.
pub struct ScriptedServer {
    address: std::net::SocketAddr,
    state: Arc<ServerState>,
}

impl ScriptedServer {
    /// Binds port 0 on 127.0.0.1 and starts serving `replies`.
    pub async fn start(replies: Vec<Reply>) -> Self {
        Self::start_with_fallback(replies, None).await
    }

    /// Like [`ScriptedServer::start`], answering `fallback` (when given) once the script has run
    /// out.
    async fn start_with_fallback(replies: Vec<Reply>, fallback: Option<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let address = listener.local_addr().expect("local address");
        let state = Arc::new(ServerState {
            script: Mutex::new(replies.into()),
            fallback,
            requests: Mutex::new(Vec::new()),
            not_http: AtomicUsize::new(0),
            request_arrived: Notify::new(),
        });
        let accept_state = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_connection(stream, Arc::clone(&accept_state)));
            }
        });
        Self { address, state }
    }

    /// `127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        self.address.to_string()
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests.lock().expect("lock").clone()
    }

    /// How many connections opened with bytes that are not an HTTP request.
    pub fn not_http_count(&self) -> usize {
        self.state.not_http.load(Ordering::SeqCst)
    }

    /// Waits until at least `count` requests have arrived.
    pub async fn wait_for_requests(&self, count: usize) {
        loop {
            let notified = self.state.request_arrived.notified();
            if self.requests().len() >= count {
                return;
            }
            notified.await;
        }
    }
}

/// A [`ScriptedServer`] for a test that has no runtime of its own (one that drives the provider
/// binary): it serves on a runtime it owns, until dropped.
pub struct BackgroundServer {
    server: ScriptedServer,
    _runtime: tokio::runtime::Runtime,
}

impl BackgroundServer {
    /// A server that answers every request with `reply` ([`Reply::Forward`]: a forward proxy).
    pub fn answering_every_request(reply: Reply) -> BackgroundServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the scripted server");
        let server = runtime.block_on(ScriptedServer::start_with_fallback(Vec::new(), Some(reply)));
        BackgroundServer {
            server,
            _runtime: runtime,
        }
    }
}

impl std::ops::Deref for BackgroundServer {
    type Target = ScriptedServer;

    fn deref(&self) -> &ScriptedServer {
        &self.server
    }
}

async fn serve_connection(mut stream: TcpStream, state: Arc<ServerState>) {
    let mut buffer = Vec::new();
    loop {
        let request = match read_request(&mut stream, &mut buffer).await {
            Received::Request(request) => request,
            Received::NotHttp => {
                state.not_http.fetch_add(1, Ordering::SeqCst);
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    )
                    .await;
                return;
            }
            Received::End => return,
        };
        let reply = state
            .script
            .lock()
            .expect("lock")
            .pop_front()
            .or_else(|| state.fallback.clone());
        state.requests.lock().expect("lock").push(request.clone());
        state.request_arrived.notify_waiters();
        match reply {
            Some(Reply::Body { status, body }) => {
                let head = format!(
                    "HTTP/1.1 {status} Scripted\r\ncontent-type: application/json;charset=utf-8\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                if stream.write_all(head.as_bytes()).await.is_err()
                    || stream.write_all(body.as_bytes()).await.is_err()
                {
                    return;
                }
            }
            Some(Reply::Hang) => {
                // Hold the connection open until the client goes away.
                let mut sink = [0u8; 1024];
                while matches!(stream.read(&mut sink).await, Ok(read) if read > 0) {}
                return;
            }
            Some(Reply::Close) => return,
            Some(Reply::Forward) => {
                let _ = forward(&mut stream, &request).await;
                return;
            }
            None => {
                let body = r#"{"RequestId":"script-exhausted","Code":"InvalidScript","Message":"the test script has no reply left"}"#;
                let head = format!(
                    "HTTP/1.1 500 Scripted\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(body.as_bytes()).await;
            }
        }
    }
}

/// What came next on a connection.
enum Received {
    Request(RecordedRequest),
    /// Bytes that cannot start an HTTP request (a method is upper-case letters), or a head that
    /// does not parse.
    NotHttp,
    /// The client closed the connection (or it failed) between or within requests.
    End,
}

async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Received {
    let header_end = loop {
        if buffer
            .first()
            .is_some_and(|byte| !byte.is_ascii_uppercase())
        {
            return Received::NotHttp;
        }
        if let Some(position) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break position;
        }
        if !read_more(stream, buffer).await {
            return Received::End;
        }
    };
    let Some(mut request) = parse_head(&buffer[..header_end]) else {
        return Received::NotHttp;
    };
    let content_length: usize = request
        .header("content-length")
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    let body_start = header_end + 4;
    while buffer.len() < body_start + content_length {
        if !read_more(stream, buffer).await {
            return Received::End;
        }
    }
    let Ok(body) = String::from_utf8(buffer[body_start..body_start + content_length].to_vec())
    else {
        return Received::NotHttp;
    };
    buffer.drain(..body_start + content_length);
    request.body = body;
    Received::Request(request)
}

/// Appends what the client sends next to `buffer`; false when the connection has ended.
async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 4096];
    match stream.read(&mut chunk).await {
        Ok(read) if read > 0 => {
            buffer.extend_from_slice(&chunk[..read]);
            true
        }
        _ => false,
    }
}

/// The method, target and headers (names lower-cased) of a request head; the body is left empty.
fn parse_head(head: &[u8]) -> Option<RecordedRequest> {
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Some(RecordedRequest {
        method,
        target,
        headers,
        body: String::new(),
    })
}

/// [`Reply::Forward`]: passes `request` on to the host of its absolute URL, with its headers less
/// `Connection` and `Proxy-*` and with `Connection: close`, and relays the whole answer.
async fn forward(stream: &mut TcpStream, request: &RecordedRequest) -> std::io::Result<()> {
    let rest = request
        .target
        .strip_prefix("http://")
        .unwrap_or(&request.target);
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut head = format!("{} {path} HTTP/1.1\r\n", request.method);
    for (name, value) in &request.headers {
        if name != "connection" && !name.starts_with("proxy-") {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str("connection: close\r\n\r\n");
    let mut upstream = TcpStream::connect(authority).await?;
    upstream.write_all(head.as_bytes()).await?;
    upstream.write_all(request.body.as_bytes()).await?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer).await?;
    stream.write_all(&answer).await?;
    stream.shutdown().await
}

/// `127.0.0.1:<port>` where nothing listens: the port was bound, learnt and closed again, so a
/// connection to it is refused. No server at all, so no [`ScriptedServer`].
pub fn closed_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let endpoint = listener.local_addr().expect("local address").to_string();
    drop(listener);
    endpoint
}

/// A configuration pointing at `endpoint` over plain HTTP.
pub fn config_for(endpoint: &str, security_token: Option<&str>) -> ResolvedConfig {
    ResolvedConfig {
        region: Some("cn-hangzhou".to_owned()),
        ..ResolvedConfig::with_static_credentials(
            Credentials {
                access_key_id: "testid".to_owned(),
                access_key_secret: SecretString::new("testsecret"),
                security_token: security_token.map(SecretString::new),
            },
            endpoint,
            Scheme::Http,
        )
    }
}

/// Client options with millisecond backoff, so retry tests run fast.
pub fn fast_options() -> ClientOptions {
    ClientOptions {
        retry_policy: RetryPolicy {
            max_attempts: 5,
            initial_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        },
        ..ClientOptions::default()
    }
}

/// A client for `server` with [`fast_options`] and the real clock and nonce source.
pub fn fast_client(server: &ScriptedServer) -> kms::Client {
    kms::Client::with_options(config_for(&server.endpoint(), None), fast_options()).expect("client")
}

/// A successful `GetClientKey` body.
pub const GET_CLIENT_KEY_BODY: &str = r#"{"RequestId":"63d849a6-045b-4a57-ad9f-c5f756cea9e9","ClientKeyId":"KAAP.66abf237-63f6-4625-b8cf-47e1086e0000","CreateTime":"2023-08-31T09:14:38Z","KeyAlgorithm":"RSA_2048","KeyOrigin":"KMS_PROVIDED","PublicKeyData":"-----BEGIN CERTIFICATE-----\nMIID\n-----END CERTIFICATE-----","NotAfter":"2028-08-31T17:14:33Z","NotBefore":"2023-08-31T17:14:33Z","AapName":"aap_test"}"#;

/// A successful `CreateClientKey` body.
pub const CREATE_CLIENT_KEY_BODY: &str = r#"{"ClientKeyId":"KAAP.66abf237-63f6-4625-b8cf-47e1086e0001","KeyAlgorithm":"RSA_2048","NotBefore":"2023-09-01T14:11:22Z","NotAfter":"2028-09-01T14:11:22Z","PrivateKeyData":"MIIJwwIBAzCCCY8GCSqGSIb3DQEHAaCCCYAEggl8","RequestId":"bcfefe15-46f0-44a3-bd96-3d422474b71a"}"#;
