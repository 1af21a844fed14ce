//! The verified-token cache: a returning token costs a hash and a lookup instead of an RSA verification.
//! Keyed by SHA-256 of the token (the token itself is never stored), valid until the token's `exp`, bounded
//! in size (oldest entries leave first).

use super::jwt::Identity;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};

/// A bounded map from token hash to verified identity.
#[derive(Debug, Default)]
pub struct TokenCache {
    capacity: usize,
    entries: HashMap<[u8; 32], Identity>,
    order: VecDeque<[u8; 32]>,
}

impl TokenCache {
    /// A cache of at most `capacity` tokens; 0 turns caching off.
    pub fn new(capacity: usize) -> Self {
        TokenCache { capacity, entries: HashMap::new(), order: VecDeque::new() }
    }

    /// The hash a token is cached under.
    pub fn key(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The identity of a token verified earlier, if it has not expired by `now_secs` (with `leeway_secs`).
    pub fn get(&mut self, key: &[u8; 32], now_secs: i64, leeway_secs: i64) -> Option<Identity> {
        let identity = self.entries.get(key)?;
        if identity.exp.saturating_add(leeway_secs) < now_secs {
            self.entries.remove(key);
            return None;
        }
        Some(identity.clone())
    }

    /// Remembers a verified token.
    pub fn insert(&mut self, key: [u8; 32], identity: Identity) {
        if self.capacity == 0 {
            return;
        }
        if self.entries.insert(key, identity).is_none() {
            self.order.push_back(key);
        }
        while self.entries.len() > self.capacity {
            match self.order.pop_front() {
                Some(oldest) => {
                    self.entries.remove(&oldest);
                }
                None => break,
            }
        }
        // Entries removed on expiry leave stale keys behind in `order`; keep it from growing without bound.
        if self.order.len() > self.capacity.saturating_mul(2) {
            let entries = &self.entries;
            self.order.retain(|key| entries.contains_key(key));
        }
    }

    /// How many tokens are cached.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no token is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(exp: i64) -> Identity {
        Identity { sub: "s".into(), username: None, groups: vec![], email: None, name: None, exp }
    }

    #[test]
    fn hit_until_expiry_and_bounded() {
        let mut cache = TokenCache::new(2);
        let (a, b, c) = (TokenCache::key("a"), TokenCache::key("b"), TokenCache::key("c"));
        cache.insert(a, identity(100));
        assert!(cache.get(&a, 100, 0).is_some());
        assert!(cache.get(&a, 150, 60).is_some(), "within leeway");
        assert!(cache.get(&a, 161, 60).is_none(), "expired beyond leeway");
        cache.insert(a, identity(1000));
        cache.insert(b, identity(1000));
        cache.insert(c, identity(1000));
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&a, 0, 0).is_none(), "oldest evicted");
        assert!(cache.get(&c, 0, 0).is_some());
    }

    #[test]
    fn zero_capacity_disables() {
        let mut cache = TokenCache::new(0);
        cache.insert(TokenCache::key("a"), identity(100));
        assert!(cache.is_empty());
    }
}
