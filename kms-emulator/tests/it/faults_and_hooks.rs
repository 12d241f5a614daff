//! Each fault-injection mode, and the test hooks, through the library handle and through the
//! HTTP control endpoint.

use crate::common;

use std::time::{Duration, Instant};

use common::{create_access_point, send_raw, start, Client, Reply};
use kms_emulator::{AccessPointPatch, Action, FaultSpec};
use serde_json::Value;

fn control(
    emulator: &kms_emulator::Emulator,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u16, Value) {
    let body = body.unwrap_or("");
    let request = format!(
        "{method} /__emulator{path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    match send_raw(emulator.addr(), request.as_bytes()) {
        Reply::Answered { status, body, .. } => (status, body),
        Reply::Dropped => panic!("the control endpoint dropped the connection"),
    }
}

#[test]
fn latency_delays_the_answer() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    emulator
        .set_fault(
            "ListPolicies",
            FaultSpec {
                latency_ms: 300,
                ..FaultSpec::default()
            },
        )
        .unwrap();
    let started = Instant::now();
    client.call("ListPolicies", &[]).assert_ok();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "answered after {:?}",
        started.elapsed()
    );
}

#[test]
fn throttling_answers_throttling_user_for_the_next_n_calls() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    emulator
        .set_fault(
            "ListPolicies",
            FaultSpec {
                throttle_ratio: 1.0,
                times: Some(2),
                ..FaultSpec::default()
            },
        )
        .unwrap();
    for _ in 0..2 {
        client
            .call("ListPolicies", &[])
            .assert_error(400, "Throttling.User");
    }
    client.call("ListPolicies", &[]).assert_ok();
    assert!(
        emulator.faults().is_empty(),
        "the spent fault removed itself"
    );
    // Other actions were never affected.
    client.call("ListNetworkRules", &[]).assert_ok();
}

#[test]
fn server_errors_use_the_configured_status() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    emulator
        .set_fault(
            "*",
            FaultSpec {
                server_error_ratio: 1.0,
                ..FaultSpec::default()
            },
        )
        .unwrap();
    client
        .call("ListPolicies", &[])
        .assert_error(500, "InternalFailure");
    emulator
        .set_fault(
            "ListNetworkRules",
            FaultSpec {
                server_error_ratio: 1.0,
                server_error_status: Some(503),
                ..FaultSpec::default()
            },
        )
        .unwrap();
    client
        .call("ListNetworkRules", &[])
        .assert_error(503, "ServiceUnavailableTemporary");
    emulator.clear_faults();
    client.call("ListPolicies", &[]).assert_ok();
}

#[test]
fn a_faulted_call_does_not_run_the_action() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    emulator
        .set_fault(
            "CreateApplicationAccessPoint",
            FaultSpec {
                throttle_ratio: 1.0,
                times: Some(1),
                ..FaultSpec::default()
            },
        )
        .unwrap();
    client
        .call(
            "CreateApplicationAccessPoint",
            &[("Name", "aap"), ("Policies", "[\"p\"]")],
        )
        .assert_error(400, "Throttling.User");
    assert!(emulator.access_points().is_empty());
}

#[test]
fn drop_after_commit_runs_the_action_and_closes_the_connection_without_an_answer() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    create_access_point(&client, "aap_drop");
    emulator
        .set_fault(
            "CreateClientKey",
            FaultSpec {
                drop_after_commit_ratio: 1.0,
                times: Some(1),
                ..FaultSpec::default()
            },
        )
        .unwrap();
    let reply = client.call(
        "CreateClientKey",
        &[("AapName", "aap_drop"), ("Password", "YouPassword123!")],
    );
    assert!(
        matches!(reply, Reply::Dropped),
        "expected a dropped connection, got {reply:?}"
    );
    let keys = emulator.client_keys();
    assert_eq!(
        keys.len(),
        1,
        "the key was created although the answer was lost"
    );
    assert_eq!(keys[0].aap_name, "aap_drop");
    client
        .get("GetClientKey", &[("ClientKeyId", &keys[0].id)])
        .assert_ok();
}

#[test]
fn a_late_delivery_closes_the_connection_at_once_and_runs_the_action_later() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    create_access_point(&client, "aap_late");
    emulator
        .set_fault(
            "CreateClientKey",
            FaultSpec {
                deliver_late_ratio: 1.0,
                deliver_late_ms: 300,
                times: Some(1),
                ..FaultSpec::default()
            },
        )
        .unwrap();
    let reply = client.call(
        "CreateClientKey",
        &[("AapName", "aap_late"), ("Password", "YouPassword123!")],
    );
    assert!(
        matches!(reply, Reply::Dropped),
        "expected a dropped connection, got {reply:?}"
    );
    assert!(
        emulator.client_keys().is_empty(),
        "nothing is made before the delivery"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while emulator.client_keys().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the late request never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let keys = emulator.client_keys();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].aap_name, "aap_late");
    assert!(
        emulator
            .set_fault(
                "CreateClientKey",
                FaultSpec {
                    deliver_late_ratio: 1.0,
                    ..FaultSpec::default()
                }
            )
            .is_err(),
        "a late delivery needs its delay"
    );
}

#[test]
fn hang_stays_silent_then_closes_and_does_not_run_the_action() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    emulator
        .set_fault(
            "CreateApplicationAccessPoint",
            FaultSpec {
                hang_ratio: 1.0,
                hang_ms: 300,
                ..FaultSpec::default()
            },
        )
        .unwrap();
    let started = Instant::now();
    let reply = client.call(
        "CreateApplicationAccessPoint",
        &[("Name", "aap_hang"), ("Policies", "[\"p\"]")],
    );
    assert!(
        matches!(reply, Reply::Dropped),
        "expected no answer, got {reply:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(emulator.access_points().is_empty());
    // Meanwhile and afterwards other actions are served.
    client.call("ListPolicies", &[]).assert_ok();
}

#[test]
fn faults_apply_only_after_authentication() {
    let emulator = start();
    let mut client = Client::demo(emulator.addr());
    emulator
        .set_fault(
            "*",
            FaultSpec {
                throttle_ratio: 1.0,
                ..FaultSpec::default()
            },
        )
        .unwrap();
    client.access_key_secret = "wrong".into();
    client
        .call("ListPolicies", &[])
        .assert_error(400, "SignatureDoesNotMatch");
    assert_eq!(emulator.call_count(Action::ListPolicies), 0);
}

#[test]
fn invalid_fault_specs_are_refused() {
    let emulator = start();
    assert!(emulator
        .set_fault("NoSuchAction", FaultSpec::default())
        .is_err());
    assert!(emulator
        .set_fault(
            "*",
            FaultSpec {
                throttle_ratio: 2.0,
                ..FaultSpec::default()
            }
        )
        .is_err());
    assert!(emulator.faults().is_empty());
}

#[test]
fn call_counts_count_authenticated_calls_per_action() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    client.call("ListPolicies", &[]).assert_ok();
    client
        .call("DescribePolicy", &[("Name", "x")])
        .assert_error(404, "Forbidden.ResourceNotFound");
    assert_eq!(emulator.call_count(Action::ListPolicies), 1);
    assert_eq!(emulator.call_count(Action::DescribePolicy), 1);
    assert_eq!(emulator.call_count(Action::CreatePolicy), 0);
}

#[test]
fn hooks_inspect_and_change_state_behind_the_api() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    client
        .call(
            "CreateApplicationAccessPoint",
            &[
                ("Name", "aap_hook"),
                ("Policies", "[\"p1\"]"),
                ("Description", "before"),
            ],
        )
        .assert_ok();
    let created = client
        .call(
            "CreateClientKey",
            &[("AapName", "aap_hook"), ("Password", "YouPassword123!")],
        )
        .assert_ok()
        .clone();
    let id = created["ClientKeyId"].as_str().unwrap();

    let keys = emulator.client_keys();
    assert_eq!(
        (keys[0].id.as_str(), keys[0].aap_name.as_str()),
        (id, "aap_hook")
    );
    assert_eq!(keys[0].not_after, created["NotAfter"].as_str().unwrap());
    let access_points = emulator.access_points();
    assert_eq!(
        (
            access_points[0].policies.clone(),
            access_points[0].description.as_str()
        ),
        (vec!["p1".to_owned()], "before")
    );

    assert!(emulator.update_access_point(
        "aap_hook",
        AccessPointPatch {
            policies: Some(vec!["drifted".into()]),
            description: Some("after".into())
        }
    ));
    let described = client
        .call("DescribeApplicationAccessPoint", &[("Name", "aap_hook")])
        .assert_ok()
        .clone();
    assert_eq!(
        (
            described["Policies"].as_str(),
            described["Description"].as_str()
        ),
        (Some("[\"drifted\"]"), Some("after"))
    );

    assert!(emulator.delete_client_key(id));
    assert!(!emulator.delete_client_key(id));
    client
        .get("GetClientKey", &[("ClientKeyId", id)])
        .assert_error(404, "Forbidden.ResourceNotFound");

    client
        .call(
            "CreateClientKey",
            &[("AapName", "aap_hook"), ("Password", "YouPassword123!")],
        )
        .assert_ok();
    assert!(emulator.delete_access_point("aap_hook"));
    assert!(
        emulator.client_keys().is_empty(),
        "the AAP's keys went with it"
    );
    client
        .call("DescribeApplicationAccessPoint", &[("Name", "aap_hook")])
        .assert_error(404, "Forbidden.ResourceNotFound");
    assert!(!emulator.update_access_point("aap_hook", AccessPointPatch::default()));
}

#[test]
fn the_control_endpoint_drives_faults() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let (status, body) = control(&emulator, "GET", "/health", None);
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));

    let (status, body) = control(
        &emulator,
        "PUT",
        "/faults/ListPolicies",
        Some("{\"throttle_ratio\":1.0,\"times\":1}"),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["faults"]["ListPolicies"]["times"], 1);
    client
        .call("ListPolicies", &[])
        .assert_error(400, "Throttling.User");
    client.call("ListPolicies", &[]).assert_ok();

    let (status, _) = control(
        &emulator,
        "PUT",
        "/faults/*",
        Some("{\"server_error_ratio\":1.0}"),
    );
    assert_eq!(status, 200);
    client
        .call("ListNetworkRules", &[])
        .assert_error(500, "InternalFailure");
    let (status, body) = control(&emulator, "DELETE", "/faults/*", None);
    assert_eq!((status, body["cleared"].as_bool()), (200, Some(true)));
    client.call("ListNetworkRules", &[]).assert_ok();

    for (path, body) in [
        ("/faults/Nope", "{}"),
        ("/faults/*", "{\"throttle_ratio\":7}"),
        ("/faults/*", "{\"unknown\":1}"),
        ("/faults/*", "not json"),
    ] {
        let (status, answer) = control(&emulator, "PUT", path, Some(body));
        assert_eq!(status, 400, "{path} {body}: {answer}");
        assert!(answer["error"].is_string());
    }
    control(
        &emulator,
        "PUT",
        "/faults/GetClientKey",
        Some("{\"latency_ms\":1}"),
    );
    let (status, body) = control(&emulator, "DELETE", "/faults", None);
    assert_eq!(
        (
            status,
            body["faults"].as_object().map(|faults| faults.len())
        ),
        (200, Some(0))
    );

    let (_, body) = control(&emulator, "GET", "/calls", None);
    assert_eq!(body["calls"]["ListPolicies"], 2);
}

#[test]
fn the_control_endpoint_inspects_and_changes_state() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    create_access_point(&client, "aap_ctl");
    let created = client
        .call(
            "CreateClientKey",
            &[("AapName", "aap_ctl"), ("Password", "YouPassword123!")],
        )
        .assert_ok()
        .clone();
    let id = created["ClientKeyId"].as_str().unwrap();

    let (_, body) = control(&emulator, "GET", "/client-keys", None);
    assert_eq!(body["client_keys"][0]["id"], id);
    assert_eq!(body["client_keys"][0]["aap_name"], "aap_ctl");
    let (_, body) = control(&emulator, "GET", "/application-access-points", None);
    assert_eq!(
        body["application_access_points"][0]["policies"],
        serde_json::json!(["policy_a"])
    );

    let (status, body) = control(
        &emulator,
        "PATCH",
        "/application-access-points/aap_ctl",
        Some("{\"description\":\"drift\"}"),
    );
    assert_eq!(
        (status, body["updated"]["description"].as_str()),
        (200, Some("drift"))
    );
    assert_eq!(
        client
            .call("DescribeApplicationAccessPoint", &[("Name", "aap_ctl")])
            .assert_ok()["Description"],
        "drift"
    );

    let (status, _) = control(&emulator, "DELETE", &format!("/client-keys/{id}"), None);
    assert_eq!(status, 200);
    let (status, _) = control(&emulator, "DELETE", &format!("/client-keys/{id}"), None);
    assert_eq!(status, 404);
    let (status, _) = control(
        &emulator,
        "DELETE",
        "/application-access-points/aap_ctl",
        None,
    );
    assert_eq!(status, 200);
    let (status, _) = control(
        &emulator,
        "PATCH",
        "/application-access-points/aap_ctl",
        Some("{}"),
    );
    assert_eq!(status, 404);
    let (_, body) = control(&emulator, "GET", "/policies", None);
    assert_eq!(body["policies"], serde_json::json!([]));
    let (_, body) = control(&emulator, "GET", "/network-rules", None);
    assert_eq!(body["network_rules"], serde_json::json!([]));

    // Policies and network rules drift and disappear the same way.
    client
        .call(
            "CreateNetworkRule",
            &[
                ("Name", "rule_ctl"),
                ("Type", "Private"),
                ("SourcePrivateIp", "[\"10.0.0.1\"]"),
            ],
        )
        .assert_ok();
    client
        .call(
            "CreatePolicy",
            &[
                ("Name", "policy_ctl"),
                (
                    "Permissions",
                    "[\"RbacPermission/Template/CryptoServiceKeyUser\"]",
                ),
                ("Resources", "[\"key/*\"]"),
                ("AccessControlRules", "{\"NetworkRules\":[\"rule_ctl\"]}"),
            ],
        )
        .assert_ok();
    let (status, body) = control(
        &emulator,
        "PATCH",
        "/network-rules/rule_ctl",
        Some("{\"source_private_ip\":[\"10.9.9.9\"],\"description\":\"drift\"}"),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["updated"]["source_private_ip"],
        serde_json::json!(["10.9.9.9"])
    );
    let (status, body) = control(
        &emulator,
        "PATCH",
        "/policies/policy_ctl",
        Some("{\"resources\":[\"secret/*\"],\"network_rules\":[]}"),
    );
    assert_eq!(status, 200, "{body}");
    let described = client
        .call("DescribePolicy", &[("Name", "policy_ctl")])
        .assert_ok()
        .clone();
    assert_eq!(described["Resources"], serde_json::json!(["secret/*"]));
    assert_eq!(described["AccessControlRules"], "{\"NetworkRules\":[]}");
    let (status, _) = control(
        &emulator,
        "PATCH",
        "/policies/policy_ctl",
        Some("{\"bogus\":1}"),
    );
    assert_eq!(status, 400);
    for route in ["/policies/policy_ctl", "/network-rules/rule_ctl"] {
        let (status, _) = control(&emulator, "DELETE", route, None);
        assert_eq!(status, 200, "{route}");
        let (status, _) = control(&emulator, "DELETE", route, None);
        assert_eq!(status, 404, "{route}");
        let (status, _) = control(&emulator, "PATCH", route, Some("{}"));
        assert_eq!(status, 404, "{route}");
    }
    assert!(emulator.policies().is_empty() && emulator.network_rules().is_empty());
}

#[test]
fn faults_given_at_start_are_active() {
    let mut config = kms_emulator::Config::default();
    config.faults.insert(
        "ListPolicies".into(),
        FaultSpec {
            throttle_ratio: 1.0,
            ..FaultSpec::default()
        },
    );
    let emulator = kms_emulator::Emulator::start_blocking(config).unwrap();
    Client::demo(emulator.addr())
        .call("ListPolicies", &[])
        .assert_error(400, "Throttling.User");
}

#[tokio::test]
async fn the_async_start_serves_and_stops_on_drop() {
    let emulator = kms_emulator::Emulator::start(kms_emulator::Config::default())
        .await
        .unwrap();
    let addr = emulator.addr();
    assert_eq!(emulator.endpoint(), format!("http://{addr}"));
    let reply = tokio::task::spawn_blocking(move || Client::demo(addr).call("ListPolicies", &[]))
        .await
        .unwrap();
    reply.assert_ok();
    emulator.shutdown();
    // Once stopped, nothing listens there any more.
    let mut refused = false;
    for _ in 0..50 {
        if std::net::TcpStream::connect(addr).is_err() {
            refused = true;
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "the listener closed");
}

#[test]
fn a_hanging_call_does_not_block_other_clients_and_shutdown_cuts_it() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    emulator
        .set_fault(
            "CreateApplicationAccessPoint",
            FaultSpec {
                hang_ratio: 1.0,
                hang_ms: 600_000,
                ..FaultSpec::default()
            },
        )
        .unwrap();
    let hanging_client = client.clone();
    let hanging = std::thread::spawn(move || {
        hanging_client.call(
            "CreateApplicationAccessPoint",
            &[("Name", "aap_stuck"), ("Policies", "[\"p\"]")],
        )
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while emulator.call_count(Action::CreateApplicationAccessPoint) == 0 {
        assert!(Instant::now() < deadline, "the hanging call never arrived");
        std::thread::yield_now();
    }
    client.call("ListPolicies", &[]).assert_ok();
    assert!(
        !hanging.is_finished(),
        "the first call is still waiting for its answer"
    );
    emulator.shutdown();
    let reply = hanging.join().unwrap();
    assert!(
        matches!(reply, Reply::Dropped),
        "shutdown closes the hanging connection: {reply:?}"
    );
}
