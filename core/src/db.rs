//! What the core asks of the database, in its own terms: statements with typed named parameters, and result
//! sets it can read by column name. The Data API adapter turns these into wire JSON (and back); nothing here
//! knows the wire.
//!
//! A parameter's type comes from the column it is compared with or stored in (the caller picks
//! [`SqlValue::Uuid`] for a `uuid` column, [`SqlValue::Decimal`] for money), never from the value's shape.

use crate::error::ApiError;
use std::borrow::Cow;

/// A typed parameter value. The variant is chosen from the target column's type.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// SQL NULL.
    Null,
    /// `boolean`.
    Bool(bool),
    /// Any integer column.
    Long(i64),
    /// `double precision`.
    Double(f64),
    /// `text` / `varchar`.
    Text(String),
    /// `numeric`, as exact decimal text (e.g. `"29.99"`); never a float.
    Decimal(String),
    /// `timestamp`/`timestamptz` in UTC as `YYYY-MM-DD HH:MM:SS[.ffffff]`.
    Timestamp(String),
    /// `date` as `YYYY-MM-DD`.
    Date(String),
    /// `uuid` in canonical text form.
    Uuid(String),
    /// `jsonb`, as JSON text.
    Json(String),
    /// `bytea`.
    Blob(Vec<u8>),
}

/// One named parameter (`:name` in the SQL).
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The placeholder's name, without the colon.
    pub name: &'static str,
    /// Its typed value.
    pub value: SqlValue,
}

/// One SQL statement and its parameters. SQL text is always built from fixed fragments: user input only ever
/// travels as a parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The SQL, with `:name` placeholders.
    pub sql: Cow<'static, str>,
    /// The parameters, by name.
    pub params: Vec<Param>,
}

impl Statement {
    /// A statement with no parameters yet.
    pub fn new(sql: impl Into<Cow<'static, str>>) -> Self {
        Statement { sql: sql.into(), params: Vec::new() }
    }

    /// Adds the parameter `name`.
    pub fn bind(mut self, name: &'static str, value: SqlValue) -> Self {
        self.params.push(Param { name, value });
        self
    }
}

/// A value read back from the database.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Long(i64),
    /// A float.
    Double(f64),
    /// Text: also numeric, uuid, timestamps and JSON come back as their text form.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
    /// A one-dimensional array.
    Array(Vec<Cell>),
}

/// The rows of one statement, with their column names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResultSet {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Rows, each with one cell per column.
    pub rows: Vec<Vec<Cell>>,
    /// Rows inserted, updated or deleted.
    pub rows_updated: i64,
}

impl ResultSet {
    /// The rows as [`Row`] views that read cells by column name.
    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(move |cells| Row { columns: &self.columns, cells })
    }

    /// The first row, if any.
    pub fn first(&self) -> Option<Row<'_>> {
        self.iter().next()
    }
}

/// A row, read by column name. Every accessor fails with an origin error (502) when the column is missing or
/// of another type: that is a contract break between edge and origin, never the client's fault.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    columns: &'a [String],
    cells: &'a [Cell],
}

impl<'a> Row<'a> {
    fn cell(&self, column: &str) -> Result<&'a Cell, ApiError> {
        self.columns
            .iter()
            .position(|name| name == column)
            .and_then(|index| self.cells.get(index))
            .ok_or_else(|| decode_error(column, "missing column"))
    }

    /// A non-null text column (also numeric, uuid, timestamp and JSON columns).
    pub fn text(&self, column: &str) -> Result<&'a str, ApiError> {
        match self.cell(column)? {
            Cell::Text(text) => Ok(text),
            other => Err(decode_error(column, &format!("expected text, got {other:?}"))),
        }
    }

    /// A nullable text column.
    pub fn opt_text(&self, column: &str) -> Result<Option<&'a str>, ApiError> {
        match self.cell(column)? {
            Cell::Null => Ok(None),
            Cell::Text(text) => Ok(Some(text)),
            other => Err(decode_error(column, &format!("expected text or null, got {other:?}"))),
        }
    }

    /// A non-null integer column.
    pub fn long(&self, column: &str) -> Result<i64, ApiError> {
        match self.cell(column)? {
            Cell::Long(value) => Ok(*value),
            other => Err(decode_error(column, &format!("expected integer, got {other:?}"))),
        }
    }

    /// A non-null boolean column.
    pub fn bool(&self, column: &str) -> Result<bool, ApiError> {
        match self.cell(column)? {
            Cell::Bool(value) => Ok(*value),
            other => Err(decode_error(column, &format!("expected boolean, got {other:?}"))),
        }
    }

    /// Whether the column is NULL.
    pub fn is_null(&self, column: &str) -> Result<bool, ApiError> {
        Ok(matches!(self.cell(column)?, Cell::Null))
    }

    /// A non-null JSON column, parsed.
    pub fn json(&self, column: &str) -> Result<serde_json::Value, ApiError> {
        serde_json::from_str(self.text(column)?).map_err(|err| decode_error(column, &format!("invalid JSON: {err}")))
    }
}

fn decode_error(column: &str, what: &str) -> ApiError {
    ApiError::OriginError { internal: format!("column {column}: {what}") }
}

/// Why the database did not answer with rows. Adapters convert their own errors into this.
#[derive(Debug, Clone, PartialEq)]
pub enum DbError {
    /// Resuming, throttled or otherwise briefly unavailable: worth retrying after `retry_after_secs`.
    Unavailable {
        /// A sensible wait before retrying, in seconds.
        retry_after_secs: u32,
        /// The origin refused before running anything (a resuming cluster, throttling), so repeating the very
        /// same statement is safe even for a write. `false` when it may have run (no answer, a 5xx).
        not_run: bool,
        /// The origin's words, for logs.
        message: String,
    },
    /// The statement ran out of time.
    Timeout {
        /// The origin's words, for logs.
        message: String,
    },
    /// A unique constraint was violated.
    UniqueViolation {
        /// The constraint's name, when the origin said it.
        constraint: Option<String>,
    },
    /// A foreign key was violated (the referenced row does not exist).
    ForeignKeyViolation {
        /// The constraint's name, when the origin said it.
        constraint: Option<String>,
    },
    /// A CHECK constraint was violated (a value the validation let through, or a concurrent change made wrong).
    CheckViolation {
        /// The constraint's name, when the origin said it.
        constraint: Option<String>,
    },
    /// The statement was refused (syntax, types, permissions): a bug on our side.
    Rejected {
        /// The origin's words, for logs.
        message: String,
    },
    /// The origin answered something unusable, or nothing at all.
    Upstream {
        /// What went wrong, for logs.
        message: String,
    },
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Unavailable { retry_after_secs, message, .. } => {
                ApiError::OriginUnavailable { retry_after: retry_after_secs, internal: message }
            }
            DbError::Timeout { message } => ApiError::OriginTimeout { internal: message },
            DbError::Rejected { message } => ApiError::Internal { internal: format!("statement rejected: {message}") },
            DbError::Upstream { message } => ApiError::OriginError { internal: message },
            // Writes that know which rule broke map these to their own 409/404 before they get here; any other
            // constraint a write runs into (a row deleted or taken by a concurrent request) is still the caller's
            // conflict, never a 500.
            DbError::UniqueViolation { .. } => ApiError::Conflict { reason: "duplicate" },
            DbError::ForeignKeyViolation { .. } => ApiError::NotFound { resource: "referenced resource" },
            DbError::CheckViolation { .. } => ApiError::Conflict { reason: "constraint" },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_violations_are_the_callers_conflicts_never_500() {
        let status = |err: DbError| ApiError::from(err).status().as_u16();
        assert_eq!(status(DbError::UniqueViolation { constraint: None }), 409);
        assert_eq!(status(DbError::ForeignKeyViolation { constraint: Some("x_fk".into()) }), 404);
        assert_eq!(status(DbError::CheckViolation { constraint: None }), 409);
        assert_eq!(status(DbError::Timeout { message: String::new() }), 504);
        assert_eq!(status(DbError::Unavailable { retry_after_secs: 2, not_run: true, message: String::new() }), 503);
        assert_eq!(status(DbError::Rejected { message: String::new() }), 500);
    }
}
