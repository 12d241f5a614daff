//! The STS stand-in's `AssumeRoleWithOIDC`: unsigned, the OIDC token checked against the
//! configured provider (issuer, audience, expiry, token list), every error, and the issued
//! credentials working for KMS and for a further `AssumeRole`.

use crate::common;

use common::{send_raw, Client, Reply};
use kms_emulator::{Action, Config, Credential, Emulator, OidcProvider, Role, StsConfig};
use serde_json::Value;

const ROLE: &str = "acs:ram::1234567890123456:role/ci-deployer";
const OTHER_ROLE: &str = "acs:ram::1234567890123456:role/auditor";
const PROVIDER: &str = "acs:ram::1234567890123456:oidc-provider/ack-rrsa";
const ISSUER: &str = "https://oidc-ack-cn-hangzhou.oss-cn-hangzhou.aliyuncs.com/c1234";
const STS_VERSION: &str = "2015-04-01";

/// Request parameters, then the expected status and code.
type ErrorCase<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str);

fn emulator() -> Emulator {
    Emulator::start_blocking(Config {
        credentials: vec![Credential::demo()],
        sts: StsConfig {
            roles: vec![
                Role::new(ROLE).trusting(["demo-access-key-id", PROVIDER]),
                Role::new(OTHER_ROLE).trusting([ROLE]),
            ],
            oidc_providers: vec![OidcProvider::new(PROVIDER, ISSUER)],
            credential_lifetime_seconds: None,
        },
        ..Config::default()
    })
    .expect("start the emulator")
}

fn client_from(addr: std::net::SocketAddr, answer: &Value) -> Client {
    Client::from_credentials(addr, &answer["Credentials"])
}

fn oidc_get(emulator: &Emulator, params: &[(&str, &str)]) -> Reply {
    let mut all: std::collections::BTreeMap<String, String> = [
        ("Action", "AssumeRoleWithOIDC"),
        ("Version", STS_VERSION),
        ("Format", "JSON"),
        ("Timestamp", &common::now_timestamp()),
    ]
    .iter()
    .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
    .collect();
    for (key, value) in params {
        all.insert((*key).to_owned(), (*value).to_owned());
    }
    let request = format!(
        "GET /?{} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        common::encode_params(&all),
        emulator.addr()
    );
    send_raw(emulator.addr(), request.as_bytes())
}

fn oidc_params(token: &str) -> Vec<(&str, &str)> {
    vec![
        ("RoleArn", ROLE),
        ("OIDCProviderArn", PROVIDER),
        ("OIDCToken", token),
        ("RoleSessionName", "rrsa-pod"),
    ]
}

#[test]
fn assume_role_with_oidc_is_unsigned_and_checks_the_token() {
    let emulator = emulator();
    let token = Emulator::mint_oidc_token(ISSUER, "system:serviceaccount:ci:deployer", 600);
    let answer = oidc_get(&emulator, &oidc_params(&token))
        .assert_ok()
        .clone();
    assert_eq!(answer["OIDCTokenInfo"]["Issuer"], ISSUER);
    assert_eq!(
        answer["OIDCTokenInfo"]["Subject"],
        "system:serviceaccount:ci:deployer"
    );
    assert_eq!(answer["AssumedRoleUser"]["Arn"], format!("{ROLE}/rrsa-pod"));
    client_from(emulator.addr(), &answer)
        .call("ListPolicies", &[])
        .assert_ok();
    assert_eq!(emulator.call_count(Action::AssumeRoleWithOIDC), 1);

    let expired = Emulator::mint_oidc_token(ISSUER, "s", -1);
    let wrong_issuer = Emulator::mint_oidc_token("https://elsewhere", "s", 600);
    let wrong_audience = kms_emulator::sts::oidc::mint_unsigned_token(
        ISSUER,
        "other-client",
        "s",
        chrono::Utc::now(),
        600,
    );
    let cases: Vec<ErrorCase<'_>> = vec![
        (
            oidc_params("not-a-jwt"),
            400,
            "AuthenticationFail.OIDCToken.Invalid",
        ),
        (oidc_params("abc"), 400, "InvalidParameter.OIDCToken"),
        (
            oidc_params(&expired),
            400,
            "AuthenticationFail.OIDCToken.Expired",
        ),
        (
            oidc_params(&wrong_issuer),
            400,
            "AuthenticationFail.OIDCToken.IssuerNotMatch",
        ),
        (
            oidc_params(&wrong_audience),
            400,
            "AuthenticationFail.OIDCToken.AudienceNotMatch",
        ),
        (oidc_params(&token)[1..].to_vec(), 400, "MissingRoleArn"),
        (
            vec![
                oidc_params(&token)[0],
                oidc_params(&token)[2],
                oidc_params(&token)[3],
            ],
            400,
            "MissingOIDCProviderArn",
        ),
        (
            vec![
                oidc_params(&token)[0],
                oidc_params(&token)[1],
                oidc_params(&token)[3],
            ],
            400,
            "MissingOIDCToken",
        ),
        (
            vec![
                ("RoleArn", ROLE),
                (
                    "OIDCProviderArn",
                    "acs:ram::1234567890123456:oidc-provider/none",
                ),
                ("OIDCToken", &token),
                ("RoleSessionName", "s1"),
            ],
            403,
            "AuthenticationFail.NoPermission",
        ),
        (
            vec![
                ("RoleArn", OTHER_ROLE),
                ("OIDCProviderArn", PROVIDER),
                ("OIDCToken", &token),
                ("RoleSessionName", "s1"),
            ],
            403,
            "AuthenticationFail.NoPermission",
        ),
        (
            vec![
                ("RoleArn", "acs:ram::1234567890123456:role/missing"),
                ("OIDCProviderArn", PROVIDER),
                ("OIDCToken", &token),
                ("RoleSessionName", "s1"),
            ],
            404,
            "EntityNotExist.Role",
        ),
    ];
    for (params, status, code) in cases {
        oidc_get(&emulator, &params).assert_error(status, code);
    }
    let mut stale = oidc_params(&token);
    stale.push(("Timestamp", "2020-01-01T00:00:00Z"));
    oidc_get(&emulator, &stale).assert_error(400, "InvalidTimeStamp.Expired");

    // With a token list, only those exact tokens pass (the stand-in for the IdP's signature).
    emulator
        .put_oidc_provider(OidcProvider::new(PROVIDER, ISSUER).accepting([token.clone()]))
        .unwrap();
    oidc_get(&emulator, &oidc_params(&token)).assert_ok();
    let other = Emulator::mint_oidc_token(ISSUER, "s", 600);
    oidc_get(&emulator, &oidc_params(&other))
        .assert_error(400, "AuthenticationFail.OIDCToken.Invalid");
}

#[test]
fn oidc_credentials_can_assume_a_further_role() {
    let emulator = emulator();
    let token = Emulator::mint_oidc_token(ISSUER, "s", 600);
    let first = client_from(
        emulator.addr(),
        oidc_get(&emulator, &oidc_params(&token)).assert_ok(),
    );
    first
        .get(
            "AssumeRole",
            &[
                ("Version", STS_VERSION),
                ("RoleArn", OTHER_ROLE),
                ("RoleSessionName", "chained"),
            ],
        )
        .assert_ok();
}

#[test]
fn an_error_never_echoes_an_oidc_token() {
    let emulator = emulator();
    let token = Emulator::mint_oidc_token("https://elsewhere", "s", 600);
    let reply = oidc_get(&emulator, &oidc_params(&token));
    reply.assert_error(400, "AuthenticationFail.OIDCToken.IssuerNotMatch");
    match reply {
        Reply::Answered { text, .. } => assert!(!text.contains(&token)),
        Reply::Dropped => unreachable!(),
    }
}
