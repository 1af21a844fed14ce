//! The Data API's JSON shapes (rest-json, camelCase), as serde types.
//!
//! Requests are deserialized loosely (every member optional, unknown members ignored, as AWS ignores them)
//! so that a missing required member becomes the `BadRequestException` AWS sends, not a serde error text.
//! Responses serialize to exactly the members AWS sends.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::ApiError;

/// Parses a request body, mapping any JSON or shape error to `BadRequestException`.
pub fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("Invalid request body: {e}")))
}

/// Unwraps a required member or answers AWS's validation message.
pub fn required<T>(value: Option<T>, member: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| {
        ApiError::bad_request(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: \
             Member must not be null"
        ))
    })
}

/// `ExecuteStatement` input. `database`, `schema` and `continueAfterTimeout` are accepted and ignored:
/// there is one database, and a timed-out statement is always cancelled.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteRequest {
    pub resource_arn: Option<String>,
    pub secret_arn: Option<String>,
    pub sql: Option<String>,
    #[serde(default)]
    pub parameters: Vec<SqlParameter>,
    pub transaction_id: Option<String>,
    #[serde(default)]
    pub include_result_metadata: bool,
    #[serde(default)]
    pub result_set_options: ResultSetOptions,
    #[serde(default)]
    pub format_records_as: RecordsFormat,
}

/// `BatchExecuteStatement` input (`database` and `schema` are ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchExecuteRequest {
    pub resource_arn: Option<String>,
    pub secret_arn: Option<String>,
    pub sql: Option<String>,
    #[serde(default)]
    pub parameter_sets: Vec<Vec<SqlParameter>>,
    pub transaction_id: Option<String>,
}

/// `BeginTransaction` input (`database` and `schema` are ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BeginRequest {
    pub resource_arn: Option<String>,
    pub secret_arn: Option<String>,
}

/// `CommitTransaction` and `RollbackTransaction` input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndRequest {
    pub resource_arn: Option<String>,
    pub secret_arn: Option<String>,
    pub transaction_id: Option<String>,
}

/// One named parameter: `{"name", "value": Field, "typeHint"?}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SqlParameter {
    pub name: Option<String>,
    pub value: Option<InField>,
    pub type_hint: Option<String>,
}

/// A `Field` as sent by a caller: a union, so exactly one member must be set (checked in `params`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InField {
    pub is_null: Option<bool>,
    pub boolean_value: Option<bool>,
    pub long_value: Option<i64>,
    pub double_value: Option<f64>,
    pub string_value: Option<String>,
    pub blob_value: Option<String>,
    pub array_value: Option<serde_json::Value>,
}

/// `resultSetOptions`.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultSetOptions {
    #[serde(default)]
    pub decimal_return_type: DecimalReturnType,
    #[serde(default)]
    pub long_return_type: LongReturnType,
}

/// How `numeric` values come back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DecimalReturnType {
    /// Exact decimal text in `stringValue` (the default).
    #[default]
    String,
    /// `longValue` when the value has no fractional digits, else `doubleValue`.
    DoubleOrLong,
}

/// How integer values come back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LongReturnType {
    /// `longValue` (the default).
    #[default]
    Long,
    /// Decimal text in `stringValue`.
    String,
}

/// `formatRecordsAs`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecordsFormat {
    /// `records` (and `columnMetadata` on request).
    #[default]
    None,
    /// `formattedRecords`: a JSON string of an array of objects.
    Json,
}

/// A `Field` as returned in `records`: serializes as a one-member object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Field {
    #[serde(rename = "isNull")]
    IsNull(bool),
    #[serde(rename = "booleanValue")]
    Boolean(bool),
    #[serde(rename = "longValue")]
    Long(i64),
    #[serde(rename = "doubleValue")]
    Double(f64),
    #[serde(rename = "stringValue")]
    String(String),
    #[serde(rename = "blobValue")]
    Blob(String),
    #[serde(rename = "arrayValue")]
    Array(ArrayValue),
}

/// An `ArrayValue`: a one-dimensional array of one element kind; SQL NULL elements are JSON nulls.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ArrayValue {
    #[serde(rename = "booleanValues")]
    Booleans(Vec<Option<bool>>),
    #[serde(rename = "longValues")]
    Longs(Vec<Option<i64>>),
    #[serde(rename = "doubleValues")]
    Doubles(Vec<Option<f64>>),
    #[serde(rename = "stringValues")]
    Strings(Vec<Option<String>>),
}

/// One entry of `columnMetadata`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnMetadata {
    pub name: String,
    pub label: String,
    pub type_name: String,
    #[serde(rename = "type")]
    pub jdbc_type: i32,
    pub nullable: i32,
    pub precision: i32,
    pub scale: i32,
    pub is_signed: bool,
    pub is_case_sensitive: bool,
    pub is_currency: bool,
    pub is_auto_increment: bool,
    pub schema_name: String,
    pub table_name: String,
    pub array_base_column_type: i32,
}

/// `ExecuteStatement` output; `records` arrives pre-serialized so its size can be capped while rows stream.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column_metadata: Option<Vec<ColumnMetadata>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted_records: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_fields: Option<Vec<Field>>,
    pub number_of_records_updated: i64,
}

/// One `updateResults` entry of `BatchExecuteStatement`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateResult {
    pub generated_fields: Vec<Field>,
}

/// `BatchExecuteStatement` output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchExecuteResponse {
    pub update_results: Vec<UpdateResult>,
}

/// `BeginTransaction` output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BeginResponse {
    pub transaction_id: String,
}

/// `CommitTransaction` / `RollbackTransaction` output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndResponse {
    pub transaction_status: &'static str,
}
