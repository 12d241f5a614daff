//! The provider's own configuration: `checkConfig` (validation as data) and `configure` (the
//! settings the resource operations get).
//!
//! Only what is explicit is stored: `args` over `variables`, secrets unwrapped. Falling back to
//! the environment and to the credential files is the KMS client's job (`kms::credentials`), so
//! that one place owns the precedence rules. The rules beyond the schema (endpoint syntax,
//! contradictory credentials, the object settings) live in `config_rules`.
//!
//! A stack configured for pulumi-alicloud works unchanged: its `alicloud:config:<key>` variables
//! (which both SDKs pass through) fill in what no `alicloud-kms:config:` setting gives
//! ([`ALICLOUD_KEYS`]). Settings that are not credentials (region, protocol, endpoints,
//! `assumeRole`) are taken one by one; the base credential (a key, a profile, an instance role,
//! an OIDC role, a credentials URI) is taken from there only when the provider's own settings
//! name none, so the two are never mixed into a contradiction. Each setting taken from there is
//! named in an info log at `configure`.

use std::collections::BTreeMap;

use crate::resources::{CheckFailure, PropertyMap, PropertyValue, ProviderSettings};

use super::check::{check_against_schema, is_engine_metadata, mark_secrets, CheckOutcome};
use super::config_rules::{check_setting_rules, credential_settings, parse_object_settings};
use super::diff::{diff_settings, DiffOutcome};
use super::schema::provider_settings;

/// The prefix of the provider's keys in Pulumi's `variables` (`alicloud-kms:config:region`).
pub const CONFIG_KEY_PREFIX: &str = "alicloud-kms:config:";

/// The prefix of pulumi-alicloud's keys in Pulumi's `variables` (`alicloud:config:region`).
pub const ALICLOUD_KEY_PREFIX: &str = "alicloud:config:";

/// pulumi-alicloud's settings this provider reads, and its own name for each (the names are the
/// same; `endpoints` is the list of endpoint overrides, of which `kms` and `sts` are read).
/// Its other keys (`accountId`, `skipRegionValidation`, timeouts, ...) mean nothing here.
pub const ALICLOUD_KEYS: [&str; 12] = [
    "region",
    "accessKey",
    "secretKey",
    "securityToken",
    "profile",
    "sharedCredentialsFile",
    "assumeRole",
    "assumeRoleWithOidc",
    "ecsRoleName",
    "credentialsUri",
    "protocol",
    "endpoints",
];

/// The settings that name the base credential: from pulumi-alicloud's config only when the
/// provider's own config sets none of them.
const BASE_CREDENTIAL_SETTINGS: [&str; 8] = [
    "accessKey",
    "secretKey",
    "securityToken",
    "profile",
    "sharedCredentialsFile",
    "assumeRoleWithOidc",
    "ecsRoleName",
    "credentialsUri",
];

/// Keys an engine adds to the provider's inputs itself; they are not settings of this provider.
/// (Pulumi's `pkg/resource/deploy/providers/registry.go`: the plugin's version, download URL and
/// checksums of an explicit provider resource.)
const ENGINE_CONFIG_KEYS: [&str; 3] = ["version", "pluginDownloadURL", "pluginChecksums"];

/// The settings whose change makes the resources of the old configuration ones the new one cannot
/// manage, so that a change replaces the provider and every resource it manages: resources live
/// in a region, and the provider of another region neither sees them nor may claim same-named
/// ones there (docs/grpc-plugin.md, "Provider configuration").
const REPLACING_SETTINGS: [&str; 1] = ["region"];

const SUBJECT: &str = "provider configuration";

/// Validates the provider's inputs, as `checkConfig` receives them (plain names; prefixed names
/// are accepted too). Engine keys (`version`) pass through untouched.
pub fn check_config(news: PropertyMap) -> CheckOutcome {
    let mut engine_entries = PropertyMap::new();
    let mut settings = PropertyMap::new();
    for (key, value) in news {
        let name = key
            .strip_prefix(CONFIG_KEY_PREFIX)
            .map(str::to_owned)
            .unwrap_or(key);
        if ENGINE_CONFIG_KEYS.contains(&name.as_str()) || is_engine_metadata(&name) {
            engine_entries.insert(name, value);
        } else {
            settings.insert(name, value);
        }
    }
    let properties = provider_settings();
    parse_object_settings(&mut settings);
    let mut outcome = check_against_schema(properties, SUBJECT, settings);
    check_setting_rules(&mut outcome.inputs, &mut outcome.failures);
    mark_secrets(properties, &mut outcome.inputs);
    outcome.inputs.extend(engine_entries);
    outcome
}

/// Compares the old and new checked settings (`DiffConfig`): engine keys are not settings, and
/// prefixed names count as plain ones. A new `region` replaces; every other change (credentials,
/// endpoints, roles) updates the provider in place.
pub fn diff_config(olds: PropertyMap, news: PropertyMap, ignore_changes: &[String]) -> DiffOutcome {
    let settings = |map: PropertyMap| -> PropertyMap {
        map.into_iter()
            .map(|(key, value)| match key.strip_prefix(CONFIG_KEY_PREFIX) {
                Some(name) => (name.to_owned(), value),
                None => (key, value),
            })
            .filter(|(name, _)| {
                !ENGINE_CONFIG_KEYS.contains(&name.as_str()) && !is_engine_metadata(name)
            })
            .collect()
    };
    diff_settings(
        &settings(olds),
        &settings(news),
        ignore_changes,
        &REPLACING_SETTINGS,
    )
}

/// Builds the settings from `configure`'s `variables` and `args` (`args` win), with the same
/// validation as `checkConfig`; any failure makes the whole configuration invalid.
pub fn settings_from_configure(
    variables: &BTreeMap<String, String>,
    args: Option<PropertyMap>,
) -> Result<ProviderSettings, Vec<CheckFailure>> {
    let mut merged = PropertyMap::new();
    let mut alicloud = PropertyMap::new();
    for (key, text) in variables {
        // Decoding the text as a wire string recognises the unknown sentinel.
        let value = || PropertyValue::from_wire(serde_json::Value::String(text.clone()));
        if let Some(name) = key.strip_prefix(CONFIG_KEY_PREFIX) {
            merged.insert(name.to_owned(), value());
        } else if let Some(name) = key.strip_prefix(ALICLOUD_KEY_PREFIX) {
            if ALICLOUD_KEYS.contains(&name) {
                alicloud.insert(name.to_owned(), value());
            } else {
                tracing::debug!(key = %key, "ignoring a pulumi-alicloud setting that means nothing to this provider");
            }
        } else {
            tracing::debug!(key = %key, "ignoring a configuration variable of another package")
        }
    }
    for (name, value) in args.unwrap_or_default() {
        merged.insert(name, value);
    }
    let borrowed = borrow_from_alicloud(&mut merged, alicloud);
    let mut outcome = check_config(merged);
    if !outcome.failures.is_empty() {
        for failure in &mut outcome.failures {
            let root = failure.property.split('.').next().unwrap_or_default();
            if let Some((_, key)) = borrowed.iter().find(|(name, _)| name == root) {
                failure.reason = format!(
                    "{} (the value comes from pulumi-alicloud's alicloud:{key})",
                    failure.reason
                );
            }
        }
        return Err(outcome.failures);
    }
    Ok(ProviderSettings {
        from_alicloud: borrowed
            .iter()
            .map(|(name, key)| format!("{name} (alicloud:{key})"))
            .collect(),
        ..settings_from_checked_inputs(&outcome.inputs)
    })
}

/// The settings that inputs checked by [`check_config`] give (plain names, secrets marked):
/// each value as it is, an unknown one listed in `unknown_settings` instead. Nothing is
/// checked here. `configure` calls it after the check; the credential table
/// (`tests/it/kms_credentials.rs`) calls it with settings the check would refuse, to test that
/// the KMS client's resolver refuses them too.
pub fn settings_from_checked_inputs(inputs: &PropertyMap) -> ProviderSettings {
    let mut settings = ProviderSettings {
        configured: true,
        ..ProviderSettings::default()
    };
    for (name, value) in inputs {
        let slot = match name.as_str() {
            "region" => &mut settings.region,
            "accessKey" => &mut settings.access_key,
            "secretKey" => &mut settings.secret_key,
            "securityToken" => &mut settings.security_token,
            "endpoint" => &mut settings.endpoint,
            "protocol" => &mut settings.protocol,
            _ => continue,
        };
        if value.is_unknown() {
            settings.unknown_settings.push(name.clone());
        } else {
            *slot = value.as_str().map(str::to_owned);
        }
    }
    settings.credential_settings = credential_settings(inputs, &mut settings.unknown_settings);
    settings
}

/// Moves into `merged` what pulumi-alicloud's config gives and the provider's own does not (see
/// the module docs); returns each setting taken, with the pulumi-alicloud key it came from.
fn borrow_from_alicloud(
    merged: &mut PropertyMap,
    mut alicloud: PropertyMap,
) -> Vec<(String, &'static str)> {
    let present =
        |map: &PropertyMap, name: &str| map.get(name).is_some_and(|value| !value.is_null());
    // `endpoints` is a list of override objects; the KMS and STS ones become our endpoints.
    if let Some(endpoints) = alicloud.remove("endpoints") {
        let list = match endpoints.unwrap_secret() {
            PropertyValue::String(text) => serde_json::from_str::<serde_json::Value>(text).ok(),
            other => Some(other.to_wire()),
        };
        let overrides = match list {
            Some(serde_json::Value::Array(items)) => items,
            Some(object @ serde_json::Value::Object(_)) => vec![object],
            _ => Vec::new(),
        };
        for item in overrides {
            for (field, name) in [("kms", "endpoint"), ("sts", "stsEndpoint")] {
                if let Some(endpoint) = item.get(field).and_then(serde_json::Value::as_str) {
                    if !endpoint.is_empty() && !alicloud.contains_key(name) {
                        alicloud.insert(name.to_owned(), PropertyValue::from_wire(endpoint.into()));
                    }
                }
            }
        }
    }
    let own_base_credential = BASE_CREDENTIAL_SETTINGS
        .iter()
        .any(|name| present(merged, name));
    let mut borrowed = Vec::new();
    for (name, value) in alicloud {
        let key = match name.as_str() {
            "endpoint" | "stsEndpoint" => "endpoints",
            other => ALICLOUD_KEYS
                .into_iter()
                .find(|key| *key == other)
                .unwrap_or("endpoints"),
        };
        let is_base_credential = BASE_CREDENTIAL_SETTINGS.contains(&name.as_str());
        if present(merged, &name) || (is_base_credential && own_base_credential) || value.is_null()
        {
            continue;
        }
        borrowed.push((name.clone(), key));
        merged.insert(name, value);
    }
    if own_base_credential
        && borrowed
            .iter()
            .all(|(name, _)| !BASE_CREDENTIAL_SETTINGS.contains(&name.as_str()))
    {
        tracing::debug!("pulumi-alicloud's credentials, if any, are not used: the provider's own settings name one");
    }
    borrowed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn properties(value: serde_json::Value) -> PropertyMap {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn args_win_over_variables_and_secrets_are_unwrapped() {
        let variables = BTreeMap::from([
            (
                "alicloud-kms:config:region".to_owned(),
                "cn-shanghai".to_owned(),
            ),
            (
                "alicloud-kms:config:accessKey".to_owned(),
                "from-variables".to_owned(),
            ),
            ("aws:region".to_owned(), "us-east-1".to_owned()),
        ]);
        let args = properties(json!({
            "accessKey": "from-args",
            "secretKey": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "s3cr3t"},
            "protocol": "http",
        }));
        let settings = settings_from_configure(&variables, Some(args)).unwrap();
        assert!(settings.configured);
        assert_eq!(settings.region.as_deref(), Some("cn-shanghai"));
        assert_eq!(settings.access_key.as_deref(), Some("from-args"));
        assert_eq!(settings.secret_key.as_deref(), Some("s3cr3t"));
        assert_eq!(settings.protocol.as_deref(), Some("HTTP"));
        assert_eq!(settings.endpoint, None);
    }

    #[test]
    fn pulumi_alicloud_settings_fill_in_what_the_provider_config_leaves_out() {
        let variables = BTreeMap::from([
            ("alicloud:config:region".to_owned(), "cn-beijing".to_owned()),
            ("alicloud:config:accessKey".to_owned(), "ali-id".to_owned()),
            (
                "alicloud:config:secretKey".to_owned(),
                "ali-secret".to_owned(),
            ),
            (
                "alicloud:config:skipRegionValidation".to_owned(),
                "true".to_owned(),
            ),
            (
                "alicloud:config:endpoints".to_owned(),
                r#"[{"kms":"127.0.0.1:8080","sts":"127.0.0.1:8081","ecs":"x"}]"#.to_owned(),
            ),
            (
                "alicloud-kms:config:region".to_owned(),
                "cn-shanghai".to_owned(),
            ),
        ]);
        let settings = settings_from_configure(&variables, None).unwrap();
        assert_eq!(settings.region.as_deref(), Some("cn-shanghai"));
        assert_eq!(settings.access_key.as_deref(), Some("ali-id"));
        assert_eq!(settings.secret_key.as_deref(), Some("ali-secret"));
        assert_eq!(settings.endpoint.as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(
            settings.credential_settings.sts_endpoint.as_deref(),
            Some("127.0.0.1:8081")
        );
        assert_eq!(
            settings.from_alicloud,
            vec![
                "accessKey (alicloud:accessKey)",
                "endpoint (alicloud:endpoints)",
                "secretKey (alicloud:secretKey)",
                "stsEndpoint (alicloud:endpoints)",
            ]
        );
        assert!(!format!("{settings:?}").contains("ali-secret"));

        // The provider's own base credential wins whole: no half of pulumi-alicloud's is taken.
        let variables = BTreeMap::from([
            ("alicloud:config:accessKey".to_owned(), "ali-id".to_owned()),
            (
                "alicloud:config:secretKey".to_owned(),
                "ali-secret".to_owned(),
            ),
            (
                "alicloud:config:assumeRole".to_owned(),
                r#"{"roleArn":"acs:ram::1:role/x"}"#.to_owned(),
            ),
            ("alicloud-kms:config:profile".to_owned(), "ci".to_owned()),
        ]);
        let settings = settings_from_configure(&variables, None).unwrap();
        assert_eq!(settings.access_key, None);
        assert_eq!(settings.credential_settings.profile.as_deref(), Some("ci"));
        assert!(settings.credential_settings.assume_role.is_some());

        // A bad value says where it came from.
        let variables = BTreeMap::from([(
            "alicloud:config:region".to_owned(),
            "Not A Region".to_owned(),
        )]);
        let failures = settings_from_configure(&variables, None).unwrap_err();
        assert!(
            failures[0]
                .reason
                .ends_with("(the value comes from pulumi-alicloud's alicloud:region)"),
            "{:?}",
            failures
        );
    }

    #[test]
    fn unknown_settings_are_listed_not_stored() {
        let variables = BTreeMap::from([(
            "alicloud-kms:config:endpoint".to_owned(),
            "04da6b54-80e4-46f7-96ec-b56ff0331ba9".to_owned(),
        )]);
        let settings = settings_from_configure(&variables, None).unwrap();
        assert_eq!(settings.endpoint, None);
        assert_eq!(settings.unknown_settings, vec!["endpoint".to_owned()]);
    }

    #[test]
    fn invalid_settings_are_all_reported() {
        let failures = settings_from_configure(
            &BTreeMap::new(),
            Some(properties(
                json!({"protocol": "ftp", "region": " ", "regoin": "x"}),
            )),
        )
        .unwrap_err();
        let properties: Vec<&str> = failures
            .iter()
            .map(|failure| failure.property.as_str())
            .collect();
        assert_eq!(properties, vec!["regoin", "protocol", "region"]);
        assert!(
            failures[0].reason.contains("did you mean region?"),
            "{}",
            failures[0].reason
        );
    }

    #[test]
    fn check_config_passes_engine_keys_and_marks_secrets() {
        let outcome = check_config(properties(json!({
            "version": "0.1.0",
            "accessKey": "LTAI-example",
            "alicloud-kms:config:secretKey": "s3cr3t",
            "securityToken": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        })));
        assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
        assert!(outcome.inputs["secretKey"].is_secret());
        assert!(outcome.inputs["securityToken"].is_unknown());
        assert!(!outcome.inputs["securityToken"].is_secret());
        assert_eq!(outcome.inputs["version"].as_str(), Some("0.1.0"));
    }

    #[test]
    fn a_new_region_replaces_and_other_changes_update() {
        let old =
            properties(json!({"region": "cn-hangzhou", "accessKey": "a", "version": "0.1.0"}));
        let same = diff_config(
            old.clone(),
            properties(
                json!({"alicloud-kms:config:region": "cn-hangzhou", "accessKey": "a", "version": "0.2.0"}),
            ),
            &[],
        );
        assert!(!same.has_changes, "{same:?}");

        let rotated = diff_config(
            old.clone(),
            properties(json!({"region": "cn-hangzhou", "accessKey": "b", "secretKey": "s"})),
            &[],
        );
        assert_eq!(rotated.diffs, vec!["accessKey", "secretKey"]);
        assert!(rotated.replaces.is_empty());

        let moved = diff_config(
            old.clone(),
            properties(json!({"region": "cn-shanghai", "accessKey": "a"})),
            &[],
        );
        assert_eq!(moved.replaces, vec!["region"]);
        assert!(moved.detailed_diff["region"].kind.is_replace());
        assert!(moved.detailed_diff["region"].input_diff);
        assert!(
            diff_config(
                old.clone(),
                properties(json!({"region": "cn-shanghai", "accessKey": "a"})),
                &["region".into()]
            )
            .replaces
            .is_empty(),
            "ignoreChanges"
        );

        // A region only one side names may be the one the environment gives: no replacement.
        let unset = diff_config(old, properties(json!({"accessKey": "a"})), &[]);
        assert_eq!(
            (unset.diffs, unset.replaces),
            (vec!["region".to_owned()], vec![])
        );
        let unknown = diff_config(
            properties(json!({"region": "cn-hangzhou"})),
            properties(json!({"region": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"})),
            &[],
        );
        assert_eq!(unknown.replaces, vec!["region"]);
    }

    #[test]
    fn object_settings_become_typed_settings_and_unknown_parts_are_listed() {
        let variables = BTreeMap::from([
            (
                "alicloud-kms:config:assumeRole".to_owned(),
                r#"{"roleArn":"acs:ram::1:role/x","sessionExpiration":"1800","policy":{"Version":"1"},"externalId":"ext"}"#.to_owned(),
            ),
            (
                "alicloud-kms:config:assumeRoleWithOidc".to_owned(),
                r#"{"roleArn":"04da6b54-80e4-46f7-96ec-b56ff0331ba9"}"#.to_owned(),
            ),
            ("alicloud-kms:config:signatureAlgorithm".to_owned(), "V3".to_owned()),
        ]);
        let settings = settings_from_configure(&variables, None).unwrap();
        let extra = &settings.credential_settings;
        let role = extra.assume_role.as_ref().expect("assumeRole");
        assert_eq!(role.role_arn.as_deref(), Some("acs:ram::1:role/x"));
        assert_eq!(role.session_expiration, Some(1800));
        assert_eq!(role.policy.as_deref(), Some(r#"{"Version":"1"}"#));
        assert_eq!(
            role.external_id.as_ref().map(|id| id.expose_secret()),
            Some("ext")
        );
        assert_eq!(extra.assume_role_with_oidc, None);
        assert_eq!(
            settings.unknown_settings,
            vec!["assumeRoleWithOidc".to_owned()]
        );
        assert_eq!(
            extra.signature_algorithm,
            Some(crate::kms::SignatureAlgorithm::V3)
        );
        assert!(!format!("{settings:?}").contains("\"ext\""), "{settings:?}");
    }
}
