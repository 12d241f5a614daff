//! The client's temporary credentials against a scripted server that plays STS and KMS, with a
//! clock the test moves: what is sent to STS, when credentials are refreshed (and when not), what
//! happens when a refresh fails while the old credentials still work, that the OIDC token file is
//! read again at every refresh, and how STS failures read.

use crate::kms_support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use alicloud_kms_provider::kms::credentials::{AssumeRole, OidcRole, OidcToken};
use alicloud_kms_provider::kms::{
    self, CallOptions, ClientOptions, CredentialPlan, Credentials, CredentialsSource, KmsError,
    ResolvedConfig, Scheme, SecretString, StampSource,
};
use alicloud_kms_provider::resources::client_key::kms::get_client_key;
use chrono::{DateTime, Utc};
use kms_support::{fast_options, json, service_error, Reply, ScriptedServer, GET_CLIENT_KEY_BODY};

/// A clock that only moves when the test says so.
struct ManualClock {
    seconds: AtomicI64,
}

impl ManualClock {
    fn new() -> Arc<ManualClock> {
        Arc::new(ManualClock {
            seconds: AtomicI64::new(1_700_000_000),
        })
    }

    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.seconds.load(Ordering::SeqCst), 0).unwrap()
    }

    fn advance(&self, seconds: i64) {
        self.seconds.fetch_add(seconds, Ordering::SeqCst);
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, `seconds` from now.
    fn in_seconds(&self, seconds: i64) -> String {
        (self.now() + chrono::TimeDelta::seconds(seconds))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    }
}

impl StampSource for ManualClock {
    fn utc_now(&self) -> DateTime<Utc> {
        self.now()
    }
    fn fresh_nonce(&self) -> String {
        format!(
            "{:032x}",
            self.seconds.fetch_add(0, Ordering::SeqCst) as u128 + rand_suffix()
        )
    }
    fn jitter_fraction(&self) -> f64 {
        0.0
    }
}

fn rand_suffix() -> u128 {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    u128::from(COUNTER.fetch_add(1, Ordering::SeqCst)) << 64
}

fn base_key() -> Credentials {
    Credentials {
        access_key_id: "base-id".to_owned(),
        access_key_secret: SecretString::new("base-secret-value"),
        security_token: None,
    }
}

fn role() -> AssumeRole {
    AssumeRole {
        role_arn: "acs:ram::1:role/deployer".to_owned(),
        session_name: "s".to_owned(),
        duration_seconds: 3600,
        policy: None,
        external_id: Some(SecretString::new("external-secret-value")),
        sts_endpoint: None,
    }
}

fn sts_reply(id: &str, expiration: &str) -> Reply {
    json(
        200,
        &format!(
            r#"{{"RequestId":"sts-{id}","AssumedRoleUser":{{"Arn":"acs:ram::1:role/deployer/s","AssumedRoleId":"1:s"}},"Credentials":{{"AccessKeyId":"STS.{id}","AccessKeySecret":"sts-secret-{id}","SecurityToken":"sts-token-{id}","Expiration":"{expiration}"}}}}"#
        ),
    )
}

fn client(server: &ScriptedServer, plan: CredentialPlan, clock: Arc<ManualClock>) -> kms::Client {
    let mut config =
        ResolvedConfig::with_static_credentials(base_key(), &server.endpoint(), Scheme::Http);
    config.credentials = plan;
    config.sts_endpoint = server.endpoint();
    config.sts_scheme = Scheme::Http;
    let options = ClientOptions {
        stamp_source: clock,
        ..fast_options()
    };
    kms::Client::with_options(config, options).expect("client")
}

fn assume_role_plan() -> CredentialPlan {
    CredentialPlan::AssumeRole {
        base: Box::new(CredentialPlan::Static {
            credentials: base_key(),
            source: CredentialsSource::ProviderConfig,
        }),
        role: role(),
        source: CredentialsSource::ProviderConfig,
    }
}

#[tokio::test]
async fn assume_role_goes_to_sts_first_and_kms_is_signed_with_the_session() {
    let clock = ManualClock::new();
    let server = ScriptedServer::start(vec![
        service_error(503, "ServiceUnavailable", "r-1"),
        sts_reply("one", &clock.in_seconds(3600)),
        json(200, GET_CLIENT_KEY_BODY),
        json(200, GET_CLIENT_KEY_BODY),
    ])
    .await;
    let client = client(&server, assume_role_plan(), clock.clone());
    get_client_key(&client, "KAAP.1", &CallOptions::new())
        .await
        .expect("first call");
    get_client_key(&client, "KAAP.1", &CallOptions::new())
        .await
        .expect("second call");
    let requests = server.requests();
    assert_eq!(requests.len(), 4, "a retried STS call, then two KMS calls");
    let sts = &requests[1];
    assert_eq!(sts.method, "POST");
    assert_eq!(sts.parameter("Action").as_deref(), Some("AssumeRole"));
    assert_eq!(sts.parameter("Version").as_deref(), Some("2015-04-01"));
    assert_eq!(sts.parameter("AccessKeyId").as_deref(), Some("base-id"));
    let body = sts.body_parameters();
    assert!(body
        .iter()
        .any(|(key, value)| key == "RoleArn" && value == "acs:ram::1:role/deployer"));
    assert!(body.iter().any(|(key, _)| key == "ExternalId"), "{body:?}");
    assert!(
        !sts.target.contains("external-secret-value"),
        "the external id stays out of the URL"
    );
    for kms in &requests[2..] {
        assert_eq!(kms.parameter("AccessKeyId").as_deref(), Some("STS.one"));
        assert_eq!(
            kms.parameter("SecurityToken").as_deref(),
            Some("sts-token-one")
        );
    }
    assert_eq!(client.credentials().network_fetches(), 1);
}

#[tokio::test]
async fn credentials_are_refreshed_before_they_expire_and_not_before() {
    let clock = ManualClock::new();
    let server = ScriptedServer::start(vec![
        sts_reply("one", &clock.in_seconds(3600)),
        json(200, GET_CLIENT_KEY_BODY),
        json(200, GET_CLIENT_KEY_BODY),
        sts_reply("two", &clock.in_seconds(7200)),
        json(200, GET_CLIENT_KEY_BODY),
    ])
    .await;
    let client = client(&server, assume_role_plan(), clock.clone());
    get_client_key(&client, "KAAP.1", &CallOptions::new())
        .await
        .unwrap();
    // 3,419 seconds in: more than three minutes left, no refresh.
    clock.advance(3419);
    get_client_key(&client, "KAAP.1", &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(client.credentials().network_fetches(), 1);
    // 3,421 seconds in: less than three minutes left, refreshed before use.
    clock.advance(2);
    get_client_key(&client, "KAAP.1", &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(client.credentials().network_fetches(), 2);
    let last = server.requests().last().unwrap().clone();
    assert_eq!(last.parameter("AccessKeyId").as_deref(), Some("STS.two"));
}

#[tokio::test]
async fn a_failed_refresh_keeps_credentials_that_still_work_and_says_why_once_they_do_not() {
    let clock = ManualClock::new();
    let server = ScriptedServer::start(vec![
        sts_reply("one", &clock.in_seconds(3600)),
        json(200, GET_CLIENT_KEY_BODY),
        service_error(403, "NoPermission", "sts-refused-1"),
        json(200, GET_CLIENT_KEY_BODY),
        service_error(403, "NoPermission", "sts-refused-2"),
    ])
    .await;
    let client = client(&server, assume_role_plan(), clock.clone());
    get_client_key(&client, "KAAP.1", &CallOptions::new())
        .await
        .unwrap();
    clock.advance(3500);
    get_client_key(&client, "KAAP.1", &CallOptions::new())
        .await
        .expect("the old credentials still work for 100 seconds");
    assert_eq!(
        server.requests()[3].parameter("AccessKeyId").as_deref(),
        Some("STS.one")
    );
    clock.advance(200);
    let error = get_client_key(&client, "KAAP.1", &CallOptions::new())
        .await
        .expect_err("expired and not refreshable");
    let text = error.to_string();
    assert!(matches!(error, KmsError::Credentials(_)), "{error:?}");
    assert_eq!(error.request_id(), Some("sts-refused-2"));
    for fragment in [
        "sts refused AssumeRole for role acs:ram::1:role/deployer: NoPermission (http 403, request id sts-refused-2)",
        "grant it sts:AssumeRole",
        "a static access key from the provider config",
    ] {
        assert!(text.contains(fragment), "{text} lacks {fragment}");
    }
    for secret in [
        "base-secret-value",
        "external-secret-value",
        "sts-secret-one",
        "sts-token-one",
    ] {
        assert!(!text.contains(secret), "{text}");
    }
    assert_eq!(
        server.requests().len(),
        5,
        "nothing was sent to KMS the last time"
    );
}

#[tokio::test]
async fn a_reply_without_credentials_is_not_retried_and_says_so() {
    let clock = ManualClock::new();
    let server = ScriptedServer::start(vec![json(200, r#"{"RequestId":"sts-x"}"#)]).await;
    let client = client(&server, assume_role_plan(), clock);
    let error = get_client_key(&client, "KAAP.1", &CallOptions::new())
        .await
        .expect_err("no credentials");
    let text = error.to_string();
    assert!(
        text.starts_with(
            "could not obtain credentials for role acs:ram::1:role/deployer from sts at 127.0.0.1:"
        ),
        "{text}"
    );
    assert!(text.contains("missing field `Credentials`"), "{text}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn the_oidc_token_file_is_read_again_at_every_refresh_and_never_quoted() {
    let clock = ManualClock::new();
    let directory = tempfile::tempdir().unwrap();
    let token_file: PathBuf = directory.path().join("token");
    std::fs::write(&token_file, "first-oidc-token-content\n").unwrap();
    let server = ScriptedServer::start(vec![
        sts_reply("one", &clock.in_seconds(1000)),
        json(200, GET_CLIENT_KEY_BODY),
        service_error(401, "AuthenticationFail.OIDCToken.Expired", "sts-oidc-2"),
    ])
    .await;
    let plan = CredentialPlan::Oidc {
        role: OidcRole {
            role_arn: "acs:ram::1:role/pod".to_owned(),
            oidc_provider_arn: "acs:ram::1:oidc-provider/ack".to_owned(),
            token: OidcToken::File(token_file.clone()),
            sts_endpoint: None,
            session_name: "pod".to_owned(),
            duration_seconds: 1000,
            policy: None,
        },
        source: CredentialsSource::ProviderConfig,
    };
    let client = client(&server, plan, clock.clone());
    get_client_key(&client, "KAAP.1", &CallOptions::new())
        .await
        .unwrap();
    std::fs::write(&token_file, "second-oidc-token-content").unwrap();
    clock.advance(1000);
    let error = get_client_key(&client, "KAAP.1", &CallOptions::new())
        .await
        .expect_err("the second token is refused");
    let requests = server.requests();
    let tokens: Vec<String> = [&requests[0], &requests[2]]
        .iter()
        .map(|request| request.parameter("OIDCToken").unwrap())
        .collect();
    assert_eq!(
        tokens,
        ["first-oidc-token-content", "second-oidc-token-content"]
    );
    assert_eq!(
        requests[0].parameter("Signature"),
        None,
        "AssumeRoleWithOIDC is unsigned"
    );
    assert!(
        !requests[0].target.contains("oidc-token-content"),
        "the token travels in the body"
    );
    let text = error.to_string();
    assert!(
        text.contains("AuthenticationFail.OIDCToken.Expired"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "the OIDC token in {} has expired",
            token_file.display()
        )),
        "{text}"
    );
    assert!(!text.contains("oidc-token-content"), "{text}");
}

#[tokio::test]
async fn the_metadata_service_is_asked_for_an_imds_v2_token_first() {
    let clock = ManualClock::new();
    let expiration = clock.in_seconds(21600);
    let server = ScriptedServer::start(vec![
        json(200, "imds-session-token"),
        json(
            200,
            &format!(r#"{{"Code":"Success","AccessKeyId":"STS.ecs","AccessKeySecret":"ecs-secret","SecurityToken":"ecs-token","Expiration":"{expiration}","LastUpdated":"x"}}"#),
        ),
        json(200, GET_CLIENT_KEY_BODY),
    ])
    .await;
    let mut config =
        ResolvedConfig::with_static_credentials(base_key(), &server.endpoint(), Scheme::Http);
    config.credentials = CredentialPlan::EcsRamRole {
        role_name: Some("instance-role".to_owned()),
        allow_imds_v1: false,
        source: CredentialsSource::ProviderConfig,
    };
    let options = ClientOptions {
        stamp_source: clock,
        metadata_endpoint: format!("http://{}", server.endpoint()),
        ..fast_options()
    };
    let client = kms::Client::with_options(config, options).unwrap();
    get_client_key(&client, "KAAP.1", &CallOptions::new())
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests[0].method, "PUT");
    assert_eq!(requests[0].target, "/latest/api/token");
    assert_eq!(
        requests[0].header("x-aliyun-ecs-metadata-token-ttl-seconds"),
        Some("21600")
    );
    assert_eq!(requests[1].method, "GET");
    assert_eq!(
        requests[1].target,
        "/latest/meta-data/ram/security-credentials/instance-role"
    );
    assert_eq!(
        requests[1].header("x-aliyun-ecs-metadata-token"),
        Some("imds-session-token")
    );
    assert_eq!(
        requests[2].parameter("SecurityToken").as_deref(),
        Some("ecs-token")
    );
}
