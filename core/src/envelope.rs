//! The response envelope: `{"success":true,"data":…}` and
//! `{"success":false,"error":{"code","message","details"}}`, and the headers every answer carries.

use crate::error::ApiError;
use http::header::{HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{Response, StatusCode};
use serde::Serialize;

/// The content type of every envelope.
pub const JSON: &str = "application/json; charset=utf-8";

/// How a successful answer may be cached by shared caches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// Public catalog data: any cache may keep it for this many seconds.
    Public {
        /// `max-age` in seconds.
        max_age: u32,
    },
    /// Per-user or otherwise uncacheable: `private, no-store`.
    NoStore,
}

impl Caching {
    fn header(self) -> HeaderValue {
        match self {
            Caching::Public { max_age } => HeaderValue::from_str(&format!("public, max-age={max_age}"))
                .unwrap_or(HeaderValue::from_static("no-store")),
            Caching::NoStore => HeaderValue::from_static("private, no-store"),
        }
    }
}

#[derive(Serialize)]
struct Success<'a, T: Serialize> {
    success: bool,
    data: &'a T,
}

/// A `{"success":true,"data":…}` answer with `status`.
pub fn success<T: Serialize>(status: StatusCode, data: &T, caching: Caching) -> Response<Vec<u8>> {
    match serde_json::to_vec(&Success { success: true, data }) {
        Ok(body) => json_response(status, body, caching.header()),
        Err(err) => error(&ApiError::Internal { internal: format!("serialising a response: {err}") }),
    }
}

/// The error envelope for `err`, with its status and its headers (`Allow`, `Retry-After`).
pub fn error(err: &ApiError) -> Response<Vec<u8>> {
    let body = serde_json::json!({
        "success": false,
        "error": { "code": err.code(), "message": err.message(), "details": err.details() }
    });
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| br#"{"success":false}"#.to_vec());
    let mut response = json_response(err.status(), bytes, HeaderValue::from_static("no-store"));
    let headers = response.headers_mut();
    match err {
        ApiError::MethodNotAllowed { allow } => {
            if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
                headers.insert(ALLOW, value);
            }
        }
        ApiError::OriginUnavailable { retry_after, .. } | ApiError::RateLimited { retry_after, .. } => {
            headers.insert(RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        ApiError::Unauthorized => {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"momentum\""));
        }
        ApiError::TokenExpired => {
            headers.insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static(
                    "Bearer realm=\"momentum\", error=\"invalid_token\", error_description=\"the token has expired\"",
                ),
            );
        }
        ApiError::TokenInvalid { .. } => {
            headers.insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"momentum\", error=\"invalid_token\""),
            );
        }
        _ => {}
    }
    response
}

fn json_response(status: StatusCode, body: Vec<u8>, cache_control: HeaderValue) -> Response<Vec<u8>> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    headers.insert(CACHE_CONTROL, cache_control);
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    response
}
