//! The ports: the only ways the core reaches the world. Each edge shell implements them with its runtime
//! (Workers `Fetch` and `Date`, Spin's outbound HTTP, …); the core's tests implement them in memory.
//!
//! None of them requires `Send`: Workers futures are single-threaded and not `Send`.

use crate::db::{DbError, ResultSet, Statement};

/// Wall-clock time. The core never reads the system clock (on `wasm32-unknown-unknown` that panics).
pub trait Clock {
    /// Milliseconds since the Unix epoch, UTC.
    fn now_millis(&self) -> u64;
}

/// The origin database: one SQL statement with typed named parameters, one result set.
pub trait Database {
    /// Runs `statement` outside any transaction (it commits on its own) and returns its rows.
    async fn execute(&self, statement: &Statement) -> Result<ResultSet, DbError>;

    /// Begins a transaction and returns its id. A database without transactions refuses.
    async fn begin(&self) -> Result<String, DbError> {
        Err(DbError::Rejected { message: "this database offers no transactions".into() })
    }

    /// Runs `statement` inside transaction `tx`.
    async fn execute_in(&self, tx: &str, statement: &Statement) -> Result<ResultSet, DbError> {
        let _ = (tx, statement);
        Err(DbError::Rejected { message: "this database offers no transactions".into() })
    }

    /// Commits transaction `tx`.
    async fn commit(&self, tx: &str) -> Result<(), DbError> {
        let _ = tx;
        Err(DbError::Rejected { message: "this database offers no transactions".into() })
    }

    /// Rolls transaction `tx` back.
    async fn rollback(&self, tx: &str) -> Result<(), DbError> {
        let _ = tx;
        Err(DbError::Rejected { message: "this database offers no transactions".into() })
    }
}

/// Outbound HTTP, as the runtime provides it. Adapters (Data API, Step Functions, JWKS) speak through it.
pub trait HttpClient {
    /// Sends `request` and returns the whole response, or why no response arrived.
    async fn send(&self, request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError>;
}

/// Why an outbound request produced no HTTP response at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// What the runtime said, for logs.
    pub message: String,
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "transport error: {}", self.message)
    }
}

impl std::error::Error for TransportError {}

/// RSASSA-PKCS1-v1_5 with SHA-256 (RS256) signature checks. Workers implement it with WebCrypto (native
/// code, far cheaper than RSA in wasm); other runtimes use `auth::crypto::RustRsaVerifier`.
pub trait RsaVerifier {
    /// Whether `signature` is `key`'s RS256 signature of `message`. `Err` only when the check could not run.
    async fn verify_rs256(
        &self,
        key: &crate::auth::jwks::RsaJwk,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, String>;
}

/// The shell's shared cache for catalog answers (Workers: the Cache API of the location). Failures are misses:
/// a cache must never turn into an error.
pub trait EdgeCache {
    /// The entry under `key`, if the cache holds one.
    async fn get(&self, key: &str) -> Option<crate::cache::Stored>;
    /// Stores `entry` under `key`, to be kept `keep_secs`.
    async fn put(&self, key: &str, entry: &crate::cache::Stored, keep_secs: u32);
}

/// A shell without a shared cache (each answer still goes through the in-isolate layer).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSharedCache;

impl EdgeCache for NoSharedCache {
    async fn get(&self, _key: &str) -> Option<crate::cache::Stored> {
        None
    }
    async fn put(&self, _key: &str, _entry: &crate::cache::Stored, _keep_secs: u32) {}
}

/// Where the catalog's version lives: a value every location can read (Workers KV), changed by every admin
/// write, and part of every cache key — so a write retires every cached catalog answer everywhere, within the
/// store's propagation (and the isolates' short memo of it). `None` when unset.
pub trait VersionStore {
    /// The current version, if one was ever set.
    async fn get(&self) -> Option<String>;
    /// Sets a new version.
    async fn set(&self, version: &str);
}

/// A shell without a shared version store: the version never changes (nothing is cached across requests).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoVersionStore;

impl VersionStore for NoVersionStore {
    async fn get(&self) -> Option<String> {
        None
    }
    async fn set(&self, _version: &str) {}
}

/// Sleeping, as the runtime offers it (Workers: a timer of the waiting request's own).
pub trait Timer {
    /// Resolves after about `millis` milliseconds.
    async fn sleep(&self, millis: u64);
}

/// Workflows (Step Functions): start an execution under a name, and describe it. The edge only starts and
/// follows jobs; the workflow does the work.
pub trait Workflows {
    /// Starts `workflow` as the execution `name` with `input` (JSON text). Starting again with the same name
    /// and input is success (the one execution stands); the same name with another input is
    /// [`WorkflowError::NameTaken`](crate::generation::workflow::WorkflowError::NameTaken).
    async fn start(
        &self,
        workflow: crate::generation::workflow::Workflow,
        name: &str,
        input: &str,
    ) -> Result<(), crate::generation::workflow::WorkflowError>;
    /// Where the execution `name` of `workflow` stands.
    async fn describe(
        &self,
        workflow: crate::generation::workflow::Workflow,
        name: &str,
    ) -> Result<crate::generation::workflow::Execution, crate::generation::workflow::WorkflowError>;
}

/// RSASSA-PKCS1-v1_5 with SHA-1 or SHA-256: CloudFront's signed URLs and cookies, signed for playback and
/// checked by the media gate. Workers implement it with WebCrypto; other runtimes with
/// `media::crypto::RustMediaSigner`. Implementations never log key material.
pub trait MediaSigner {
    /// `key`'s signature of `message`. `Err` only when signing could not run (a bad key, a runtime failure).
    async fn sign(
        &self,
        key: &crate::media::PrivateKey,
        hash: crate::media::HashAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, String>;
    /// Whether `signature` is `key`'s signature of `message`. `Err` only when the check could not run.
    async fn verify(
        &self,
        key: &crate::media::PublicKey,
        hash: crate::media::HashAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, String>;
}

/// S3 presigned PUT URLs (SigV4 query signing), for admin uploads. `origin_adapters::S3Presigner` implements it
/// with the deployment's AWS credentials, which the core never sees.
pub trait UploadPresigner {
    /// A URL that lets its holder PUT exactly `request.key` with the pinned content type and length until it
    /// expires. `Err` when signing could not run.
    fn presign_put(&self, request: &crate::media::uploads::PresignPut) -> Result<String, String>;
}

/// A shell without uploads configured.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoUploads;

impl UploadPresigner for NoUploads {
    fn presign_put(&self, _request: &crate::media::uploads::PresignPut) -> Result<String, String> {
        Err("uploads are not configured".into())
    }
}
