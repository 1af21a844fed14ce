//! `Idempotency-Key` on POST: the same key with the same request answers the first answer again without writing
//! again; the same key with another request is 422 `IDEMPOTENCY_KEY_REUSED`. Keys belong to the caller, are
//! stored at the origin (`idempotency_keys`) and expire after [`TTL_HOURS`].
//!
//! The request runs in a transaction that first claims the key, then writes, then stores its answer, then
//! commits: the answer is stored if and only if the write committed. A second request with the key waits on
//! the first's claim (a row lock) and then finds its answer. Only successes are stored: a refused request wrote
//! nothing, and may be sent again once fixed.

use crate::db::{ResultSet, SqlValue, Statement};
use crate::error::ApiError;
use crate::exec::NOW;
use http::Request;
use sha2::{Digest, Sha256};

/// How long a key and its answer are kept.
pub const TTL_HOURS: u32 = 24;

/// A request's key and the fingerprint of what it asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The client's key.
    pub key: String,
    /// SHA-256 (hex) of method, path and query, and body.
    pub fingerprint: String,
}

impl Key {
    /// The key of `request`, if it sends one; a malformed key is a 400 naming the header.
    pub fn of(request: &Request<Vec<u8>>) -> Result<Option<Key>, ApiError> {
        let Some(value) = request.headers().get("idempotency-key") else { return Ok(None) };
        let invalid = || ApiError::validation("Idempotency-Key", "must be 1 to 255 visible ASCII characters");
        let key = value.to_str().map_err(|_| invalid())?.trim();
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid());
        }
        let mut hash = Sha256::new();
        hash.update(request.method().as_str());
        hash.update(b" ");
        hash.update(request.uri().path_and_query().map(|p| p.as_str()).unwrap_or(""));
        hash.update(b"\n");
        hash.update(request.body());
        let fingerprint = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok(Some(Key { key: key.to_owned(), fingerprint }))
    }

    /// Claims the key for this request (one row when claimed; none when the key is live for another request).
    pub fn claim(&self, user_id: &str, now: &str) -> Statement {
        Statement::new(format!(
            "INSERT INTO idempotency_keys (user_id, key, request_hash, expires_at) \
             VALUES (:user_id, :key, :hash, {NOW} + interval '{TTL_HOURS} hours') \
             ON CONFLICT (user_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, status = NULL, \
               body = NULL, created_at = now(), expires_at = EXCLUDED.expires_at \
             WHERE idempotency_keys.expires_at <= {NOW} \
             RETURNING 1 AS claimed"
        ))
        .bind("user_id", SqlValue::Uuid(user_id.to_owned()))
        .bind("key", SqlValue::Text(self.key.clone()))
        .bind("hash", SqlValue::Text(self.fingerprint.clone()))
        .bind("now", SqlValue::Timestamp(now.to_owned()))
    }

    /// Stores the answer of the claiming request.
    pub fn save(&self, user_id: &str, status: u16, body: &[u8]) -> Statement {
        Statement::new(
            "UPDATE idempotency_keys SET status = :status, body = :body WHERE user_id = :user_id AND key = :key",
        )
        .bind("user_id", SqlValue::Uuid(user_id.to_owned()))
        .bind("key", SqlValue::Text(self.key.clone()))
        .bind("status", SqlValue::Long(i64::from(status)))
        .bind("body", SqlValue::Text(String::from_utf8_lossy(body).into_owned()))
    }

    /// Reads the key's stored answer.
    pub fn stored(&self, user_id: &str) -> Statement {
        Statement::new(
            "SELECT request_hash, status, body FROM idempotency_keys WHERE user_id = :user_id AND key = :key",
        )
        .bind("user_id", SqlValue::Uuid(user_id.to_owned()))
        .bind("key", SqlValue::Text(self.key.clone()))
    }

    /// What to answer from [`stored`](Self::stored)'s rows: the first answer (status, body), or 422.
    pub fn replay(&self, rows: &ResultSet) -> Result<(u16, Vec<u8>), ApiError> {
        let row = rows.first().ok_or(ApiError::OriginError { internal: "idempotency key vanished".into() })?;
        if row.text("request_hash")? != self.fingerprint {
            return Err(ApiError::IdempotencyKeyReused);
        }
        let status = u16::try_from(row.long("status")?)
            .map_err(|_| ApiError::OriginError { internal: "stored status out of range".into() })?;
        Ok((status, row.text("body")?.as_bytes().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(key: Option<&str>, body: &str) -> Request<Vec<u8>> {
        let mut builder = Request::post("https://api.example/enrollments");
        if let Some(key) = key {
            builder = builder.header("idempotency-key", key);
        }
        builder.body(body.as_bytes().to_vec()).expect("request")
    }

    #[test]
    fn keys_are_checked_and_fingerprint_the_request() {
        assert_eq!(Key::of(&request(None, "{}")), Ok(None));
        for bad in ["", " ", "has space", &"x".repeat(256)] {
            assert!(matches!(Key::of(&request(Some(bad), "{}")), Err(ApiError::Validation { .. })), "{bad:?}");
        }
        let a = Key::of(&request(Some("k1"), "{\"a\":1}")).expect("ok").expect("key");
        let b = Key::of(&request(Some("k1"), "{\"a\":2}")).expect("ok").expect("key");
        assert_eq!(a.key, "k1");
        assert_ne!(a.fingerprint, b.fingerprint);
        assert_eq!(a, Key::of(&request(Some(" k1 "), "{\"a\":1}")).expect("ok").expect("key"));
    }
}
