//! `GET /courses` (published courses, keyset-paginated) and `GET /courses/{id}` (one course and its outline).

use super::cursor::Cursor;
use super::Money;
use crate::db::{Row, SqlValue, Statement};
use crate::error::ApiError;
use crate::query::{self, is_uuid, Query};
use serde::{Deserialize, Serialize};

/// The page size when the client gives none.
pub const DEFAULT_LIMIT: u32 = 20;
/// The largest page size; larger requests are clamped to it.
pub const MAX_LIMIT: u32 = 100;

/// A validated `GET /courses` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCourses {
    /// Only courses of this category slug.
    pub category: Option<String>,
    /// The page size actually used (clamped).
    pub limit: u32,
    /// Where the page starts.
    pub after: Option<Cursor>,
}

impl ListCourses {
    /// Validates the query string.
    pub fn parse(raw_query: Option<&str>) -> Result<Self, ApiError> {
        let query = Query::parse(raw_query, &["category", "limit", "cursor"])?;
        let category = query.get("category").map(|raw| query::slug("category", raw).map(str::to_owned)).transpose()?;
        let limit = query::limit(query.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)?;
        let after = query.get("cursor").map(Cursor::decode).transpose()?;
        Ok(ListCourses { category, limit, after })
    }

    /// The one statement that reads the page, plus one row to learn whether another page exists.
    pub fn statement(&self) -> Statement {
        let mut sql = format!("SELECT {COURSE_COLUMNS} {COURSE_FROM} WHERE c.status = 'published'");
        let mut statement = Statement::new(String::new());
        if let Some(category) = &self.category {
            sql.push_str(" AND cat.slug = :category");
            statement = statement.bind("category", SqlValue::Text(category.clone()));
        }
        if let Some(after) = &self.after {
            sql.push_str(" AND (c.title, c.id) > (:after_title, :after_id)");
            statement = statement
                .bind("after_title", SqlValue::Text(after.title.clone()))
                .bind("after_id", SqlValue::Uuid(after.id.clone()));
        }
        sql.push_str(" ORDER BY c.title, c.id LIMIT :limit");
        statement.sql = sql.into();
        statement.bind("limit", SqlValue::Long(i64::from(self.limit) + 1))
    }

    /// The canonical query string of the next page, for `Link` (parameters in a fixed order).
    pub fn next_query(&self, cursor: &str) -> String {
        let mut query = String::new();
        if let Some(category) = &self.category {
            query.push_str("category=");
            query.push_str(category);
            query.push('&');
        }
        query.push_str("cursor=");
        query.push_str(cursor);
        query.push_str("&limit=");
        query.push_str(&self.limit.to_string());
        query
    }
}

/// The columns of a course summary; `c` is courses, `cat` its category.
pub(crate) const COURSE_COLUMNS: &str =
    "c.id, c.title, c.description, cat.slug AS category, c.duration_days, c.price, \
     c.metadata->>'thumbnailUrl' AS thumbnail, \
     (SELECT count(*) FROM lessons l WHERE l.course_id = c.id) AS lessons_count";
pub(crate) const COURSE_FROM: &str = "FROM courses c JOIN categories cat ON cat.id = c.category_id";

/// A course as the catalog shows it (the product's documented shape).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CourseSummary {
    /// Course id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Short description.
    pub description: String,
    /// Category slug.
    pub category: String,
    /// Length of the course in days.
    pub duration_days: i64,
    /// Price, exact, with two decimals.
    pub price: Money,
    /// Thumbnail URL, when the course has one.
    pub thumbnail: Option<String>,
    /// How many lessons the course has.
    pub lessons_count: i64,
}

impl CourseSummary {
    /// Reads a row selected with the summary columns.
    pub fn from_row(row: Row<'_>) -> Result<Self, ApiError> {
        Ok(CourseSummary {
            id: row.text("id")?.to_owned(),
            title: row.text("title")?.to_owned(),
            description: row.text("description")?.to_owned(),
            category: row.text("category")?.to_owned(),
            duration_days: row.long("duration_days")?,
            price: Money::from_db(row.text("price")?)?,
            thumbnail: row.opt_text("thumbnail")?.map(str::to_owned),
            lessons_count: row.long("lessons_count")?,
        })
    }
}

/// One page of the catalog.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CoursePage {
    /// The courses on this page.
    pub items: Vec<CourseSummary>,
    /// The cursor of the next page, `null` on the last.
    pub next_cursor: Option<String>,
    /// The page size used.
    pub limit: u32,
}

/// Builds the page from the statement's rows (which hold at most `limit + 1`).
pub fn page(request: &ListCourses, rows: &crate::db::ResultSet) -> Result<CoursePage, ApiError> {
    let mut items = rows.iter().map(CourseSummary::from_row).collect::<Result<Vec<_>, _>>()?;
    let limit = request.limit as usize;
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|last| Cursor { title: last.title.clone(), id: last.id.clone() }.encode())
    } else {
        None
    };
    Ok(CoursePage { items, next_cursor, limit: request.limit })
}

/// The statement for `GET /courses/{id}`, or `None` when the id cannot exist (not a UUID).
pub fn get_statement(id: &str) -> Option<Statement> {
    if !is_uuid(id) {
        return None;
    }
    let sql = format!(
        "SELECT {COURSE_COLUMNS}, COALESCE((SELECT json_agg(json_build_object('id', l.id, 'day', l.day, 'title', l.title) \
         ORDER BY l.day) FROM lessons l WHERE l.course_id = c.id), '[]'::json) AS outline \
         {COURSE_FROM} WHERE c.id = :id AND c.status = 'published'"
    );
    Some(Statement::new(sql).bind("id", SqlValue::Uuid(id.to_ascii_lowercase())))
}

/// One lesson in a course's outline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutlineEntry {
    /// Lesson id.
    pub id: String,
    /// Day of the course it belongs to (1-based).
    pub day: i64,
    /// Lesson title.
    pub title: String,
}

/// A course with its outline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CourseDetail {
    /// The catalog fields.
    #[serde(flatten)]
    pub course: CourseSummary,
    /// Its lessons, by day.
    pub lessons: Vec<OutlineEntry>,
}

impl CourseDetail {
    /// Reads the row of [`get_statement`].
    pub fn from_row(row: Row<'_>) -> Result<Self, ApiError> {
        let lessons = serde_json::from_value(row.json("outline")?)
            .map_err(|err| ApiError::OriginError { internal: format!("outline: {err}") })?;
        Ok(CourseDetail { course: CourseSummary::from_row(row)?, lessons })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_parse_and_sql() {
        let request = ListCourses::parse(Some("category=leadership&limit=500")).expect("valid");
        assert_eq!(request.limit, MAX_LIMIT);
        let statement = request.statement();
        assert!(statement.sql.contains("cat.slug = :category"));
        assert!(!statement.sql.contains("after_title"));
        assert_eq!(statement.params.last().map(|p| &p.value), Some(&SqlValue::Long(101)));

        let cursor = Cursor { title: "B".into(), id: "20000000-0000-4000-8000-000000000001".into() }.encode();
        let request = ListCourses::parse(Some(&format!("cursor={cursor}"))).expect("valid");
        let statement = request.statement();
        assert!(statement.sql.contains("(c.title, c.id) > (:after_title, :after_id)"));
        assert!(!statement.sql.contains(":category"));
        assert!(statement.params.iter().any(|p| p.name == "after_id" && matches!(p.value, SqlValue::Uuid(_))));
        assert_eq!(request.next_query("X"), "cursor=X&limit=20");
    }

    #[test]
    fn list_rejects_bad_queries_naming_the_field() {
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=abc", "limit"),
            ("category=Not%20A%20Slug", "category"),
            ("category=", "category"),
            ("cursor=%%%", "cursor"),
            ("cursor=bm9wZQ", "cursor"),
            ("sort=title", "sort"),
        ] {
            match ListCourses::parse(Some(query)) {
                Err(ApiError::Validation { field: got, .. }) => assert_eq!(got, field, "{query}"),
                other => panic!("{query}: {other:?}"),
            }
        }
    }

    #[test]
    fn get_statement_only_for_uuids() {
        assert!(get_statement("course-123").is_none());
        let statement = get_statement("20000000-0000-4000-8000-00000000000A").expect("uuid");
        assert_eq!(statement.params[0].value, SqlValue::Uuid("20000000-0000-4000-8000-00000000000a".into()));
    }
}
