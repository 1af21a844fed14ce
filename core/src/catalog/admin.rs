//! Admin writes to the catalog. For now `PUT /courses/{id}`: change any of a course's fields. Every successful
//! write moves the catalog version, which retires every cached catalog answer (see `App::bump_catalog_version`).
//!
//! The body is validated field by field before any SQL runs: unknown fields are refused, every value is
//! checked, and the update is one statement (a CTE), so it applies whole or not at all.

use super::courses::CourseSummary;
use crate::db::{Row, SqlValue, Statement};
use crate::error::ApiError;
use crate::query::{self, is_uuid};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::BTreeMap;

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

const FIELDS: &[&str] = &["title", "description", "category", "durationDays", "price", "status", "thumbnail"];

/// A validated `PUT /courses/{id}`: the fields to change.
#[derive(Debug, Clone, PartialEq)]
pub struct CourseUpdate {
    id: String,
    sets: Vec<(&'static str, &'static str, SqlValue)>,
    category: Option<String>,
    thumbnail: Option<Option<String>>,
    duration: Option<i64>,
}

fn invalid(field: &str, reason: &str) -> ApiError {
    ApiError::validation(field, reason)
}

fn text(field: &str, value: &Value, min: usize, max: usize) -> Result<String, ApiError> {
    let text = value.as_str().ok_or_else(|| invalid(field, "must be a string"))?.trim();
    let length = text.chars().count();
    if length < min || length > max {
        return Err(invalid(field, &format!("must be {min} to {max} characters")));
    }
    Ok(text.to_owned())
}

/// Money: a JSON number with at most two decimals, 0 to 99,999,999.99, read from its exact text.
fn price(raw: &RawValue) -> Result<String, ApiError> {
    let text = raw.get();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let ok = digits(whole) && whole.len() <= 8 && (fraction.is_empty() || (digits(fraction) && fraction.len() <= 2));
    if !ok {
        return Err(invalid("price", "must be a number from 0 to 99999999.99 with at most two decimals"));
    }
    Ok(text.to_owned())
}

impl CourseUpdate {
    /// Validates the request body for course `id`.
    pub fn parse(id: &str, body: &[u8]) -> Result<CourseUpdate, ApiError> {
        if !is_uuid(id) {
            return Err(ApiError::NotFound { resource: "course" });
        }
        let fields: BTreeMap<String, Box<RawValue>> =
            serde_json::from_slice(body).map_err(|_| invalid("body", "must be a JSON object"))?;
        if fields.is_empty() {
            return Err(invalid("body", &format!("names no field to change; fields: {}", FIELDS.join(", "))));
        }
        let mut update = CourseUpdate {
            id: id.to_ascii_lowercase(),
            sets: Vec::new(),
            category: None,
            thumbnail: None,
            duration: None,
        };
        for (name, raw) in &fields {
            let value: Value = serde_json::from_str(raw.get()).map_err(|_| invalid(name, "is not valid JSON"))?;
            match name.as_str() {
                "title" => update.sets.push(("title", "title", SqlValue::Text(text(name, &value, 3, 200)?))),
                "description" => {
                    update.sets.push(("description", "description", SqlValue::Text(text(name, &value, 0, 5000)?)))
                }
                "category" => {
                    let slug = value.as_str().ok_or_else(|| invalid(name, "must be a string"))?;
                    update.category = Some(query::slug("category", slug)?.to_owned());
                }
                "durationDays" => {
                    let days = value.as_i64().filter(|d| (1..=365).contains(d));
                    let days = days.ok_or_else(|| invalid(name, "must be an integer from 1 to 365"))?;
                    update.duration = Some(days);
                    update.sets.push(("duration_days", "duration_days", SqlValue::Long(days)));
                }
                "price" => update.sets.push(("price", "price", SqlValue::Decimal(price(raw)?))),
                "status" => match value.as_str() {
                    Some(status @ ("draft" | "published" | "archived")) => {
                        update.sets.push(("status", "status", SqlValue::Text(status.to_owned())))
                    }
                    _ => return Err(invalid(name, "must be draft, published or archived")),
                },
                "thumbnail" => match &value {
                    Value::Null => update.thumbnail = Some(None),
                    Value::String(url)
                        if url.starts_with("https://") && url.len() <= 2048 && !url.contains(char::is_whitespace) =>
                    {
                        update.thumbnail = Some(Some(url.clone()))
                    }
                    _ => return Err(invalid(name, "must be an https URL or null")),
                },
                other => return Err(invalid(other, &format!("unknown field; fields: {}", FIELDS.join(", ")))),
            }
        }
        Ok(update)
    }

    /// The one statement that applies the update and returns the changed course (no row: nothing changed).
    pub fn statement(&self) -> Statement {
        let mut assignments: Vec<String> =
            self.sets.iter().map(|(column, param, _)| format!("{column} = :{param}")).collect();
        let mut statement = Statement::new(String::new()).bind("id", SqlValue::Uuid(self.id.clone()));
        for (_, param, value) in &self.sets {
            statement = statement.bind(param, value.clone());
        }
        let mut guards = String::new();
        if let Some(category) = &self.category {
            assignments.push("category_id = (SELECT id FROM categories WHERE slug = :category)".into());
            guards.push_str(" AND EXISTS (SELECT 1 FROM categories WHERE slug = :category)");
            statement = statement.bind("category", SqlValue::Text(category.clone()));
        }
        match &self.thumbnail {
            Some(Some(url)) => {
                assignments.push("metadata = jsonb_set(metadata, '{thumbnailUrl}', to_jsonb(:thumbnail))".into());
                statement = statement.bind("thumbnail", SqlValue::Text(url.clone()));
            }
            Some(None) => assignments.push("metadata = metadata - 'thumbnailUrl'".into()),
            None => {}
        }
        if self.duration.is_some() {
            // Never leave a lesson beyond the course's last day.
            guards.push_str(" AND NOT EXISTS (SELECT 1 FROM lessons WHERE course_id = :id AND day > :duration_days)");
        }
        assignments.push("updated_at = now()".into());
        statement.sql = format!(
            "WITH upd AS (UPDATE courses SET {} WHERE id = :id{guards} RETURNING *) \
             SELECT u.id, u.title, u.description, cat.slug AS category, u.duration_days, u.price, \
             u.metadata->>'thumbnailUrl' AS thumbnail, u.status, \
             (SELECT count(*) FROM lessons l WHERE l.course_id = u.id) AS lessons_count \
             FROM upd u JOIN categories cat ON cat.id = u.category_id",
            assignments.join(", ")
        )
        .into();
        statement
    }

    /// When [`statement`](Self::statement) changed nothing: the statement that says why.
    pub fn diagnosis(&self) -> Statement {
        Statement::new(
            "SELECT EXISTS (SELECT 1 FROM courses WHERE id = :id) AS course_exists, \
             EXISTS (SELECT 1 FROM categories WHERE slug = :category) AS category_exists, \
             EXISTS (SELECT 1 FROM lessons WHERE course_id = :id AND day > :days) AS lessons_beyond",
        )
        .bind("id", SqlValue::Uuid(self.id.clone()))
        .bind("category", SqlValue::Text(self.category.clone().unwrap_or_default()))
        .bind("days", SqlValue::Long(self.duration.unwrap_or(i64::MAX)))
    }

    /// The error for a write that changed nothing, from the row of [`diagnosis`](Self::diagnosis).
    pub fn refusal(&self, row: Row<'_>) -> Result<ApiError, ApiError> {
        if !row.bool("course_exists")? {
            return Ok(ApiError::NotFound { resource: "course" });
        }
        if self.category.is_some() && !row.bool("category_exists")? {
            return Ok(invalid("category", "no such category"));
        }
        if self.duration.is_some() && row.bool("lessons_beyond")? {
            return Ok(ApiError::Conflict { reason: "lessons_beyond_duration" });
        }
        Ok(ApiError::Internal { internal: "course update changed nothing, for no known reason".into() })
    }
}

/// A course as admins see it: the catalog fields and its status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdminCourse {
    /// The catalog fields.
    #[serde(flatten)]
    pub course: CourseSummary,
    /// draft, published or archived.
    pub status: String,
}

impl AdminCourse {
    /// Reads a row of [`CourseUpdate::statement`].
    pub fn from_row(row: Row<'_>) -> Result<Self, ApiError> {
        Ok(AdminCourse { course: CourseSummary::from_row(row)?, status: row.text("status")?.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "20000000-0000-4000-8000-000000000006";

    #[test]
    fn bad_bodies_name_the_field() {
        let cases = [
            ("", "body"),
            ("[]", "body"),
            ("{}", "body"),
            (r#"{"titel":"x"}"#, "titel"),
            (r#"{"title":"ab"}"#, "title"),
            (r#"{"title":7}"#, "title"),
            (r#"{"price":1.234}"#, "price"),
            (r#"{"price":-1}"#, "price"),
            (r#"{"price":"9.99"}"#, "price"),
            (r#"{"price":1e3}"#, "price"),
            (r#"{"price":123456789}"#, "price"),
            (r#"{"durationDays":0}"#, "durationDays"),
            (r#"{"durationDays":366}"#, "durationDays"),
            (r#"{"durationDays":1.5}"#, "durationDays"),
            (r#"{"status":"live"}"#, "status"),
            (r#"{"category":"Not A Slug"}"#, "category"),
            (r#"{"thumbnail":"http://insecure.example/x.jpg"}"#, "thumbnail"),
        ];
        for (body, field) in cases {
            match CourseUpdate::parse(ID, body.as_bytes()) {
                Err(ApiError::Validation { field: got, .. }) => assert_eq!(got, field, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        assert_eq!(CourseUpdate::parse("course-6", b"{}"), Err(ApiError::NotFound { resource: "course" }));
    }

    #[test]
    fn statement_sets_only_the_given_fields_as_parameters() {
        let update =
            CourseUpdate::parse(ID, br#"{"price":19.5,"category":"finance","thumbnail":null,"durationDays":20}"#)
                .expect("valid");
        let statement = update.statement();
        assert!(statement.sql.contains("price = :price"));
        assert!(statement.sql.contains("duration_days = :duration_days"));
        assert!(statement.sql.contains("category_id = (SELECT id FROM categories WHERE slug = :category)"));
        assert!(statement.sql.contains("metadata = metadata - 'thumbnailUrl'"));
        assert!(!statement.sql.contains("title ="));
        assert!(statement.params.iter().any(|p| p.name == "price" && p.value == SqlValue::Decimal("19.5".into())));
        assert!(statement.params.iter().all(|p| !statement.sql.contains(&format!("'{:?}'", p.value))));
    }
}
