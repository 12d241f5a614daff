//! The emulator's signature code against the signing test vectors (docs/kms-api.md §7), and the gateway
//! admitting the exact requests those vectors describe.

use std::collections::BTreeMap;
use std::time::Instant;

use kms_emulator::gateway::{Gateway, RawRequest};
use kms_emulator::signature::{sign, string_to_sign, verify};
use kms_emulator::{Action, Credential};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vector {
    name: String,
    method: String,
    secret: String,
    params: BTreeMap<String, String>,
    string_to_sign: Option<String>,
    signature: String,
    url: Option<String>,
}

#[derive(Deserialize)]
struct VectorFile {
    vectors: Vec<Vector>,
}

fn vectors() -> Vec<Vector> {
    let text = include_str!("../data/signature_vectors.json");
    serde_json::from_str::<VectorFile>(text)
        .expect("vector file parses")
        .vectors
}

fn vector(name_prefix: &str) -> Vector {
    vectors()
        .into_iter()
        .find(|vector| vector.name.starts_with(name_prefix))
        .expect("vector exists")
}

#[test]
fn every_vector_gives_the_documented_string_to_sign_and_signature() {
    let all = vectors();
    assert_eq!(all.len(), 8);
    for vector in all {
        let computed = string_to_sign(&vector.method, &vector.params);
        if let Some(expected) = &vector.string_to_sign {
            assert_eq!(
                &computed, expected,
                "string to sign of vector {}",
                vector.name
            );
        }
        assert_eq!(
            sign(&vector.secret, &computed),
            vector.signature,
            "signature of vector {}",
            vector.name
        );
        assert!(verify(&vector.secret, &computed, &vector.signature));
        assert!(!verify("wrong", &computed, &vector.signature));
    }
}

#[test]
fn the_signature_parameter_itself_is_never_signed() {
    let vector = vector("F ");
    let mut with_signature = vector.params.clone();
    with_signature.insert("Signature".into(), vector.signature.clone());
    assert_eq!(
        string_to_sign("GET", &with_signature),
        vector.string_to_sign.unwrap()
    );
}

fn at_vector_time() -> chrono::DateTime<chrono::Utc> {
    kms_emulator::validation::parse_api_time("2024-01-02T03:04:05Z").unwrap()
}

#[test]
fn gateway_admits_the_old_core_get_url_verbatim() {
    let vector = vector("E ");
    let url = vector.url.unwrap();
    let gateway = Gateway::new(&[Credential::new("testid", "testsecret")], 100);
    let request = RawRequest {
        method: "GET",
        path: "/",
        query: Some(url.trim_start_matches("/?")),
        content_type: None,
        body: b"",
        authorization: None,
        headers: &[],
    };
    let admitted = gateway
        .admit(&request, at_vector_time(), Instant::now())
        .expect("admitted");
    assert_eq!(admitted.action, Action::GetClientKey);
    assert_eq!(admitted.params["SignatureType"], "");
    // The same request again is a replay.
    assert_eq!(
        gateway
            .admit(&request, at_vector_time(), Instant::now())
            .unwrap_err()
            .code,
        "SignatureNonceUsed"
    );
}

fn form_encode(params: &BTreeMap<String, String>) -> String {
    // Form encoding as Go's url.Values does it: space as '+'.
    params
        .iter()
        .map(|(key, value)| {
            format!(
                "{key}={}",
                kms_emulator::signature::percent_encode(value).replace("%20", "+")
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[test]
fn gateway_admits_tea_rpc_shaped_post_with_action_parameters_in_the_body() {
    let vector = vector("C ");
    let body_keys = ["AapName", "NotAfter", "NotBefore", "Password"];
    let mut query: BTreeMap<String, String> = vector
        .params
        .iter()
        .filter(|(key, _)| !body_keys.contains(&key.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    query.insert("Signature".into(), vector.signature.clone());
    let body: BTreeMap<String, String> = vector
        .params
        .iter()
        .filter(|(key, _)| body_keys.contains(&key.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let query_text = form_encode(&query);
    let body_text = form_encode(&body);
    assert!(
        body_text.contains('+'),
        "the space in the password travels as '+'"
    );
    let gateway = Gateway::new(&[Credential::new("testid", "testsecret")], 100);
    let request = RawRequest {
        method: "POST",
        path: "/",
        query: Some(&query_text),
        content_type: Some("application/x-www-form-urlencoded; charset=UTF-8"),
        body: body_text.as_bytes(),
        authorization: None,
        headers: &[],
    };
    let admitted = gateway
        .admit(&request, at_vector_time(), Instant::now())
        .expect("admitted");
    assert_eq!(admitted.action, Action::CreateClientKey);
    assert_eq!(admitted.params["Password"], "Ab1!@#$%^&*?_-~ +/=");
}

#[test]
fn gateway_admits_pop_core_shaped_post_with_everything_in_the_body_and_an_sts_token() {
    let vector = vector("D ");
    let mut params = vector.params.clone();
    params.insert("Signature".into(), vector.signature.clone());
    let body = form_encode(&params);
    let credential = Credential::sts("STS.testid", "test/secret+key=", "CAIS+token/with=chars");
    let gateway = Gateway::new(&[credential], 100);
    let request = RawRequest {
        method: "POST",
        path: "/",
        query: None,
        content_type: Some("application/x-www-form-urlencoded"),
        body: body.as_bytes(),
        authorization: None,
        headers: &[],
    };
    let admitted = gateway
        .admit(&request, at_vector_time(), Instant::now())
        .expect("admitted");
    assert_eq!(admitted.params["Description"], "测试 aap*~");

    let wrong_token = Gateway::new(
        &[Credential::sts("STS.testid", "test/secret+key=", "other")],
        100,
    );
    assert_eq!(
        wrong_token
            .admit(&request, at_vector_time(), Instant::now())
            .unwrap_err()
            .code,
        "InvalidSecurityToken.MismatchWithAccessKey"
    );
}

#[test]
fn the_timestamp_window_is_fifteen_minutes_either_way() {
    let vector = vector("F ");
    let mut params = vector.params.clone();
    params.insert("Signature".into(), vector.signature.clone());
    let query = params
        .iter()
        .map(|(k, v)| format!("{k}={}", kms_emulator::signature::percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let request = RawRequest {
        method: "GET",
        path: "/",
        query: Some(&query),
        content_type: None,
        body: b"",
        authorization: None,
        headers: &[],
    };
    let minutes = chrono::Duration::minutes;
    for (offset, admitted) in [
        (minutes(-15), true),
        (minutes(15), true),
        (minutes(-16), false),
        (minutes(16), false),
    ] {
        let gateway = Gateway::new(&[Credential::new("testid", "testsecret")], 100);
        let result = gateway.admit(&request, at_vector_time() + offset, Instant::now());
        match (admitted, result) {
            (true, Ok(_)) => {}
            (false, Err(error)) => assert_eq!(error.code, "InvalidTimeStamp.Expired"),
            (expected, result) => {
                panic!("offset {offset}: expected admitted={expected}, got {result:?}")
            }
        }
    }
}
