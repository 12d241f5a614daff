//! The fault matrix, one table: (throttle, 5xx, hang, commit-then-drop, late delivery, unwritable
//! file, live key file, cancel, starved cancel, SIGTERM, undeliverable reply) × (NetworkRule,
//! Policy, ApplicationAccessPoint, ClientKey) × (one stack, two stacks), through the real binary
//! against the emulator.
//!
//! Each row starts from the same ground: stack A has made the whole chain, the network rule
//! `a-rule`, the policy `a-policy` naming it, the access point `x` listing it and a client key on
//! it with the seed's dates. Then a create (by A itself with one stack, by a second provider
//! process, stack B, with two) meets the fault: a NetworkRule `b-rule`, a Policy `b-policy`, an
//! access point `b-aap`, or a ClientKey on `x` with the same dates as A's key. After every row the
//! invariant is checked:
//!
//! - every client key in KMS is in a success reply together with its key file, or named in an
//!   error reply (by its id, or by the dates of a key that may appear later);
//! - every network rule, policy and access point in KMS is A's, or in a success reply, or named in
//!   an error reply;
//! - when the reply could not be delivered (stdout closed), whatever the create made is named on
//!   its stderr instead;
//! - nothing A made before the row changed (with one stack: nothing the stack made before).
//!
//! And each row ends the way the wire contract says (success, or the error code).

use crate::resources_support;

use std::fs;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alicloud_kms_provider::provider::kms_options::TEST_SETTLE_DELAY_VARIABLE;
use kms_emulator::{Action, Emulator, FaultSpec};
use resources_support::accounting::{assert_keys_accounted_for, CreateReply};
use resources_support::process::{Input, Output, ProviderProcess};
use resources_support::*;
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Throttle,
    ServerError,
    Hang,
    CommitThenDrop,
    /// The connection drops at once and KMS carries the request out a little later.
    LateDelivery,
    UnwritableFile,
    /// The key file already holds the private key of A's live key.
    LiveKeyFile,
    Cancel,
    /// `cancel` sent behind a request that waits for a handler slot, every slot taken.
    StarvedCancel,
    Sigterm,
    /// The engine goes away (stdout closed) while the create waits.
    UndeliverableReply,
}

const FAULTS: [Fault; 11] = [
    Fault::Throttle,
    Fault::ServerError,
    Fault::Hang,
    Fault::CommitThenDrop,
    Fault::LateDelivery,
    Fault::UnwritableFile,
    Fault::LiveKeyFile,
    Fault::Cancel,
    Fault::StarvedCancel,
    Fault::Sigterm,
    Fault::UndeliverableReply,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Resource {
    NetworkRule,
    Policy,
    AccessPoint,
    ClientKey,
}

const RESOURCES: [Resource; 4] = [
    Resource::NetworkRule,
    Resource::Policy,
    Resource::AccessPoint,
    Resource::ClientKey,
];

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
    /// No reply can arrive: whatever was made is named on stderr, and the process exits 1.
    NamedOnStderr,
    /// The fault cannot happen to this resource; why.
    NotApplicable(&'static str),
}

fn expected(fault: Fault, resource: Resource) -> Expect {
    let key = resource == Resource::ClientKey;
    match fault {
        Fault::Throttle | Fault::ServerError | Fault::Hang => Expect::Success,
        // A named resource exactly as requested, under a name that was free: adopted. A new key
        // with the user's dates: nothing proves it B's own, so it is named.
        Fault::CommitThenDrop | Fault::LateDelivery if key => Expect::Error(-32060),
        Fault::CommitThenDrop | Fault::LateDelivery => Expect::Success,
        Fault::UnwritableFile | Fault::LiveKeyFile if key => Expect::Error(-32059),
        Fault::UnwritableFile | Fault::LiveKeyFile => {
            Expect::NotApplicable("only a client key has a key file")
        }
        Fault::Cancel | Fault::StarvedCancel | Fault::Sigterm => Expect::Error(-32056),
        Fault::UndeliverableReply => Expect::NamedOnStderr,
    }
}

const SEED_DATES: (&str, &str) = ("2023-09-01T14:11:22Z", "2028-09-01T14:11:22Z");

/// How late a late delivery is, and the settle delay of the provider that meets it (covering it).
const LATE_MS: u64 = 200;
const SETTLE_MS: &str = "700";

/// How many rows run at once: each has its own emulator and providers, and mostly waits (on a
/// hang, a settle delay, a latency).
const ROWS_AT_ONCE: usize = 4;

#[test]
fn every_fault_keeps_everything_accounted_for_and_the_other_stack_untouched() {
    let mut rows = Vec::new();
    for stacks in [Stacks::One, Stacks::Two] {
        for resource in RESOURCES {
            for fault in FAULTS {
                let row = format!("{fault:?} × {resource:?} × {stacks:?} stack(s)");
                match expected(fault, resource) {
                    Expect::NotApplicable(why) => eprintln!("{row}: not applicable: {why}"),
                    expect => rows.push((fault, resource, stacks, expect, row)),
                }
            }
        }
    }
    assert_eq!(rows.len(), 76);
    let rows = Arc::new(Mutex::new(rows));
    let workers: Vec<_> = (0..ROWS_AT_ONCE)
        .map(|_| {
            let rows = rows.clone();
            std::thread::spawn(move || loop {
                let Some((fault, resource, stacks, expect, row)) = rows.lock().unwrap().pop()
                else {
                    return;
                };
                run_row(fault, resource, stacks, &expect, &row);
            })
        })
        .collect();
    let failed = workers
        .into_iter()
        .map(std::thread::JoinHandle::join)
        .filter(Result::is_err)
        .count();
    assert_eq!(failed, 0, "rows failed: see the panics above");
}

/// What A made before the row, as KMS holds it.
#[derive(Debug, PartialEq)]
struct Baseline {
    rule: (String, Vec<String>, String),
    policy: (String, Vec<String>, Vec<String>, String),
    access_point: (String, Vec<String>, String),
    key: (String, String, String, String, String),
}

fn baseline(emulator: &Emulator, a_key_id: &str) -> Baseline {
    let rule = emulator
        .network_rules()
        .into_iter()
        .find(|rule| rule.name == "a-rule")
        .expect("A's network rule exists");
    let policy = emulator
        .policies()
        .into_iter()
        .find(|policy| policy.name == "a-policy")
        .expect("A's policy exists");
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
        rule: (rule.name, rule.source_private_ip, rule.description),
        policy: (
            policy.name,
            policy.permissions,
            policy.network_rules,
            policy.description,
        ),
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

/// The type, resource name, program inputs and KMS create action of B's resource.
fn b_resource(resource: Resource, key_file: &str) -> (&'static str, &'static str, Value, Action) {
    match resource {
        Resource::NetworkRule => (
            "alicloud-kms:index:NetworkRule",
            "b-rule",
            json!({"networkRuleName": "b-rule", "sourcePrivateIps": ["10.0.0.9"]}),
            Action::CreateNetworkRule,
        ),
        Resource::Policy => (
            "alicloud-kms:index:Policy",
            "b-policy",
            json!({"policyName": "b-policy", "kmsInstanceId": "kst-1",
                   "permissions": ["RbacPermission/Template/CryptoServiceKeyUser"], "resources": ["key/*"],
                   "accessControlRules": "{\"NetworkRules\":[\"b-rule\"]}"}),
            Action::CreatePolicy,
        ),
        Resource::AccessPoint => (
            AAP_TYPE,
            "b-aap",
            json!({"applicationAccessPointName": "b-aap", "policies": ["p"]}),
            Action::CreateApplicationAccessPoint,
        ),
        Resource::ClientKey => (
            KEY_TYPE,
            "b-key",
            key_news(key_file),
            Action::CreateClientKey,
        ),
    }
}

fn key_news(key_file: &str) -> Value {
    json!({"aapName": "x", "password": PASSWORD, "notBefore": SEED_DATES.0,
           "notAfter": SEED_DATES.1, "privateKeyDataFile": key_file})
}

/// The fault set on the emulator before B's create, if any.
fn spec(fault: Fault) -> Option<FaultSpec> {
    Some(match fault {
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
        Fault::LateDelivery => FaultSpec {
            deliver_late_ratio: 1.0,
            deliver_late_ms: LATE_MS,
            ..once()
        },
        // The key file's directory goes while the key is being made; the engine goes away while
        // the create waits.
        Fault::UnwritableFile | Fault::UndeliverableReply => FaultSpec {
            latency_ms: 1000,
            ..once()
        },
        Fault::LiveKeyFile => return None,
        // The request stays in flight (and is never carried out) until the cancellation.
        Fault::Cancel | Fault::StarvedCancel | Fault::Sigterm => FaultSpec {
            hang_ratio: 1.0,
            hang_ms: 30_000,
            ..once()
        },
    })
}

fn run_row(fault: Fault, resource: Resource, stacks: Stacks, expect: &Expect, row: &str) {
    let settle = [(TEST_SETTLE_DELAY_VARIABLE, SETTLE_MS)];
    let mut a = Harness::start_with(&settle);
    a.assert_created(
        "alicloud-kms:index:NetworkRule",
        "a-rule",
        json!({"networkRuleName": "a-rule", "sourcePrivateIps": ["10.0.0.1"]}),
    );
    a.assert_created(
        "alicloud-kms:index:Policy",
        "a-policy",
        json!({"policyName": "a-policy", "kmsInstanceId": "kst-1",
               "permissions": ["RbacPermission/Template/CryptoServiceKeyUser"], "resources": ["key/*"],
               "accessControlRules": "{\"NetworkRules\":[\"a-rule\"]}"}),
    );
    a.create_access_point("x", &["a-policy"]);
    let a_key = a.assert_created(KEY_TYPE, "a-key", key_news("a-key.json"));
    let a_key_id = a_key["id"].as_str().unwrap().to_owned();
    let a_key_file = a.path("a-key.json");
    let a_private_data = key_file_private_data(&a_key_file);
    let before = baseline(&a.emulator, &a_key_id);

    // B's working directory: A's own with one stack, its own with two.
    let other_directory = tempfile::tempdir().unwrap();
    let b_directory = match stacks {
        Stacks::One => a.directory.path().to_path_buf(),
        Stacks::Two => other_directory.path().to_path_buf(),
    };
    let key_file = match fault {
        // The file of A's live key, spelled another way.
        Fault::LiveKeyFile => a_key_file.to_str().unwrap().to_owned(),
        _ => {
            fs::create_dir_all(b_directory.join("keys")).unwrap();
            "keys/b-key.json".to_owned()
        }
    };
    let b_key_file = b_directory.join(&key_file);
    let (resource_type, name, news, action) = b_resource(resource, &key_file);
    let calls_before = a.emulator.call_count(action);
    if let Some(spec) = spec(fault) {
        fault_on(&a.emulator, action, spec);
    }

    let outcome = if fault == Fault::UndeliverableReply {
        Outcome::Stderr(create_with_stdout_closed(
            &a.emulator,
            &b_directory,
            resource_type,
            name,
            news,
            action,
            calls_before,
        ))
    } else {
        let mut other = match stacks {
            Stacks::One => None,
            Stacks::Two => Some(ProviderSession::start(&b_directory, &settle)),
        };
        if let Some(other) = &mut other {
            other.result("configure", configure_params(&a.emulator));
        }
        let b = match &mut other {
            Some(other) => other,
            None => &mut a.provider,
        };
        let inputs = b.assert_check_passes(resource_type, name, news);
        let request = b.send(
            "create",
            json!({"urn": urn(resource_type, name), "properties": inputs, "timeout": 60}),
        );
        let waits = meet(fault, b, &a.emulator, action, calls_before, &b_directory);
        let reply = b.reply(request);
        for id in waits {
            let answered = b.reply(id);
            assert_eq!(answered["error"]["code"], -32056, "{row}: {answered}");
        }
        if let Some(other) = other {
            let status = other.finish(&[PASSWORD, &a_private_data]);
            assert_eq!(status.code(), Some(0), "{row}: {status:?}");
        }
        Outcome::Reply(reply)
    };
    if fault != Fault::LiveKeyFile {
        assert!(
            a.emulator.faults().is_empty(),
            "{row}: the create never met the fault"
        );
    }

    // The row ends as the contract says.
    match (expect, &outcome) {
        (Expect::Success, Outcome::Reply(reply)) => {
            assert!(reply.get("result").is_some(), "{row}: {reply}")
        }
        (Expect::Error(code), Outcome::Reply(reply)) => {
            assert_eq!(reply["error"]["code"], *code, "{row}: {reply}")
        }
        (Expect::NamedOnStderr, Outcome::Stderr(_)) => {}
        (expect, outcome) => panic!("{row}: expected {expect:?}, got {outcome:?}"),
    }
    if fault == Fault::LiveKeyFile {
        let Outcome::Reply(reply) = &outcome else {
            unreachable!()
        };
        assert_eq!(
            reply["error"]["data"]["heldClientKeyId"],
            a_key_id.as_str(),
            "{row}: {reply}"
        );
        assert_eq!(a.emulator.call_count(action), calls_before, "{row}");
    }

    // The invariant.
    let made: Vec<String> = made_since(&a.emulator, &before, &a_key_id);
    match &outcome {
        Outcome::Reply(reply) => {
            let mut replies = vec![CreateReply::new(&json!({"result": a_key}), &a_key_file)];
            if resource == Resource::ClientKey {
                replies.push(CreateReply::new(reply, &b_key_file));
            }
            assert_keys_accounted_for(&a.emulator, &replies, row);
            for name in made
                .iter()
                .filter(|name| !name.starts_with(CLIENT_KEY_PREFIX))
            {
                let accounted = reply["result"]["id"] == name.as_str()
                    || reply["error"]["data"]["candidateIds"]
                        .as_array()
                        .is_some_and(|names| names.iter().any(|named| named == name.as_str()));
                assert!(
                    accounted,
                    "{row}: {name} is in KMS, but no reply accounts for it: {reply}"
                );
            }
        }
        Outcome::Stderr(stderr) => {
            for name in &made {
                assert!(
                    stderr.contains(name.as_str()),
                    "{row}: {name} was made, and stderr does not name it:\n{stderr}"
                );
            }
            assert!(!stderr.contains(PASSWORD), "{row}: the password on stderr");
        }
    }
    assert_eq!(baseline(&a.emulator, &a_key_id), before, "{row}");
    assert_eq!(
        key_file_private_data(&a_key_file),
        a_private_data,
        "{row}: A's key file changed"
    );

    let emulator = a.finish(&[PASSWORD, &a_private_data]);
    drop(emulator);
}

/// The first letters of every client key id.
const CLIENT_KEY_PREFIX: &str = "KAAP.";

/// How a row ended: the reply of B's create, or (stdout closed) B's stderr.
#[derive(Debug)]
enum Outcome {
    Reply(Value),
    Stderr(String),
}

/// What is in KMS now that A did not make before the row: names, and client key ids.
fn made_since(emulator: &Emulator, before: &Baseline, a_key_id: &str) -> Vec<String> {
    let mut made: Vec<String> = emulator
        .network_rules()
        .into_iter()
        .map(|rule| rule.name)
        .filter(|name| *name != before.rule.0)
        .collect();
    made.extend(
        emulator
            .policies()
            .into_iter()
            .map(|policy| policy.name)
            .filter(|name| *name != before.policy.0),
    );
    made.extend(
        emulator
            .access_points()
            .into_iter()
            .map(|point| point.name)
            .filter(|name| *name != before.access_point.0),
    );
    made.extend(
        emulator
            .client_keys()
            .into_iter()
            .map(|key| key.id)
            .filter(|id| id != a_key_id),
    );
    made
}

/// Makes the fault happen to the create in flight; returns the ids of the other requests it sent
/// (each must be answered `cancelled`).
fn meet(
    fault: Fault,
    b: &mut ProviderSession,
    emulator: &Emulator,
    action: Action,
    calls_before: u64,
    b_directory: &Path,
) -> Vec<u64> {
    match fault {
        Fault::UnwritableFile => {
            wait_for_calls(emulator, action, calls_before + 1);
            fs::remove_dir_all(b_directory.join("keys")).unwrap();
            Vec::new()
        }
        Fault::Cancel => {
            wait_for_calls(emulator, action, calls_before + 1);
            b.notify("cancel");
            Vec::new()
        }
        Fault::StarvedCancel => {
            // The create holds one handler slot; operations that only a cancellation ends take
            // the other 4,095; one more request waits for a slot; the cancel comes behind it.
            wait_for_calls(emulator, action, calls_before + 1);
            let waits: Vec<u64> = (0..4095)
                .map(|_| b.send("test/waitForCancel", json!({})))
                .collect();
            let queued = b.send("getPluginInfo", json!({}));
            b.notify("cancel");
            let answered = b.reply(queued);
            assert!(answered.get("result").is_some(), "{answered}");
            waits
        }
        Fault::Sigterm => {
            wait_for_calls(emulator, action, calls_before + 1);
            send_signal(b.pid(), "TERM");
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// B's create through a provider whose stdout the engine closes while the create waits (the engine
/// goes away): returns the provider's stderr, once it has exited 1.
fn create_with_stdout_closed(
    emulator: &Emulator,
    directory: &Path,
    resource_type: &str,
    name: &str,
    news: Value,
    action: Action,
    calls_before: u64,
) -> String {
    let mut command = ProviderProcess::command();
    command
        .current_dir(directory)
        .env(TEST_SETTLE_DELAY_VARIABLE, SETTLE_MS)
        .env("HOME", directory);
    remove_machine_settings(&mut command);
    let mut provider = ProviderProcess::start_with(command, Input::Pipe, Output::LinesOnDemand);
    provider.call(1, "configure", configure_params(emulator));
    let checked = provider.call(
        2,
        "check",
        json!({"urn": urn(resource_type, name), "olds": {}, "news": news}),
    );
    let inputs = checked["result"]["inputs"].clone();
    let create = json!({"jsonrpc": "2.0", "id": 3, "method": "create",
                        "params": {"urn": urn(resource_type, name), "properties": inputs, "timeout": 60}});
    provider.send(&create);
    wait_for_calls(emulator, action, calls_before + 1);
    provider.close_stdout();
    provider.close_stdin();
    let status = provider
        .wait_for_exit(Duration::from_secs(60))
        .expect("the provider kept running");
    assert_eq!(status.code(), Some(1), "{status:?}");
    provider.stderr_text()
}

fn fault_on(emulator: &Emulator, action: Action, spec: FaultSpec) {
    fault(emulator, action.name(), spec);
}
