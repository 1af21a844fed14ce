//! Parsing the generation requests: the body field by field (unknown fields refused), the idempotency key, and
//! from them the execution's name, the job id and the workflow's input.
//!
//! The execution name is what makes a retried POST start no second workflow: it is derived from the admin and
//! the `Idempotency-Key` header, or, without one, from the admin and the canonical body. Step Functions keeps a
//! name unique per state machine, so the same name can only ever be one execution.

use super::workflow::Workflow;
use crate::error::ApiError;
use crate::query::{self, is_uuid};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The longest course a workflow writes, in days.
pub const MAX_DAYS: i64 = 60;
/// The longest idempotency key accepted.
const MAX_KEY_CHARS: usize = 255;
/// Hex digits of the hash in an execution name (160 bits).
const NAME_HASH_HEX: usize = 40;

const COURSE_FIELDS: &[&str] = &["title", "category", "durationDays", "targetAudience"];
const VIDEO_FIELDS: &[&str] = &["lessonId", "style"];
const VIDEO_STYLES: &[&str] = &["slides", "whiteboard", "presenter"];

/// A validated `POST /ai-generation/generate-course` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CourseRequest {
    /// The course title, trimmed (3..200 characters, as the courses table allows).
    pub title: String,
    /// The category's slug (its existence is checked with the job row's insert).
    pub category: String,
    /// Lessons to write, one per day (1..60).
    pub duration_days: i64,
    /// Who the course is for (may be empty).
    pub target_audience: String,
}

/// A validated `POST /ai-generation/generate-video` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoRequest {
    /// The lesson whose video is rendered (its existence is checked with the job row's insert).
    pub lesson_id: String,
    /// The video's style.
    pub style: String,
}

/// A generation request of either kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenerationRequest {
    /// A whole course.
    Course(CourseRequest),
    /// One lesson's video.
    Video(VideoRequest),
}

fn invalid(field: &str, reason: &str) -> ApiError {
    ApiError::validation(field, reason)
}

fn object(body: &[u8], fields: &[&str]) -> Result<BTreeMap<String, Value>, ApiError> {
    let map: BTreeMap<String, Value> =
        serde_json::from_slice(body).map_err(|_| invalid("body", "must be a JSON object"))?;
    if let Some(unknown) = map.keys().find(|name| !fields.contains(&name.as_str())) {
        return Err(invalid(unknown, &format!("unknown field; fields: {}", fields.join(", "))));
    }
    Ok(map)
}

fn text(map: &BTreeMap<String, Value>, field: &str, min: usize, max: usize) -> Result<Option<String>, ApiError> {
    let Some(value) = map.get(field) else { return Ok(None) };
    let text = value.as_str().ok_or_else(|| invalid(field, "must be a string"))?.trim();
    let length = text.chars().count();
    if length < min || length > max {
        return Err(invalid(field, &format!("must be {min} to {max} characters")));
    }
    if text.chars().any(char::is_control) {
        return Err(invalid(field, "must not contain control characters"));
    }
    Ok(Some(text.to_owned()))
}

impl CourseRequest {
    /// Validates a generate-course body.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let map = object(body, COURSE_FIELDS)?;
        let title = text(&map, "title", 3, 200)?.ok_or_else(|| invalid("title", "is required"))?;
        let category = match map.get("category") {
            None => return Err(invalid("category", "is required")),
            Some(value) => {
                let slug = value.as_str().ok_or_else(|| invalid("category", "must be a string"))?;
                query::slug("category", slug)?.to_owned()
            }
        };
        let duration_days = match map.get("durationDays") {
            None => return Err(invalid("durationDays", "is required")),
            Some(value) => value
                .as_i64()
                .filter(|days| (1..=MAX_DAYS).contains(days))
                .ok_or_else(|| invalid("durationDays", &format!("must be an integer from 1 to {MAX_DAYS}")))?,
        };
        let target_audience = text(&map, "targetAudience", 0, 200)?.unwrap_or_default();
        Ok(CourseRequest { title, category, duration_days, target_audience })
    }
}

impl VideoRequest {
    /// Validates a generate-video body.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let map = object(body, VIDEO_FIELDS)?;
        let lesson_id = match map.get("lessonId").map(Value::as_str) {
            None => return Err(invalid("lessonId", "is required")),
            Some(Some(id)) if is_uuid(id) => id.to_ascii_lowercase(),
            Some(_) => return Err(invalid("lessonId", "must be a lesson id (a UUID)")),
        };
        let style = match map.get("style").map(Value::as_str) {
            None => "slides".to_owned(),
            Some(Some(style)) if VIDEO_STYLES.contains(&style) => style.to_owned(),
            Some(_) => return Err(invalid("style", &format!("must be one of {}", VIDEO_STYLES.join(", ")))),
        };
        Ok(VideoRequest { lesson_id, style })
    }
}

impl GenerationRequest {
    /// The workflow that serves this request.
    pub fn workflow(&self) -> Workflow {
        match self {
            GenerationRequest::Course(_) => Workflow::GenerateCourse,
            GenerationRequest::Video(_) => Workflow::GenerateVideo,
        }
    }

    /// The request as canonical JSON text (fields in a fixed order, values normalised): what the job row keeps
    /// and the workflow receives.
    pub fn canonical(&self) -> String {
        let value = match self {
            GenerationRequest::Course(course) => serde_json::to_string(course),
            GenerationRequest::Video(video) => serde_json::to_string(video),
        };
        // Serialising plain strings and integers cannot fail.
        value.unwrap_or_default()
    }
}

/// The job's kind, as the job id, the job row and the API spell it.
pub fn kind(workflow: Workflow) -> &'static str {
    match workflow {
        Workflow::GenerateCourse => "course",
        Workflow::GenerateVideo => "video",
    }
}

/// The `Idempotency-Key` header, validated: 1 to 255 visible ASCII characters (surrounding spaces trimmed).
pub fn idempotency_key(header: Option<&[u8]>) -> Result<Option<&str>, ApiError> {
    let Some(raw) = header else { return Ok(None) };
    // The same rule as every other POST's key (`crate::idempotency`); the name is a hash, so any key fits it.
    let key = std::str::from_utf8(raw).map(str::trim).unwrap_or("");
    let ok = !key.is_empty() && key.len() <= MAX_KEY_CHARS && key.bytes().all(|b| b.is_ascii_graphic());
    if !ok {
        return Err(invalid("Idempotency-Key", "must be 1 to 255 visible ASCII characters"));
    }
    Ok(Some(key))
}

/// The execution name for `request` by `admin`: `{kind}-{40 hex}` (at most 47 characters of `[a-z0-9-]`, within
/// Step Functions' 80 and its CloudWatch-safe charset). With a key, the key decides (a retry may resend any
/// body; a different body under the same key is refused); without one, the canonical body does.
pub fn execution_name(request: &GenerationRequest, admin: &str, key: Option<&str>) -> String {
    let kind = kind(request.workflow());
    let mut hash = Sha256::new();
    for part in [kind, admin, if key.is_some() { "key" } else { "body" }] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    match key {
        Some(key) => hash.update(key.as_bytes()),
        None => hash.update(request.canonical().as_bytes()),
    }
    let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("{kind}-{}", &hex[..NAME_HASH_HEX])
}

/// The job id of an execution name: stable for the same name, so a retried POST answers the same job.
pub fn job_id(execution_name: &str) -> String {
    format!("job-{execution_name}")
}

/// The workflow and execution name a job id stands for; `None` for anything that is not a job id.
pub fn parse_job_id(id: &str) -> Option<(Workflow, &str)> {
    let name = id.strip_prefix("job-")?;
    let (kind, hash) = name.split_once('-')?;
    let workflow = match kind {
        "course" => Workflow::GenerateCourse,
        "video" => Workflow::GenerateVideo,
        _ => return None,
    };
    let ok = hash.len() == NAME_HASH_HEX && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    ok.then_some((workflow, name))
}

/// The workflow's input: the job id and the request, as JSON text with a fixed member order (a retried start
/// sends the very same input, which Step Functions requires of an idempotent start).
pub fn execution_input(job_id: &str, request: &GenerationRequest) -> String {
    format!(r#"{{"jobId":{},"request":{}}}"#, Value::from(job_id), request.canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN: &str = "40000000-0000-4000-8000-000000000003";

    fn course(body: &str) -> GenerationRequest {
        GenerationRequest::Course(CourseRequest::parse(body.as_bytes()).expect("valid"))
    }

    #[test]
    fn bad_course_bodies_name_the_field() {
        let cases = [
            ("", "body"),
            ("[]", "body"),
            (r#"{"title":"Advanced React","category":"programming","durationDays":5,"extra":1}"#, "extra"),
            (r#"{"category":"programming","durationDays":5}"#, "title"),
            (r#"{"title":"ab","category":"programming","durationDays":5}"#, "title"),
            (r#"{"title":7,"category":"programming","durationDays":5}"#, "title"),
            (r#"{"title":"Advanced React","durationDays":5}"#, "category"),
            (r#"{"title":"Advanced React","category":"Not A Slug","durationDays":5}"#, "category"),
            (r#"{"title":"Advanced React","category":"programming"}"#, "durationDays"),
            (r#"{"title":"Advanced React","category":"programming","durationDays":0}"#, "durationDays"),
            (r#"{"title":"Advanced React","category":"programming","durationDays":61}"#, "durationDays"),
            (r#"{"title":"Advanced React","category":"programming","durationDays":2.5}"#, "durationDays"),
            (r#"{"title":"Advanced React","category":"programming","durationDays":"5"}"#, "durationDays"),
            (
                r#"{"title":"Advanced React","category":"programming","durationDays":5,"targetAudience":3}"#,
                "targetAudience",
            ),
        ];
        for (body, field) in cases {
            match CourseRequest::parse(body.as_bytes()) {
                Err(ApiError::Validation { field: got, .. }) => assert_eq!(got, field, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn bad_video_bodies_name_the_field() {
        for (body, field) in [
            ("{}", "lessonId"),
            (r#"{"lessonId":"lesson-1"}"#, "lessonId"),
            (r#"{"lessonId":"30010001-0000-4000-8000-000001000001","style":"3d"}"#, "style"),
            (r#"{"lessonId":"30010001-0000-4000-8000-000001000001","voice":"x"}"#, "voice"),
        ] {
            match VideoRequest::parse(body.as_bytes()) {
                Err(ApiError::Validation { field: got, .. }) => assert_eq!(got, field, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn canonical_body_ignores_order_and_whitespace() {
        let a = course(r#"{"title":"  Advanced React Patterns ","category":"programming","durationDays":21}"#);
        let b = course(
            r#"{"durationDays":21,"targetAudience":"","category":"programming","title":"Advanced React Patterns"}"#,
        );
        assert_eq!(a.canonical(), b.canonical());
        assert_eq!(
            a.canonical(),
            r#"{"title":"Advanced React Patterns","category":"programming","durationDays":21,"targetAudience":""}"#
        );
        assert_eq!(execution_name(&a, ADMIN, None), execution_name(&b, ADMIN, None));
    }

    #[test]
    fn execution_names_follow_the_key_or_the_body() {
        let a = course(r#"{"title":"Advanced React","category":"programming","durationDays":5}"#);
        let b = course(r#"{"title":"Advanced Rust","category":"programming","durationDays":5}"#);
        let name = execution_name(&a, ADMIN, Some("retry-1"));
        assert!(name.starts_with("course-") && name.len() == 47, "{name}");
        assert!(name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'));
        assert_eq!(name, execution_name(&b, ADMIN, Some("retry-1")), "the key decides");
        assert_ne!(name, execution_name(&a, ADMIN, Some("retry-2")));
        assert_ne!(name, execution_name(&a, "40000000-0000-4000-8000-000000000001", Some("retry-1")), "per admin");
        assert_ne!(execution_name(&a, ADMIN, None), execution_name(&b, ADMIN, None));
        let job = job_id(&name);
        assert_eq!(parse_job_id(&job), Some((Workflow::GenerateCourse, name.as_str())));
        for bad in ["job-", "course-abc", "job-course-xyz", "job-lesson-0123456789012345678901234567890123456789"] {
            assert_eq!(parse_job_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn idempotency_keys_are_checked() {
        assert_eq!(idempotency_key(None), Ok(None));
        assert_eq!(idempotency_key(Some(b"abc-DEF_123")), Ok(Some("abc-DEF_123")));
        assert_eq!(idempotency_key(Some(b"semi;colon")), Ok(Some("semi;colon")));
        for bad in [&b""[..], b"has space", &[b'a'; 256][..], "é".as_bytes()] {
            assert!(
                matches!(idempotency_key(Some(bad)), Err(ApiError::Validation { ref field, .. }) if field == "Idempotency-Key")
            );
        }
    }

    #[test]
    fn input_is_fixed_text() {
        let request = course(r#"{"title":"Advanced React","category":"programming","durationDays":5}"#);
        let input = execution_input("job-course-1", &request);
        let parsed: Value = serde_json::from_str(&input).expect("json");
        assert_eq!(parsed["jobId"], "job-course-1");
        assert_eq!(parsed["request"]["durationDays"], 5);
        assert_eq!(input, execution_input("job-course-1", &request));
    }
}
