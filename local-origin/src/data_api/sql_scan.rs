//! A just-enough SQL lexer: finds `:name` placeholders and the statement's leading keyword.
//!
//! The Data API takes named `:name` placeholders while PostgreSQL takes `$n`, so the SQL has to be rewritten
//! without touching anything that merely looks like a placeholder: `::casts`, string literals (with `''`
//! and, in `E'…'`, backslash escapes), "quoted identifiers", `--` and nested `/* */` comments, and
//! `$tag$…$tag$` dollar quotes. The same token walk tells whether the top-level statement modifies rows,
//! which PostgreSQL's command tag would say but `tokio-postgres` does not expose.

use std::ops::Range;

/// A `:name` placeholder: its byte span in the SQL (colon included) and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder<'a> {
    /// Byte range of `:name` in the SQL text.
    pub span: Range<usize>,
    /// The name without the colon.
    pub name: &'a str,
}

/// One lexical item the callers care about; everything else is skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    Word(&'a str),
    Placeholder(Placeholder<'a>),
    Open,
    Close,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit() || b == b'$'
}

/// Walks the SQL and yields words, placeholders and parentheses outside literals and comments.
fn tokens(sql: &str) -> Vec<Token<'_>> {
    let b = sql.as_bytes();
    let n = b.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let c = b[i];
        let next = b.get(i + 1).copied();
        match c {
            b'\'' => i = skip_string(b, i),
            b'"' => i = skip_quoted(b, i + 1, b'"'),
            b'-' if next == Some(b'-') => {
                while i < n && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if next == Some(b'*') => i = skip_block_comment(b, i),
            b'$' => i = skip_dollar(sql, i),
            b':' if next == Some(b':') => i += 2,
            b':' if next.is_some_and(|d| d.is_ascii_alphabetic() || d == b'_') => {
                let start = i;
                i += 1;
                while i < n && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                out.push(Token::Placeholder(Placeholder { span: start..i, name: &sql[start + 1..i] }));
            }
            b'(' => {
                out.push(Token::Open);
                i += 1;
            }
            b')' => {
                out.push(Token::Close);
                i += 1;
            }
            _ if is_ident_start(c) => {
                let start = i;
                while i < n && is_ident(b[i]) {
                    i += 1;
                }
                // `E'…'` is one literal with backslash escapes, not a word.
                if i - start == 1 && (c == b'e' || c == b'E') && b.get(i) == Some(&b'\'') {
                    i = skip_escaped_string(b, i);
                } else {
                    out.push(Token::Word(&sql[start..i]));
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// Skips a standard string starting at the quote at `i`; `''` is an escaped quote.
fn skip_string(b: &[u8], i: usize) -> usize {
    skip_quoted(b, i + 1, b'\'')
}

/// Skips to just past the closing `quote`, treating a doubled quote as an escape.
fn skip_quoted(b: &[u8], mut i: usize, quote: u8) -> usize {
    while i < b.len() {
        if b[i] == quote {
            if b.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

/// Skips an `E'…'` body starting at its quote: backslash escapes anything, `''` is a quote.
fn skip_escaped_string(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'\'' if b.get(i + 1) == Some(&b'\'') => i += 2,
            b'\'' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// Skips a (nestable) block comment starting at `/*`.
fn skip_block_comment(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// Skips a `$tag$…$tag$` quote starting at `$`; a `$` that opens no tag (e.g. `$1`) is skipped alone.
fn skip_dollar(sql: &str, i: usize) -> usize {
    let b = sql.as_bytes();
    let mut j = i + 1;
    if j < b.len() && is_ident_start(b[j]) {
        while j < b.len() && (is_ident_start(b[j]) || b[j].is_ascii_digit()) {
            j += 1;
        }
    }
    if b.get(j) != Some(&b'$') {
        return i + 1;
    }
    let tag = &sql[i..=j];
    match sql[j + 1..].find(tag) {
        Some(end) => j + 1 + end + tag.len(),
        None => b.len(),
    }
}

/// Every `:name` placeholder in order of appearance (repeats included).
pub fn placeholders(sql: &str) -> Vec<Placeholder<'_>> {
    tokens(sql)
        .into_iter()
        .filter_map(|t| match t {
            Token::Placeholder(p) => Some(p),
            _ => None,
        })
        .collect()
}

/// Whether the top-level statement is an INSERT, UPDATE, DELETE or MERGE (also behind a `WITH` list), i.e.
/// whether its row count is a count of modified rows.
pub fn is_modifying(sql: &str) -> bool {
    let mut depth = 0usize;
    let mut leading_with = false;
    for token in tokens(sql) {
        match token {
            Token::Open => depth += 1,
            Token::Close => depth = depth.saturating_sub(1),
            Token::Word(w) if depth == 0 => {
                let w = w.to_ascii_uppercase();
                match w.as_str() {
                    "INSERT" | "UPDATE" | "DELETE" | "MERGE" => return true,
                    "WITH" if !leading_with => leading_with = true,
                    "SELECT" | "VALUES" | "TABLE" => return false,
                    _ if !leading_with => return false,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sql: &str) -> Vec<&str> {
        placeholders(sql).into_iter().map(|p| p.name).collect()
    }

    #[test]
    fn finds_placeholders_and_spans() {
        let sql = "SELECT * FROM t WHERE a = :a AND b = :b_2";
        let found = placeholders(sql);
        assert_eq!(names(sql), ["a", "b_2"]);
        assert_eq!(&sql[found[0].span.clone()], ":a");
        assert_eq!(&sql[found[1].span.clone()], ":b_2");
    }

    #[test]
    fn skips_casts_literals_identifiers_and_comments() {
        let sql = r#"SELECT :x::uuid, now()::date, ':no', 'it''s :no', E'\':no', "col:no", $$ :no $$,
            $fn$ body :no $fn$ -- :no
            /* :no /* nested :no */ still :no */ , :y, arr[1:2], $1"#;
        assert_eq!(names(sql), ["x", "y"]);
    }

    #[test]
    fn repeated_names_are_all_reported() {
        assert_eq!(names("SELECT :a, :b, :a"), ["a", "b", "a"]);
    }

    #[test]
    fn identifiers_ending_in_e_are_not_escape_strings() {
        // `type'…'` is a typed literal: no backslash escapes, so `\'` ends it.
        assert_eq!(names(r"SELECT date '2024-01-01', :a, some_e'x\', :b"), ["a", "b"]);
    }

    #[test]
    fn unterminated_constructs_swallow_the_rest() {
        assert_eq!(names("SELECT ':a"), Vec::<&str>::new());
        assert_eq!(names("SELECT $$ :a"), Vec::<&str>::new());
        assert_eq!(names("SELECT /* :a"), Vec::<&str>::new());
    }

    #[test]
    fn statement_kind() {
        assert!(is_modifying("insert into t values (1)"));
        assert!(is_modifying("  -- c\n UPDATE t SET a = 1 RETURNING *"));
        assert!(is_modifying("DELETE FROM t"));
        assert!(is_modifying("WITH a AS (SELECT 1), b AS MATERIALIZED (SELECT 2) INSERT INTO t SELECT * FROM a"));
        assert!(!is_modifying("WITH a AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM a"));
        assert!(!is_modifying("SELECT 'insert'"));
        assert!(!is_modifying("CREATE TABLE x (a int)"));
        assert!(!is_modifying("(SELECT 1)"));
    }
}
