//! `GET /lessons?courseId=` (a course's lessons in day order) and `GET /lessons/{id}` (one lesson).

use crate::db::{ResultSet, Row, SqlValue, Statement};
use crate::error::ApiError;
use crate::query::{self, is_uuid, Query};
use serde::Serialize;

/// The statement for `GET /lessons?courseId=`: one row per lesson, or a single row with NULL lesson columns
/// for a published course without lessons, or no row when the course is not in the catalog.
pub fn list_statement(raw_query: Option<&str>) -> Result<Statement, ApiError> {
    let query = Query::parse(raw_query, &["courseId"])?;
    let course_id = query::uuid("courseId", query.get("courseId"))?;
    Ok(Statement::new(
        "SELECT c.id AS course_id, l.id, l.day, l.title FROM courses c \
         LEFT JOIN lessons l ON l.course_id = c.id \
         WHERE c.id = :course_id AND c.status = 'published' ORDER BY l.day",
    )
    .bind("course_id", SqlValue::Uuid(course_id)))
}

/// A lesson as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LessonSummary {
    /// Lesson id.
    pub id: String,
    /// The course it belongs to.
    pub course_id: String,
    /// Day of the course (1-based).
    pub day: i64,
    /// Title.
    pub title: String,
}

/// The lessons of one course.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LessonList {
    /// The course.
    pub course_id: String,
    /// Its lessons in day order.
    pub items: Vec<LessonSummary>,
}

/// Reads [`list_statement`]'s rows; `None` when the course is not in the catalog.
pub fn list(rows: &ResultSet) -> Result<Option<LessonList>, ApiError> {
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let course_id = first.text("course_id")?.to_owned();
    let mut items = Vec::with_capacity(rows.rows.len());
    for row in rows.iter() {
        if row.is_null("id")? {
            continue;
        }
        items.push(LessonSummary {
            id: row.text("id")?.to_owned(),
            course_id: course_id.clone(),
            day: row.long("day")?,
            title: row.text("title")?.to_owned(),
        });
    }
    Ok(Some(LessonList { course_id, items }))
}

/// The statement for `GET /lessons/{id}`, or `None` when the id cannot exist.
pub fn get_statement(id: &str) -> Option<Statement> {
    if !is_uuid(id) {
        return None;
    }
    Some(
        Statement::new(
            "SELECT l.id, l.course_id, l.day, l.title, l.content, l.video_url, l.action_items, l.resources \
             FROM lessons l JOIN courses c ON c.id = l.course_id \
             WHERE l.id = :id AND c.status = 'published'",
        )
        .bind("id", SqlValue::Uuid(id.to_ascii_lowercase())),
    )
}

/// A whole lesson.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LessonDetail {
    /// Lesson id.
    pub id: String,
    /// The course it belongs to.
    pub course_id: String,
    /// Day of the course (1-based).
    pub day: i64,
    /// Title.
    pub title: String,
    /// The day's reading.
    pub content: String,
    /// The lesson video, when there is one.
    pub video_url: Option<String>,
    /// Things to do today.
    pub action_items: serde_json::Value,
    /// Further reading: `[{title, url}]`.
    pub resources: serde_json::Value,
}

impl LessonDetail {
    /// Reads the row of [`get_statement`].
    pub fn from_row(row: Row<'_>) -> Result<Self, ApiError> {
        let array = |column: &str| -> Result<serde_json::Value, ApiError> {
            match row.json(column)? {
                value @ serde_json::Value::Array(_) => Ok(value),
                other => Err(ApiError::OriginError { internal: format!("{column} is not an array: {other}") }),
            }
        };
        Ok(LessonDetail {
            id: row.text("id")?.to_owned(),
            course_id: row.text("course_id")?.to_owned(),
            day: row.long("day")?,
            title: row.text("title")?.to_owned(),
            content: row.text("content")?.to_owned(),
            video_url: row.opt_text("video_url")?.map(str::to_owned),
            action_items: array("action_items")?,
            resources: array("resources")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_requires_a_uuid_course_id() {
        for (query, field) in [
            (None, "courseId"),
            (Some("courseId="), "courseId"),
            (Some("courseId=course-1"), "courseId"),
            (Some("course=1"), "course"),
        ] {
            match list_statement(query) {
                Err(ApiError::Validation { field: got, .. }) => assert_eq!(got, field, "{query:?}"),
                other => panic!("{query:?}: {other:?}"),
            }
        }
        assert!(list_statement(Some("courseId=20000000-0000-4000-8000-000000000001")).is_ok());
    }
}
