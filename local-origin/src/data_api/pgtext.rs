//! PostgreSQL binary values rendered as the text the Data API returns for them.
//!
//! Results arrive in PostgreSQL's binary format; the Data API returns numerics, dates and times as strings.
//! Numerics are rendered straight from their base-10000 digits (never through `f64`, so `29.99` stays
//! `29.99` and `0.00` keeps its scale), timestamps as `YYYY-MM-DD HH:MM:SS[.ffffff]` with trailing zeros
//! trimmed, and a few other types (interval, tsvector, inet) in PostgreSQL's own text form.

use std::fmt::Write;

/// Days from 0001-01-01 (CE) to 2000-01-01, PostgreSQL's epoch.
const PG_EPOCH_DAYS_FROM_CE: i64 = 730_119;
const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A value whose bytes do not match its declared type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed;

fn take<const N: usize>(raw: &mut &[u8]) -> Result<[u8; N], Malformed> {
    let (head, rest) = raw.split_first_chunk::<N>().ok_or(Malformed)?;
    *raw = rest;
    Ok(*head)
}

fn i16_at(raw: &mut &[u8]) -> Result<i16, Malformed> {
    Ok(i16::from_be_bytes(take(raw)?))
}

fn i32_at(raw: &mut &[u8]) -> Result<i32, Malformed> {
    Ok(i32::from_be_bytes(take(raw)?))
}

fn i64_at(raw: &mut &[u8]) -> Result<i64, Malformed> {
    Ok(i64::from_be_bytes(take(raw)?))
}

/// A decoded `numeric`: its exact decimal text and its display scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numeric {
    pub text: String,
    pub scale: u16,
}

/// Renders a binary `numeric` exactly, with as many fractional digits as its display scale.
pub fn numeric(mut raw: &[u8]) -> Result<Numeric, Malformed> {
    let ndigits = usize::try_from(i16_at(&mut raw)?).map_err(|_| Malformed)?;
    let weight = i64::from(i16_at(&mut raw)?);
    let sign = u16::from_be_bytes(take(&mut raw)?);
    let scale = u16::from_be_bytes(take(&mut raw)?);
    let special = match sign {
        0xC000 => Some("NaN"),
        0xD000 => Some("Infinity"),
        0xF000 => Some("-Infinity"),
        _ => None,
    };
    if let Some(text) = special {
        return Ok(Numeric { text: text.into(), scale: 0 });
    }
    let mut digits = Vec::with_capacity(ndigits);
    for _ in 0..ndigits {
        digits.push(i16_at(&mut raw)?);
    }
    // Digit group `i` (base 10000) has weight `weight - i`; groups outside the stored ones are zero.
    let group = |i: i64| -> i16 { usize::try_from(i).ok().and_then(|i| digits.get(i).copied()).unwrap_or(0) };
    let mut text = String::new();
    if sign == 0x4000 && digits.iter().any(|d| *d != 0) {
        text.push('-');
    }
    if weight < 0 {
        text.push('0');
    } else {
        let _ = write!(text, "{}", group(0));
        for i in 1..=weight {
            let _ = write!(text, "{:04}", group(i));
        }
    }
    if scale > 0 {
        text.push('.');
        let mut frac = String::new();
        let mut i = weight + 1;
        while frac.len() < usize::from(scale) {
            let _ = write!(frac, "{:04}", group(i));
            i += 1;
        }
        frac.truncate(usize::from(scale));
        text.push_str(&frac);
    }
    Ok(Numeric { text, scale })
}

/// `.ffffff` with trailing zeros trimmed, or nothing for a whole second.
fn fraction(micros: i64) -> String {
    if micros == 0 {
        return String::new();
    }
    let digits = format!(".{micros:06}");
    digits.trim_end_matches('0').to_string()
}

/// Proleptic Gregorian (year, month, day) from days since 0001-01-01 (which is day 0).
fn civil_from_days(days_from_ce: i64) -> (i64, u32, u32) {
    // Howard Hinnant's algorithm, shifted to 0000-03-01 based eras.
    let z = days_from_ce + 306;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `YYYY-MM-DD` (with ` BC` before year 1, as PostgreSQL prints it) from days since 2000-01-01.
fn date_text(days: i64) -> (String, bool) {
    let (year, month, day) = civil_from_days(days + PG_EPOCH_DAYS_FROM_CE);
    if year <= 0 {
        (format!("{:04}-{month:02}-{day:02}", 1 - year), true)
    } else {
        (format!("{year:04}-{month:02}-{day:02}"), false)
    }
}

/// A binary `date`.
pub fn date(mut raw: &[u8]) -> Result<String, Malformed> {
    let days = i32_at(&mut raw)?;
    Ok(match days {
        i32::MAX => "infinity".into(),
        i32::MIN => "-infinity".into(),
        d => {
            let (text, bc) = date_text(i64::from(d));
            if bc {
                format!("{text} BC")
            } else {
                text
            }
        }
    })
}

/// `HH:MM:SS[.f]` from microseconds since midnight.
fn time_of_day(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    format!("{:02}:{:02}:{:02}{}", secs / 3600, secs / 60 % 60, secs % 60, fraction(micros.rem_euclid(1_000_000)))
}

/// A binary `timestamp` or `timestamptz` (the latter is stored in UTC, which is what is printed).
pub fn timestamp(mut raw: &[u8]) -> Result<String, Malformed> {
    let micros = i64_at(&mut raw)?;
    Ok(match micros {
        i64::MAX => "infinity".into(),
        i64::MIN => "-infinity".into(),
        m => {
            let (date, bc) = date_text(m.div_euclid(MICROS_PER_DAY));
            let time = time_of_day(m.rem_euclid(MICROS_PER_DAY));
            if bc {
                format!("{date} {time} BC")
            } else {
                format!("{date} {time}")
            }
        }
    })
}

/// A binary `time`.
pub fn time(mut raw: &[u8]) -> Result<String, Malformed> {
    Ok(time_of_day(i64_at(&mut raw)?))
}

/// A binary `timetz`: the time, then the UTC offset as `+HH[:MM[:SS]]`.
pub fn timetz(mut raw: &[u8]) -> Result<String, Malformed> {
    let micros = i64_at(&mut raw)?;
    // Stored as seconds west of UTC, i.e. the negated offset.
    let offset = -i64::from(i32_at(&mut raw)?);
    let abs = offset.abs();
    let mut text = format!("{}{}{:02}", time_of_day(micros), if offset < 0 { '-' } else { '+' }, abs / 3600);
    if abs % 3600 != 0 {
        let _ = write!(text, ":{:02}", abs / 60 % 60);
        if abs % 60 != 0 {
            let _ = write!(text, ":{:02}", abs % 60);
        }
    }
    Ok(text)
}

/// A binary `interval` in PostgreSQL's default (`postgres`) interval style.
pub fn interval(mut raw: &[u8]) -> Result<String, Malformed> {
    let micros = i64_at(&mut raw)?;
    let days = i64::from(i32_at(&mut raw)?);
    let months = i64::from(i32_at(&mut raw)?);
    let mut text = String::new();
    let mut is_zero = true;
    let mut is_before = false;
    for (value, unit) in [(months / 12, "year"), (months % 12, "mon"), (days, "day")] {
        if value == 0 {
            continue;
        }
        let _ = write!(
            text,
            "{}{}{value} {unit}{}",
            if is_zero { "" } else { " " },
            if is_before && value > 0 { "+" } else { "" },
            if value == 1 { "" } else { "s" }
        );
        is_before = value < 0;
        is_zero = false;
    }
    if is_zero || micros != 0 {
        let abs = micros.unsigned_abs();
        let secs = abs / 1_000_000;
        let sign = if micros < 0 {
            "-"
        } else if is_before {
            "+"
        } else {
            ""
        };
        let _ = write!(
            text,
            "{}{sign}{:02}:{:02}:{:02}{}",
            if is_zero { "" } else { " " },
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            fraction((abs % 1_000_000) as i64)
        );
    }
    Ok(text)
}

/// A binary `tsvector`: `'lexeme':1A,2 'other'`.
pub fn tsvector(mut raw: &[u8]) -> Result<String, Malformed> {
    let count = i32_at(&mut raw)?;
    let mut parts = Vec::new();
    for _ in 0..count {
        let end = raw.iter().position(|b| *b == 0).ok_or(Malformed)?;
        let lexeme = std::str::from_utf8(&raw[..end]).map_err(|_| Malformed)?;
        raw = &raw[end + 1..];
        let mut part = format!("'{}'", lexeme.replace('\\', "\\\\").replace('\'', "''"));
        let npos = u16::from_be_bytes(take(&mut raw)?);
        for i in 0..npos {
            let entry = u16::from_be_bytes(take(&mut raw)?);
            let weight = match entry >> 14 {
                3 => "A",
                2 => "B",
                1 => "C",
                _ => "",
            };
            let _ = write!(part, "{}{}{weight}", if i == 0 { ':' } else { ',' }, entry & 0x3FFF);
        }
        parts.push(part);
    }
    Ok(parts.join(" "))
}

/// A binary `inet` or `cidr`; `inet` omits a full-length prefix, `cidr` never does.
pub fn inet(mut raw: &[u8], is_cidr_type: bool) -> Result<String, Malformed> {
    let [family, bits, _is_cidr, len] = take::<4>(&mut raw)?;
    let addr = match (family, len) {
        (2, 4) => std::net::IpAddr::from(take::<4>(&mut raw)?),
        (3, 16) => std::net::IpAddr::from(take::<16>(&mut raw)?),
        _ => return Err(Malformed),
    };
    let full = if family == 2 { 32 } else { 128 };
    Ok(if is_cidr_type || bits != full { format!("{addr}/{bits}") } else { addr.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes a numeric the way PostgreSQL sends it.
    fn num(weight: i16, sign: u16, scale: u16, digits: &[i16]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend((digits.len() as i16).to_be_bytes());
        out.extend(weight.to_be_bytes());
        out.extend(sign.to_be_bytes());
        out.extend(scale.to_be_bytes());
        for d in digits {
            out.extend(d.to_be_bytes());
        }
        out
    }

    fn numeric_text(weight: i16, sign: u16, scale: u16, digits: &[i16]) -> String {
        numeric(&num(weight, sign, scale, digits)).expect("valid").text
    }

    #[test]
    fn numeric_is_exact() {
        assert_eq!(numeric_text(0, 0, 2, &[29, 9900]), "29.99");
        assert_eq!(numeric_text(0, 0, 2, &[]), "0.00");
        assert_eq!(numeric_text(0, 0, 0, &[]), "0");
        assert_eq!(numeric_text(1, 0, 0, &[1, 0]), "10000");
        assert_eq!(numeric_text(1, 0, 0, &[1]), "10000");
        assert_eq!(numeric_text(0, 0x4000, 3, &[1, 5000]), "-1.500");
        assert_eq!(numeric_text(-1, 0, 4, &[1]), "0.0001");
        assert_eq!(numeric_text(-2, 0, 6, &[12]), "0.000000");
        assert_eq!(numeric_text(-2, 0, 8, &[12]), "0.00000012");
        assert_eq!(numeric_text(4, 0, 2, &[1234, 5678, 9012, 3456, 7890, 1200]), "12345678901234567890.12");
        assert_eq!(numeric_text(0, 0xC000, 0, &[]), "NaN");
        assert!(numeric(&[0, 1]).is_err());
    }

    fn ts(micros: i64) -> String {
        timestamp(&micros.to_be_bytes()).expect("valid")
    }

    #[test]
    fn timestamps_trim_fractions() {
        assert_eq!(ts(0), "2000-01-01 00:00:00");
        let base = (8767 * 86_400 + 11_045) * 1_000_000; // 2024-01-02 03:04:05
        assert_eq!(ts(base), "2024-01-02 03:04:05");
        assert_eq!(ts(base + 100_000), "2024-01-02 03:04:05.1");
        assert_eq!(ts(base + 120_000), "2024-01-02 03:04:05.12");
        assert_eq!(ts(base + 123_000), "2024-01-02 03:04:05.123");
        assert_eq!(ts(base + 123_400), "2024-01-02 03:04:05.1234");
        assert_eq!(ts(base + 123_450), "2024-01-02 03:04:05.12345");
        assert_eq!(ts(base + 123_456), "2024-01-02 03:04:05.123456");
        assert_eq!(ts(base + 1), "2024-01-02 03:04:05.000001");
        assert_eq!(ts(-1), "1999-12-31 23:59:59.999999");
        assert_eq!(ts(i64::MAX), "infinity");
        // 0001-01-01 00:00:00 and the day before it, which PostgreSQL calls 0001-12-31 BC.
        let ce = -PG_EPOCH_DAYS_FROM_CE * MICROS_PER_DAY;
        assert_eq!(ts(ce), "0001-01-01 00:00:00");
        assert_eq!(ts(ce - MICROS_PER_DAY), "0001-12-31 00:00:00 BC");
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(date(&0i32.to_be_bytes()).expect("valid"), "2000-01-01");
        assert_eq!(date(&8766i32.to_be_bytes()).expect("valid"), "2024-01-01");
        assert_eq!(date(&(-1i32).to_be_bytes()).expect("valid"), "1999-12-31");
        assert_eq!(date(&59i32.to_be_bytes()).expect("valid"), "2000-02-29");
        assert_eq!(time(&3_723_500_000i64.to_be_bytes()).expect("valid"), "01:02:03.5");
        assert_eq!(time(&MICROS_PER_DAY.to_be_bytes()).expect("valid"), "24:00:00");
        let mut tz = 3_723_000_000i64.to_be_bytes().to_vec();
        tz.extend((-19_800i32).to_be_bytes());
        assert_eq!(timetz(&tz).expect("valid"), "01:02:03+05:30");
    }

    fn iv(micros: i64, days: i32, months: i32) -> String {
        let mut raw = micros.to_be_bytes().to_vec();
        raw.extend(days.to_be_bytes());
        raw.extend(months.to_be_bytes());
        interval(&raw).expect("valid")
    }

    #[test]
    fn intervals_match_postgres_style() {
        assert_eq!(iv(0, 0, 0), "00:00:00");
        assert_eq!(iv(0, 1, 0), "1 day");
        assert_eq!(iv(14_706_000_000, 3, 14), "1 year 2 mons 3 days 04:05:06");
        assert_eq!(iv(7_200_000_000, -1, 0), "-1 days +02:00:00");
        assert_eq!(iv(-1_500_000, 0, -12), "-1 years -00:00:01.5");
    }

    #[test]
    fn tsvector_and_inet() {
        let mut raw = 2i32.to_be_bytes().to_vec();
        raw.extend(b"cat\0");
        raw.extend(2u16.to_be_bytes());
        raw.extend((3u16 << 14 | 1).to_be_bytes());
        raw.extend(4u16.to_be_bytes());
        raw.extend(b"it's\0");
        raw.extend(0u16.to_be_bytes());
        assert_eq!(tsvector(&raw).expect("valid"), "'cat':1A,4 'it''s'");
        assert_eq!(inet(&[2, 32, 0, 4, 10, 0, 0, 1], false).expect("valid"), "10.0.0.1");
        assert_eq!(inet(&[2, 24, 1, 4, 10, 0, 0, 0], true).expect("valid"), "10.0.0.0/24");
    }
}
