//! The request parameters the `AssumeRole*` actions share (`RoleArn`, `RoleSessionName`,
//! `DurationSeconds`, `Policy`), validated as STS documents them, and the STS error answers about
//! them.

use serde_json::Value;

use super::config;
use crate::error::ApiError;
use crate::params::Params;
use crate::rules;

/// The parameters both `AssumeRole*` actions share, validated as STS documents them.
#[derive(Debug)]
pub(super) struct SessionRequest<'a> {
    pub(super) role_arn: &'a str,
    pub(super) session_name: &'a str,
    pub(super) duration_seconds: u64,
}

pub(super) fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| ApiError::missing_common_parameter(name))
}

pub(super) fn optional<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|value| !value.is_empty())
}

pub(super) fn session_request<'a>(
    params: &'a Params,
    session_name_required: bool,
) -> Result<SessionRequest<'a>, ApiError> {
    let role_arn = required(params, "RoleArn")?;
    let session_name = if session_name_required {
        required(params, "RoleSessionName")?
    } else {
        optional(params, "RoleSessionName").unwrap_or(rules::OIDC_DEFAULT_SESSION_NAME)
    };
    if config::parse_role_arn(role_arn).is_none() {
        return Err(invalid("RoleArn"));
    }
    let (min_length, max_length) = rules::ROLE_SESSION_NAME_LENGTH;
    let session_name_ok = (min_length..=max_length).contains(&session_name.len())
        && session_name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b".@_-".contains(&byte));
    if !session_name_ok {
        return Err(invalid("RoleSessionName"));
    }
    let duration_seconds = match optional(params, "DurationSeconds") {
        None => rules::STS_DEFAULT_DURATION_SECONDS,
        Some(text) => text
            .parse::<u64>()
            .map_err(|_| duration_error(rules::STS_DEFAULT_MAX_SESSION_DURATION_SECONDS))?,
    };
    if duration_seconds < rules::STS_MIN_DURATION_SECONDS {
        return Err(duration_error(
            rules::STS_DEFAULT_MAX_SESSION_DURATION_SECONDS,
        ));
    }
    if let Some(policy) = optional(params, "Policy") {
        check_policy(policy)?;
    }
    Ok(SessionRequest {
        role_arn,
        session_name,
        duration_seconds,
    })
}

fn check_policy(policy: &str) -> Result<(), ApiError> {
    let grammar_error = || {
        ApiError::new(
            400,
            "InvalidParameter.PolicyGrammar",
            "The parameter Policy has not passed grammar check.",
        )
    };
    if policy.chars().count() > rules::STS_POLICY_MAX_LENGTH {
        return Err(grammar_error());
    }
    let document: Value = serde_json::from_str(policy).map_err(|_| grammar_error())?;
    let well_formed = document.get("Version").is_some_and(Value::is_string)
        && document.get("Statement").is_some_and(Value::is_array);
    if !well_formed {
        return Err(grammar_error());
    }
    Ok(())
}

pub(super) fn invalid(parameter: &str) -> ApiError {
    ApiError::new(
        400,
        format!("InvalidParameter.{parameter}"),
        format!("The parameter {parameter} is wrongly formed."),
    )
}

pub(super) fn duration_error(max_seconds: u64) -> ApiError {
    let message = if max_seconds == 3600 {
        "The Min/Max value of DurationSeconds is 15min/1hr.".to_owned()
    } else {
        format!(
            "The Min/Max value of DurationSeconds is {}/{max_seconds} seconds.",
            rules::STS_MIN_DURATION_SECONDS
        )
    };
    ApiError::new(400, "InvalidParameter.DurationSeconds", message)
}

pub(super) fn role_not_found(arn: &str) -> ApiError {
    ApiError::new(
        404,
        "EntityNotExist.Role",
        format!("The role not exists: {arn}."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn session_parameters_are_validated_as_sts_documents_them() {
        let base = [
            ("RoleArn", "acs:ram::123:role/r"),
            ("RoleSessionName", "ci-run_1@x.y"),
        ];
        let base_params = params(&base);
        let ok = session_request(&base_params, true).unwrap();
        assert_eq!(ok.duration_seconds, 3600);
        let code = |extra: &[(&str, &str)]| {
            let mut all = params(&base);
            all.extend(params(extra));
            session_request(&all, true).err().map(|error| error.code)
        };
        assert_eq!(
            code(&[("RoleSessionName", "a")]).unwrap(),
            "InvalidParameter.RoleSessionName"
        );
        assert_eq!(
            code(&[("RoleSessionName", "a*b")]).unwrap(),
            "InvalidParameter.RoleSessionName"
        );
        assert_eq!(
            code(&[("RoleArn", "acs:ram::123:user/r")]).unwrap(),
            "InvalidParameter.RoleArn"
        );
        assert_eq!(
            code(&[("DurationSeconds", "899")]).unwrap(),
            "InvalidParameter.DurationSeconds"
        );
        assert_eq!(
            code(&[("DurationSeconds", "x")]).unwrap(),
            "InvalidParameter.DurationSeconds"
        );
        assert_eq!(
            code(&[("Policy", "{")]).unwrap(),
            "InvalidParameter.PolicyGrammar"
        );
        assert_eq!(
            code(&[("Policy", r#"{"Version":"1"}"#)]).unwrap(),
            "InvalidParameter.PolicyGrammar"
        );
        assert!(code(&[("Policy", r#"{"Version":"1","Statement":[]}"#)]).is_none());
        assert!(code(&[("DurationSeconds", "900")]).is_none());
        let without_session_name = params(&base[..1]);
        let missing = session_request(&without_session_name, true).unwrap_err();
        assert_eq!(missing.code, "MissingRoleSessionName");
    }
}
