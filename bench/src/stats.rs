//! Small statistics over samples: percentiles by the nearest-rank method, and durations shown in
//! the unit a reader expects.

use std::time::Duration;

/// The `p`-th percentile (0–100) by nearest rank, of samples in any order. Empty gives zero.
pub fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The median (the 50th percentile by nearest rank).
pub fn median(samples: &[f64]) -> f64 {
    percentile(samples, 50.0)
}

/// Seconds as a short text: `812 µs`, `4.31 ms`, `1.20 s`.
pub fn show_seconds(seconds: f64) -> String {
    if seconds < 1e-3 {
        format!("{:.1} µs", seconds * 1e6)
    } else if seconds < 1.0 {
        format!("{:.2} ms", seconds * 1e3)
    } else {
        format!("{seconds:.2} s")
    }
}

/// A whole number with thousands separators: `52,310`.
pub fn show_count(value: f64) -> String {
    let whole = value.round() as i64;
    let digits = whole.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if whole < 0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// Parses a `Duration`'s `Debug` text (`1.95ms`, `953.2µs`, `12ns`, `1.2s`), as the emulator's
/// load generator prints it.
pub fn parse_debug_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, scale) = if let Some(number) = text.strip_suffix("ns") {
        (number, 1e-9)
    } else if let Some(number) = text.strip_suffix("µs").or_else(|| text.strip_suffix("us")) {
        (number, 1e-6)
    } else if let Some(number) = text.strip_suffix("ms") {
        (number, 1e-3)
    } else if let Some(number) = text.strip_suffix('s') {
        (number, 1.0)
    } else {
        return None;
    };
    let value: f64 = number.trim().parse().ok()?;
    Some(Duration::from_secs_f64(value * scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(median(&samples), 5.0);
        assert_eq!(percentile(&samples, 90.0), 9.0);
        assert_eq!(percentile(&samples, 99.0), 10.0);
        assert_eq!(percentile(&samples, 0.0), 1.0);
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    }

    #[test]
    fn shows_values_in_readable_units() {
        assert_eq!(show_seconds(0.000_812), "812.0 µs");
        assert_eq!(show_seconds(0.004_31), "4.31 ms");
        assert_eq!(show_seconds(1.2), "1.20 s");
        assert_eq!(show_count(52_310.4), "52,310");
        assert_eq!(show_count(999.0), "999");
        assert_eq!(show_count(1_000_000.0), "1,000,000");
    }

    #[test]
    fn parses_the_debug_form_of_durations() {
        assert_eq!(
            parse_debug_duration("1.95ms"),
            Some(Duration::from_micros(1950))
        );
        assert_eq!(
            parse_debug_duration("953µs"),
            Some(Duration::from_micros(953))
        );
        assert_eq!(parse_debug_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_debug_duration("12ns"), Some(Duration::from_nanos(12)));
        assert_eq!(parse_debug_duration("fast"), None);
    }
}
