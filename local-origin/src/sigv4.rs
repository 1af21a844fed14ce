//! AWS Signature Version 4 verification, as the Data API endpoint does it.
//!
//! The edge signs every Data API call with the `aws-sigv4` crate; checking those signatures here means a
//! signing bug (wrong region, a header changed after signing, a stale clock) fails on the laptop instead of
//! first on AWS. The verifier is pure: it takes the request parts and the current time and does no I/O.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use axum::http::HeaderMap;
use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{ApiError, ErrorCode};

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// How far `x-amz-date` may be from the server clock, either way.
const MAX_SKEW: Duration = Duration::from_secs(15 * 60);
const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. \
Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// Everything outside RFC 3986's unreserved set is percent-encoded.
const QUERY_SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
/// Paths keep their `/` separators.
const PATH_SET: &AsciiSet = &QUERY_SET.remove(b'/');

/// The parts of an HTTP request that a SigV4 signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// The path exactly as received on the wire (still percent-encoded).
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
    /// All request headers.
    pub headers: &'a HeaderMap,
    /// The raw body bytes.
    pub body: &'a [u8],
}

/// Checks SigV4 `Authorization` headers for one region and service against a set of known keys.
#[derive(Debug, Clone)]
pub struct Verifier {
    region: String,
    service: String,
    secrets: HashMap<String, String>,
}

impl Verifier {
    /// A verifier for `service` in `region` that knows no keys yet.
    pub fn new(region: impl Into<String>, service: impl Into<String>) -> Self {
        Self { region: region.into(), service: service.into(), secrets: HashMap::new() }
    }

    /// Adds an access key id and its secret.
    pub fn with_key(mut self, access_key_id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.secrets.insert(access_key_id.into(), secret.into());
        self
    }

    /// Verifies the request's signature at time `now`; the error is the 403 AWS would answer.
    pub fn verify(&self, req: &SignedRequest<'_>, now: SystemTime) -> Result<(), ApiError> {
        let auth = parse_authorization(req.headers)?;
        let scope: Vec<&str> = auth.credential.split('/').collect();
        let [access_key_id, scope_date, region, service, terminator] = scope[..] else {
            return Err(incomplete(format!("Authorization header credential is malformed: '{}'.", auth.credential)));
        };
        if terminator != "aws4_request" {
            return Err(invalid(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
            )));
        }
        let Some(secret) = self.secrets.get(access_key_id) else {
            return Err(ApiError::new(
                ErrorCode::UnrecognizedClientException,
                "The security token included in the request is invalid.",
            ));
        };
        let amz_date = header_str(req.headers, "x-amz-date").ok_or_else(|| {
            incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        })?;
        let signed_at = parse_amz_date(amz_date)
            .ok_or_else(|| incomplete(format!("Date must be in ISO-8601 'basic format'. Got '{amz_date}'.")))?;
        if !amz_date.starts_with(scope_date) || scope_date.len() != 8 {
            return Err(invalid(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
                 '{scope_date}' != '{}', from '{amz_date}'.",
                &amz_date[..8]
            )));
        }
        if region != self.region {
            return Err(invalid("Credential should be scoped to a valid region."));
        }
        if service != self.service {
            return Err(invalid(format!("Credential should be scoped to correct service: '{}'.", self.service)));
        }
        let signed_headers: Vec<&str> = auth.signed_headers.split(';').collect();
        if !signed_headers.contains(&"host") {
            return Err(incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization."));
        }

        let body_hash = hex::encode(Sha256::digest(req.body));
        let payload_hash = match header_str(req.headers, "x-amz-content-sha256") {
            Some(claimed) if signed_headers.contains(&"x-amz-content-sha256") => {
                if claimed != body_hash {
                    return Err(invalid(
                        "The provided 'x-amz-content-sha256' header does not match what was computed.",
                    ));
                }
                claimed.to_owned()
            }
            _ => body_hash,
        };

        let canonical = canonical_request(req, &signed_headers, auth.signed_headers, &payload_hash);
        let scope = format!("{scope_date}/{region}/{service}/aws4_request");
        let string_to_sign =
            format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
        let key = signing_key(secret, scope_date, region, service);
        let expected = hex::encode(hmac(&key, string_to_sign.as_bytes()));
        if !bool::from(expected.as_bytes().ct_eq(auth.signature.as_bytes())) {
            return Err(invalid(MISMATCH));
        }
        check_skew(signed_at, now, amz_date)
    }
}

/// The three components of an `Authorization: AWS4-HMAC-SHA256 ...` header.
struct Authorization<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse_authorization(headers: &HeaderMap) -> Result<Authorization<'_>, ApiError> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Err(ApiError::new(ErrorCode::MissingAuthenticationTokenException, "Missing Authentication Token"));
    };
    let value = value.to_str().map_err(|_| incomplete("Authorization header is not valid ASCII."))?;
    let Some(rest) = value.strip_prefix(ALGORITHM).and_then(|r| r.strip_prefix(' ')) else {
        return Err(incomplete(format!("Authorization header requires the '{ALGORITHM}' algorithm.")));
    };
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let Some((name, val)) = part.trim().split_once('=') else {
            continue;
        };
        match name {
            "Credential" => credential = Some(val),
            "SignedHeaders" => signed_headers = Some(val),
            "Signature" => signature = Some(val),
            _ => {}
        }
    }
    let mut missing = String::new();
    for (name, found) in [
        ("Credential", credential.is_some()),
        ("Signature", signature.is_some()),
        ("SignedHeaders", signed_headers.is_some()),
    ] {
        if !found {
            missing.push_str(&format!("Authorization header requires '{name}' parameter. "));
        }
    }
    match (credential, signed_headers, signature) {
        (Some(credential), Some(signed_headers), Some(signature)) => {
            Ok(Authorization { credential, signed_headers, signature })
        }
        _ => Err(incomplete(format!("{missing}Authorization={value}"))),
    }
}

fn canonical_request(
    req: &SignedRequest<'_>,
    signed_headers: &[&str],
    signed_headers_text: &str,
    payload_hash: &str,
) -> String {
    let mut headers = String::new();
    for name in signed_headers {
        let values: Vec<String> =
            req.headers.get_all(*name).iter().map(|v| trim_all(&String::from_utf8_lossy(v.as_bytes()))).collect();
        headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    format!(
        "{}\n{}\n{}\n{headers}\n{signed_headers_text}\n{payload_hash}",
        req.method,
        canonical_uri(req.path),
        canonical_query(req.query.unwrap_or_default()),
    )
}

/// Removes dot segments and empty segments, then percent-encodes the (already encoded) wire path once more,
/// as every service but S3 does.
fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut normalized = format!("/{}", segments.join("/"));
    if path.ends_with('/') && normalized.len() > 1 {
        normalized.push('/');
    }
    utf8_percent_encode(&normalized, PATH_SET).to_string()
}

/// Decodes each `name=value` pair like a form (as `aws-sigv4` does), re-encodes it strictly, and sorts.
fn canonical_query(query: &str) -> String {
    let decode = |s: &str| percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                utf8_percent_encode(&decode(k), QUERY_SET).to_string(),
                utf8_percent_encode(&decode(v), QUERY_SET).to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// Trims spaces and collapses runs of spaces to one, as SigV4 canonical headers require.
fn trim_all(value: &str) -> String {
    value.split(' ').filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
}

fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn parse_amz_date(value: &str) -> Option<SystemTime> {
    let naive = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%SZ").ok()?;
    Some(naive.and_utc().into())
}

fn format_amz_date(time: SystemTime) -> String {
    DateTime::<Utc>::from(time).format("%Y%m%dT%H%M%SZ").to_string()
}

fn check_skew(signed_at: SystemTime, now: SystemTime, amz_date: &str) -> Result<(), ApiError> {
    if signed_at + MAX_SKEW < now {
        return Err(invalid(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            format_amz_date(now - MAX_SKEW),
            format_amz_date(now)
        )));
    }
    if signed_at > now + MAX_SKEW {
        return Err(invalid(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            format_amz_date(now + MAX_SKEW),
            format_amz_date(now)
        )));
    }
    Ok(())
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn incomplete(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::IncompleteSignatureException, message)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidSignatureException, message)
}

#[cfg(test)]
#[path = "sigv4_tests.rs"]
mod tests;
