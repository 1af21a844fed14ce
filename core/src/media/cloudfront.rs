//! CloudFront's signed-URL and signed-cookie format, byte for byte: the canonical resource URL, canned and custom
//! policies (built and parsed), CloudFront's base64, and signing and checking through the [`MediaSigner`] port.
//!
//! A canned policy is never sent: it is rebuilt from the URL and `Expires`, so its bytes must be exactly the
//! compact form below. A custom policy travels base64-encoded and its signature covers those exact bytes.

use crate::ports::MediaSigner;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::{HashAlgorithm, MediaKeys};

/// The query parameters CloudFront reserves (a signed URL carries them; a caller's own query may not).
pub const SIGNING_PARAMS: [&str; 5] = ["Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm"];

/// The largest epoch (seconds) a policy may name: beyond it, the number is taken for milliseconds and refused.
pub const MAX_EPOCH_SECONDS: u64 = 9_999_999_999;

/// Why a policy or resource cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    /// The resource or IP holds a `"` (or a control character): it would change the policy's JSON.
    Injection(&'static str),
    /// The resource is not an `http://`, `https://` or `*://` URL.
    Scheme,
    /// The IP condition is not an IPv4 address or CIDR.
    Ip,
}

/// Bytes kept as they are in a canonical URL: RFC 3986's unreserved characters. Everything else is
/// percent-encoded (a valid `%XX` escape is kept: it is already encoded).
fn unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

fn is_escape(bytes: &[u8], at: usize) -> bool {
    bytes.get(at) == Some(&b'%')
        && bytes.get(at + 1).is_some_and(u8::is_ascii_hexdigit)
        && bytes.get(at + 2).is_some_and(u8::is_ascii_hexdigit)
}

/// Percent-encodes a path: unreserved bytes (and those in `keep`) stay, a valid `%XX` escape stays as it is (a
/// stored key may already be encoded: never encode twice), every other byte, UTF-8 included, becomes `%XX` with
/// upper-case hex. Idempotent.
pub fn encode(text: &str, keep: &[u8]) -> String {
    encode_with(text, keep, true)
}

/// Percent-encodes a raw (decoded) query name or value exactly once: `%` itself becomes `%25`, so a value that
/// holds percent-encoding of its own (`filename*=UTF-8''na%C3%AFve.pdf`) reaches the origin intact.
pub fn encode_value(text: &str) -> String {
    encode_with(text, b"", false)
}

fn encode_with(text: &str, keep: &[u8], keep_escapes: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for (at, &byte) in bytes.iter().enumerate() {
        if unreserved(byte) || keep.contains(&byte) || (keep_escapes && is_escape(bytes, at)) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The one canonical URL of a media object: `https://{domain}/media/{key}` with the key encoded per segment
/// (`/` separates segments; see [`encode`]) and the raw query pairs encoded once per name and value (see
/// [`encode_value`]), in the given order. These are the
/// bytes clients send and the bytes signed: no URL parser re-encodes them (WHATWG leaves `%XX` alone).
pub fn canonical_url(domain: &str, key: &str, query: &[(&str, &str)]) -> String {
    let mut url = format!("https://{domain}/media/{}", encode(key, b"/"));
    for (index, (name, value)) in query.iter().enumerate() {
        url.push(if index == 0 { '?' } else { '&' });
        url.push_str(&encode_value(name));
        url.push('=');
        url.push_str(&encode_value(value));
    }
    url
}

/// CloudFront's base64: standard base64 with `+`→`-`, `=`→`_`, `/`→`~`.
pub fn cf_base64(bytes: &[u8]) -> String {
    STANDARD
        .encode(bytes)
        .chars()
        .map(|c| match c {
            '+' => '-',
            '=' => '_',
            '/' => '~',
            other => other,
        })
        .collect()
}

/// Reverses [`cf_base64`]; `None` when the text is not CloudFront base64.
pub fn cf_base64_decode(text: &str) -> Option<Vec<u8>> {
    let standard: String = text
        .chars()
        .map(|c| match c {
            '-' => Some('+'),
            '_' => Some('='),
            '~' => Some('/'),
            '+' | '=' | '/' => None,
            other => Some(other),
        })
        .collect::<Option<String>>()?;
    STANDARD.decode(standard).ok()
}

/// A policy statement: what may be fetched, until when, from when, from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The URL (canned) or URL pattern (custom; `*` and `?` wildcards). `None` (custom only): any URL.
    pub resource: Option<String>,
    /// `DateLessThan`: epoch seconds, UTC.
    pub expires: u64,
    /// `DateGreaterThan`: epoch seconds, UTC.
    pub starts: Option<u64>,
    /// `IpAddress`: an IPv4 address or CIDR (`a.b.c.d/nn`).
    pub ip: Option<String>,
}

fn check_text(text: &str, what: &'static str) -> Result<(), PolicyError> {
    if text.bytes().any(|b| b == b'"' || b == b'\\' || b.is_ascii_control()) {
        return Err(PolicyError::Injection(what));
    }
    Ok(())
}

impl Policy {
    /// A policy for `resource` until `expires`, after checking the resource (no `"`, an http(s) or `*://` URL).
    pub fn new(resource: &str, expires: u64) -> Result<Policy, PolicyError> {
        check_text(resource, "resource")?;
        if !(resource.starts_with("https://") || resource.starts_with("http://") || resource.starts_with("*://")) {
            return Err(PolicyError::Scheme);
        }
        Ok(Policy { resource: Some(resource.to_owned()), expires, starts: None, ip: None })
    }

    /// Adds `IpAddress` (an IPv4 address, written `/32`, or a CIDR).
    pub fn with_ip(mut self, ip: &str) -> Result<Policy, PolicyError> {
        check_text(ip, "ip")?;
        let cidr = if ip.contains('/') { ip.to_owned() } else { format!("{ip}/32") };
        parse_cidr(&cidr).ok_or(PolicyError::Ip)?;
        self.ip = Some(cidr);
        Ok(self)
    }

    /// Adds `DateGreaterThan`.
    pub fn with_start(mut self, starts: u64) -> Policy {
        self.starts = Some(starts);
        self
    }

    /// The canned policy's bytes (resource and expiry only), exactly as CloudFront rebuilds them.
    pub fn canned_json(&self) -> String {
        format!(
            r#"{{"Statement":[{{"Resource":"{}","Condition":{{"DateLessThan":{{"AWS:EpochTime":{}}}}}}}]}}"#,
            self.resource.as_deref().unwrap_or_default(),
            self.expires
        )
    }

    /// Whether this policy can be sent canned (no wildcard, no start, no IP).
    pub fn is_canned(&self) -> bool {
        self.starts.is_none()
            && self.ip.is_none()
            && self.resource.as_deref().is_some_and(|r| !r.contains('*') && !r.starts_with("*://"))
    }

    /// The custom policy's bytes, in the SDKs' key order.
    pub fn custom_json(&self) -> String {
        let mut condition = format!(r#"{{"DateLessThan":{{"AWS:EpochTime":{}}}"#, self.expires);
        if let Some(starts) = self.starts {
            condition.push_str(&format!(r#","DateGreaterThan":{{"AWS:EpochTime":{starts}}}"#));
        }
        if let Some(ip) = &self.ip {
            condition.push_str(&format!(r#","IpAddress":{{"AWS:SourceIp":"{ip}"}}"#));
        }
        condition.push('}');
        match &self.resource {
            Some(resource) => format!(r#"{{"Statement":[{{"Resource":"{resource}","Condition":{condition}}}]}}"#),
            None => format!(r#"{{"Statement":[{{"Condition":{condition}}}]}}"#),
        }
    }

    /// Parses a custom policy (as decoded from `Policy`): exactly one statement, integer epoch seconds (a
    /// millisecond epoch is refused), known conditions only. `None` when it is not a policy this gate accepts.
    pub fn parse(json: &[u8]) -> Option<Policy> {
        let value: serde_json::Value = serde_json::from_slice(json).ok()?;
        let statement = match value.get("Statement")? {
            serde_json::Value::Array(items) if items.len() == 1 => &items[0],
            object @ serde_json::Value::Object(_) => object,
            _ => return None,
        };
        let statement = statement.as_object()?;
        if statement.keys().any(|k| k != "Resource" && k != "Condition") {
            return None;
        }
        let resource = match statement.get("Resource") {
            None => None,
            Some(resource) => Some(resource.as_str()?.to_owned()),
        };
        let condition = statement.get("Condition")?.as_object()?;
        let epoch = |name: &str| -> Option<Option<u64>> {
            match condition.get(name) {
                None => Some(None),
                Some(value) => {
                    let object = value.as_object()?;
                    if object.len() != 1 {
                        return None;
                    }
                    let seconds = object.get("AWS:EpochTime")?.as_u64()?;
                    (seconds <= MAX_EPOCH_SECONDS).then_some(Some(seconds))
                }
            }
        };
        let expires = epoch("DateLessThan")??;
        let starts = epoch("DateGreaterThan")?;
        let ip = match condition.get("IpAddress") {
            None => None,
            Some(value) => {
                let object = value.as_object()?;
                let ip = object.get("AWS:SourceIp")?.as_str()?;
                if object.len() != 1 {
                    return None;
                }
                parse_cidr(ip)?;
                Some(ip.to_owned())
            }
        };
        if condition.keys().any(|k| !matches!(k.as_str(), "DateLessThan" | "DateGreaterThan" | "IpAddress")) {
            return None;
        }
        Some(Policy { resource, expires, starts, ip })
    }
}

/// An IPv4 CIDR as (network, prefix length).
pub fn parse_cidr(cidr: &str) -> Option<(u32, u32)> {
    let (address, bits) = cidr.split_once('/').unwrap_or((cidr, "32"));
    let bits: u32 = bits.parse().ok().filter(|b| *b <= 32)?;
    let address: std::net::Ipv4Addr = address.parse().ok()?;
    Some((u32::from(address), bits))
}

/// Whether the IPv4 address `ip` is inside `cidr`.
pub fn ip_in(ip: &str, cidr: &str) -> bool {
    let (Some((network, bits)), Ok(address)) = (parse_cidr(cidr), ip.trim().parse::<std::net::Ipv4Addr>()) else {
        return false;
    };
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
    (u32::from(address) & mask) == (network & mask)
}

/// The signature of `policy` bytes, in CloudFront base64.
pub async fn sign<S: MediaSigner>(
    signer: &S,
    keys: &MediaKeys,
    hash: HashAlgorithm,
    policy: &str,
) -> Result<String, String> {
    let signature = signer.sign(&keys.private, hash, policy.as_bytes()).await?;
    Ok(cf_base64(&signature))
}

/// The query parameters of a signed URL (canned when the policy allows it, custom otherwise), in CloudFront's
/// order, to append to the URL the policy's resource names.
pub async fn url_params<S: MediaSigner>(
    signer: &S,
    keys: &MediaKeys,
    hash: HashAlgorithm,
    policy: &Policy,
) -> Result<Vec<(&'static str, String)>, String> {
    let mut params = Vec::with_capacity(4);
    if policy.is_canned() {
        params.push(("Expires", policy.expires.to_string()));
        params.push(("Signature", sign(signer, keys, hash, &policy.canned_json()).await?));
    } else {
        let json = policy.custom_json();
        params.push(("Policy", cf_base64(json.as_bytes())));
        params.push(("Signature", sign(signer, keys, hash, &json).await?));
    }
    params.push(("Key-Pair-Id", keys.key_pair_id.clone()));
    if hash == HashAlgorithm::Sha256 {
        params.push(("Hash-Algorithm", "SHA256".to_owned()));
    }
    Ok(params)
}

/// Appends signing `params` to `url` (after its own query, if any).
pub fn append_params(url: &str, params: &[(&'static str, String)]) -> String {
    let mut out = url.to_owned();
    for (name, value) in params {
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}
