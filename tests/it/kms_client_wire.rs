//! What the client puts on the wire, and how it decodes the typed replies.
//!
//! With the clock and nonce pinned to those of the signing vectors C, D and F (docs/kms-api.md §7), the client's own
//! requests must carry exactly the vectors' signatures: this proves the whole path (common
//! parameters, request struct field names, the `Policies` encoding, STS token, placement in
//! query or body, URL and form encoding) and not only the signer.

use crate::kms_support;

use std::sync::{Arc, Mutex};

use alicloud_kms_provider::kms::{
    self, signer, CallOptions, ClientOptions, Credentials, ResolvedConfig, Scheme, SecretString,
    StampSource,
};
use alicloud_kms_provider::resources::application_access_point::kms::{
    create_application_access_point, delete_application_access_point,
    describe_application_access_point, list_application_access_points,
    update_application_access_point, CreateApplicationAccessPointRequest,
    ListApplicationAccessPointsRequest, UpdateApplicationAccessPointRequest,
    CLIENT_KEY_AUTHENTICATION,
};
use alicloud_kms_provider::resources::client_key::kms::{
    create_client_key, delete_client_key, get_client_key, list_client_keys, CreateClientKeyRequest,
    ListClientKeysRequest,
};
use chrono::{DateTime, TimeZone, Utc};
use kms_support::{
    config_for, json, RecordedRequest, ScriptedServer, CREATE_CLIENT_KEY_BODY, GET_CLIENT_KEY_BODY,
};

/// A clock stuck at 2024-01-02T03:04:05Z and a scripted list of nonces.
struct PinnedStamps {
    nonces: Mutex<Vec<&'static str>>,
}

impl PinnedStamps {
    fn new(nonces: &[&'static str]) -> Arc<Self> {
        let mut nonces = nonces.to_vec();
        nonces.reverse();
        Arc::new(Self {
            nonces: Mutex::new(nonces),
        })
    }
}

impl StampSource for PinnedStamps {
    fn utc_now(&self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5)
            .single()
            .expect("valid time")
    }

    fn fresh_nonce(&self) -> String {
        self.nonces
            .lock()
            .expect("lock")
            .pop()
            .expect("a scripted nonce")
            .to_owned()
    }

    fn jitter_fraction(&self) -> f64 {
        0.5
    }
}

fn pinned_client(config: ResolvedConfig, nonces: &[&'static str]) -> kms::Client {
    let options = ClientOptions {
        stamp_source: PinnedStamps::new(nonces),
        ..ClientOptions::default()
    };
    kms::Client::with_options(config, options).expect("client")
}

fn names(parameters: &[(String, String)]) -> Vec<&str> {
    let mut names: Vec<&str> = parameters.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    names
}

const COMMON: [&str; 9] = [
    "AccessKeyId",
    "Action",
    "Format",
    "Signature",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureVersion",
    "Timestamp",
    "Version",
];

/// The server-side check every gateway makes: the signature over query and body, minus
/// `Signature`, with the request's method.
fn assert_signature_verifies(request: &RecordedRequest, secret: &str) {
    let mut parameters = request.query_parameters();
    parameters.extend(request.body_parameters());
    let sent = request.parameter("Signature").expect("signature");
    assert_eq!(
        signer::sign(&request.method, &parameters, secret).signature,
        sent
    );
}

#[tokio::test]
async fn create_client_key_is_vector_c_on_the_wire() {
    let server = ScriptedServer::start(vec![json(200, CREATE_CLIENT_KEY_BODY)]).await;
    let client = pinned_client(
        config_for(&server.endpoint(), None),
        &["d5d9f2a4-0b1c-4e8e-9f3a-1234567890ab"],
    );
    let request = CreateClientKeyRequest {
        aap_name: "aap_test".to_owned(),
        password: SecretString::new("Ab1!@#$%^&*?_-~ +/="),
        not_before: Some("2023-09-01T14:11:22Z".to_owned()),
        not_after: Some("2028-09-01T14:11:22Z".to_owned()),
    };
    let reply = create_client_key(&client, &request, &CallOptions::new())
        .await
        .expect("create");
    assert_eq!(
        reply.private_key_data.expose_secret(),
        "MIIJwwIBAzCCCY8GCSqGSIb3DQEHAaCCCYAEggl8"
    );
    assert_eq!(reply.not_after, "2028-09-01T14:11:22Z");
    assert!(
        !format!("{reply:?}").contains("MIIJwwIBAz"),
        "Debug shows the private key"
    );

    let sent = &server.requests()[0];
    assert_eq!(sent.method, "POST");
    assert!(sent.target.starts_with("/?"), "{}", sent.target);
    assert_eq!(
        sent.parameter("Signature").as_deref(),
        Some("3QmYYYGdyGSjbwZKdF+Jkk75I/g=")
    );
    assert_eq!(
        names(&sent.query_parameters()),
        COMMON,
        "only common parameters in the query"
    );
    assert_eq!(
        names(&sent.body_parameters()),
        ["AapName", "NotAfter", "NotBefore", "Password"]
    );
    assert!(
        !sent.target.contains("Password"),
        "the password must not be in the URL"
    );
    assert_eq!(
        sent.parameter("Password").as_deref(),
        Some("Ab1!@#$%^&*?_-~ +/=")
    );
    assert_eq!(
        sent.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(sent.header("x-acs-action"), Some("CreateClientKey"));
    assert_eq!(sent.header("x-acs-version"), Some("2016-01-20"));
    assert_signature_verifies(sent, "testsecret");
}

#[tokio::test]
async fn create_application_access_point_is_vector_d_on_the_wire() {
    let server = ScriptedServer::start(vec![json(
        200,
        r#"{"RequestId":"r-d","Name":"aap_test","Arn":"acs:kms:cn-hangzhou:1192853035110000:applicationaccesspoint/aap_test","AuthenticationMethod":"ClientKey","Description":"测试 aap*~","Policies":"[\"policy_a\",\"policy_b\"]"}"#,
    )])
    .await;
    let config = ResolvedConfig {
        region: Some("cn-hangzhou".to_owned()),
        ..ResolvedConfig::with_static_credentials(
            Credentials {
                access_key_id: "STS.testid".to_owned(),
                access_key_secret: SecretString::new("test/secret+key="),
                security_token: Some(SecretString::new("CAIS+token/with=chars")),
            },
            &server.endpoint(),
            Scheme::Http,
        )
    };
    let client = pinned_client(config, &["0123456789abcdef0123456789abcdef"]);
    let request = CreateApplicationAccessPointRequest {
        name: "aap_test".to_owned(),
        policies: vec!["policy_a".to_owned(), "policy_b".to_owned()],
        authentication_method: CLIENT_KEY_AUTHENTICATION.to_owned(),
        description: Some("测试 aap*~".to_owned()),
    };
    let reply = create_application_access_point(&client, &request, &CallOptions::new())
        .await
        .expect("create");
    assert_eq!(reply.name, "aap_test");
    assert_eq!(reply.policies, ["policy_a", "policy_b"]);

    let sent = &server.requests()[0];
    assert_eq!(
        sent.parameter("Signature").as_deref(),
        Some("f1nhiJYSlUFag/acYXUCdGhAccE=")
    );
    assert_eq!(
        sent.parameter("SecurityToken").as_deref(),
        Some("CAIS+token/with=chars")
    );
    assert_eq!(
        sent.parameter("Policies").as_deref(),
        Some(r#"["policy_a","policy_b"]"#)
    );
    assert_eq!(
        names(&sent.body_parameters()),
        ["AuthenticationMethod", "Description", "Name", "Policies"]
    );
    assert_signature_verifies(sent, "test/secret+key=");
}

#[tokio::test]
async fn get_client_key_is_vector_f_on_the_wire() {
    let server = ScriptedServer::start(vec![json(200, GET_CLIENT_KEY_BODY)]).await;
    let client = pinned_client(
        config_for(&server.endpoint(), None),
        &["5f2b2f3e7a6c4d0e9b1a2c3d4e5f6a7b"],
    );
    let reply = get_client_key(
        &client,
        "KAAP.66abf237-63f6-4625-b8cf-47e1086e0000",
        &CallOptions::new(),
    )
    .await
    .expect("get");
    assert_eq!(reply.request_id, "63d849a6-045b-4a57-ad9f-c5f756cea9e9");
    assert_eq!(reply.client_key.create_time, "2023-08-31T09:14:38Z");
    assert_eq!(reply.client_key.key_origin.as_deref(), Some("KMS_PROVIDED"));
    assert!(reply
        .client_key
        .public_key_data
        .as_deref()
        .is_some_and(|pem| pem.contains("\nMIID\n")));

    let sent = &server.requests()[0];
    assert_eq!(sent.method, "GET");
    assert!(sent.body.is_empty());
    assert_eq!(
        sent.parameter("Signature").as_deref(),
        Some("Eip8yobK4Aa4FpVkWFXX0WwqoWY=")
    );
    assert!(names(&sent.query_parameters()).contains(&"ClientKeyId"));
    assert_signature_verifies(sent, "testsecret");
}

#[tokio::test]
async fn describe_and_list_access_points_decode_the_api_encodings() {
    let server = ScriptedServer::start(vec![
        // Policy names with a comma, a space and an escaped quote: only a real JSON parse copes.
        json(200, r#"{"RequestId":"r-1","Name":"aap_test","AuthenticationMethod":"ClientKey","Policies":"[\"a, b\", \"c\\\"d\"]"}"#),
        json(200, r#"{"RequestId":"r-2","PageNumber":1,"PageSize":"10","TotalCount":2,"ApplicationAccessPoints":{"ApplicationAccessPoint":[{"Name":"aap_a","AuthenticationMethod":"ClientKey"},{"Name":"aap_b"}]}}"#),
        json(200, r#"{"RequestId":"r-3","PageNumber":1,"PageSize":20,"TotalCount":0}"#),
    ])
    .await;
    let client = kms_support::fast_client(&server);
    let options = CallOptions::new();

    let described = describe_application_access_point(&client, "aap_test", &options)
        .await
        .expect("describe");
    assert_eq!(described.policies, ["a, b", "c\"d"]);
    assert_eq!(described.description, None);

    let page = list_application_access_points(
        &client,
        &ListApplicationAccessPointsRequest {
            page_number: Some(1),
            page_size: Some(10),
        },
        &options,
    )
    .await
    .expect("list");
    assert_eq!(
        (page.page_number, page.page_size, page.total_count),
        (1, 10, 2)
    );
    let listed: Vec<_> = page
        .application_access_points
        .iter()
        .map(|entry| entry.name.as_str())
        .collect();
    assert_eq!(listed, ["aap_a", "aap_b"]);

    let empty = list_application_access_points(
        &client,
        &ListApplicationAccessPointsRequest::default(),
        &options,
    )
    .await
    .expect("empty list");
    assert!(empty.application_access_points.is_empty());

    let requests = server.requests();
    assert!(requests
        .iter()
        .all(|request| request.method == "POST" && request.body.is_empty()));
    assert_eq!(requests[0].parameter("Name").as_deref(), Some("aap_test"));
    assert_eq!(requests[1].parameter("PageSize").as_deref(), Some("10"));
    assert_eq!(requests[2].parameter("PageSize"), None);
}

#[tokio::test]
async fn list_client_keys_update_and_delete() {
    let server = ScriptedServer::start(vec![
        json(200, r#"{"RequestId":"r-1","ClientKeys":[{"ClientKeyId":"KAAP.1","AapName":"aap_test","CreateTime":"2023-08-31T09:14:38Z","NotBefore":"2023-08-31T17:14:33Z","NotAfter":"2028-08-31T17:14:33Z"}]}"#),
        json(200, r#"{"RequestId":"r-2"}"#),
        json(200, r#"{"RequestId":"r-3"}"#),
        json(200, r#"{"RequestId":"r-4"}"#),
    ])
    .await;
    let client = kms_support::fast_client(&server);
    let options = CallOptions::new();

    let keys = list_client_keys(
        &client,
        &ListClientKeysRequest {
            aap_name: Some("aap_test".to_owned()),
        },
        &options,
    )
    .await
    .expect("list keys");
    assert_eq!(keys.client_keys.len(), 1);
    assert_eq!(keys.client_keys[0].client_key_id, "KAAP.1");

    let update = UpdateApplicationAccessPointRequest {
        name: "aap_test".to_owned(),
        description: None,
        policies: Some(vec!["p1".to_owned()]),
    };
    assert_eq!(
        update_application_access_point(&client, &update, &options)
            .await
            .expect("update")
            .request_id,
        "r-2"
    );
    assert_eq!(
        delete_client_key(&client, "KAAP.1", &options)
            .await
            .expect("delete key")
            .request_id,
        "r-3"
    );
    assert_eq!(
        delete_application_access_point(&client, "aap_test", &options)
            .await
            .expect("delete aap")
            .request_id,
        "r-4"
    );

    let requests = server.requests();
    let actions: Vec<_> = requests
        .iter()
        .map(|request| request.parameter("Action").expect("action"))
        .collect();
    assert_eq!(
        actions,
        [
            "ListClientKeys",
            "UpdateApplicationAccessPoint",
            "DeleteClientKey",
            "DeleteApplicationAccessPoint"
        ]
    );
    assert_eq!(requests[0].method, "GET");
    assert_eq!(
        requests[0].parameter("AapName").as_deref(),
        Some("aap_test")
    );
    assert_eq!(
        names(&requests[1].body_parameters()),
        ["Name", "Policies"],
        "no Description when unchanged"
    );
    assert_eq!(
        requests[1].parameter("Policies").as_deref(),
        Some(r#"["p1"]"#)
    );
    assert_eq!(names(&requests[2].body_parameters()), ["ClientKeyId"]);
    assert_eq!(names(&requests[3].body_parameters()), ["Name"]);
}
