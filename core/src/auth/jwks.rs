//! The issuer's JSON Web Key Set: parsing (RSA signing keys only), and the per-isolate cache with its penalty
//! box — refetched only when a token names an unknown `kid`, and at most once per penalty window.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use std::collections::HashMap;

/// The largest JWKS body accepted, in bytes.
pub const MAX_JWKS_BYTES: usize = 64 * 1024;
/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// An RSA public key from the JWKS, usable for RS256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaJwk {
    /// The key id.
    pub kid: String,
    /// Modulus, base64url as published (for runtimes that import JWKs natively).
    pub n: String,
    /// Exponent, base64url as published.
    pub e: String,
    /// Modulus bytes, big-endian, without leading zeros.
    pub n_bytes: Vec<u8>,
    /// Exponent bytes, big-endian.
    pub e_bytes: Vec<u8>,
}

impl RsaJwk {
    /// The signature length this key produces, in bytes.
    pub fn modulus_len(&self) -> usize {
        self.n_bytes.len()
    }
}

#[derive(Deserialize)]
struct RawJwks {
    keys: Vec<serde_json::Value>,
}

/// Parses a JWKS body. Keys that cannot sign RS256 (another `kty`, `use` other than `sig`, an `alg` other than
/// RS256, a short modulus, malformed fields) are left out, never trusted.
pub fn parse(body: &[u8]) -> Result<Vec<RsaJwk>, String> {
    if body.len() > MAX_JWKS_BYTES {
        return Err(format!("JWKS of {} bytes is over the limit", body.len()));
    }
    let raw: RawJwks = serde_json::from_slice(body).map_err(|err| format!("JWKS is not a key set: {err}"))?;
    Ok(raw.keys.iter().filter_map(rsa_signing_key).collect())
}

fn rsa_signing_key(key: &serde_json::Value) -> Option<RsaJwk> {
    let field = |name: &str| key.get(name).and_then(serde_json::Value::as_str);
    let optional_ok = |name: &str, wanted: &str| match key.get(name) {
        None => true,
        Some(value) => value.as_str() == Some(wanted),
    };
    if field("kty") != Some("RSA") || !optional_ok("use", "sig") || !optional_ok("alg", "RS256") {
        return None;
    }
    let (kid, n, e) = (field("kid")?, field("n")?, field("e")?);
    let n_bytes = strip_zeros(URL_SAFE_NO_PAD.decode(n).ok()?);
    let e_bytes = strip_zeros(URL_SAFE_NO_PAD.decode(e).ok()?);
    if kid.is_empty() || n_bytes.len() * 8 < MIN_RSA_BITS || e_bytes.is_empty() || e_bytes.len() > 8 {
        return None;
    }
    Some(RsaJwk { kid: kid.to_owned(), n: n.to_owned(), e: e.to_owned(), n_bytes, e_bytes })
}

fn strip_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let leading = bytes.iter().take_while(|b| **b == 0).count();
    bytes.drain(..leading);
    bytes
}

/// What the cache says about a `kid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The key.
    Found(RsaJwk),
    /// Unknown, and a refetch is allowed now.
    Fetch,
    /// Unknown, and the penalty box forbids a refetch until then (epoch ms).
    Blocked,
}

/// The cached key set of one issuer.
#[derive(Debug, Default)]
pub struct JwksCache {
    keys: HashMap<String, RsaJwk>,
    blocked_until_ms: u64,
    /// How many times the set was fetched (for operators and tests).
    pub fetches: u64,
}

impl JwksCache {
    /// Looks `kid` up at `now_ms`.
    pub fn lookup(&self, kid: &str, now_ms: u64) -> Lookup {
        match self.keys.get(kid) {
            Some(key) => Lookup::Found(key.clone()),
            None if now_ms < self.blocked_until_ms => Lookup::Blocked,
            None => Lookup::Fetch,
        }
    }

    /// Replaces the set after a fetch made for `wanted`; when it still lacks that kid, refetches are blocked for
    /// `penalty_ms`.
    pub fn store(&mut self, keys: Vec<RsaJwk>, wanted: &str, now_ms: u64, penalty_ms: u64) {
        self.fetches += 1;
        self.keys = keys.into_iter().map(|key| (key.kid.clone(), key)).collect();
        self.blocked_until_ms = if self.keys.contains_key(wanted) { 0 } else { now_ms.saturating_add(penalty_ms) };
    }

    /// A fetch failed: block refetches for `penalty_ms` so a down issuer is not hammered.
    pub fn fetch_failed(&mut self, now_ms: u64, penalty_ms: u64) {
        self.fetches += 1;
        self.blocked_until_ms = now_ms.saturating_add(penalty_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn modulus(bits: usize) -> String {
        let mut bytes = vec![0xC5u8; bits / 8];
        bytes[0] = 0xE1;
        URL_SAFE_NO_PAD.encode(bytes)
    }

    #[test]
    fn keeps_only_rs256_signing_keys() {
        let n = modulus(2048);
        let body = json!({"keys": [
            {"kid": "good", "kty": "RSA", "alg": "RS256", "use": "sig", "n": n, "e": "AQAB"},
            {"kid": "no-alg-no-use", "kty": "RSA", "n": n, "e": "AQAB"},
            {"kid": "enc", "kty": "RSA", "use": "enc", "n": n, "e": "AQAB"},
            {"kid": "rs512", "kty": "RSA", "alg": "RS512", "n": n, "e": "AQAB"},
            {"kid": "ec", "kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
            {"kid": "oct", "kty": "oct", "k": "c2VjcmV0"},
            {"kid": "short", "kty": "RSA", "n": modulus(1024), "e": "AQAB"},
            {"kid": "bad-b64", "kty": "RSA", "n": "***", "e": "AQAB"},
            {"kty": "RSA", "n": n, "e": "AQAB"},
            {"kid": 7, "kty": "RSA", "n": n, "e": "AQAB"}
        ]});
        let keys = parse(body.to_string().as_bytes()).expect("parses");
        let kids: Vec<&str> = keys.iter().map(|k| k.kid.as_str()).collect();
        assert_eq!(kids, ["good", "no-alg-no-use"]);
        assert_eq!(keys[0].modulus_len(), 256);
        assert_eq!(keys[0].e_bytes, vec![1, 0, 1]);
        assert!(parse(b"[]").is_err());
        assert!(parse(&vec![b' '; MAX_JWKS_BYTES + 1]).is_err());
    }

    #[test]
    fn penalty_box_blocks_refetch_until_the_window_ends() {
        let key = |kid: &str| RsaJwk {
            kid: kid.into(),
            n: String::new(),
            e: String::new(),
            n_bytes: vec![1],
            e_bytes: vec![1],
        };
        let mut cache = JwksCache::default();
        assert_eq!(cache.lookup("a", 0), Lookup::Fetch);
        cache.store(vec![key("a")], "a", 1_000, 10_000);
        assert!(matches!(cache.lookup("a", 1_000), Lookup::Found(_)));
        assert_eq!(cache.lookup("zzz", 1_000), Lookup::Fetch);
        cache.store(vec![key("a")], "zzz", 2_000, 10_000);
        assert_eq!(cache.lookup("zzz", 2_001), Lookup::Blocked);
        assert_eq!(cache.lookup("other", 11_999), Lookup::Blocked);
        assert!(matches!(cache.lookup("a", 5_000), Lookup::Found(_)), "known keys still work while blocked");
        assert_eq!(cache.lookup("zzz", 12_000), Lookup::Fetch);
        // A fetch that finds the wanted kid lifts the block (rotation).
        cache.store(vec![key("a"), key("b")], "b", 12_000, 10_000);
        assert_eq!(cache.lookup("c", 12_001), Lookup::Fetch);
        assert_eq!(cache.fetches, 3);
    }
}
