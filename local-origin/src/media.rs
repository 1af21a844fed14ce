//! The media origin's stand-in: a sample HLS lesson (a tiny `.m3u8` and three `.ts` segments) and small files,
//! generated on request, never stored — so the repository ships no media. Like S3 behind CloudFront, it honours
//! `Range` (206 with `Content-Range`, 416 when unsatisfiable) and `response-content-disposition`.
//!
//! Every key under `lessons/{lessonId}/` exists: `*.m3u8` is the playlist, `segment{0,1,2}.ts` are its segments,
//! any other name is a 1 KiB file whose bytes name its key. Anything else is 404.

use axum::extract::{Path, RawQuery};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

/// The sample playlist: three two-second segments, relative URIs (the player resolves them against the
/// playlist's URL, so they travel through the gate with the lesson's cookies).
pub const PLAYLIST: &str = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n\
#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:2.0,\nsegment0.ts\n#EXTINF:2.0,\nsegment1.ts\n#EXTINF:2.0,\nsegment2.ts\n#EXT-X-ENDLIST\n";

/// Serves `/media-origin/{key}`.
pub fn router() -> Router {
    Router::new().route("/media-origin/{*key}", get(object))
}

/// The object at `key` and its content type, if it exists.
pub fn object_bytes(key: &str) -> Option<(Vec<u8>, &'static str)> {
    let mut segments = key.split('/');
    let (Some("lessons"), Some(lesson), Some(_)) = (segments.next(), segments.next(), segments.next()) else {
        return None;
    };
    if lesson.is_empty() || key.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
        return None;
    }
    let name = key.rsplit('/').next().unwrap_or_default();
    if name.ends_with(".m3u8") {
        return Some((PLAYLIST.as_bytes().to_vec(), "application/vnd.apple.mpegurl"));
    }
    if let Some(n) = name.strip_prefix("segment").and_then(|n| n.strip_suffix(".ts")) {
        let n: u8 = n.parse().ok().filter(|n| *n < 3)?;
        // Eight 188-byte MPEG-TS packets (sync byte 0x47), the payload naming the segment.
        let mut bytes = Vec::with_capacity(188 * 8);
        for packet in 0..8u8 {
            bytes.push(0x47);
            bytes.extend((1..188).map(|i| (i as u8).wrapping_mul(n + 1).wrapping_add(packet)));
        }
        return Some((bytes, "video/mp2t"));
    }
    let content_type = match name.rsplit('.').next() {
        Some("mp4") => "video/mp4",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    };
    let line = format!("Momentum sample media: {key}\n");
    Some((line.repeat(1024 / line.len() + 1).into_bytes()[..1024].to_vec(), content_type))
}

/// A single `bytes=` range over `len` bytes: `Ok(None)` for no (or an ignorable) range, `Err` when unsatisfiable.
pub fn range(header: Option<&str>, len: usize) -> Result<Option<(usize, usize)>, ()> {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None); // Multiple ranges: S3 answers the whole object.
    }
    let (first, last) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (first.trim(), last.trim()) {
        ("", suffix) => {
            let n: usize = suffix.parse().map_err(|_| ())?;
            if n == 0 {
                return Err(());
            }
            (len.saturating_sub(n), len.checked_sub(1).ok_or(())?)
        }
        (first, "") => (first.parse().map_err(|_| ())?, len.checked_sub(1).ok_or(())?),
        (first, last) => {
            let (a, b): (usize, usize) = (first.parse().map_err(|_| ())?, last.parse().map_err(|_| ())?);
            if b < a {
                return Ok(None);
            }
            (a, b.min(len.saturating_sub(1)))
        }
    };
    if start >= len {
        return Err(());
    }
    Ok(Some((start, end)))
}

async fn object(Path(key): Path<String>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let Some((bytes, content_type)) = object_bytes(&key) else {
        return (StatusCode::NOT_FOUND, "no such media object\n").into_response();
    };
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&bytes)[..8]));
    let mut out = HeaderMap::new();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    for pair in query.as_deref().unwrap_or_default().split('&') {
        if let Some(value) = pair.strip_prefix("response-content-disposition=") {
            let decoded = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
            if let Ok(value) = HeaderValue::from_str(&decoded) {
                out.insert(header::CONTENT_DISPOSITION, value);
            }
        }
    }
    let requested = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    match range(requested, bytes.len()) {
        Ok(None) => (StatusCode::OK, out, bytes).into_response(),
        Ok(Some((start, end))) => {
            if let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{end}/{}", bytes.len())) {
                out.insert(header::CONTENT_RANGE, value);
            }
            (StatusCode::PARTIAL_CONTENT, out, bytes[start..=end].to_vec()).into_response()
        }
        Err(()) => {
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{}", bytes.len())) {
                out.insert(header::CONTENT_RANGE, value);
            }
            (StatusCode::RANGE_NOT_SATISFIABLE, out).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(range(None, 10), Ok(None));
        assert_eq!(range(Some("bytes=0-3"), 10), Ok(Some((0, 3))));
        assert_eq!(range(Some("bytes=4-"), 10), Ok(Some((4, 9))));
        assert_eq!(range(Some("bytes=-3"), 10), Ok(Some((7, 9))));
        assert_eq!(range(Some("bytes=5-100"), 10), Ok(Some((5, 9))));
        assert_eq!(range(Some("bytes=10-"), 10), Err(()));
        assert_eq!(range(Some("bytes=0-1,3-4"), 10), Ok(None));
        assert_eq!(range(Some("items=0-1"), 10), Ok(None));
    }

    #[test]
    fn the_sample_lesson() {
        let (playlist, kind) = object_bytes("lessons/L/index.m3u8").expect("playlist");
        assert_eq!(kind, "application/vnd.apple.mpegurl");
        assert!(String::from_utf8(playlist).unwrap().contains("segment2.ts"));
        let (segment, _) = object_bytes("lessons/L/segment1.ts").expect("segment");
        assert_eq!((segment.len(), segment[0], segment[188]), (188 * 8, 0x47, 0x47));
        assert!(object_bytes("lessons/L/segment3.ts").is_none());
        assert_eq!(object_bytes("lessons/L/Day 3 – Intro, part=1.mp4").expect("file").0.len(), 1024);
        assert!(object_bytes("other/L/x").is_none() && object_bytes("lessons/L/../x").is_none());
    }
}
