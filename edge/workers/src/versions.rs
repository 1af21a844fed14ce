//! The core's `VersionStore` port over a Workers KV namespace (binding `CATALOG_KV`): every location reads the
//! catalog version from it, admin writes set it. KV is eventually consistent (a write reaches every location
//! within about a minute); without the binding the version never changes.

use momentum_core::ports::VersionStore;
use worker::kv::KvStore;

const KEY: &str = "catalog-version";

/// The catalog version in KV, when the namespace is bound.
#[derive(Debug)]
pub struct KvVersions(pub Option<KvStore>);

impl VersionStore for KvVersions {
    async fn get(&self) -> Option<String> {
        self.0.as_ref()?.get(KEY).text().await.ok().flatten()
    }

    async fn set(&self, version: &str) {
        if let Some(store) = &self.0 {
            if let Ok(put) = store.put(KEY, version) {
                // A failed write leaves other locations on the old version until their entries expire.
                if let Err(err) = put.execute().await {
                    worker::console_error!("catalog version not stored: {err}");
                }
            }
        }
    }
}
