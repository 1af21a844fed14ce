//! Catalog reads: shapes, contents and caching headers.

use crate::seed;
use momentum_tests::{base_url, get, send};
use serde_json::{json, Value};

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn health_answers_without_the_origin() {
    let reply = get("/health").await;
    assert_eq!(reply.expect_data(200), &json!({"status": "ok"}));
    assert_eq!(reply.header("content-type"), "application/json; charset=utf-8");
}

#[tokio::test]
async fn leadership_fundamentals_has_exactly_the_documented_shape() {
    let reply = get("/courses?category=leadership&limit=20").await;
    let data = reply.expect_data(200);
    let course = data["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["title"] == "Leadership Fundamentals")
        .expect("listed");
    assert_eq!(
        course,
        &json!({
            "id": seed::LEADERSHIP_FUNDAMENTALS,
            "title": "Leadership Fundamentals",
            "description": "Build essential leadership skills",
            "category": "leadership",
            "durationDays": 14,
            "price": 29.99,
            "thumbnail": "https://cdn.example.com/thumb.jpg",
            "lessonsCount": 14
        })
    );
    // Money is written as the exact decimal, never through a float.
    assert!(reply.text.contains("\"price\":29.99"), "{}", reply.text);
    assert_eq!(reply.header("cache-control"), "public, max-age=60, stale-while-revalidate=300, stale-if-error=86400");
}

#[tokio::test]
async fn list_shows_only_published_courses_with_the_item_shape() {
    let reply = get("/courses").await;
    let data = reply.expect_data(200);
    assert_eq!(data["limit"], 20);
    assert_eq!(data["nextCursor"], Value::Null);
    assert_eq!(reply.header("link"), "");
    let items = data["items"].as_array().expect("items");
    assert_eq!(items.len(), seed::PUBLISHED_COURSES);
    for item in items {
        assert_eq!(
            keys(item),
            ["category", "description", "durationDays", "id", "lessonsCount", "price", "thumbnail", "title"]
        );
        let title = item["title"].as_str().expect("title");
        assert!(!title.contains("(Draft)") && !title.contains("(Archived)"), "{title}");
        assert_eq!(item["lessonsCount"], item["durationDays"], "{title}: one lesson per day");
        assert!(item["price"].is_number(), "{title}");
        assert!(item["id"] != seed::DRAFT_COURSE && item["id"] != seed::ARCHIVED_COURSE);
    }
    let titles: Vec<&str> = items.iter().map(|c| c["title"].as_str().expect("title")).collect();
    let mut sorted = titles.clone();
    sorted.sort_unstable();
    assert_eq!(titles, sorted, "ordered by title");
}

#[tokio::test]
async fn category_filter_only_returns_that_category() {
    for category in ["leadership", "programming", "finance"] {
        let reply = get(&format!("/courses?category={category}")).await;
        let items = reply.expect_data(200)["items"].as_array().expect("items").clone();
        assert!(!items.is_empty(), "{category}");
        assert!(items.iter().all(|c| c["category"] == category), "{category}: {items:?}");
    }
    let reply = get("/courses?category=leadership").await;
    assert_eq!(reply.expect_data(200)["items"].as_array().expect("items").len(), seed::LEADERSHIP_COURSES);
    // A well-formed slug that names no category is an empty page, not an error.
    let reply = get("/courses?category=underwater-basket-weaving").await;
    assert_eq!(reply.expect_data(200)["items"], json!([]));
}

#[tokio::test]
async fn course_detail_has_the_outline_in_day_order() {
    let reply = get(&format!("/courses/{}", seed::LEADERSHIP_FUNDAMENTALS)).await;
    let data = reply.expect_data(200);
    assert_eq!(data["title"], "Leadership Fundamentals");
    assert_eq!(data["price"], json!(29.99));
    let lessons = data["lessons"].as_array().expect("outline");
    assert_eq!(lessons.len(), 14);
    for (index, lesson) in lessons.iter().enumerate() {
        assert_eq!(keys(lesson), ["day", "id", "title"]);
        assert_eq!(lesson["day"], index as u64 + 1);
    }
    // Upper-case ids name the same course.
    let upper = get(&format!("/courses/{}", seed::LEADERSHIP_FUNDAMENTALS.to_uppercase())).await;
    assert_eq!(upper.expect_data(200)["id"], seed::LEADERSHIP_FUNDAMENTALS);
}

#[tokio::test]
async fn lessons_list_and_lesson_detail() {
    let reply = get(&format!("/lessons?courseId={}", seed::LEADERSHIP_FUNDAMENTALS)).await;
    let data = reply.expect_data(200);
    assert_eq!(data["courseId"], seed::LEADERSHIP_FUNDAMENTALS);
    let items = data["items"].as_array().expect("items");
    assert_eq!(items.iter().map(|l| l["day"].as_u64().expect("day")).collect::<Vec<_>>(), (1..=14).collect::<Vec<_>>());
    assert_eq!(keys(&items[0]), ["courseId", "day", "id", "title"]);

    // Day 1 is the free preview: its whole content is public. Later days need a signed-in, enrolled learner.
    let day3 = items[2]["id"].as_str().expect("id");
    get(&format!("/lessons/{day3}")).await.expect_error(401, "UNAUTHORIZED");
    let lesson_id = items[0]["id"].as_str().expect("id");
    let reply = get(&format!("/lessons/{lesson_id}")).await;
    let lesson = reply.expect_data(200);
    assert_eq!(keys(lesson), ["actionItems", "content", "courseId", "day", "id", "resources", "title", "videoUrl"]);
    assert_eq!(lesson["day"], 1);
    assert_eq!(lesson["courseId"], seed::LEADERSHIP_FUNDAMENTALS);
    assert!(lesson["content"].as_str().expect("content").len() > 100, "a real reading");
    let actions = lesson["actionItems"].as_array().expect("action items");
    assert!((2..=3).contains(&actions.len()) && actions.iter().all(Value::is_string), "{actions:?}");
    let resources = lesson["resources"].as_array().expect("resources");
    assert!(
        !resources.is_empty() && resources.iter().all(|r| r["url"].as_str().is_some_and(|u| u.starts_with("https://")))
    );
    assert!(lesson["videoUrl"].as_str().expect("video").ends_with(".m3u8"));
    assert_eq!(reply.header("cache-control"), "public, max-age=60, stale-while-revalidate=300, stale-if-error=86400");
}

#[tokio::test]
async fn drafts_and_archived_courses_are_invisible() {
    for id in [seed::DRAFT_COURSE, seed::ARCHIVED_COURSE] {
        get(&format!("/courses/{id}")).await.expect_error(404, "NOT_FOUND");
        get(&format!("/lessons?courseId={id}")).await.expect_error(404, "NOT_FOUND");
    }
    // A lesson of a draft course.
    let draft_lesson = "30160001-0000-4000-8000-000016000001";
    get(&format!("/lessons/{draft_lesson}")).await.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn categories_are_listed_by_name() {
    let reply = get("/categories").await;
    let items = reply.expect_data(200)["items"].as_array().expect("items").clone();
    assert!(items.len() >= 5);
    for item in &items {
        assert_eq!(keys(item), ["description", "iconUrl", "id", "name", "slug"]);
    }
    let slugs: Vec<&str> = items.iter().map(|c| c["slug"].as_str().expect("slug")).collect();
    for slug in ["leadership", "programming", "productivity", "wellness", "finance"] {
        assert!(slugs.contains(&slug), "{slug} in {slugs:?}");
    }
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let reply = send("HEAD", &format!("{}/courses?limit=1", base_url()), &[], None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text, "");
    assert_eq!(reply.header("content-type"), "application/json; charset=utf-8");
}
