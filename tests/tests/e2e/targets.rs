//! Request targets as no URL-parsing client sends them, written byte for byte on the wire.
//!
//! Every edge reads the target as a WHATWG URL, as the Workers runtime does: dot segments (also
//! percent-encoded) are resolved and `\` is read as `/` before the core routes. (Spin hands its component the
//! raw target; the Spin shell parses it with the same URL parser as the Workers shell.)

use momentum_tests::{base_url, get_raw, runtime, Runtime};
use serde_json::json;

#[tokio::test]
async fn dot_segments_and_backslashes_are_resolved_before_routing() {
    let base = base_url();
    for target in ["/lessons/../health", "/./health", "/%2e%2e/health", "/%2E/health", "/courses/%2e%2E/health"] {
        let reply = get_raw(&base, target).await;
        assert_eq!(reply.expect_data(200), &json!({"status": "ok"}), "{target}");
    }
    // `/courses\x` is `/courses/x`: a course id that is not one, not an unknown route.
    let reply = get_raw(&base, "/courses\\x").await;
    let details = reply.expect_error(404, "NOT_FOUND");
    assert_eq!(details["resource"], "course", "{}", reply.text);
    // Characters a URL path may not hold raw still reach the router, and find nothing.
    get_raw(&base, "/courses/{x}").await.expect_error(404, "NOT_FOUND");
}

/// A runtime difference, below both the core and the shells: a target with characters that RFC 3986 forbids
/// (a raw `"`) is refused by Spin's HTTP server (hyper, in `spin up` as in `wasmtime serve`) before the
/// component runs, while workerd percent-encodes it and lets the core refuse it. A 400 either way; the
/// envelope only where the request reached the code.
#[tokio::test]
async fn a_target_with_forbidden_characters_is_a_400_on_every_runtime() {
    let reply = get_raw(&base_url(), "/courses?category=\"x\"").await;
    match runtime() {
        Runtime::Workers => {
            let details = reply.expect_error(400, "VALIDATION_ERROR");
            assert_eq!(details["field"], "category");
        }
        Runtime::Spin => {
            assert_eq!(reply.status, 400, "{}", reply.text);
            assert_eq!(reply.json, serde_json::Value::Null, "the component never ran: {}", reply.text);
        }
    }
}
