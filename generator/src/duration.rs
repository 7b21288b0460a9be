//! Prometheus durations (`30s`, `5m`, `1h30m`, `30d`), as alert `for`, SLO windows and rate
//! limit windows are written.

use std::time::Duration;

/// Why a duration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("a duration cannot be empty")]
    Empty,
    #[error("`{0}` is not a duration: write a number followed by a unit (ms, s, m, h, d, w, y)")]
    Malformed(String),
    #[error("`{0}` lists its units out of order: write them from largest to smallest, each once")]
    OutOfOrder(String),
    #[error("`{0}` is zero; a duration must be positive")]
    Zero(String),
    #[error("`{0}` is too long")]
    Overflow(String),
}

const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 24 * 3600 * 1000),
    ("w", 7 * 24 * 3600 * 1000),
    ("d", 24 * 3600 * 1000),
    ("h", 3600 * 1000),
    ("m", 60 * 1000),
    ("s", 1000),
    ("ms", 1),
];

/// A positive Prometheus duration, as written in the spec and as a length of time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PromDuration {
    text: String,
    value: Duration,
}

impl PromDuration {
    /// Parses a positive duration, keeping the text (artifacts print it as written).
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        parse(text).map(|value| PromDuration {
            text: text.to_string(),
            value,
        })
    }

    /// As the spec writes it (`5m`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn value(&self) -> Duration {
        self.value
    }
}

impl std::fmt::Display for PromDuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Parses a positive Prometheus duration.
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    let malformed = || DurationError::Malformed(text.to_string());
    let mut rest = text;
    let mut millis: u64 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(malformed());
        }
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| DurationError::Overflow(text.to_string()))?;
        rest = &rest[digits..];
        let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..letters];
        rest = &rest[letters..];
        let position = UNITS
            .iter()
            .position(|(name, _)| *name == unit)
            .ok_or_else(malformed)?;
        if position < next_unit {
            return Err(DurationError::OutOfOrder(text.to_string()));
        }
        next_unit = position + 1;
        let part = number
            .checked_mul(UNITS[position].1)
            .ok_or_else(|| DurationError::Overflow(text.to_string()))?;
        millis = millis
            .checked_add(part)
            .ok_or_else(|| DurationError::Overflow(text.to_string()))?;
    }
    if millis == 0 {
        return Err(DurationError::Zero(text.to_string()));
    }
    Ok(Duration::from_millis(millis))
}

/// Formats a duration the way Prometheus prints it (`1h30m`, `5m`, `500ms`).
pub fn format(duration: Duration) -> String {
    let mut millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    if millis == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (name, size) in UNITS {
        if millis >= size {
            out.push_str(&format!("{}{name}", millis / size));
            millis %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_durations_parse() {
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("30d"), Ok(Duration::from_secs(30 * 86400)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
    }

    #[test]
    fn bad_durations_say_why() {
        assert_eq!(parse(""), Err(DurationError::Empty));
        assert!(matches!(
            parse("5 minutes"),
            Err(DurationError::Malformed(_))
        ));
        assert!(matches!(parse("30m1h"), Err(DurationError::OutOfOrder(_))));
        assert!(matches!(parse("0s"), Err(DurationError::Zero(_))));
        assert!(matches!(
            parse("99999999999999999999y"),
            Err(DurationError::Overflow(_))
        ));
    }

    #[test]
    fn formatting_inverts_parsing() {
        for text in ["5m", "1h30m", "30d", "2w", "500ms", "1h0m5s"] {
            let parsed = parse(text).expect("valid");
            assert_eq!(parse(&format(parsed)), Ok(parsed));
        }
        assert_eq!(format(Duration::from_secs(5400)), "1h30m");
    }
}
