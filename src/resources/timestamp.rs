//! RFC 3339 times as KMS keeps them: UTC, whole seconds, `YYYY-MM-DDTHH:MM:SSZ`.
//!
//! KMS stores and returns validity times with second precision in UTC. A time written with an
//! offset (`+08:00`) is converted to UTC, and a fraction of a second is truncated (dropped, not
//! rounded): rounding could move a `notAfter` past the instant the user wrote, while truncation
//! never does, and it is what KMS itself does with a time it is given. The same normalisation runs
//! in `check` (so the checked inputs already hold the service's form) and in `diff` (so state
//! written by another tool in another form is not a change).

use chrono::{DateTime, SecondsFormat, Timelike, Utc};

/// The format every normalised time has, for messages.
pub const NORMALISED_TIME_FORMAT: &str = "YYYY-MM-DDTHH:MM:SSZ";

/// A time that is not RFC 3339. The message says what was expected and never echoes the input;
/// the parser's own explanation ("premature end of input") helps less than an example, so it is
/// kept only for debugging.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not an RFC 3339 time such as 2023-09-01T14:11:22Z or 2023-09-01T22:11:22+08:00")]
pub struct TimestampError {
    parser_reason: String,
}

/// Parses an RFC 3339 time and returns it in UTC with the fraction of a second dropped.
pub fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, TimestampError> {
    let parsed = DateTime::parse_from_rfc3339(text.trim()).map_err(|error| TimestampError {
        parser_reason: error.to_string(),
    })?;
    let utc = parsed.with_timezone(&Utc);
    // A leap second (`:60`) is stored by chrono as a nanosecond count past one second; dropping
    // the nanoseconds turns it into `:59`, the last second KMS can represent.
    Ok(utc.with_nanosecond(0).unwrap_or(utc))
}

/// Normalises an RFC 3339 time to `YYYY-MM-DDTHH:MM:SSZ` in UTC.
pub fn normalise_timestamp(text: &str) -> Result<String, TimestampError> {
    parse_timestamp(text).map(|time| format_timestamp(&time))
}

/// Formats a time the way KMS does.
pub fn format_timestamp(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_offsets_fractions_and_case() {
        let table = [
            ("2023-09-01T14:11:22Z", "2023-09-01T14:11:22Z"),
            ("2023-09-01T22:11:22+08:00", "2023-09-01T14:11:22Z"),
            ("2023-09-01T14:11:22.999999Z", "2023-09-01T14:11:22Z"),
            ("2023-09-01T14:11:22.5-01:30", "2023-09-01T15:41:22Z"),
            ("2023-09-01t14:11:22z", "2023-09-01T14:11:22Z"),
            ("2023-12-31T23:59:60Z", "2023-12-31T23:59:59Z"),
        ];
        for (input, expected) in table {
            assert_eq!(
                normalise_timestamp(input).as_deref(),
                Ok(expected),
                "{input}"
            );
        }
    }

    #[test]
    fn rejects_what_is_not_rfc3339() {
        for input in [
            "",
            "2023-09-01",
            "2023-09-01T14:11:22",
            "yesterday",
            "2023-13-01T00:00:00Z",
        ] {
            let error = normalise_timestamp(input).unwrap_err();
            assert!(
                error.to_string().starts_with("is not an RFC 3339 time"),
                "{error}"
            );
        }
    }
}
