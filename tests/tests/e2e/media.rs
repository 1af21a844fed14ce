//! Premium video through the real edge: the entitlement matrix, signed playback answers, and the gate serving the
//! local origin's sample HLS lesson (playlist and every segment, with the cookies) and awkwardly named files.
//!
//! Fixtures (draft courses, so the catalog cases never see them; lessons; enrollments dated relative to now) are
//! written straight into the local origin's database through the Data API adapter, idempotently.

use momentum_core::db::Statement;
use momentum_tests::{base_url, call_as, dev_token, send};
use serde_json::Value;

const MEDIA: &str = "https://media.momentum.example";
const PAID_COURSE: &str = "2e6d0000-0000-4000-8000-000000000001";
const FREE_COURSE: &str = "2e6d0000-0000-4000-8000-000000000002";
/// Paid course, day 1: the HLS lesson.
const HLS_LESSON: &str = "3e6d0000-0000-4000-8000-000000000011";
/// Paid course, day 3: locked for a learner who enrolled yesterday.
const LOCKED_LESSON: &str = "3e6d0000-0000-4000-8000-000000000013";
/// Free course, day 1 and day 2: single files with awkward names.
const AWKWARD_VIDEO: &str = "3e6d0000-0000-4000-8000-000000000021";
const AWKWARD_NOTES: &str = "3e6d0000-0000-4000-8000-000000000022";
/// A second paid course, which the free learner bought (one payment, whose status the payment case sets).
const BOUGHT_COURSE: &str = "2e6d0000-0000-4000-8000-000000000003";
const BOUGHT_LESSON: &str = "3e6d0000-0000-4000-8000-000000000031";
const PAYMENT: &str = "5e6d0000-0000-4000-8000-000000000001";
const FREE_USER: &str = "40000000-0000-4000-8000-000000000001";
const PREMIUM_USER: &str = "40000000-0000-4000-8000-000000000002";

/// Writes the fixtures once per run of the suite (the cases run side by side).
async fn fixtures() {
    static WRITTEN: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    WRITTEN.get_or_init(write_fixtures).await;
}

async fn write_fixtures() {
    let client = momentum_tests::data_api();
    let lessons = [
        (HLS_LESSON, PAID_COURSE, 1, "index.m3u8"),
        (LOCKED_LESSON, PAID_COURSE, 3, "day3.mp4"),
        (AWKWARD_VIDEO, FREE_COURSE, 1, "Day 3 – Intro, part=1.mp4"),
        (AWKWARD_NOTES, FREE_COURSE, 2, "Instructor''s notes.pdf"),
        (BOUGHT_LESSON, BOUGHT_COURSE, 1, "welcome.mp4"),
    ];
    let mut sql = vec![format!(
        "INSERT INTO courses (id, title, category_id, duration_days, price, status) VALUES \
         ('{PAID_COURSE}', 'Media test: paid', '10000000-0000-4000-8000-000000000001', 5, 9.99, 'draft'), \
         ('{FREE_COURSE}', 'Media test: free', '10000000-0000-4000-8000-000000000001', 5, 0, 'draft'), \
         ('{BOUGHT_COURSE}', 'Media test: bought', '10000000-0000-4000-8000-000000000001', 5, 19.99, 'draft') \
         ON CONFLICT (id) DO NOTHING"
    )];
    sql.push(format!(
        "INSERT INTO payments (id, user_id, amount, status) VALUES ('{PAYMENT}', '{FREE_USER}', 19.99, 'refunded') \
         ON CONFLICT (id) DO NOTHING"
    ));
    for (id, course, day, file) in lessons {
        sql.push(format!(
            "INSERT INTO lessons (id, course_id, day, title, video_url) VALUES \
             ('{id}', '{course}', {day}, 'Media test day {day}', '{MEDIA}/lessons/{id}/{file}') ON CONFLICT (id) DO NOTHING"
        ));
    }
    // Enrolled yesterday: days 1 and 2 are open in any time zone, day 3 is not.
    sql.push(format!(
        "INSERT INTO enrollments (user_id, course_id, enrolled_at) VALUES \
         ('{PREMIUM_USER}', '{PAID_COURSE}', now() - interval '1 day'), \
         ('{FREE_USER}', '{PAID_COURSE}', now() - interval '1 day'), \
         ('{FREE_USER}', '{FREE_COURSE}', now() - interval '1 day') \
         ON CONFLICT (user_id, course_id) DO UPDATE SET enrolled_at = EXCLUDED.enrolled_at, payment_id = NULL"
    ));
    sql.push(format!(
        "INSERT INTO enrollments (user_id, course_id, enrolled_at, payment_id) VALUES \
         ('{FREE_USER}', '{BOUGHT_COURSE}', now() - interval '1 day', '{PAYMENT}') \
         ON CONFLICT (user_id, course_id) DO UPDATE SET enrolled_at = EXCLUDED.enrolled_at, payment_id = EXCLUDED.payment_id"
    ));
    for statement in sql {
        client
            .execute_statement(&Statement::new(statement.clone()), None)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

async fn playback(lesson: &str, user: &str) -> momentum_tests::Reply {
    let token = dev_token(user).await;
    call_as("GET", &format!("/media/lessons/{lesson}/playback"), Some(&token), None).await
}

/// A media URL's path and query, sent to the edge under test (which stands in for the media host).
fn at_edge(url: &str) -> String {
    format!("{}{}", base_url(), url.strip_prefix(MEDIA).unwrap_or_else(|| panic!("not a media URL: {url}")))
}

/// `GET` through the gate as a player does: no API key, optional cookies and range; the raw body.
async fn fetch(url: &str, cookie: Option<&str>, range: Option<&str>) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(range) = range {
        request = request.header("range", range);
    }
    let response = request.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.expect("body").to_vec())
}

#[tokio::test]
async fn hls_playback_opens_the_playlist_and_every_segment_with_the_cookies() {
    fixtures().await;
    let reply = playback(HLS_LESSON, "premium").await;
    let data = reply.expect_data(200).clone();
    assert_eq!(reply.header("cache-control"), "private, no-store");
    let set_cookies: Vec<&str> = reply.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
    assert_eq!(set_cookies.len(), 3, "{set_cookies:?}");
    for cookie in &set_cookies {
        assert!(cookie.starts_with("CloudFront-"), "{cookie}");
        for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Domain=media.momentum.example"] {
            assert!(cookie.contains(attribute), "{cookie}: {attribute}");
        }
        assert!(cookie.contains(&format!("Path=/media/lessons/{HLS_LESSON}/")), "{cookie}");
    }
    let cookies = data["cookies"].as_object().expect("cookies");
    let cookie = cookies.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap())).collect::<Vec<_>>().join("; ");
    assert!(data["expiresAt"].as_str().is_some_and(|at| at.ends_with('Z')));
    let url = data["url"].as_str().expect("url");
    assert!(url.starts_with(&format!("{MEDIA}/media/lessons/{HLS_LESSON}/index.m3u8?Policy=")), "{url}");

    let playlist_url = format!("{}/media/lessons/{HLS_LESSON}/index.m3u8", base_url());
    let (status, headers, body) = fetch(&playlist_url, Some(&cookie), None).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers["content-type"], "application/vnd.apple.mpegurl");
    let playlist = String::from_utf8(body).expect("text");
    let segments: Vec<&str> = playlist.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect();
    assert_eq!(segments, ["segment0.ts", "segment1.ts", "segment2.ts"]);
    for segment in segments {
        let url = format!("{}/media/lessons/{HLS_LESSON}/{segment}", base_url());
        let (status, headers, body) = fetch(&url, Some(&cookie), None).await;
        assert_eq!(status, 200, "{segment}");
        assert_eq!(headers["content-type"], "video/mp2t");
        assert_eq!((body.len(), body[0], body[188]), (1504, 0x47, 0x47), "{segment}");
        let (status, headers, part) = fetch(&url, Some(&cookie), Some("bytes=188-375")).await;
        assert_eq!(status, 206, "{segment}: a range passes through");
        assert_eq!(headers["content-range"], "bytes 188-375/1504");
        assert_eq!(part, body[188..376]);
    }
    // The playlist's signed URL works alone; nothing at all, or another lesson's folder, does not.
    assert_eq!(fetch(&at_edge(url), None, None).await.0, 200);
    assert_eq!(fetch(&playlist_url, None, None).await.0, 403);
    let other = format!("{}/media/lessons/{LOCKED_LESSON}/day3.mp4", base_url());
    assert_eq!(fetch(&other, Some(&cookie), None).await.0, 403);
}

#[tokio::test]
async fn awkward_file_names_are_signed_once_and_served() {
    fixtures().await;
    for (lesson, name) in [(AWKWARD_VIDEO, "Day 3 – Intro, part=1.mp4"), (AWKWARD_NOTES, "Instructor's notes.pdf")] {
        let reply = playback(lesson, "free").await;
        let data = reply.expect_data(200);
        assert!(data.get("cookies").is_none(), "a single file: a canned URL, no cookies");
        let url = data["url"].as_str().expect("url");
        assert!(url.contains("?Expires=") && url.contains("&Signature=") && url.contains("&Key-Pair-Id="), "{url}");
        assert!(!url.contains(' ') && !url.contains('\'') && !url.contains("%25"), "encoded once: {url}");
        let (status, _, body) = fetch(&at_edge(url), None, None).await;
        assert_eq!(status, 200, "{name}: {}", String::from_utf8_lossy(&body));
        let text = String::from_utf8(body).expect("text");
        assert!(text.starts_with(&format!("Momentum sample media: lessons/{lesson}/{name}\n")), "{text}");
        // One changed byte of the signature, or of the path: the same bare 403.
        let tampered = url.replacen("Signature=", "Signature=A", 1);
        let reply = send("GET", &at_edge(&tampered), &[("x-api-key", "")], None).await;
        assert_eq!(reply.expect_error(403, "FORBIDDEN")["reason"], "signature_required");
        let moved = url.replace(".pdf?", ".PDF?").replace(".mp4?", ".MP4?");
        assert_eq!(fetch(&at_edge(&moved), None, None).await.0, 403);
    }
}

#[tokio::test]
async fn the_entitlement_matrix() {
    fixtures().await;
    let not_enrolled = playback(AWKWARD_VIDEO, "premium").await;
    assert_eq!(not_enrolled.expect_error(403, "ENROLLMENT_REQUIRED")["reason"], "ENROLLMENT_REQUIRED");
    let locked = playback(LOCKED_LESSON, "premium").await;
    let details: Value = locked.expect_error(403, "LESSON_LOCKED").clone();
    let unlocks_at = details["unlocksAt"].as_str().expect("unlocksAt");
    assert!(unlocks_at.len() == 20 && unlocks_at.ends_with('Z'), "{unlocks_at}");
    let free_on_paid = playback(HLS_LESSON, "free").await;
    assert_eq!(free_on_paid.expect_error(403, "FORBIDDEN")["reason"], "PREMIUM_REQUIRED");
    for refused in [&not_enrolled, &locked, &free_on_paid] {
        assert!(!refused.text.contains("Signature") && refused.header("set-cookie").is_empty(), "never a signature");
    }
    let admin = playback(LOCKED_LESSON, "admin").await;
    assert!(admin.expect_data(200)["url"].as_str().is_some_and(|u| u.contains("day3.mp4?Expires=")));
    call_as("GET", &format!("/media/lessons/{HLS_LESSON}/playback"), None, None)
        .await
        .expect_error(401, "UNAUTHORIZED");
    playback("3e6d0000-0000-4000-8000-0000000000ff", "admin").await.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn only_a_succeeded_payment_pays_for_a_course() {
    fixtures().await;
    let client = momentum_tests::data_api();
    for status in ["pending", "failed", "refunded", "succeeded"] {
        let set = format!("UPDATE payments SET status = '{status}' WHERE id = '{PAYMENT}'");
        client.execute_statement(&Statement::new(set), None).await.expect("payment status");
        let reply = playback(BOUGHT_LESSON, "free").await;
        if status == "succeeded" {
            assert!(reply.expect_data(200)["url"].as_str().is_some_and(|u| u.contains("welcome.mp4?Expires=")));
        } else {
            assert_eq!(reply.expect_error(403, "FORBIDDEN")["reason"], "PREMIUM_REQUIRED", "{status}");
        }
    }
}

#[tokio::test]
async fn uploads_are_presigned_for_admins_only() {
    let body = serde_json::json!({
        "kind": "thumbnail", "lessonId": HLS_LESSON, "fileName": "cover.png", "contentType": "image/png", "contentLength": 2048
    })
    .to_string();
    let admin = dev_token("admin").await;
    let reply = call_as("POST", "/uploads", Some(&admin), Some(&body)).await;
    let data = reply.expect_data(201);
    assert_eq!(data["key"], format!("thumbnails/{HLS_LESSON}/cover.png"));
    let url = data["url"].as_str().expect("url");
    assert!(
        url.starts_with(&format!(
            "https://momentum-media-local.s3.us-east-1.amazonaws.com/thumbnails/{HLS_LESSON}/cover.png?"
        )),
        "{url}"
    );
    assert!(
        url.contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost") && url.contains("X-Amz-Expires=300"),
        "{url}"
    );
    let bad = body.replace("image/png", "text/html");
    assert_eq!(
        call_as("POST", "/uploads", Some(&admin), Some(&bad)).await.expect_error(400, "VALIDATION_ERROR")["field"],
        "contentType"
    );
    let learner = dev_token("premium").await;
    call_as("POST", "/uploads", Some(&learner), Some(&body)).await.expect_error(403, "FORBIDDEN");
}
