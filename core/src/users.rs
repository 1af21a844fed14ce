//! `GET /users/{id}`: a user's profile (self or admin; the access rule is checked before this runs).

use crate::db::{Row, SqlValue, Statement};
use crate::error::ApiError;
use crate::query::is_uuid;
use serde::Serialize;

/// The statement that reads a profile, or `None` when the id cannot exist.
pub fn get_statement(id: &str) -> Option<Statement> {
    is_uuid(id).then(|| {
        Statement::new("SELECT id, email, name, role, timezone, avatar_url, created_at FROM users WHERE id = :id")
            .bind("id", SqlValue::Uuid(id.to_ascii_lowercase()))
    })
}

/// A user's profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// User id.
    pub id: String,
    /// E-mail address, once known.
    pub email: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Role as last seen in a token.
    pub role: String,
    /// IANA time zone of the learner's day.
    pub timezone: String,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// When the user first signed in (RFC 3339, UTC).
    pub created_at: String,
}

impl User {
    /// Reads the row of [`get_statement`].
    pub fn from_row(row: Row<'_>) -> Result<Self, ApiError> {
        Ok(User {
            id: row.text("id")?.to_owned(),
            email: row.opt_text("email")?.map(str::to_owned),
            name: row.opt_text("name")?.map(str::to_owned),
            role: row.text("role")?.to_owned(),
            timezone: row.text("timezone")?.to_owned(),
            avatar_url: row.opt_text("avatar_url")?.map(str::to_owned),
            created_at: rfc3339(row.text("created_at")?),
        })
    }
}

/// The Data API's `YYYY-MM-DD HH:MM:SS[.f]` (UTC) as RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.f]Z`).
pub fn rfc3339(db: &str) -> String {
    format!("{}Z", db.replacen(' ', "T", 1))
}
