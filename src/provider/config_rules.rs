//! The rules of the provider settings beyond their schema types, shared by `checkConfig` and
//! `configure` (so a bad setting is reported before any operation runs), and the conversion of
//! the two object settings into their typed form.
//!
//! - No setting is blank; `protocol` is `HTTPS` or `HTTP` (returned upper-case);
//!   `signatureAlgorithm` is `v2` or `v3` (returned lower-case).
//! - `endpoint` and `stsEndpoint` are `host[:port]` or `http(s)://host[:port]` with no user
//!   name, path, query or fragment, and agree with `protocol`; `region` is a region id;
//!   `credentialsUri` is an `http(s)://` URL; `ecsRoleName` is a role name.
//! - `assumeRole` and `assumeRoleWithOidc` are objects (or that object as JSON text, the form
//!   stack configuration arrives in) with known fields of the right types: role ARNs that look
//!   like ARNs, a valid session name, a session of 900 to 43,200 seconds, a JSON policy.
//! - At most one base credential kind: `accessKey`/`secretKey`/`securityToken`,
//!   `assumeRoleWithOidc`, `ecsRoleName`, `credentialsUri`, `profile`/`sharedCredentialsFile`; and
//!   a key pair is whole.
//!
//! Messages never repeat a value that may hold a secret: endpoints are quoted redacted
//! (`kms::endpoint::redact_url`), `credentialsUri` as its origin at most (`url_origin`), a key or
//! token with a line break is named "not valid" without its value, and no other value is quoted
//! except `protocol`.

use crate::kms::endpoint::{
    endpoint_with_scheme, is_valid_region, parse_endpoint, parse_protocol, url_origin,
    EndpointProblem, REGION_RULE,
};
use crate::kms::secret::value_problem;
use crate::kms::{
    credentials::{
        is_oidc_provider_arn, is_role_arn, is_valid_session_name, MAX_SESSION_SECONDS,
        MIN_SESSION_SECONDS, SESSION_NAME_RULE,
    },
    AssumeRoleSettings, CredentialSettings, OidcRoleSettings, SecretString, SignatureAlgorithm,
};
use crate::resources::{CheckFailure, PropertyMap, PropertyValue};

use super::suggest::closest_name;

/// The settings whose value is an object.
pub const OBJECT_SETTINGS: [&str; 2] = ["assumeRole", "assumeRoleWithOidc"];

const ASSUME_ROLE_FIELDS: [&str; 5] = [
    "roleArn",
    "sessionName",
    "sessionExpiration",
    "policy",
    "externalId",
];
const OIDC_FIELDS: [&str; 7] = [
    "oidcProviderArn",
    "oidcTokenFile",
    "oidcToken",
    "roleArn",
    "roleSessionName",
    "sessionExpiration",
    "policy",
];

/// Stack configuration carries an object setting as JSON text; it is read into the object here,
/// before the schema check, so both forms are checked alike. Text that is not a JSON object is
/// left for the schema check to refuse.
pub fn parse_object_settings(settings: &mut PropertyMap) {
    for name in OBJECT_SETTINGS {
        let Some(value) = settings.get_mut(name) else {
            continue;
        };
        let was_secret = value.is_secret();
        let Some(text) = value.as_str() else {
            continue;
        };
        let Ok(serde_json::Value::Object(object)) = serde_json::from_str(text) else {
            continue;
        };
        let parsed = PropertyValue::from_wire(serde_json::Value::Object(object));
        *value = if was_secret {
            parsed.into_secret()
        } else {
            parsed
        };
    }
}

/// Applies the rules to checked inputs; normalises `protocol` and `signatureAlgorithm`.
pub fn check_setting_rules(inputs: &mut PropertyMap, failures: &mut Vec<CheckFailure>) {
    let protocol = inputs
        .get("protocol")
        .and_then(PropertyValue::as_str)
        .and_then(|protocol| parse_protocol(protocol.trim()));
    for (name, value) in inputs.iter_mut() {
        if let Some(text) = value.as_str() {
            if text.trim().is_empty() {
                failures.push(CheckFailure::new(
                    name,
                    format!("{name} must not be empty; leave it out to use the environment or ~/.aliyun/config.json"),
                ));
                continue;
            }
        }
        match name.as_str() {
            "protocol" => {
                let Some(text) = value.as_str() else { continue };
                let upper = text.trim().to_ascii_uppercase();
                if upper == "HTTPS" || upper == "HTTP" {
                    *value = value.with_string(upper);
                } else {
                    failures.push(CheckFailure::new(
                        "protocol",
                        format!("protocol must be HTTPS or HTTP, not {text:?}; HTTP is only sensible for a local emulator"),
                    ));
                }
            }
            "signatureAlgorithm" => {
                let Some(text) = value.as_str() else { continue };
                match SignatureAlgorithm::parse(text.trim()) {
                    Some(algorithm) => *value = value.with_string(algorithm.as_str().to_owned()),
                    None => failures.push(CheckFailure::new(
                        "signatureAlgorithm",
                        "signatureAlgorithm must be v2 (the default, HMAC-SHA1) or v3 (ACS3-HMAC-SHA256)",
                    )),
                }
            }
            "region"
                if value
                    .as_str()
                    .is_some_and(|region| !is_valid_region(region)) =>
            {
                failures.push(CheckFailure::new(
                    "region",
                    format!("region must {REGION_RULE}"),
                ));
            }
            "ecsRoleName" => {
                let valid = value.as_str().is_none_or(|role| {
                    role.len() <= 64
                        && role.bytes().all(|byte| {
                            byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_')
                        })
                });
                if !valid {
                    failures.push(CheckFailure::new(
                        "ecsRoleName",
                        "ecsRoleName must be a RAM role name: up to 64 letters, digits and . - _",
                    ));
                }
            }
            "accessKey" | "secretKey" | "securityToken" => {
                if let Some(problem) = value.as_str().and_then(value_problem) {
                    let what = match name.as_str() {
                        "accessKey" => "access key id",
                        "secretKey" => "access key secret",
                        _ => "security token",
                    };
                    failures.push(CheckFailure::new(
                        name,
                        format!("{name} {problem}, so it is not a valid {what}; set it again without it"),
                    ));
                }
            }
            "credentialsUri" => {
                if let Some(uri) = value.as_str() {
                    if let Some(problem) = credentials_uri_problem(uri) {
                        failures.push(CheckFailure::new("credentialsUri", problem));
                    }
                }
            }
            "endpoint" | "stsEndpoint" => {
                let Some(endpoint) = value.as_str() else {
                    continue;
                };
                if let Err(problem) = endpoint_with_scheme(endpoint, protocol) {
                    failures.push(CheckFailure::new(name, format!("{name} {problem}")));
                }
            }
            "assumeRole" => check_object(name, value, &ASSUME_ROLE_FIELDS, failures),
            "assumeRoleWithOidc" => check_object(name, value, &OIDC_FIELDS, failures),
            _ => {}
        }
    }
    check_credential_kinds(inputs, failures);
}

/// What is wrong with a `credentialsUri`, quoting at most its origin (`scheme://host[:port]`):
/// the URL may carry a token in its user part, path or query.
fn credentials_uri_problem(uri: &str) -> Option<String> {
    let origin = url_origin(uri);
    let shown = origin
        .as_deref()
        .map(|origin| format!(" ({origin}/...)"))
        .unwrap_or_default();
    let Some(origin) =
        origin.filter(|origin| origin.starts_with("http://") || origin.starts_with("https://"))
    else {
        return Some(format!(
            "credentialsUri must be an http:// or https:// URL{shown}"
        ));
    };
    if uri
        .chars()
        .any(|character| character.is_whitespace() || character.is_control())
    {
        return Some(format!(
            "credentialsUri must have no spaces or line breaks{shown}"
        ));
    }
    // The origin drops a port that is not a number; the authority as given must parse too.
    let after_scheme = &uri[uri.find("://").map_or(0, |index| index + 3)..];
    let authority = &after_scheme[..after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len())];
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let scheme = &origin[..origin.find("://").unwrap_or(0)];
    match parse_endpoint(&format!("{scheme}://{host_port}")) {
        Ok(_) => None,
        Err(EndpointProblem::InvalidPort { .. }) => Some(format!(
            "credentialsUri has an invalid port: use a number from 1 to 65535{shown}"
        )),
        Err(_) => Some(format!("credentialsUri must name a valid host{shown}")),
    }
}

/// Checks the fields of an object setting, reporting each as `setting.field`.
fn check_object(
    setting: &str,
    value: &PropertyValue,
    fields: &[&str],
    failures: &mut Vec<CheckFailure>,
) {
    // Anything but an object has been reported by the schema check already.
    let PropertyValue::Object(object) = value.unwrap_secret() else {
        return;
    };
    for (field, field_value) in object {
        let path = format!("{setting}.{field}");
        if !fields.contains(&field.as_str()) {
            let reason = match closest_name(field, fields.iter().copied()) {
                Some(suggestion) => {
                    format!("unknown field {field} of {setting}; did you mean {suggestion}?")
                }
                None => format!(
                    "unknown field {field} of {setting}; the fields are {}",
                    fields.join(", ")
                ),
            };
            failures.push(CheckFailure::new(&path, reason));
            continue;
        }
        if field_value.is_unknown() || field_value.is_null() {
            continue;
        }
        if field == "sessionExpiration" {
            match session_seconds(field_value) {
                Some(seconds) if (MIN_SESSION_SECONDS..=MAX_SESSION_SECONDS).contains(&seconds) => {}
                _ => failures.push(CheckFailure::new(
                    &path,
                    format!("{path} must be a whole number of seconds from {MIN_SESSION_SECONDS} to {MAX_SESSION_SECONDS} (and at most the role's maximum session duration)"),
                )),
            }
            continue;
        }
        if field == "policy" && matches!(field_value.unwrap_secret(), PropertyValue::Object(_)) {
            continue;
        }
        let Some(text) = field_value.as_str() else {
            failures.push(CheckFailure::new(
                &path,
                format!(
                    "{path} must be a string, not {}",
                    field_value.type_description()
                ),
            ));
            continue;
        };
        if text.trim().is_empty() {
            failures.push(CheckFailure::new(
                &path,
                format!("{path} must not be empty; leave it out instead"),
            ));
            continue;
        }
        let problem = match field.as_str() {
            "roleArn" if !is_role_arn(text) => {
                Some("must be a RAM role ARN: acs:ram::<account id>:role/<role name>".to_owned())
            }
            "oidcProviderArn" if !is_oidc_provider_arn(text) => Some(
                "must be an OIDC provider ARN: acs:ram::<account id>:oidc-provider/<name>"
                    .to_owned(),
            ),
            "sessionName" | "roleSessionName" if !is_valid_session_name(text) => {
                Some(format!("must {SESSION_NAME_RULE}"))
            }
            "policy" if serde_json::from_str::<serde_json::Value>(text).is_err() => {
                Some("must be a JSON policy document".to_owned())
            }
            "oidcToken" => value_problem(text)
                .map(|problem| format!("{problem}, so it is not a valid OIDC token")),
            _ => None,
        };
        if let Some(problem) = problem {
            failures.push(CheckFailure::new(&path, format!("{path} {problem}")));
        }
    }
}

fn session_seconds(value: &PropertyValue) -> Option<u32> {
    match value.unwrap_secret() {
        PropertyValue::Number(number) => number
            .as_u64()
            .or_else(|| {
                number
                    .as_f64()
                    .filter(|float| float.fract() == 0.0 && *float >= 0.0)
                    .map(|float| float as u64)
            })
            .and_then(|seconds| u32::try_from(seconds).ok()),
        PropertyValue::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// At most one base credential kind, and whole key pairs.
fn check_credential_kinds(inputs: &PropertyMap, failures: &mut Vec<CheckFailure>) {
    let present = |name: &str| inputs.get(name).is_some_and(|value| !value.is_null());
    let kinds: [(&[&str], &str); 5] = [
        (&["accessKey", "secretKey", "securityToken"], "a static key"),
        (&["assumeRoleWithOidc"], "an OIDC role"),
        (&["ecsRoleName"], "the ECS instance role"),
        (&["credentialsUri"], "a credentials URI"),
        (
            &["profile", "sharedCredentialsFile"],
            "a credentials file profile",
        ),
    ];
    let mut first: Option<(&str, &str)> = None;
    for (names, kind) in kinds {
        let Some(name) = names.iter().copied().find(|name| present(name)) else {
            continue;
        };
        match first {
            None => first = Some((name, kind)),
            Some((first_name, first_kind)) => failures.push(CheckFailure::new(
                name,
                format!("{name} ({kind}) cannot be combined with {first_name} ({first_kind}): each names the base credential; keep one of them (assumeRole can be added on top of either)"),
            )),
        }
    }
    let access_key = present("accessKey");
    let secret_key = present("secretKey");
    if access_key && !secret_key {
        failures.push(CheckFailure::new(
            "secretKey",
            "secretKey is required with accessKey: the two are one key pair",
        ));
    } else if secret_key && !access_key {
        failures.push(CheckFailure::new(
            "accessKey",
            "accessKey is required with secretKey: the two are one key pair",
        ));
    } else if present("securityToken") && !access_key {
        failures.push(CheckFailure::new(
            "securityToken",
            "securityToken needs accessKey and secretKey: it belongs to a temporary key pair",
        ));
    }
}

/// The typed credential settings of checked inputs. A setting whose value (or part of it) is
/// unknown is left out and its name added to `unknown`.
pub fn credential_settings(inputs: &PropertyMap, unknown: &mut Vec<String>) -> CredentialSettings {
    let mut settings = CredentialSettings::default();
    let mut text = |name: &str| -> Option<String> {
        let value = inputs.get(name)?;
        if value.contains_unknown() {
            unknown.push(name.to_owned());
            return None;
        }
        value.as_str().map(str::to_owned)
    };
    settings.ecs_role_name = text("ecsRoleName");
    settings.credentials_uri = text("credentialsUri").map(SecretString::new);
    settings.profile = text("profile");
    settings.shared_credentials_file = text("sharedCredentialsFile");
    settings.sts_endpoint = text("stsEndpoint");
    settings.signature_algorithm = text("signatureAlgorithm")
        .as_deref()
        .and_then(SignatureAlgorithm::parse);
    for name in OBJECT_SETTINGS {
        let Some(value) = inputs.get(name) else {
            continue;
        };
        if value.contains_unknown() {
            unknown.push(name.to_owned());
            continue;
        }
        let PropertyValue::Object(object) = value.unwrap_secret() else {
            continue;
        };
        let field = |field: &str| -> Option<String> {
            object
                .get(field)
                .and_then(|value| match value.unwrap_secret() {
                    PropertyValue::String(text) if !text.trim().is_empty() => Some(text.clone()),
                    PropertyValue::Object(_) => Some(value.to_wire().to_string()),
                    _ => None,
                })
        };
        let seconds = object.get("sessionExpiration").and_then(session_seconds);
        if name == "assumeRole" {
            settings.assume_role = Some(AssumeRoleSettings {
                role_arn: field("roleArn"),
                session_name: field("sessionName"),
                session_expiration: seconds,
                policy: field("policy"),
                external_id: field("externalId").map(SecretString::new),
            });
        } else {
            settings.assume_role_with_oidc = Some(OidcRoleSettings {
                oidc_provider_arn: field("oidcProviderArn"),
                oidc_token_file: field("oidcTokenFile"),
                oidc_token: field("oidcToken").map(SecretString::new),
                role_arn: field("roleArn"),
                role_session_name: field("roleSessionName"),
                session_expiration: seconds,
                policy: field("policy"),
            });
        }
    }
    settings
}
