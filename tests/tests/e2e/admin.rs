//! Admin writes to the catalog through the edge: `PUT /courses/{id}` validates every field, writes whole or
//! not at all, and retires every cached catalog answer at once (a new catalog version in every cache key).

use momentum_tests::{call_as, dev_token, runtime, OriginFaults, Runtime};
use serde_json::json;

/// "Git Without Fear": its description is asserted by no other case.
const COURSE: &str = "/courses/20000000-0000-4000-8000-000000000006";

#[tokio::test]
async fn an_edit_is_visible_at_once_and_retires_the_cached_answers() {
    let admin = dev_token("admin").await;
    let bearer = format!("Bearer {admin}");
    let auth = [("authorization", bearer.as_str()), ("content-type", "application/json")];
    let origin = OriginFaults::take().await;
    let before = origin.get(COURSE).await;
    let original = before.expect_data(200)["description"].as_str().expect("description").to_owned();
    let cached = origin.get(COURSE).await;
    assert_eq!(cached.header("x-cache"), if runtime() == Runtime::Workers { "HIT" } else { "MISS" });

    let edited = format!("Edited by the admin test {}", std::process::id());
    let body = json!({"description": edited}).to_string();
    let written = origin.send("PUT", COURSE, &auth, Some(&body)).await;
    let data = written.expect_data(200);
    assert_eq!(data["description"], edited.as_str());
    assert_eq!(data["status"], "published");
    assert_eq!(data["price"], json!(19.50));
    assert_eq!(written.header("cache-control"), "private, no-store");

    let after = origin.get(COURSE).await;
    assert_eq!(after.expect_data(200)["description"], edited.as_str(), "the next read shows the write");
    assert_eq!(after.header("x-cache"), "MISS", "a new catalog version: the old entry is not used");
    let listed = origin.get("/courses?category=programming&limit=100").await;
    let item = listed.expect_data(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["id"] == "20000000-0000-4000-8000-000000000006")
        .cloned();
    assert_eq!(item.expect("listed")["description"], edited.as_str(), "lists that show the course change too");

    let restore = json!({"description": original}).to_string();
    origin.send("PUT", COURSE, &auth, Some(&restore)).await.expect_data(200);
    assert_eq!(origin.get(COURSE).await.expect_data(200)["description"], original.as_str());
}

#[tokio::test]
async fn bad_writes_are_refused_naming_the_field_and_change_nothing() {
    let admin = dev_token("admin").await;
    let cases = [
        (r#"{"titel":"Git"}"#, 400, "VALIDATION_ERROR", Some("titel")),
        (r#"{"price":1.234}"#, 400, "VALIDATION_ERROR", Some("price")),
        (r#"{"price":"9.99"}"#, 400, "VALIDATION_ERROR", Some("price")),
        (r#"{"durationDays":0}"#, 400, "VALIDATION_ERROR", Some("durationDays")),
        (r#"{"status":"live"}"#, 400, "VALIDATION_ERROR", Some("status")),
        (r#"{"category":"no-such-category"}"#, 400, "VALIDATION_ERROR", Some("category")),
        ("not json", 400, "VALIDATION_ERROR", Some("body")),
        ("{}", 400, "VALIDATION_ERROR", Some("body")),
        // The course has lessons for all 14 days: it cannot become 10 days long.
        (r#"{"durationDays":10}"#, 409, "CONFLICT", None),
    ];
    for (body, status, code, field) in cases {
        let reply = call_as("PUT", COURSE, Some(&admin), Some(body)).await;
        let details = reply.expect_error(status, code);
        if let Some(field) = field {
            assert_eq!(details["field"], field, "{body}");
        }
    }
    let course = call_as("GET", COURSE, None, None).await;
    assert_eq!(course.expect_data(200)["durationDays"], 14, "nothing was written");
    for missing in ["/courses/20000000-0000-4000-8000-0000000000ff", "/courses/not-a-uuid"] {
        call_as("PUT", missing, Some(&admin), Some(r#"{"title":"Nope"}"#)).await.expect_error(404, "NOT_FOUND");
    }
    let huge = json!({"description": "x".repeat(70 * 1024)}).to_string();
    call_as("PUT", COURSE, Some(&admin), Some(&huge)).await.expect_error(413, "PAYLOAD_TOO_LARGE");
    let learner = dev_token("premium").await;
    call_as("PUT", COURSE, Some(&learner), Some(r#"{"title":"Mine now"}"#)).await.expect_error(403, "FORBIDDEN");
}
