//! The local KMS emulator the harness starts (the release `kms-emulator` binary, so its CPU is
//! never charged to a client being measured), its control endpoint for faults and counters, and
//! the set-up calls made through the provider's own KMS client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use alicloud_kms_provider::kms::{
    self, CallOptions, Credentials, ResolvedConfig, Scheme, SecretString,
};
use alicloud_kms_provider::resources::application_access_point::kms::{
    create_application_access_point, CreateApplicationAccessPointRequest,
};
use alicloud_kms_provider::resources::client_key::kms::{
    create_client_key, CreateClientKeyRequest,
};
use serde_json::Value;

use crate::BenchError;

/// The emulator's default demo credential (its README).
pub const DEMO_ACCESS_KEY_ID: &str = "demo-access-key-id";
pub const DEMO_ACCESS_KEY_SECRET: &str = "demo-access-key-secret";

/// A running emulator; killed when dropped.
pub struct Emulator {
    child: Child,
    /// `HOST:PORT`.
    pub address: String,
}

impl Emulator {
    pub fn start(binary: &Path) -> Result<Emulator, BenchError> {
        let mut child = Command::new(binary)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .env_remove("RUST_LOG")
            .spawn()
            .map_err(|error| {
                BenchError::new(format!("cannot start {}: {error}", binary.display()))
            })?;
        let mut first_line = String::new();
        BufReader::new(child.stdout.take().expect("stdout is piped"))
            .read_line(&mut first_line)
            .map_err(|error| {
                BenchError::new(format!("reading the emulator's first line failed: {error}"))
            })?;
        let address = first_line
            .trim()
            .strip_prefix("listening on http://")
            .ok_or_else(|| {
                BenchError::new(format!(
                    "unexpected first line from the emulator: {first_line:?}"
                ))
            })?
            .to_owned();
        Ok(Emulator { child, address })
    }

    /// Sends one request to the control endpoint and returns the JSON answer.
    pub fn control(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, BenchError> {
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut stream = TcpStream::connect(&self.address)
            .map_err(|error| BenchError::new(format!("cannot reach the emulator: {error}")))?;
        write!(
            stream,
            "{method} /__emulator/{path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.address,
            body.len()
        )
        .map_err(|error| BenchError::new(format!("writing to the emulator failed: {error}")))?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).map_err(|error| {
            BenchError::new(format!("reading from the emulator failed: {error}"))
        })?;
        let (head, body) = answer
            .split_once("\r\n\r\n")
            .ok_or_else(|| BenchError::new("the emulator sent no HTTP body"))?;
        if !head.starts_with("HTTP/1.1 200") {
            return Err(BenchError::new(format!(
                "the emulator's control endpoint said {head:?}: {body}"
            )));
        }
        serde_json::from_str(body).map_err(|error| {
            BenchError::new(format!("the control endpoint sent bad JSON: {error}"))
        })
    }

    /// Sets the fault spec of one action (or `*`).
    pub fn set_fault(&self, action: &str, spec: &Value) -> Result<(), BenchError> {
        self.control("PUT", &format!("faults/{action}"), Some(spec))
            .map(drop)
    }

    /// Clears every fault.
    pub fn clear_faults(&self) -> Result<(), BenchError> {
        self.control("DELETE", "faults", None).map(drop)
    }

    /// How many authenticated calls reached `action` so far.
    pub fn calls(&self, action: &str) -> Result<u64, BenchError> {
        let answer = self.control("GET", "calls", None)?;
        Ok(answer
            .pointer(&format!("/calls/{action}"))
            .and_then(Value::as_u64)
            .unwrap_or(0))
    }

    /// The provider KMS client's view of this emulator, with the demo credential.
    pub fn client_config(&self) -> ResolvedConfig {
        Emulator::config_for(&self.address)
    }

    /// The KMS client configuration for an emulator at `address`, with the demo credential.
    pub fn config_for(address: &str) -> ResolvedConfig {
        ResolvedConfig {
            region: Some("cn-hangzhou".to_owned()),
            ..ResolvedConfig::with_static_credentials(
                Credentials {
                    access_key_id: DEMO_ACCESS_KEY_ID.to_owned(),
                    access_key_secret: SecretString::new(DEMO_ACCESS_KEY_SECRET),
                    security_token: None,
                },
                address,
                Scheme::Http,
            )
        }
    }

    /// Creates an application access point and one client key in it; returns the key id.
    pub fn create_key(&self, aap_name: &str) -> Result<String, BenchError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| BenchError::new(format!("cannot start a runtime: {error}")))?;
        let config = self.client_config();
        runtime.block_on(async move {
            let client =
                kms::Client::new(config).map_err(|error| BenchError::new(error.to_string()))?;
            let options = CallOptions::new();
            create_application_access_point(
                &client,
                &CreateApplicationAccessPointRequest {
                    name: aap_name.to_owned(),
                    policies: vec!["bench_policy".to_owned()],
                    authentication_method: "ClientKey".to_owned(),
                    description: None,
                },
                &options,
            )
            .await
            .map_err(|error| BenchError::new(format!("creating the AAP failed: {error}")))?;
            let key = create_client_key(
                &client,
                &CreateClientKeyRequest {
                    aap_name: aap_name.to_owned(),
                    password: SecretString::new("Bench-Password-1"),
                    not_before: None,
                    not_after: None,
                },
                &options,
            )
            .await
            .map_err(|error| BenchError::new(format!("creating the client key failed: {error}")))?;
            Ok(key.client_key_id)
        })
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
