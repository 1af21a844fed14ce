//! `POST /uploads` (admin): a presigned S3 PUT URL for a lesson video or thumbnail. The core validates the
//! request and chooses the key; the [`UploadPresigner`](crate::ports::UploadPresigner) port signs it (SigV4 query
//! signing in `origin-adapters`, with credentials the core never sees), pinning the content type and length.

use crate::app::{App, Ports};
use crate::envelope::{self, Caching};
use crate::error::ApiError;
use crate::ports::{Clock, UploadPresigner};
use http::StatusCode;
use serde::Serialize;
use serde_json::Value;

/// Upload settings (the bucket and its credentials belong to the presigner, in the shell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadConfig {
    /// How long a presigned URL works, in seconds.
    pub ttl_secs: u64,
}

impl UploadConfig {
    /// Uploads are on when `S3_BUCKET` is set; `UPLOAD_URL_TTL_SECONDS` (300, at most 3600) bounds the URL.
    pub fn from_vars(var: &impl Fn(&str) -> Option<String>) -> Result<Option<UploadConfig>, String> {
        if var("S3_BUCKET").is_none_or(|v| v.trim().is_empty()) {
            return Ok(None);
        }
        let ttl_secs = match var("UPLOAD_URL_TTL_SECONDS").filter(|v| !v.trim().is_empty()) {
            None => 300,
            Some(raw) => raw
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|ttl| (1..=3600).contains(ttl))
                .ok_or("variable UPLOAD_URL_TTL_SECONDS must be 1..=3600")?,
        };
        Ok(Some(UploadConfig { ttl_secs }))
    }
}

/// What the port signs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PresignPut {
    /// The object key (unencoded; the presigner encodes it per S3's rules).
    pub key: String,
    /// The pinned `Content-Type`.
    pub content_type: String,
    /// The pinned `Content-Length`.
    pub content_length: u64,
    /// Lifetime in seconds.
    pub expires_secs: u64,
    /// The signing time, epoch ms (from the clock port).
    pub now_millis: u64,
}

/// The two kinds of upload, with their allowed types and sizes.
const KINDS: [(&str, &str, &[&str], u64); 2] = [
    ("video", "lessons", &["video/mp4", "video/quicktime", "video/webm"], 5 * 1024 * 1024 * 1024),
    ("thumbnail", "thumbnails", &["image/jpeg", "image/png", "image/webp"], 5 * 1024 * 1024),
];

/// A validated upload request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest {
    /// The object key: `lessons/{lessonId}/{fileName}` or `thumbnails/{lessonId}/{fileName}`.
    pub key: String,
    /// The content type.
    pub content_type: String,
    /// The length in bytes.
    pub content_length: u64,
}

impl UploadRequest {
    /// Parses `{"kind","lessonId","fileName","contentType","contentLength"}`; errors name the field.
    pub fn parse(body: &[u8]) -> Result<UploadRequest, ApiError> {
        let value: Value = serde_json::from_slice(body).map_err(|_| ApiError::validation("body", "not JSON"))?;
        let object = value.as_object().ok_or_else(|| ApiError::validation("body", "not a JSON object"))?;
        for name in object.keys() {
            if !matches!(name.as_str(), "kind" | "lessonId" | "fileName" | "contentType" | "contentLength") {
                return Err(ApiError::validation(name.as_str(), "unknown field"));
            }
        }
        let text = |name: &'static str| {
            object.get(name).and_then(Value::as_str).ok_or_else(|| ApiError::validation(name, "a string is required"))
        };
        let kind = text("kind")?;
        let (_, folder, types, max) = KINDS
            .iter()
            .find(|(k, ..)| *k == kind)
            .ok_or_else(|| ApiError::validation("kind", "must be video or thumbnail"))?;
        let lesson = text("lessonId")?;
        if !crate::query::is_uuid(lesson) {
            return Err(ApiError::validation("lessonId", "must be a UUID"));
        }
        let file = text("fileName")?;
        let bad = file.is_empty()
            || file.chars().count() > 200
            || file == "."
            || file == ".."
            // `%`: the signed playback URL keeps `%XX` as an escape (never encoded twice) while S3 stores the key
            // literally, so a name with `%` could be uploaded but never played.
            || file.chars().any(|c| c.is_control() || matches!(c, '/' | '\\' | '"' | '%'));
        if bad {
            return Err(ApiError::validation(
                "fileName",
                "1-200 characters, no slash, quote, percent sign or control character",
            ));
        }
        let content_type = text("contentType")?;
        if !types.contains(&content_type) {
            return Err(ApiError::validation("contentType", format!("must be one of {}", types.join(", "))));
        }
        let length = object
            .get("contentLength")
            .and_then(Value::as_u64)
            .filter(|n| (1..=*max).contains(n))
            .ok_or_else(|| ApiError::validation("contentLength", format!("a whole number of bytes, 1 to {max}")))?;
        Ok(UploadRequest {
            key: format!("{folder}/{}/{file}", lesson.to_ascii_lowercase()),
            content_type: content_type.to_owned(),
            content_length: length,
        })
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Upload {
    url: String,
    method: &'static str,
    headers: serde_json::Map<String, Value>,
    key: String,
    expires_at: String,
}

impl<P: Ports> App<P> {
    /// `POST /uploads`.
    pub(crate) async fn create_upload(&self, body: &[u8]) -> Result<http::Response<Vec<u8>>, ApiError> {
        let config = self.config.media.as_ref().and_then(|m| m.uploads.as_ref()).ok_or(ApiError::NotImplemented)?;
        let upload = UploadRequest::parse(body)?;
        let now_millis = self.ports.clock().now_millis();
        let presign = PresignPut {
            key: upload.key.clone(),
            content_type: upload.content_type.clone(),
            content_length: upload.content_length,
            expires_secs: config.ttl_secs,
            now_millis,
        };
        let url = self
            .ports
            .uploads()
            .presign_put(&presign)
            .map_err(|err| ApiError::Internal { internal: format!("presigning an upload: {err}") })?;
        let expires_at = crate::exec::rfc3339_secs(now_millis / 1000 + config.ttl_secs);
        let mut headers = serde_json::Map::new();
        headers.insert("Content-Type".into(), Value::from(upload.content_type));
        headers.insert("Content-Length".into(), Value::from(upload.content_length.to_string()));
        let answer = Upload { url, method: "PUT", headers, key: upload.key, expires_at };
        Ok(envelope::success(StatusCode::CREATED, &answer, Caching::NoStore))
    }
}
