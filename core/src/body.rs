//! Request bodies: a JSON object whose fields are checked one by one. Unknown fields are refused (a typo must
//! not be silently ignored), and every error names the field.

use crate::error::ApiError;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::BTreeMap;

/// A JSON object body, each field kept as its raw text (money is read from its exact digits).
#[derive(Debug)]
pub struct Body {
    fields: BTreeMap<String, Box<RawValue>>,
}

impl Body {
    /// Parses `bytes` as a JSON object whose field names are all in `allowed`.
    pub fn parse(bytes: &[u8], allowed: &[&str]) -> Result<Body, ApiError> {
        let fields: BTreeMap<String, Box<RawValue>> =
            serde_json::from_slice(bytes).map_err(|_| ApiError::validation("body", "must be a JSON object"))?;
        if let Some(unknown) = fields.keys().find(|name| !allowed.contains(&name.as_str())) {
            return Err(ApiError::validation(
                unknown.as_str(),
                format!("unknown field; fields: {}", allowed.join(", ")),
            ));
        }
        Ok(Body { fields })
    }

    /// Whether the body has no field at all.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The field names present, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.keys().map(String::as_str)
    }

    /// The raw JSON text of `name`, if present.
    pub fn raw(&self, name: &str) -> Option<&RawValue> {
        self.fields.get(name).map(|raw| &**raw)
    }

    /// The value of `name`, if present.
    pub fn value(&self, name: &str) -> Result<Option<Value>, ApiError> {
        self.raw(name)
            .map(|raw| serde_json::from_str(raw.get()).map_err(|_| ApiError::validation(name, "is not valid JSON")))
            .transpose()
    }

    /// A required field.
    pub fn required(&self, name: &str) -> Result<Value, ApiError> {
        self.value(name)?.ok_or_else(|| ApiError::validation(name, "is required"))
    }
}

/// Text of `min..=max` characters (after trimming).
pub fn text(field: &str, value: &Value, min: usize, max: usize) -> Result<String, ApiError> {
    let text = value.as_str().ok_or_else(|| ApiError::validation(field, "must be a string"))?.trim();
    let length = text.chars().count();
    if length < min || length > max {
        return Err(ApiError::validation(field, format!("must be {min} to {max} characters")));
    }
    Ok(text.to_owned())
}

/// An integer in `range`.
pub fn integer(field: &str, value: &Value, range: std::ops::RangeInclusive<i64>) -> Result<i64, ApiError> {
    value.as_i64().filter(|n| range.contains(n)).ok_or_else(|| {
        ApiError::validation(field, format!("must be an integer from {} to {}", range.start(), range.end()))
    })
}

/// A UUID naming another resource; anything else names the field.
pub fn uuid(field: &str, value: &Value) -> Result<String, ApiError> {
    match value.as_str() {
        Some(id) if crate::query::is_uuid(id) => Ok(id.to_ascii_lowercase()),
        _ => Err(ApiError::validation(field, "must be an id (a UUID)")),
    }
}

/// An `https://` URL of at most 2048 characters without whitespace, or null.
pub fn https_url_or_null(field: &str, value: &Value) -> Result<Option<String>, ApiError> {
    match value {
        Value::Null => Ok(None),
        Value::String(url)
            if url.starts_with("https://")
                && url.len() > "https://".len()
                && url.len() <= 2048
                && !url.contains(|c: char| c.is_whitespace() || c.is_control() || c == '"') =>
        {
            Ok(Some(url.clone()))
        }
        _ => Err(ApiError::validation(field, "must be an https URL or null")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_non_objects_are_named() {
        let err = |bytes: &[u8]| match Body::parse(bytes, &["a"]) {
            Err(ApiError::Validation { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(err(b"[1]"), "body");
        assert_eq!(err(b"nope"), "body");
        assert_eq!(err(b""), "body");
        assert_eq!(err(br#"{"a":1,"b":2}"#), "b");
        let body = Body::parse(br#"{"a":{"x":1}}"#, &["a"]).expect("valid");
        assert_eq!(body.required("a").expect("a")["x"], 1);
        assert!(matches!(body.required("zz"), Err(ApiError::Validation { .. })));
    }

    #[test]
    fn field_checks() {
        use serde_json::json;
        assert_eq!(text("t", &json!("  abc "), 3, 5), Ok("abc".into()));
        assert!(text("t", &json!("ab"), 3, 5).is_err());
        assert!(text("t", &json!(5), 0, 5).is_err());
        assert_eq!(integer("n", &json!(3), 1..=3), Ok(3));
        assert!(integer("n", &json!(4), 1..=3).is_err());
        assert!(integer("n", &json!(2.5), 1..=3).is_err());
        assert!(uuid("id", &json!("course-1")).is_err());
        assert_eq!(https_url_or_null("u", &json!(null)), Ok(None));
        assert!(https_url_or_null("u", &json!("http://x")).is_err());
        assert!(https_url_or_null("u", &json!("https://")).is_err());
        assert!(https_url_or_null("u", &json!("https://a b")).is_err());
    }
}
