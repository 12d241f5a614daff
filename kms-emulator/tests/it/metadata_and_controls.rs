//! The instance metadata stand-in (IMDSv2 token, role name, role credentials), the
//! credentials-URI stand-in, and the control endpoint's STS and metadata routes.

use crate::common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{send_raw, Client, Reply};
use kms_emulator::{Config, Emulator, LoginConfig, MetadataConfig, MetadataEndpoint};
use serde_json::Value;

fn http(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    send_raw(addr, request.as_bytes())
}

fn text(reply: &Reply) -> &str {
    match reply {
        Reply::Answered { text, .. } => text,
        Reply::Dropped => panic!("no answer"),
    }
}

fn emulator_with_instance_role(require_token: bool) -> Emulator {
    Emulator::start_blocking(Config {
        metadata: MetadataConfig {
            role_name: Some("EcsInstanceRole".to_owned()),
            require_token,
        },
        ..Config::default()
    })
    .expect("start the emulator")
}

const TOKEN_PATH: &str = "/latest/api/token";
const ROLE_PATH: &str = "/latest/meta-data/ram/security-credentials/";

fn metadata_token(addr: SocketAddr, ttl: &str) -> Reply {
    http(
        addr,
        "PUT",
        TOKEN_PATH,
        &[("X-aliyun-ecs-metadata-token-ttl-seconds", ttl)],
        "",
    )
}

fn client_from(addr: SocketAddr, body: &Value) -> Client {
    Client::from_credentials(addr, body)
}

#[test]
fn imdsv2_token_then_role_name_then_credentials_that_kms_accepts() {
    let emulator = emulator_with_instance_role(true);
    let addr = emulator.addr();
    let token_reply = metadata_token(addr, "21600");
    assert_eq!(token_reply.status(), 200);
    let token = text(&token_reply).to_owned();
    assert!(token.len() >= 32, "{token}");
    let with_token = [("X-aliyun-ecs-metadata-token", token.as_str())];

    let role = http(addr, "GET", ROLE_PATH, &with_token, "");
    assert_eq!((role.status(), text(&role)), (200, "EcsInstanceRole"));
    let credentials = http(
        addr,
        "GET",
        &format!("{ROLE_PATH}EcsInstanceRole"),
        &with_token,
        "",
    );
    assert_eq!(credentials.status(), 200);
    let body = credentials.body().clone();
    assert_eq!(body["Code"], "Success");
    assert!(body["AccessKeyId"].as_str().unwrap().starts_with("STS."));
    let expiration =
        kms_emulator::validation::parse_api_time(body["Expiration"].as_str().unwrap()).unwrap();
    assert!(
        (expiration - chrono::Utc::now()).num_hours() >= 5,
        "about six hours"
    );
    assert!(
        kms_emulator::validation::parse_api_time(body["LastUpdated"].as_str().unwrap()).is_some()
    );

    let instance = client_from(addr, &body);
    instance.call("ListPolicies", &[]).assert_ok();
    let identity = instance
        .call("GetCallerIdentity", &[("Version", "2015-04-01")])
        .assert_ok()
        .clone();
    assert_eq!(
        identity["Arn"],
        "acs:ram::1234567890123456:assumed-role/EcsInstanceRole/ecs-instance"
    );

    // The same credentials come back until half their life has passed.
    let again = http(
        addr,
        "GET",
        &format!("{ROLE_PATH}EcsInstanceRole"),
        &with_token,
        "",
    );
    assert_eq!(again.body()["AccessKeyId"], body["AccessKeyId"]);
    assert_eq!(emulator.metadata_call_count(MetadataEndpoint::Token), 1);
    assert_eq!(emulator.metadata_call_count(MetadataEndpoint::RoleName), 1);
    assert_eq!(
        emulator.metadata_call_count(MetadataEndpoint::RoleCredentials),
        2
    );
}

#[test]
fn imds_refusals_when_tokens_are_required_missing_wrong_or_the_role_is_unknown() {
    let emulator = emulator_with_instance_role(true);
    let addr = emulator.addr();
    assert_eq!(http(addr, "GET", ROLE_PATH, &[], "").status(), 401);
    assert_eq!(
        http(
            addr,
            "GET",
            ROLE_PATH,
            &[("X-aliyun-ecs-metadata-token", "forged")],
            ""
        )
        .status(),
        401
    );
    for ttl in ["0", "21601", "soon"] {
        assert_eq!(metadata_token(addr, ttl).status(), 400, "ttl {ttl}");
    }
    assert_eq!(http(addr, "PUT", TOKEN_PATH, &[], "").status(), 400);
    // A token expires after its TTL.
    let short = text(&metadata_token(addr, "1")).to_owned();
    emulator.clock().advance(Duration::from_millis(1100));
    assert_eq!(
        http(
            addr,
            "GET",
            ROLE_PATH,
            &[("X-aliyun-ecs-metadata-token", &short)],
            ""
        )
        .status(),
        401
    );
    let token = text(&metadata_token(addr, "60")).to_owned();
    let with_token = [("X-aliyun-ecs-metadata-token", token.as_str())];
    assert_eq!(
        http(
            addr,
            "GET",
            &format!("{ROLE_PATH}OtherRole"),
            &with_token,
            ""
        )
        .status(),
        404
    );

    // IMDSv1 allowed: no token needed, but a wrong one is still refused.
    emulator.set_metadata_config(MetadataConfig {
        role_name: Some("EcsInstanceRole".to_owned()),
        require_token: false,
    });
    assert_eq!(http(addr, "GET", ROLE_PATH, &[], "").status(), 200);
    assert_eq!(
        http(
            addr,
            "GET",
            ROLE_PATH,
            &[("X-aliyun-ecs-metadata-token", "forged")],
            ""
        )
        .status(),
        401
    );
    // No role attached.
    emulator.set_metadata_config(MetadataConfig::default());
    assert_eq!(http(addr, "GET", ROLE_PATH, &[], "").status(), 404);
}

#[test]
fn instance_credentials_rotate_and_expire_with_the_lifetime_control() {
    let emulator = emulator_with_instance_role(false);
    let addr = emulator.addr();
    emulator.set_credential_lifetime(Some(4)).unwrap();
    let path = format!("{ROLE_PATH}EcsInstanceRole");
    let first = http(addr, "GET", &path, &[], "").body().clone();
    let instance = client_from(addr, &first);
    instance.call("ListPolicies", &[]).assert_ok();
    emulator.clock().advance(Duration::from_millis(2100));
    let second = http(addr, "GET", &path, &[], "").body().clone();
    assert_ne!(
        second["AccessKeyId"], first["AccessKeyId"],
        "rotated after half its life"
    );
    emulator.clock().advance(Duration::from_millis(2000));
    instance
        .call("ListPolicies", &[])
        .assert_error(400, "InvalidSecurityToken.Expired");
}

#[test]
fn the_credentials_uri_stand_in_answers_like_a_credentials_uri() {
    let emulator = Emulator::start_blocking(Config::default()).unwrap();
    let reply = http(emulator.addr(), "GET", "/credentials-uri", &[], "");
    assert_eq!(reply.status(), 200);
    let body = reply.body().clone();
    assert_eq!(body["Code"], "Success");
    client_from(emulator.addr(), &body)
        .call("ListPolicies", &[])
        .assert_ok();
    assert_eq!(
        emulator.metadata_call_count(MetadataEndpoint::CredentialsUri),
        1
    );
}

#[test]
fn the_control_endpoint_configures_sts_and_metadata_and_shows_issued_credentials() {
    let emulator = Emulator::start_blocking(Config::default()).unwrap();
    let addr = emulator.addr();
    let role = "acs:ram::1234567890123456:role/from-control";
    let reply = http(
        addr,
        "PUT",
        &format!("/__emulator/sts/roles/{role}"),
        &[],
        r#"{"trusted":["demo-access-key-id"],"max_session_duration_seconds":7200}"#,
    );
    assert_eq!(reply.status(), 200, "{reply:?}");
    assert_eq!(reply.body()["roles"][0]["arn"], role);
    assert_eq!(
        http(addr, "PUT", "/__emulator/sts/roles/not-an-arn", &[], "{}").status(),
        400
    );
    assert_eq!(
        http(
            addr,
            "PUT",
            &format!("/__emulator/sts/roles/{role}"),
            &[],
            "{\"bogus\":1}"
        )
        .status(),
        400
    );

    let provider = "acs:ram::1234567890123456:oidc-provider/github";
    let reply = http(
        addr,
        "PUT",
        &format!("/__emulator/sts/oidc-providers/{provider}"),
        &[],
        r#"{"issuer":"https://token.actions.githubusercontent.com","tokens":["t1","t2"]}"#,
    );
    assert_eq!(reply.status(), 200, "{reply:?}");
    let shown = http(addr, "GET", "/__emulator/sts", &[], "");
    assert_eq!(shown.body()["oidc_providers"][0]["accepted_token_count"], 2);
    assert!(!text(&shown).contains("\"t1\""), "tokens are never shown");

    let minted = http(
        addr,
        "POST",
        "/__emulator/sts/oidc-tokens",
        &[],
        r#"{"issuer":"https://token.actions.githubusercontent.com","lifetime_seconds":60}"#,
    );
    let token = minted.body()["token"].as_str().unwrap().to_owned();
    assert_eq!(
        kms_emulator::sts::oidc::parse_claims(&token)
            .unwrap()
            .issuer,
        "https://token.actions.githubusercontent.com"
    );

    let reply = http(
        addr,
        "PUT",
        "/__emulator/sts/credential-lifetime",
        &[],
        r#"{"seconds":5}"#,
    );
    assert_eq!(reply.body()["credential_lifetime_seconds"], 5);
    assert_eq!(
        http(
            addr,
            "PUT",
            "/__emulator/sts/credential-lifetime",
            &[],
            r#"{"seconds":0}"#
        )
        .status(),
        400
    );

    let client = Client::demo(addr);
    let answer = client
        .get(
            "AssumeRole",
            &[
                ("Version", "2015-04-01"),
                ("RoleArn", role),
                ("RoleSessionName", "ctl"),
            ],
        )
        .assert_ok()
        .clone();
    let listed = http(addr, "GET", "/__emulator/sts/credentials", &[], "");
    let listed_text = text(&listed).to_owned();
    assert_eq!(
        listed.body()["credentials"][0]["access_key_id"],
        answer["Credentials"]["AccessKeyId"]
    );
    assert_eq!(listed.body()["credentials"][0]["issued_by"], "assume_role");
    assert!(!listed_text.contains(answer["Credentials"]["AccessKeySecret"].as_str().unwrap()));
    assert!(!listed_text.contains(answer["Credentials"]["SecurityToken"].as_str().unwrap()));

    let expired = http(addr, "POST", "/__emulator/sts/credentials/expire", &[], "");
    assert_eq!(expired.body()["expired"], 1);
    let calls = http(addr, "GET", "/__emulator/calls", &[], "");
    assert_eq!(calls.body()["calls"]["AssumeRole"], 1);
    assert_eq!(calls.body()["calls"]["MetadataToken"], 0);

    let reply = http(
        addr,
        "PUT",
        "/__emulator/metadata",
        &[],
        r#"{"role_name":"Ecs","require_token":true}"#,
    );
    assert_eq!(reply.body()["role_name"], "Ecs");
    assert!(emulator.metadata_config().require_token);
    assert_eq!(
        http(
            addr,
            "DELETE",
            &format!("/__emulator/sts/roles/{role}"),
            &[],
            ""
        )
        .status(),
        200
    );
    assert_eq!(
        http(
            addr,
            "DELETE",
            &format!("/__emulator/sts/roles/{role}"),
            &[],
            ""
        )
        .status(),
        404
    );
    assert!(emulator.sts_config().roles.is_empty());
    assert_eq!(
        http(
            addr,
            "DELETE",
            &format!("/__emulator/sts/oidc-providers/{provider}"),
            &[],
            ""
        )
        .status(),
        200
    );

    // Faults for STS actions through the same route as for KMS actions.
    let reply = http(
        addr,
        "PUT",
        "/__emulator/faults/AssumeRoleWithOIDC",
        &[],
        r#"{"throttle_ratio":1.0}"#,
    );
    assert_eq!(reply.status(), 200, "{reply:?}");
}

#[test]
fn the_cloud_sso_portal_checks_the_token_the_account_and_the_access_configuration() {
    let emulator = Emulator::start_blocking(Config {
        logins: LoginConfig {
            cloud_sso_access_tokens: vec!["sso-token".to_owned()],
            cloud_sso_access_configurations: vec!["ac-admin".to_owned()],
            ..LoginConfig::default()
        },
        ..Config::default()
    })
    .expect("start the emulator");
    let addr = emulator.addr();
    let body = r#"{"AccountId":"1234567890123456","AccessConfigurationId":"ac-admin"}"#;
    let granted = http(
        addr,
        "POST",
        "/cloud-credentials",
        &[("Authorization", "Bearer sso-token")],
        body,
    );
    assert_eq!(granted.status(), 200);
    let credential = &granted.body()["CloudCredential"];
    client_from(addr, credential)
        .call("ListPolicies", &[])
        .assert_ok();
    for (headers, body, status) in [
        (vec![("Authorization", "Bearer another-token")], body, 401),
        (vec![], body, 401),
        (
            vec![("Authorization", "Bearer sso-token")],
            r#"{"AccountId":"1234567890123456","AccessConfigurationId":"ac-other"}"#,
            403,
        ),
        (
            vec![("Authorization", "Bearer sso-token")],
            r#"{"AccountId":"999","AccessConfigurationId":"ac-admin"}"#,
            403,
        ),
    ] {
        let refused = http(addr, "POST", "/cloud-credentials", &headers, body);
        assert_eq!(refused.status(), status, "{refused:?}");
        assert!(refused.body()["RequestId"].is_string());
        assert!(!text(&refused).contains("sso-token"));
    }
    assert_eq!(
        emulator.metadata_call_count(MetadataEndpoint::CloudSsoCredentials),
        5
    );
}

#[test]
fn the_oauth_service_rotates_refresh_tokens_and_exchanges_access_tokens() {
    let emulator = Emulator::start_blocking(Config {
        logins: LoginConfig {
            oauth_refresh_tokens: vec!["refresh-1".to_owned()],
            ..LoginConfig::default()
        },
        ..Config::default()
    })
    .expect("start the emulator");
    let addr = emulator.addr();
    let form = |refresh: &str| {
        let request = format!(
            "POST /v1/token HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\ngrant_type=refresh_token&refresh_token={refresh}&client_id=4038181954557748008",
            "grant_type=refresh_token&refresh_token=&client_id=4038181954557748008".len() + refresh.len()
        );
        send_raw(addr, request.as_bytes())
    };
    let refreshed = form("refresh-1");
    assert_eq!(refreshed.status(), 200, "{refreshed:?}");
    let access = refreshed.body()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let rotated = refreshed.body()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(rotated, "refresh-1");
    assert_eq!(
        form("refresh-1").status(),
        400,
        "a used refresh token is refused"
    );
    assert_eq!(form(&rotated).status(), 200);
    let bearer = format!("Bearer {access}");
    let exchanged = http(
        addr,
        "POST",
        "/v1/exchange",
        &[("Authorization", bearer.as_str())],
        "",
    );
    assert_eq!(exchanged.status(), 200);
    client_from(addr, exchanged.body())
        .call("ListPolicies", &[])
        .assert_ok();
    let refused = http(
        addr,
        "POST",
        "/v1/exchange",
        &[("Authorization", "Bearer made-up")],
        "",
    );
    assert_eq!(refused.status(), 401);
}

#[test]
fn revoking_one_issued_credential_refuses_it_and_only_it() {
    let emulator = emulator_with_instance_role(false);
    let addr = emulator.addr();
    let uri = |_: ()| {
        http(addr, "GET", "/credentials-uri", &[], "")
            .body()
            .clone()
    };
    let first = uri(());
    emulator.set_credential_lifetime(Some(3600)).unwrap();
    let second = http(addr, "GET", &format!("{ROLE_PATH}EcsInstanceRole"), &[], "")
        .body()
        .clone();
    let revoked = http(
        addr,
        "POST",
        "/__emulator/sts/credentials/revoke",
        &[],
        &format!(
            r#"{{"access_key_id":"{}"}}"#,
            first["AccessKeyId"].as_str().unwrap()
        ),
    );
    assert_eq!(revoked.body()["revoked"], 1);
    client_from(addr, &first)
        .call("ListPolicies", &[])
        .assert_error(400, "InvalidSecurityToken.Expired");
    client_from(addr, &second)
        .call("ListPolicies", &[])
        .assert_ok();
    assert_eq!(emulator.revoke_issued_credentials(None), 1);
    client_from(addr, &second)
        .call("ListPolicies", &[])
        .assert_error(400, "InvalidSecurityToken.Expired");
}
