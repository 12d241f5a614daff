//! OIDC tokens: reading the claims of a JWT (`iss`, `aud`, `exp`, `sub`, `iat`), and minting
//! unsigned JWT-shaped test tokens. The emulator cannot check an IdP's signature; an
//! [`OidcProvider`](super::config::OidcProvider) with a token list stands in for that check.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// The claims `AssumeRoleWithOIDC` looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// `iss`.
    pub issuer: String,
    /// `aud`: one string or a list.
    pub audiences: Vec<String>,
    /// `exp`, seconds since the epoch.
    pub expires_at: i64,
    /// `iat`, if present.
    pub issued_at: Option<i64>,
    /// `sub`, if present.
    pub subject: Option<String>,
}

/// Reads the claims of a compact JWT (`header.payload.signature`, base64url). `None` when the
/// token is not one, or lacks `iss`, `aud` or `exp`.
pub fn parse_claims(token: &str) -> Option<Claims> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let issuer = claims.get("iss")?.as_str()?.to_owned();
    let audiences = match claims.get("aud")? {
        Value::String(audience) => vec![audience.clone()],
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()?,
        _ => return None,
    };
    let expires_at = claims.get("exp")?.as_i64()?;
    Some(Claims {
        issuer,
        audiences,
        expires_at,
        issued_at: claims.get("iat").and_then(Value::as_i64),
        subject: claims.get("sub").and_then(Value::as_str).map(str::to_owned),
    })
}

/// A JWT-shaped token with these claims and a placeholder signature, for tests: it satisfies an
/// OIDC provider with no token list whose issuer and client ID match.
pub fn mint_unsigned_token(
    issuer: &str,
    audience: &str,
    subject: &str,
    issued_at: DateTime<Utc>,
    lifetime_seconds: i64,
) -> String {
    let encode = |value: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string().as_bytes())
    };
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": "kms-emulator-test"});
    let claims = json!({
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "iat": issued_at.timestamp(),
        "exp": issued_at.timestamp() + lifetime_seconds,
        // A unique id, so that two tokens minted in the same second differ.
        "jti": crate::ids::uuid_v4(),
    });
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(b"not signed: made by kms-emulator for tests");
    format!("{}.{}.{signature}", encode(&header), encode(&claims))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_parse_back() {
        let now = Utc::now();
        let token = mint_unsigned_token("https://issuer", "sts.aliyuncs.com", "pod", now, 60);
        let claims = parse_claims(&token).unwrap();
        assert_eq!(claims.issuer, "https://issuer");
        assert_eq!(claims.audiences, ["sts.aliyuncs.com"]);
        assert_eq!(claims.expires_at, now.timestamp() + 60);
        assert_eq!(claims.subject.as_deref(), Some("pod"));
    }

    #[test]
    fn audience_lists_and_garbage() {
        let encode = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
        let token = format!(
            "{}.{}.sig",
            encode("{}"),
            encode(r#"{"iss":"i","aud":["a","b"],"exp":5}"#)
        );
        assert_eq!(parse_claims(&token).unwrap().audiences, ["a", "b"]);
        assert!(parse_claims("not-a-jwt").is_none());
        assert!(parse_claims("a.b").is_none());
        assert!(parse_claims("a.b.c.d").is_none());
        let no_exp = format!(
            "{}.{}.sig",
            encode("{}"),
            encode(r#"{"iss":"i","aud":"a"}"#)
        );
        assert!(parse_claims(&no_exp).is_none());
    }
}
