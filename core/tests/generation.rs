//! The generation routes through `App::handle` over fake ports: what is validated before any I/O, the one job
//! statement, and the start the workflow port receives.

mod support;

use momentum_core::generation::workflow::Workflow;
use support::*;

fn post(app: &momentum_core::App<TestPorts>, path: &str, body: &str, key: Option<&str>) -> Reply {
    let bearer = format!("Bearer {}", token("admin-user", Some(&["admin"])));
    let mut request = request("POST", path, &[("x-api-key", API_KEY), ("authorization", &bearer)]);
    if let Some(key) = key {
        request.headers_mut().insert("idempotency-key", key.parse().expect("header"));
    }
    *request.body_mut() = body.as_bytes().to_vec();
    reply(futures_executor::block_on(app.handle(request)))
}

const BODY: &str = r#"{"title":"Advanced React Patterns","category":"programming","durationDays":21,"targetAudience":"Intermediate developers"}"#;

#[test]
fn a_course_job_is_recorded_then_started_under_its_name() {
    let (app, fakes) = app();
    let reply = post(&app, "/ai-generation/generate-course", BODY, Some("retry-1"));
    assert_eq!(reply.status, 202, "{}", reply.json);
    let job = reply.json["data"]["jobId"].as_str().expect("jobId").to_owned();
    let started = fakes.started.borrow().clone();
    assert_eq!(started.len(), 1);
    let (workflow, name, input) = &started[0];
    assert_eq!(*workflow, Workflow::GenerateCourse);
    assert_eq!(job, format!("job-{name}"));
    let input: serde_json::Value = serde_json::from_str(input).expect("json input");
    assert_eq!(input["jobId"], job.as_str());
    assert_eq!(input["request"]["durationDays"], 21);
    assert!(fakes.statements.borrow().iter().any(|sql| sql.starts_with("WITH target AS")));
    // The same key is the same job, whatever the body.
    let again = post(&app, "/ai-generation/generate-course", &BODY.replace("21", "22"), Some("retry-1"));
    assert_eq!(again.json["data"]["jobId"], job.as_str());
}

#[test]
fn invalid_requests_never_reach_the_origin() {
    let (app, fakes) = app();
    let before = fakes.statements.borrow().len();
    for (path, body, key, field) in [
        (
            "/ai-generation/generate-course",
            r#"{"title":"Advanced","category":"programming","durationDays":61}"#,
            None,
            "durationDays",
        ),
        ("/ai-generation/generate-course", BODY, Some("no spaces"), "Idempotency-Key"),
        ("/ai-generation/generate-course?x=1", BODY, None, "x"),
        ("/ai-generation/generate-video", r#"{"lessonId":"nope"}"#, None, "lessonId"),
    ] {
        let reply = post(&app, path, body, key);
        assert_eq!(reply.status, 400, "{path} {body}");
        assert_eq!(reply.json["error"]["details"]["field"], field, "{path} {body}");
    }
    // Only the admin's own user row was read (authentication), no job row written, nothing started.
    assert!(fakes.statements.borrow()[before..].iter().all(|sql| !sql.starts_with("WITH target AS")));
    assert!(fakes.started.borrow().is_empty());
}
