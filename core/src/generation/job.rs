//! Job rows (`generation_jobs`, migrations/0003) and the job the API shows: the row's progress and results
//! joined with the execution's status.

use super::request::{kind, GenerationRequest};
use super::workflow::{Execution, ExecutionStatus, Workflow};
use crate::db::{Row, SqlValue, Statement};
use crate::error::ApiError;
use serde::Serialize;
use serde_json::Value;

/// The longest failure message shown.
const MAX_MESSAGE_CHARS: usize = 1000;

/// The one statement that records a job: it checks the target (category or lesson) exists and inserts the row
/// unless the job id has one already, and says which happened.
pub fn insert_statement(job_id: &str, name: &str, admin: &str, request: &GenerationRequest) -> Statement {
    let (target, target_param, total, unit) = match request {
        GenerationRequest::Course(course) => (
            "SELECT id FROM categories WHERE slug = :target",
            SqlValue::Text(course.category.clone()),
            course.duration_days,
            "lessons",
        ),
        GenerationRequest::Video(video) => {
            ("SELECT id FROM lessons WHERE id = :target", SqlValue::Uuid(video.lesson_id.clone()), 1, "videos")
        }
    };
    // A video job names its lesson; a course job has none (a fixed NULL: an untyped parameter would be text).
    let lesson = if matches!(request, GenerationRequest::Video(_)) { ":target" } else { "CAST(NULL AS uuid)" };
    // The outer SELECT sees the table as it was before the insert: `same_request` is NULL for a new row.
    let sql = format!(
        "WITH target AS ({target}), \
         ins AS (INSERT INTO generation_jobs (id, kind, execution_name, requested_by, request, steps_total, step_unit, lesson_id) \
         SELECT :id, :kind, :name, :admin, :request, :total, :unit, {lesson} WHERE EXISTS (SELECT 1 FROM target) \
         ON CONFLICT (id) DO NOTHING RETURNING id) \
         SELECT EXISTS (SELECT 1 FROM target) AS target_exists, \
         (SELECT count(*) FROM ins) AS inserted, \
         (SELECT j.request = :request FROM generation_jobs j WHERE j.id = :id) AS same_request"
    );
    Statement::new(sql)
        .bind("target", target_param)
        .bind("id", SqlValue::Text(job_id.to_owned()))
        .bind("kind", SqlValue::Text(kind(request.workflow()).to_owned()))
        .bind("name", SqlValue::Text(name.to_owned()))
        .bind("admin", SqlValue::Uuid(admin.to_owned()))
        .bind("request", SqlValue::Json(request.canonical()))
        .bind("total", SqlValue::Long(total))
        .bind("unit", SqlValue::Text(unit.to_owned()))
}

/// What [`insert_statement`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// A new job row.
    New,
    /// The job existed with the same request (a retried POST).
    Again,
    /// Another request inserted the same job id while this statement ran: the row exists but this statement's
    /// snapshot cannot see it. Running the statement again sees it.
    Concurrent,
}

/// Reads the row of [`insert_statement`]: the refusal when the target is missing or the key was used for
/// another request.
pub fn recorded(row: Row<'_>, request: &GenerationRequest) -> Result<Recorded, ApiError> {
    if row.long("inserted")? > 0 {
        return Ok(Recorded::New);
    }
    if !row.is_null("same_request")? {
        return if row.bool("same_request")? { Ok(Recorded::Again) } else { Err(ApiError::IdempotencyKeyReused) };
    }
    if !row.bool("target_exists")? {
        return Err(match request {
            GenerationRequest::Course(_) => ApiError::validation("category", "no such category"),
            GenerationRequest::Video(_) => ApiError::validation("lessonId", "no such lesson"),
        });
    }
    // The insert conflicted on the id (so the row exists) yet the outer SELECT, reading the snapshot taken
    // before the conflicting request committed, finds no row.
    Ok(Recorded::Concurrent)
}

/// The statement that reads a job row.
pub fn get_statement(job_id: &str) -> Statement {
    Statement::new(
        "SELECT id, kind, steps_done, steps_total, step_unit, course_id::text AS course_id, \
         lesson_id::text AS lesson_id, error_code, error_message, \
         to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created_at \
         FROM generation_jobs WHERE id = :id",
    )
    .bind("id", SqlValue::Text(job_id.to_owned()))
}

/// The body of `202` for a started job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Started {
    /// The job to follow at `/ai-generation/jobs/{jobId}`.
    pub job_id: String,
}

/// How far a job got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Steps done (lessons written, videos rendered).
    pub completed: i64,
    /// Steps in all.
    pub total: i64,
    /// What a step is: `lessons` or `videos`.
    pub unit: String,
}

/// Why a job failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobError {
    /// The workflow's error name (e.g. `Lesson.GenerationFailed`, `States.Timeout`).
    pub code: String,
    /// What happened, for the admin.
    pub message: String,
}

/// A job as `GET /ai-generation/jobs/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// The job id.
    pub job_id: String,
    /// `course` or `video`.
    pub kind: String,
    /// QUEUED, RUNNING, SUCCEEDED or FAILED.
    pub status: &'static str,
    /// How far it got.
    pub progress: Progress,
    /// The generated (draft) course, once written.
    pub course_id: Option<String>,
    /// The lesson a video job is for.
    pub lesson_id: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<JobError>,
    /// When it was asked for (UTC).
    pub created_at: String,
}

impl Job {
    /// The job from its row and its execution (`None`: not visible in the workflow service yet).
    pub fn from_row(row: Row<'_>, execution: Option<&Execution>, workflow: Workflow) -> Result<Job, ApiError> {
        let status = match execution.map(|e| e.status) {
            None => "QUEUED",
            // A failed execution waiting for a redrive will run again.
            Some(ExecutionStatus::Running | ExecutionStatus::PendingRedrive) => "RUNNING",
            Some(ExecutionStatus::Succeeded) => "SUCCEEDED",
            Some(ExecutionStatus::Failed | ExecutionStatus::TimedOut | ExecutionStatus::Aborted) => "FAILED",
        };
        let output: Option<Value> =
            execution.and_then(|e| e.output.as_deref()).and_then(|text| serde_json::from_str(text).ok());
        let from_output = |key: &str| output.as_ref().and_then(|o| o[key].as_str()).map(str::to_owned);
        let mut course_id = row.opt_text("course_id")?.map(str::to_owned);
        if course_id.is_none() && status == "SUCCEEDED" && workflow == Workflow::GenerateCourse {
            course_id = from_output("courseId");
        }
        let error = match (status, execution) {
            ("FAILED", Some(execution)) => Some(failure(row, execution)?),
            _ => None,
        };
        Ok(Job {
            job_id: row.text("id")?.to_owned(),
            kind: row.text("kind")?.to_owned(),
            status,
            progress: Progress {
                completed: row.long("steps_done")?,
                total: row.long("steps_total")?,
                unit: row.text("step_unit")?.to_owned(),
            },
            course_id,
            lesson_id: row.opt_text("lesson_id")?.map(str::to_owned),
            error,
            created_at: row.text("created_at")?.to_owned(),
        })
    }
}

/// The failure: what the workflow recorded in the row, else the execution's error and cause.
fn failure(row: Row<'_>, execution: &Execution) -> Result<JobError, ApiError> {
    let default_code = match execution.status {
        ExecutionStatus::TimedOut => "States.Timeout",
        ExecutionStatus::Aborted => "States.Aborted",
        _ => "States.Runtime",
    };
    let code = row
        .opt_text("error_code")?
        .map(str::to_owned)
        .or_else(|| execution.error.clone())
        .unwrap_or_else(|| default_code.to_owned());
    let message = row
        .opt_text("error_message")?
        .map(str::to_owned)
        .or_else(|| execution.cause.clone())
        .unwrap_or_else(|| "the workflow stopped".to_owned());
    Ok(JobError { code, message: message.chars().take(MAX_MESSAGE_CHARS).collect() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Cell, ResultSet};
    use crate::generation::request::CourseRequest;

    fn set(columns: &[&str], cells: Vec<Cell>) -> ResultSet {
        ResultSet { columns: columns.iter().map(|c| c.to_string()).collect(), rows: vec![cells], rows_updated: 0 }
    }

    fn job_row(error: Option<&str>, course: Option<&str>) -> ResultSet {
        let text = |v: Option<&str>| v.map_or(Cell::Null, |s| Cell::Text(s.into()));
        set(
            &[
                "id",
                "kind",
                "steps_done",
                "steps_total",
                "step_unit",
                "course_id",
                "lesson_id",
                "error_code",
                "error_message",
                "created_at",
            ],
            vec![
                Cell::Text("job-course-1".into()),
                Cell::Text("course".into()),
                Cell::Long(2),
                Cell::Long(5),
                Cell::Text("lessons".into()),
                text(course),
                Cell::Null,
                text(error),
                text(error.map(|_| "lesson 3 could not be written")),
                Cell::Text("2026-01-01T00:00:00Z".into()),
            ],
        )
    }

    fn execution(status: ExecutionStatus) -> Execution {
        Execution { status, error: None, cause: None, output: None }
    }

    #[test]
    fn statuses_map_from_the_execution() {
        let rows = job_row(None, None);
        let row = rows.first().expect("row");
        let status = |e: Option<&Execution>| Job::from_row(row, e, Workflow::GenerateCourse).expect("job").status;
        assert_eq!(status(None), "QUEUED");
        assert_eq!(status(Some(&execution(ExecutionStatus::Running))), "RUNNING");
        assert_eq!(status(Some(&execution(ExecutionStatus::Succeeded))), "SUCCEEDED");
        assert_eq!(status(Some(&execution(ExecutionStatus::Aborted))), "FAILED");
        let job =
            Job::from_row(row, Some(&execution(ExecutionStatus::Running)), Workflow::GenerateCourse).expect("job");
        assert_eq!(job.progress, Progress { completed: 2, total: 5, unit: "lessons".into() });
        assert_eq!(job.error, None);
    }

    #[test]
    fn failures_and_results_are_surfaced() {
        let rows = job_row(Some("Lesson.GenerationFailed"), None);
        let failed = Execution {
            status: ExecutionStatus::Failed,
            error: Some("Other".into()),
            cause: Some("cause".into()),
            output: None,
        };
        let job = Job::from_row(rows.first().expect("row"), Some(&failed), Workflow::GenerateCourse).expect("job");
        assert_eq!(job.status, "FAILED");
        assert_eq!(
            job.error,
            Some(JobError { code: "Lesson.GenerationFailed".into(), message: "lesson 3 could not be written".into() })
        );
        let rows = job_row(None, None);
        let timed_out = execution(ExecutionStatus::TimedOut);
        let job = Job::from_row(rows.first().expect("row"), Some(&timed_out), Workflow::GenerateCourse).expect("job");
        assert_eq!(job.error.expect("error").code, "States.Timeout");
        let done = Execution { output: Some(r#"{"courseId":"c-1"}"#.into()), ..execution(ExecutionStatus::Succeeded) };
        let job = Job::from_row(rows.first().expect("row"), Some(&done), Workflow::GenerateCourse).expect("job");
        assert_eq!(job.course_id.as_deref(), Some("c-1"));
    }

    #[test]
    fn insert_reports_what_it_found() {
        let request = GenerationRequest::Course(
            CourseRequest::parse(br#"{"title":"Advanced React","category":"nope","durationDays":5}"#).expect("valid"),
        );
        let statement = insert_statement("job-course-1", "course-1", "40000000-0000-4000-8000-000000000003", &request);
        assert!(statement.params.iter().any(|p| p.name == "target" && p.value == SqlValue::Text("nope".into())));
        assert!(!statement.sql.contains("nope"));
        let columns = ["target_exists", "inserted", "same_request"];
        let found = |cells| recorded(set(&columns, cells).first().expect("row"), &request);
        assert_eq!(found(vec![Cell::Bool(true), Cell::Long(1), Cell::Null]), Ok(Recorded::New));
        assert_eq!(found(vec![Cell::Bool(true), Cell::Long(0), Cell::Bool(true)]), Ok(Recorded::Again));
        assert_eq!(
            found(vec![Cell::Bool(true), Cell::Long(0), Cell::Bool(false)]),
            Err(ApiError::IdempotencyKeyReused)
        );
        assert!(matches!(
            found(vec![Cell::Bool(false), Cell::Long(0), Cell::Null]),
            Err(ApiError::Validation { field, .. }) if field == "category"
        ));
        // Our insert waited on a concurrent one's id and its snapshot cannot see that row.
        assert_eq!(found(vec![Cell::Bool(true), Cell::Long(0), Cell::Null]), Ok(Recorded::Concurrent));
    }
}
