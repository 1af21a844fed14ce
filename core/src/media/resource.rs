//! Matching a request URL against a custom policy's `Resource`, per CloudFront's rules: the URL is
//! `[protocol]://[domain]/[path]\?[query]` and each section is matched apart, so a wildcard never reaches across a
//! section boundary. `*` matches zero or more characters, `?` exactly one; `\?` starts the query. A trailing `*`
//! in the path implies `\?*`, a trailing `*` in the domain implies `/*\?*`, no protocol means `*://`, and a
//! resource of `*` matches every URL.

struct Sections<'a> {
    protocol: &'a str,
    domain: &'a str,
    path: &'a str,
    query: Option<&'a str>,
}

fn pattern_sections(pattern: &str) -> Sections<'_> {
    let (protocol, rest) = match pattern.find("://") {
        Some(at) => (&pattern[..at], &pattern[at + 3..]),
        None => ("*", pattern),
    };
    let (domain, rest) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    if rest.is_empty() {
        return if domain.ends_with('*') {
            Sections { protocol, domain, path: "/*", query: Some("*") }
        } else {
            Sections { protocol, domain, path: "/", query: None }
        };
    }
    let (path, query) = match rest.find("\\?") {
        Some(at) => (&rest[..at], Some(&rest[at + 2..])),
        None => (rest, rest.ends_with('*').then_some("*")),
    };
    Sections { protocol, domain, path, query }
}

fn url_sections(url: &str) -> Option<Sections<'_>> {
    let at = url.find("://")?;
    let (protocol, rest) = (&url[..at], &url[at + 3..]);
    let (domain, rest) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    Some(Sections { protocol, domain, path, query })
}

/// `*`/`?` glob over bytes (the URLs are percent-encoded ASCII).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

/// Whether `url` (as it arrived, percent-encoded) is one the policy `resource` names.
pub fn matches(resource: &str, url: &str) -> bool {
    if resource == "*" {
        return true;
    }
    let Some(have) = url_sections(url) else {
        return false;
    };
    let want = pattern_sections(resource);
    let query_ok = match (want.query, have.query) {
        (None, None) | (None, Some("")) => true,
        (None, Some(_)) => false,
        (Some(pattern), query) => glob(pattern.as_bytes(), query.unwrap_or_default().as_bytes()),
    };
    query_ok
        && glob(want.protocol.as_bytes(), have.protocol.as_bytes())
        && glob(want.domain.as_bytes(), have.domain.as_bytes())
        && glob(want.path.as_bytes(), have.path.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn wildcards_stay_inside_their_section() {
        let cases = [
            ("*", "https://a.example/x?y", true),
            ("https://m.example/media/lessons/L/*", "https://m.example/media/lessons/L/index.m3u8", true),
            ("https://m.example/media/lessons/L/*", "https://m.example/media/lessons/L/seg%201.ts?x=1", true),
            ("https://m.example/media/lessons/L/*", "https://m.example/media/lessons/L2/index.m3u8", false),
            ("https://m.example/media/lessons/L/*", "http://m.example/media/lessons/L/index.m3u8", false),
            ("*://m.example/media/*", "http://m.example/media/a", true),
            ("m.example/media/*", "http://m.example/media/a", true),
            ("https://m.example/a?.ts", "https://m.example/ab.ts", true),
            ("https://m.example/a?.ts", "https://m.example/a.ts", false),
            // Domain → path: `*example` may not swallow another host's path.
            ("https://*example/media/x", "https://evil.test/example/media/x", false),
            ("https://*.example/media/x", "https://m.example/media/x", true),
            // Path → query: a path wildcard never reaches into the query.
            ("https://m.example/media/*.ts\\?", "https://m.example/media/a?b=.ts", false),
            ("https://m.example/media/a*.ts", "https://m.example/media/a?.ts", false),
            ("https://m.example/media/a.ts", "https://m.example/media/a.ts?x=1", false),
            ("https://m.example/media/a.ts\\?x=*", "https://m.example/media/a.ts?x=1", true),
            ("https://m.example*", "https://m.example/any/path?q", true),
            ("https://m.example", "https://m.example/any", false),
        ];
        for (resource, url, expected) in cases {
            assert_eq!(matches(resource, url), expected, "{resource} vs {url}");
        }
    }
}
