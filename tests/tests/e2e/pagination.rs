//! Keyset pagination: following `nextCursor` (and the `Link` header) walks every course exactly once.

use crate::seed;
use momentum_tests::{base_url, get, send};
use serde_json::Value;

/// Walks all pages of `query`, checking each page's `Link` against its `nextCursor`; returns the titles.
async fn walk(query: &str, limit: usize) -> Vec<String> {
    let mut titles = Vec::new();
    let mut path = format!("/courses?{query}");
    for _ in 0..50 {
        let reply = get(&path).await;
        let data = reply.expect_data(200).clone();
        let items = data["items"].as_array().expect("items");
        assert!(items.len() <= limit, "{path}: page larger than limit");
        titles.extend(items.iter().map(|c| c["title"].as_str().expect("title").to_owned()));
        match &data["nextCursor"] {
            Value::Null => {
                assert_eq!(reply.header("link"), "", "{path}: last page has no Link");
                return titles;
            }
            Value::String(cursor) => {
                assert_eq!(items.len(), limit, "{path}: only the last page is short");
                let link = reply.header("link");
                let target = link
                    .strip_prefix('<')
                    .and_then(|l| l.strip_suffix(">; rel=\"next\""))
                    .unwrap_or_else(|| panic!("Link {link:?}"));
                assert!(target.contains(&format!("cursor={cursor}")), "Link {link} carries the cursor");
                assert!(target.contains(&format!("limit={limit}")), "Link {link} carries the clamped limit");
                path = target.to_owned();
            }
            other => panic!("nextCursor {other:?}"),
        }
    }
    panic!("pagination did not end");
}

#[tokio::test]
async fn every_page_of_a_category() {
    let titles = walk("category=leadership&limit=2", 2).await;
    assert_eq!(titles.len(), seed::LEADERSHIP_COURSES);
    let mut sorted = titles.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(titles, sorted, "in order, no duplicates");

    let all_at_once = get("/courses?category=leadership&limit=100").await;
    let expected: Vec<String> = all_at_once.expect_data(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["title"].as_str().expect("t").to_owned())
        .collect();
    assert_eq!(titles, expected);
}

#[tokio::test]
async fn every_page_of_the_whole_catalog() {
    let titles = walk("limit=4", 4).await;
    assert_eq!(titles.len(), seed::PUBLISHED_COURSES);
    let mut unique = titles.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), titles.len());
}

#[tokio::test]
async fn the_limit_is_clamped_and_reported() {
    let reply = get("/courses?limit=500").await;
    assert_eq!(reply.expect_data(200)["limit"], 100);
    let reply = get("/courses?limit=1").await;
    let data = reply.expect_data(200);
    assert_eq!(data["items"].as_array().expect("items").len(), 1);
    assert!(reply.header("link").starts_with("</courses?cursor="), "{}", reply.header("link"));
    // The Link target is an absolute path on this API and works as given.
    let link = reply.header("link").to_owned();
    let target = &link[1..link.find('>').expect("link")];
    let next = send("GET", &format!("{}{target}", base_url()), &[], None).await;
    assert_ne!(next.expect_data(200)["items"][0]["title"], data["items"][0]["title"]);
}
