//! Freshness per catalog route, configurable with `CACHE_POLICY`, e.g.
//! `{"courses":{"fresh":60,"swr":300,"sie":86400},"categories":{"fresh":3600}}` (seconds; omitted fields and
//! routes take the defaults: fresh `CATALOG_MAX_AGE`, 5 minutes stale-while-revalidate, a day stale-if-error).

use serde::Deserialize;

/// The windows of one route, in seconds after the entry was fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Fresh: served as is.
    pub fresh: u32,
    /// Then stale-while-revalidate: served stale while a background refresh runs.
    pub swr: u32,
    /// Then (counted from fresh's end, like swr) stale-if-error: served stale only when the origin fails.
    pub sie: u32,
}

impl Policy {
    /// `Cache-Control` for a CDN in front, with the same windows.
    pub fn cache_control(&self) -> String {
        format!("public, max-age={}, stale-while-revalidate={}, stale-if-error={}", self.fresh, self.swr, self.sie)
    }

    /// How long a shared cache must keep an entry to serve every window.
    pub fn keep_secs(&self) -> u32 {
        self.fresh.saturating_add(self.swr.max(self.sie))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Partial {
    fresh: Option<u32>,
    swr: Option<u32>,
    sie: Option<u32>,
}

/// The policies of the cacheable routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicies {
    /// `GET /courses`.
    pub courses: Policy,
    /// `GET /courses/{id}`.
    pub course: Policy,
    /// `GET /lessons?courseId=`.
    pub lessons: Policy,
    /// `GET /lessons/{id}` (anonymous callers).
    pub lesson: Policy,
    /// `GET /categories`.
    pub categories: Policy,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    courses: Option<Partial>,
    course: Option<Partial>,
    lessons: Option<Partial>,
    lesson: Option<Partial>,
    categories: Option<Partial>,
}

impl CachePolicies {
    /// Reads `CACHE_POLICY` (absent: every route takes the defaults) with `fresh_default` seconds fresh.
    pub fn from_json(raw: Option<&str>, fresh_default: u32) -> Result<CachePolicies, String> {
        let raw: Raw = match raw {
            None => Raw::default(),
            Some(text) => serde_json::from_str(text).map_err(|err| format!("CACHE_POLICY: {err}"))?,
        };
        let make = |partial: Option<Partial>| {
            let partial = partial.unwrap_or_default();
            Policy {
                fresh: partial.fresh.unwrap_or(fresh_default),
                swr: partial.swr.unwrap_or(300),
                sie: partial.sie.unwrap_or(86_400),
            }
        };
        Ok(CachePolicies {
            courses: make(raw.courses),
            course: make(raw.course),
            lessons: make(raw.lessons),
            lesson: make(raw.lesson),
            categories: make(raw.categories),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let policies = CachePolicies::from_json(Some(r#"{"lessons":{"fresh":1,"swr":2}}"#), 60).expect("valid");
        assert_eq!(policies.courses, Policy { fresh: 60, swr: 300, sie: 86_400 });
        assert_eq!(policies.lessons, Policy { fresh: 1, swr: 2, sie: 86_400 });
        assert_eq!(
            policies.courses.cache_control(),
            "public, max-age=60, stale-while-revalidate=300, stale-if-error=86400"
        );
        assert_eq!(policies.lessons.keep_secs(), 86_401);
        assert!(CachePolicies::from_json(Some(r#"{"lesons":{}}"#), 60).is_err());
        assert!(CachePolicies::from_json(Some(r#"{"lessons":{"fresh":-1}}"#), 60).is_err());
        assert!(CachePolicies::from_json(None, 30).is_ok());
    }
}
