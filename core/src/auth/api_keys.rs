//! API keys and usage plans, as API Gateway had them: every request presents `x-api-key`; keys are configured
//! only as SHA-256 hashes, each bound to a plan (steady rate, burst, daily quota).
//!
//! Counters live in the isolate that serves the request (a token bucket and a daily count per key): they are
//! exact within one isolate and approximate across isolates and locations — a key can get up to
//! (isolates × burst) at once. Exact global limits need a coordinating store (a Durable Object on Workers).

use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// A usage plan.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsagePlan {
    /// Steady requests per second.
    pub rate_per_second: f64,
    /// Requests allowed at once (the bucket's size).
    pub burst: u32,
    /// Requests per UTC day.
    pub daily_quota: u64,
}

/// A configured key: its id (for logs and counters), the hex SHA-256 of its value, and its plan.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
    /// A name for the key (never the key itself).
    pub id: String,
    /// Lower-case hex SHA-256 of the key's value.
    pub sha256: String,
    /// The usage plan's name.
    pub plan: String,
}

/// The keys and plans of a deployment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiKeys {
    keys: Vec<([u8; 32], ApiKey)>,
    plans: HashMap<String, UsagePlan>,
}

impl ApiKeys {
    /// Reads `API_KEYS` (a JSON array of `{id, sha256, plan}`) and `USAGE_PLANS` (a JSON object of plans).
    pub fn from_json(keys: &str, plans: &str) -> Result<Self, String> {
        let plans: HashMap<String, UsagePlan> =
            serde_json::from_str(plans).map_err(|err| format!("USAGE_PLANS: {err}"))?;
        for (name, plan) in &plans {
            if !(plan.rate_per_second > 0.0 && plan.rate_per_second.is_finite())
                || plan.burst == 0
                || plan.daily_quota == 0
            {
                return Err(format!("USAGE_PLANS: plan {name} needs a positive rate, burst and quota"));
            }
        }
        let list: Vec<ApiKey> = serde_json::from_str(keys).map_err(|err| format!("API_KEYS: {err}"))?;
        let mut parsed = Vec::with_capacity(list.len());
        for key in list {
            let digest =
                hex32(&key.sha256).ok_or_else(|| format!("API_KEYS: key {} needs a 64-digit hex sha256", key.id))?;
            if !plans.contains_key(&key.plan) {
                return Err(format!("API_KEYS: key {} names unknown plan {}", key.id, key.plan));
            }
            parsed.push((digest, key));
        }
        Ok(ApiKeys { keys: parsed, plans })
    }

    /// The key and plan a presented value belongs to. Compares hashes in constant time.
    pub fn find(&self, presented: &str) -> Option<(&ApiKey, &UsagePlan)> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for (hash, key) in &self.keys {
            let diff = hash.iter().zip(digest.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if diff == 0 {
                found = Some(key);
            }
        }
        let key = found?;
        self.plans.get(&key.plan).map(|plan| (key, plan))
    }
}

fn hex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (index, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Where a key stands after a request was counted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateStatus {
    /// The burst size (`RateLimit-Limit`).
    pub limit: u32,
    /// Requests left right now (`RateLimit-Remaining`).
    pub remaining: u32,
    /// Seconds until the bucket is full again (`RateLimit-Reset`).
    pub reset_secs: u32,
}

/// A request over the plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limited {
    /// Seconds until a request would pass (`Retry-After`).
    pub retry_after_secs: u32,
    /// The counters, for the `RateLimit-*` headers.
    pub status: RateStatus,
    /// Whether the daily quota (rather than the rate) ran out.
    pub quota: bool,
}

#[derive(Debug, Clone)]
struct Counter {
    tokens: f64,
    last_ms: u64,
    day: u64,
    today: u64,
}

/// Per-isolate counters of every key.
#[derive(Debug, Default)]
pub struct RateLimiter {
    counters: HashMap<String, Counter>,
}

const DAY_MS: u64 = 86_400_000;

impl RateLimiter {
    /// Counts one request of `key` under `plan` at `now_ms`.
    pub fn check(&mut self, key: &ApiKey, plan: &UsagePlan, now_ms: u64) -> Result<RateStatus, Limited> {
        let burst = f64::from(plan.burst);
        let counter = self.counters.entry(key.id.clone()).or_insert(Counter {
            tokens: burst,
            last_ms: now_ms,
            day: now_ms / DAY_MS,
            today: 0,
        });
        let elapsed = now_ms.saturating_sub(counter.last_ms) as f64 / 1000.0;
        counter.tokens = (counter.tokens + elapsed * plan.rate_per_second).min(burst);
        counter.last_ms = now_ms.max(counter.last_ms);
        if counter.day != now_ms / DAY_MS {
            counter.day = now_ms / DAY_MS;
            counter.today = 0;
        }
        let status = |tokens: f64| RateStatus {
            limit: plan.burst,
            remaining: tokens.max(0.0).floor() as u32,
            reset_secs: ((burst - tokens).max(0.0) / plan.rate_per_second).ceil() as u32,
        };
        if counter.today >= plan.daily_quota {
            let retry = ((counter.day + 1) * DAY_MS).saturating_sub(now_ms).div_ceil(1000);
            return Err(Limited {
                retry_after_secs: u32::try_from(retry).unwrap_or(u32::MAX),
                status: status(counter.tokens),
                quota: true,
            });
        }
        if counter.tokens < 1.0 {
            let retry = ((1.0 - counter.tokens) / plan.rate_per_second).ceil().max(1.0) as u32;
            return Err(Limited { retry_after_secs: retry, status: status(counter.tokens), quota: false });
        }
        counter.tokens -= 1.0;
        counter.today += 1;
        Ok(status(counter.tokens))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV_HASH: &str = "6a1a1c7d2d1a73a0ed4bfc1f1b0d8e4e8bd3ea4e01ad1e6e0ae2db6e1c1f9a5b";

    fn keys() -> ApiKeys {
        let hash = hex::encode(Sha256::digest(b"dev-key"));
        ApiKeys::from_json(
            &format!(r#"[{{"id":"dev","sha256":"{hash}","plan":"basic"}}]"#),
            r#"{"basic":{"ratePerSecond":2,"burst":3,"dailyQuota":5}}"#,
        )
        .expect("valid")
    }

    mod hex {
        pub fn encode(bytes: impl AsRef<[u8]>) -> String {
            bytes.as_ref().iter().map(|b| format!("{b:02x}")).collect()
        }
    }

    #[test]
    fn keys_match_by_hash_only() {
        let keys = keys();
        assert_eq!(keys.find("dev-key").map(|(k, _)| k.id.as_str()), Some("dev"));
        assert!(keys.find("dev-key ").is_none());
        assert!(keys.find("").is_none());
        assert!(keys.find(DEV_HASH).is_none());
    }

    #[test]
    fn bad_configuration_is_refused() {
        let plans = r#"{"basic":{"ratePerSecond":1,"burst":1,"dailyQuota":1}}"#;
        assert!(ApiKeys::from_json(r#"[{"id":"a","sha256":"xyz","plan":"basic"}]"#, plans).is_err());
        assert!(ApiKeys::from_json(&format!(r#"[{{"id":"a","sha256":"{DEV_HASH}","plan":"gold"}}]"#), plans).is_err());
        assert!(ApiKeys::from_json("[]", r#"{"basic":{"ratePerSecond":0,"burst":1,"dailyQuota":1}}"#).is_err());
        assert!(
            ApiKeys::from_json("[]", r#"{"basic":{"ratePerSecond":1,"burst":1,"dailyQuota":1,"extra":1}}"#).is_err()
        );
        assert!(ApiKeys::from_json("not json", plans).is_err());
    }

    #[test]
    fn token_bucket_then_daily_quota() {
        let keys = keys();
        let (key, plan) = keys.find("dev-key").expect("key");
        let mut limiter = RateLimiter::default();
        let t0 = 10 * DAY_MS + 1_000;
        assert_eq!(limiter.check(key, plan, t0).map(|s| s.remaining), Ok(2));
        assert_eq!(limiter.check(key, plan, t0).map(|s| s.remaining), Ok(1));
        assert_eq!(limiter.check(key, plan, t0).map(|s| s.remaining), Ok(0));
        let limited = limiter.check(key, plan, t0).expect_err("burst spent");
        assert!(!limited.quota);
        assert_eq!(limited.retry_after_secs, 1);
        // Half a second refills one token at 2/s.
        assert!(limiter.check(key, plan, t0 + 500).is_ok());
        assert!(limiter.check(key, plan, t0 + 1_500).is_ok());
        // Five requests today: the quota is spent even with tokens in the bucket.
        let limited = limiter.check(key, plan, t0 + 10_000).expect_err("quota spent");
        assert!(limited.quota);
        assert_eq!(u64::from(limited.retry_after_secs), (11 * DAY_MS - (t0 + 10_000)).div_ceil(1000));
        // A new UTC day resets the quota.
        assert!(limiter.check(key, plan, 11 * DAY_MS).is_ok());
    }
}
