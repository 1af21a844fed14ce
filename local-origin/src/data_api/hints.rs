//! `typeHint` parsing and the formats AWS enforces for hinted string values.
//!
//! AWS hands a hinted `stringValue` to JDBC's typed setters, which refuse anything outside their format
//! (an ISO `2024-01-02T03:04:05Z` timestamp, say) before PostgreSQL ever sees it. Refusing the same strings
//! here keeps a value that works locally from failing on AWS.

use chrono::{NaiveDate, NaiveTime};

/// A Data API `typeHint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeHint {
    Date,
    Decimal,
    Json,
    Time,
    Timestamp,
    Uuid,
}

impl TypeHint {
    /// Parses the wire name (case-sensitive, like the AWS enum).
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "DATE" => Self::Date,
            "DECIMAL" => Self::Decimal,
            "JSON" => Self::Json,
            "TIME" => Self::Time,
            "TIMESTAMP" => Self::Timestamp,
            "UUID" => Self::Uuid,
            _ => return None,
        })
    }

    /// The PostgreSQL type a hinted value is cast to.
    pub fn pg_type(self) -> &'static str {
        match self {
            Self::Date => "date",
            Self::Decimal => "numeric",
            Self::Json => "jsonb",
            Self::Time => "time",
            Self::Timestamp => "timestamp",
            Self::Uuid => "uuid",
        }
    }

    /// Checks `value` against the hint's format; the error is the reason, for a `BadRequestException`.
    pub fn validate(self, value: &str) -> Result<(), String> {
        let ok = match self {
            Self::Date => parse_date(value).is_some(),
            Self::Time => parse_time(value).is_some(),
            Self::Timestamp => {
                value.split_once(' ').is_some_and(|(d, t)| parse_date(d).is_some() && parse_time(t).is_some())
            }
            Self::Decimal => is_decimal(value),
            Self::Uuid => is_uuid(value),
            Self::Json => serde_json::from_str::<serde::de::IgnoredAny>(value).is_ok(),
        };
        if ok {
            return Ok(());
        }
        Err(match self {
            Self::Date => format!("Date format must be yyyy-mm-dd, got '{value}'"),
            Self::Time => format!("Time format must be hh:mm:ss[.ffffff], got '{value}'"),
            Self::Timestamp => {
                format!("Timestamp format must be yyyy-mm-dd hh:mm:ss[.ffffff], got '{value}'")
            }
            Self::Decimal => format!("Invalid DECIMAL value '{value}'"),
            Self::Uuid => format!("Invalid UUID string: {value}"),
            Self::Json => "Invalid JSON value for the JSON type hint".to_string(),
        })
    }
}

/// Whether every byte is an ASCII digit and there are `len` of them.
fn digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

/// `YYYY-MM-DD`, a real calendar date.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let mut parts = s.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// `HH:MM:SS` with an optional `.` and 1–6 fractional digits, a real time of day.
fn parse_time(s: &str) -> Option<NaiveTime> {
    let (hms, frac) = match s.split_once('.') {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (s, None),
    };
    let mut parts = hms.split(':');
    let (h, m, sec) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !digits(h, 2) || !digits(m, 2) || !digits(sec, 2) {
        return None;
    }
    let micros = match frac {
        None => 0,
        Some(f) if (1..=6).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{f:0<6}").parse().ok()?
        }
        Some(_) => return None,
    };
    NaiveTime::from_hms_micro_opt(h.parse().ok()?, m.parse().ok()?, sec.parse().ok()?, micros)
}

/// `-?digits[.digits]`.
fn is_decimal(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    all_digits(int) && frac.is_none_or(all_digits)
}

/// Canonical 8-4-4-4-12 hex.
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::TypeHint::{self, *};

    fn ok(hint: TypeHint, value: &str) -> bool {
        hint.validate(value).is_ok()
    }

    #[test]
    fn timestamps() {
        assert!(ok(Timestamp, "2024-01-02 03:04:05"));
        for frac in 1..=6 {
            let value = format!("2024-01-02 03:04:05.{}", "1".repeat(frac));
            assert!(ok(Timestamp, &value), "{value}");
        }
        for bad in [
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05",
            "2024-01-02 03:04:05Z",
            "2024-01-02 03:04:05.1234567",
            "2024-01-02 03:04:05.",
            "2024-13-02 03:04:05",
            "2024-02-30 03:04:05",
            "2024-01-02 24:00:00",
            "24-01-02 03:04:05",
            "2024-01-02  03:04:05",
            "2024-01-02",
        ] {
            assert!(!ok(Timestamp, bad), "{bad}");
        }
    }

    #[test]
    fn dates_and_times() {
        assert!(ok(Date, "2024-02-29"));
        assert!(!ok(Date, "2023-02-29"));
        assert!(!ok(Date, "2024-1-02"));
        assert!(!ok(Date, "2024-01-02 00:00:00"));
        assert!(ok(Time, "23:59:59"));
        assert!(ok(Time, "00:00:00.000001"));
        assert!(!ok(Time, "00:00"));
        assert!(!ok(Time, "00:00:00.0000001"));
        assert!(!ok(Time, "0:00:00"));
    }

    #[test]
    fn decimals_uuids_json() {
        for good in ["0", "29.99", "-1.5", "12345678901234567890.123"] {
            assert!(ok(Decimal, good), "{good}");
        }
        for bad in ["", "-", "1.", ".5", "+1", "1e5", "1,5", "NaN", " 1"] {
            assert!(!ok(Decimal, bad), "{bad}");
        }
        assert!(ok(Uuid, "123e4567-e89b-12d3-a456-426614174000"));
        assert!(ok(Uuid, "123E4567-E89B-12D3-A456-426614174000"));
        assert!(!ok(Uuid, "123e4567e89b12d3a456426614174000"));
        assert!(!ok(Uuid, "{123e4567-e89b-12d3-a456-426614174000}"));
        assert!(!ok(Uuid, "123e4567-e89b-12d3-a456-42661417400g"));
        assert!(ok(Json, r#"{"a":[1,2,{"b":null}]}"#));
        assert!(ok(Json, "3"));
        assert!(!ok(Json, "{a:1}"));
        assert!(!ok(Json, ""));
    }

    #[test]
    fn hint_names_are_case_sensitive() {
        assert_eq!(TypeHint::parse("UUID"), Some(Uuid));
        assert_eq!(TypeHint::parse("uuid"), None);
        assert_eq!(TypeHint::parse("INTEGER"), None);
    }
}
