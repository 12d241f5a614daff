//! Bad replies become typed errors that name the action and the RequestId; they never panic and
//! are never mistaken for "not found". Service messages that echo a secret are scrubbed.

use crate::kms_support;

use alicloud_kms_provider::kms::{self, signer, CallOptions, KmsError, SecretString};
use alicloud_kms_provider::resources::application_access_point::kms::describe_application_access_point;
use alicloud_kms_provider::resources::client_key::kms::{
    create_client_key, get_client_key, CreateClientKeyRequest,
};
use kms_support::{config_for, fast_options, json, ScriptedServer};

const KEY_ID: &str = "KAAP.66abf237-63f6-4625-b8cf-47e1086e0000";

struct BadReply {
    name: &'static str,
    status: u16,
    body: &'static str,
    request_id: Option<&'static str>,
    problem: &'static str,
}

const BAD_GET_CLIENT_KEY_REPLIES: &[BadReply] = &[
    BadReply {
        name: "not json",
        status: 200,
        body: "<html>gateway</html>",
        request_id: None,
        problem: "not JSON",
    },
    BadReply {
        name: "empty body",
        status: 200,
        body: "",
        request_id: None,
        problem: "empty",
    },
    BadReply {
        name: "truncated",
        status: 200,
        body: r#"{"RequestId":"r-trunc","ClientKeyId":"KAAP.1","AapName":"aap"#,
        request_id: None,
        problem: "truncated",
    },
    BadReply {
        name: "array",
        status: 200,
        body: "[]",
        request_id: None,
        problem: "not an object",
    },
    BadReply {
        name: "missing field",
        status: 200,
        body: r#"{"RequestId":"r-missing","ClientKeyId":"KAAP.1","CreateTime":"2023-08-31T09:14:38Z","NotBefore":"x","NotAfter":"y"}"#,
        request_id: Some("r-missing"),
        problem: "missing field `AapName`",
    },
    BadReply {
        name: "missing request id",
        status: 200,
        body: r#"{"ClientKeyId":"KAAP.1","AapName":"a","CreateTime":"t","NotBefore":"x","NotAfter":"y"}"#,
        request_id: None,
        problem: "missing field `RequestId`",
    },
    BadReply {
        name: "empty identity",
        status: 200,
        body: r#"{"RequestId":"r-empty-id","ClientKeyId":"","AapName":"a","CreateTime":"t","NotBefore":"x","NotAfter":"y"}"#,
        request_id: Some("r-empty-id"),
        problem: "`ClientKeyId` is empty",
    },
    BadReply {
        name: "wrong type",
        status: 200,
        body: r#"{"RequestId":"r-type","ClientKeyId":"KAAP.1","AapName":42,"CreateTime":"t","NotBefore":"x","NotAfter":"y"}"#,
        request_id: Some("r-type"),
        problem: "invalid type",
    },
    BadReply {
        name: "empty Code on 404",
        status: 404,
        body: r#"{"RequestId":"r-empty-code","Code":"","Message":"The resource is not found."}"#,
        request_id: Some("r-empty-code"),
        problem: "empty Code",
    },
    BadReply {
        name: "empty Code on 200",
        status: 200,
        body: r#"{"RequestId":"r-empty-code-200","Code":"","Message":"oops"}"#,
        request_id: Some("r-empty-code-200"),
        problem: "empty Code",
    },
    BadReply {
        name: "no Code on 404",
        status: 404,
        body: r#"{"RequestId":"r-no-code","Message":"Not Found"}"#,
        request_id: Some("r-no-code"),
        problem: "no Code",
    },
    BadReply {
        name: "numeric Code",
        status: 404,
        body: r#"{"RequestId":"r-num-code","Code":404}"#,
        request_id: Some("r-num-code"),
        problem: "not a string",
    },
    BadReply {
        name: "html 404",
        status: 404,
        body: "<html>404 Not Found</html>",
        request_id: None,
        problem: "not JSON",
    },
];

#[tokio::test]
async fn bad_replies_become_typed_errors_naming_action_and_request_id() {
    let replies = BAD_GET_CLIENT_KEY_REPLIES
        .iter()
        .map(|reply| json(reply.status, reply.body))
        .collect();
    let server = ScriptedServer::start(replies).await;
    let client = kms::Client::with_options(config_for(&server.endpoint(), None), fast_options())
        .expect("client");
    for case in BAD_GET_CLIENT_KEY_REPLIES {
        let error = get_client_key(&client, KEY_ID, &CallOptions::new())
            .await
            .expect_err(case.name);
        let KmsError::InvalidResponse {
            action,
            request_id,
            http_status,
            problem,
        } = &error
        else {
            panic!("{}: expected InvalidResponse, got {error:?}", case.name)
        };
        assert_eq!(*action, "GetClientKey", "{}", case.name);
        assert_eq!(request_id.as_deref(), case.request_id, "{}", case.name);
        assert_eq!(*http_status, case.status, "{}", case.name);
        assert!(
            problem.contains(case.problem),
            "{}: problem {problem:?}",
            case.name
        );
        assert!(
            !error.is_not_found(),
            "{} was taken for not found",
            case.name
        );
        assert!(!error.is_retryable(), "{}", case.name);
        let text = error.to_string();
        assert!(text.contains("GetClientKey"), "{}: {text}", case.name);
        assert!(
            text.contains(case.request_id.unwrap_or("request id unknown")),
            "{}: {text}",
            case.name
        );
    }
    assert_eq!(
        server.requests().len(),
        BAD_GET_CLIENT_KEY_REPLIES.len(),
        "a bad reply was retried"
    );
}

#[tokio::test]
async fn malformed_policies_are_an_invalid_response() {
    let server = ScriptedServer::start(vec![
        json(
            200,
            r#"{"RequestId":"r-pol","Name":"aap","Policies":"[\"a\","}"#,
        ),
        json(
            200,
            r#"{"RequestId":"r-pol2","Name":"aap","Policies":"policy_a,policy_b"}"#,
        ),
        json(
            200,
            r#"{"RequestId":"r-pol3","Name":"aap","Policies":[1,2]}"#,
        ),
    ])
    .await;
    let client = kms_support::fast_client(&server);
    for request_id in ["r-pol", "r-pol2", "r-pol3"] {
        let error = describe_application_access_point(&client, "aap", &CallOptions::new())
            .await
            .expect_err("bad Policies");
        assert!(
            matches!(error, KmsError::InvalidResponse { .. }),
            "{error:?}"
        );
        assert_eq!(error.request_id(), Some(request_id));
        assert!(error.to_string().contains("Policies"), "{error}");
    }
}

#[tokio::test]
async fn an_unreadable_success_of_a_create_leaves_the_outcome_unknown() {
    let server = ScriptedServer::start(vec![json(
        200,
        r#"{"RequestId":"r-cut","ClientKeyId":"KAAP.9""#,
    )])
    .await;
    let client = kms_support::fast_client(&server);
    let request = CreateClientKeyRequest {
        aap_name: "aap".to_owned(),
        password: SecretString::new("Password-123"),
        not_before: None,
        not_after: None,
    };
    let error = create_client_key(&client, &request, &CallOptions::new())
        .await
        .expect_err("cut reply");
    assert!(error.is_outcome_unknown(), "{error:?}");
    assert!(!error.is_not_found());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn service_messages_that_echo_secrets_are_scrubbed() {
    let password = "Sup3r-Secret!pw";
    let token = "CAIS+token/with=chars";
    let once = signer::percent_encode(password);
    let twice = signer::percent_encode(&once);
    let token_twice = signer::percent_encode(&signer::percent_encode(token));
    let body = format!(
        r#"{{"RequestId":"r-sig","Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&Password%3D{twice}%26SecurityToken%3D{token_twice} raw {password} once {once} token {token}","Recommend":"https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch"}}"#
    );
    let server = ScriptedServer::start(vec![kms_support::Reply::Body { status: 400, body }]).await;
    let client =
        kms::Client::with_options(config_for(&server.endpoint(), Some(token)), fast_options())
            .expect("client");
    let request = CreateClientKeyRequest {
        aap_name: "aap".to_owned(),
        password: SecretString::new(password),
        not_before: None,
        not_after: None,
    };
    let error = create_client_key(&client, &request, &CallOptions::new())
        .await
        .expect_err("signature");
    let displayed = error.to_string();
    let debugged = format!("{error:?}");
    for secret in [
        password,
        once.as_str(),
        twice.as_str(),
        token,
        token_twice.as_str(),
        "testsecret",
    ] {
        assert!(
            !displayed.contains(secret),
            "Display leaks {secret:?}: {displayed}"
        );
        assert!(
            !debugged.contains(secret),
            "Debug leaks {secret:?}: {debugged}"
        );
    }
    assert!(
        displayed.contains("SignatureDoesNotMatch") && displayed.contains("r-sig"),
        "{displayed}"
    );
    assert!(
        displayed.contains("check the access key id and secret"),
        "{displayed}"
    );
    assert!(!error.is_not_found() && !error.is_retryable() && !error.is_outcome_unknown());
}
