//! Parsing of the query string and of path identifiers into validated values. Invalid input stops here with
//! a 400 naming the field; nothing past this module sees raw client text.

use crate::error::ApiError;
use std::borrow::Cow;

/// A decoded query string that refuses duplicate and unknown parameters.
#[derive(Debug, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Decodes `raw` (`application/x-www-form-urlencoded`, `+` as space), accepting only the names in `allowed`.
    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Self, ApiError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in raw.unwrap_or("").split('&').filter(|part| !part.is_empty()) {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            let name = decode_component(name).map_err(|_| ApiError::validation("query", "not valid UTF-8"))?;
            let value = decode_component(value).map_err(|_| ApiError::validation(name.clone(), "not valid UTF-8"))?;
            if !allowed.contains(&name.as_str()) {
                return Err(ApiError::validation(name, format!("unknown parameter; allowed: {}", allowed.join(", "))));
            }
            if pairs.iter().any(|(existing, _)| *existing == name) {
                return Err(ApiError::validation(name, "given more than once"));
            }
            pairs.push((name, value));
        }
        Ok(Query { pairs })
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

fn decode_component(raw: &str) -> Result<String, std::str::Utf8Error> {
    let spaced: Cow<'_, str> = if raw.contains('+') { Cow::Owned(raw.replace('+', " ")) } else { Cow::Borrowed(raw) };
    percent_encoding::percent_decode_str(&spaced).decode_utf8().map(Cow::into_owned)
}

/// The page size: an integer of at least 1; larger than `max` is clamped to `max`; absent is `default`.
pub fn limit(raw: Option<&str>, default: u32, max: u32) -> Result<u32, ApiError> {
    let Some(raw) = raw else { return Ok(default) };
    if raw.is_empty() || raw.len() > 9 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::validation("limit", format!("must be an integer from 1 to {max}")));
    }
    match raw.parse::<u32>() {
        Ok(0) | Err(_) => Err(ApiError::validation("limit", format!("must be an integer from 1 to {max}"))),
        Ok(value) => Ok(value.min(max)),
    }
}

/// A category slug: lowercase letters and digits in dash-separated words, at most 64 characters.
pub fn slug<'a>(field: &str, raw: &'a str) -> Result<&'a str, ApiError> {
    let well_formed = !raw.is_empty()
        && raw.len() <= 64
        && raw
            .split('-')
            .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    if well_formed {
        Ok(raw)
    } else {
        Err(ApiError::validation(field, "must be a slug: lowercase letters and digits separated by single dashes"))
    }
}

/// Whether `raw` is a canonical UUID (8-4-4-4-12 hex digits).
pub fn is_uuid(raw: &str) -> bool {
    raw.len() == 36
        && raw.bytes().enumerate().all(|(index, b)| match index {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// A UUID parameter, lower-cased; anything else is a 400 naming `field`.
pub fn uuid(field: &str, raw: Option<&str>) -> Result<String, ApiError> {
    match raw {
        None | Some("") => Err(ApiError::validation(field, "is required")),
        Some(raw) if is_uuid(raw) => Ok(raw.to_ascii_lowercase()),
        Some(_) => Err(ApiError::validation(field, "must be a UUID")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_cases() {
        let cases: &[(Option<&str>, Result<u32, ()>)] = &[
            (None, Ok(20)),
            (Some("1"), Ok(1)),
            (Some("100"), Ok(100)),
            (Some("101"), Ok(100)),
            (Some("999999999"), Ok(100)),
            (Some("0"), Err(())),
            (Some("-1"), Err(())),
            (Some("abc"), Err(())),
            (Some(""), Err(())),
            (Some("1.5"), Err(())),
            (Some("99999999999999999999"), Err(())),
            (Some(" 5"), Err(())),
        ];
        for (raw, expected) in cases {
            let got = limit(*raw, 20, 100);
            match (expected, &got) {
                (Ok(want), Ok(have)) => assert_eq!(want, have, "limit {raw:?}"),
                (Err(()), Err(ApiError::Validation { field, .. })) => {
                    assert_eq!(field, "limit", "limit {raw:?}")
                }
                _ => panic!("limit {raw:?}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn slug_cases() {
        for ok in ["leadership", "a", "web-dev", "c99", "a-b-c"] {
            assert_eq!(slug("category", ok), Ok(ok));
        }
        let too_long = "a".repeat(65);
        for bad in ["", "Leadership", "web_dev", "-a", "a-", "a--b", "a b", "é", "a/b", too_long.as_str()] {
            assert!(
                matches!(slug("category", bad), Err(ApiError::Validation { ref field, .. }) if field == "category"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn uuid_cases() {
        assert!(is_uuid("20000000-0000-4000-8000-000000000001"));
        assert!(is_uuid("ABCDEF00-0000-4000-8000-000000000001"));
        for bad in [
            "",
            "course-123",
            "20000000000040008000000000000001",
            "20000000-0000-4000-8000-00000000000g",
            "20000000-0000-4000-8000-0000000000011",
        ] {
            assert!(!is_uuid(bad), "{bad:?}");
        }
        assert_eq!(
            uuid("courseId", Some("ABCDEF00-0000-4000-8000-000000000001")).as_deref(),
            Ok("abcdef00-0000-4000-8000-000000000001")
        );
        assert!(matches!(uuid("courseId", None), Err(ApiError::Validation { ref field, .. }) if field == "courseId"));
    }

    #[test]
    fn query_parsing() {
        let query = Query::parse(Some("category=web%2Ddev&limit=5&cursor=a+b"), &["category", "limit", "cursor"])
            .expect("valid");
        assert_eq!(query.get("category"), Some("web-dev"));
        assert_eq!(query.get("limit"), Some("5"));
        assert_eq!(query.get("cursor"), Some("a b"));
        assert_eq!(query.get("missing"), None);

        let unknown = Query::parse(Some("limt=5"), &["limit"]).expect_err("unknown");
        assert!(matches!(unknown, ApiError::Validation { ref field, .. } if field == "limt"));
        let twice = Query::parse(Some("limit=5&limit=6"), &["limit"]).expect_err("duplicate");
        assert!(matches!(twice, ApiError::Validation { ref field, .. } if field == "limit"));
        let bad_utf8 = Query::parse(Some("limit=%FF"), &["limit"]).expect_err("bad utf-8");
        assert!(matches!(bad_utf8, ApiError::Validation { ref field, .. } if field == "limit"));
        assert!(Query::parse(None, &[]).is_ok());
        assert!(Query::parse(Some("&&"), &[]).is_ok());
    }
}
