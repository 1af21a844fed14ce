//! `GET /media/lessons/{lessonId}/playback`: who may watch (one entitlement statement), and the signed answer.
//!
//! Entitled: an admin; otherwise the caller's enrollment in the lesson's course, the lesson's day unlocked in the
//! caller's time zone, and for a paid course (price > 0) the premium role or a paid enrollment (its payment
//! `succeeded`: a pending, failed or refunded one pays for nothing). A single file gets
//! a canned-policy signed URL; an HLS playlist (`.m3u8`) a custom policy over the lesson's folder, sent both as the
//! playlist's signed URL and as the three `CloudFront-*` cookies that carry the player through every segment.

use super::cloudfront::{self, canonical_url, encode, Policy};
use super::MediaConfig;
use crate::app::{App, Ports};
use crate::auth::{Principal, Role};
use crate::db::{ResultSet, SqlValue, Statement};
use crate::envelope::{self, Caching};
use crate::error::ApiError;
use crate::ports::Clock;
use http::header::{HeaderValue, SET_COOKIE};
use http::{Response, StatusCode};
use serde::Serialize;

/// The statement that answers who may watch `lesson_id`, as `user_id` at `now` ("YYYY-MM-DD HH:MM:SS", UTC).
/// Every value is a typed parameter; the unlock instant is computed in the caller's time zone.
pub fn entitlement_statement(lesson_id: &str, user_id: &str, now: &str) -> Statement {
    let unlock = crate::learning::unlock_sql("e", "u", "l.day");
    Statement::new(format!(
        "SELECT l.video_url, (c.price > 0) AS paid_course, (e.id IS NOT NULL) AS enrolled, \
         EXISTS (SELECT 1 FROM payments p WHERE p.id = e.payment_id AND p.status = 'succeeded') AS paid, COALESCE(u.role, 'free') AS role, {unlock} AS unlocks_at, \
         COALESCE({unlock} <= {now_sql}, false) AS unlocked \
         FROM lessons l JOIN courses c ON c.id = l.course_id \
         LEFT JOIN users u ON u.id = :user_id \
         LEFT JOIN enrollments e ON e.user_id = u.id AND e.course_id = l.course_id \
         WHERE l.id = :lesson_id",
        now_sql = crate::exec::NOW
    ))
    .bind("now", SqlValue::Timestamp(now.to_owned()))
    .bind("user_id", SqlValue::Uuid(user_id.to_ascii_lowercase()))
    .bind("lesson_id", SqlValue::Uuid(lesson_id.to_ascii_lowercase()))
}

/// `epoch_secs` as the statement's `now` and as RFC 3339 UTC.
fn times(epoch_secs: u64) -> (String, String) {
    (crate::exec::db_timestamp(epoch_secs.saturating_mul(1000)), crate::exec::rfc3339_secs(epoch_secs))
}

/// Decides from the entitlement row: `Ok(video_url)` when `role` may watch.
pub fn decide(rows: &ResultSet, role: Role) -> Result<Option<String>, ApiError> {
    let row = rows.first().ok_or(ApiError::NotFound { resource: "lesson" })?;
    let video = row.opt_text("video_url")?.map(str::to_owned);
    if role == Role::Admin {
        return Ok(video);
    }
    if !row.bool("enrolled")? {
        return Err(ApiError::EnrollmentRequired);
    }
    let premium = role == Role::Premium || row.text("role")? == "premium" || row.text("role")? == "admin";
    if row.bool("paid_course")? && !premium && !row.bool("paid")? {
        return Err(ApiError::Forbidden { reason: "PREMIUM_REQUIRED" });
    }
    if !row.bool("unlocked")? {
        return Err(ApiError::LessonLocked { unlocks_at: crate::users::rfc3339(row.text("unlocks_at")?) });
    }
    Ok(video)
}

/// The object key a lesson's `video_url` names: its path (any host), without the leading `/` (and a leading
/// `media/`). `None` when it names nothing servable (empty, dot segments).
pub fn media_key(video_url: &str) -> Option<String> {
    let without_scheme = video_url.split_once("://").map_or(video_url, |(_, rest)| rest);
    let path = if video_url.contains("://") {
        without_scheme.split_once('/').map(|(_, path)| path)?
    } else {
        without_scheme.trim_start_matches('/')
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = path.strip_prefix("media/").unwrap_or(path);
    let bad = |segment: &str| segment.is_empty() || segment == "." || segment == ".." || segment.contains('"');
    (!path.is_empty() && !path.split('/').any(bad)).then(|| path.to_owned())
}

/// Whether `folder` is `lessons/{lesson_id}` or one of its subfolders (ids compared case-insensitively).
pub fn within_lesson_folder(folder: &str, lesson_id: &str) -> bool {
    let folder = folder.to_ascii_lowercase();
    let own = format!("lessons/{}", lesson_id.to_ascii_lowercase());
    folder == own || folder.strip_prefix(&own).is_some_and(|rest| rest.starts_with('/'))
}

/// The playback answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Playback {
    /// The URL to play (signed).
    pub url: String,
    /// When the signature stops working (ISO-8601 UTC).
    pub expires_at: String,
    /// HLS: the `CloudFront-*` cookies, also sent as `Set-Cookie`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cookies: Option<serde_json::Map<String, serde_json::Value>>,
}

fn signing_failed(err: String) -> ApiError {
    ApiError::Internal { internal: format!("media signing: {err}") }
}

impl<P: Ports> App<P> {
    /// `GET /media/lessons/{lessonId}/playback`.
    pub(crate) async fn media_playback(
        &self,
        lesson_id: &str,
        principal: &Principal,
    ) -> Result<Response<Vec<u8>>, ApiError> {
        let media = self.config.media.as_ref().ok_or(ApiError::NotImplemented)?;
        if !crate::query::is_uuid(lesson_id) {
            return Err(ApiError::NotFound { resource: "lesson" });
        }
        let now_secs = self.ports.clock().now_millis() / 1000;
        let (now, _) = times(now_secs);
        let rows = self.query(&entitlement_statement(lesson_id, &principal.user_id, &now)).await?;
        let video = decide(&rows, principal.role)?;
        let key = video.as_deref().and_then(media_key).ok_or(ApiError::NotFound { resource: "video" })?;
        let expires = now_secs + media.ttl_secs;
        let (playback, cookies) = self.sign_playback(media, lesson_id, &key, expires).await?;
        let mut response = envelope::success(StatusCode::OK, &playback, Caching::NoStore);
        for cookie in cookies {
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(SET_COOKIE, value);
            }
        }
        Ok(response)
    }

    /// Signs `key` (the media of `lesson_id`) until `expires`: the answer and its `Set-Cookie` values.
    pub(crate) async fn sign_playback(
        &self,
        media: &MediaConfig,
        lesson_id: &str,
        key: &str,
        expires: u64,
    ) -> Result<(Playback, Vec<String>), ApiError> {
        let signer = self.ports.media();
        let url = canonical_url(&media.domain, key, &[]);
        let (_, expires_at) = times(expires);
        let invalid = |_| ApiError::Internal { internal: "the lesson's media key cannot be signed".into() };
        if !key.ends_with(".m3u8") {
            let policy = Policy::new(&url, expires).map_err(invalid)?;
            let params =
                cloudfront::url_params(signer, &media.keys, media.hash, &policy).await.map_err(signing_failed)?;
            let url = cloudfront::append_params(&url, &params);
            return Ok((Playback { url, expires_at, cookies: None }, Vec::new()));
        }
        let folder = key.rsplit_once('/').map_or("", |(folder, _)| folder);
        // The wildcard opens the whole folder: it must be this lesson's (`lessons/{lessonId}`, or below it), never
        // a folder shared with other lessons or the bucket's root, which would open them all.
        if !within_lesson_folder(folder, lesson_id) {
            return Err(ApiError::Internal {
                internal: format!("lesson {lesson_id}: an HLS playlist must lie under lessons/{lesson_id}/, not {key}"),
            });
        }
        let scope = format!("/media/{}/", encode(folder, b"/")).replace("//", "/");
        let policy = Policy::new(&format!("https://{}{scope}*", media.domain), expires).map_err(invalid)?;
        let params = cloudfront::url_params(signer, &media.keys, media.hash, &policy).await.map_err(signing_failed)?;
        let mut cookies = serde_json::Map::new();
        let mut set_cookies = Vec::new();
        for (name, value) in &params {
            let name = format!("CloudFront-{name}");
            set_cookies
                .push(format!("{name}={value}; Domain={}; Path={scope}; Secure; HttpOnly; SameSite=Lax", media.domain));
            cookies.insert(name, serde_json::Value::from(value.as_str()));
        }
        let url = cloudfront::append_params(&url, &params);
        Ok((Playback { url, expires_at, cookies: Some(cookies) }, set_cookies))
    }
}
