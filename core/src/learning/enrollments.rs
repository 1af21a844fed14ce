//! `POST /enrollments` (enroll the caller: once, whatever the number of attempts) and `GET /enrollments` (the
//! caller's courses with their progress and the next lesson to do).

use super::{opt_time, unlock_sql};
use crate::body::{self, Body};
use crate::catalog::courses::CourseSummary;
use crate::db::{ResultSet, Row, SqlValue, Statement};
use crate::error::ApiError;
use crate::exec::NOW;
use crate::users::rfc3339;
use serde::Serialize;

/// A validated `POST /enrollments`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enroll {
    /// The course.
    pub course_id: String,
}

impl Enroll {
    /// Validates the body `{"courseId"}`.
    pub fn parse(bytes: &[u8]) -> Result<Enroll, ApiError> {
        let body = Body::parse(bytes, &["courseId"])?;
        Ok(Enroll { course_id: body::uuid("courseId", &body.required("courseId")?)? })
    }

    /// The one statement: enroll unless already enrolled, and say which happened (or why neither did).
    /// `premium` is whether the caller's plan covers paid courses.
    pub fn statement(&self, user_id: &str, premium: bool, now: &str) -> Statement {
        let sql = format!(
            "WITH c AS (SELECT id, price > 0 AS paid FROM courses WHERE id = :course_id AND status = 'published'), \
             prior AS (SELECT id, course_id, enrolled_at, completed_at FROM enrollments \
                       WHERE user_id = :user_id AND course_id = :course_id), \
             ins AS (INSERT INTO enrollments (user_id, course_id, enrolled_at) \
                     SELECT :user_id, c.id, {NOW} FROM c \
                     WHERE NOT EXISTS (SELECT 1 FROM prior) AND (NOT c.paid OR :premium) \
                     ON CONFLICT (user_id, course_id) DO NOTHING \
                     RETURNING id, course_id, enrolled_at, completed_at) \
             SELECT 'created' AS outcome, id, course_id, enrolled_at, completed_at FROM ins \
             UNION ALL SELECT 'existing', id, course_id, enrolled_at, completed_at FROM prior \
             UNION ALL SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM c) THEN 'no_course' \
                                   WHEN (SELECT paid FROM c) AND NOT :premium THEN 'payment_required' \
                                   ELSE 'raced' END, \
                              NULL::uuid, NULL::uuid, NULL::timestamptz, NULL::timestamptz \
             WHERE NOT EXISTS (SELECT 1 FROM ins) AND NOT EXISTS (SELECT 1 FROM prior)"
        );
        Statement::new(sql)
            .bind("course_id", SqlValue::Uuid(self.course_id.clone()))
            .bind("user_id", SqlValue::Uuid(user_id.to_owned()))
            .bind("premium", SqlValue::Bool(premium))
            .bind("now", SqlValue::Timestamp(now.to_owned()))
    }
}

/// What [`Enroll::statement`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Enrolled {
    /// A new enrollment (201).
    Created(Enrollment),
    /// The caller was already enrolled (200, the same enrollment).
    Existing(Enrollment),
    /// A concurrent request enrolled the caller between this statement's snapshot and its insert: read again.
    Raced,
}

/// An enrollment, as `POST /enrollments` answers it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Enrollment {
    /// Enrollment id.
    pub enrollment_id: String,
    /// The course.
    pub course_id: String,
    /// The learner.
    pub user_id: String,
    /// When (RFC 3339, UTC).
    pub enrolled_at: String,
    /// `active`, or `completed` once every lesson is done.
    pub status: &'static str,
    /// When the last lesson was completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
}

/// Reads the row of [`Enroll::statement`].
pub fn enrolled(rows: &ResultSet, user_id: &str) -> Result<Enrolled, ApiError> {
    let row = rows.first().ok_or(ApiError::OriginError { internal: "enrollment statement returned no row".into() })?;
    let enrollment = |row: Row<'_>| -> Result<Enrollment, ApiError> {
        let completed_at = opt_time(row.opt_text("completed_at")?);
        Ok(Enrollment {
            enrollment_id: row.text("id")?.to_owned(),
            course_id: row.text("course_id")?.to_owned(),
            user_id: user_id.to_owned(),
            enrolled_at: rfc3339(row.text("enrolled_at")?),
            status: if completed_at.is_some() { "completed" } else { "active" },
            completed_at,
        })
    };
    match row.text("outcome")? {
        "created" => Ok(Enrolled::Created(enrollment(row)?)),
        "existing" => Ok(Enrolled::Existing(enrollment(row)?)),
        "no_course" => Err(ApiError::NotFound { resource: "course" }),
        "payment_required" => Err(ApiError::PaymentRequired),
        "raced" => Ok(Enrolled::Raced),
        other => Err(ApiError::OriginError { internal: format!("unknown enrollment outcome {other}") }),
    }
}

/// The statement for `GET /enrollments`: the caller's enrollments, newest first, each with its course, counts
/// and next lesson (the first not completed, with when it opens).
pub fn list_statement(user_id: &str, now: &str) -> Statement {
    let unlock = unlock_sql("e", "u", "nl.day");
    let sql = format!(
        "SELECT e.id AS enrollment_id, e.enrolled_at, e.completed_at, {columns}, \
         (SELECT count(*) FROM progress p JOIN lessons pl ON pl.id = p.lesson_id \
          WHERE p.user_id = e.user_id AND pl.course_id = c.id AND p.completed) AS lessons_completed, \
         nl.id AS next_id, nl.day AS next_day, nl.title AS next_title, {unlock} AS next_unlocks_at, \
         {unlock} <= {NOW} AS next_unlocked \
         FROM enrollments e JOIN users u ON u.id = e.user_id \
         JOIN courses c ON c.id = e.course_id JOIN categories cat ON cat.id = c.category_id \
         LEFT JOIN LATERAL (SELECT l.id, l.day, l.title FROM lessons l WHERE l.course_id = c.id \
           AND NOT EXISTS (SELECT 1 FROM progress p WHERE p.user_id = e.user_id AND p.lesson_id = l.id AND p.completed) \
           ORDER BY l.day LIMIT 1) nl ON true \
         WHERE e.user_id = :user_id ORDER BY e.enrolled_at DESC, e.id",
        columns = crate::catalog::courses::COURSE_COLUMNS,
    );
    Statement::new(sql)
        .bind("user_id", SqlValue::Uuid(user_id.to_owned()))
        .bind("now", SqlValue::Timestamp(now.to_owned()))
}

/// The next lesson to do in an enrollment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NextLesson {
    /// Lesson id.
    pub id: String,
    /// Its day.
    pub day: i64,
    /// Its title.
    pub title: String,
    /// Whether its day has begun for the learner.
    pub unlocked: bool,
    /// When it opens (RFC 3339, UTC).
    pub unlocks_at: String,
}

/// One of the caller's enrollments.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentSummary {
    /// Enrollment id.
    pub enrollment_id: String,
    /// When (RFC 3339, UTC).
    pub enrolled_at: String,
    /// `active` or `completed`.
    pub status: &'static str,
    /// When the last lesson was completed.
    pub completed_at: Option<String>,
    /// The course, as the catalog shows it.
    pub course: CourseSummary,
    /// Lessons completed.
    pub lessons_completed: i64,
    /// Whole percent of the course's lessons completed (0..=100).
    pub percent_complete: i64,
    /// The first lesson not yet completed; `null` when all are done.
    pub next_lesson: Option<NextLesson>,
}

/// Reads [`list_statement`]'s rows.
pub fn list(rows: &ResultSet) -> Result<Vec<EnrollmentSummary>, ApiError> {
    rows.iter()
        .map(|row| {
            let course = CourseSummary::from_row(row)?;
            let done = row.long("lessons_completed")?;
            let percent_complete = if course.lessons_count > 0 { (done * 100) / course.lessons_count } else { 0 };
            let next_lesson = match row.opt_text("next_id")? {
                None => None,
                Some(id) => Some(NextLesson {
                    id: id.to_owned(),
                    day: row.long("next_day")?,
                    title: row.text("next_title")?.to_owned(),
                    unlocked: row.bool("next_unlocked")?,
                    unlocks_at: rfc3339(row.text("next_unlocks_at")?),
                }),
            };
            let completed_at = opt_time(row.opt_text("completed_at")?);
            Ok(EnrollmentSummary {
                enrollment_id: row.text("enrollment_id")?.to_owned(),
                enrolled_at: rfc3339(row.text("enrolled_at")?),
                status: if completed_at.is_some() { "completed" } else { "active" },
                completed_at,
                course,
                lessons_completed: done,
                percent_complete: percent_complete.clamp(0, 100),
                next_lesson,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_checked() {
        for (body, field) in [
            ("{}", "courseId"),
            (r#"{"courseId":"course-123"}"#, "courseId"),
            (r#"{"courseId":7}"#, "courseId"),
            (r#"{"courseId":"20000000-0000-4000-8000-000000000001","userId":"x"}"#, "userId"),
            ("[]", "body"),
        ] {
            match Enroll::parse(body.as_bytes()) {
                Err(ApiError::Validation { field: got, .. }) => assert_eq!(got, field, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        let enroll = Enroll::parse(br#"{"courseId":"20000000-0000-4000-8000-00000000000A"}"#).expect("valid");
        assert_eq!(enroll.course_id, "20000000-0000-4000-8000-00000000000a");
        let statement = enroll.statement("u", false, "2026-01-01 00:00:00.000");
        assert!(statement.params.iter().any(|p| p.name == "premium" && p.value == SqlValue::Bool(false)));
    }
}
