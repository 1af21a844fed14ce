//! Edge caching of the public catalog: fresh TTL, then stale-while-revalidate (serve stale, refresh in the
//! background), then stale-if-error (origin down: serve stale, marked); `ETag`/`If-None-Match`; request
//! coalescing; and an `X-Cache` verdict on every answer.
//!
//! Two layers: an in-isolate map (a hit costs no runtime call at all) in front of the shell's shared cache
//! (the `EdgeCache` port: Workers' Cache API, shared by the isolates of a location). Keys are built from the
//! route's validated, normalised parameters (defaults filled in, limit clamped) under a version prefix —
//! never from anything about the caller: only routes whose answer is the same for everyone are cached.

pub mod policy;

pub use policy::{CachePolicies, Policy};

use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};

/// A cached answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The envelope's bytes.
    pub body: Vec<u8>,
    /// Its strong validator, quoted (`"…"`).
    pub etag: String,
    /// The `Link` header, for paginated lists.
    pub link: Option<String>,
    /// When it was fetched from the origin (epoch ms).
    pub stored_at_ms: u64,
}

impl Stored {
    /// An entry for `body` fetched at `now_ms`.
    pub fn new(body: Vec<u8>, link: Option<String>, now_ms: u64) -> Stored {
        Stored { etag: etag(&body), body, link, stored_at_ms: now_ms }
    }
}

/// The strong `ETag` of a body: a hash of its bytes.
pub fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether an `If-None-Match` value matches `etag` (a list, weak forms and `*` included).
pub fn none_match(header: Option<&str>, etag: &str) -> bool {
    let Some(header) = header else { return false };
    header.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag.strip_prefix("W/").unwrap_or(etag)
    })
}

/// The operator's verdict in `X-Cache`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Served fresh from a cache.
    Hit,
    /// Fetched from the origin (nothing usable was cached).
    Miss,
    /// Served stale: within stale-while-revalidate (a refresh runs in the background) or stale-if-error
    /// (the origin failed).
    Stale,
    /// An expired entry was refetched and the origin's answer was unchanged.
    Revalidated,
    /// Not cacheable (depends on who asks, or not a catalog read).
    Bypass,
}

impl Verdict {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Hit => "HIT",
            Verdict::Miss => "MISS",
            Verdict::Stale => "STALE",
            Verdict::Revalidated => "REVALIDATED",
            Verdict::Bypass => "BYPASS",
        }
    }
}

/// Where an entry stands at a moment, under a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Age {
    /// Within the fresh TTL.
    Fresh,
    /// Past it, within stale-while-revalidate.
    Revalidate,
    /// Past that, within stale-if-error: usable only if the origin fails.
    IfError,
    /// Too old to serve.
    Expired,
}

/// Classifies `entry` at `now_ms`.
pub fn age(entry: &Stored, policy: &Policy, now_ms: u64) -> Age {
    let age_ms = now_ms.saturating_sub(entry.stored_at_ms);
    let fresh = u64::from(policy.fresh) * 1000;
    let swr = fresh + u64::from(policy.swr) * 1000;
    let sie = fresh + u64::from(policy.sie) * 1000;
    if age_ms < fresh {
        Age::Fresh
    } else if age_ms < swr {
        Age::Revalidate
    } else if age_ms < sie {
        Age::IfError
    } else {
        Age::Expired
    }
}

/// The in-isolate layer: a bounded map, oldest insertions evicted first.
#[derive(Debug)]
pub struct Local {
    capacity: usize,
    entries: HashMap<String, Stored>,
    order: VecDeque<String>,
}

impl Local {
    /// A layer of at most `capacity` entries (0 disables it).
    pub fn new(capacity: usize) -> Local {
        Local { capacity, entries: HashMap::new(), order: VecDeque::new() }
    }

    /// The entry under `key`.
    pub fn get(&self, key: &str) -> Option<&Stored> {
        self.entries.get(key)
    }

    /// Stores `entry` under `key`.
    pub fn put(&mut self, key: &str, entry: Stored) {
        if self.capacity == 0 {
            return;
        }
        if self.entries.insert(key.to_owned(), entry).is_none() {
            self.order.push_back(key.to_owned());
        }
        while self.entries.len() > self.capacity {
            match self.order.pop_front() {
                Some(oldest) => {
                    self.entries.remove(&oldest);
                }
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        let policy = Policy { fresh: 10, swr: 20, sie: 100 };
        let entry = Stored::new(b"x".to_vec(), None, 1_000_000);
        let at = |secs: u64| age(&entry, &policy, 1_000_000 + secs * 1000);
        assert_eq!(
            [at(0), at(9), at(10), at(29), at(30), at(109), at(110)],
            [Age::Fresh, Age::Fresh, Age::Revalidate, Age::Revalidate, Age::IfError, Age::IfError, Age::Expired]
        );
    }

    #[test]
    fn etags_and_if_none_match() {
        let tag = etag(b"{}");
        assert_eq!(tag, etag(b"{}"));
        assert_ne!(tag, etag(b"{ }"));
        assert!(tag.starts_with('"') && tag.ends_with('"') && tag.len() == 26);
        assert!(none_match(Some(&tag), &tag));
        assert!(none_match(Some(&format!("\"x\", W/{tag}")), &tag));
        assert!(none_match(Some("*"), &tag));
        assert!(!none_match(Some("\"other\""), &tag));
        assert!(!none_match(None, &tag));
    }

    #[test]
    fn local_layer_is_bounded() {
        let mut local = Local::new(2);
        for key in ["a", "b", "c"] {
            local.put(key, Stored::new(key.as_bytes().to_vec(), None, 0));
        }
        assert!(local.get("a").is_none());
        assert!(local.get("c").is_some());
        let mut off = Local::new(0);
        off.put("a", Stored::new(vec![], None, 0));
        assert!(off.get("a").is_none());
    }
}
