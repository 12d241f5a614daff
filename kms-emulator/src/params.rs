//! Request parameters: strict `application/x-www-form-urlencoded` decoding of the query string
//! and the body, merged into one sorted map.
//!
//! The decoder is strict on purpose (a lenient one would silently sign something other than what
//! the client signed): a `%` must start a two-digit hex escape, the decoded bytes must be UTF-8,
//! and a name may appear only once across the query and the body.

use std::collections::BTreeMap;

use crate::rules;

/// Decoded request parameters, sorted by name (byte order).
pub type Params = BTreeMap<String, String>;

/// Why the parameters could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// A `%` not followed by two hex digits.
    #[error("the {source_name} contains a malformed percent-escape at byte {offset}")]
    MalformedEscape {
        /// `query string` or `form body`.
        source_name: &'static str,
        /// Byte offset of the `%`.
        offset: usize,
    },
    /// Decoded bytes that are not UTF-8.
    #[error("the {source_name} contains a name or value that is not valid UTF-8 once decoded")]
    InvalidUtf8 {
        /// `query string` or `form body`.
        source_name: &'static str,
    },
    /// A pair with an empty name, such as `=value`.
    #[error("the {source_name} contains a parameter with an empty name")]
    EmptyName {
        /// `query string` or `form body`.
        source_name: &'static str,
    },
    /// A name given more than once.
    #[error("the parameter \"{name}\" is given more than once")]
    Duplicate {
        /// The repeated name.
        name: String,
    },
}

/// Decodes `input` with form semantics (`+` is a space, `%XY` a byte) and adds each pair to
/// `into`, refusing duplicates as [`rules::REJECT_DUPLICATE_PARAMETERS`] says.
pub fn decode_form_into(
    input: &[u8],
    source_name: &'static str,
    into: &mut Params,
) -> Result<(), ParamError> {
    let mut offset = 0;
    for pair in input.split(|&byte| byte == b'&') {
        let pair_offset = offset;
        offset += pair.len() + 1;
        if pair.is_empty() {
            // `a=1&&b=2` and a trailing `&` carry no parameter; browsers and SDKs tolerate them.
            continue;
        }
        let (raw_name, raw_value) = match pair.iter().position(|&byte| byte == b'=') {
            Some(equals) => (&pair[..equals], &pair[equals + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let name = decode_component(raw_name, source_name, pair_offset)?;
        let value = decode_component(raw_value, source_name, pair_offset + raw_name.len() + 1)?;
        if name.is_empty() {
            return Err(ParamError::EmptyName { source_name });
        }
        if into.contains_key(&name) {
            if rules::REJECT_DUPLICATE_PARAMETERS {
                return Err(ParamError::Duplicate { name });
            }
            continue;
        }
        into.insert(name, value);
    }
    Ok(())
}

fn decode_component(
    raw: &[u8],
    source_name: &'static str,
    base_offset: usize,
) -> Result<String, ParamError> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut index = 0;
    while index < raw.len() {
        match raw[index] {
            b'+' => {
                bytes.push(b' ');
                index += 1;
            }
            b'%' => {
                let high = raw.get(index + 1).and_then(|&c| hex_value(c));
                let low = raw.get(index + 2).and_then(|&c| hex_value(c));
                let (Some(high), Some(low)) = (high, low) else {
                    return Err(ParamError::MalformedEscape {
                        source_name,
                        offset: base_offset + index,
                    });
                };
                bytes.push(high << 4 | low);
                index += 3;
            }
            other => {
                bytes.push(other);
                index += 1;
            }
        }
    }
    String::from_utf8(bytes).map_err(|_| ParamError::InvalidUtf8 { source_name })
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &str) -> Result<Params, ParamError> {
        let mut params = Params::new();
        decode_form_into(input.as_bytes(), "query string", &mut params)?;
        Ok(params)
    }

    #[test]
    fn plus_is_a_space_and_escapes_decode_to_utf8() {
        let params = decode("Description=a+b%20c%E6%B5%8B&Empty=&Bare").unwrap();
        assert_eq!(params["Description"], "a b c测");
        assert_eq!(params["Empty"], "");
        assert_eq!(params["Bare"], "");
    }

    #[test]
    fn encoded_plus_stays_a_plus() {
        assert_eq!(decode("Signature=ab%2Bc%3D").unwrap()["Signature"], "ab+c=");
    }

    #[test]
    fn empty_pairs_are_skipped() {
        assert_eq!(decode("&a=1&&b=2&").unwrap().len(), 2);
    }

    #[test]
    fn malformed_escapes_are_refused() {
        assert!(matches!(
            decode("a=%zz"),
            Err(ParamError::MalformedEscape { offset: 2, .. })
        ));
        assert!(matches!(
            decode("a=%4"),
            Err(ParamError::MalformedEscape { .. })
        ));
        assert!(matches!(
            decode("a=%"),
            Err(ParamError::MalformedEscape { .. })
        ));
    }

    #[test]
    fn invalid_utf8_is_refused() {
        assert!(matches!(
            decode("a=%FF%FE"),
            Err(ParamError::InvalidUtf8 { .. })
        ));
    }

    #[test]
    fn duplicates_and_empty_names_are_refused() {
        assert_eq!(
            decode("a=1&a=1"),
            Err(ParamError::Duplicate { name: "a".into() })
        );
        assert!(matches!(decode("=1"), Err(ParamError::EmptyName { .. })));
    }
}
