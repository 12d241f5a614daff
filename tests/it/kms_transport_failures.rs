//! Permanent transport failures fail at once, with what to do: an endpoint that is not a valid URL
//! (a bad port), a host name that does not resolve, a server whose TLS certificate is not trusted,
//! and an HTTPS request to a server that does not speak TLS. Only transient failures (a refused
//! connection, a dropped one, 5xx) are retried; `kms_retry.rs` covers those.

use crate::kms_support;

use std::io::Write as _;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alicloud_kms_provider::kms::{
    self, CallOptions, ClientOptions, KmsError, RetryEvent, RetryPolicy, Scheme, SecretString,
};
use alicloud_kms_provider::resources::client_key::kms::{
    create_client_key, get_client_key, CreateClientKeyRequest,
};
use kms_support::{closed_endpoint, config_for, fast_options, ScriptedServer};

const KEY_ID: &str = "KAAP.66abf237-63f6-4625-b8cf-47e1086e0000";

/// Options with a generous attempt budget, so that a retried failure shows as retry events.
fn patient_options() -> ClientOptions {
    ClientOptions {
        retry_policy: RetryPolicy {
            max_attempts: 6,
            ..fast_options().retry_policy
        },
        ..fast_options()
    }
}

fn recording_options() -> (CallOptions, Arc<Mutex<Vec<RetryEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let options = CallOptions::new()
        .with_timeout(Duration::from_secs(60))
        .with_observer(move |event| sink.lock().expect("lock").push(event.clone()));
    (options, events)
}

fn create_request() -> CreateClientKeyRequest {
    CreateClientKeyRequest {
        aap_name: "aap_test".to_owned(),
        password: SecretString::new("Pass-word-1234!"),
        not_before: None,
        not_after: None,
    }
}

/// Runs a read and a create against `config` and checks that each failed after one attempt,
/// with no retry wait, as a permanent failure whose message holds `advice`.
async fn assert_fails_at_once(config: kms::ResolvedConfig, advice: &str) -> KmsError {
    let client = match kms::Client::with_options(config, patient_options()) {
        Ok(client) => client,
        Err(error) => {
            // Refusing to build the client at all is failing at once too.
            let text = error.to_string();
            assert!(text.contains(advice), "{text}");
            return error;
        }
    };
    let (options, events) = recording_options();
    let error = get_client_key(&client, KEY_ID, &options)
        .await
        .expect_err("the endpoint cannot work");
    assert!(
        events.lock().unwrap().is_empty(),
        "a permanent failure was retried: {:?} ({error})",
        events.lock().unwrap()
    );
    assert!(!error.is_retryable(), "{error:?}");
    let text = error.to_string();
    assert!(text.contains(advice), "{text}");
    assert!(
        !text.contains("testsecret") && !text.contains("Signature="),
        "{text}"
    );

    // A create is not left with an unknown outcome: nothing was sent.
    let (options, events) = recording_options();
    let create_error = create_client_key(&client, &create_request(), &options)
        .await
        .expect_err("the endpoint cannot work");
    assert!(events.lock().unwrap().is_empty(), "{create_error}");
    assert!(!create_error.is_outcome_unknown(), "{create_error:?}");
    error
}

#[tokio::test]
async fn an_endpoint_with_an_invalid_port_fails_at_once() {
    for endpoint in ["127.0.0.1:1:x", "127.0.0.1:70000", "127.0.0.1:0"] {
        assert_fails_at_once(config_for(endpoint, None), "port").await;
    }
}

#[tokio::test]
async fn a_host_name_that_does_not_resolve_fails_at_once() {
    // `.invalid` never resolves (RFC 6761).
    let error = assert_fails_at_once(
        config_for("kms.no-such-region.invalid", None),
        "does not resolve",
    )
    .await;
    assert!(
        matches!(
            error,
            KmsError::Transport {
                request_may_have_been_sent: false,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn https_to_a_server_that_does_not_speak_tls_fails_at_once() {
    // A plain HTTP server answers the TLS client hello as HTTP servers answer garbage (400).
    let server = ScriptedServer::start(Vec::new()).await;
    let mut config = config_for(&server.endpoint(), None);
    config.scheme = Scheme::Https;
    assert_fails_at_once(config, "protocol HTTP").await;
    // One client hello for the read, one for the create: nothing was tried twice.
    assert_eq!(server.not_http_count(), 2);
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

/// A TLS server on loopback whose certificate (tests/fixtures/tls) no client trusts; it counts
/// the handshakes it sees. A raw socket, not a [`ScriptedServer`]: it is a TLS endpoint that never
/// gets as far as HTTP.
fn start_untrusted_tls_server() -> (String, Arc<AtomicUsize>) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls");
    let certificate = CertificateDer::from_pem_file(fixtures.join("untrusted-cert.pem")).unwrap();
    let key = PrivateKeyDer::from_pem_file(fixtures.join("untrusted-key.pem")).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![certificate], key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let handshakes = Arc::new(AtomicUsize::new(0));
    let counter = handshakes.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            let connection = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(connection, stream);
            // The client refuses the certificate, so this fails; any answer would do otherwise.
            let _ = tls.write_all(b"HTTP/1.1 500 Unexpected\r\ncontent-length: 0\r\n\r\n");
        }
    });
    (address, handshakes)
}

#[tokio::test]
async fn an_untrusted_certificate_fails_at_once() {
    let (address, handshakes) = start_untrusted_tls_server();
    let mut config = config_for(&address, None);
    config.scheme = Scheme::Https;
    let error = assert_fails_at_once(config, "certificate").await;
    assert!(error.to_string().contains("not trusted"), "{error}");
    // One handshake for the read, one for the create: nothing was tried twice.
    assert_eq!(handshakes.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_refused_connection_is_still_retried() {
    let client =
        kms::Client::with_options(config_for(&closed_endpoint(), None), patient_options()).unwrap();
    let (options, events) = recording_options();
    let error = get_client_key(&client, KEY_ID, &options)
        .await
        .expect_err("nothing listens");
    assert_eq!(events.lock().unwrap().len(), 5, "{error}");
    assert!(error.is_retryable(), "{error:?}");
}
