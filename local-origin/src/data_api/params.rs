//! Turns Data API named parameters into a PostgreSQL statement with typed `$n` parameters.
//!
//! Each placeholder gets the cast that mirrors how AWS's JDBC layer types the value, so that type errors
//! surface locally exactly as on AWS: an unhinted `stringValue` is a `varchar` (so `uuid_col = :id` fails
//! with "operator does not exist: uuid = character varying"), a hinted one goes through `text` to the hinted
//! type, and `isNull` is an untyped parameter that PostgreSQL infers from context.

use std::collections::HashMap;
use std::error::Error;

use base64::Engine;
use bytes::BytesMut;
use postgres_types::{to_sql_checked, IsNull, ToSql, Type};

use super::hints::TypeHint;
use super::sql_scan;
use super::wire::{InField, SqlParameter};
use crate::error::ApiError;

/// A parameter value ready to bind.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Long(i64),
    Double(f64),
    Str(String, Option<TypeHint>),
    Blob(Vec<u8>),
}

impl Value {
    /// The SQL that replaces a placeholder bound to parameter `$n`.
    fn placeholder(&self, n: usize) -> String {
        match self {
            Value::Null => format!("${n}"),
            Value::Bool(_) => format!("${n}::bool"),
            Value::Long(_) => format!("${n}::int8"),
            Value::Double(_) => format!("${n}::float8"),
            Value::Str(_, None) => format!("${n}::varchar"),
            Value::Str(_, Some(hint)) => format!("(${n}::text)::{}", hint.pg_type()),
            Value::Blob(_) => format!("${n}::bytea"),
        }
    }
}

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        // The casts above fix each parameter's type, so the inner checked conversions always match; if
        // they ever did not, the checked call reports it instead of writing bytes of the wrong type.
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Bool(v) => v.to_sql_checked(ty, out),
            Value::Long(v) => v.to_sql_checked(ty, out),
            Value::Double(v) => v.to_sql_checked(ty, out),
            Value::Str(v, _) => v.to_sql_checked(ty, out),
            Value::Blob(v) => v.to_sql_checked(ty, out),
        }
    }

    /// Any type: a NULL must bind to whatever PostgreSQL inferred.
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A statement rewritten to `$n` placeholders, with the values in `$n` order.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub sql: String,
    pub values: Vec<Value>,
}

/// Validates the parameters and rewrites `sql`; every refusal is a `BadRequestException`.
pub fn bind(sql: &str, parameters: &[SqlParameter]) -> Result<Bound, ApiError> {
    let named = parse_parameters(parameters)?;
    let mut numbers: HashMap<&str, usize> = HashMap::new();
    let mut values = Vec::new();
    let mut out = String::with_capacity(sql.len() + 16);
    let mut copied = 0;
    for ph in sql_scan::placeholders(sql) {
        let Some(value) = named.get(ph.name) else {
            return Err(ApiError::bad_request(format!("No value specified for parameter: {}", ph.name)));
        };
        let n = *numbers.entry(ph.name).or_insert_with(|| {
            values.push(value.clone());
            values.len()
        });
        out.push_str(&sql[copied..ph.span.start]);
        out.push_str(&value.placeholder(n));
        copied = ph.span.end;
    }
    out.push_str(&sql[copied..]);
    Ok(Bound { sql: out, values })
}

/// Checks every parameter (names, the Field union, hints) and maps names to values.
fn parse_parameters(parameters: &[SqlParameter]) -> Result<HashMap<&str, Value>, ApiError> {
    let mut named = HashMap::new();
    for p in parameters {
        let name = match p.name.as_deref() {
            Some(name) if !name.is_empty() => name,
            _ => return Err(ApiError::bad_request("Parameter name must not be empty")),
        };
        let field =
            p.value.as_ref().ok_or_else(|| ApiError::bad_request(format!("Parameter '{name}' has no value")))?;
        let hint = match p.type_hint.as_deref() {
            None => None,
            Some(h) => Some(TypeHint::parse(h).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Invalid typeHint '{h}' for parameter '{name}': must be one of DATE, DECIMAL, JSON, \
                     TIME, TIMESTAMP, UUID"
                ))
            })?),
        };
        let value = parse_field(name, field, hint)?;
        if named.insert(name, value).is_some() {
            return Err(ApiError::bad_request(format!("Duplicate parameter name: {name}")));
        }
    }
    Ok(named)
}

/// Reads a Field union, which must have exactly one member set.
fn parse_field(name: &str, f: &InField, hint: Option<TypeHint>) -> Result<Value, ApiError> {
    if f.array_value.is_some() {
        return Err(ApiError::bad_request("Array parameters are not supported"));
    }
    let members = [
        f.is_null.is_some(),
        f.boolean_value.is_some(),
        f.long_value.is_some(),
        f.double_value.is_some(),
        f.string_value.is_some(),
        f.blob_value.is_some(),
    ];
    if members.iter().filter(|set| **set).count() != 1 {
        return Err(one_member(name));
    }
    if hint.is_some() && f.string_value.is_none() {
        return Err(ApiError::bad_request(format!("Parameter '{name}': typeHint is only supported with stringValue")));
    }
    let value = if let Some(null) = f.is_null {
        if !null {
            return Err(ApiError::bad_request(format!("Parameter '{name}': isNull must be true when set")));
        }
        Value::Null
    } else if let Some(v) = f.boolean_value {
        Value::Bool(v)
    } else if let Some(v) = f.long_value {
        Value::Long(v)
    } else if let Some(v) = f.double_value {
        Value::Double(v)
    } else if let Some(v) = &f.blob_value {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(v)
            .map_err(|_| ApiError::bad_request(format!("Parameter '{name}': blobValue is not valid base64")))?;
        Value::Blob(bytes)
    } else if let Some(v) = &f.string_value {
        if let Some(hint) = hint {
            hint.validate(v).map_err(|why| ApiError::bad_request(format!("Parameter '{name}': {why}")))?;
        }
        Value::Str(v.clone(), hint)
    } else {
        return Err(one_member(name));
    };
    Ok(value)
}

fn one_member(name: &str) -> ApiError {
    ApiError::bad_request(format!("Parameter '{name}': a Field must have exactly one member set"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(name: &str, value: serde_json::Value, hint: Option<&str>) -> SqlParameter {
        SqlParameter {
            name: Some(name.into()),
            value: Some(serde_json::from_value(value).expect("field json")),
            type_hint: hint.map(str::to_string),
        }
    }

    fn sql_of(sql: &str, params: &[SqlParameter]) -> String {
        bind(sql, params).expect("binds").sql
    }

    fn refused(sql: &str, params: &[SqlParameter]) -> String {
        bind(sql, params).expect_err("refused").message
    }

    #[test]
    fn casts_mirror_jdbc_typing() {
        use serde_json::json;
        let params = [
            param("s", json!({"stringValue": "x"}), None),
            param("u", json!({"stringValue": "123e4567-e89b-12d3-a456-426614174000"}), Some("UUID")),
            param("d", json!({"stringValue": "29.99"}), Some("DECIMAL")),
            param("t", json!({"stringValue": "2024-01-02 03:04:05.5"}), Some("TIMESTAMP")),
            param("j", json!({"stringValue": "{}"}), Some("JSON")),
            param("l", json!({"longValue": 7}), None),
            param("f", json!({"doubleValue": 1.5}), None),
            param("b", json!({"booleanValue": true}), None),
            param("x", json!({"blobValue": "AAE="}), None),
            param("n", json!({"isNull": true}), None),
        ];
        assert_eq!(
            sql_of("SELECT :s, :u, :d, :t, :j, :l, :f, :b, :x, :n", &params),
            "SELECT $1::varchar, ($2::text)::uuid, ($3::text)::numeric, ($4::text)::timestamp, \
             ($5::text)::jsonb, $6::int8, $7::float8, $8::bool, $9::bytea, $10"
        );
        let bound = bind("SELECT :x", &params).expect("binds");
        assert_eq!(bound.values, [Value::Blob(vec![0, 1])]);
    }

    #[test]
    fn repeated_names_share_a_number_and_unused_parameters_are_ignored() {
        let params = [
            param("a", serde_json::json!({"longValue": 1}), None),
            param("b", serde_json::json!({"longValue": 2}), None),
            param("unused", serde_json::json!({"longValue": 3}), None),
        ];
        let bound = bind("SELECT :b, :a, :b, ':a', :a::int4", &params).expect("binds");
        assert_eq!(bound.sql, "SELECT $1::int8, $2::int8, $1::int8, ':a', $2::int8::int4");
        assert_eq!(bound.values, [Value::Long(2), Value::Long(1)]);
    }

    #[test]
    fn refusals() {
        use serde_json::json;
        let s = |v: &str| json!({"stringValue": v});
        assert_eq!(
            refused("SELECT :a", &[param("a", json!({"arrayValue": {"longValues": [1]}}), None)]),
            "Array parameters are not supported"
        );
        assert!(refused("SELECT :a", &[param("a", json!({}), None)]).contains("exactly one"));
        assert!(refused("SELECT :a", &[param("a", json!({"longValue": 1, "stringValue": "1"}), None)])
            .contains("exactly one"));
        assert!(refused("SELECT :a", &[param("a", json!({"isNull": false}), None)]).contains("isNull"));
        assert!(refused("SELECT :a", &[param("a", json!({"longValue": 1}), Some("DECIMAL"))]).contains("typeHint"));
        assert!(refused("SELECT :a", &[param("a", s("1"), Some("INTEGER"))]).contains("typeHint"));
        assert!(refused("SELECT :a", &[param("a", s("x"), None), param("a", s("y"), None)]).contains("Duplicate"));
        assert!(refused("SELECT :a, :b", &[param("a", s("x"), None)]).contains(": b"));
        assert!(refused("SELECT :a", &[param("a", s("2024-01-02T03:04:05Z"), Some("TIMESTAMP"))])
            .contains("Timestamp format"));
        assert!(refused("SELECT :a", &[param("a", s("not-a-uuid"), Some("UUID"))]).contains("UUID"));
        assert!(refused("SELECT :a", &[param("a", json!({"blobValue": "%%"}), None)]).contains("base64"));
    }
}
