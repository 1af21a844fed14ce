//! Catalog reads through the edge cache, against the real edge and origin. The test stack gives the lessons
//! list short windows (`CACHE_POLICY`: fresh 1 s, stale-while-revalidate 1 s, stale-if-error 3 s) so the windows
//! pass within a few one-second sleeps; origin calls are counted on the local origin.
//!
//! The runtimes truly differ here: Workers keeps answers (in the isolate and in the location's Cache API);
//! Spin instantiates per request and has no shared cache under `wasmtime serve`, so every read is a MISS that
//! reaches the origin. Each case checks its runtime's behaviour.

use momentum_tests::{call_as, dev_token, runtime, OriginFaults, Reply, Runtime};
use std::time::Duration;

/// A lessons list no other case reads (the Mindfulness course), so its entry is this case's alone.
const LESSONS: &str = "/lessons?courseId=20000000-0000-4000-8000-000000000012";
/// A page size no other case asks for, for the same reason.
const COURSES: &str = "/courses?category=wellness&limit=7";

async fn executes(origin: &OriginFaults) -> u64 {
    origin.stats().await["execute"].as_u64().expect("execute counter")
}

fn verdict(reply: &Reply) -> &str {
    reply.header("x-cache")
}

async fn pause(millis: u64) {
    tokio::time::sleep(Duration::from_millis(millis)).await;
}

#[tokio::test]
async fn miss_then_hit_then_304() {
    let origin = OriginFaults::take().await;
    let first = origin.get(COURSES).await;
    assert_eq!((first.status, verdict(&first)), (200, "MISS"));
    assert_eq!(first.header("cache-control"), "public, max-age=60, stale-while-revalidate=300, stale-if-error=86400");
    let etag = first.header("etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");

    let before = executes(&origin).await;
    let second = origin.get(COURSES).await;
    assert_eq!(second.text, first.text);
    assert_eq!(second.header("etag"), etag);
    // Equivalent queries share the entry: parameter order and defaults do not matter.
    let reordered = origin.get("/courses?limit=7&category=wellness").await;
    let conditional = origin.get_with(COURSES, &[("if-none-match", &etag)]).await;
    assert_eq!(conditional.status, 304);
    assert_eq!(conditional.text, "");
    assert_eq!(conditional.header("etag"), etag);
    let calls = executes(&origin).await - before;
    match runtime() {
        Runtime::Workers => {
            assert_eq!([verdict(&second), verdict(&reordered), verdict(&conditional)], ["HIT", "HIT", "HIT"]);
            assert_eq!(calls, 0, "hits make no origin call");
        }
        Runtime::Spin => {
            assert_eq!([verdict(&second), verdict(&reordered), verdict(&conditional)], ["MISS", "MISS", "MISS"]);
            assert_eq!(calls, 3, "without a shared cache every read reaches the origin");
        }
    }
}

#[tokio::test]
async fn concurrent_misses_make_one_origin_call() {
    let origin = OriginFaults::take().await;
    let before = executes(&origin).await;
    let replies = origin.get_concurrently("/courses?category=finance&limit=9", 24).await;
    let calls = executes(&origin).await - before;
    assert!(replies.iter().all(|r| r.status == 200), "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(replies.iter().all(|r| r.text == replies[0].text));
    match runtime() {
        // One isolate: the first request fetches, the others wait for it (a few may have been answered by a
        // second isolate if the runtime started one; never one call each).
        Runtime::Workers => assert!(calls <= 2, "{calls} origin calls for 24 concurrent misses"),
        Runtime::Spin => assert_eq!(calls, 24, "an instance per request: nothing to coalesce"),
    }
}

#[tokio::test]
async fn stale_while_revalidate_then_stale_if_error_then_the_error() {
    let origin = OriginFaults::take().await;
    let first = origin.get(LESSONS).await;
    assert_eq!((first.status, verdict(&first)), (200, "MISS"));
    assert_eq!(first.header("cache-control"), "public, max-age=1, stale-while-revalidate=1, stale-if-error=3");
    if runtime() == Runtime::Spin {
        // No stale copy to fall back on: the origin's failure is the answer.
        origin.inject("ServiceUnavailableError", 1).await;
        let failed = origin.get(LESSONS).await;
        failed.expect_error(503, "ORIGIN_UNAVAILABLE");
        assert_eq!(verdict(&failed), "MISS");
        return;
    }
    assert_eq!(verdict(&origin.get(LESSONS).await), "HIT");

    // Past fresh, within stale-while-revalidate: the stale answer comes at once, even with the origin failing
    // (the refresh runs in the background, meets the fault, and leaves the entry stale).
    pause(1000).await;
    origin.inject("ServiceUnavailableError", 1).await;
    let stale = origin.get(LESSONS).await;
    assert_eq!((stale.status, verdict(&stale)), (200, "STALE"));
    assert_eq!(stale.text, first.text);
    pause(300).await;
    let again = origin.get(LESSONS).await;
    assert_eq!(verdict(&again), "STALE", "the failed refresh left the entry stale");
    // This request's background refresh succeeds: the next one is fresh again.
    pause(300).await;
    let refreshed = origin.get(LESSONS).await;
    assert_eq!(verdict(&refreshed), "HIT", "refreshed in the background");

    // Past stale-while-revalidate, within stale-if-error: served stale, marked, only because the origin fails.
    pause(1000).await;
    pause(1000).await;
    origin.inject("ServiceUnavailableError", 10).await;
    let if_error = origin.get(LESSONS).await;
    assert_eq!((if_error.status, verdict(&if_error)), (200, "STALE"));
    assert_eq!(if_error.header("warning"), "111 - \"Revalidation Failed\"");
    assert_eq!(if_error.text, first.text);

    // Beyond stale-if-error: the origin's error.
    pause(1000).await;
    pause(1000).await;
    let failed = origin.get(LESSONS).await;
    failed.expect_error(503, "ORIGIN_UNAVAILABLE");
    assert_eq!(failed.header("retry-after"), "2");
}

#[tokio::test]
async fn per_user_answers_never_come_from_a_shared_cache() {
    let (free, premium) = (dev_token("free").await, dev_token("premium").await);
    let mut ids = Vec::new();
    for token in [&free, &premium, &free] {
        let reply = call_as("GET", "/users/me", Some(token), None).await;
        assert_eq!(verdict(&reply), "BYPASS");
        assert_eq!(reply.header("cache-control"), "private, no-store");
        ids.push(reply.expect_data(200)["userId"].as_str().expect("id").to_owned());
    }
    assert_ne!(ids[0], ids[1], "each user sees their own answer");
    assert_eq!(ids[0], ids[2]);
    // A signed-in reader's lesson bypasses the cache; the anonymous one goes through it.
    let lesson = "/lessons/30010001-0000-4000-8000-000001000001"; // day 1: the public preview
    let signed_in = call_as("GET", lesson, Some(&free), None).await;
    assert_eq!((signed_in.status, verdict(&signed_in)), (200, "BYPASS"));
    assert_eq!(signed_in.header("cache-control"), "private, no-store");
    let anonymous = call_as("GET", lesson, None, None).await;
    assert_eq!(anonymous.status, 200);
    assert_ne!(verdict(&anonymous), "BYPASS");
}
