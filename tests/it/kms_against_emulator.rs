//! The KMS client against the local emulator: two independent implementations of the signing
//! rules and the API shapes must agree on every typed operation, on errors and on faults.

use std::collections::HashMap;
use std::time::Duration;

use alicloud_kms_provider::kms::secret::SecretString;
use alicloud_kms_provider::kms::{
    self, retry::RetryPolicy, CallOptions, Client, ClientOptions, ClientSettings, KmsError,
};
use alicloud_kms_provider::resources::application_access_point::kms::{
    create_application_access_point, delete_application_access_point,
    describe_application_access_point, list_application_access_points,
    update_application_access_point, CreateApplicationAccessPointRequest,
    UpdateApplicationAccessPointRequest,
};
use alicloud_kms_provider::resources::client_key::kms::{
    create_client_key, delete_client_key, get_client_key, list_client_keys, CreateClientKeyRequest,
    ListClientKeysRequest,
};
use kms_emulator::{Config, Emulator, FaultSpec};

const PASSWORD: &str = "YouPassword123!";

fn client_for(emulator: &Emulator, secret: &str) -> Client {
    let settings = ClientSettings {
        region: Some("cn-hangzhou".to_owned()),
        access_key: Some("demo-access-key-id".to_owned()),
        secret_key: Some(SecretString::new(secret)),
        security_token: None,
        endpoint: Some(emulator.addr().to_string()),
        protocol: Some("HTTP".to_owned()),
        ..ClientSettings::default()
    };
    let config = kms::resolve(&settings, &HashMap::<String, String>::new(), None)
        .expect("explicit settings resolve");
    let options = ClientOptions {
        // Fast backoff keeps the fault tests short; the schedule itself is tested elsewhere.
        retry_policy: RetryPolicy {
            max_attempts: 5,
            initial_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(20),
        },
        ..ClientOptions::default()
    };
    Client::with_options(config, options).expect("client builds")
}

fn options() -> CallOptions {
    CallOptions::new().with_timeout(Duration::from_secs(30))
}

async fn create_access_point(client: &Client, name: &str, policies: &[&str]) {
    let request = CreateApplicationAccessPointRequest {
        name: name.to_owned(),
        policies: policies.iter().map(|p| (*p).to_owned()).collect(),
        authentication_method: "ClientKey".to_owned(),
        description: Some("made by a test".to_owned()),
    };
    let created = create_application_access_point(client, &request, &options())
        .await
        .expect("create access point");
    assert_eq!(created.name, name);
}

#[tokio::test]
async fn every_typed_operation_round_trips_through_the_emulator() {
    let emulator = Emulator::start(Config::default())
        .await
        .expect("emulator starts");
    let client = client_for(&emulator, "demo-access-key-secret");

    // Policy names with characters that break naive string splitting must round-trip exactly.
    let policies = ["policy,with,commas", "quote\"d", "ünïcode"];
    create_access_point(&client, "aap_roundtrip", &policies).await;
    let described = describe_application_access_point(&client, "aap_roundtrip", &options())
        .await
        .expect("describe");
    assert_eq!(described.policies, policies);
    assert_eq!(described.description.as_deref(), Some("made by a test"));
    assert_eq!(
        described.authentication_method.as_deref(),
        Some("ClientKey")
    );
    assert!(described
        .arn
        .as_deref()
        .unwrap_or_default()
        .ends_with(":applicationaccesspoint/aap_roundtrip"));

    let update = UpdateApplicationAccessPointRequest {
        name: "aap_roundtrip".to_owned(),
        description: Some("changed".to_owned()),
        policies: Some(vec!["only_one".to_owned()]),
    };
    update_application_access_point(&client, &update, &options())
        .await
        .expect("update");
    let described = describe_application_access_point(&client, "aap_roundtrip", &options())
        .await
        .expect("describe after update");
    assert_eq!(described.policies, ["only_one"]);
    assert_eq!(described.description.as_deref(), Some("changed"));

    let listed = list_application_access_points(&client, &Default::default(), &options())
        .await
        .expect("list access points");
    assert_eq!(listed.total_count, 1);
    assert_eq!(listed.application_access_points[0].name, "aap_roundtrip");

    let created = create_client_key(
        &client,
        &CreateClientKeyRequest {
            aap_name: "aap_roundtrip".to_owned(),
            password: SecretString::new(PASSWORD),
            not_before: Some("2023-09-01T14:11:22Z".to_owned()),
            not_after: Some("2028-09-01T14:11:22Z".to_owned()),
        },
        &options(),
    )
    .await
    .expect("create client key");
    assert!(
        created.client_key_id.starts_with("KAAP."),
        "{}",
        created.client_key_id
    );
    assert!(!created.private_key_data.expose_secret().is_empty());
    assert_eq!(created.not_before, "2023-09-01T14:11:22Z");

    let fetched = get_client_key(&client, &created.client_key_id, &options())
        .await
        .expect("get client key");
    assert_eq!(fetched.client_key.aap_name, "aap_roundtrip");
    assert_eq!(fetched.client_key.not_after, "2028-09-01T14:11:22Z");
    assert!(!fetched.client_key.create_time.is_empty());

    let keys = list_client_keys(
        &client,
        &ListClientKeysRequest {
            aap_name: Some("aap_roundtrip".to_owned()),
        },
        &options(),
    )
    .await
    .expect("list client keys");
    assert_eq!(keys.client_keys.len(), 1);
    assert_eq!(keys.client_keys[0].client_key_id, created.client_key_id);

    delete_client_key(&client, &created.client_key_id, &options())
        .await
        .expect("delete key");
    let gone = get_client_key(&client, &created.client_key_id, &options())
        .await
        .expect_err("deleted key is gone");
    assert!(gone.is_not_found(), "{gone}");
    assert!(
        gone.request_id().is_some(),
        "a service error names its RequestId: {gone}"
    );

    delete_application_access_point(&client, "aap_roundtrip", &options())
        .await
        .expect("delete access point");
    assert!(emulator.access_points().is_empty());
    assert!(emulator.client_keys().is_empty());
}

#[tokio::test]
async fn a_wrong_secret_is_refused_and_the_password_never_reaches_the_error() {
    let emulator = Emulator::start(Config::default())
        .await
        .expect("emulator starts");
    let good = client_for(&emulator, "demo-access-key-secret");
    create_access_point(&good, "aap_secret", &["p"]).await;

    let bad = client_for(&emulator, "not-the-secret");
    let error = create_client_key(
        &bad,
        &CreateClientKeyRequest {
            aap_name: "aap_secret".to_owned(),
            password: SecretString::new(PASSWORD),
            not_before: None,
            not_after: None,
        },
        &options(),
    )
    .await
    .expect_err("wrong secret is refused");
    match &error {
        KmsError::Service {
            code, http_status, ..
        } => {
            assert_eq!(code, "SignatureDoesNotMatch");
            assert_eq!(*http_status, 400);
        }
        other => panic!("expected a service error, got {other:?}"),
    }
    let shown = format!("{error} {error:?}");
    assert!(
        !shown.contains("YouPassword123"),
        "password leaked: {shown}"
    );
    assert!(
        !shown.contains("YouPassword123%21"),
        "encoded password leaked: {shown}"
    );
    assert!(!error.is_not_found());
    assert!(emulator.client_keys().is_empty());
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried_to_success() {
    let emulator = Emulator::start(Config::default())
        .await
        .expect("emulator starts");
    let client = client_for(&emulator, "demo-access-key-secret");
    create_access_point(&client, "aap_faults", &["p"]).await;

    emulator
        .set_fault(
            "CreateClientKey",
            FaultSpec {
                throttle_ratio: 1.0,
                times: Some(2),
                ..Default::default()
            },
        )
        .expect("fault accepted");
    let created = create_client_key(
        &client,
        &CreateClientKeyRequest {
            aap_name: "aap_faults".to_owned(),
            password: SecretString::new(PASSWORD),
            not_before: None,
            not_after: None,
        },
        &options(),
    )
    .await
    .expect("throttled create succeeds on a later attempt");
    assert_eq!(emulator.client_keys().len(), 1);

    emulator
        .set_fault(
            "GetClientKey",
            FaultSpec {
                server_error_ratio: 1.0,
                server_error_status: Some(503),
                times: Some(2),
                ..Default::default()
            },
        )
        .expect("fault accepted");
    let fetched = get_client_key(&client, &created.client_key_id, &options())
        .await
        .expect("5xx on a read is retried");
    assert_eq!(fetched.client_key.client_key_id, created.client_key_id);
}

#[tokio::test]
async fn a_create_whose_reply_is_lost_is_reported_as_outcome_unknown_not_retried() {
    let emulator = Emulator::start(Config::default())
        .await
        .expect("emulator starts");
    let client = client_for(&emulator, "demo-access-key-secret");
    create_access_point(&client, "aap_drop", &["p"]).await;

    emulator
        .set_fault(
            "CreateClientKey",
            FaultSpec {
                drop_after_commit_ratio: 1.0,
                times: Some(1),
                ..Default::default()
            },
        )
        .expect("fault accepted");
    let error = create_client_key(
        &client,
        &CreateClientKeyRequest {
            aap_name: "aap_drop".to_owned(),
            password: SecretString::new(PASSWORD),
            not_before: None,
            not_after: None,
        },
        &options(),
    )
    .await
    .expect_err("a lost reply is not a success");
    assert!(error.is_outcome_unknown(), "{error:?}");
    // Exactly one key exists: the create took effect once and was not blindly repeated.
    assert_eq!(emulator.client_keys().len(), 1);
}
