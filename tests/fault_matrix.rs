//! The fault matrix, one table: (throttle, 5xx, hang, commit-then-drop, unwritable file, cancel,
//! SIGTERM) × (ApplicationAccessPoint, ClientKey) × (one stack, two stacks), through the real
//! binary against the emulator.
//!
//! Each row starts from the same ground: stack A has made the access point `x` and a client key on
//! it with the seed's dates. Then a create (by A itself with one stack, by a second provider
//! process, stack B, with two) meets the fault: a ClientKey on `x` with the same dates as A's key,
//! or an access point `b-aap`. After every row the invariant is checked:
//!
//! - every client key in KMS is in a success reply together with its key file, or named in an
//!   error reply (deleted keys are simply gone);
//! - every access point in KMS is A's, or in a success reply, or named in an error reply;
//! - nothing A made before the row changed (with one stack: nothing the stack made before).
//!
//! And each row ends the way the wire contract says (success, or the error code).

mod resources_support;

use std::fs;

use kms_emulator::{Action, Emulator, FaultSpec};
use resources_support::accounting::{assert_keys_accounted_for, CreateReply};
use resources_support::*;
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Throttle,
    ServerError,
    Hang,
    CommitThenDrop,
    UnwritableFile,
    Cancel,
    Sigterm,
}

const FAULTS: [Fault; 7] = [
    Fault::Throttle,
    Fault::ServerError,
    Fault::Hang,
    Fault::CommitThenDrop,
    Fault::UnwritableFile,
    Fault::Cancel,
    Fault::Sigterm,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Resource {
    AccessPoint,
    ClientKey,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stacks {
    One,
    Two,
}

/// How a row must end.
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    Success,
    Error(i64),
    /// The fault cannot happen to this resource; why.
    NotApplicable(&'static str),
}

fn expected(fault: Fault, resource: Resource) -> Expect {
    match (fault, resource) {
        (Fault::Throttle | Fault::ServerError | Fault::Hang, _) => Expect::Success,
        // The access point is exactly the one requested under a name that was free: adopted.
        (Fault::CommitThenDrop, Resource::AccessPoint) => Expect::Success,
        // A new key with the user's dates: nothing proves it B's own, so it is named.
        (Fault::CommitThenDrop, Resource::ClientKey) => Expect::Error(-32060),
        (Fault::UnwritableFile, Resource::AccessPoint) => {
            Expect::NotApplicable("an access point has no file")
        }
        (Fault::UnwritableFile, Resource::ClientKey) => Expect::Error(-32059),
        (Fault::Cancel | Fault::Sigterm, _) => Expect::Error(-32056),
    }
}

const SEED_DATES: (&str, &str) = ("2023-09-01T14:11:22Z", "2028-09-01T14:11:22Z");

#[test]
fn every_fault_keeps_every_key_accounted_for_and_the_other_stack_untouched() {
    let mut ran = 0;
    for stacks in [Stacks::One, Stacks::Two] {
        for resource in [Resource::AccessPoint, Resource::ClientKey] {
            for fault in FAULTS {
                let row = format!("{fault:?} × {resource:?} × {stacks:?} stack(s)");
                match expected(fault, resource) {
                    Expect::NotApplicable(why) => eprintln!("{row}: not applicable: {why}"),
                    expect => {
                        run_row(fault, resource, stacks, &expect, &row);
                        ran += 1;
                    }
                }
            }
        }
    }
    assert_eq!(ran, 26);
}

/// What A made before the row, as KMS holds it.
#[derive(Debug, PartialEq)]
struct Baseline {
    access_point: (String, Vec<String>, String),
    key: (String, String, String, String, String),
}

fn baseline(emulator: &Emulator, a_key_id: &str) -> Baseline {
    let access_point = emulator
        .access_points()
        .into_iter()
        .find(|access_point| access_point.name == "x")
        .expect("A's access point exists");
    let key = emulator
        .client_keys()
        .into_iter()
        .find(|key| key.id == a_key_id)
        .expect("A's key exists");
    Baseline {
        access_point: (
            access_point.name,
            access_point.policies,
            access_point.description,
        ),
        key: (
            key.id,
            key.aap_name,
            key.not_before,
            key.not_after,
            key.create_time,
        ),
    }
}

fn run_row(fault: Fault, resource: Resource, stacks: Stacks, expect: &Expect, row: &str) {
    let mut a = Harness::start();
    a.create_access_point("x", &["p"]);
    let key_news = |key_file: &str| {
        json!({"aapName": "x", "password": PASSWORD, "notBefore": SEED_DATES.0,
               "notAfter": SEED_DATES.1, "privateKeyDataFile": key_file})
    };
    let a_key = a.assert_created(KEY_TYPE, "a-key", key_news("a-key.json"));
    let a_key_id = a_key["id"].as_str().unwrap().to_owned();
    let before = baseline(&a.emulator, &a_key_id);

    let mut other = match stacks {
        Stacks::One => None,
        Stacks::Two => Some(a.start_other_stack()),
    };
    let (b, b_directory) = match &mut other {
        Some(other) => (&mut other.provider, other.directory.path().to_path_buf()),
        None => (&mut a.provider, a.directory.path().to_path_buf()),
    };
    let (urn_of_b, inputs) = match resource {
        Resource::AccessPoint => (
            urn(AAP_TYPE, "b-aap"),
            b.assert_check_passes(
                AAP_TYPE,
                "b-aap",
                json!({"applicationAccessPointName": "b-aap", "policies": ["p"]}),
            ),
        ),
        Resource::ClientKey => {
            fs::create_dir(b_directory.join("keys")).unwrap();
            (
                urn(KEY_TYPE, "b-key"),
                b.assert_check_passes(KEY_TYPE, "b-key", key_news("keys/b-key.json")),
            )
        }
    };
    let action = match resource {
        Resource::AccessPoint => Action::CreateApplicationAccessPoint,
        Resource::ClientKey => Action::CreateClientKey,
    };
    let calls_before = a.emulator.call_count(action);
    let spec = match fault {
        Fault::Throttle => FaultSpec {
            throttle_ratio: 1.0,
            times: Some(2),
            ..FaultSpec::default()
        },
        Fault::ServerError => FaultSpec {
            server_error_ratio: 1.0,
            ..once()
        },
        Fault::Hang => FaultSpec {
            hang_ratio: 1.0,
            hang_ms: 300,
            ..once()
        },
        Fault::CommitThenDrop => FaultSpec {
            drop_after_commit_ratio: 1.0,
            ..once()
        },
        // The key file's directory goes while the key is being made.
        Fault::UnwritableFile => FaultSpec {
            latency_ms: 1000,
            ..once()
        },
        // The request stays in flight (and is never carried out) until the cancellation.
        Fault::Cancel | Fault::Sigterm => FaultSpec {
            hang_ratio: 1.0,
            hang_ms: 30_000,
            ..once()
        },
    };
    fault_on(&a.emulator, action, spec);
    let request = b.send(
        "create",
        json!({"urn": urn_of_b, "properties": inputs, "timeout": 60}),
    );
    match fault {
        Fault::UnwritableFile => {
            wait_for_calls(&a.emulator, action, calls_before + 1);
            fs::remove_dir_all(b_directory.join("keys")).unwrap();
        }
        Fault::Cancel => {
            wait_for_calls(&a.emulator, action, calls_before + 1);
            b.notify("cancel");
        }
        Fault::Sigterm => {
            wait_for_calls(&a.emulator, action, calls_before + 1);
            send_signal(b.pid(), "TERM");
        }
        _ => {}
    }
    let reply = b.reply(request);
    assert!(
        a.emulator.faults().is_empty(),
        "{row}: the create never met the fault"
    );

    // The row ends as the contract says.
    match expect {
        Expect::Success => assert!(reply.get("result").is_some(), "{row}: {reply}"),
        Expect::Error(code) => assert_eq!(reply["error"]["code"], *code, "{row}: {reply}"),
        Expect::NotApplicable(_) => unreachable!(),
    }

    // The invariant.
    let mut replies = vec![CreateReply::new(
        &json!({"result": a_key}),
        &a.path("a-key.json"),
    )];
    if resource == Resource::ClientKey {
        replies.push(CreateReply::new(
            &reply,
            &b_directory.join("keys/b-key.json"),
        ));
    }
    assert_keys_accounted_for(&a.emulator, &replies, row);
    for access_point in a.emulator.access_points() {
        let accounted = access_point.name == "x"
            || reply["result"]["id"] == access_point.name.as_str()
            || reply["error"]["data"]["candidateIds"]
                .as_array()
                .is_some_and(|names| names.iter().any(|name| name == access_point.name.as_str()));
        assert!(
            accounted,
            "{row}: the access point {} is in KMS, but no reply accounts for it: {reply}",
            access_point.name
        );
    }
    assert_eq!(baseline(&a.emulator, &a_key_id), before, "{row}");
    assert!(a.path("a-key.json").exists(), "{row}: A's key file is gone");

    // Both processes end cleanly (the signalled one has exited already, with status 0).
    if let Some(other) = other {
        let status = other.provider.finish(&[PASSWORD]);
        assert_eq!(status.code(), Some(0), "{row}: {status:?}");
    }
    let emulator = a.finish(&[PASSWORD]);
    drop(emulator);
}

fn fault_on(emulator: &Emulator, action: Action, spec: FaultSpec) {
    fault(emulator, action.name(), spec);
}
