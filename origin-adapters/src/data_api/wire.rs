//! The Data API's JSON shapes (rest-json, API version 2018-08-01), and their conversion to and from the
//! core's statement and result types.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use momentum_core::db::{Cell, Param, SqlValue};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// An `ExecuteStatement` request body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteRequest<'a> {
    pub resource_arn: &'a str,
    pub secret_arn: &'a str,
    pub sql: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<&'a str>,
    pub include_result_metadata: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format_records_as: Option<&'static str>,
}

/// A `BatchExecuteStatement` request body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchExecuteRequest<'a> {
    pub resource_arn: &'a str,
    pub secret_arn: &'a str,
    pub sql: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'a str>,
    pub parameter_sets: Vec<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<&'a str>,
}

/// The body of Begin/Commit/RollbackTransaction.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionRequest<'a> {
    pub resource_arn: &'a str,
    pub secret_arn: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<&'a str>,
}

/// An `ExecuteStatement` response body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteResponse {
    #[serde(default)]
    pub records: Vec<Vec<Value>>,
    #[serde(default)]
    pub column_metadata: Vec<ColumnMetadata>,
    #[serde(default)]
    pub number_of_records_updated: i64,
    #[serde(default)]
    pub formatted_records: Option<String>,
}

/// One entry of `columnMetadata`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnMetadata {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
}

/// A `BatchExecuteStatement` response body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchExecuteResponse {
    #[serde(default)]
    pub update_results: Vec<Value>,
}

/// A `BeginTransaction` response body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BeginTransactionResponse {
    pub transaction_id: String,
}

/// A Commit/RollbackTransaction response body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionStatusResponse {
    #[serde(default)]
    pub transaction_status: String,
}

/// A core parameter as a `SqlParameter`: the `typeHint` follows the core's column type, never the value.
pub fn parameter(param: &Param) -> Result<Value, String> {
    let (value, hint) = match &param.value {
        SqlValue::Null => (json!({"isNull": true}), None),
        SqlValue::Bool(b) => (json!({"booleanValue": b}), None),
        SqlValue::Long(n) => (json!({"longValue": n}), None),
        SqlValue::Double(d) if d.is_finite() => (json!({"doubleValue": d}), None),
        SqlValue::Double(d) => return Err(format!("parameter {}: {d} has no JSON form", param.name)),
        SqlValue::Text(s) => (json!({"stringValue": s}), None),
        SqlValue::Decimal(s) => (json!({"stringValue": s}), Some("DECIMAL")),
        SqlValue::Timestamp(s) => (json!({"stringValue": s}), Some("TIMESTAMP")),
        SqlValue::Date(s) => (json!({"stringValue": s}), Some("DATE")),
        SqlValue::Uuid(s) => (json!({"stringValue": s}), Some("UUID")),
        SqlValue::Json(s) => (json!({"stringValue": s}), Some("JSON")),
        SqlValue::Blob(bytes) => (json!({"blobValue": STANDARD.encode(bytes)}), None),
    };
    let mut out = json!({"name": param.name, "value": value});
    if let (Some(hint), Value::Object(map)) = (hint, &mut out) {
        map.insert("typeHint".into(), Value::from(hint));
    }
    Ok(out)
}

/// A result `Field` as a core cell. `isNull` is checked first: a null field may carry other members.
pub fn cell(field: &Value) -> Result<Cell, String> {
    let Value::Object(map) = field else {
        return Err(format!("field is not an object: {field}"));
    };
    if map.get("isNull").and_then(Value::as_bool) == Some(true) {
        return Ok(Cell::Null);
    }
    if let Some(value) = map.get("stringValue") {
        return value
            .as_str()
            .map(|s| Cell::Text(s.to_owned()))
            .ok_or_else(|| format!("stringValue not a string: {value}"));
    }
    if let Some(value) = map.get("longValue") {
        return value.as_i64().map(Cell::Long).ok_or_else(|| format!("longValue not an integer: {value}"));
    }
    if let Some(value) = map.get("booleanValue") {
        return value.as_bool().map(Cell::Bool).ok_or_else(|| format!("booleanValue not a boolean: {value}"));
    }
    if let Some(value) = map.get("doubleValue") {
        return value.as_f64().map(Cell::Double).ok_or_else(|| format!("doubleValue not a number: {value}"));
    }
    if let Some(value) = map.get("blobValue") {
        let text = value.as_str().ok_or_else(|| format!("blobValue not a string: {value}"))?;
        return STANDARD.decode(text).map(Cell::Blob).map_err(|err| format!("blobValue not base64: {err}"));
    }
    if let Some(Value::Object(array)) = map.get("arrayValue") {
        return array_cell(array);
    }
    Err(format!("field has no known member: {field}"))
}

fn array_cell(array: &serde_json::Map<String, Value>) -> Result<Cell, String> {
    let (kind, values) = array.iter().next().ok_or("empty arrayValue")?;
    let values = values.as_array().ok_or("arrayValue member is not an array")?;
    let cells = values
        .iter()
        .map(|value| match (kind.as_str(), value) {
            (_, Value::Null) => Ok(Cell::Null),
            ("stringValues", Value::String(s)) => Ok(Cell::Text(s.clone())),
            ("longValues", v) => v.as_i64().map(Cell::Long).ok_or_else(|| format!("bad long {v}")),
            ("doubleValues", v) => v.as_f64().map(Cell::Double).ok_or_else(|| format!("bad double {v}")),
            ("booleanValues", Value::Bool(b)) => Ok(Cell::Bool(*b)),
            ("arrayValues", Value::Object(inner)) => array_cell(inner),
            (kind, value) => Err(format!("bad {kind} element {value}")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Cell::Array(cells))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_carry_the_column_type_hint() {
        let cases = [
            (SqlValue::Null, json!({"name":"p","value":{"isNull":true}})),
            (SqlValue::Long(7), json!({"name":"p","value":{"longValue":7}})),
            (SqlValue::Text("x".into()), json!({"name":"p","value":{"stringValue":"x"}})),
            (
                SqlValue::Decimal("29.99".into()),
                json!({"name":"p","value":{"stringValue":"29.99"},"typeHint":"DECIMAL"}),
            ),
            (SqlValue::Uuid("u".into()), json!({"name":"p","value":{"stringValue":"u"},"typeHint":"UUID"})),
            (
                SqlValue::Timestamp("2024-01-02 03:04:05".into()),
                json!({"name":"p","value":{"stringValue":"2024-01-02 03:04:05"},"typeHint":"TIMESTAMP"}),
            ),
            (
                SqlValue::Date("2024-01-02".into()),
                json!({"name":"p","value":{"stringValue":"2024-01-02"},"typeHint":"DATE"}),
            ),
            (SqlValue::Json("{}".into()), json!({"name":"p","value":{"stringValue":"{}"},"typeHint":"JSON"})),
            (SqlValue::Blob(vec![1, 2]), json!({"name":"p","value":{"blobValue":"AQI="}})),
            (SqlValue::Bool(true), json!({"name":"p","value":{"booleanValue":true}})),
        ];
        for (value, expected) in cases {
            assert_eq!(parameter(&Param { name: "p", value: value.clone() }), Ok(expected), "{value:?}");
        }
        assert!(parameter(&Param { name: "p", value: SqlValue::Double(f64::NAN) }).is_err());
    }

    #[test]
    fn cells_check_is_null_first() {
        assert_eq!(cell(&json!({"isNull": true, "stringValue": "ignored"})), Ok(Cell::Null));
        assert_eq!(cell(&json!({"isNull": false, "stringValue": "x"})), Ok(Cell::Text("x".into())));
        assert_eq!(cell(&json!({"longValue": 3})), Ok(Cell::Long(3)));
        assert_eq!(cell(&json!({"blobValue": "AQI="})), Ok(Cell::Blob(vec![1, 2])));
        assert_eq!(
            cell(&json!({"arrayValue": {"stringValues": ["a", "b"]}})),
            Ok(Cell::Array(vec![Cell::Text("a".into()), Cell::Text("b".into())]))
        );
        assert!(cell(&json!({"longValue": "3"})).is_err());
        assert!(cell(&json!({})).is_err());
        assert!(cell(&json!("x")).is_err());
    }
}
