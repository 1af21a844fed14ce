//! JSON as text: the one whitespace-compacting pass the local origin uses, both for `jsonb` results (PostgreSQL
//! writes `{"a": 1}`; the Data API answers compactly) and for tokens signed exactly as a test sent them.

/// Compact JSON text: `json` (already valid JSON) without the whitespace between tokens (space, tab, CR, LF —
/// JSON's only whitespace), every member kept in
/// its place (serde_json's `Value` would sort members and merge duplicates).
pub fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_drops_whitespace_outside_strings_only() {
        assert_eq!(
            compact("{ \"a b\" : [ 1 , \"x \\\" y\\\\\" ],\n\t\"a b\": null }"),
            "{\"a b\":[1,\"x \\\" y\\\\\"],\"a b\":null}"
        );
        assert_eq!(compact("{\"kid\":\"local-1\",\"alg\":\"RS256\"}"), "{\"kid\":\"local-1\",\"alg\":\"RS256\"}");
    }
}
