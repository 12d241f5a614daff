//! Only the codes that mean "gone" count as gone: an endpoint that answers HTTP 404 with another
//! code (here the gateway's `EntityNotExist.Route`, what a wrong endpoint or route gives) makes
//! `read` and `delete` fail with that code and the RequestId, instead of dropping the resource
//! from the state or pretending the delete succeeded. Driven through the real binary, against a
//! stub that answers every request with that 404.

use crate::resources_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use resources_support::*;
use serde_json::{json, Value};

const REQUEST_ID: &str = "5E8B4D9C-404A-4F00-9E6B-ROUTE0000001";

/// A loopback HTTP/1.1 server that answers every request with the same 404 body.
struct Always404 {
    address: String,
    requests: Arc<AtomicUsize>,
}

impl Always404 {
    fn start(code: &str) -> Always404 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        let body = json!({"RequestId": REQUEST_ID, "HostId": "kms.cn-hangzhou.aliyuncs.com",
                          "Code": code, "Message": "Specified api is not found, please check your url and method."})
        .to_string();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counter = counter.clone();
                let body = body.clone();
                thread::spawn(move || answer_all(stream, &body, &counter));
            }
        });
        Always404 { address, requests }
    }
}

/// Reads requests (head and `content-length` body) and answers each with the 404.
fn answer_all(stream: TcpStream, body: &str, counter: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut content_length = 0usize;
        let mut first = true;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" && !first {
                break;
            }
            first = false;
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    content_length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut request_body = vec![0u8; content_length];
        if reader.read_exact(&mut request_body).is_err() {
            return;
        }
        counter.fetch_add(1, Ordering::SeqCst);
        let reply = format!(
            "HTTP/1.1 404 Not Found\r\ncontent-type: application/json;charset=utf-8\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

fn configure_for(stub: &Always404) -> Value {
    json!({"args": {"region": "cn-hangzhou", "endpoint": stub.address, "protocol": "HTTP",
                    "accessKey": "demo-access-key-id", "secretKey": secret("demo-access-key-secret")}})
}

fn assert_names_the_code_and_request_id(error: &Value, action: &str) {
    assert_eq!(error["code"], json!(-32052), "{error}");
    assert_eq!(
        error["data"]["code"],
        json!("EntityNotExist.Route"),
        "{error}"
    );
    assert_eq!(error["data"]["requestId"], json!(REQUEST_ID), "{error}");
    assert_eq!(error["data"]["action"], json!(action), "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("EntityNotExist.Route") && message.contains(REQUEST_ID),
        "{message}"
    );
}

#[test]
fn a_404_with_another_code_is_an_error_for_read_and_delete_of_both_resources() {
    let stub = Always404::start("EntityNotExist.Route");
    let directory = tempfile::tempdir().unwrap();
    let mut provider = ProviderSession::start(directory.path(), &[]);
    provider.result("configure", configure_for(&stub));

    let key_id = "KAAP.66abf237-63f6-4625-b8cf-47e1086e0000";
    let key_state = json!({"aapName": "aap", "notBefore": "2023-09-01T14:11:22Z",
                           "notAfter": "2028-09-01T14:11:22Z", "createTime": "2023-09-01T09:14:38Z"});
    let aap_state = json!({"applicationAccessPointName": "aap", "policies": ["p"]});
    let cases = [
        (
            KEY_TYPE,
            key_id,
            key_state,
            "GetClientKey",
            "DeleteClientKey",
        ),
        (
            AAP_TYPE,
            "aap",
            aap_state,
            "DescribeApplicationAccessPoint",
            "DeleteApplicationAccessPoint",
        ),
    ];
    for (resource_type, id, state, read_action, delete_action) in cases {
        let resource_urn = urn(resource_type, "r");
        let read = provider.call(
            "read",
            json!({"urn": resource_urn, "id": id, "properties": state}),
        );
        let error = read
            .get("error")
            .unwrap_or_else(|| panic!("read reported {read} for a 404 that does not mean gone"));
        assert_names_the_code_and_request_id(error, read_action);

        let delete = provider.call(
            "delete",
            json!({"urn": resource_urn, "id": id, "properties": state}),
        );
        let error = delete.get("error").unwrap_or_else(|| {
            panic!("delete reported {delete} for a 404 that does not mean gone")
        });
        assert_names_the_code_and_request_id(error, delete_action);
    }
    // A permanent refusal is not retried: one request per operation.
    assert_eq!(stub.requests.load(Ordering::SeqCst), 4);
    assert!(provider.finish(&[]).success());
}

#[test]
fn forbidden_resource_not_found_still_means_gone() {
    let stub = Always404::start("Forbidden.ResourceNotFound");
    let directory = tempfile::tempdir().unwrap();
    let mut provider = ProviderSession::start(directory.path(), &[]);
    provider.result("configure", configure_for(&stub));
    let aap_urn = urn(AAP_TYPE, "r");
    let read = provider.result(
        "read",
        json!({"urn": aap_urn, "id": "aap", "properties": {"applicationAccessPointName": "aap", "policies": ["p"]}}),
    );
    assert_eq!(read["id"], json!(""), "{read}");
    let deleted = provider.result(
        "delete",
        json!({"urn": aap_urn, "id": "aap", "properties": {"applicationAccessPointName": "aap", "policies": ["p"]}}),
    );
    assert_eq!(deleted, json!({}));
    assert!(provider.finish(&[]).success());
}
