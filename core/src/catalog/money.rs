//! Money as exact decimal text from `numeric(10,2)`, written into JSON as a number with two decimals —
//! never through `f64`, so `29.99` stays `29.99`.

use crate::error::ApiError;
use serde::{Serialize, Serializer};

/// A non-negative amount with exactly two decimals, e.g. `29.99`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money(String);

impl Money {
    /// Reads the database's decimal text (`"29.99"`, `"0"`, `"49.5"`); more than two non-zero decimals, a sign
    /// or anything else is an origin error.
    pub fn from_db(text: &str) -> Result<Money, ApiError> {
        let bad = || ApiError::OriginError { internal: format!("price is not a non-negative decimal: {text:?}") };
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || whole.len() > 17 || !digits(whole) || !digits(fraction) {
            return Err(bad());
        }
        let (kept, dropped) = fraction.split_at(fraction.len().min(2));
        if dropped.bytes().any(|b| b != b'0') {
            return Err(bad());
        }
        let whole = whole.trim_start_matches('0');
        Ok(Money(format!("{}.{kept:0<2}", if whole.is_empty() { "0" } else { whole })))
    }

    /// The decimal text, e.g. `"29.99"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the amount is zero (a free course).
    pub fn is_zero(&self) -> bool {
        self.0 == "0.00"
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // A raw JSON number: the text is validated digits, so it is always a valid number literal.
        let raw = serde_json::value::RawValue::from_string(self.0.clone()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_two_decimals() {
        for (db, json) in [
            ("29.99", "29.99"),
            ("0", "0.00"),
            ("0.00", "0.00"),
            ("49.5", "49.50"),
            ("007.10", "7.10"),
            ("12345678.90", "12345678.90"),
            ("1.230", "1.23"),
        ] {
            let money = Money::from_db(db).expect(db);
            assert_eq!(serde_json::to_string(&money).expect("serialises"), json, "{db}");
        }
        for bad in ["", "-1.00", "1.234", "abc", "1e3", "1.2.3", ".5", "NaN"] {
            assert!(Money::from_db(bad).is_err(), "{bad:?}");
        }
        assert!(Money::from_db("0.00").expect("zero").is_zero());
        assert!(!Money::from_db("0.01").expect("cent").is_zero());
    }

    #[test]
    fn never_rounds_through_floats() {
        // 0.1 + 0.2 style trouble: the text must come out exactly as it went in.
        let money = Money::from_db("9999999999999.99").expect("big");
        assert_eq!(serde_json::to_string(&money).expect("serialises"), "9999999999999.99");
    }
}
