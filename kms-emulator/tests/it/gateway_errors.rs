//! Every gateway rule and error code, over real HTTP against a running emulator, and bad input
//! that must get a documented answer while the emulator keeps serving.

use crate::common;

use common::{encode_params, send_raw, start, Client, Reply};
use kms_emulator::{Config, Credential, Emulator};

fn assert_still_serving(client: &Client) {
    client.call("ListApplicationAccessPoints", &[]).assert_ok();
}

#[test]
fn get_and_post_with_query_parameters_are_accepted() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let body = client
        .get("ListApplicationAccessPoints", &[])
        .assert_ok()
        .clone();
    assert_eq!(body["TotalCount"], 0);
    client.call("ListApplicationAccessPoints", &[]).assert_ok();
}

#[test]
fn post_with_action_parameters_in_a_form_body_and_plus_as_space_is_accepted() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let mut params = client.unsigned(
        "CreateApplicationAccessPoint",
        &[
            ("Name", "aap_form"),
            ("Policies", "[\"p\"]"),
            ("Description", "two words"),
        ],
    );
    client.sign("POST", &mut params);
    let body_keys = ["Name", "Policies", "Description"];
    let body: std::collections::BTreeMap<String, String> = params
        .iter()
        .filter(|(k, _)| body_keys.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let query: std::collections::BTreeMap<String, String> = params
        .into_iter()
        .filter(|(k, _)| !body_keys.contains(&k.as_str()))
        .collect();
    let body_text = encode_params(&body).replace("%20", "+");
    assert!(body_text.contains("two+words"));
    client.send("POST", &query, Some(&body_text)).assert_ok();
    let described = client
        .call("DescribeApplicationAccessPoint", &[("Name", "aap_form")])
        .assert_ok()
        .clone();
    assert_eq!(described["Description"], "two words");
}

#[test]
fn a_wrong_secret_gets_signature_does_not_match_with_the_server_string_to_sign() {
    let emulator = start();
    let mut client = Client::demo(emulator.addr());
    client.access_key_secret = "not-the-secret".into();
    let reply = client.call("ListPolicies", &[]);
    reply.assert_error(400, "SignatureDoesNotMatch");
    let message = reply.message();
    let (_, server_string) = message
        .split_once("server string to sign is:")
        .expect("the message names the string to sign");
    assert!(
        server_string
            .starts_with("POST&%2F&AccessKeyId%3Ddemo-access-key-id%26Action%3DListPolicies"),
        "{server_string}"
    );
}

#[test]
fn a_tampered_parameter_breaks_the_signature() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let mut params = client.unsigned("ListPolicies", &[("PageSize", "10")]);
    client.sign("POST", &mut params);
    params.insert("PageSize".into(), "11".into());
    client
        .send("POST", &params, None)
        .assert_error(400, "SignatureDoesNotMatch");
    // Signed for GET, sent as POST.
    let mut params = client.unsigned("ListPolicies", &[]);
    client.sign("GET", &mut params);
    client
        .send("POST", &params, None)
        .assert_error(400, "SignatureDoesNotMatch");
}

#[test]
fn timestamps_outside_the_window_or_badly_formatted_are_refused() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let send_with_timestamp = |timestamp: &str| {
        let mut params = client.unsigned("ListPolicies", &[]);
        params.insert("Timestamp".into(), timestamp.into());
        client.sign("POST", &mut params);
        client.send("POST", &params, None)
    };
    let format =
        |time: chrono::DateTime<chrono::Utc>| time.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let now = chrono::Utc::now();
    send_with_timestamp(&format(now - chrono::Duration::minutes(16)))
        .assert_error(400, "InvalidTimeStamp.Expired");
    send_with_timestamp(&format(now + chrono::Duration::minutes(16)))
        .assert_error(400, "InvalidTimeStamp.Expired");
    send_with_timestamp(&format(now - chrono::Duration::minutes(14))).assert_ok();
    for bad in [
        "2024-01-02 03:04:05",
        "2024-01-02T03:04:05",
        "yesterday",
        "2024-01-02T03:04:05.123Z",
    ] {
        send_with_timestamp(bad).assert_error(400, "InvalidTimeStamp.Format");
    }
}

#[test]
fn a_reused_nonce_is_refused_but_a_failed_request_does_not_use_it_up() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let mut params = client.unsigned("ListPolicies", &[]);
    // A request with a wrong signature and this nonce fails without consuming the nonce.
    let mut broken = params.clone();
    broken.insert("Signature".into(), "AAAA".into());
    client
        .send("POST", &broken, None)
        .assert_error(400, "SignatureDoesNotMatch");
    client.sign("POST", &mut params);
    client.send("POST", &params, None).assert_ok();
    client
        .send("POST", &params, None)
        .assert_error(400, "SignatureNonceUsed");
}

#[test]
fn unknown_access_keys_are_refused_with_404() {
    let emulator = start();
    let mut client = Client::demo(emulator.addr());
    client.access_key_id = "nobody".into();
    client
        .call("ListPolicies", &[])
        .assert_error(404, "InvalidAccessKeyId.NotFound");
}

#[test]
fn sts_credentials_need_their_exact_security_token() {
    let config = Config {
        credentials: vec![Credential::sts("STS.tester", "sts-secret", "token+/=")],
        ..Config::default()
    };
    let emulator = Emulator::start_blocking(config).unwrap();
    let mut client = Client {
        addr: emulator.addr(),
        access_key_id: "STS.tester".into(),
        access_key_secret: "sts-secret".into(),
        security_token: Some("token+/=".into()),
    };
    client.call("ListPolicies", &[]).assert_ok();
    client.security_token = Some("other".into());
    client
        .call("ListPolicies", &[])
        .assert_error(400, "InvalidSecurityToken.MismatchWithAccessKey");
    client.security_token = None;
    client
        .call("ListPolicies", &[])
        .assert_error(400, "MissingSecurityToken");
}

#[test]
fn a_security_token_with_a_long_term_key_is_refused() {
    let emulator = start();
    let mut client = Client::demo(emulator.addr());
    client.security_token = Some("stray".into());
    client
        .call("ListPolicies", &[])
        .assert_error(400, "InvalidSecurityToken.MismatchWithAccessKey");
}

#[test]
fn unknown_actions_versions_and_paths_are_api_not_found() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    client
        .call("CreateKey", &[])
        .assert_error(404, "InvalidApi.NotFound");
    client
        .call("getclientkey", &[])
        .assert_error(404, "InvalidApi.NotFound");
    let mut params = client.unsigned("ListPolicies", &[("Version", "2020-01-01")]);
    client.sign("POST", &mut params);
    client
        .send("POST", &params, None)
        .assert_error(404, "InvalidApi.NotFound");
    let request = "GET /other?Action=ListPolicies HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    send_raw(emulator.addr(), request.as_bytes()).assert_error(404, "InvalidApi.NotFound");
}

#[test]
fn missing_common_parameters_are_named() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    for name in [
        "Action",
        "Version",
        "AccessKeyId",
        "Signature",
        "SignatureMethod",
        "SignatureVersion",
        "Timestamp",
        "SignatureNonce",
    ] {
        let mut params = client.unsigned("ListPolicies", &[]);
        params.remove(name);
        if name != "Signature" {
            client.sign("POST", &mut params);
        }
        client
            .send("POST", &params, None)
            .assert_error(400, &format!("Missing{name}"));
    }
}

#[test]
fn signature_method_and_version_are_checked() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let mut params = client.unsigned("ListPolicies", &[("SignatureMethod", "HMAC-SHA256")]);
    client.sign("POST", &mut params);
    client
        .send("POST", &params, None)
        .assert_error(400, "InvalidSignatureMethod");
    let mut params = client.unsigned("ListPolicies", &[("SignatureVersion", "2.0")]);
    client.sign("POST", &mut params);
    client
        .send("POST", &params, None)
        .assert_error(400, "IncompleteSignature");
}

#[test]
fn wrong_http_methods_are_refused_with_403() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    for method in ["PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"] {
        let mut params = client.unsigned("ListPolicies", &[]);
        client.sign(method, &mut params);
        let reply = client.send(method, &params, None);
        if method == "HEAD" {
            // A HEAD answer has no body; the status alone says it.
            assert_eq!(reply.status(), 403);
        } else {
            reply.assert_error(403, "UnsupportedHTTPMethod");
        }
    }
    assert_still_serving(&client);
}

#[test]
fn malformed_queries_invalid_utf8_and_duplicates_are_parse_errors() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let mut params = client.unsigned("ListPolicies", &[]);
    client.sign("POST", &mut params);
    let good_query = encode_params(&params);
    for query in [
        format!("{good_query}&Broken=%zz"),
        format!("{good_query}&Broken=%E6%B5"),
        format!("{good_query}&Action=ListPolicies"),
        format!("{good_query}&=value"),
    ] {
        let request = format!(
            "POST /?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        );
        let reply = send_raw(emulator.addr(), request.as_bytes());
        reply.assert_error(400, "ParseRequestParameterException");
    }
    // The same name in the query and in the body.
    let body = "PageSize=10";
    let mut params = client.unsigned("ListPolicies", &[("PageSize", "10")]);
    client.sign("POST", &mut params);
    client
        .send("POST", &params, Some(body))
        .assert_error(400, "ParseRequestParameterException");
    // Invalid UTF-8 as raw bytes in a form body.
    let request = b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 8\r\n\r\nName=\xff\xfe!".to_vec();
    send_raw(emulator.addr(), &request).assert_error(400, "ParseRequestParameterException");
    assert_still_serving(&client);
}

#[test]
fn a_body_that_is_not_a_form_is_refused() {
    let emulator = start();
    let request = "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    send_raw(emulator.addr(), request.as_bytes())
        .assert_error(400, "ParseRequestParameterException");
}

#[test]
fn huge_bodies_get_413_and_the_emulator_keeps_serving() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let body = format!("Description={}", "a".repeat(2 * 1024 * 1024));
    let request = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    send_raw(emulator.addr(), request.as_bytes())
        .assert_error(413, "ParseRequestParameterException");
    assert_still_serving(&client);
}

#[test]
fn garbage_that_is_not_http_does_not_stop_the_emulator() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let reply = send_raw(emulator.addr(), b"\x00\x01\x02 this is not HTTP\r\n\r\n");
    if let Reply::Answered { status, .. } = reply {
        assert_eq!(status, 400);
    }
    let reply = send_raw(
        emulator.addr(),
        b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    if let Reply::Answered { status, .. } = reply {
        assert_eq!(status, 400);
    }
    assert_still_serving(&client);
}

#[test]
fn error_bodies_carry_the_documented_fields_and_headers() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let reply = client.call("DescribePolicy", &[("Name", "missing")]);
    let body = reply.assert_error(404, "Forbidden.ResourceNotFound");
    assert_eq!(body["HostId"], "kms.cn-hangzhou.aliyuncs.com");
    let request_id = body["RequestId"].as_str().unwrap();
    assert_eq!(request_id.len(), 36);
    assert!(body["Recommend"]
        .as_str()
        .unwrap()
        .contains("Forbidden.ResourceNotFound"));
    let Reply::Answered { headers, .. } = &reply else {
        unreachable!()
    };
    assert!(headers
        .iter()
        .any(|(name, value)| name == "content-type" && value.starts_with("application/json")));
    assert!(headers
        .iter()
        .any(|(name, value)| name == "x-acs-request-id" && value == request_id));
}
