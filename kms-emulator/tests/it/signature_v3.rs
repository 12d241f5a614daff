//! Signature V3 (`ACS3-HMAC-SHA256`): the emulator's verifier against vectors computed by the
//! official signer (`tests/data/signature_v3_vectors.json`), the gateway admitting those exact
//! requests, and every V3 gateway error over HTTP.

use crate::common;

use std::collections::BTreeMap;
use std::time::Instant;

use common::{send_raw, start, Client};
use kms_emulator::gateway::{Gateway, RawRequest};
use kms_emulator::signature_v3::{
    canonical_request, parse_authorization, sign, string_to_sign, verify,
};
use kms_emulator::{Action, Credential};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vector {
    name: String,
    method: String,
    path: String,
    query: BTreeMap<String, String>,
    headers: Vec<(String, String)>,
    body: String,
    access_key_id: String,
    secret: String,
    canonical_request: String,
    string_to_sign: String,
    authorization: String,
}

#[derive(Deserialize)]
struct VectorFile {
    vectors: Vec<Vector>,
}

fn vectors() -> Vec<Vector> {
    serde_json::from_str::<VectorFile>(include_str!("../data/signature_v3_vectors.json"))
        .expect("the V3 vector file parses")
        .vectors
}

#[test]
fn every_vector_gives_the_official_canonical_request_string_to_sign_and_signature() {
    let all = vectors();
    assert_eq!(all.len(), 4);
    for vector in all {
        let authorization = parse_authorization(&vector.authorization).expect("parses");
        assert_eq!(authorization.credential, vector.access_key_id);
        let canonical = canonical_request(
            &vector.method,
            &vector.path,
            &vector.query,
            &vector.headers,
            &authorization.signed_headers,
            &kms_emulator::signature_v3::sha256_hex(vector.body.as_bytes()),
        );
        assert_eq!(canonical, vector.canonical_request, "{}", vector.name);
        let to_sign = string_to_sign(&canonical);
        assert_eq!(to_sign, vector.string_to_sign, "{}", vector.name);
        assert_eq!(
            sign(&vector.secret, &to_sign),
            authorization.signature,
            "{}",
            vector.name
        );
        assert!(verify(&vector.secret, &to_sign, &authorization.signature));
        assert!(!verify("wrong", &to_sign, &authorization.signature));
    }
}

fn at_vector_time() -> chrono::DateTime<chrono::Utc> {
    kms_emulator::validation::parse_api_time("2024-01-02T03:04:05Z").unwrap()
}

#[test]
fn the_gateway_admits_each_vector_request_verbatim_once() {
    let gateway = Gateway::new(
        &[
            Credential::new("testid", "testsecret"),
            Credential::sts("STS.testid", "test/secret+key=", "CAIS+token/with=chars"),
        ],
        100,
    );
    let expected_actions = [
        Action::GetClientKey,
        Action::CreateApplicationAccessPoint,
        Action::CreateClientKey,
        Action::AssumeRole,
    ];
    for (vector, expected) in vectors().into_iter().zip(expected_actions) {
        let query = common::encode_params(&vector.query);
        let mut headers: Vec<(&str, &str)> = vector
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        headers.push(("authorization", &vector.authorization));
        let content_type = headers
            .iter()
            .find(|(name, _)| *name == "content-type")
            .map(|(_, value)| *value);
        let request = RawRequest {
            method: &vector.method,
            path: &vector.path,
            query: (!query.is_empty()).then_some(query.as_str()),
            content_type,
            body: vector.body.as_bytes(),
            authorization: Some(&vector.authorization),
            headers: &headers,
        };
        let admitted = gateway
            .admit(&request, at_vector_time(), Instant::now())
            .unwrap_or_else(|error| panic!("{}: {error:?}", vector.name));
        assert_eq!(admitted.action, expected, "{}", vector.name);
        assert_eq!(
            admitted
                .caller
                .expect("a signed request has a caller")
                .access_key_id,
            vector.access_key_id
        );
        let replay = gateway
            .admit(&request, at_vector_time(), Instant::now())
            .unwrap_err();
        assert_eq!(replay.code, "SignatureNonceUsed", "{}", vector.name);
    }
}

#[test]
fn a_v3_client_calls_kms_actions_get_and_post_with_query_and_form_body() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let created = client
        .call_v3(
            "CreateApplicationAccessPoint",
            "2016-01-20",
            &[
                ("Name", "aap_v3"),
                ("Policies", "[\"p 1\",\"p*2\"]"),
                ("Description", "测试 ~*"),
            ],
        )
        .assert_ok()
        .clone();
    assert_eq!(created["Name"], "aap_v3");

    let mut request = client.v3("POST", "CreateClientKey", "2016-01-20", &[]);
    request.body = "AapName=aap_v3&Password=Ab1%21%40%23x%2A".to_owned();
    request.set_header("content-type", "application/x-www-form-urlencoded");
    client.sign_v3(&mut request);
    let key = client.send_v3(&request).assert_ok().clone();
    assert!(key["ClientKeyId"].as_str().unwrap().starts_with("KAAP."));

    let mut request = client.v3(
        "GET",
        "GetClientKey",
        "2016-01-20",
        &[("ClientKeyId", key["ClientKeyId"].as_str().unwrap())],
    );
    client.sign_v3(&mut request);
    assert_eq!(client.send_v3(&request).assert_ok()["AapName"], "aap_v3");
    assert_eq!(emulator.call_count(Action::GetClientKey), 1);
}

#[test]
fn a_v3_request_with_a_wrong_secret_or_tampered_parts_does_not_match() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let mut wrong = client.clone();
    wrong.access_key_secret = "wrong-secret".to_owned();
    let reply = wrong.call_v3("ListPolicies", "2016-01-20", &[]);
    reply.assert_error(400, "SignatureDoesNotMatch");
    assert!(
        reply
            .message()
            .contains("server string to sign is:ACS3-HMAC-SHA256\n"),
        "{}",
        reply.message()
    );

    // A query parameter changed after signing.
    let mut request = client.v3("POST", "ListPolicies", "2016-01-20", &[("PageSize", "10")]);
    client.sign_v3(&mut request);
    request.query.insert("PageSize".to_owned(), "11".to_owned());
    client
        .send_v3(&request)
        .assert_error(400, "SignatureDoesNotMatch");

    // A signed header changed after signing.
    let mut request = client.v3("POST", "ListPolicies", "2016-01-20", &[]);
    client.sign_v3(&mut request);
    request.set_header("accept", "application/xml");
    client
        .send_v3(&request)
        .assert_error(400, "SignatureDoesNotMatch");

    // A body that is not the one hashed in x-acs-content-sha256.
    let mut request = client.v3("POST", "DescribePolicy", "2016-01-20", &[]);
    request.body = "Name=a".to_owned();
    request.set_header("content-type", "application/x-www-form-urlencoded");
    client.sign_v3(&mut request);
    request.body = "Name=b".to_owned();
    let reply = client.send_v3(&request);
    reply.assert_error(400, "SignatureDoesNotMatch");
    assert!(
        reply.message().contains("x-acs-content-sha256"),
        "{}",
        reply.message()
    );
    assert_eq!(emulator.call_count(Action::ListPolicies), 0);
}

#[test]
fn missing_or_unsigned_v3_headers_are_incomplete_signatures() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    for header in [
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-content-sha256",
    ] {
        let mut request = client.v3("POST", "ListPolicies", "2016-01-20", &[]);
        client.sign_v3(&mut request);
        request.remove_header(header);
        let reply = client.send_v3(&request);
        reply.assert_error(400, "IncompleteSignature");
        assert!(
            reply.message().contains(header),
            "{header}: {}",
            reply.message()
        );
    }
    // An x-acs-* header sent but left out of SignedHeaders.
    let mut request = client.v3("POST", "ListPolicies", "2016-01-20", &[]);
    client.sign_v3(&mut request);
    request.set_header("x-acs-extra", "unsigned");
    let reply = client.send_v3(&request);
    reply.assert_error(400, "IncompleteSignature");
    assert!(
        reply.message().contains("x-acs-extra"),
        "{}",
        reply.message()
    );

    // A malformed Authorization header.
    for authorization in [
        "ACS3-HMAC-SHA256",
        "ACS3-HMAC-SHA256 Credential=demo-access-key-id,SignedHeaders=host",
        "ACS3-HMAC-SHA256 Credential=demo-access-key-id,SignedHeaders=host,Signature=ab,Extra=1",
    ] {
        let mut request = client.v3("POST", "ListPolicies", "2016-01-20", &[]);
        client.sign_v3(&mut request);
        request.set_header("authorization", authorization);
        client
            .send_v3(&request)
            .assert_error(400, "IncompleteSignature");
    }
}

#[test]
fn v3_algorithm_action_key_and_time_errors() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let mut request = client.v3("POST", "ListPolicies", "2016-01-20", &[]);
    client.sign_v3(&mut request);
    let authorization = request
        .headers
        .iter()
        .find(|(name, _)| name == "authorization")
        .unwrap()
        .1
        .replace("ACS3-HMAC-SHA256", "ACS3-HMAC-SM3");
    request.set_header("authorization", &authorization);
    client
        .send_v3(&request)
        .assert_error(400, "InvalidSignatureMethod");

    client
        .call_v3("NoSuchAction", "2016-01-20", &[])
        .assert_error(404, "InvalidApi.NotFound");
    client
        .call_v3("AssumeRole", "2016-01-20", &[])
        .assert_error(404, "InvalidApi.NotFound");
    let mut request = client.v3("POST", "ListPolicies", "2016-01-20", &[]);
    request.remove_header("x-acs-action");
    client.sign_v3(&mut request);
    client.send_v3(&request).assert_error(400, "MissingAction");

    let mut nobody = client.clone();
    nobody.access_key_id = "nobody".to_owned();
    nobody
        .call_v3("ListPolicies", "2016-01-20", &[])
        .assert_error(404, "InvalidAccessKeyId.NotFound");

    for (date, code) in [
        ("2020-01-01T00:00:00Z", "InvalidTimeStamp.Expired"),
        ("2020-01-01 00:00:00", "InvalidTimeStamp.Format"),
    ] {
        let mut request = client.v3("POST", "ListPolicies", "2016-01-20", &[]);
        request.set_header("x-acs-date", date);
        client.sign_v3(&mut request);
        client.send_v3(&request).assert_error(400, code);
    }
}

#[test]
fn a_replayed_v3_nonce_is_refused_but_a_failed_request_does_not_use_it_up() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let mut request = client.v3("POST", "ListPolicies", "2016-01-20", &[]);
    client.sign_v3(&mut request);
    let mut broken = request.clone();
    broken.query.insert("Tampered".to_owned(), "1".to_owned());
    client
        .send_v3(&broken)
        .assert_error(400, "SignatureDoesNotMatch");
    client.send_v3(&request).assert_ok();
    client
        .send_v3(&request)
        .assert_error(400, "SignatureNonceUsed");
}

#[test]
fn v3_sts_credentials_need_their_token_header() {
    let sts = Credential::sts("STS.v3", "v3-secret", "CAIS+v3/token=");
    let emulator = kms_emulator::Emulator::start_blocking(kms_emulator::Config {
        credentials: vec![Credential::demo(), sts.clone()],
        ..kms_emulator::Config::default()
    })
    .unwrap();
    let mut client = Client::demo(emulator.addr());
    client.access_key_id = sts.access_key_id.clone();
    client.access_key_secret = sts.access_key_secret.clone();
    client.security_token = sts.security_token.clone();
    client
        .call_v3("ListPolicies", "2016-01-20", &[])
        .assert_ok();
    client.security_token = Some("other".to_owned());
    client
        .call_v3("ListPolicies", "2016-01-20", &[])
        .assert_error(400, "InvalidSecurityToken.MismatchWithAccessKey");
    client.security_token = None;
    client
        .call_v3("ListPolicies", "2016-01-20", &[])
        .assert_error(400, "MissingSecurityToken");
}

#[test]
fn a_v2_signature_wins_when_both_are_present_and_garbage_stays_a_clean_error() {
    let emulator = start();
    let request = "POST /?Action=ListPolicies&Version=2016-01-20 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
        Authorization: ACS3-HMAC-SHA256 Credential=demo-access-key-id,SignedHeaders=host,Signature=00\r\nContent-Length: 0\r\n\r\n";
    // No x-acs-* headers at all: the V3 checks say what is missing.
    let reply = send_raw(emulator.addr(), request.as_bytes());
    reply.assert_error(400, "IncompleteSignature");
    assert!(
        reply.message().contains("x-acs-date"),
        "{}",
        reply.message()
    );
    // With a V2 Signature parameter the request is a V2 one, whatever Authorization says.
    let client = Client::demo(emulator.addr());
    let mut params = client.unsigned("ListPolicies", &[]);
    client.sign("POST", &mut params);
    let text = format!(
        "POST /?{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: ACS3-HMAC-SHA256 Credential=x,SignedHeaders=host,Signature=00\r\nContent-Length: 0\r\n\r\n",
        common::encode_params(&params)
    );
    send_raw(emulator.addr(), text.as_bytes()).assert_ok();
}
