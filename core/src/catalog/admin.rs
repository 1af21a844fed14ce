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
        Self::fields(id, body)
    }

    fn fields(id: &str, body: &[u8]) -> Result<CourseUpdate, ApiError> {
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

/// A validated `POST /courses`: `title`, `category` (slug) and `durationDays` required; `description` (""),
/// `price` (0), `status` (draft) and `thumbnail` optional.
#[derive(Debug, Clone, PartialEq)]
pub struct CourseCreate(CourseUpdate);

impl CourseCreate {
    /// Validates the request body.
    pub fn parse(body: &[u8]) -> Result<CourseCreate, ApiError> {
        let fields = CourseUpdate::fields("", body)?;
        let has = |column: &str| fields.sets.iter().any(|(c, _, _)| *c == column);
        if !has("title") {
            return Err(invalid("title", "is required"));
        }
        if fields.category.is_none() {
            return Err(invalid("category", "is required"));
        }
        if fields.duration.is_none() {
            return Err(invalid("durationDays", "is required"));
        }
        Ok(CourseCreate(fields))
    }

    /// The one statement: insert with the category looked up by slug (no row: no such category).
    pub fn statement(&self) -> Statement {
        let fields = &self.0;
        let value = |column: &str, default: SqlValue| {
            fields.sets.iter().find(|(c, _, _)| *c == column).map(|(_, _, v)| v.clone()).unwrap_or(default)
        };
        let metadata = match &fields.thumbnail {
            Some(Some(url)) => serde_json::json!({ "thumbnailUrl": url }),
            _ => serde_json::json!({}),
        };
        Statement::new(
            "WITH cat AS (SELECT id, slug FROM categories WHERE slug = :category), \
             ins AS (INSERT INTO courses (title, description, category_id, duration_days, price, status, metadata) \
                     SELECT :title, :description, cat.id, :duration_days, :price, :status, :metadata FROM cat \
                     RETURNING *) \
             SELECT u.id, u.title, u.description, cat.slug AS category, u.duration_days, u.price, \
             u.metadata->>'thumbnailUrl' AS thumbnail, u.status, 0::bigint AS lessons_count \
             FROM ins u JOIN cat ON cat.id = u.category_id",
        )
        .bind("category", SqlValue::Text(fields.category.clone().unwrap_or_default()))
        .bind("title", value("title", SqlValue::Null))
        .bind("description", value("description", SqlValue::Text(String::new())))
        .bind("duration_days", value("duration_days", SqlValue::Null))
        .bind("price", value("price", SqlValue::Decimal("0".into())))
        .bind("status", value("status", SqlValue::Text("draft".into())))
        .bind("metadata", SqlValue::Json(metadata.to_string()))
    }
}

/// `DELETE /courses/{id}`: a course nobody has learned from is deleted with its lessons; one with
/// enrollments or progress is archived instead, so no learner ever loses their history.
pub fn delete_course_statement(id: &str) -> Option<Statement> {
    is_uuid(id).then(|| {
        Statement::new(
            "WITH c AS (SELECT id FROM courses WHERE id = :id), \
             used AS (SELECT EXISTS (SELECT 1 FROM enrollments WHERE course_id = :id) \
                      OR EXISTS (SELECT 1 FROM progress p JOIN lessons l ON l.id = p.lesson_id WHERE l.course_id = :id) \
                      AS used), \
             arch AS (UPDATE courses SET status = 'archived', updated_at = now() \
                      WHERE id = :id AND (SELECT used FROM used) RETURNING id), \
             del AS (DELETE FROM courses WHERE id = :id AND NOT (SELECT used FROM used) RETURNING id) \
             SELECT EXISTS (SELECT 1 FROM c) AS found, EXISTS (SELECT 1 FROM arch) AS archived, \
                    EXISTS (SELECT 1 FROM del) AS deleted",
        )
        .bind("id", SqlValue::Uuid(id.to_ascii_lowercase()))
    })
}

/// What `DELETE /courses/{id}` or `DELETE /lessons/{id}` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Removed {
    /// The id.
    pub id: String,
    /// `deleted`, or `archived` (a course with learners).
    pub outcome: &'static str,
}

/// Reads the row of [`delete_course_statement`].
pub fn course_removed(id: &str, rows: &crate::db::ResultSet) -> Result<Removed, ApiError> {
    let row = rows.first().ok_or(ApiError::OriginError { internal: "delete returned no row".into() })?;
    let id = id.to_ascii_lowercase();
    if row.bool("deleted")? {
        Ok(Removed { id, outcome: "deleted" })
    } else if row.bool("archived")? {
        Ok(Removed { id, outcome: "archived" })
    } else if !row.bool("found")? {
        Err(ApiError::NotFound { resource: "course" })
    } else {
        Err(ApiError::Internal { internal: "course neither deleted nor archived".into() })
    }
}

const LESSON_FIELDS: &[&str] = &["courseId", "day", "title", "content", "videoUrl", "actionItems", "resources"];

/// A validated lesson body: `POST /lessons` (with `courseId`, `day`, `title` required) or `PUT /lessons/{id}`
/// (any of the fields but `courseId`).
#[derive(Debug, Clone, PartialEq)]
pub struct LessonWrite {
    course_id: Option<String>,
    day: Option<i64>,
    sets: Vec<(&'static str, SqlValue)>,
}

impl LessonWrite {
    /// Validates a `POST /lessons` body.
    pub fn create(bytes: &[u8]) -> Result<LessonWrite, ApiError> {
        let write = Self::fields(bytes, LESSON_FIELDS)?;
        if write.course_id.is_none() {
            return Err(invalid("courseId", "is required"));
        }
        if write.day.is_none() {
            return Err(invalid("day", "is required"));
        }
        if !write.sets.iter().any(|(c, _)| *c == "title") {
            return Err(invalid("title", "is required"));
        }
        Ok(write)
    }

    /// Validates a `PUT /lessons/{id}` body.
    pub fn update(bytes: &[u8]) -> Result<LessonWrite, ApiError> {
        let write = Self::fields(bytes, &LESSON_FIELDS[1..])?;
        if write.day.is_none() && write.sets.is_empty() {
            return Err(invalid(
                "body",
                &format!("names no field to change; fields: {}", LESSON_FIELDS[1..].join(", ")),
            ));
        }
        Ok(write)
    }

    fn fields(bytes: &[u8], allowed: &[&str]) -> Result<LessonWrite, ApiError> {
        let body = crate::body::Body::parse(bytes, allowed)?;
        let mut write = LessonWrite { course_id: None, day: None, sets: Vec::new() };
        if let Some(value) = body.value("courseId")? {
            write.course_id = Some(crate::body::uuid("courseId", &value)?);
        }
        if let Some(value) = body.value("day")? {
            write.day = Some(crate::body::integer("day", &value, 1..=365)?);
        }
        if let Some(value) = body.value("title")? {
            write.sets.push(("title", SqlValue::Text(text("title", &value, 3, 200)?)));
        }
        if let Some(value) = body.value("content")? {
            write.sets.push(("content", SqlValue::Text(text("content", &value, 0, 60_000)?)));
        }
        if let Some(value) = body.value("videoUrl")? {
            let url = crate::body::https_url_or_null("videoUrl", &value)?;
            write.sets.push(("video_url", url.map(SqlValue::Text).unwrap_or(SqlValue::Null)));
        }
        if let Some(value) = body.value("actionItems")? {
            write.sets.push(("action_items", SqlValue::Json(action_items(&value)?.to_string())));
        }
        if let Some(value) = body.value("resources")? {
            write.sets.push(("resources", SqlValue::Json(resources(&value)?.to_string())));
        }
        Ok(write)
    }

    /// The `POST /lessons` statement: insert when the course exists, the day is within its length and free.
    pub fn insert_statement(&self) -> Statement {
        let value = |column: &str, default: SqlValue| {
            self.sets.iter().find(|(c, _)| *c == column).map(|(_, v)| v.clone()).unwrap_or(default)
        };
        Statement::new(format!(
            "WITH c AS (SELECT id, duration_days FROM courses WHERE id = :course_id), \
             ins AS (INSERT INTO lessons (course_id, day, title, content, video_url, action_items, resources) \
                     SELECT c.id, :day, :title, :content, :video_url, :action_items, :resources FROM c \
                     WHERE :day <= c.duration_days ON CONFLICT (course_id, day) DO NOTHING RETURNING *) \
             SELECT EXISTS (SELECT 1 FROM c) AS course_found, (SELECT duration_days FROM c) AS duration_days, \
                    {LESSON_RETURNING} FROM (SELECT 1) AS one LEFT JOIN ins ON true"
        ))
        .bind("course_id", SqlValue::Uuid(self.course_id.clone().unwrap_or_default()))
        .bind("day", SqlValue::Long(self.day.unwrap_or(0)))
        .bind("title", value("title", SqlValue::Null))
        .bind("content", value("content", SqlValue::Text(String::new())))
        .bind("video_url", value("video_url", SqlValue::Null))
        .bind("action_items", value("action_items", SqlValue::Json("[]".into())))
        .bind("resources", value("resources", SqlValue::Json("[]".into())))
    }

    /// The `PUT /lessons/{id}` statement: update when the lesson exists and a new day is within the course.
    pub fn update_statement(&self, id: &str) -> Statement {
        let mut statement = Statement::new(String::new()).bind("id", SqlValue::Uuid(id.to_ascii_lowercase()));
        let mut assignments = vec!["updated_at = now()".to_owned()];
        for (column, value) in &self.sets {
            assignments.push(format!("{column} = :{column}"));
            statement = statement.bind(column, value.clone());
        }
        let mut guard = "";
        if let Some(day) = self.day {
            assignments.push("day = :day".into());
            guard = " AND :day <= (SELECT duration_days FROM courses c WHERE c.id = lessons.course_id)";
            statement = statement.bind("day", SqlValue::Long(day));
        }
        statement.sql = format!(
            "WITH ins AS (UPDATE lessons SET {} WHERE id = :id{guard} RETURNING *) \
             SELECT EXISTS (SELECT 1 FROM lessons WHERE id = :id) AS lesson_found, \
                    (SELECT c.duration_days FROM lessons l JOIN courses c ON c.id = l.course_id WHERE l.id = :id) \
                    AS duration_days, {LESSON_RETURNING} FROM (SELECT 1) AS one LEFT JOIN ins ON true",
            assignments.join(", ")
        )
        .into();
        statement
    }

    /// Reads the row of either statement.
    pub fn read(&self, rows: &crate::db::ResultSet) -> Result<super::lessons::LessonDetail, ApiError> {
        let row = rows.first().ok_or(ApiError::OriginError { internal: "lesson write returned no row".into() })?;
        let found = if self.course_id.is_some() { row.bool("course_found")? } else { row.bool("lesson_found")? };
        if !found {
            return Err(ApiError::NotFound { resource: if self.course_id.is_some() { "course" } else { "lesson" } });
        }
        if row.is_null("id")? {
            let days = row.long("duration_days")?;
            if self.day.is_some_and(|day| day > days) {
                return Err(invalid("day", &format!("must be within the course's {days} days")));
            }
            return Err(ApiError::Conflict { reason: "day_taken" });
        }
        super::lessons::LessonDetail::from_row(row)
    }
}

const LESSON_RETURNING: &str = "ins.id, ins.course_id, ins.day, ins.title, ins.content, ins.video_url, \
     ins.action_items, ins.resources";

fn action_items(value: &Value) -> Result<Value, ApiError> {
    let items = value.as_array().filter(|items| items.len() <= 20);
    let items = items.ok_or_else(|| invalid("actionItems", "must be an array of at most 20 strings"))?;
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        out.push(Value::from(text(&format!("actionItems[{index}]"), item, 1, 500)?));
    }
    Ok(Value::Array(out))
}

fn resources(value: &Value) -> Result<Value, ApiError> {
    let items = value.as_array().filter(|items| items.len() <= 20);
    let items = items.ok_or_else(|| invalid("resources", "must be an array of at most 20 {title, url} objects"))?;
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let field = format!("resources[{index}]");
        let object = item.as_object().ok_or_else(|| invalid(&field, "must be an object {title, url}"))?;
        if let Some(unknown) = object.keys().find(|k| !["title", "url"].contains(&k.as_str())) {
            return Err(invalid(&format!("{field}.{unknown}"), "unknown field; fields: title, url"));
        }
        let title = text(&format!("{field}.title"), object.get("title").unwrap_or(&Value::Null), 1, 200)?;
        let url_field = format!("{field}.url");
        let url = crate::body::https_url_or_null(&url_field, object.get("url").unwrap_or(&Value::Null))?
            .ok_or_else(|| invalid(&url_field, "must be an https URL"))?;
        out.push(serde_json::json!({ "title": title, "url": url }));
    }
    Ok(Value::Array(out))
}

/// `DELETE /lessons/{id}`: refused (409) while any learner has progress on it.
pub fn delete_lesson_statement(id: &str) -> Option<Statement> {
    is_uuid(id).then(|| {
        Statement::new(
            "WITH l AS (SELECT id FROM lessons WHERE id = :id), \
             used AS (SELECT EXISTS (SELECT 1 FROM progress WHERE lesson_id = :id) AS used), \
             del AS (DELETE FROM lessons WHERE id = :id AND NOT (SELECT used FROM used) RETURNING id) \
             SELECT EXISTS (SELECT 1 FROM l) AS found, (SELECT used FROM used) AS used, \
                    EXISTS (SELECT 1 FROM del) AS deleted",
        )
        .bind("id", SqlValue::Uuid(id.to_ascii_lowercase()))
    })
}

/// Reads the row of [`delete_lesson_statement`].
pub fn lesson_removed(id: &str, rows: &crate::db::ResultSet) -> Result<Removed, ApiError> {
    let row = rows.first().ok_or(ApiError::OriginError { internal: "delete returned no row".into() })?;
    if row.bool("deleted")? {
        Ok(Removed { id: id.to_ascii_lowercase(), outcome: "deleted" })
    } else if !row.bool("found")? {
        Err(ApiError::NotFound { resource: "lesson" })
    } else if row.bool("used")? {
        Err(ApiError::Conflict { reason: "lesson_has_progress" })
    } else {
        Err(ApiError::Internal { internal: "lesson not deleted, for no known reason".into() })
    }
}

#[cfg(test)]
mod write_tests {
    use super::*;

    #[test]
    fn create_requires_its_fields() {
        for (body, field) in [
            (r#"{"category":"finance","durationDays":5}"#, "title"),
            (r#"{"title":"Money","durationDays":5}"#, "category"),
            (r#"{"title":"Money","category":"finance"}"#, "durationDays"),
            (r#"{"title":"Money","category":"finance","durationDays":5,"slug":"x"}"#, "slug"),
        ] {
            match CourseCreate::parse(body.as_bytes()) {
                Err(ApiError::Validation { field: got, .. }) => assert_eq!(got, field, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        let create = CourseCreate::parse(br#"{"title":"Money","category":"finance","durationDays":5}"#).expect("ok");
        let statement = create.statement();
        assert!(statement.params.iter().any(|p| p.name == "status" && p.value == SqlValue::Text("draft".into())));
        assert!(statement.params.iter().any(|p| p.name == "price" && p.value == SqlValue::Decimal("0".into())));
    }

    #[test]
    fn lesson_bodies_name_the_field() {
        let course = "20000000-0000-4000-8000-000000000001";
        for (body, field) in [
            (r#"{"day":1,"title":"Day one"}"#.to_owned(), "courseId"),
            (format!(r#"{{"courseId":"{course}","title":"Day one"}}"#), "day"),
            (format!(r#"{{"courseId":"{course}","day":1}}"#), "title"),
            (format!(r#"{{"courseId":"{course}","day":0,"title":"Day one"}}"#), "day"),
            (format!(r#"{{"courseId":"{course}","day":1,"title":"Day one","actionItems":"read"}}"#), "actionItems"),
            (format!(r#"{{"courseId":"{course}","day":1,"title":"Day one","actionItems":[""]}}"#), "actionItems[0]"),
            (
                format!(
                    r#"{{"courseId":"{course}","day":1,"title":"Day one","resources":[{{"title":"x","url":"ftp://x"}}]}}"#
                ),
                "resources[0].url",
            ),
            (
                format!(
                    r#"{{"courseId":"{course}","day":1,"title":"Day one","resources":[{{"title":"x","href":"x"}}]}}"#
                ),
                "resources[0].href",
            ),
        ] {
            match LessonWrite::create(body.as_bytes()) {
                Err(ApiError::Validation { field: got, .. }) => assert_eq!(got, field, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        assert!(matches!(LessonWrite::update(br#"{"courseId":"x"}"#), Err(ApiError::Validation { .. })));
        assert!(matches!(LessonWrite::update(b"{}"), Err(ApiError::Validation { .. })));
        let update = LessonWrite::update(br#"{"day":3,"content":"text"}"#).expect("ok");
        let statement = update.update_statement(course);
        assert!(statement.sql.contains("day = :day") && statement.sql.contains("content = :content"));
    }
}
