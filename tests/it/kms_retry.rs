//! Retry behaviour against a scripted HTTP server on loopback: the number of attempts, the
//! observer events, fresh nonces, the deadline, cancellation, and the rule that a create is not
//! repeated after a failure that may have let it take effect.

use crate::kms_support;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alicloud_kms_provider::kms::{
    self, CallOptions, ClientOptions, KmsError, RetryEvent, RetryPolicy, SecretString,
};
use alicloud_kms_provider::resources::client_key::kms::{
    create_client_key, get_client_key, CreateClientKeyRequest,
};
use kms_support::{
    closed_endpoint, config_for, fast_client, fast_options, json, service_error, Reply,
    ScriptedServer, CREATE_CLIENT_KEY_BODY, GET_CLIENT_KEY_BODY,
};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const KEY_ID: &str = "KAAP.66abf237-63f6-4625-b8cf-47e1086e0000";

fn create_request() -> CreateClientKeyRequest {
    CreateClientKeyRequest {
        aap_name: "aap_test".to_owned(),
        password: SecretString::new("Pass-word-1234!"),
        not_before: None,
        not_after: None,
    }
}

/// Options that record every retry event.
fn recording_options() -> (CallOptions, Arc<Mutex<Vec<RetryEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let options = CallOptions::new()
        .with_timeout(Duration::from_secs(30))
        .with_observer(move |event| sink.lock().expect("lock").push(event.clone()));
    (options, events)
}

/// Asserts that every request carried a different nonce and was signed.
fn assert_fresh_nonces(server: &ScriptedServer, expected_attempts: usize) {
    let requests = server.requests();
    assert_eq!(requests.len(), expected_attempts, "attempts");
    let nonces: HashSet<String> = requests
        .iter()
        .map(|request| {
            request
                .parameter("SignatureNonce")
                .expect("every attempt has a nonce")
        })
        .collect();
    assert_eq!(
        nonces.len(),
        expected_attempts,
        "a nonce was reused: {nonces:?}"
    );
    for request in &requests {
        assert!(request.parameter("Signature").is_some(), "unsigned attempt");
        assert!(
            request.parameter("Timestamp").is_some(),
            "attempt without timestamp"
        );
    }
}

#[tokio::test]
async fn throttling_then_success_is_retried_with_fresh_nonces() {
    let server = ScriptedServer::start(vec![
        service_error(400, "Throttling.User", "req-throttle-1"),
        service_error(429, "Rejected.Throttling", "req-throttle-2"),
        json(200, GET_CLIENT_KEY_BODY),
    ])
    .await;
    let client = fast_client(&server);
    let (options, events) = recording_options();

    let reply = get_client_key(&client, KEY_ID, &options)
        .await
        .expect("third attempt succeeds");
    assert_eq!(reply.client_key.aap_name, "aap_test");
    assert_fresh_nonces(&server, 3);

    let events = events.lock().expect("lock").clone();
    assert_eq!(
        events.iter().map(|event| event.attempt).collect::<Vec<_>>(),
        [1, 2]
    );
    assert!(events.iter().all(|event| event.action == "GetClientKey"));
    assert!(
        events[0].reason.contains("Throttling.User") && events[0].reason.contains("req-throttle-1")
    );
    assert!(events[1].reason.contains("Rejected.Throttling"));
    assert!(events
        .iter()
        .all(|event| event.delay <= Duration::from_millis(20)));
}

#[tokio::test]
async fn server_errors_then_success_are_retried_for_reads() {
    let server = ScriptedServer::start(vec![
        service_error(503, "ServiceUnavailableTemporary", "req-503"),
        service_error(500, "InternalFailure", "req-500"),
        json(200, GET_CLIENT_KEY_BODY),
    ])
    .await;
    let client = fast_client(&server);
    let (options, events) = recording_options();

    get_client_key(&client, KEY_ID, &options)
        .await
        .expect("third attempt succeeds");
    assert_fresh_nonces(&server, 3);
    assert_eq!(events.lock().expect("lock").len(), 2);
}

#[tokio::test]
async fn a_create_is_retried_after_throttling() {
    let server = ScriptedServer::start(vec![
        service_error(429, "Rejected.Throttling", "req-t"),
        json(200, CREATE_CLIENT_KEY_BODY),
    ])
    .await;
    let client = fast_client(&server);
    let reply = create_client_key(&client, &create_request(), &CallOptions::new())
        .await
        .expect("second attempt succeeds");
    assert_eq!(
        reply.client_key_id,
        "KAAP.66abf237-63f6-4625-b8cf-47e1086e0001"
    );
    assert_fresh_nonces(&server, 2);
}

#[tokio::test]
async fn a_create_is_not_retried_after_a_server_error() {
    let server = ScriptedServer::start(vec![
        service_error(500, "InternalFailure", "req-create-500"),
        json(200, CREATE_CLIENT_KEY_BODY),
    ])
    .await;
    let client = fast_client(&server);
    let error = create_client_key(&client, &create_request(), &CallOptions::new())
        .await
        .expect_err("a 500 on create is ambiguous");
    assert_eq!(
        server.requests().len(),
        1,
        "the create must not be repeated"
    );
    assert!(error.is_outcome_unknown(), "{error:?}");
    assert!(!error.is_retryable() && !error.is_not_found());
    assert_eq!(error.request_id(), Some("req-create-500"));
    let text = error.to_string();
    assert!(text.contains("may or may not have taken effect"), "{text}");
    assert!(text.contains("not retried"), "{text}");
    assert!(text.contains("req-create-500"), "{text}");
}

#[tokio::test]
async fn a_dropped_connection_is_retried_for_reads_but_not_for_creates() {
    let server = ScriptedServer::start(vec![Reply::Close, json(200, GET_CLIENT_KEY_BODY)]).await;
    let client = fast_client(&server);
    get_client_key(&client, KEY_ID, &CallOptions::new())
        .await
        .expect("retried after the drop");
    assert_fresh_nonces(&server, 2);

    let server = ScriptedServer::start(vec![Reply::Close, json(200, CREATE_CLIENT_KEY_BODY)]).await;
    let client = fast_client(&server);
    let error = create_client_key(&client, &create_request(), &CallOptions::new())
        .await
        .expect_err("a dropped create is ambiguous");
    assert_eq!(server.requests().len(), 1);
    let KmsError::OutcomeUnknown { cause, .. } = &error else {
        panic!("expected OutcomeUnknown, got {error:?}")
    };
    assert!(
        matches!(
            **cause,
            KmsError::Transport {
                request_may_have_been_sent: true,
                ..
            }
        ),
        "{cause:?}"
    );
}

#[tokio::test]
async fn a_refused_connection_proves_nothing_was_sent_so_even_creates_are_retried() {
    let endpoint = closed_endpoint();
    let options = ClientOptions {
        retry_policy: RetryPolicy {
            max_attempts: 3,
            ..fast_options().retry_policy
        },
        ..fast_options()
    };
    let client = kms::Client::with_options(config_for(&endpoint, None), options).expect("client");
    let (call_options, events) = recording_options();
    let error = create_client_key(&client, &create_request(), &call_options)
        .await
        .expect_err("nothing listens");
    assert_eq!(
        events.lock().expect("lock").len(),
        2,
        "three attempts, two waits"
    );
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
    assert!(error.is_retryable() && !error.is_outcome_unknown() && !error.is_not_found());
    let text = error.to_string();
    assert!(
        text.contains("could not reach kms") && text.contains("was not sent"),
        "{text}"
    );
    assert!(
        !text.contains("Signature") && !text.contains("testsecret"),
        "{text}"
    );
}

#[tokio::test]
async fn a_hang_past_the_deadline_ends_with_deadline_exceeded() {
    let server = ScriptedServer::start(vec![Reply::Hang]).await;
    let client = fast_client(&server);
    let started = Instant::now();
    let options = CallOptions::new().with_timeout(Duration::from_millis(300));
    let error = get_client_key(&client, KEY_ID, &options)
        .await
        .expect_err("no reply ever comes");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the deadline was not honoured"
    );
    assert!(
        matches!(
            error,
            KmsError::DeadlineExceeded {
                attempts: 1,
                request_in_flight: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_deadline_exceeded() && !error.is_retryable());
    assert_eq!(server.requests().len(), 1);
    assert!(
        error.to_string().contains("increase the operation timeout"),
        "{error}"
    );

    // The same hang during a create leaves its outcome unknown.
    let server = ScriptedServer::start(vec![Reply::Hang]).await;
    let client = fast_client(&server);
    let options = CallOptions::new().with_timeout(Duration::from_millis(300));
    let error = create_client_key(&client, &create_request(), &options)
        .await
        .expect_err("hang");
    assert!(
        error.is_outcome_unknown() && error.is_deadline_exceeded(),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_wait_that_would_pass_the_deadline_is_not_started() {
    let server =
        ScriptedServer::start(vec![service_error(400, "Throttling.User", "req-late")]).await;
    let options = ClientOptions {
        retry_policy: RetryPolicy {
            max_attempts: 5,
            initial_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(60),
        },
        ..ClientOptions::default()
    };
    let client =
        kms::Client::with_options(config_for(&server.endpoint(), None), options).expect("client");
    let started = Instant::now();
    let call_options = CallOptions::new().with_timeout(Duration::from_secs(5));
    let error = get_client_key(&client, KEY_ID, &call_options)
        .await
        .expect_err("throttled");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "it waited for nothing"
    );
    assert_eq!(server.requests().len(), 1);
    let KmsError::DeadlineExceeded {
        attempts,
        last_failure,
        ..
    } = &error
    else {
        panic!("expected DeadlineExceeded, got {error:?}")
    };
    assert_eq!(*attempts, 1);
    assert!(last_failure
        .as_deref()
        .is_some_and(|text| text.contains("Throttling.User")));
    assert_eq!(error.request_id(), Some("req-late"));
}

#[tokio::test]
async fn a_cancel_during_the_backoff_wait_stops_at_once() {
    let server = ScriptedServer::start(vec![service_error(400, "Throttling.User", "req-c")]).await;
    let options = ClientOptions {
        retry_policy: RetryPolicy {
            max_attempts: 5,
            initial_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(30),
        },
        ..ClientOptions::default()
    };
    let client =
        kms::Client::with_options(config_for(&server.endpoint(), None), options).expect("client");
    let cancellation = CancellationToken::new();
    let (waiting_tx, waiting_rx) = tokio::sync::oneshot::channel::<()>();
    let waiting_tx = Mutex::new(Some(waiting_tx));
    let call_options = CallOptions::new()
        .with_timeout(Duration::from_secs(120))
        .with_cancellation(cancellation.clone())
        .with_observer(move |_| {
            if let Some(sender) = waiting_tx.lock().expect("lock").take() {
                let _ = sender.send(());
            }
        });
    let call = tokio::spawn(async move { get_client_key(&client, KEY_ID, &call_options).await });
    waiting_rx
        .await
        .expect("the client reached its backoff wait");
    let cancelled_at = Instant::now();
    cancellation.cancel();
    let error = call.await.expect("task").expect_err("cancelled");
    assert!(
        cancelled_at.elapsed() < Duration::from_secs(5),
        "the cancel did not stop the wait"
    );
    assert!(
        matches!(
            error,
            KmsError::Cancelled {
                attempts: 1,
                request_in_flight: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_cancelled() && !error.is_retryable());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_cancel_during_a_request_stops_at_once() {
    let server = ScriptedServer::start(vec![Reply::Hang]).await;
    let client = fast_client(&server);
    let cancellation = CancellationToken::new();
    let call_options = CallOptions::new().with_cancellation(cancellation.clone());
    let call = tokio::spawn(async move { get_client_key(&client, KEY_ID, &call_options).await });
    server.wait_for_requests(1).await;
    cancellation.cancel();
    let error = call.await.expect("task").expect_err("cancelled");
    assert!(
        matches!(
            error,
            KmsError::Cancelled {
                attempts: 1,
                request_in_flight: true,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn non_retryable_errors_are_returned_after_one_attempt() {
    let cases = [
        (404, "Forbidden.ResourceNotFound", true),
        (400, "InvalidParameter", false),
        (403, "Forbidden.NoPermission", false),
        (400, "SignatureDoesNotMatch", false),
        (404, "InvalidAccessKeyId.NotFound", false),
    ];
    for (status, code, not_found) in cases {
        let server = ScriptedServer::start(vec![
            service_error(status, code, "req-x"),
            json(200, GET_CLIENT_KEY_BODY),
        ])
        .await;
        let client = fast_client(&server);
        let (options, events) = recording_options();
        let error = get_client_key(&client, KEY_ID, &options)
            .await
            .expect_err(code);
        assert_eq!(server.requests().len(), 1, "{code} was retried");
        assert!(events.lock().expect("lock").is_empty());
        assert!(!error.is_retryable(), "{code}");
        assert_eq!(error.is_not_found(), not_found, "{code}");
        assert_eq!(error.service_code(), Some(code));
        assert_eq!(error.http_status(), Some(status));
        assert_eq!(error.request_id(), Some("req-x"));
    }
}

#[tokio::test]
async fn attempts_are_bounded_by_the_policy() {
    let replies = (0..10)
        .map(|index| service_error(400, "Throttling.Api", &format!("req-{index}")))
        .collect();
    let server = ScriptedServer::start(replies).await;
    let client = fast_client(&server);
    let error = get_client_key(&client, KEY_ID, &CallOptions::new())
        .await
        .expect_err("always throttled");
    assert_fresh_nonces(&server, 5);
    assert_eq!(error.service_code(), Some("Throttling.Api"));
    assert_eq!(error.request_id(), Some("req-4"));
}

#[tokio::test]
async fn one_client_serves_concurrent_calls() {
    let replies = (0..8).map(|_| json(200, GET_CLIENT_KEY_BODY)).collect();
    let server = ScriptedServer::start(replies).await;
    let client = fast_client(&server);
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { get_client_key(&client, KEY_ID, &CallOptions::new()).await })
        })
        .collect();
    for call in calls {
        call.await.expect("task").expect("call");
    }
    assert_fresh_nonces(&server, 8);
}
