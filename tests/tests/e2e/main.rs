//! The end-to-end contract suite: requests against a running edge (`MOMENTUM_BASE_URL`), whatever runtime
//! serves it. Every case checks status, headers and body. `scripts/test.sh` runs it once against the Workers
//! edge and once against the Spin edge, in front of the same local origin: the two must give the same answers.
//!
//! A difference between the runtimes is a bug in the core or in the shell that strays, fixed there — never by
//! skipping a case for one runtime. Where the runtimes truly differ (the scope of a cache, the reach of a
//! rate-limit counter), the case says so and checks each behaviour through `momentum_tests::runtime()`.

mod admin;
mod ai_generation;
mod auth;
mod cache;
mod catalog;
mod errors;
mod learning;
mod media;
mod origin_faults;
mod pagination;
mod targets;

/// Seed ids (migrations/seed/0001_demo_catalog.sql).
pub mod seed {
    /// "Leadership Fundamentals": the product document's example course.
    pub const LEADERSHIP_FUNDAMENTALS: &str = "20000000-0000-4000-8000-000000000001";
    /// A draft course: never in the catalog.
    pub const DRAFT_COURSE: &str = "20000000-0000-4000-8000-000000000016";
    /// The archived course: never in the catalog.
    pub const ARCHIVED_COURSE: &str = "20000000-0000-4000-8000-000000000019";
    /// Published courses in the seed.
    pub const PUBLISHED_COURSES: usize = 15;
    /// Published leadership courses in the seed.
    pub const LEADERSHIP_COURSES: usize = 5;
}
