//! Only the codes that mean "gone" count as gone: an endpoint that answers HTTP 404 with another
//! code (here the gateway's `EntityNotExist.Route`, what a wrong endpoint or route gives) makes
//! `read` and `delete` fail with that code and the RequestId, instead of dropping the resource
//! from the state or pretending the delete succeeded. Driven through the real binary, against a
//! stub that answers every request with that 404.

use crate::kms_support::{self, BackgroundServer};
use crate::resources_support;

use resources_support::*;
use serde_json::{json, Value};

const REQUEST_ID: &str = "5E8B4D9C-404A-4F00-9E6B-ROUTE0000001";

/// The scripted KMS stand-in, answering every request with HTTP 404 and `code`.
fn always_404(code: &str) -> BackgroundServer {
    let body = json!({"RequestId": REQUEST_ID, "HostId": "kms.cn-hangzhou.aliyuncs.com",
                      "Code": code, "Message": "Specified api is not found, please check your url and method."});
    BackgroundServer::answering_every_request(kms_support::json(404, &body.to_string()))
}

fn configure_for(stub: &BackgroundServer) -> Value {
    json!({"args": {"region": "cn-hangzhou", "endpoint": stub.endpoint(), "protocol": "HTTP",
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
    let stub = always_404("EntityNotExist.Route");
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
    assert_eq!(stub.requests().len(), 4);
    assert!(provider.finish(&[]).success());
}

#[test]
fn forbidden_resource_not_found_still_means_gone() {
    let stub = always_404("Forbidden.ResourceNotFound");
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
