//! The gate: `GET /media/{key}` with a CloudFront signed URL or signed cookies is checked here — the policy
//! rebuilt (canned) or parsed (custom), its resource matched against the URL the request names, expiry, start
//! time and IP checked with the clock port, the signature verified with a trusted public key — and only then
//! proxied to the media origin, byte ranges passed through (206). Every refusal is the same 403, whatever failed,
//! so the answer teaches an attacker nothing.
//!
//! The URL checked is `https://{MEDIA_DOMAIN}` + the request's path and query as they arrived (percent-encoded,
//! never re-encoded), without CloudFront's own parameters: the public name of the media host, never the `Host`
//! header, which the edge does not trust.

use super::cloudfront::{cf_base64_decode, ip_in, Policy, MAX_EPOCH_SECONDS, SIGNING_PARAMS};
use super::{resource, HashAlgorithm, MediaConfig};
use crate::app::{App, Ports};
use crate::error::ApiError;
use crate::ports::{Clock, HttpClient, MediaSigner};
use http::header::{HeaderName, HeaderValue, CACHE_CONTROL, COOKIE};
use http::{Request, Response, StatusCode};

/// The client's IP address, as the shell knows it (Workers: `CF-Connecting-IP`). A shell that cannot know it
/// leaves it out, and policies with an `IpAddress` condition are then refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIp(pub String);

/// The one refusal of the gate.
pub const DENIED: ApiError = ApiError::Forbidden { reason: "signature_required" };

/// Request headers passed to the media origin.
const FORWARDED: [&str; 4] = ["range", "if-range", "if-none-match", "if-modified-since"];
/// Origin response headers passed back.
const RETURNED: [&str; 6] =
    ["content-type", "content-range", "accept-ranges", "etag", "last-modified", "content-encoding"];

/// What a request presents: the signature parameters, from the URL or else from the cookies.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Presented {
    /// `Expires` (canned).
    pub expires: Option<String>,
    /// `Policy` (custom), CloudFront base64.
    pub policy: Option<String>,
    /// `Signature`, CloudFront base64.
    pub signature: Option<String>,
    /// `Key-Pair-Id`.
    pub key_pair_id: Option<String>,
    /// `Hash-Algorithm`.
    pub hash: Option<String>,
}

impl Presented {
    fn set(&mut self, name: &str, value: &str) {
        let slot = match name {
            "Expires" => &mut self.expires,
            "Policy" => &mut self.policy,
            "Signature" => &mut self.signature,
            "Key-Pair-Id" => &mut self.key_pair_id,
            "Hash-Algorithm" => &mut self.hash,
            _ => return,
        };
        // A parameter given twice is ambiguous: refuse rather than pick one.
        *slot = if slot.is_some() { Some(String::new()) } else { Some(value.to_owned()) };
    }

    fn any(&self) -> bool {
        self.expires.is_some() || self.policy.is_some() || self.signature.is_some() || self.key_pair_id.is_some()
    }
}

/// Splits a raw query into the CloudFront parameters and the rest (kept raw, in order).
pub fn split_query(query: Option<&str>) -> (Presented, String) {
    let mut presented = Presented::default();
    let mut rest = Vec::new();
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if SIGNING_PARAMS.contains(&name) {
            presented.set(name, value);
        } else {
            rest.push(pair);
        }
    }
    (presented, rest.join("&"))
}

/// The `CloudFront-*` cookies of a request.
pub fn from_cookies(request: &Request<Vec<u8>>) -> Presented {
    let mut presented = Presented::default();
    for header in request.headers().get_all(COOKIE) {
        let Ok(header) = header.to_str() else { continue };
        for pair in header.split(';') {
            if let Some((name, value)) = pair.trim().split_once('=') {
                if let Some(param) = name.strip_prefix("CloudFront-") {
                    presented.set(param, value.trim_matches('"'));
                }
            }
        }
    }
    presented
}

fn epoch(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|n| *n <= MAX_EPOCH_SECONDS)
}

/// Checks what the request presents for `url` at `now_secs`: `Ok(true)` when the signature lets it through.
pub async fn allows<S: MediaSigner>(
    signer: &S,
    media: &MediaConfig,
    presented: &Presented,
    url: &str,
    client_ip: Option<&str>,
    now_secs: u64,
) -> Result<bool, ApiError> {
    let (Some(signature), Some(key_pair_id)) = (&presented.signature, &presented.key_pair_id) else {
        return Ok(false);
    };
    let Some(hash) = HashAlgorithm::parse(presented.hash.as_deref()) else {
        return Ok(false);
    };
    let (policy, message) = match (&presented.expires, &presented.policy) {
        (Some(expires), None) => {
            let Some(expires) = epoch(expires) else { return Ok(false) };
            let Ok(policy) = Policy::new(url, expires) else { return Ok(false) };
            let message = policy.canned_json().into_bytes();
            (policy, message)
        }
        (None, Some(encoded)) => {
            let Some(message) = cf_base64_decode(encoded) else { return Ok(false) };
            let Some(policy) = Policy::parse(&message) else { return Ok(false) };
            if !policy.resource.as_deref().is_none_or(|pattern| resource::matches(pattern, url)) {
                return Ok(false);
            }
            (policy, message)
        }
        _ => return Ok(false),
    };
    if now_secs >= policy.expires || policy.starts.is_some_and(|starts| now_secs < starts) {
        return Ok(false);
    }
    if let Some(cidr) = &policy.ip {
        if !client_ip.is_some_and(|ip| ip_in(ip, cidr)) {
            return Ok(false);
        }
    }
    let Some(key) = media.keys.public.iter().find(|key| &key.id == key_pair_id) else {
        return Ok(false);
    };
    let Some(signature) = cf_base64_decode(signature) else {
        return Ok(false);
    };
    signer
        .verify(key, hash, &message, &signature)
        .await
        .map_err(|err| ApiError::Internal { internal: format!("media signature check: {err}") })
}

impl<P: Ports> App<P> {
    /// `GET /media/{key}`: the gate, then the media origin.
    pub(crate) async fn media_object(&self, request: &Request<Vec<u8>>) -> Result<Response<Vec<u8>>, ApiError> {
        let media = self.config.media.as_ref().ok_or(ApiError::NotImplemented)?;
        let path = request.uri().path();
        let key_path = path.strip_prefix("/media/").ok_or(DENIED)?;
        let (in_url, rest) = split_query(request.uri().query());
        // Signed URLs take precedence over signed cookies, as at CloudFront.
        let presented = if in_url.any() { in_url } else { from_cookies(request) };
        let url = if rest.is_empty() {
            format!("https://{}{path}", media.domain)
        } else {
            format!("https://{}{path}?{rest}", media.domain)
        };
        let client_ip = request.extensions().get::<ClientIp>().map(|ip| ip.0.as_str());
        let now_secs = self.ports.clock().now_millis() / 1000;
        if !allows(self.ports.media(), media, &presented, &url, client_ip, now_secs).await? {
            return Err(DENIED);
        }
        self.media_fetch(media, key_path, &rest, request).await
    }

    async fn media_fetch(
        &self,
        media: &MediaConfig,
        key_path: &str,
        rest: &str,
        request: &Request<Vec<u8>>,
    ) -> Result<Response<Vec<u8>>, ApiError> {
        let mut target = format!("{}/{key_path}", media.origin);
        if !rest.is_empty() {
            target.push('?');
            target.push_str(rest);
        }
        let mut outgoing = Request::builder().method(http::Method::GET).uri(&target);
        for name in FORWARDED {
            if let Some(value) = request.headers().get(name) {
                outgoing = outgoing.header(name, value);
            }
        }
        let outgoing = outgoing
            .body(Vec::new())
            .map_err(|err| ApiError::Internal { internal: format!("media origin request: {err}") })?;
        let answer =
            self.ports.http().send(outgoing).await.map_err(|err| ApiError::OriginUnavailable {
                retry_after: 1,
                internal: format!("media origin: {err}"),
            })?;
        let status = answer.status();
        match status {
            StatusCode::NOT_FOUND => return Err(ApiError::NotFound { resource: "media" }),
            s if s.is_server_error() => {
                return Err(ApiError::OriginError { internal: format!("media origin answered {s}") })
            }
            StatusCode::OK | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED => {}
            StatusCode::RANGE_NOT_SATISFIABLE => {}
            s if s.is_client_error() => {
                return Err(ApiError::OriginError { internal: format!("media origin refused the request: {s}") })
            }
            s => return Err(ApiError::OriginError { internal: format!("media origin answered {s}") }),
        }
        let (parts, body) = answer.into_parts();
        let mut response = Response::new(body);
        *response.status_mut() = status;
        for name in RETURNED {
            if let Some(value) = parts.headers.get(name) {
                response.headers_mut().insert(HeaderName::from_static(name), value.clone());
            }
        }
        // Access was decided per request, by a credential: no shared cache may answer for it.
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
        Ok(response)
    }
}
