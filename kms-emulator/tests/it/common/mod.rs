//! A small signing client for the integration tests: builds RPC requests the way the official
//! SDKs do, sends them over a plain TCP connection, and reads the answer (or notices that the
//! connection was closed without one).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use kms_emulator::signature::{percent_encode, sign, string_to_sign};
use serde_json::Value;

/// What came back.
#[derive(Debug)]
pub enum Reply {
    /// An HTTP response.
    Answered {
        status: u16,
        headers: Vec<(String, String)>,
        body: Value,
        text: String,
    },
    /// The connection was closed without a response.
    Dropped,
}

impl Reply {
    pub fn status(&self) -> u16 {
        match self {
            Reply::Answered { status, .. } => *status,
            Reply::Dropped => panic!("expected an answer, the connection was dropped"),
        }
    }

    pub fn body(&self) -> &Value {
        match self {
            Reply::Answered { body, .. } => body,
            Reply::Dropped => panic!("expected an answer, the connection was dropped"),
        }
    }

    pub fn code(&self) -> &str {
        self.body()["Code"].as_str().unwrap_or("")
    }

    /// Asserts a success and returns the body.
    pub fn assert_ok(&self) -> &Value {
        assert_eq!(self.status(), 200, "expected success, got {self:?}");
        assert!(
            self.body().get("Code").is_none(),
            "a success body carries no Code: {self:?}"
        );
        assert!(
            self.body()["RequestId"].is_string(),
            "a success body carries a RequestId: {self:?}"
        );
        self.body()
    }

    /// Asserts an error answer with this status and code, in the documented error format.
    pub fn assert_error(&self, status: u16, code: &str) -> &Value {
        assert_eq!(
            (self.status(), self.code()),
            (status, code),
            "unexpected answer {self:?}"
        );
        let body = self
            .body()
            .as_object()
            .expect("an error body is a JSON object");
        let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["Code", "HostId", "Message", "Recommend", "RequestId"],
            "error body fields"
        );
        self.body()
    }

    pub fn message(&self) -> &str {
        self.body()["Message"].as_str().unwrap_or("")
    }
}

/// Sends raw bytes and reads until the server closes the connection.
pub fn send_raw(addr: SocketAddr, request: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connect to the emulator");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    // The server may answer (and close) before reading a huge body: ignore write errors.
    let _ = stream.write_all(request);
    let mut received = Vec::new();
    let _ = stream.read_to_end(&mut received);
    parse_response(&received)
}

fn parse_response(received: &[u8]) -> Reply {
    if received.is_empty() {
        return Reply::Dropped;
    }
    let text = String::from_utf8_lossy(received).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
    let body_text = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    let body = serde_json::from_str(&body_text).unwrap_or(Value::Null);
    Reply::Answered {
        status,
        headers,
        body,
        text: body_text,
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size_line, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size_line.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

/// Form-encodes parameters for a URL or body.
pub fn encode_params(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .map(|(key, value)| format!("{}={}", percent_encode(key), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A unique nonce for this process.
pub fn fresh_nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The current time in the API format.
pub fn now_timestamp() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A signing client.
#[derive(Clone)]
pub struct Client {
    pub addr: SocketAddr,
    pub access_key_id: String,
    pub access_key_secret: String,
    pub security_token: Option<String>,
}

impl Client {
    /// A client signing with temporary credentials as STS and the metadata stand-in return them
    /// (`{"AccessKeyId", "AccessKeySecret", "SecurityToken", ...}`).
    pub fn from_credentials(addr: SocketAddr, credentials: &Value) -> Self {
        let field = |name: &str| {
            credentials[name]
                .as_str()
                .unwrap_or_else(|| panic!("credentials without {name}: {credentials}"))
                .to_owned()
        };
        Client {
            addr,
            access_key_id: field("AccessKeyId"),
            access_key_secret: field("AccessKeySecret"),
            security_token: Some(field("SecurityToken")),
        }
    }

    pub fn demo(addr: SocketAddr) -> Self {
        Client {
            addr,
            access_key_id: kms_emulator::DEMO_ACCESS_KEY_ID.to_owned(),
            access_key_secret: kms_emulator::DEMO_ACCESS_KEY_SECRET.to_owned(),
            security_token: None,
        }
    }

    /// The common parameters plus `extra`, unsigned.
    pub fn unsigned(&self, action: &str, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut params: BTreeMap<String, String> = [
            ("Action", action.to_owned()),
            ("Version", "2016-01-20".to_owned()),
            ("Format", "JSON".to_owned()),
            ("AccessKeyId", self.access_key_id.clone()),
            ("SignatureMethod", "HMAC-SHA1".to_owned()),
            ("SignatureVersion", "1.0".to_owned()),
            ("SignatureNonce", fresh_nonce()),
            ("Timestamp", now_timestamp()),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
        if let Some(token) = &self.security_token {
            params.insert("SecurityToken".to_owned(), token.clone());
        }
        for (key, value) in extra {
            params.insert((*key).to_owned(), (*value).to_owned());
        }
        params
    }

    /// Adds `Signature` for `method`.
    pub fn sign(&self, method: &str, params: &mut BTreeMap<String, String>) {
        params.remove("Signature");
        let signature = sign(&self.access_key_secret, &string_to_sign(method, params));
        params.insert("Signature".to_owned(), signature);
    }

    /// POST with every parameter in the query string (the Tea SDK's shape).
    pub fn call(&self, action: &str, extra: &[(&str, &str)]) -> Reply {
        let mut params = self.unsigned(action, extra);
        self.sign("POST", &mut params);
        self.send("POST", &params, None)
    }

    /// GET with every parameter in the query string.
    pub fn get(&self, action: &str, extra: &[(&str, &str)]) -> Reply {
        let mut params = self.unsigned(action, extra);
        self.sign("GET", &mut params);
        self.send("GET", &params, None)
    }

    /// Sends already-built parameters in the query string, with an optional form body.
    pub fn send(
        &self,
        method: &str,
        query: &BTreeMap<String, String>,
        form_body: Option<&str>,
    ) -> Reply {
        let target = if query.is_empty() {
            "/".to_owned()
        } else {
            format!("/?{}", encode_params(query))
        };
        let mut request = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        let body = form_body.unwrap_or("");
        if form_body.is_some() {
            request.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        send_raw(self.addr, request.as_bytes())
    }
}

/// Starts an emulator with the default configuration.
pub fn start() -> kms_emulator::Emulator {
    kms_emulator::Emulator::start_blocking(kms_emulator::Config::default())
        .expect("start the emulator")
}

/// Creates an AAP with one policy.
pub fn create_access_point(client: &Client, name: &str) -> Value {
    client
        .call(
            "CreateApplicationAccessPoint",
            &[("Name", name), ("Policies", "[\"policy_a\"]")],
        )
        .assert_ok()
        .clone()
}

/// A signature V3 (`ACS3-HMAC-SHA256`) request being built: the tests change its parts before
/// or after signing to provoke each gateway error.
#[derive(Debug, Clone)]
pub struct V3Request {
    pub method: String,
    pub query: BTreeMap<String, String>,
    /// Lower-case names, in the order they are sent.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl V3Request {
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(header, _)| header != name);
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(header, _)| header != name);
    }
}

impl Client {
    /// An unsigned V3 request shaped as the Tea SDK sends it (action parameters in the query).
    pub fn v3(
        &self,
        method: &str,
        action: &str,
        version: &str,
        query: &[(&str, &str)],
    ) -> V3Request {
        let mut headers = vec![
            ("host".to_owned(), self.addr.to_string()),
            ("x-acs-action".to_owned(), action.to_owned()),
            ("x-acs-version".to_owned(), version.to_owned()),
            ("x-acs-date".to_owned(), now_timestamp()),
            ("x-acs-signature-nonce".to_owned(), fresh_nonce()),
            ("accept".to_owned(), "application/json".to_owned()),
        ];
        if let Some(token) = &self.security_token {
            headers.push(("x-acs-security-token".to_owned(), token.clone()));
        }
        V3Request {
            method: method.to_owned(),
            query: query
                .iter()
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                .collect(),
            headers,
            body: String::new(),
        }
    }

    /// Adds `x-acs-content-sha256` (unless set) and an `Authorization` header signing every
    /// header present.
    pub fn sign_v3(&self, request: &mut V3Request) {
        use kms_emulator::signature_v3;
        request.remove_header("authorization");
        if !request
            .headers
            .iter()
            .any(|(name, _)| name == "x-acs-content-sha256")
        {
            let hash = signature_v3::sha256_hex(request.body.as_bytes());
            request.set_header("x-acs-content-sha256", &hash);
        }
        let signed: Vec<String> = request
            .headers
            .iter()
            .map(|(name, _)| name.clone())
            .collect();
        let canonical = signature_v3::canonical_request(
            &request.method,
            "/",
            &request.query,
            &request.headers,
            &signed,
            &request
                .headers
                .iter()
                .find(|(name, _)| name == "x-acs-content-sha256")
                .map(|(_, value)| value.clone())
                .unwrap_or_default(),
        );
        let signature = signature_v3::sign(
            &self.access_key_secret,
            &signature_v3::string_to_sign(&canonical),
        );
        let (_, signed_line) = signature_v3::canonical_headers(&request.headers, &signed);
        request.set_header(
            "authorization",
            &format!(
                "ACS3-HMAC-SHA256 Credential={},SignedHeaders={signed_line},Signature={signature}",
                self.access_key_id
            ),
        );
    }

    /// Sends a V3 request as built (no signing here).
    pub fn send_v3(&self, request: &V3Request) -> Reply {
        let target = if request.query.is_empty() {
            "/".to_owned()
        } else {
            format!("/?{}", encode_params(&request.query))
        };
        let mut text = format!("{} {target} HTTP/1.1\r\n", request.method);
        for (name, value) in &request.headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        text.push_str(&format!(
            "Connection: close\r\nContent-Length: {}\r\n\r\n{}",
            request.body.len(),
            request.body
        ));
        send_raw(self.addr, text.as_bytes())
    }

    /// Builds, signs and sends a V3 call.
    pub fn call_v3(&self, action: &str, version: &str, query: &[(&str, &str)]) -> Reply {
        let mut request = self.v3("POST", action, version, query);
        self.sign_v3(&mut request);
        self.send_v3(&request)
    }
}
