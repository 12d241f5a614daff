//! The service's parameter rules: required values, names, passwords, times, JSON lists, paging.

use std::net::Ipv4Addr;

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::error::ApiError;
use crate::params::Params;
use crate::rules;

/// The time format of the API: `yyyy-MM-ddTHH:mm:ssZ`, UTC.
pub const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// A required action parameter; absent or empty is `MissingParameter`.
pub fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    match params.get(name).map(String::as_str) {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(ApiError::missing_parameter(name)),
    }
}

/// An optional action parameter; empty counts as given (an empty description is a value).
pub fn optional<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.get(name).map(String::as_str)
}

/// An AAP, policy or network rule name.
pub fn check_name(parameter: &str, name: &str) -> Result<(), ApiError> {
    let length = name.chars().count();
    if length > rules::NAME_MAX_LENGTH {
        return Err(ApiError::invalid_parameter(
            parameter,
            &format!(
                "A name is at most {} characters long.",
                rules::NAME_MAX_LENGTH
            ),
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || rules::NAME_EXTRA_CHARACTERS.contains(c))
    {
        return Err(ApiError::invalid_parameter(
            parameter,
            &format!(
                "A name may contain only letters, digits and the characters {}.",
                rules::NAME_EXTRA_CHARACTERS
            ),
        ));
    }
    Ok(())
}

/// The client key password rule (docs/kms-api.md §5.1).
pub fn check_password(password: &str) -> Result<(), ApiError> {
    let (shortest, longest) = rules::PASSWORD_LENGTH;
    let length = password.chars().count();
    let explain = format!(
        "The password must be {shortest} to {longest} characters long, use only letters, digits and {}, and contain at least two of: digits, letters, special characters.",
        rules::PASSWORD_SPECIAL_CHARACTERS
    );
    if length < shortest || length > longest {
        return Err(ApiError::invalid_parameter("Password", &explain));
    }
    let mut classes = [false; 4];
    for c in password.chars() {
        let class = if c.is_ascii_digit() {
            0
        } else if c.is_ascii_lowercase() {
            1
        } else if c.is_ascii_uppercase() {
            if rules::PASSWORD_CASES_ARE_SEPARATE_CLASSES {
                2
            } else {
                1
            }
        } else if rules::PASSWORD_SPECIAL_CHARACTERS.contains(c) {
            3
        } else {
            return Err(ApiError::invalid_parameter("Password", &explain));
        };
        classes[class] = true;
    }
    if classes.iter().filter(|&&present| present).count() < 2 {
        return Err(ApiError::invalid_parameter("Password", &explain));
    }
    Ok(())
}

/// Parses an API time (`yyyy-MM-ddTHH:mm:ssZ`, nothing else).
pub fn parse_api_time(text: &str) -> Option<DateTime<Utc>> {
    let shape_ok = text.len() == 20
        && text.bytes().enumerate().all(|(index, byte)| match index {
            4 | 7 => byte == b'-',
            10 => byte == b'T',
            13 | 16 => byte == b':',
            19 => byte == b'Z',
            _ => byte.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    NaiveDateTime::parse_from_str(text, TIME_FORMAT)
        .ok()
        .map(|naive| naive.and_utc())
}

/// Formats a time the API's way.
pub fn format_api_time(time: DateTime<Utc>) -> String {
    time.format(TIME_FORMAT).to_string()
}

/// A time parameter of an action.
pub fn time_parameter(parameter: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    parse_api_time(text).ok_or_else(|| {
        ApiError::invalid_parameter(
            parameter,
            "A time must be in the format yyyy-MM-ddTHH:mm:ssZ (UTC), e.g. 2023-09-01T14:11:22Z.",
        )
    })
}

/// A parameter holding a JSON array of strings, e.g. `["a","b"]`.
pub fn string_list(parameter: &str, text: &str) -> Result<Vec<String>, ApiError> {
    serde_json::from_str::<Vec<String>>(text).map_err(|_| {
        ApiError::invalid_parameter(
            parameter,
            "The value must be a JSON array of strings, e.g. [\"a\",\"b\"].",
        )
    })
}

/// Refuses a list with a repeated element.
pub fn no_duplicates(parameter: &str, items: &[String]) -> Result<(), ApiError> {
    for (index, item) in items.iter().enumerate() {
        if items[..index].contains(item) {
            return Err(ApiError::invalid_parameter(
                parameter,
                &format!("\"{item}\" is listed more than once."),
            ));
        }
    }
    Ok(())
}

/// The `Policies` of an AAP: a JSON array of names, within the documented count.
pub fn access_point_policies(text: &str) -> Result<Vec<String>, ApiError> {
    let policies = string_list("Policies", text)?;
    if policies.len() > rules::MAX_POLICIES_PER_ACCESS_POINT {
        return Err(ApiError::invalid_parameter(
            "Policies",
            &format!(
                "An application access point has at most {} policies.",
                rules::MAX_POLICIES_PER_ACCESS_POINT
            ),
        ));
    }
    if policies.is_empty() && !rules::ALLOW_EMPTY_POLICY_LIST {
        return Err(ApiError::invalid_parameter(
            "Policies",
            "At least one policy is needed.",
        ));
    }
    no_duplicates("Policies", &policies)?;
    for policy in &policies {
        if policy.is_empty() {
            return Err(ApiError::invalid_parameter(
                "Policies",
                "A policy name cannot be empty.",
            ));
        }
        if rules::CHECK_REFERENCED_POLICY_NAME_SYNTAX {
            check_name("Policies", policy)?;
        } else if policy.chars().count() > rules::NAME_MAX_LENGTH {
            return Err(ApiError::invalid_parameter(
                "Policies",
                &format!(
                    "A policy name has at most {} characters.",
                    rules::NAME_MAX_LENGTH
                ),
            ));
        }
    }
    Ok(policies)
}

/// `SourcePrivateIp`: a JSON array (what every example and Terraform send) or a comma-separated
/// list (what one sentence of the doc says) of IPv4 addresses and CIDR blocks.
pub fn source_private_ips(text: &str) -> Result<Vec<String>, ApiError> {
    let items: Vec<String> = if text.trim_start().starts_with('[') {
        string_list("SourcePrivateIp", text)?
    } else {
        text.split(',').map(|item| item.trim().to_owned()).collect()
    };
    if items.is_empty() {
        return Err(ApiError::invalid_parameter(
            "SourcePrivateIp",
            "At least one IP address or CIDR block is needed.",
        ));
    }
    for item in &items {
        let (address, prefix) = match item.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (item.as_str(), None),
        };
        let prefix_ok =
            prefix.is_none_or(|prefix| prefix.parse::<u8>().is_ok_and(|bits| bits <= 32));
        if address.parse::<Ipv4Addr>().is_err() || !prefix_ok {
            return Err(ApiError::invalid_parameter(
                "SourcePrivateIp",
                &format!("\"{item}\" is not an IPv4 address or CIDR block such as 192.168.0.0/24."),
            ));
        }
    }
    no_duplicates("SourcePrivateIp", &items)?;
    Ok(items)
}

/// The RBAC templates a policy may grant.
pub const PERMISSION_TEMPLATES: [&str; 2] = [
    "RbacPermission/Template/CryptoServiceKeyUser",
    "RbacPermission/Template/CryptoServiceSecretUser",
];

/// A policy's `Permissions`.
pub fn policy_permissions(text: &str) -> Result<Vec<String>, ApiError> {
    let permissions = string_list("Permissions", text)?;
    if permissions.is_empty() && !rules::ALLOW_EMPTY_PERMISSIONS {
        return Err(ApiError::invalid_parameter(
            "Permissions",
            "At least one permission is needed.",
        ));
    }
    for permission in &permissions {
        if !PERMISSION_TEMPLATES.contains(&permission.as_str()) {
            return Err(ApiError::invalid_parameter(
                "Permissions",
                &format!(
                    "\"{permission}\" is not one of {}.",
                    PERMISSION_TEMPLATES.join(", ")
                ),
            ));
        }
    }
    if !rules::KEEP_REPEATED_PERMISSIONS {
        no_duplicates("Permissions", &permissions)?;
    }
    Ok(permissions)
}

/// A policy's `Resources`: `key/…` or `secret/…` patterns.
pub fn policy_resources(text: &str) -> Result<Vec<String>, ApiError> {
    let resources = string_list("Resources", text)?;
    if resources.is_empty() {
        return Err(ApiError::invalid_parameter(
            "Resources",
            "At least one resource is needed.",
        ));
    }
    for resource in &resources {
        let pattern_ok = ["key/", "secret/"].iter().any(|prefix| {
            resource
                .strip_prefix(prefix)
                .is_some_and(|rest| !rest.is_empty())
        });
        if !pattern_ok {
            return Err(ApiError::invalid_parameter(
                "Resources",
                &format!("\"{resource}\" is not of the form key/<KeyId>, key/*, secret/<SecretName> or secret/*."),
            ));
        }
    }
    no_duplicates("Resources", &resources)?;
    Ok(resources)
}

/// A policy's `AccessControlRules`: `{"NetworkRules":["name", ...]}`; returns the rule names.
pub fn access_control_rules(text: &str) -> Result<Vec<String>, ApiError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct AccessControlRules {
        #[serde(rename = "NetworkRules", default)]
        network_rules: Vec<String>,
    }
    let rules: AccessControlRules = serde_json::from_str(text).map_err(|_| {
        ApiError::invalid_parameter(
            "AccessControlRules",
            "The value must be a JSON object such as {\"NetworkRules\":[\"rule_name\"]}.",
        )
    })?;
    no_duplicates("AccessControlRules", &rules.network_rules)?;
    Ok(rules.network_rules)
}

/// Encodes a list the way the API returns it inside a string: compact JSON.
pub fn compact_json_list(items: &[String]) -> String {
    serde_json::to_string(items)
        .unwrap_or_else(|_| unreachable!("a list of strings always serialises"))
}

/// `PageNumber` and `PageSize` of a List* action, with their defaults and bounds.
pub fn paging(params: &Params) -> Result<(u64, u64), ApiError> {
    let number = |name: &str, default: u64| -> Result<u64, ApiError> {
        match params.get(name) {
            None => Ok(default),
            Some(text) => text.parse::<u64>().map_err(|_| {
                ApiError::invalid_parameter(name, "The value must be a positive whole number.")
            }),
        }
    };
    let page_number = number("PageNumber", 1)?;
    let page_size = number("PageSize", rules::PAGE_SIZE_DEFAULT)?;
    if page_number == 0 {
        return Err(ApiError::invalid_parameter(
            "PageNumber",
            "Pages are numbered from 1.",
        ));
    }
    if !(1..=rules::PAGE_SIZE_MAX).contains(&page_size) {
        return Err(ApiError::invalid_parameter(
            "PageSize",
            &format!("The page size is 1 to {}.", rules::PAGE_SIZE_MAX),
        ));
    }
    Ok((page_number, page_size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_follow_the_documented_rule() {
        for good in [
            "YouPassword123!",
            "abcdefg1",
            "abcdefg!",
            "12345678~",
            &format!("a1{}", "b".repeat(62)),
        ] {
            assert!(check_password(good).is_ok(), "{good} should be accepted");
        }
        for bad in [
            "short1!",
            "abcdefgh",
            "ABCDefgh",
            "12345678",
            "!!!!!!!!",
            "abcdefg1 ",
            "abcdefg1+",
            &"a1".repeat(33),
        ] {
            assert_eq!(
                check_password(bad).unwrap_err().code,
                "InvalidParameter",
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn api_times_are_strict() {
        assert!(parse_api_time("2023-09-01T14:11:22Z").is_some());
        for bad in [
            "2023-09-01T14:11:22",
            "2023-09-01T14:11:22.5Z",
            "2023-9-01T14:11:22Z",
            "2023-09-01 14:11:22Z",
            "2023-02-30T00:00:00Z",
            "2023-09-01T14:11:22+00:00",
        ] {
            assert!(parse_api_time(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn source_private_ips_accept_json_and_commas() {
        assert_eq!(
            source_private_ips("[\"10.0.0.1\",\"192.168.0.0/24\"]").unwrap(),
            ["10.0.0.1", "192.168.0.0/24"]
        );
        assert_eq!(
            source_private_ips("10.0.0.1, 10.0.0.2").unwrap(),
            ["10.0.0.1", "10.0.0.2"]
        );
        assert!(source_private_ips("[\"10.0.0.300\"]").is_err());
        assert!(source_private_ips("10.0.0.0/33").is_err());
    }

    #[test]
    fn policies_are_bounded_and_unique() {
        assert_eq!(
            access_point_policies("[\"a\",\"b\",\"c\"]").unwrap().len(),
            3
        );
        assert!(access_point_policies("[\"a\",\"b\",\"c\",\"d\"]").is_err());
        assert!(access_point_policies("[\"a\",\"a\"]").is_err());
        assert!(access_point_policies("[]").is_err());
        assert!(access_point_policies("a,b").is_err());
    }
}
