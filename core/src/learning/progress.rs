//! `POST /progress` (a learner's work on one lesson) and `GET /progress/{userId}` (per course: lessons done,
//! time spent, last activity).
//!
//! Recording is an upsert per (learner, lesson) in one statement: `completedAt` is set once and never moves;
//! time adds up; `completed:false` after `true` erases nothing. Completing the last lesson of a course completes
//! the enrollment in the same statement.

use super::{opt_time, unlock_sql};
use crate::body::{self, Body};
use crate::db::{ResultSet, SqlValue, Statement};
use crate::error::ApiError;
use crate::exec::NOW;
use crate::users::rfc3339;
use serde::Serialize;

/// The most time one report may add: a day.
pub const MAX_SECONDS_PER_REPORT: i64 = 86_400;

/// A validated `POST /progress`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The lesson.
    pub lesson_id: String,
    /// Whether the learner completed it now.
    pub completed: bool,
    /// Time spent in this session, in seconds.
    pub time_spent_seconds: i64,
}

impl Record {
    /// Validates `{"lessonId", "completed", "timeSpentSeconds"?}`.
    pub fn parse(bytes: &[u8]) -> Result<Record, ApiError> {
        let body = Body::parse(bytes, &["lessonId", "completed", "timeSpentSeconds"])?;
        let lesson_id = body::uuid("lessonId", &body.required("lessonId")?)?;
        let completed = body
            .required("completed")?
            .as_bool()
            .ok_or_else(|| ApiError::validation("completed", "must be a boolean"))?;
        let time_spent_seconds = match body.value("timeSpentSeconds")? {
            None => 0,
            Some(value) => body::integer("timeSpentSeconds", &value, 0..=MAX_SECONDS_PER_REPORT)?,
        };
        Ok(Record { lesson_id, completed, time_spent_seconds })
    }

    /// The one statement: check the enrollment and the unlock, upsert, complete the enrollment when this was
    /// the last lesson, and answer one row saying what happened.
    pub fn statement(&self, user_id: &str, now: &str) -> Statement {
        let unlock = unlock_sql("e", "u", "l.day");
        let sql = format!(
            "WITH l AS (SELECT id, day, course_id FROM lessons WHERE id = :lesson_id), \
             e AS (SELECT e.id, {unlock} AS unlocks_at FROM enrollments e JOIN l ON e.course_id = l.course_id \
                   JOIN users u ON u.id = e.user_id WHERE e.user_id = :user_id), \
             up AS (INSERT INTO progress (user_id, lesson_id, completed, completed_at, time_spent_seconds, updated_at) \
                    SELECT :user_id, l.id, :completed, CASE WHEN :completed THEN {NOW} END, :seconds, {NOW} \
                    FROM l, e WHERE e.unlocks_at <= {NOW} \
                    ON CONFLICT (user_id, lesson_id) DO UPDATE SET \
                      completed = progress.completed OR EXCLUDED.completed, \
                      completed_at = COALESCE(progress.completed_at, EXCLUDED.completed_at), \
                      time_spent_seconds = LEAST(progress.time_spent_seconds::bigint + EXCLUDED.time_spent_seconds, 2147483647), \
                      updated_at = EXCLUDED.updated_at \
                    RETURNING id, lesson_id, completed, completed_at, time_spent_seconds), \
             done AS (UPDATE enrollments SET completed_at = {NOW} \
                      WHERE id = (SELECT id FROM e) AND completed_at IS NULL \
                        AND EXISTS (SELECT 1 FROM up WHERE up.completed) \
                        AND NOT EXISTS (SELECT 1 FROM lessons x WHERE x.course_id = (SELECT course_id FROM l) \
                          AND x.id <> :lesson_id AND NOT EXISTS (SELECT 1 FROM progress p \
                            WHERE p.user_id = :user_id AND p.lesson_id = x.id AND p.completed)) \
                      RETURNING completed_at) \
             SELECT EXISTS (SELECT 1 FROM l) AS lesson_found, EXISTS (SELECT 1 FROM e) AS enrolled, \
                    (SELECT unlocks_at FROM e) AS unlocks_at, up.id AS progress_id, up.lesson_id, up.completed, \
                    up.completed_at, up.time_spent_seconds, (SELECT completed_at FROM done) AS course_completed_at \
             FROM (SELECT 1) AS one LEFT JOIN up ON true"
        );
        Statement::new(sql)
            .bind("lesson_id", SqlValue::Uuid(self.lesson_id.clone()))
            .bind("user_id", SqlValue::Uuid(user_id.to_owned()))
            .bind("completed", SqlValue::Bool(self.completed))
            .bind("seconds", SqlValue::Long(self.time_spent_seconds))
            .bind("now", SqlValue::Timestamp(now.to_owned()))
    }
}

/// The answer of `POST /progress`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recorded {
    /// Progress id (one per learner and lesson).
    pub progress_id: String,
    /// The lesson.
    pub lesson_id: String,
    /// Whether the lesson is completed (ever).
    pub completed: bool,
    /// When it was first completed.
    pub completed_at: Option<String>,
    /// Total time spent on it, in seconds.
    pub time_spent_seconds: i64,
    /// Whether this report completed the whole course.
    pub course_completed: bool,
}

/// Reads the row of [`Record::statement`], or the refusal it describes.
pub fn recorded(rows: &ResultSet) -> Result<Recorded, ApiError> {
    let row = rows.first().ok_or(ApiError::OriginError { internal: "progress statement returned no row".into() })?;
    if !row.bool("lesson_found")? {
        return Err(ApiError::NotFound { resource: "lesson" });
    }
    if !row.bool("enrolled")? {
        return Err(ApiError::EnrollmentRequired);
    }
    let Some(progress_id) = row.opt_text("progress_id")? else {
        return Err(ApiError::LessonLocked { unlocks_at: rfc3339(row.text("unlocks_at")?) });
    };
    Ok(Recorded {
        progress_id: progress_id.to_owned(),
        lesson_id: row.text("lesson_id")?.to_owned(),
        completed: row.bool("completed")?,
        completed_at: opt_time(row.opt_text("completed_at")?),
        time_spent_seconds: row.long("time_spent_seconds")?,
        course_completed: !row.is_null("course_completed_at")?,
    })
}

/// The statement for `GET /progress/{userId}`: one row per enrolled course (a single row with NULLs when the
/// user has none), no row when the user does not exist.
pub fn summary_statement(user_id: &str) -> Statement {
    Statement::new(
        "SELECT c.id AS course_id, c.title, e.enrolled_at, e.completed_at, \
         (SELECT count(*) FROM lessons l WHERE l.course_id = c.id) AS lessons_total, \
         (SELECT count(*) FROM progress p JOIN lessons l ON l.id = p.lesson_id \
          WHERE p.user_id = u.id AND l.course_id = c.id AND p.completed) AS lessons_completed, \
         (SELECT COALESCE(sum(p.time_spent_seconds), 0) FROM progress p JOIN lessons l ON l.id = p.lesson_id \
          WHERE p.user_id = u.id AND l.course_id = c.id) AS time_spent_seconds, \
         (SELECT max(p.updated_at) FROM progress p JOIN lessons l ON l.id = p.lesson_id \
          WHERE p.user_id = u.id AND l.course_id = c.id) AS last_activity_at \
         FROM users u LEFT JOIN enrollments e ON e.user_id = u.id LEFT JOIN courses c ON c.id = e.course_id \
         WHERE u.id = :user_id ORDER BY e.enrolled_at DESC NULLS LAST, c.id",
    )
    .bind("user_id", SqlValue::Uuid(user_id.to_owned()))
}

/// One course in a learner's progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CourseProgress {
    /// The course.
    pub course_id: String,
    /// Its title.
    pub title: String,
    /// When the learner enrolled.
    pub enrolled_at: String,
    /// When the learner finished it.
    pub completed_at: Option<String>,
    /// Lessons completed.
    pub lessons_completed: i64,
    /// Lessons in the course.
    pub lessons_total: i64,
    /// Seconds spent on its lessons.
    pub time_spent_seconds: i64,
    /// The last report on any of its lessons.
    pub last_activity_at: Option<String>,
}

/// A learner's progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressSummary {
    /// The learner.
    pub user_id: String,
    /// Per enrolled course, newest enrollment first.
    pub courses: Vec<CourseProgress>,
}

/// Reads [`summary_statement`]'s rows.
pub fn summary(user_id: &str, rows: &ResultSet) -> Result<ProgressSummary, ApiError> {
    if rows.rows.is_empty() {
        return Err(ApiError::NotFound { resource: "user" });
    }
    let mut courses = Vec::with_capacity(rows.rows.len());
    for row in rows.iter() {
        let Some(course_id) = row.opt_text("course_id")? else { continue };
        courses.push(CourseProgress {
            course_id: course_id.to_owned(),
            title: row.text("title")?.to_owned(),
            enrolled_at: rfc3339(row.text("enrolled_at")?),
            completed_at: opt_time(row.opt_text("completed_at")?),
            lessons_completed: row.long("lessons_completed")?,
            lessons_total: row.long("lessons_total")?,
            time_spent_seconds: row.long("time_spent_seconds")?,
            last_activity_at: opt_time(row.opt_text("last_activity_at")?),
        });
    }
    Ok(ProgressSummary { user_id: user_id.to_owned(), courses })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LESSON: &str = "30010001-0000-4000-8000-000001000001";

    #[test]
    fn body_is_checked() {
        for (body, field) in [
            ("{}", "lessonId"),
            (r#"{"lessonId":"x","completed":true}"#, "lessonId"),
            (&format!(r#"{{"lessonId":"{LESSON}"}}"#), "completed"),
            (&format!(r#"{{"lessonId":"{LESSON}","completed":"yes"}}"#), "completed"),
            (&format!(r#"{{"lessonId":"{LESSON}","completed":true,"timeSpentSeconds":-1}}"#), "timeSpentSeconds"),
            (&format!(r#"{{"lessonId":"{LESSON}","completed":true,"timeSpentSeconds":86401}}"#), "timeSpentSeconds"),
            (&format!(r#"{{"lessonId":"{LESSON}","completed":true,"timeSpentSeconds":1.5}}"#), "timeSpentSeconds"),
            (&format!(r#"{{"lessonId":"{LESSON}","completed":true,"userId":"x"}}"#), "userId"),
        ] {
            match Record::parse(body.as_bytes()) {
                Err(ApiError::Validation { field: got, .. }) => assert_eq!(got, field, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        let record = Record::parse(format!(r#"{{"lessonId":"{LESSON}","completed":false}}"#).as_bytes()).expect("ok");
        assert_eq!(record.time_spent_seconds, 0);
    }
}
