//! The fields of Pulumi's provider requests that every front-end (JSON-RPC's `protocol`, the gRPC
//! `plugin`) reads alike: the resource type from a URN or an explicit `type`, the resource name
//! of a URN, the resource id, and a timeout in seconds. One rule each, so both wires refuse the
//! same requests with the same messages.

use std::time::Duration;

use super::error::ProviderError;

/// The resource type of a Pulumi URN: `urn:pulumi:<stack>::<project>::[<parent type>$]<type>::<name>`.
pub fn resource_type_from_urn(urn: &str) -> Result<&str, ProviderError> {
    urn_parts(urn).map(|(resource_type, _)| resource_type)
}

/// The resource name of a Pulumi URN (its last part, which may itself contain `::`).
pub fn resource_name_from_urn(urn: &str) -> Result<&str, ProviderError> {
    urn_parts(urn).map(|(_, name)| name)
}

fn urn_parts(urn: &str) -> Result<(&str, &str), ProviderError> {
    let malformed = || {
        ProviderError::invalid_params(
            "urn is not a Pulumi URN of the form urn:pulumi:stack::project::type::name",
        )
    };
    let rest = urn.strip_prefix("urn:pulumi:").ok_or_else(malformed)?;
    // The name (the last part) may itself contain "::", so split only three times.
    let (_stack, rest) = split_at_separator(rest).ok_or_else(malformed)?;
    let (_project, rest) = split_at_separator(rest).ok_or_else(malformed)?;
    let (qualified_type, name) = split_at_separator(rest).ok_or_else(malformed)?;
    let resource_type = qualified_type.rsplit('$').next().unwrap_or(qualified_type);
    if resource_type.is_empty() {
        return Err(malformed());
    }
    Ok((resource_type, name))
}

/// The text before the first `::` and after it (a search for `:`: `str::split_once` sets up a
/// substring searcher, which cost more than the rest of reading the URN).
fn split_at_separator(text: &str) -> Option<(&str, &str)> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(offset) = memchr::memchr(b':', &bytes[from..]) {
        let at = from + offset;
        if bytes.get(at + 1) == Some(&b':') {
            return Some((&text[..at], &text[at + 2..]));
        }
        from = at + 1;
    }
    None
}

/// The resource type token of a `method` request, from its explicit `type` or from its `urn`
/// (both may be given if they agree; an empty `type` counts as absent).
pub fn resource_type(
    method: &str,
    urn: Option<&str>,
    explicit: Option<&str>,
) -> Result<String, ProviderError> {
    let explicit = explicit.filter(|token| !token.is_empty());
    let from_urn = urn.map(resource_type_from_urn).transpose()?;
    match (explicit, from_urn) {
        (Some(explicit), Some(from_urn)) if explicit != from_urn => {
            Err(ProviderError::invalid_params(format!(
                "type {explicit:?} does not match the type in the urn ({from_urn:?}); send one or make them agree"
            )))
        }
        (Some(token), _) | (None, Some(token)) => Ok(token.to_owned()),
        (None, None) => Err(ProviderError::invalid_params(format!(
            "{method} needs the resource type: send urn (urn:pulumi:stack::project::type::name) or type"
        ))),
    }
}

/// The resource name `check` auto-names from: the URN's last part, or else a non-empty `name`.
pub fn resource_name(
    urn: Option<&str>,
    name: Option<String>,
) -> Result<Option<String>, ProviderError> {
    match urn {
        Some(urn) => Ok(Some(resource_name_from_urn(urn)?.to_owned())),
        None => Ok(name.filter(|name| !name.is_empty())),
    }
}

/// The resource id of a `method` request: a non-empty string.
pub fn required_id(method: &str, id: Option<String>) -> Result<String, ProviderError> {
    match id {
        Some(id) if !id.is_empty() => Ok(id),
        _ => Err(ProviderError::invalid_params(format!(
            "{method} needs the resource id (a non-empty string) in the id param"
        ))),
    }
}

/// `timeout`, in seconds as Pulumi sends it (a double). Zero means "no timeout given", which is
/// what Pulumi sends when the user set none; the operation then uses its default.
pub fn timeout(method: &str, seconds: f64) -> Result<Option<Duration>, ProviderError> {
    if seconds == 0.0 {
        return Ok(None);
    }
    if seconds.is_finite() && seconds > 0.0 && seconds < 1e9 {
        return Ok(Some(Duration::from_secs_f64(seconds)));
    }
    Err(ProviderError::invalid_params(format!(
        "timeout in the params of {method} must be a number of seconds between 0 and 1e9"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urns_name_their_type() {
        let table = [
            (
                "urn:pulumi:dev::proj::alicloud-kms:index:ClientKey::key",
                Ok("alicloud-kms:index:ClientKey"),
            ),
            (
                "urn:pulumi:dev::proj::pulumi:pulumi:Stack$alicloud-kms:index:ClientKey::a::b",
                Ok("alicloud-kms:index:ClientKey"),
            ),
            (
                "urn:pulumi:dev::proj::alicloud-kms:index:ClientKey",
                Err(()),
            ),
            ("urn:other:dev::proj::t::n", Err(())),
            ("", Err(())),
        ];
        for (urn, expected) in table {
            assert_eq!(
                resource_type_from_urn(urn).map_err(|_| ()),
                expected,
                "{urn}"
            );
        }
    }

    #[test]
    fn urns_name_their_resource() {
        assert_eq!(
            resource_name_from_urn(
                "urn:pulumi:dev::proj::pulumi:pulumi:Stack$alicloud-kms:index:NetworkRule::a::b"
            )
            .unwrap(),
            "a::b"
        );
        assert!(resource_name_from_urn("urn:pulumi:dev::proj::t").is_err());
        assert_eq!(
            resource_name(None, Some(String::new())).unwrap(),
            None,
            "an empty name is no name"
        );
        assert_eq!(
            resource_name(None, Some("office".into()))
                .unwrap()
                .as_deref(),
            Some("office")
        );
    }

    #[test]
    fn type_and_urn_must_agree() {
        let urn = "urn:pulumi:s::p::alicloud-kms:index:ClientKey::k";
        assert!(resource_type(
            "check",
            Some(urn),
            Some("alicloud-kms:index:ApplicationAccessPoint")
        )
        .is_err());
        assert_eq!(
            resource_type("check", Some(urn), Some("")).unwrap(),
            "alicloud-kms:index:ClientKey"
        );
        assert_eq!(
            resource_type("create", None, None).unwrap_err().to_string(),
            "create needs the resource type: send urn (urn:pulumi:stack::project::type::name) or type"
        );
    }

    #[test]
    fn timeouts_are_seconds_and_zero_means_default() {
        assert_eq!(timeout("create", 0.0).unwrap(), None);
        assert_eq!(
            timeout("create", 1.5).unwrap(),
            Some(Duration::from_millis(1500))
        );
        assert!(timeout("create", -1.0).is_err());
        assert!(timeout("create", f64::NAN).is_err());
    }

    #[test]
    fn ids_are_non_empty() {
        assert_eq!(
            required_id("read", Some("KAAP.1".into())).unwrap(),
            "KAAP.1"
        );
        assert_eq!(
            required_id("read", Some(String::new()))
                .unwrap_err()
                .to_string(),
            "read needs the resource id (a non-empty string) in the id param"
        );
    }
}
