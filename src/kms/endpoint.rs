//! Turns the region, endpoint and protocol settings into a host and a scheme, and checks their
//! syntax (the same functions serve `checkConfig`, `configure` and the client).
//!
//! An endpoint is `host[:port]` or `http(s)://host[:port]`, optionally with one trailing `/`: no
//! user name or password, no path, no query, no fragment. The scheme of a URL must agree with
//! `protocol` when both are given. A host is a DNS name or an IPv4 address (letters, digits, `.`,
//! `-`, `_`), or an IPv6 address in brackets; a port is a number from 1 to 65535. Without an
//! endpoint the KMS host is `kms.<region>.aliyuncs.com` (and the STS host `sts.<region>...`).
//!
//! Messages never repeat a part of a value that may hold a secret: what they quote goes through
//! [`redact_url`], which replaces the user information, the query and the fragment with `***`.

use std::fmt;

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

    fn protocol_name(self) -> &'static str {
        match self {
            Scheme::Https => "HTTPS",
            Scheme::Http => "HTTP",
        }
    }
}

/// What is wrong with an endpoint. `Display` completes a sentence that starts with the setting's
/// name ("endpoint must not have a path (...)") and quotes only the redacted value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointProblem {
    /// Nothing but spaces, or nothing at all.
    Empty,
    /// White space inside.
    Whitespace,
    /// A URL scheme other than http and https (`scheme` is `None` when it is not even a word).
    UnsupportedScheme { scheme: Option<String> },
    /// `user:password@`.
    UserInfo { redacted: String },
    /// `/something`.
    Path { redacted: String },
    /// `?...`.
    Query { redacted: String },
    /// `#...`.
    Fragment { redacted: String },
    /// No host before the port or the end.
    EmptyHost,
    /// Characters a host cannot have.
    InvalidHost { redacted: String },
    /// A port that is not a number from 1 to 65535.
    InvalidPort { redacted: String },
    /// `http://` with `protocol: HTTPS`, or the other way round.
    SchemeDisagreesWithProtocol { endpoint: Scheme, protocol: Scheme },
}

impl fmt::Display for EndpointProblem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHAPE: &str = "host[:port] or http(s)://host[:port]";
        const ONLY_HOST: &str = "give only the host and an optional port";
        match self {
            EndpointProblem::Empty => write!(formatter, "must not be empty"),
            EndpointProblem::Whitespace => {
                write!(formatter, "must be {SHAPE} without spaces")
            }
            EndpointProblem::UnsupportedScheme {
                scheme: Some(scheme),
            } => write!(formatter, "must be {SHAPE}, not a {scheme}:// URL"),
            EndpointProblem::UnsupportedScheme { scheme: None } => {
                write!(formatter, "must be {SHAPE}, with http:// or https:// if any")
            }
            EndpointProblem::UserInfo { redacted } => write!(
                formatter,
                "must not contain a user name or password ({redacted}); put the access key in accessKey and secretKey"
            ),
            EndpointProblem::Path { redacted } => {
                write!(formatter, "must not have a path ({redacted}); {ONLY_HOST}")
            }
            EndpointProblem::Query { redacted } => {
                write!(formatter, "must not have a query ({redacted}); {ONLY_HOST}")
            }
            EndpointProblem::Fragment { redacted } => {
                write!(formatter, "must not have a fragment ({redacted}); {ONLY_HOST}")
            }
            EndpointProblem::EmptyHost => write!(formatter, "must name a host ({SHAPE})"),
            EndpointProblem::InvalidHost { redacted } => write!(
                formatter,
                "has an invalid host ({redacted}): use a DNS name, an IPv4 address or an IPv6 address in brackets"
            ),
            EndpointProblem::InvalidPort { redacted } => write!(
                formatter,
                "has an invalid port ({redacted}): use a number from 1 to 65535"
            ),
            EndpointProblem::SchemeDisagreesWithProtocol { endpoint, protocol } => write!(
                formatter,
                "starts with {}:// but protocol is {}; make them agree, or leave protocol out",
                endpoint.as_str(),
                protocol.protocol_name()
            ),
        }
    }
}

impl EndpointProblem {
    /// Whether the problem is with `protocol` rather than with the endpoint's own syntax.
    pub fn is_protocol_conflict(&self) -> bool {
        matches!(self, EndpointProblem::SchemeDisagreesWithProtocol { .. })
    }
}

/// A parsed endpoint: the `host[:port]` requests go to, and the scheme its URL named, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEndpoint {
    /// `host` or `host:port`, exactly as given (no scheme, no slash).
    pub host: String,
    /// The scheme of an `http://` or `https://` prefix.
    pub scheme: Option<Scheme>,
}

/// Checks that a region id can be part of a host name: lower-case letters and digits in words
/// joined by single hyphens (`cn-hangzhou`, `ap-southeast-1`), at most 64 characters.
pub fn is_valid_region(region: &str) -> bool {
    region.len() <= 64
        && !region.is_empty()
        && region.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
        })
        && region.as_bytes()[0].is_ascii_lowercase()
}

/// The reason for an invalid region, completing "region must ...".
pub const REGION_RULE: &str =
    "be a region id such as cn-hangzhou: lower-case letters and digits in words joined by single hyphens";

/// Reads the `protocol` setting (`HTTPS` or `HTTP`, any case).
pub fn parse_protocol(protocol: &str) -> Option<Scheme> {
    if protocol.eq_ignore_ascii_case("https") {
        Some(Scheme::Https)
    } else if protocol.eq_ignore_ascii_case("http") {
        Some(Scheme::Http)
    } else {
        None
    }
}

/// The default KMS host of a region.
pub(crate) fn regional_host(region: &str) -> String {
    format!("kms.{region}.aliyuncs.com")
}

/// Parses an endpoint setting (see the module docs for the accepted shapes).
pub fn parse_endpoint(endpoint: &str) -> Result<ParsedEndpoint, EndpointProblem> {
    if endpoint.trim().is_empty() {
        return Err(EndpointProblem::Empty);
    }
    if endpoint.chars().any(char::is_whitespace) {
        return Err(EndpointProblem::Whitespace);
    }
    let redacted = || redact_url(endpoint);
    let (scheme, rest) = match endpoint.find("://") {
        Some(index) => {
            let name = &endpoint[..index];
            let scheme = if name.eq_ignore_ascii_case("https") {
                Scheme::Https
            } else if name.eq_ignore_ascii_case("http") {
                Scheme::Http
            } else {
                let is_word = !name.is_empty()
                    && name.len() <= 16
                    && name.as_bytes()[0].is_ascii_alphabetic()
                    && name.bytes().all(|byte| {
                        byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'-' | b'.')
                    });
                return Err(EndpointProblem::UnsupportedScheme {
                    scheme: is_word.then(|| name.to_ascii_lowercase()),
                });
            };
            (Some(scheme), &endpoint[index + 3..])
        }
        None => (None, endpoint),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if authority.contains('@') {
        return Err(EndpointProblem::UserInfo {
            redacted: redacted(),
        });
    }
    // One trailing slash is harmless (`https://host/`); anything after it is a path.
    let tail = tail.strip_prefix('/').map_or(tail, |after| {
        if after.is_empty() || after.starts_with(['?', '#']) {
            after
        } else {
            tail
        }
    });
    match tail.as_bytes().first() {
        None => {}
        Some(b'/') => {
            return Err(EndpointProblem::Path {
                redacted: redacted(),
            })
        }
        Some(b'?') => {
            return Err(EndpointProblem::Query {
                redacted: redacted(),
            })
        }
        Some(_) => {
            return Err(EndpointProblem::Fragment {
                redacted: redacted(),
            })
        }
    }
    let (host, port) = split_host_port(authority).ok_or_else(|| EndpointProblem::InvalidHost {
        redacted: redacted(),
    })?;
    if host.is_empty() {
        return Err(EndpointProblem::EmptyHost);
    }
    if !is_valid_host(host) {
        return Err(EndpointProblem::InvalidHost {
            redacted: redacted(),
        });
    }
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|byte| byte.is_ascii_digit())
            && port
                .parse::<u32>()
                .is_ok_and(|number| (1..=65535).contains(&number));
        if !valid {
            return Err(EndpointProblem::InvalidPort {
                redacted: redacted(),
            });
        }
    }
    Ok(ParsedEndpoint {
        host: authority.to_owned(),
        scheme,
    })
}

/// Parses an endpoint and settles its scheme with the `protocol` setting: the URL's scheme, else
/// the protocol, else HTTPS.
pub fn endpoint_with_scheme(
    endpoint: &str,
    protocol: Option<Scheme>,
) -> Result<(String, Scheme), EndpointProblem> {
    let parsed = parse_endpoint(endpoint)?;
    let scheme = match (parsed.scheme, protocol) {
        (Some(from_endpoint), Some(from_protocol)) if from_endpoint != from_protocol => {
            return Err(EndpointProblem::SchemeDisagreesWithProtocol {
                endpoint: from_endpoint,
                protocol: from_protocol,
            });
        }
        (Some(scheme), _) | (None, Some(scheme)) => scheme,
        (None, None) => Scheme::Https,
    };
    Ok((parsed.host, scheme))
}

/// `host` and the text after its `:`, if any; `None` for a malformed bracketed address or more
/// than one colon outside brackets.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(inside) = authority.strip_prefix('[') {
        let close = inside.find(']')?;
        let address = &inside[..close];
        let after = &inside[close + 1..];
        let valid_address = !address.is_empty()
            && address
                .bytes()
                .all(|byte| byte.is_ascii_hexdigit() || matches!(byte, b':' | b'.'));
        if !valid_address {
            return None;
        }
        let host = &authority[..close + 2];
        return match after.strip_prefix(':') {
            Some(port) => Some((host, Some(port))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match authority.split_once(':') {
        Some((_, port)) if port.contains(':') => None,
        Some((host, port)) => Some((host, Some(port))),
        None => Some((authority, None)),
    }
}

fn is_valid_host(host: &str) -> bool {
    if host.starts_with('[') {
        return true; // checked by `split_host_port`
    }
    host.len() <= 253
        && !host.starts_with(['.', '-'])
        && !host.ends_with('-')
        && !host.contains("..")
        && host
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_'))
}

/// What a message may quote of a URL that is itself a secret setting (a credentials URI may
/// carry a token anywhere: in its user part, path or query): `scheme://host[:port]` and nothing
/// more, the port only when it is a number; `None` when the value has no recognisable scheme and
/// host, and then nothing of it is quoted.
pub fn url_origin(value: &str) -> Option<String> {
    let (scheme, rest) = value.split_once("://")?;
    let scheme_is_word = !scheme.is_empty()
        && scheme.len() <= 16
        && scheme
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'-' | b'.'));
    if !scheme_is_word {
        return None;
    }
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let (host, port) = match host_port.rfind(':') {
        Some(colon) if !host_port[colon..].contains(']') => {
            (&host_port[..colon], Some(&host_port[colon + 1..]))
        }
        _ => (host_port, None),
    };
    let host_is_plain = host.bytes().all(|byte| {
        byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_' | b'[' | b']' | b':')
    });
    // A port that is not a number is not quoted: it may be where the secret is.
    let port = port
        .filter(|port| {
            !port.is_empty() && port.len() <= 5 && port.bytes().all(|byte| byte.is_ascii_digit())
        })
        .map(|port| format!(":{port}"))
        .unwrap_or_default();
    host_is_plain.then(|| format!("{}://{host}{port}", scheme.to_ascii_lowercase()))
}

/// A URL-like value fit to quote in a message: the user information (before `@`), the query and
/// the fragment are replaced with `***`; the scheme, host, port and path stay.
pub fn redact_url(value: &str) -> String {
    let (scheme, rest) = match value.find("://") {
        Some(index) => value.split_at(index + 3),
        None => ("", value),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let mut redacted = String::with_capacity(value.len());
    redacted.push_str(scheme);
    match authority.rfind('@') {
        Some(at) => {
            redacted.push_str("***");
            redacted.push_str(&authority[at..]);
        }
        None => redacted.push_str(authority),
    }
    let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
    redacted.push_str(&tail[..path_end]);
    let after_path = &tail[path_end..];
    if after_path.starts_with('?') {
        redacted.push_str("?***");
        if after_path.contains('#') {
            redacted.push_str("#***");
        }
    } else if after_path.starts_with('#') {
        redacted.push_str("#***");
    }
    redacted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_shapes() {
        let cases = [
            (
                "kms.cn-hangzhou.aliyuncs.com",
                "kms.cn-hangzhou.aliyuncs.com",
                None,
            ),
            ("127.0.0.1:8080", "127.0.0.1:8080", None),
            (
                "HTTP://127.0.0.1:8080/",
                "127.0.0.1:8080",
                Some(Scheme::Http),
            ),
            (
                "https://kms.example.com",
                "kms.example.com",
                Some(Scheme::Https),
            ),
            ("[::1]:8080", "[::1]:8080", None),
            ("http://[fe80::1]", "[fe80::1]", Some(Scheme::Http)),
            ("my_host.internal:1", "my_host.internal:1", None),
        ];
        for (input, host, scheme) in cases {
            let parsed = parse_endpoint(input).unwrap_or_else(|error| panic!("{input}: {error}"));
            assert_eq!(parsed.host, host, "{input}");
            assert_eq!(parsed.scheme, scheme, "{input}");
        }
    }

    #[test]
    fn refused_shapes_never_quote_a_secret() {
        let cases = [
            ("", "must not be empty"),
            ("local host", "without spaces"),
            ("ftp://h", "not a ftp:// URL"),
            ("file:///etc/passwd", "not a file:// URL"),
            ("1+1 ://h", "without spaces"),
            ("%%://h", "with http:// or https:// if any"),
            ("http://id:pw-secret@h", "(http://***@h)"),
            ("pw-secret@h:1", "(***@h:1)"),
            ("h/path", "must not have a path (h/path)"),
            ("h//", "must not have a path"),
            ("h?k=pw-secret", "must not have a query (h?***)"),
            ("h/?k=pw-secret#x", "(h/?***#***)"),
            ("h#pw-secret", "must not have a fragment (h#***)"),
            (":80", "must name a host"),
            ("h:0", "invalid port"),
            ("h:65536", "invalid port"),
            ("h:", "invalid port"),
            ("h:8a", "invalid port"),
            ("a:b:c", "invalid host"),
            ("[zz]:1", "invalid host"),
            ("bad!host", "invalid host"),
            ("-h", "invalid host"),
        ];
        for (input, fragment) in cases {
            let problem = parse_endpoint(input).expect_err(input);
            let text = problem.to_string();
            assert!(text.contains(fragment), "{input}: {text}");
            assert!(!text.contains("pw-secret"), "{input}: {text}");
        }
    }

    #[test]
    fn the_scheme_must_agree_with_the_protocol() {
        assert_eq!(
            endpoint_with_scheme("h", None).unwrap(),
            ("h".to_owned(), Scheme::Https)
        );
        assert_eq!(
            endpoint_with_scheme("h", Some(Scheme::Http)).unwrap(),
            ("h".to_owned(), Scheme::Http)
        );
        assert_eq!(
            endpoint_with_scheme("http://h", Some(Scheme::Http)).unwrap(),
            ("h".to_owned(), Scheme::Http)
        );
        let problem = endpoint_with_scheme("http://h", Some(Scheme::Https)).unwrap_err();
        assert!(problem.is_protocol_conflict());
        assert_eq!(
            problem.to_string(),
            "starts with http:// but protocol is HTTPS; make them agree, or leave protocol out"
        );
    }

    #[test]
    fn region_syntax() {
        for valid in [
            "cn-hangzhou",
            "ap-southeast-1",
            "us-west-1",
            "cn-hangzhou-finance",
            "me1",
        ] {
            assert!(is_valid_region(valid), "{valid}");
        }
        for invalid in [
            "",
            "CN-hangzhou",
            "cn_hangzhou",
            "cn--x",
            "-cn",
            "cn-",
            "1cn",
            "cn.x",
        ] {
            assert!(!is_valid_region(invalid), "{invalid}");
        }
    }

    #[test]
    fn a_secret_url_is_quoted_as_its_origin_only() {
        let cases = [
            (
                "http://127.0.0.1:9/creds/TOKEN?k=TOKEN",
                Some("http://127.0.0.1:9"),
            ),
            (
                "HTTPS://user:TOKEN@host.example/x",
                Some("https://host.example"),
            ),
            ("file:///var/TOKEN", Some("file://")),
            ("TOKEN", None),
            ("http://TO KEN/", None),
            ("::TOKEN", None),
        ];
        for (value, expected) in cases {
            assert_eq!(url_origin(value).as_deref(), expected, "{value}");
        }
    }

    #[test]
    fn redaction_keeps_host_and_path_only() {
        assert_eq!(
            redact_url("https://u:p@h:1/a?b=c#d"),
            "https://***@h:1/a?***#***"
        );
        assert_eq!(redact_url("h#d"), "h#***");
        assert_eq!(redact_url("plain"), "plain");
    }
}
