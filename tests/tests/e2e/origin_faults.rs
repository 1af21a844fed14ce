//! Origin trouble becomes 502/503/504 in the envelope, with `Retry-After` where a retry helps.
//! The local origin's faults are global: the case holds [`OriginFaults`], so no other case's request runs
//! meanwhile.

use momentum_tests::{dev_token, OriginFaults};

/// A per-user read: never cached, so every request reaches the origin.
const PROFILE: &str = "/users/40000000-0000-4000-8000-000000000001";

#[tokio::test]
async fn origin_errors_map_to_gateway_statuses() {
    let token = dev_token("free").await;
    let bearer = format!("Bearer {token}");
    let auth = [("authorization", bearer.as_str())];
    let origin = OriginFaults::take().await;
    // (fault, how many calls fail, status, code, Retry-After, calls the edge makes). A resuming database ran
    // nothing: the edge tries three times in all, then gives up. A 5xx may have run: never repeated.
    let cases = [
        ("DatabaseResumingException", 3, 503, "ORIGIN_UNAVAILABLE", "10", 3),
        ("ServiceUnavailableError", 1, 503, "ORIGIN_UNAVAILABLE", "2", 1),
        ("InternalServerErrorException", 1, 503, "ORIGIN_UNAVAILABLE", "2", 1),
        ("StatementTimeoutException", 1, 504, "ORIGIN_TIMEOUT", "", 1),
    ];
    for (fault, count, status, code, retry_after, calls) in cases {
        origin.inject(fault, count).await;
        let before = origin.stats().await["execute"].as_u64().expect("count");
        let reply = origin.get_with(PROFILE, &auth).await;
        reply.expect_error(status, code);
        assert_eq!(origin.stats().await["execute"].as_u64().expect("count") - before, calls, "{fault}");
        assert_eq!(reply.header("retry-after"), retry_after, "{fault}");
        assert_eq!(reply.header("cache-control"), "no-store", "{fault}");
        assert!(!reply.text.contains(fault), "{fault}: origin internals never reach the client: {}", reply.text);
        // The fault was for those calls only: the next request is served.
        assert_eq!(origin.get_with(PROFILE, &auth).await.status, 200, "after {fault}");
    }
    // A database that resumes within the retries is never noticed.
    origin.inject("DatabaseResumingException", 2).await;
    assert_eq!(origin.get_with(PROFILE, &auth).await.status, 200, "served on the third attempt");
}
