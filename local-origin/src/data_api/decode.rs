//! Result columns decoded into Data API `Field`s and `columnMetadata`, by PostgreSQL type.
//!
//! Every column is read as raw binary bytes and decoded here, so the mapping from PostgreSQL types to
//! `Field` members (and JDBC type codes) is in one table instead of scattered across `FromSql` impls, and a
//! type the Data API cannot return becomes its `UnsupportedResultException`, never a panic.

use base64::Engine;
use postgres_types::{FromSql, Kind, Type};
use tokio_postgres::Column;

use super::pgtext::{self, Malformed, Numeric};
use super::wire::{ArrayValue, ColumnMetadata, DecimalReturnType, Field, LongReturnType, ResultSetOptions};
use crate::error::{ApiError, ErrorCode};

/// A column value as PostgreSQL sent it: binary bytes, or `None` for SQL NULL.
pub struct RawBytes<'a>(pub Option<&'a [u8]>);

impl<'a> FromSql<'a> for RawBytes<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawBytes(Some(raw)))
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawBytes(None))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A decoded non-array value, before `resultSetOptions` pick its `Field` member.
#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Bool(bool),
    Long(i64),
    Double(f64),
    Numeric(Numeric),
    Text(String),
    Blob(Vec<u8>),
}

/// Why a value could not be decoded.
enum Problem {
    Malformed,
    Unsupported(String),
}

impl From<Malformed> for Problem {
    fn from(_: Malformed) -> Self {
        Problem::Malformed
    }
}

impl Problem {
    fn into_api(self, ty: &Type) -> ApiError {
        match self {
            Problem::Unsupported(what) => ApiError::new(
                ErrorCode::UnsupportedResultException,
                format!("The result contains the unsupported data type {what}."),
            ),
            Problem::Malformed => {
                tracing::warn!(r#type = ty.name(), "malformed binary value from PostgreSQL");
                ApiError::new(
                    ErrorCode::InternalServerErrorException,
                    "The database returned a value that could not be decoded",
                )
            }
        }
    }
}

fn fixed<const N: usize>(raw: &[u8]) -> Result<[u8; N], Problem> {
    raw.try_into().map_err(|_| Problem::Malformed)
}

fn utf8(raw: &[u8]) -> Result<String, Problem> {
    String::from_utf8(raw.to_vec()).map_err(|_| Problem::Malformed)
}

fn scalar(ty: &Type, raw: &[u8]) -> Result<Scalar, Problem> {
    let text = |s: Result<String, Malformed>| s.map(Scalar::Text).map_err(Problem::from);
    Ok(match *ty {
        Type::BOOL => Scalar::Bool(fixed::<1>(raw)?[0] != 0),
        Type::INT2 => Scalar::Long(i16::from_be_bytes(fixed(raw)?).into()),
        Type::INT4 => Scalar::Long(i32::from_be_bytes(fixed(raw)?).into()),
        Type::INT8 => Scalar::Long(i64::from_be_bytes(fixed(raw)?)),
        Type::OID => Scalar::Long(u32::from_be_bytes(fixed(raw)?).into()),
        Type::FLOAT4 => Scalar::Double(f32::from_be_bytes(fixed(raw)?).into()),
        Type::FLOAT8 => Scalar::Double(f64::from_be_bytes(fixed(raw)?)),
        Type::NUMERIC => Scalar::Numeric(pgtext::numeric(raw)?),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::XML => Scalar::Text(utf8(raw)?),
        Type::CHAR => Scalar::Text(String::from_utf8_lossy(raw).into_owned()),
        Type::UUID => Scalar::Text(uuid::Uuid::from_bytes(fixed(raw)?).hyphenated().to_string()),
        Type::JSON => Scalar::Text(crate::json_text::compact(&utf8(raw)?)),
        Type::JSONB => match raw.split_first() {
            Some((1, json)) => Scalar::Text(crate::json_text::compact(&utf8(json)?)),
            _ => return Err(Problem::Malformed),
        },
        Type::BYTEA => Scalar::Blob(raw.to_vec()),
        Type::TIMESTAMP | Type::TIMESTAMPTZ => text(pgtext::timestamp(raw))?,
        Type::DATE => text(pgtext::date(raw))?,
        Type::TIME => text(pgtext::time(raw))?,
        Type::TIMETZ => text(pgtext::timetz(raw))?,
        Type::INTERVAL => text(pgtext::interval(raw))?,
        Type::TS_VECTOR => text(pgtext::tsvector(raw))?,
        Type::INET => text(pgtext::inet(raw, false))?,
        Type::CIDR => text(pgtext::inet(raw, true))?,
        _ if matches!(ty.kind(), Kind::Enum(_)) || ty.name() == "citext" => Scalar::Text(utf8(raw)?),
        _ => return Err(Problem::Unsupported(ty.name().to_string())),
    })
}

/// Applies `resultSetOptions` to a decoded scalar.
fn to_field(value: Scalar, options: ResultSetOptions) -> Field {
    let long = |v: i64| match options.long_return_type {
        LongReturnType::Long => Field::Long(v),
        LongReturnType::String => Field::String(v.to_string()),
    };
    match value {
        Scalar::Bool(v) => Field::Boolean(v),
        Scalar::Long(v) => long(v),
        Scalar::Double(v) => Field::Double(v),
        Scalar::Text(v) => Field::String(v),
        Scalar::Blob(v) => Field::Blob(base64::engine::general_purpose::STANDARD.encode(v)),
        Scalar::Numeric(n) => match options.decimal_return_type {
            DecimalReturnType::String => Field::String(n.text),
            DecimalReturnType::DoubleOrLong => match (n.scale, n.text.parse::<i64>()) {
                (0, Ok(v)) => long(v),
                _ => Field::Double(n.text.parse().unwrap_or(f64::NAN)),
            },
        },
    }
}

/// Decodes one column value.
pub fn field(ty: &Type, raw: Option<&[u8]>, options: ResultSetOptions) -> Result<Field, ApiError> {
    let Some(raw) = raw else {
        return Ok(Field::IsNull(true));
    };
    let decoded = match ty.kind() {
        Kind::Array(element) => array(element, raw).map(Field::Array),
        _ => scalar(ty, raw).map(|v| to_field(v, options)),
    };
    decoded.map_err(|p| p.into_api(ty))
}

/// Decodes a one-dimensional array; elements keep SQL NULLs as JSON nulls.
fn array(element: &Type, raw: &[u8]) -> Result<ArrayValue, Problem> {
    let word = |at: usize| -> Result<i32, Problem> {
        raw.get(at..at + 4).and_then(|b| b.try_into().ok()).map(i32::from_be_bytes).ok_or(Problem::Malformed)
    };
    let dims = word(0)?;
    if dims > 1 {
        return Err(Problem::Unsupported("multidimensional array".into()));
    }
    let (count, mut at) = if dims == 1 { (word(12)?, 20) } else { (0, 12) };
    let mut values = Vec::new();
    for _ in 0..count {
        let len = word(at)?;
        at += 4;
        if len < 0 {
            values.push(None);
            continue;
        }
        let end = at + usize::try_from(len).map_err(|_| Problem::Malformed)?;
        let bytes = raw.get(at..end).ok_or(Problem::Malformed)?;
        values.push(Some(scalar(element, bytes)?));
        at = end;
    }
    Ok(match *element {
        Type::BOOL => ArrayValue::Booleans(pick(values, |v| match v {
            Scalar::Bool(b) => Some(b),
            _ => None,
        })),
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => ArrayValue::Longs(pick(values, |v| match v {
            Scalar::Long(n) => Some(n),
            _ => None,
        })),
        Type::FLOAT4 | Type::FLOAT8 => ArrayValue::Doubles(pick(values, |v| match v {
            Scalar::Double(n) => Some(n),
            _ => None,
        })),
        Type::BYTEA => return Err(Problem::Unsupported("bytea[]".into())),
        _ => ArrayValue::Strings(pick(values, |v| match v {
            Scalar::Text(s) => Some(s),
            Scalar::Numeric(n) => Some(n.text),
            _ => None,
        })),
    })
}

/// Maps decoded elements to one `ArrayValue` member kind, keeping NULLs.
fn pick<T>(values: Vec<Option<Scalar>>, f: impl Fn(Scalar) -> Option<T>) -> Vec<Option<T>> {
    values.into_iter().map(|v| v.and_then(&f)).collect()
}

/// The JDBC type code AWS reports for a PostgreSQL type.
fn jdbc_type(ty: &Type) -> i32 {
    match *ty {
        Type::BOOL => -7,
        Type::INT2 => 5,
        Type::INT4 => 4,
        Type::INT8 | Type::OID => -5,
        Type::FLOAT4 => 7,
        Type::FLOAT8 => 8,
        Type::NUMERIC => 2,
        Type::CHAR | Type::BPCHAR => 1,
        Type::TEXT | Type::VARCHAR | Type::NAME => 12,
        Type::DATE => 91,
        Type::TIME | Type::TIMETZ => 92,
        Type::TIMESTAMP | Type::TIMESTAMPTZ => 93,
        Type::BYTEA => -2,
        _ if matches!(ty.kind(), Kind::Array(_)) => 2003,
        _ => 1111,
    }
}

/// `(precision, scale)` as pgjdbc reports them, from the type and its type modifier.
fn precision_scale(ty: &Type, typmod: i32) -> (i32, i32) {
    const UNBOUNDED: i32 = i32::MAX;
    let fractional = if typmod >= 0 { typmod } else { 6 };
    match *ty {
        Type::BOOL => (1, 0),
        Type::INT2 => (5, 0),
        Type::INT4 | Type::OID => (10, 0),
        Type::INT8 => (19, 0),
        Type::FLOAT4 => (8, 8),
        Type::FLOAT8 => (17, 17),
        Type::NUMERIC if typmod >= 4 => (((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF),
        Type::NUMERIC => (0, 0),
        Type::VARCHAR | Type::BPCHAR if typmod >= 4 => (typmod - 4, 0),
        Type::CHAR => (1, 0),
        Type::UUID => (36, 0),
        Type::DATE => (13, 0),
        Type::TIME => (8 + fractional + i32::from(fractional > 0), fractional),
        Type::TIMETZ => (14 + fractional + i32::from(fractional > 0), fractional),
        Type::TIMESTAMP => (19 + fractional + i32::from(fractional > 0), fractional),
        Type::TIMESTAMPTZ => (25 + fractional + i32::from(fractional > 0), fractional),
        _ => (UNBOUNDED, 0),
    }
}

/// `columnMetadata` for one result column.
pub fn column_metadata(column: &Column) -> ColumnMetadata {
    let ty = column.type_();
    let (precision, scale) = precision_scale(ty, column.type_modifier());
    let numeric = matches!(*ty, Type::INT2 | Type::INT4 | Type::INT8 | Type::FLOAT4 | Type::FLOAT8 | Type::NUMERIC);
    let temporal = matches!(*ty, Type::DATE | Type::TIME | Type::TIMETZ | Type::TIMESTAMP | Type::TIMESTAMPTZ);
    ColumnMetadata {
        name: column.name().to_string(),
        label: column.name().to_string(),
        type_name: ty.name().to_string(),
        jdbc_type: jdbc_type(ty),
        // 2 = columnNullableUnknown: nullability would need a catalog lookup per column.
        nullable: 2,
        precision,
        scale,
        is_signed: numeric,
        is_case_sensitive: !(numeric || temporal || matches!(*ty, Type::BOOL | Type::OID)),
        is_currency: false,
        is_auto_increment: false,
        schema_name: String::new(),
        table_name: String::new(),
        array_base_column_type: match ty.kind() {
            Kind::Array(element) => jdbc_type(element),
            _ => 0,
        },
    }
}

/// A `Field` as a plain JSON value, for `formatRecordsAs: JSON`.
pub fn json_value(field: Field) -> serde_json::Value {
    use serde_json::Value;
    match field {
        Field::IsNull(_) => Value::Null,
        Field::Boolean(v) => v.into(),
        Field::Long(v) => v.into(),
        Field::Double(v) => v.into(),
        Field::String(v) | Field::Blob(v) => v.into(),
        Field::Array(ArrayValue::Booleans(v)) => v.into(),
        Field::Array(ArrayValue::Longs(v)) => v.into(),
        Field::Array(ArrayValue::Doubles(v)) => v.into(),
        Field::Array(ArrayValue::Strings(v)) => v.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(decimal: DecimalReturnType, long: LongReturnType) -> ResultSetOptions {
        ResultSetOptions { decimal_return_type: decimal, long_return_type: long }
    }

    #[test]
    fn scalars_and_options() {
        let d = ResultSetOptions::default();
        assert_eq!(field(&Type::INT4, Some(&7i32.to_be_bytes()), d).ok(), Some(Field::Long(7)));
        assert_eq!(field(&Type::INT4, None, d).ok(), Some(Field::IsNull(true)));
        let as_string = opts(DecimalReturnType::String, LongReturnType::String);
        assert_eq!(field(&Type::INT8, Some(&7i64.to_be_bytes()), as_string).ok(), Some(Field::String("7".into())));
        // numeric 29.99: ndigits 2, weight 0, sign +, dscale 2, digits 29 9900.
        let n = [0, 2, 0, 0, 0, 0, 0, 2, 0, 29, 0x26, 0xAC];
        assert_eq!(field(&Type::NUMERIC, Some(&n), d).ok(), Some(Field::String("29.99".into())));
        let dl = opts(DecimalReturnType::DoubleOrLong, LongReturnType::Long);
        assert_eq!(field(&Type::NUMERIC, Some(&n), dl).ok(), Some(Field::Double(29.99)));
        let whole = [0, 1, 0, 0, 0, 0, 0, 0, 0, 42];
        assert_eq!(field(&Type::NUMERIC, Some(&whole), dl).ok(), Some(Field::Long(42)));
        let jsonb = b"\x01{\"a\": [1, \"x y\"]}";
        assert_eq!(field(&Type::JSONB, Some(jsonb), d).ok(), Some(Field::String(r#"{"a":[1,"x y"]}"#.into())));
        assert_eq!(field(&Type::BYTEA, Some(&[0, 1]), d).ok(), Some(Field::Blob("AAE=".into())));
    }

    #[test]
    fn unsupported_and_malformed() {
        let err = field(&Type::POINT, Some(&[0; 16]), ResultSetOptions::default()).expect_err("point");
        assert_eq!(err.code, ErrorCode::UnsupportedResultException);
        let err = field(&Type::INT4, Some(&[0; 3]), ResultSetOptions::default()).expect_err("short");
        assert_eq!(err.code, ErrorCode::InternalServerErrorException);
    }

    #[test]
    fn arrays() {
        let mut raw = Vec::new();
        for word in [1i32, 1, 23, 3, 1, 4, 5, -1, 4, 6] {
            raw.extend(word.to_be_bytes());
        }
        assert_eq!(
            field(&Type::INT4_ARRAY, Some(&raw), ResultSetOptions::default()).ok(),
            Some(Field::Array(ArrayValue::Longs(vec![Some(5), None, Some(6)])))
        );
        let empty = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25];
        assert_eq!(
            field(&Type::TEXT_ARRAY, Some(&empty), ResultSetOptions::default()).ok(),
            Some(Field::Array(ArrayValue::Strings(vec![])))
        );
        let mut two_d = Vec::new();
        for word in [2i32, 0, 23, 1, 1, 1, 1, 4, 1] {
            two_d.extend(word.to_be_bytes());
        }
        let err = field(&Type::INT4_ARRAY, Some(&two_d), ResultSetOptions::default()).expect_err("2-d");
        assert_eq!(err.code, ErrorCode::UnsupportedResultException);
    }

    #[test]
    fn json_compaction_keeps_string_contents() {
        assert_eq!(
            crate::json_text::compact("{\"a b\": \"c \\\" d\" , \"e\": [1, 2]}"),
            r#"{"a b":"c \" d","e":[1,2]}"#
        );
    }
}
