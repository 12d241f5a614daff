//! Two stacks share one account: two provider processes against one emulator. Stack B's create
//! loses its reply (a 5xx that did not run, a hang that did not run, a commit-then-drop that
//! did) while stack A's resource of the same kind is there, made before B's create or during it.
//! A's resources must survive and stay A's; B must neither delete, adopt nor report as its own
//! what it cannot prove it made, and must leave no key that no reply accounts for.

use crate::resources_support;

use kms_emulator::{Action, FaultSpec};
use resources_support::accounting::{assert_keys_accounted_for, CreateReply};
use resources_support::*;
use serde_json::{json, Value};

/// How B's create loses its reply.
#[derive(Clone, Copy, Debug)]
enum LostReply {
    /// A 5xx answer: the action did not run.
    ServerError,
    /// A hang that ends with the connection closed: the action did not run.
    Hang,
    /// The action ran and committed, then the connection was closed without an answer.
    CommitThenDrop,
}

const LOST_REPLIES: [LostReply; 3] = [
    LostReply::ServerError,
    LostReply::Hang,
    LostReply::CommitThenDrop,
];

impl LostReply {
    /// The fault, for the next call only. `delay_ms` holds the call before its fate, so that the
    /// other stack can act while it is in flight.
    fn spec(self, delay_ms: u64) -> FaultSpec {
        let mut spec = FaultSpec {
            latency_ms: delay_ms,
            ..once()
        };
        match self {
            LostReply::ServerError => spec.server_error_ratio = 1.0,
            LostReply::Hang => {
                spec.hang_ratio = 1.0;
                spec.hang_ms = 300;
            }
            LostReply::CommitThenDrop => spec.drop_after_commit_ratio = 1.0,
        }
        spec
    }

    fn ran(self) -> bool {
        matches!(self, LostReply::CommitThenDrop)
    }
}

/// The validity of both stacks' keys: the seed's explicit dates (equal for both), or none.
#[derive(Clone, Copy, Debug)]
enum Validity {
    ExplicitEqual,
    Default,
}

fn key_news(validity: Validity, key_file: &str) -> Value {
    let mut news = json!({"aapName": "x", "password": PASSWORD, "privateKeyDataFile": key_file});
    if let Validity::ExplicitEqual = validity {
        news["notBefore"] = json!("2023-09-01T14:11:22Z");
        news["notAfter"] = json!("2028-09-01T14:11:22Z");
    }
    news
}

/// When A's resource is made, relative to B's lost create.
#[derive(Clone, Copy, Debug)]
enum WhenAMadeIt {
    /// Before B's create started.
    Before,
    /// While B's request was in flight.
    During,
}

/// The latency given to B's call so that A can act while it is in flight.
const IN_FLIGHT_MS: u64 = 1500;

#[test]
fn a_lost_client_key_create_never_deletes_or_claims_another_stacks_key() {
    for when in [WhenAMadeIt::Before, WhenAMadeIt::During] {
        for validity in [Validity::ExplicitEqual, Validity::Default] {
            for lost in LOST_REPLIES {
                lost_client_key_create(when, validity, lost);
            }
        }
    }
}

fn lost_client_key_create(when: WhenAMadeIt, validity: Validity, lost: LostReply) {
    let row = format!("A's key made {when:?}, validity {validity:?}, B's reply lost by {lost:?}");
    let mut a = Harness::start();
    let mut b = a.start_other_stack();
    a.create_access_point("x", &["p"]);
    let a_inputs = a.assert_check_passes(KEY_TYPE, "a-key", key_news(validity, "a-key.json"));
    let b_inputs =
        b.provider
            .assert_check_passes(KEY_TYPE, "b-key", key_news(validity, "b-key.json"));
    let create = |inputs: &Value, name: &str| json!({"urn": urn(KEY_TYPE, name), "properties": inputs, "timeout": 60});

    let (a_key, b_reply) = match when {
        WhenAMadeIt::Before => {
            let a_key = a.provider.result("create", create(&a_inputs, "a-key"));
            fault(&a.emulator, "CreateClientKey", lost.spec(0));
            let b_reply = b.provider.call("create", create(&b_inputs, "b-key"));
            (a_key, b_reply)
        }
        WhenAMadeIt::During => {
            fault(&a.emulator, "CreateClientKey", lost.spec(IN_FLIGHT_MS));
            let b_request = b.provider.send("create", create(&b_inputs, "b-key"));
            wait_until_called(&a.emulator, Action::CreateClientKey);
            let a_key = a.provider.result("create", create(&a_inputs, "a-key"));
            (a_key, b.provider.reply(b_request))
        }
    };
    let a_id = a_key["id"].as_str().unwrap().to_owned();

    // A's key survives, unchanged, and B never reports it as its own.
    let read = a.provider.result(
        "read",
        json!({"urn": urn(KEY_TYPE, "a-key"), "id": a_id, "properties": a_key["properties"], "inputs": a_inputs}),
    );
    assert_eq!(read["id"], a_id.as_str(), "{row}: A's key is gone");
    for property in ["notBefore", "notAfter", "createTime"] {
        assert_eq!(
            read["properties"][property], a_key["properties"][property],
            "{row}"
        );
    }
    if let Some(result) = b_reply.get("result") {
        assert_ne!(result["id"], a_id.as_str(), "{row}: B claims A's key");
    }

    // Every key in KMS is A's, B's (with its file), or named by B's error; and B's error names
    // A's key only when A made it while B's reply was lost (B cannot tell those apart).
    assert_keys_accounted_for(
        &a.emulator,
        &[
            CreateReply::new(&json!({"result": a_key}), &a.path("a-key.json")),
            CreateReply::new(&b_reply, &b.path("b-key.json")),
        ],
        &row,
    );
    if let Some(error) = b_reply.get("error") {
        let candidates = error["data"]["candidateIds"].as_array().cloned();
        let names_a = candidates
            .iter()
            .flatten()
            .any(|candidate| candidate == a_id.as_str());
        assert!(
            matches!(when, WhenAMadeIt::During) || !names_a,
            "{row}: B names A's key, made before B's create: {error}"
        );
    }

    // What B should end with, row by row.
    match (validity, lost.ran(), when) {
        // The provider chose B's validity itself, so B's own lost key is told apart by its dates:
        // deleted, and the create made again.
        (Validity::Default, _, _) => {
            assert!(b_reply.get("result").is_some(), "{row}: {b_reply}");
        }
        // Nothing was made, and no key with B's dates appeared during its attempt.
        (Validity::ExplicitEqual, false, WhenAMadeIt::Before) => {
            assert!(b_reply.get("result").is_some(), "{row}: {b_reply}");
        }
        // A key with B's dates appeared during the attempt (B's, A's or both): B cannot prove
        // which is its own, so it deletes nothing and names them.
        (Validity::ExplicitEqual, _, _) => {
            let error = b_reply
                .get("error")
                .unwrap_or_else(|| panic!("{row}: {b_reply}"));
            assert_eq!(error["code"], -32060, "{row}: {error}");
            assert_eq!(error["data"]["kind"], "ambiguous_create", "{row}");
            let message = error["message"].as_str().unwrap();
            assert!(message.contains("deleted none"), "{row}: {message}");
            assert!(
                message.contains("aliyun kms ListClientKeys --AapName x"),
                "{row}: {message}"
            );
        }
    }
    let b_status = b.provider.finish(&[PASSWORD]);
    assert!(b_status.success(), "{row}: {b_status:?}");
    a.finish(&[PASSWORD]);
}

#[test]
fn a_lost_access_point_create_never_adopts_another_stacks_access_point() {
    for lost in LOST_REPLIES {
        let row = format!("B's reply lost by {lost:?}");
        let mut a = Harness::start();
        let mut b = a.start_other_stack();
        let a_aap = a.create_access_point("shared", &["p"]);
        fault(&a.emulator, "CreateApplicationAccessPoint", lost.spec(0));
        let b_inputs = b.provider.assert_check_passes(
            AAP_TYPE,
            "shared",
            json!({"applicationAccessPointName": "shared", "policies": ["p"]}),
        );
        let error = b.provider.error(
            "create",
            json!({"urn": urn(AAP_TYPE, "shared"), "properties": b_inputs, "timeout": 60}),
        );
        // The name was taken before B's attempt: B stops at once and claims nothing.
        assert_eq!(error["code"], -32061, "{row}: {error}");
        assert_eq!(error["data"]["kind"], "already_exists", "{row}");
        assert_eq!(error["data"]["name"], "shared", "{row}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("pulumi import"), "{row}: {message}");
        assert!(message.contains("choose another name"), "{row}: {message}");
        assert_eq!(
            a.emulator.call_count(Action::CreateApplicationAccessPoint),
            1,
            "{row}: B must not even try"
        );
        assert_access_point_is_as_a_made_it(&mut a, &a_aap, &row);
        assert!(b.provider.finish(&[]).success(), "{row}");
        a.finish(&[]);
    }
}

#[test]
fn an_access_point_another_stack_makes_during_a_lost_create_is_not_adopted() {
    for lost in LOST_REPLIES {
        let row = format!("B's reply lost by {lost:?}");
        let mut a = Harness::start();
        let mut b = a.start_other_stack();
        fault(
            &a.emulator,
            "CreateApplicationAccessPoint",
            lost.spec(IN_FLIGHT_MS),
        );
        let b_inputs = b.provider.assert_check_passes(
            AAP_TYPE,
            "shared",
            json!({"applicationAccessPointName": "shared", "policies": ["p"]}),
        );
        let b_request = b.provider.send(
            "create",
            json!({"urn": urn(AAP_TYPE, "shared"), "properties": b_inputs, "timeout": 60}),
        );
        wait_until_called(&a.emulator, Action::CreateApplicationAccessPoint);
        // A makes the name while B's request is in flight, with another policy.
        let a_aap = a.create_access_point("shared", &["q"]);
        let reply = b.provider.reply(b_request);
        let error = reply
            .get("error")
            .unwrap_or_else(|| panic!("{row}: B claims A's access point: {reply}"));
        assert_eq!(error["code"], -32060, "{row}: {error}");
        assert_eq!(error["data"]["candidateIds"], json!(["shared"]), "{row}");
        assert_access_point_is_as_a_made_it(&mut a, &a_aap, &row);
        assert!(b.provider.finish(&[]).success(), "{row}");
        a.finish(&[]);
    }
}

fn assert_access_point_is_as_a_made_it(a: &mut Harness, created: &Value, row: &str) {
    let access_points = a.emulator.access_points();
    assert_eq!(access_points.len(), 1, "{row}: {access_points:?}");
    let read = a.provider.result(
        "read",
        json!({"urn": urn(AAP_TYPE, "shared"), "id": "shared", "properties": created["properties"]}),
    );
    assert_eq!(read["id"], "shared", "{row}");
    assert_eq!(read["properties"], created["properties"], "{row}");
}
