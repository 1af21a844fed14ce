//! AI generation: an admin starts a job, the origin's workflow (the local origin running
//! `workflows/generate-course.asl.json`) writes the course, the admin follows the job to its end.
//!
//! Every case uses its own title and `Idempotency-Key` (the suite runs once per edge over one database), polls
//! in a bounded loop, and leaves the catalog as it found it: a generated course stays a draft, or is published
//! and archived again while the case holds the origin alone.

use momentum_core::generation::request::{self, CourseRequest, GenerationRequest};
use momentum_tests::{base_url, call_as, dev_token, get, origin_url, runtime, send, OriginFaults, Reply};
use serde_json::{json, Value};

const GENERATE_COURSE: &str = "/ai-generation/generate-course";
const GENERATE_VIDEO: &str = "/ai-generation/generate-video";
/// A lesson of the seed's draft course (never in the catalog).
const DRAFT_LESSON: &str = "30160001-0000-4000-8000-000016000001";

/// A string no other case or run uses.
fn unique(label: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{label}-{:?}-{}-{nanos}", runtime(), std::process::id()).to_lowercase()
}

/// `POST path` as `token`, with an `Idempotency-Key` when given.
async fn post(path: &str, token: &str, body: &Value, key: Option<&str>) -> Reply {
    let bearer = format!("Bearer {token}");
    let mut headers = vec![("authorization", bearer.as_str()), ("content-type", "application/json")];
    if let Some(key) = key {
        headers.push(("idempotency-key", key));
    }
    send("POST", &format!("{}{path}", base_url()), &headers, Some(&body.to_string())).await
}

fn course(title: &str, days: u32) -> Value {
    json!({"title": title, "category": "programming", "durationDays": days, "targetAudience": "Intermediate developers"})
}

/// Polls the job until it ends (SUCCEEDED or FAILED), at most 240 times a quarter second apart.
async fn finished(token: &str, job: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..240 {
        let reply = call_as("GET", &format!("/ai-generation/jobs/{job}"), Some(token), None).await;
        last = reply.expect_data(200).clone();
        assert_eq!(last["jobId"], job);
        assert!(
            ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED"].contains(&last["status"].as_str().unwrap_or("")),
            "{last}"
        );
        if last["status"] == "SUCCEEDED" || last["status"] == "FAILED" {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    panic!("the job did not finish: {last}");
}

/// The local origin's Step Functions counters and armed faults.
async fn states() -> Value {
    send("GET", &format!("{}/_local/states", origin_url()), &[], None).await.json
}

/// Makes the local origin fail its next `remaining` calls of `task` (`lesson`: the model writing a lesson;
/// `start`: StartExecution itself, throttled) for the course titled `title`.
async fn fail(task: &str, title: &str, remaining: u32) {
    let body = json!({"task": task, "title": title, "remaining": remaining}).to_string();
    let url = format!("{}/_local/states/faults", origin_url());
    let reply = send("POST", &url, &[("content-type", "application/json")], Some(&body)).await;
    assert_eq!(reply.status, 200, "fault refused: {}", reply.text);
}

/// How many calls the fault armed for `title` has failed.
async fn fault_hits(title: &str) -> u64 {
    let faults = states().await["faults"].clone();
    let fault = faults.as_array().expect("faults").iter().find(|f| f["title"] == title).cloned();
    fault.expect("the armed fault")["hits"].as_u64().expect("hits")
}

#[tokio::test]
async fn a_generated_course_lands_as_a_draft_and_can_be_published() {
    let admin = dev_token("admin").await;
    let title = format!("Advanced React Patterns {}", unique("e2e"));
    let started = post(GENERATE_COURSE, &admin, &course(&title, 5), Some(&unique("happy"))).await;
    let job = started.expect_data(202)["jobId"].as_str().expect("jobId").to_owned();
    assert!(job.starts_with("job-course-"), "{job}");
    assert_eq!(started.header("cache-control"), "private, no-store");

    let done = finished(&admin, &job).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["kind"], "course");
    assert_eq!(done["progress"], json!({"completed": 5, "total": 5, "unit": "lessons"}));
    assert_eq!(done["error"], Value::Null);
    let id = done["courseId"].as_str().expect("courseId").to_owned();
    let path = format!("/courses/{id}");
    get(&path).await.expect_error(404, "NOT_FOUND");

    // Published and archived again with the origin to this case alone: no other case sees a 16th course.
    let bearer = format!("Bearer {admin}");
    let auth = [("authorization", bearer.as_str()), ("content-type", "application/json")];
    let origin = OriginFaults::take().await;
    let published = origin.send("PUT", &path, &auth, Some(r#"{"status":"published"}"#)).await;
    let data = published.expect_data(200);
    assert_eq!((data["title"].as_str(), data["status"].as_str()), (Some(title.as_str()), Some("published")));
    assert_eq!(data["category"], "programming");
    assert_eq!(data["durationDays"], 5);
    assert_eq!(data["lessonsCount"], 5);
    let detail = origin.get(&path).await;
    let outline = detail.expect_data(200)["lessons"].as_array().expect("outline").clone();
    assert_eq!(outline.iter().map(|l| l["day"].as_u64().expect("day")).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
    for entry in &outline {
        let lesson_id = entry["id"].as_str().expect("lesson id");
        // Past day 1 a lesson's content is for the enrolled and admins.
        let lesson = origin.get_with(&format!("/lessons/{lesson_id}"), &auth).await;
        let lesson = lesson.expect_data(200);
        assert!(lesson["title"].as_str().is_some_and(|t| t.len() >= 3), "{lesson}");
        assert!(lesson["content"].as_str().is_some_and(|c| c.len() > 100), "a real reading: {lesson}");
        assert!(lesson["actionItems"].as_array().is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string)));
        assert!(lesson["resources"].as_array().is_some_and(|r| r.iter().all(|r| r["url"].is_string())));
        assert!(lesson["videoUrl"].as_str().is_some_and(|v| v.ends_with(".mp4")), "a rendered video: {lesson}");
    }
    let catalog = origin.get("/courses?category=programming&limit=100").await;
    let items = catalog.expect_data(200)["items"].as_array().expect("items").clone();
    assert!(items.iter().any(|c| c["id"] == id.as_str()), "the published course is in the catalog");
    origin.send("PUT", &path, &auth, Some(r#"{"status":"archived"}"#)).await.expect_data(200);
    origin.get(&path).await.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn a_retried_post_is_the_same_job_and_one_execution() {
    let admin = dev_token("admin").await;
    let key = unique("retry");
    let title = format!("Retried Course {}", unique("e2e"));
    let first = post(GENERATE_COURSE, &admin, &course(&title, 1), Some(&key)).await;
    let job = first.expect_data(202)["jobId"].as_str().expect("jobId").to_owned();
    let again = post(GENERATE_COURSE, &admin, &course(&title, 1), Some(&key)).await;
    assert_eq!(again.expect_data(202)["jobId"], job.as_str());
    assert_eq!(finished(&admin, &job).await["status"], "SUCCEEDED");
    // Once the execution has closed, a retry still answers the same job, and starts nothing.
    let late = post(GENERATE_COURSE, &admin, &course(&title, 1), Some(&key)).await;
    assert_eq!(late.expect_data(202)["jobId"], job.as_str());
    assert_eq!(states().await["jobs"][&job], json!({"startExecution": 3, "executions": 1}));
    // The same key for another request is refused.
    let other = post(GENERATE_COURSE, &admin, &course(&format!("{title} II"), 1), Some(&key)).await;
    other.expect_error(422, "IDEMPOTENCY_KEY_REUSED");
    // Without a key, the same body is the same job.
    let body = course(&format!("Keyless {}", unique("e2e")), 1);
    let a = post(GENERATE_COURSE, &admin, &body, None).await.expect_data(202)["jobId"].clone();
    let b = post(GENERATE_COURSE, &admin, &body, None).await.expect_data(202)["jobId"].clone();
    assert_eq!(a, b);
}

#[tokio::test]
async fn a_failing_lesson_is_retried_then_the_job_fails_with_the_error() {
    let admin = dev_token("admin").await;
    let title = format!("Failing Course {}", unique("e2e"));
    // The lesson task is tried 3 times (MaxAttempts 2 retries): all three fail.
    fail("lesson", &title, 3).await;
    let started = post(GENERATE_COURSE, &admin, &course(&title, 1), Some(&unique("fail"))).await;
    let job = started.expect_data(202)["jobId"].as_str().expect("jobId").to_owned();
    let done = finished(&admin, &job).await;
    assert_eq!(done["status"], "FAILED", "{done}");
    assert_eq!(done["error"]["code"], "Bedrock.ModelErrorException", "{done}");
    assert!(done["error"]["message"].as_str().is_some_and(|m| m.contains("injected")), "{done}");
    assert_eq!(done["courseId"], Value::Null);
    assert_eq!(done["progress"]["completed"], 0);
    assert_eq!(fault_hits(&title).await, 3, "one try and two retries");
}

#[tokio::test]
async fn a_transient_lesson_failure_is_retried_to_success() {
    let admin = dev_token("admin").await;
    let title = format!("Flaky Course {}", unique("e2e"));
    fail("lesson", &title, 1).await;
    let started = post(GENERATE_COURSE, &admin, &course(&title, 2), Some(&unique("flaky"))).await;
    let job = started.expect_data(202)["jobId"].as_str().expect("jobId").to_owned();
    let done = finished(&admin, &job).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["progress"], json!({"completed": 2, "total": 2, "unit": "lessons"}));
    assert_eq!(fault_hits(&title).await, 1);
}

#[tokio::test]
async fn a_failed_notification_leaves_the_saved_course_succeeded() {
    let admin = dev_token("admin").await;
    let admin_id = call_as("GET", "/users/me", Some(&admin), None).await.expect_data(200)["userId"]
        .as_str()
        .expect("userId")
        .to_owned();
    let title = format!("Unannounced Course {}", unique("e2e"));
    let key = unique("notify");
    let body = course(&title, 1);
    // The job id follows from the admin and the key, so the fault can name this job's message before it starts.
    let request = GenerationRequest::Course(CourseRequest::parse(body.to_string().as_bytes()).expect("valid"));
    let job = request::job_id(&request::execution_name(&request, &admin_id, Some(&key)));
    // Notify is tried 3 times (MaxAttempts 2 retries): all three fail.
    fail("notify", &job, 3).await;
    let started = post(GENERATE_COURSE, &admin, &body, Some(&key)).await;
    assert_eq!(started.expect_data(202)["jobId"], job.as_str());
    let done = finished(&admin, &job).await;
    assert_eq!(done["status"], "SUCCEEDED", "the course is saved: a lost notification fails nothing: {done}");
    assert_eq!(done["error"], Value::Null);
    assert!(done["courseId"].is_string(), "{done}");
    assert_eq!(fault_hits(&job).await, 3, "one try and two retries");
    let notified = states().await["notifications"].as_array().expect("notifications").clone();
    assert!(!notified.iter().any(|n| n["Message"].as_str().is_some_and(|m| m.contains(&job))), "none sent");
}

#[tokio::test]
async fn a_throttled_start_is_503_and_the_retried_post_starts_the_queued_job() {
    let admin = dev_token("admin").await;
    let title = format!("Throttled Course {}", unique("e2e"));
    let key = unique("throttled");
    // The edge tries StartExecution three times (two retries) before it gives up.
    fail("start", &title, 3).await;
    let refused = post(GENERATE_COURSE, &admin, &course(&title, 1), Some(&key)).await;
    refused.expect_error(503, "ORIGIN_UNAVAILABLE");
    assert_eq!(refused.header("retry-after"), "2");
    assert_eq!(fault_hits(&title).await, 3);
    let retried = post(GENERATE_COURSE, &admin, &course(&title, 1), Some(&key)).await;
    let job = retried.expect_data(202)["jobId"].as_str().expect("jobId").to_owned();
    assert_eq!(finished(&admin, &job).await["status"], "SUCCEEDED");
    assert_eq!(states().await["jobs"][&job], json!({"startExecution": 4, "executions": 1}));
}

#[tokio::test]
async fn a_lesson_video_is_generated() {
    let admin = dev_token("admin").await;
    let body = json!({"lessonId": DRAFT_LESSON, "style": "slides"});
    let started = post(GENERATE_VIDEO, &admin, &body, Some(&unique("video"))).await;
    let job = started.expect_data(202)["jobId"].as_str().expect("jobId").to_owned();
    assert!(job.starts_with("job-video-"), "{job}");
    let done = finished(&admin, &job).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["kind"], "video");
    assert_eq!(done["lessonId"], DRAFT_LESSON);
    assert_eq!(done["progress"], json!({"completed": 1, "total": 1, "unit": "videos"}));
}

#[tokio::test]
async fn only_admins_generate() {
    let premium = dev_token("premium").await;
    let body = course("Not For You", 3);
    post(GENERATE_COURSE, &premium, &body, None).await.expect_error(403, "FORBIDDEN");
    post(GENERATE_VIDEO, &premium, &json!({"lessonId": DRAFT_LESSON}), None).await.expect_error(403, "FORBIDDEN");
    let job = "/ai-generation/jobs/job-course-0123456789abcdef0123456789abcdef01234567";
    call_as("GET", job, Some(&premium), None).await.expect_error(403, "FORBIDDEN");
    call_as("POST", GENERATE_COURSE, None, Some(&body.to_string())).await.expect_error(401, "UNAUTHORIZED");
    call_as("GET", job, None, None).await.expect_error(401, "UNAUTHORIZED");
}

#[tokio::test]
async fn bad_requests_name_the_field() {
    let admin = dev_token("admin").await;
    let ok = course("Advanced React Patterns", 21);
    let with = |field: &str, value: Value| {
        let mut body = ok.clone();
        body[field] = value;
        body
    };
    let cases = [
        (with("durationDays", json!(0)), "durationDays"),
        (with("durationDays", json!(61)), "durationDays"),
        (with("durationDays", json!("5")), "durationDays"),
        (with("title", json!("ab")), "title"),
        (with("title", json!("x".repeat(201))), "title"),
        (with("category", json!("no-such-category")), "category"),
        (with("category", json!("Not A Slug")), "category"),
        (with("surprise", json!(true)), "surprise"),
        (json!({"category": "programming", "durationDays": 3}), "title"),
        (json!([1, 2]), "body"),
    ];
    for (body, field) in cases {
        let reply = post(GENERATE_COURSE, &admin, &body, None).await;
        assert_eq!(reply.expect_error(400, "VALIDATION_ERROR")["field"], field, "{body}");
    }
    let reply = post(GENERATE_COURSE, &admin, &ok, Some("not a valid key!")).await;
    assert_eq!(reply.expect_error(400, "VALIDATION_ERROR")["field"], "Idempotency-Key");
    let unknown_lesson = json!({"lessonId": "30160001-0000-4000-8000-0000160000ff"});
    for (body, field) in
        [(unknown_lesson, "lessonId"), (json!({"lessonId": "day-1"}), "lessonId"), (json!({}), "lessonId")]
    {
        let reply = post(GENERATE_VIDEO, &admin, &body, None).await;
        assert_eq!(reply.expect_error(400, "VALIDATION_ERROR")["field"], field, "{body}");
    }
    for missing in
        ["/ai-generation/jobs/job-course-0123456789abcdef0123456789abcdef01234567", "/ai-generation/jobs/nope"]
    {
        call_as("GET", missing, Some(&admin), None).await.expect_error(404, "NOT_FOUND");
    }
}
