//! The core's `EdgeCache` port over the Workers Cache API (`caches.default`): shared by the isolates of one
//! location, not global. Entries are stored as responses under a synthetic URL, with their validator and
//! fetch time in headers; every failure is a miss.

use momentum_core::cache::Stored;
use momentum_core::ports::EdgeCache;
use worker::{Cache, Headers, Response};

/// The location's cache.
#[derive(Debug, Clone, Copy)]
pub struct WorkerCache;

fn url(key: &str) -> String {
    format!("https://momentum-edge.cache.invalid/{key}")
}

impl EdgeCache for WorkerCache {
    async fn get(&self, key: &str) -> Option<Stored> {
        let mut response = Cache::default().get(url(key), true).await.ok()??;
        let headers = response.headers();
        let etag = headers.get("etag").ok()??;
        let stored_at_ms = headers.get("x-momentum-stored-at").ok()??.parse().ok()?;
        let link = headers.get("x-momentum-link").ok().flatten();
        let body = response.bytes().await.ok()?;
        Some(Stored { body, etag, link, stored_at_ms })
    }

    async fn put(&self, key: &str, entry: &Stored, keep_secs: u32) {
        let headers = Headers::new();
        let stored = [
            ("content-type", "application/json"),
            ("cache-control", &format!("public, max-age={keep_secs}")),
            ("etag", &entry.etag),
            ("x-momentum-stored-at", &entry.stored_at_ms.to_string()),
        ];
        for (name, value) in stored {
            if headers.set(name, value).is_err() {
                return;
            }
        }
        if let Some(link) = &entry.link {
            if headers.set("x-momentum-link", link).is_err() {
                return;
            }
        }
        if let Ok(response) = Response::from_bytes(entry.body.clone()) {
            // A failed put only costs a later miss.
            let _ = Cache::default().put(url(key), response.with_headers(headers)).await;
        }
    }
}
