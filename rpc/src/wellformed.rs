//! Finding where a JSON value ends in a text, checking on the way that it is well-formed, without
//! building anything: what the envelope needs of the params, which the handler then parses for
//! itself.
//!
//! The check is conservative: it says "well-formed" only for JSON that serde_json surely accepts,
//! and "not sure" (`None`) for everything else, including some valid JSON (`\u` escapes, deep
//! nesting); the caller then lets serde_json read the text and decide.

/// Nesting (arrays and objects) deeper than this is left to serde_json, well under its own
/// recursion limit of 128.
const MAX_NESTING: usize = 64;

/// Bytes that end the plain run of a string: `"`, `\` and the control characters JSON forbids
/// unescaped.
const STRING_STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// JSON's whitespace, skipped from `at`.
pub(crate) fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(at) {
        at += 1;
    }
    at
}

/// The end of the value that starts at `at` (no whitespace before it), if it is surely
/// well-formed JSON.
pub(crate) fn value_end(bytes: &[u8], at: usize) -> Option<usize> {
    value_end_nested(bytes, at, 0)
}

fn value_end_nested(bytes: &[u8], at: usize, nesting: usize) -> Option<usize> {
    match *bytes.get(at)? {
        b'"' => string_end(bytes, at),
        b'{' => container_end(bytes, at, nesting, b'}', true),
        b'[' => container_end(bytes, at, nesting, b']', false),
        b't' => literal_end(bytes, at, b"true"),
        b'f' => literal_end(bytes, at, b"false"),
        b'n' => literal_end(bytes, at, b"null"),
        b'-' | b'0'..=b'9' => number_end(bytes, at),
        _ => None,
    }
}

/// The end of the string that starts at `at` (its opening quote), if it holds only plain text and
/// the short escapes (`\"`, `\n`, ...); a `\u` escape is left to serde_json.
pub(crate) fn string_end(bytes: &[u8], at: usize) -> Option<usize> {
    let mut at = at + 1;
    loop {
        at = stop_from(bytes, at)?;
        match bytes[at] {
            b'"' => return Some(at + 1),
            b'\\' => match bytes.get(at + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => at += 2,
                _ => return None,
            },
            _ => return None,
        }
    }
}

/// Where the first byte of [`STRING_STOP`] at or after `at` is. Eight bytes are looked at in one
/// step, as serde_json does (a byte at a time cost about five instructions a byte): in each 64-bit
/// word the lowest byte flagged below `0x20`, equal to `"` or equal to `\` is the first such byte
/// (a flag can spill only into bytes above a true one).
fn stop_from(bytes: &[u8], at: usize) -> Option<usize> {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES << 7;
    let rest = bytes.get(at..)?;
    let mut chunks = rest.chunks_exact(8);
    for (index, chunk) in chunks.by_ref().enumerate() {
        let word = u64::from_le_bytes(chunk.try_into().expect("chunks of eight"));
        let control = word.wrapping_sub(ONES * 0x20) & !word;
        let quote = word ^ (ONES * u64::from(b'"'));
        let quote = quote.wrapping_sub(ONES) & !quote;
        let backslash = word ^ (ONES * u64::from(b'\\'));
        let backslash = backslash.wrapping_sub(ONES) & !backslash;
        let flagged = (control | quote | backslash) & HIGH;
        if flagged != 0 {
            return Some(at + index * 8 + flagged.trailing_zeros() as usize / 8);
        }
    }
    let tail = rest.len() - chunks.remainder().len();
    chunks
        .remainder()
        .iter()
        .position(|&byte| STRING_STOP[usize::from(byte)])
        .map(|offset| at + tail + offset)
}

/// The end of the object or array that starts at `at`.
fn container_end(
    bytes: &[u8],
    at: usize,
    nesting: usize,
    close: u8,
    object: bool,
) -> Option<usize> {
    if nesting >= MAX_NESTING {
        return None;
    }
    let mut at = skip_whitespace(bytes, at + 1);
    if *bytes.get(at)? == close {
        return Some(at + 1);
    }
    loop {
        if object {
            if *bytes.get(at)? != b'"' {
                return None;
            }
            at = skip_whitespace(bytes, string_end(bytes, at)?);
            if *bytes.get(at)? != b':' {
                return None;
            }
            at = skip_whitespace(bytes, at + 1);
        }
        at = skip_whitespace(bytes, value_end_nested(bytes, at, nesting + 1)?);
        match *bytes.get(at)? {
            b',' => at = skip_whitespace(bytes, at + 1),
            byte if byte == close => return Some(at + 1),
            _ => return None,
        }
    }
}

fn literal_end(bytes: &[u8], at: usize, literal: &[u8]) -> Option<usize> {
    let end = at + literal.len();
    (bytes.get(at..end)? == literal).then_some(end)
}

/// The end of a number: `-`? (`0` | [1-9][0-9]*) (`.` [0-9]+)? ([eE] [+-]? [0-9]+)?
fn number_end(bytes: &[u8], at: usize) -> Option<usize> {
    let digits_from = |at: usize| -> usize {
        at + bytes.get(at..).map_or(0, |rest| {
            rest.iter().take_while(|byte| byte.is_ascii_digit()).count()
        })
    };
    let mut at = at + usize::from(bytes[at] == b'-');
    match *bytes.get(at)? {
        b'0' => at += 1,
        b'1'..=b'9' => at = digits_from(at),
        _ => return None,
    }
    if bytes.get(at) == Some(&b'.') {
        let end = digits_from(at + 1);
        if end == at + 1 {
            return None;
        }
        at = end;
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        if let Some(b'+' | b'-') = bytes.get(at) {
            at += 1;
        }
        let end = digits_from(at);
        if end == at {
            return None;
        }
        at = end;
    }
    // A digit straight after `0` (`01`) is no number.
    (!bytes.get(at).is_some_and(u8::is_ascii_digit)).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the check says of a whole text: well-formed (`Some(true)`), or not sure.
    fn surely_well_formed(text: &str) -> bool {
        let bytes = text.as_bytes();
        let start = skip_whitespace(bytes, 0);
        value_end(bytes, start).is_some_and(|end| skip_whitespace(bytes, end) == bytes.len())
    }

    fn serde_accepts(text: &str) -> bool {
        serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
    }

    #[test]
    fn the_eight_byte_search_finds_the_first_stop_byte() {
        let mut bytes: Vec<u8> = (0..=255u8).collect();
        bytes.extend((0..=255u8).rev());
        bytes.extend(b"plain text \xc3\xa9 ~\x7f\x80\xff");
        for start in 0..bytes.len() {
            for end in start..bytes.len().min(start + 40) {
                let slice = &bytes[..end];
                let expected = slice[start..]
                    .iter()
                    .position(|&byte| STRING_STOP[usize::from(byte)])
                    .map(|offset| start + offset);
                assert_eq!(stop_from(slice, start), expected, "{start}..{end}");
            }
        }
    }

    #[test]
    fn what_it_takes_as_well_formed_serde_json_accepts() {
        let accepted = [
            r#"{"a":1,"b":[true,false,null],"c":{"d":"e\"f\\g\n"}}"#,
            " [ 1 , -0 , 0.5 , -12.25e+3 , 1E9 , 7e-2 ] ",
            r#""é ü plain""#,
            "{}",
            "[]",
            r#"{"x":{}, "y":[[]]}"#,
            "0",
        ];
        for text in accepted {
            assert!(surely_well_formed(text), "{text}");
            assert!(serde_accepts(text), "{text}");
        }
        let refused = [
            "01",
            "1.",
            ".5",
            "1e",
            "-",
            "+1",
            "[1,]",
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{a:1}"#,
            "[1 2]",
            "tru",
            "nul",
            "\"\t\"",
            "\"\\x\"",
            "\"open",
            "{",
            "[",
            "{\"a\":1}}",
            "",
            "1 2",
        ];
        for text in refused {
            assert!(!surely_well_formed(text), "{text}");
            assert!(!serde_accepts(text), "{text}");
        }
        // Valid, but left to serde_json.
        for text in [
            r#""\u00e9""#,
            &format!("{}{}", "[".repeat(65), "]".repeat(65)),
        ] {
            assert!(!surely_well_formed(text), "{text}");
            assert!(serde_accepts(text), "{text}");
        }
        assert!(surely_well_formed(&format!(
            "{}{}",
            "[".repeat(64),
            "]".repeat(64)
        )));
    }

    #[test]
    fn every_cut_and_change_of_a_message_is_never_taken_for_more_than_serde_json_accepts() {
        let message = r#"{"id":12,"jsonrpc":"2.0","method":"check","params":{"news":{"a":"b\"c","n":[1,-2.5e3,true,null,false,{}],"s":{"4dab":"1b47","value":"p\\w"}},"olds":{},"urn":"urn:x::y"}}"#;
        let replacements = [
            "", " ", "\"", "\\", ",", ":", "{", "}", "[", "]", "0", "-", ".", "e", "x", "\n",
            "\u{1}", "\\u", "é",
        ];
        let mut checked = 0;
        for (at, _) in message.char_indices() {
            for replacement in replacements {
                // The character at `at` replaced, or the text inserted before it.
                let next = message[at..].chars().next().map_or(0, char::len_utf8);
                for text in [
                    format!("{}{replacement}{}", &message[..at], &message[at + next..]),
                    format!("{}{replacement}{}", &message[..at], &message[at..]),
                ] {
                    if surely_well_formed(&text) {
                        assert!(serde_accepts(&text), "{text}");
                    }
                    checked += 1;
                }
            }
            assert!(!surely_well_formed(&message[..at]) || serde_accepts(&message[..at]));
        }
        assert!(checked > 5_000);
        assert!(surely_well_formed(message));
    }
}
