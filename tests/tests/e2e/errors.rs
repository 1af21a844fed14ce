//! Bad input gets a 4xx envelope naming the field; unknown routes 404; wrong methods 405 with `Allow`.

use crate::seed;
use base64::Engine;
use momentum_tests::{base_url, get, send};

#[tokio::test]
async fn bad_queries_name_the_field() {
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"["x","not-a-uuid"]"#);
    let cases = [
        ("/courses?limit=0", "limit"),
        ("/courses?limit=abc", "limit"),
        ("/courses?limit=-3", "limit"),
        ("/courses?limit=", "limit"),
        ("/courses?category=Leadership", "category"),
        ("/courses?category=lead_ership", "category"),
        ("/courses?category=", "category"),
        ("/courses?cursor=not*a*cursor", "cursor"),
        (&format!("/courses?cursor={forged}") as &str, "cursor"),
        ("/courses?limit=5&limit=6", "limit"),
        ("/courses?sort=price", "sort"),
        ("/lessons", "courseId"),
        ("/lessons?courseId=course-123", "courseId"),
        ("/categories?x=1", "x"),
        ("/courses?limit=%FF", "limit"),
    ];
    for (path, field) in cases {
        let reply = get(path).await;
        let details = reply.expect_error(400, "VALIDATION_ERROR");
        assert_eq!(details["field"], field, "{path}: {}", reply.text);
        assert_eq!(reply.header("cache-control"), "no-store", "{path}");
    }
}

#[tokio::test]
async fn unknown_things_are_404() {
    for path in [
        "/",
        "/nope",
        "/courses/a/b",
        "/courses/course-123",
        "/courses/00000000-0000-4000-8000-000000000000",
        "/lessons/00000000-0000-4000-8000-000000000000",
        "/lessons/%FF",
    ] {
        get(path).await.expect_error(404, "NOT_FOUND");
    }
    let reply = get(&format!("/courses/{}/extra", seed::LEADERSHIP_FUNDAMENTALS)).await;
    reply.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let cases = [
        ("POST", "/categories", "GET, HEAD"),
        ("DELETE", "/courses", "GET, HEAD, POST"),
        ("PATCH", "/lessons/x", "GET, HEAD, PUT, DELETE"),
        ("PUT", "/health", "GET, HEAD"),
        ("GET", "/uploads", "POST"),
    ];
    for (method, path, allow) in cases {
        let reply =
            send(method, &format!("{}{path}", base_url()), &[("content-type", "application/json")], Some("{}")).await;
        let details = reply.expect_error(405, "METHOD_NOT_ALLOWED");
        assert_eq!(reply.header("allow"), allow, "{method} {path}");
        let listed: Vec<&str> =
            details["allow"].as_array().expect("allow").iter().map(|m| m.as_str().expect("str")).collect();
        assert_eq!(listed.join(", "), allow);
    }
}

#[tokio::test]
async fn hostile_input_never_breaks_the_isolate() {
    let long = "a".repeat(8000);
    let paths = [
        format!("/courses?category={long}"),
        format!("/courses/{long}"),
        "/courses?cursor=%00%01%02".to_owned(),
        "/courses?category=%E2%80%AE".to_owned(),
        "/lessons?courseId=%27%20OR%201%3D1--".to_owned(),
        "/courses/'%3B%20DROP%20TABLE%20courses%3B--".to_owned(),
    ];
    for path in &paths {
        let reply = get(path).await;
        assert!((400..500).contains(&reply.status), "{path}: {} {}", reply.status, reply.text);
        assert_eq!(reply.json["success"], false, "{path}");
    }
    // And the isolate still answers normally afterwards.
    assert_eq!(get("/courses?limit=1").await.status, 200);
}
