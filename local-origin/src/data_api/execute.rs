//! Runs one statement (or one batch) on a connection and shapes the Data API answer.
//!
//! Rows stream in and are serialized as they arrive, so the 1 MiB response cap is enforced before a huge
//! result is ever held in memory; PostgreSQL errors become `DatabaseErrorException` with the SQLState the
//! edge keys on, and statement timeouts become `StatementTimeoutException`.

use std::collections::HashMap;
use std::pin::pin;

use futures_util::StreamExt;
use serde_json::value::RawValue;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, GenericClient, Statement};

use super::decode::{self, RawBytes};
use super::params::{self, Value};
use super::sql_scan;
use super::wire::{ExecuteResponse, RecordsFormat, ResultSetOptions, SqlParameter, UpdateResult};
use crate::error::{ApiError, ErrorCode};

/// The Data API's response size limit.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// What an `ExecuteStatement` call asked for besides the SQL.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExecuteOptions {
    pub include_metadata: bool,
    pub format: RecordsFormat,
    pub result_set: ResultSetOptions,
}

fn too_large() -> ApiError {
    ApiError::bad_request("Database returned more than the allowed response size limit")
}

/// Maps a `tokio-postgres` error to what AWS answers; `pid` identifies the connection for timeouts.
pub fn db_error(e: tokio_postgres::Error, pid: i32) -> ApiError {
    let Some(db) = e.as_db_error() else {
        tracing::warn!(error = %e, "PostgreSQL call failed outside the database");
        return if e.is_closed() {
            ApiError::new(ErrorCode::DatabaseUnavailableException, "The database connection was lost")
        } else {
            ApiError::new(
                ErrorCode::InternalServerErrorException,
                "An internal error occurred while running the statement",
            )
        };
    };
    let mut message = format!("{}: {}", db.severity(), db.message());
    if let Some(detail) = db.detail() {
        message.push_str(&format!("\n  Detail: {detail}"));
    }
    message.push_str(&format!("; SQLState: {}", db.code().code()));
    if *db.code() == SqlState::QUERY_CANCELED && db.message().contains("statement timeout") {
        return ApiError {
            code: ErrorCode::StatementTimeoutException,
            message,
            db_connection_id: Some(i64::from(pid)),
        };
    }
    ApiError::new(ErrorCode::DatabaseErrorException, message)
}

/// Runs `sql` with `parameters` and builds the `ExecuteStatement` response.
pub async fn execute(
    client: &Client,
    pid: i32,
    sql: &str,
    parameters: &[SqlParameter],
    options: ExecuteOptions,
) -> Result<ExecuteResponse, ApiError> {
    let bound = params::bind(sql, parameters)?;
    tracing::debug!(sql = %bound.sql, "execute");
    let statement = client.prepare(&bound.sql).await.map_err(|e| db_error(e, pid))?;
    let rows = client.query_raw(&statement, bound.values.iter()).await.map_err(|e| db_error(e, pid))?;
    let mut rows = pin!(rows);

    let columns = statement.columns();
    let json = options.format == RecordsFormat::Json;
    // Both forms are built as JSON text: `records` as an array of Field arrays, `formattedRecords` as an
    // array of objects keyed by column name (the first of duplicate names wins).
    let keys: Vec<Option<String>> = {
        let mut seen = std::collections::HashSet::new();
        columns.iter().map(|c| seen.insert(c.name()).then(|| serde_json::Value::from(c.name()).to_string())).collect()
    };
    let mut body = String::from("[");
    let mut first = true;
    while let Some(row) = rows.next().await {
        let row = row.map_err(|e| db_error(e, pid))?;
        if !first {
            body.push(',');
        }
        first = false;
        body.push(if json { '{' } else { '[' });
        let mut first_col = true;
        for (i, column) in columns.iter().enumerate() {
            let raw: RawBytes<'_> = row.try_get(i).map_err(|e| db_error(e, pid))?;
            let field = decode::field(column.type_(), raw.0, options.result_set)?;
            if json {
                let Some(key) = &keys[i] else { continue };
                if !first_col {
                    body.push(',');
                }
                body.push_str(key);
                body.push(':');
                body.push_str(&decode::json_value(field).to_string());
            } else {
                if !first_col {
                    body.push(',');
                }
                body.push_str(&serde_json::to_string(&field).map_err(internal)?);
            }
            first_col = false;
        }
        body.push(if json { '}' } else { ']' });
        if body.len() > MAX_RESPONSE_BYTES {
            return Err(too_large());
        }
    }
    body.push(']');
    let affected = rows.rows_affected().unwrap_or(0);
    let updated = if sql_scan::is_modifying(sql) { i64::try_from(affected).unwrap_or(i64::MAX) } else { 0 };

    let has_rows = !columns.is_empty();
    let mut response = ExecuteResponse {
        column_metadata: None,
        records: None,
        formatted_records: None,
        generated_fields: (!has_rows).then(Vec::new),
        number_of_records_updated: updated,
    };
    if has_rows && json {
        response.formatted_records = Some(body);
    } else if has_rows {
        response.records = Some(RawValue::from_string(body).map_err(internal)?);
        if options.include_metadata {
            response.column_metadata = Some(columns.iter().map(decode::column_metadata).collect());
        }
    }
    Ok(response)
}

/// Runs `sql` once per parameter set (once without parameters when there are no sets); the caller
/// provides the transaction that makes the batch all-or-nothing.
pub async fn batch(
    client: &impl GenericClient,
    pid: i32,
    sql: &str,
    parameter_sets: &[Vec<SqlParameter>],
) -> Result<Vec<UpdateResult>, ApiError> {
    if parameter_sets.is_empty() {
        run_bound(client, pid, &params::bind(sql, &[])?.sql, &[], &mut HashMap::new()).await?;
        return Ok(Vec::new());
    }
    // Sets may bind different kinds of values (and so different casts); prepare each shape once.
    let mut prepared: HashMap<String, Statement> = HashMap::new();
    let mut results = Vec::with_capacity(parameter_sets.len());
    for set in parameter_sets {
        let bound = params::bind(sql, set)?;
        run_bound(client, pid, &bound.sql, &bound.values, &mut prepared).await?;
        results.push(UpdateResult { generated_fields: Vec::new() });
    }
    Ok(results)
}

async fn run_bound(
    client: &impl GenericClient,
    pid: i32,
    sql: &str,
    values: &[Value],
    prepared: &mut HashMap<String, Statement>,
) -> Result<u64, ApiError> {
    let statement = match prepared.get(sql) {
        Some(s) => s.clone(),
        None => {
            let s = client.prepare(sql).await.map_err(|e| db_error(e, pid))?;
            prepared.insert(sql.to_string(), s.clone());
            s
        }
    };
    client.execute_raw(&statement, values.iter()).await.map_err(|e| db_error(e, pid))
}

fn internal(e: serde_json::Error) -> ApiError {
    tracing::warn!(error = %e, "could not serialize a result");
    ApiError::new(ErrorCode::InternalServerErrorException, "An internal error occurred while serializing the result")
}
