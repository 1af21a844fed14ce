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
    let cases = [
        ("DatabaseResumingException", 503, "ORIGIN_UNAVAILABLE", "10"),
        ("ServiceUnavailableError", 503, "ORIGIN_UNAVAILABLE", "2"),
        ("InternalServerErrorException", 503, "ORIGIN_UNAVAILABLE", "2"),
        ("StatementTimeoutException", 504, "ORIGIN_TIMEOUT", ""),
    ];
    for (fault, status, code, retry_after) in cases {
        origin.inject(fault, 1).await;
        let reply = origin.get_with(PROFILE, &auth).await;
        reply.expect_error(status, code);
        assert_eq!(reply.header("retry-after"), retry_after, "{fault}");
        assert_eq!(reply.header("cache-control"), "no-store", "{fault}");
        assert!(!reply.text.contains(fault), "{fault}: origin internals never reach the client: {}", reply.text);
        // The fault was for one call only: the next request is served.
        assert_eq!(origin.get_with(PROFILE, &auth).await.status, 200, "after {fault}");
    }
}
