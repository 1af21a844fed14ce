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

/// A validated `PUT /users/{id}`: the profile fields a user may change. `email` and `role` are not writable
/// (the identity provider owns them).
#[derive(Debug, Clone, PartialEq)]
pub struct UserUpdate {
    id: String,
    name: Option<Option<String>>,
    timezone: Option<String>,
    avatar_url: Option<Option<String>>,
}

const WRITABLE: &[&str] = &["name", "timezone", "avatarUrl"];

impl UserUpdate {
    /// Validates the body for user `id`.
    pub fn parse(id: &str, bytes: &[u8]) -> Result<UserUpdate, ApiError> {
        if !is_uuid(id) {
            return Err(ApiError::NotFound { resource: "user" });
        }
        let mut allowed = WRITABLE.to_vec();
        allowed.extend(["email", "role", "id"]);
        let body = crate::body::Body::parse(bytes, &allowed)?;
        if let Some(owned) = body.names().find(|name| ["email", "role", "id"].contains(name)) {
            return Err(ApiError::validation(owned, format!("is not writable; writable: {}", WRITABLE.join(", "))));
        }
        if body.is_empty() {
            return Err(ApiError::validation(
                "body",
                format!("names no field to change; fields: {}", WRITABLE.join(", ")),
            ));
        }
        let name = match body.value("name")? {
            None => None,
            Some(serde_json::Value::Null) => Some(None),
            Some(value) => Some(Some(crate::body::text("name", &value, 1, 100)?)),
        };
        let timezone = match body.value("timezone")? {
            None => None,
            Some(value) => Some(timezone(&value)?),
        };
        let avatar_url = match body.value("avatarUrl")? {
            None => None,
            Some(value) => Some(crate::body::https_url_or_null("avatarUrl", &value)?),
        };
        Ok(UserUpdate { id: id.to_ascii_lowercase(), name, timezone, avatar_url })
    }

    /// The one statement: the update (only with a time zone PostgreSQL knows) and one row saying what happened.
    pub fn statement(&self) -> Statement {
        let mut sets = vec!["updated_at = now()"];
        let mut statement = Statement::new(String::new()).bind("id", SqlValue::Uuid(self.id.clone()));
        if let Some(name) = &self.name {
            sets.push("name = :name");
            statement = statement.bind("name", name.clone().map(SqlValue::Text).unwrap_or(SqlValue::Null));
        }
        if let Some(avatar) = &self.avatar_url {
            sets.push("avatar_url = :avatar_url");
            statement = statement.bind("avatar_url", avatar.clone().map(SqlValue::Text).unwrap_or(SqlValue::Null));
        }
        let zone_known = if let Some(zone) = &self.timezone {
            sets.push("timezone = :timezone");
            statement = statement.bind("timezone", SqlValue::Text(zone.clone()));
            "EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = :timezone)"
        } else {
            "true"
        };
        statement.sql = format!(
            "WITH ok AS (SELECT {zone_known} AS zone_known), \
             upd AS (UPDATE users SET {} WHERE id = :id AND (SELECT zone_known FROM ok) \
                     RETURNING id, email, name, role, timezone, avatar_url, created_at) \
             SELECT EXISTS (SELECT 1 FROM users WHERE id = :id) AS user_found, (SELECT zone_known FROM ok) AS zone_known, \
                    upd.* FROM (SELECT 1) AS one LEFT JOIN upd ON true",
            sets.join(", ")
        )
        .into();
        statement
    }

    /// Reads the row of [`statement`](Self::statement).
    pub fn read(rows: &crate::db::ResultSet) -> Result<User, ApiError> {
        let row = rows.first().ok_or(ApiError::OriginError { internal: "user update returned no row".into() })?;
        if !row.bool("user_found")? {
            return Err(ApiError::NotFound { resource: "user" });
        }
        if !row.bool("zone_known")? {
            return Err(ApiError::validation("timezone", "is not a known IANA time zone (e.g. Europe/Paris)"));
        }
        User::from_row(row)
    }
}

/// An IANA zone name's shape (`Area/Location`, `UTC`, `Etc/GMT+10`); whether it exists is PostgreSQL's call.
fn timezone(value: &serde_json::Value) -> Result<String, ApiError> {
    let invalid = || ApiError::validation("timezone", "must be an IANA time zone name such as Europe/Paris");
    let zone = value.as_str().ok_or_else(invalid)?;
    let shape = !zone.is_empty()
        && zone.len() <= 64
        && zone.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'))
        && !zone.starts_with('/')
        && !zone.contains("//")
        && !zone.to_ascii_lowercase().starts_with("posix");
    if shape {
        Ok(zone.to_owned())
    } else {
        Err(invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "40000000-0000-4000-8000-000000000001";

    #[test]
    fn update_body_is_checked() {
        for (body, field) in [
            ("{}", "body"),
            (r#"{"email":"a@b.c"}"#, "email"),
            (r#"{"role":"admin"}"#, "role"),
            (r#"{"nickname":"x"}"#, "nickname"),
            (r#"{"name":""}"#, "name"),
            (r#"{"timezone":"../etc/passwd"}"#, "timezone"),
            (r#"{"timezone":"Europe/Paris'; DROP TABLE users"}"#, "timezone"),
            (r#"{"timezone":null}"#, "timezone"),
            (r#"{"avatarUrl":"javascript:alert(1)"}"#, "avatarUrl"),
        ] {
            match UserUpdate::parse(ID, body.as_bytes()) {
                Err(ApiError::Validation { field: got, .. }) => assert_eq!(got, field, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        let update = UserUpdate::parse(ID, br#"{"timezone":"Pacific/Tongatapu","name":null}"#).expect("valid");
        let statement = update.statement();
        assert!(statement.sql.contains("pg_timezone_names WHERE name = :timezone"));
        assert!(statement.sql.contains("name = :name"));
        assert!(!statement.sql.contains("avatar_url = :avatar_url"));
    }
}
