//! The one list of error codes the API answers with, each with its HTTP status.
//!
//! Every failure a client can see is an [`ApiError`]; [`ApiError::status`] and [`ApiError::code`] are the only
//! mapping from failure to wire. Internal causes (SQL text, origin messages) are never put in a response: they
//! are kept in [`ApiError::Internal`]-style variants for logs only.

use http::StatusCode;
use serde_json::{Map, Value};

/// A failure the API reports to its caller in the error envelope.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// 400 `VALIDATION_ERROR`: a query parameter, path segment or body field is invalid; `field` names it.
    Validation {
        /// The offending field, as the client spelled it (e.g. `limit`).
        field: String,
        /// What is wrong with it, for a human.
        reason: String,
    },
    /// 401 `UNAUTHORIZED`: the route needs a bearer token and none was sent.
    Unauthorized,
    /// 401 `TOKEN_EXPIRED`: the token's `exp` (plus leeway) has passed.
    TokenExpired,
    /// 401 `TOKEN_INVALID`: the token is malformed, forged, for another pool/client, or otherwise unacceptable.
    TokenInvalid {
        /// Why, in a few words (safe to send: it names the rule, not the key material).
        reason: &'static str,
    },
    /// 403 `API_KEY_INVALID`: `x-api-key` is missing or unknown.
    ApiKeyInvalid,
    /// 403 `FORBIDDEN`: signed in, but this role or user may not do this.
    Forbidden {
        /// Which rule refused (`admin_required`, `not_your_resource`).
        reason: &'static str,
    },
    /// 429 `RATE_LIMITED`: the API key's plan is spent for now; retry after `retry_after` seconds.
    RateLimited {
        /// Seconds, sent as `Retry-After`.
        retry_after: u32,
        /// Whether the daily quota (rather than the rate) ran out.
        quota: bool,
    },
    /// 409 `CONFLICT`: the write contradicts the data (a unique key, or lessons beyond a shortened course).
    Conflict {
        /// Which rule (`lessons_beyond_duration`, `duplicate`).
        reason: &'static str,
    },
    /// 413 `PAYLOAD_TOO_LARGE`: the body is over 64 KiB.
    PayloadTooLarge,
    /// 402 `PAYMENT_REQUIRED`: the course has a price and the caller has no premium plan.
    PaymentRequired,
    /// 403 `ENROLLMENT_REQUIRED`: the caller is not enrolled in the lesson's course.
    EnrollmentRequired,
    /// 403 `LESSON_LOCKED`: enrolled, but the lesson's day has not begun in the learner's time zone.
    LessonLocked {
        /// When it opens (RFC 3339, UTC), sent as `details.unlocksAt`.
        unlocks_at: String,
    },
    /// 422 `IDEMPOTENCY_KEY_REUSED`: the `Idempotency-Key` was first used with another request.
    IdempotencyKeyReused,
    /// 501 `NOT_IMPLEMENTED`: the route exists and its access rule passed, but this deployment does not serve it yet.
    NotImplemented,
    /// 404 `NOT_FOUND`: no route, or no such resource.
    NotFound {
        /// What was looked for (`route`, `course`, `lesson`).
        resource: &'static str,
    },
    /// 405 `METHOD_NOT_ALLOWED`: the path exists but not with this method; `allow` lists the methods it has.
    MethodNotAllowed {
        /// The methods the path accepts, for the `Allow` header.
        allow: &'static [&'static str],
    },
    /// 502 `ORIGIN_ERROR`: the origin answered something the edge cannot use.
    OriginError {
        /// Why, for logs only; never sent.
        internal: String,
    },
    /// 503 `ORIGIN_UNAVAILABLE`: the origin is resuming, throttled or down; retry after `retry_after` seconds.
    OriginUnavailable {
        /// Seconds the client should wait, sent as `Retry-After`.
        retry_after: u32,
        /// Why, for logs only; never sent.
        internal: String,
    },
    /// 504 `ORIGIN_TIMEOUT`: the origin did not finish in time.
    OriginTimeout {
        /// Why, for logs only; never sent.
        internal: String,
    },
    /// 500 `INTERNAL_ERROR`: a bug or a misconfiguration of this deployment.
    Internal {
        /// Why, for logs only; never sent.
        internal: String,
    },
}

impl ApiError {
    /// A validation error on `field`.
    pub fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ApiError::Validation { field: field.into(), reason: reason.into() }
    }

    /// The HTTP status this error is sent with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized | ApiError::TokenExpired | ApiError::TokenInvalid { .. } => StatusCode::UNAUTHORIZED,
            ApiError::ApiKeyInvalid
            | ApiError::Forbidden { .. }
            | ApiError::EnrollmentRequired
            | ApiError::LessonLocked { .. } => StatusCode::FORBIDDEN,
            ApiError::PaymentRequired => StatusCode::PAYMENT_REQUIRED,
            ApiError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotImplemented => StatusCode::NOT_IMPLEMENTED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::OriginError { .. } => StatusCode::BAD_GATEWAY,
            ApiError::OriginUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::OriginTimeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, machine-readable code in `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation { .. } => "VALIDATION_ERROR",
            ApiError::Unauthorized => "UNAUTHORIZED",
            ApiError::TokenExpired => "TOKEN_EXPIRED",
            ApiError::TokenInvalid { .. } => "TOKEN_INVALID",
            ApiError::ApiKeyInvalid => "API_KEY_INVALID",
            ApiError::Forbidden { .. } => "FORBIDDEN",
            ApiError::RateLimited { .. } => "RATE_LIMITED",
            ApiError::NotImplemented => "NOT_IMPLEMENTED",
            ApiError::Conflict { .. } => "CONFLICT",
            ApiError::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ApiError::PaymentRequired => "PAYMENT_REQUIRED",
            ApiError::EnrollmentRequired => "ENROLLMENT_REQUIRED",
            ApiError::LessonLocked { .. } => "LESSON_LOCKED",
            ApiError::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            ApiError::NotFound { .. } => "NOT_FOUND",
            ApiError::MethodNotAllowed { .. } => "METHOD_NOT_ALLOWED",
            ApiError::OriginError { .. } => "ORIGIN_ERROR",
            ApiError::OriginUnavailable { .. } => "ORIGIN_UNAVAILABLE",
            ApiError::OriginTimeout { .. } => "ORIGIN_TIMEOUT",
            ApiError::Internal { .. } => "INTERNAL_ERROR",
        }
    }

    /// The human-readable `error.message`.
    pub fn message(&self) -> String {
        match self {
            ApiError::Validation { field, reason } => format!("invalid {field}: {reason}"),
            ApiError::Unauthorized => "a bearer token is required".to_owned(),
            ApiError::TokenExpired => "the token has expired".to_owned(),
            ApiError::TokenInvalid { .. } => "the token is not valid".to_owned(),
            ApiError::ApiKeyInvalid => "a valid x-api-key header is required".to_owned(),
            ApiError::Forbidden { .. } => "you may not do this".to_owned(),
            ApiError::RateLimited { quota: true, .. } => "the API key's daily quota is spent".to_owned(),
            ApiError::RateLimited { .. } => "too many requests for this API key".to_owned(),
            ApiError::NotImplemented => "this route is not served yet".to_owned(),
            ApiError::Conflict { .. } => "the change conflicts with existing data".to_owned(),
            ApiError::PayloadTooLarge => "the request body is over 64 KiB".to_owned(),
            ApiError::PaymentRequired => "this course needs a premium plan".to_owned(),
            ApiError::EnrollmentRequired => "enroll in the course first".to_owned(),
            ApiError::LessonLocked { .. } => "this lesson opens on its day of the course".to_owned(),
            ApiError::IdempotencyKeyReused => {
                "this Idempotency-Key was already used with a different request".to_owned()
            }
            ApiError::NotFound { resource: "route" } => "no such route".to_owned(),
            ApiError::NotFound { resource } => format!("{resource} not found"),
            ApiError::MethodNotAllowed { .. } => "method not allowed on this path".to_owned(),
            ApiError::OriginError { .. } => "the origin returned an unusable answer".to_owned(),
            ApiError::OriginUnavailable { .. } => "the origin is temporarily unavailable; retry later".to_owned(),
            ApiError::OriginTimeout { .. } => "the origin did not answer in time".to_owned(),
            ApiError::Internal { .. } => "internal error".to_owned(),
        }
    }

    /// The `error.details` object: safe, structured facts about the failure.
    pub fn details(&self) -> Map<String, Value> {
        let mut details = Map::new();
        match self {
            ApiError::Validation { field, reason } => {
                details.insert("field".into(), Value::from(field.as_str()));
                details.insert("reason".into(), Value::from(reason.as_str()));
            }
            ApiError::NotFound { resource } => {
                details.insert("resource".into(), Value::from(*resource));
            }
            ApiError::TokenInvalid { reason } | ApiError::Forbidden { reason } | ApiError::Conflict { reason } => {
                details.insert("reason".into(), Value::from(*reason));
            }
            ApiError::EnrollmentRequired => {
                details.insert("reason".into(), Value::from("ENROLLMENT_REQUIRED"));
            }
            ApiError::LessonLocked { unlocks_at } => {
                details.insert("reason".into(), Value::from("LESSON_LOCKED"));
                details.insert("unlocksAt".into(), Value::from(unlocks_at.as_str()));
            }
            ApiError::RateLimited { retry_after, quota } => {
                details.insert("retryAfterSeconds".into(), Value::from(*retry_after));
                details.insert("limit".into(), Value::from(if *quota { "daily_quota" } else { "rate" }));
            }
            ApiError::MethodNotAllowed { allow } => {
                details.insert("allow".into(), Value::from(allow.to_vec()));
            }
            ApiError::OriginUnavailable { retry_after, .. } => {
                details.insert("retryAfterSeconds".into(), Value::from(*retry_after));
            }
            ApiError::Unauthorized
            | ApiError::PaymentRequired
            | ApiError::IdempotencyKeyReused
            | ApiError::TokenExpired
            | ApiError::ApiKeyInvalid
            | ApiError::NotImplemented
            | ApiError::PayloadTooLarge
            | ApiError::OriginError { .. }
            | ApiError::OriginTimeout { .. }
            | ApiError::Internal { .. } => {}
        }
        details
    }

    /// The internal cause, for logs; `None` when the public message says it all.
    pub fn internal(&self) -> Option<&str> {
        match self {
            ApiError::OriginError { internal }
            | ApiError::OriginUnavailable { internal, .. }
            | ApiError::OriginTimeout { internal }
            | ApiError::Internal { internal } => Some(internal),
            _ => None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())?;
        if let Some(internal) = self.internal() {
            write!(f, " ({internal})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}
