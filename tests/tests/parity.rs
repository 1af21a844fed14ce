//! Both edges give the same answers: the same requests to the Workers edge (`MOMENTUM_WORKERS_URL`) and the
//! Spin edge (`MOMENTUM_SPIN_URL`), in front of the same origin, must get byte-identical bodies, the same
//! status and the same headers — all of them, but those each HTTP server sets for itself (date, framing,
//! connection). The contract suite checks what each answer must be; this checks that nothing else differs.
//! `scripts/test.sh` runs it once, with both edges up.

use momentum_tests::{dev_token, get_raw, send, Reply};

fn url(name: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value.trim_end_matches('/').to_owned(),
        _ => {
            panic!("{name} is not set: this suite compares two running edges; use scripts/test.sh")
        }
    }
}

/// Headers an HTTP server sets for itself; everything else comes from the core and must match.
const TRANSPORT: [&str; 5] = ["date", "content-length", "transfer-encoding", "connection", "keep-alive"];

/// Headers that describe the cache's state rather than the answer: the runtimes truly differ there (Workers
/// caches per location, Spin keeps nothing between requests), and e2e/cache.rs checks each behaviour.
const CACHE_STATE: [&str; 2] = ["x-cache", "age"];

fn headers(reply: &Reply) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = reply
        .headers
        .iter()
        .filter(|(name, _)| !TRANSPORT.contains(&name.as_str()) && !CACHE_STATE.contains(&name.as_str()))
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    headers.sort();
    headers
}

#[tokio::test]
async fn workers_and_spin_answer_alike() {
    let (workers, spin) = (url("MOMENTUM_WORKERS_URL"), url("MOMENTUM_SPIN_URL"));
    let long = "a".repeat(8000);
    let requests: Vec<(&str, String, Option<&str>)> = vec![
        ("GET", "/health".into(), None),
        ("GET", "/courses".into(), None),
        ("GET", "/courses?category=leadership&limit=2".into(), None),
        ("GET", "/courses?limit=500".into(), None),
        ("GET", "/courses/20000000-0000-4000-8000-000000000001".into(), None),
        ("GET", "/courses/20000000-0000-4000-8000-000000000016".into(), None),
        ("GET", "/lessons?courseId=20000000-0000-4000-8000-000000000001".into(), None),
        ("GET", "/categories".into(), None),
        ("HEAD", "/courses?limit=1".into(), None),
        ("GET", "/courses?limit=0".into(), None),
        ("GET", "/courses?limit=5&limit=6".into(), None),
        ("GET", "/courses?category=%E2%80%AE".into(), None),
        ("GET", "/courses?cursor=%00%01%02".into(), None),
        ("GET", format!("/courses/{long}"), None),
        ("GET", "/lessons/%FF".into(), None),
        ("GET", "/".into(), None),
        ("GET", "/nope".into(), None),
        ("POST", "/categories".into(), Some("{}")),
        ("PUT", "/health".into(), Some("{}")),
        ("DELETE", "/courses".into(), None),
        ("OPTIONS", "/courses".into(), None),
        ("GET", "/media/lessons/30010001-0000-4000-8000-000001000001/index.m3u8".into(), None),
        ("GET", "/media/lessons/x/a.mp4?Expires=1&Signature=x&Key-Pair-Id=KLOCALTESTONLY".into(), None),
    ];
    // The first listing's cursor, followed on both.
    let first = send("GET", &format!("{workers}/courses?limit=3"), &[], None).await;
    let cursor = first.json["data"]["nextCursor"].as_str().expect("a second page").to_owned();
    let requests = requests.into_iter().chain([("GET", format!("/courses?limit=3&cursor={cursor}"), None)]);

    for (method, path, body) in requests {
        let headers_in: &[(&str, &str)] = if body.is_some() { &[("content-type", "application/json")] } else { &[] };
        let on_workers = send(method, &format!("{workers}{path}"), headers_in, body).await;
        let on_spin = send(method, &format!("{spin}{path}"), headers_in, body).await;
        let shown = &path[..path.len().min(80)];
        assert_eq!(on_workers.status, on_spin.status, "{method} {shown}: status");
        assert_eq!(on_workers.text, on_spin.text, "{method} {shown}: body");
        assert_eq!(headers(&on_workers), headers(&on_spin), "{method} {shown}: headers");
    }

    // Raw targets, byte for byte (dot segments, backslashes). A raw `"` is left out: Spin's HTTP server refuses
    // it before the component runs — a documented difference, tested in e2e/targets.rs.
    for target in ["/lessons/../health", "/%2e%2e/health", "/courses\\x", "/courses/{x}", "/courses?category=é"] {
        let (on_workers, on_spin) = (get_raw(&workers, target).await, get_raw(&spin, target).await);
        assert_eq!(on_workers.status, on_spin.status, "raw {target}: status");
        assert_eq!(on_workers.text, on_spin.text, "raw {target}: body");
        assert_eq!(headers(&on_workers), headers(&on_spin), "raw {target}: headers");
    }
}

/// A signature from one edge opens the media on the other (WebCrypto on Workers, Rust on Spin: the same bytes).
#[tokio::test]
async fn a_link_signed_by_one_edge_opens_on_the_other() {
    let (workers, spin) = (url("MOMENTUM_WORKERS_URL"), url("MOMENTUM_SPIN_URL"));
    let bearer = format!("Bearer {}", dev_token("admin").await);
    let lesson = "/media/lessons/30010001-0000-4000-8000-000001000001";
    for (signer, gate) in [(&workers, &spin), (&spin, &workers)] {
        let answer = send("GET", &format!("{signer}{lesson}/playback"), &[("authorization", &bearer)], None).await;
        let data = answer.expect_data(200);
        let cookie = data["cookies"]
            .as_object()
            .expect("cookies")
            .iter()
            .map(|(name, value)| format!("{name}={}", value.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("; ");
        let playlist =
            send("GET", &format!("{gate}{lesson}/index.m3u8"), &[("x-api-key", ""), ("cookie", &cookie)], None).await;
        assert_eq!(playlist.status, 200, "signed by {signer}, checked by {gate}: {}", playlist.text);
        assert!(playlist.text.starts_with("#EXTM3U"));
    }
}
