//! The opaque keyset cursor of `GET /courses`: the (title, id) of the last item of a page, as base64url JSON.
//! It is opaque to clients and validated on the way back in: a malformed cursor is a 400 on `cursor`.

use crate::error::ApiError;
use crate::query::is_uuid;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The position after which the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The sort key's title.
    pub title: String,
    /// The tie-breaking id.
    pub id: String,
}

const MAX_ENCODED: usize = 1024;

impl Cursor {
    /// The opaque text a client sends back.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(&(&self.title, &self.id)).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Decodes a client's cursor.
    pub fn decode(raw: &str) -> Result<Cursor, ApiError> {
        let invalid = || ApiError::validation("cursor", "is not a cursor this API issued");
        if raw.is_empty() || raw.len() > MAX_ENCODED {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
        let (title, id): (String, String) = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        if !is_uuid(&id) || title.chars().count() > 200 {
            return Err(invalid());
        }
        Ok(Cursor { title, id: id.to_ascii_lowercase() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let cursor = Cursor {
            title: "Writer's Workshop – Clear \"Prose\"".into(),
            id: "20000000-0000-4000-8000-000000000001".into(),
        };
        let encoded = cursor.encode();
        assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{encoded}");
        assert_eq!(Cursor::decode(&encoded), Ok(cursor));
    }

    #[test]
    fn malformed_cursors_name_the_field() {
        let not_json = URL_SAFE_NO_PAD.encode("nope");
        let bad_id = URL_SAFE_NO_PAD.encode(r#"["a","not-a-uuid"]"#);
        let wrong_shape = URL_SAFE_NO_PAD.encode(r#"{"title":"a"}"#);
        let long = "A".repeat(2000);
        for raw in ["", "***", "a b", not_json.as_str(), bad_id.as_str(), wrong_shape.as_str(), long.as_str()] {
            match Cursor::decode(raw) {
                Err(ApiError::Validation { field, .. }) => assert_eq!(field, "cursor"),
                other => panic!("{raw:?}: {other:?}"),
            }
        }
    }
}
