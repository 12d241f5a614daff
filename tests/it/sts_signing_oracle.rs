//! Property test (issue 13 item 4): for thousands of random roles, keys, tokens, policies, times
//! and nonces, the provider's STS requests agree with the official Python code:
//!
//! - the parameters (query and body together, without `Signature`) are exactly those that
//!   `alibabacloud-credentials`' own `RamRoleArnCredentialsProvider` (or
//!   `OIDCRoleArnCredentialsProvider`) sends for the same inputs, its clock and nonce pinned and
//!   its HTTP call intercepted in `tests/python/credentials_signing_oracle.py`;
//! - the `AssumeRole` signature equals `alibabacloud-openapi-util`'s RPC signature of those
//!   parameters, and `alibabacloud-credentials`' own signer's whenever no value holds a space
//!   (that signer encodes a space as `+`, the documented rule and every other official signer as
//!   `%20`; the STS stand-in, like the service, follows the documented rule).
//!
//! The provider sends the request as `credentials-go` does (POST, action parameters in a form
//! body) and signs the union of query and body with method `POST`.

use crate::signing_support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use alicloud_kms_provider::kms::credentials::{AssumeRole, OidcRole};
use alicloud_kms_provider::kms::sts::{assume_role_request, assume_role_with_oidc_request};
use alicloud_kms_provider::kms::{Credentials, SecretString};
use serde_json::{json, Value};
use signing_support::{ask_oracle, seed, Xorshift, VALUE_CHARACTERS};

const CASES: usize = 2000;

const NAME_CHARACTERS: &[&str] = &["a", "Z", "0", ".", "@", "-", "_", "ci", "run"];
const POLICIES: &[&str] = &[
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#,
    r#"{ "Version": "1", "Statement": [ ] }"#,
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["kms:Get*","kms:List*"],"Resource":"acs:kms:*:*:*"}]}"#,
];

struct Case {
    oidc: bool,
    role: AssumeRole,
    provider_arn: String,
    token: String,
    caller: Credentials,
    timestamp: String,
    nonce: String,
}

fn random_case(random: &mut Xorshift) -> Case {
    let session_name = {
        let mut name = random.text(NAME_CHARACTERS, 10);
        while name.len() < 2 {
            name.push('x');
        }
        name
    };
    let policy = match random.below(3) {
        0 => None,
        1 => Some(random.pick(POLICIES).to_string()),
        _ => Some(format!(
            "{{\"Version\":\"1\",\"Note\":{}}}",
            json!(random.text(VALUE_CHARACTERS, 12))
        )),
    };
    Case {
        oidc: random.below(4) == 0,
        role: AssumeRole {
            role_arn: format!(
                "acs:ram::{}:role/{}",
                random.next() % 10_000_000_000_000_000,
                random.text(&["a", "b", "-", "9"], 8) + "r"
            ),
            session_name,
            duration_seconds: 900 + (random.next() % 42_301) as u32,
            policy,
            external_id: (random.below(3) == 0)
                .then(|| SecretString::new(random.text(VALUE_CHARACTERS, 10) + "e")),
            sts_endpoint: None,
        },
        provider_arn: format!(
            "acs:ram::{}:oidc-provider/{}",
            random.next() % 1000,
            "github"
        ),
        token: format!(
            "eyJ{}.{}.{}",
            random.next(),
            random.next(),
            random.text(&["a", "-", "_", "Z"], 20)
        ),
        caller: Credentials {
            access_key_id: if random.below(2) == 0 {
                format!("LTAI{:x}", random.next())
            } else {
                format!("STS.{:x}", random.next())
            },
            access_key_secret: SecretString::new(random.text(VALUE_CHARACTERS, 24) + "s"),
            security_token: (random.below(2) == 0).then(|| {
                SecretString::new(random.text(&["CAIS", "+", "/", "=", "a", "9"], 30) + "t")
            }),
        },
        timestamp: format!(
            "20{:02}-0{}-1{}T0{}:1{}:2{}Z",
            random.below(99),
            1 + random.below(9),
            random.below(10),
            random.below(10),
            random.below(10),
            random.below(10)
        ),
        nonce: format!("{:032x}", random.next()),
    }
}

fn union(query: &[(String, String)], body: &[(String, String)]) -> Vec<(String, String)> {
    query
        .iter()
        .chain(body)
        .filter(|(key, _)| key != "Signature")
        .cloned()
        .collect()
}

#[test]
fn sts_requests_match_the_official_credential_providers() {
    let seed = seed(0x5EED_0575_2015_0401);
    let mut random = Xorshift(seed | 1);
    let cases: Vec<Case> = (0..CASES).map(|_| random_case(&mut random)).collect();
    assert!(cases.iter().any(|case| case.oidc) && cases.iter().any(|case| !case.oidc));
    let requests: Vec<_> = cases
        .iter()
        .map(|case| {
            if case.oidc {
                let role = OidcRole {
                    role_arn: case.role.role_arn.clone(),
                    oidc_provider_arn: case.provider_arn.clone(),
                    token: alicloud_kms_provider::kms::credentials::OidcToken::File(PathBuf::from(
                        "/unused",
                    )),
                    sts_endpoint: None,
                    session_name: case.role.session_name.clone(),
                    duration_seconds: case.role.duration_seconds,
                    policy: case.role.policy.clone(),
                };
                assume_role_with_oidc_request(&role, &case.token, &case.timestamp)
            } else {
                assume_role_request(&case.role, &case.caller, &case.timestamp, &case.nonce)
            }
        })
        .collect();
    let lines: Vec<Value> = cases
        .iter()
        .zip(&requests)
        .map(|(case, request)| {
            json!({
                "kind": "sts",
                "action": request.action,
                "method": "POST",
                "params": union(&request.query, &request.body),
                "secret": case.caller.access_key_secret.expose_secret(),
                "role_arn": case.role.role_arn,
                "session_name": case.role.session_name,
                "duration": case.role.duration_seconds,
                "policy": case.role.policy,
                "external_id": case.role.external_id.as_ref().map(SecretString::expose_secret),
                "access_key_id": case.caller.access_key_id,
                "security_token": case.caller.security_token.as_ref().map(SecretString::expose_secret),
                "oidc_provider_arn": case.provider_arn,
                "oidc_token": case.token,
                "timestamp": case.timestamp,
                "nonce": case.nonce,
            })
        })
        .collect();
    let answers = ask_oracle("credentials_signing_oracle.py", &lines);
    let mut compared_with_credentials_signer = 0;
    for (index, ((case, request), answer)) in cases.iter().zip(&requests).zip(&answers).enumerate()
    {
        let context = || format!("case {index} (seed {seed:#x}): {}", lines[index]);
        let ours: BTreeMap<String, String> =
            union(&request.query, &request.body).into_iter().collect();
        let official: BTreeMap<String, String> =
            serde_json::from_value(answer["official_params"].clone()).expect("a map of strings");
        assert_eq!(ours, official, "parameters, {}", context());
        if case.oidc {
            assert_eq!(request.parameter("Signature"), None, "{}", context());
            continue;
        }
        let signature = request.parameter("Signature").expect("a signed request");
        assert_eq!(
            signature,
            answer["signature_openapi"],
            "signature, {}",
            context()
        );
        if !ours.values().any(|value| value.contains(' ')) {
            assert_eq!(
                signature,
                answer["signature_credentials"],
                "signature, {}",
                context()
            );
            compared_with_credentials_signer += 1;
        }
    }
    assert!(
        compared_with_credentials_signer > CASES / 4,
        "{compared_with_credentials_signer}"
    );
}
