//! Turns the region, endpoint and protocol settings into a host and a scheme.
//!
//! The endpoint is a host with an optional port (`kms.cn-hangzhou.aliyuncs.com`,
//! `127.0.0.1:8080`); an `http://` or `https://` prefix is accepted and then sets the scheme, which
//! must agree with `protocol` if that is given too. Without an endpoint, the host is
//! `kms.<region>.aliyuncs.com`. The protocol is `HTTPS` (default) or `HTTP`, in any case.

use crate::kms::credentials::CredentialsError;

/// `https` or `http`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// The default, and the only one the real service should be spoken to with.
    Https,
    /// For a local emulator.
    Http,
}

impl Scheme {
    /// `"https"` or `"http"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
        }
    }
}

/// Checks that a region id can be part of a host name.
pub(crate) fn validate_region(region: &str) -> Result<(), CredentialsError> {
    let valid = !region.is_empty()
        && region
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
    if valid {
        Ok(())
    } else {
        Err(CredentialsError::InvalidRegion {
            region: region.to_owned(),
        })
    }
}

/// Reads the `protocol` setting.
pub(crate) fn parse_protocol(protocol: Option<&str>) -> Result<Option<Scheme>, CredentialsError> {
    match protocol {
        None => Ok(None),
        Some(protocol) if protocol.eq_ignore_ascii_case("https") => Ok(Some(Scheme::Https)),
        Some(protocol) if protocol.eq_ignore_ascii_case("http") => Ok(Some(Scheme::Http)),
        Some(protocol) => Err(CredentialsError::InvalidProtocol {
            protocol: protocol.to_owned(),
        }),
    }
}

/// The default host of a region.
pub(crate) fn regional_host(region: &str) -> String {
    format!("kms.{region}.aliyuncs.com")
}

/// Splits an endpoint setting into a host (with optional port) and a scheme.
pub(crate) fn parse_endpoint(
    endpoint: &str,
    protocol_scheme: Option<Scheme>,
) -> Result<(String, Scheme), CredentialsError> {
    let invalid = |problem: &str| CredentialsError::InvalidEndpoint {
        endpoint: endpoint.to_owned(),
        problem: problem.to_owned(),
    };
    let trimmed = endpoint.trim();
    let (host, endpoint_scheme) = if let Some(rest) = strip_prefix_ignore_case(trimmed, "https://")
    {
        (rest, Some(Scheme::Https))
    } else if let Some(rest) = strip_prefix_ignore_case(trimmed, "http://") {
        (rest, Some(Scheme::Http))
    } else if trimmed.contains("://") {
        return Err(invalid("only http:// and https:// are supported"));
    } else {
        (trimmed, None)
    };
    let host = host.strip_suffix('/').unwrap_or(host);
    if host.is_empty() {
        return Err(invalid("the host is empty"));
    }
    let valid_host = host.bytes().all(|byte| {
        byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b':' | b'[' | b']' | b'_')
    });
    if !valid_host {
        return Err(invalid(
            "it must be a host with an optional port, without a path, query or user name",
        ));
    }
    let scheme = match (endpoint_scheme, protocol_scheme) {
        (Some(from_endpoint), Some(from_protocol)) if from_endpoint != from_protocol => {
            return Err(invalid("its scheme disagrees with the protocol setting"));
        }
        (Some(scheme), _) | (None, Some(scheme)) => scheme,
        (None, None) => Scheme::Https,
    };
    Ok((host.to_owned(), scheme))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}
