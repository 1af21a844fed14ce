//! The catalog read path through the cache, with in-memory ports and a clock the test moves: MISS then HIT
//! with no second origin call, 304 on a matching ETag, keys normalised, stale-while-revalidate with its
//! background refresh, stale-if-error, expiry, coalesced misses, and per-user answers never cached.

mod support;

use support::*;

const POLICY: &str = r#"{"categories":{"fresh":10,"swr":20,"sie":100}}"#;

fn origin_calls(fakes: &Fakes) -> usize {
    fakes.statements.borrow().iter().filter(|s| s.contains("FROM categories")).count()
}

fn verdict(reply: &Reply) -> &str {
    reply.headers["x-cache"].to_str().expect("ascii")
}

#[test]
fn miss_then_hit_then_304() {
    let (app, fakes) = app_with(&[("CACHE_POLICY", POLICY)]);
    let first = get_as(&app, "/categories", None);
    assert_eq!((first.status, verdict(&first)), (200, "MISS"));
    assert_eq!(first.headers["cache-control"], "public, max-age=10, stale-while-revalidate=20, stale-if-error=100");
    let etag = first.headers["etag"].to_str().expect("etag").to_owned();
    let second = get_as(&app, "/categories", None);
    assert_eq!((second.status, verdict(&second)), (200, "HIT"));
    assert_eq!(second.body, first.body);
    assert_eq!(origin_calls(&fakes), 1);
    let conditional = call(&app, "GET", "/categories", &[("x-api-key", API_KEY), ("if-none-match", &etag)]);
    assert_eq!((conditional.status, verdict(&conditional)), (304, "HIT"));
    assert!(conditional.body.is_empty());
    assert_eq!(conditional.headers["etag"], etag.as_str());
    let other = call(&app, "GET", "/categories", &[("x-api-key", API_KEY), ("if-none-match", "\"nope\"")]);
    assert_eq!(other.status, 200);
}

#[test]
fn equivalent_queries_share_an_entry() {
    let (app, fakes) = app();
    assert_eq!(verdict(&get_as(&app, "/courses?limit=20", None)), "MISS");
    assert_eq!(verdict(&get_as(&app, "/courses", None)), "HIT", "defaults filled in");
    assert_eq!(verdict(&get_as(&app, "/courses?limit=500", None)), "MISS");
    assert_eq!(verdict(&get_as(&app, "/courses?limit=100", None)), "HIT", "limit clamped");
    assert_eq!(verdict(&get_as(&app, "/courses?category=wellness&limit=3", None)), "MISS");
    assert_eq!(verdict(&get_as(&app, "/courses?limit=3&category=wellness", None)), "HIT", "parameter order");
    let calls = fakes.statements.borrow().iter().filter(|s| s.contains("FROM courses")).count();
    assert_eq!(calls, 3);
    // Invalid input never reaches the cache.
    assert_eq!(verdict(&get_as(&app, "/courses?limit=0", None)), "BYPASS");
}

#[test]
fn stale_while_revalidate_answers_at_once_and_refreshes_in_the_background() {
    let (app, fakes) = app_with(&[("CACHE_POLICY", POLICY)]);
    get_as(&app, "/categories", None);
    fakes.now_ms.set(fakes.now_ms.get() + 15_000);
    fakes.db_down.set(true);
    let stale = get_as(&app, "/categories", None);
    assert_eq!((stale.status, verdict(&stale)), (200, "STALE"));
    assert_eq!(origin_calls(&fakes), 1, "the stale answer did not wait for the origin");
    let refresh = stale.refresh.expect("a background refresh is asked for");
    // The refresh fails while the origin is down: the stale entry stays.
    futures_executor::block_on(app.refresh(refresh.clone()));
    assert_eq!(origin_calls(&fakes), 2);
    assert_eq!(verdict(&get_as(&app, "/categories", None)), "STALE");
    fakes.db_down.set(false);
    futures_executor::block_on(app.refresh(refresh));
    assert_eq!(origin_calls(&fakes), 3);
    let fresh = get_as(&app, "/categories", None);
    assert_eq!(verdict(&fresh), "HIT");
    assert!(fresh.refresh.is_none());
}

#[test]
fn stale_if_error_then_the_origins_error() {
    let (app, fakes) = app_with(&[("CACHE_POLICY", POLICY)]);
    let first = get_as(&app, "/categories", None);
    fakes.db_down.set(true);
    fakes.now_ms.set(fakes.now_ms.get() + 50_000);
    let stale = get_as(&app, "/categories", None);
    assert_eq!((stale.status, verdict(&stale)), (200, "STALE"));
    assert_eq!(stale.headers["warning"], "111 - \"Revalidation Failed\"");
    assert_eq!(stale.body, first.body);
    fakes.now_ms.set(fakes.now_ms.get() + 61_000);
    let expired = get_as(&app, "/categories", None);
    assert_eq!(expired.status, 503);
    assert_eq!(expired.json["error"]["code"], "ORIGIN_UNAVAILABLE");
    // Beyond swr with the origin back: refetched; the same content is REVALIDATED.
    fakes.db_down.set(false);
    let revalidated = get_as(&app, "/categories", None);
    assert_eq!((revalidated.status, verdict(&revalidated)), (200, "MISS"));
    fakes.now_ms.set(fakes.now_ms.get() + 35_000);
    assert_eq!(verdict(&get_as(&app, "/categories", None)), "REVALIDATED");
}

#[test]
fn concurrent_misses_make_one_origin_call() {
    let (app, fakes) = app();
    fakes.db_yields.set(true);
    let requests: Vec<_> = (0..5).map(|_| request("GET", "/categories", &[("x-api-key", API_KEY)])).collect();
    let responses = futures_executor::block_on(futures_util_join_all(requests.into_iter().map(|r| app.handle(r))));
    let verdicts: Vec<String> =
        responses.iter().map(|r| r.headers()["x-cache"].to_str().expect("ascii").to_owned()).collect();
    assert_eq!(origin_calls(&fakes), 1, "{verdicts:?}");
    assert_eq!(verdicts.iter().filter(|v| *v == "MISS").count(), 1);
    assert_eq!(verdicts.iter().filter(|v| *v == "HIT").count(), 4);
}

/// Joins futures on one thread (a tiny `join_all`, so the test needs no extra crate).
async fn futures_util_join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<std::pin::Pin<Box<F>>> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (future, output) in pending.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    outputs.into_iter().map(|o| o.expect("ready")).collect()
}

#[test]
fn per_user_answers_are_never_cached() {
    let (app, _) = app();
    let me = get_as(&app, "/users/me", Some(&token("user-1", None)));
    assert_eq!(verdict(&me), "BYPASS");
    assert_eq!(me.headers["cache-control"], "private, no-store");
    let lesson = "/lessons/30010001-0000-4000-8000-000001000001";
    let signed_in = get_as(&app, lesson, Some(&token("user-1", None)));
    assert_eq!(verdict(&signed_in), "BYPASS");
    // The public lesson goes through the cache; the fake origin has no such lesson, and a 404 is never cached.
    for _ in 0..2 {
        let anonymous = get_as(&app, lesson, None);
        assert_eq!((anonymous.status, verdict(&anonymous)), (404, "MISS"));
    }
}

#[test]
fn an_admin_write_retires_every_cached_catalog_answer() {
    let (app, fakes) = app();
    assert_eq!(verdict(&get_as(&app, "/categories", None)), "MISS");
    assert_eq!(verdict(&get_as(&app, "/categories", None)), "HIT");
    let admin = token("admin-1", Some(&["admin"]));
    let bearer = format!("Bearer {admin}");
    let headers = [("x-api-key", API_KEY), ("authorization", bearer.as_str()), ("content-type", "application/json")];
    let mut request = request("PUT", "/courses/20000000-0000-4000-8000-000000000006", &headers);
    *request.body_mut() = br#"{"description":"changed"}"#.to_vec();
    let written = reply(futures_executor::block_on(app.handle(request)));
    assert_eq!(written.status, 200, "{}", written.json);
    assert_eq!(written.json["data"]["description"], "changed");
    assert_eq!(written.json["data"]["status"], "published");
    assert_eq!(verdict(&written), "BYPASS");
    assert_eq!(verdict(&get_as(&app, "/categories", None)), "MISS", "a new catalog version: nothing cached");
    assert_eq!(origin_calls(&fakes), 2);
}

#[test]
fn bodies_over_64_kib_are_refused() {
    let (app, _) = app();
    let admin = token("admin-1", Some(&["admin"]));
    let bearer = format!("Bearer {admin}");
    let mut request = request(
        "PUT",
        "/courses/20000000-0000-4000-8000-000000000006",
        &[("x-api-key", API_KEY), ("authorization", bearer.as_str())],
    );
    *request.body_mut() = vec![b' '; 64 * 1024 + 1];
    let refused = reply(futures_executor::block_on(app.handle(request)));
    assert_eq!(refused.status, 413);
    assert_eq!(refused.json["error"]["code"], "PAYLOAD_TOO_LARGE");
}
