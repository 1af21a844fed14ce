//! Test-only controls under `/_local`: call counters and injected faults (the Cognito stand-in's are in
//! `cognito::controls`).
//!
//! End-to-end tests need to see how many Data API calls the edge made (did the cache work? did it retry?)
//! and to make the origin fail on purpose (a resuming database, a timeout) without touching PostgreSQL.
//! The routes exist only with `--test-controls`; the counters and the fault queue always exist, because the
//! Data API pipeline consults them on every call.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};

/// A Data API operation, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Execute,
    BatchExecute,
    BeginTransaction,
    CommitTransaction,
    RollbackTransaction,
}

/// Calls received per operation, and JWKS fetches, since start or the last reset.
#[derive(Default)]
pub struct Stats {
    counts: [AtomicU64; 5],
    jwks: AtomicU64,
}

/// The `/_local/stats` body.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StatsSnapshot {
    pub execute: u64,
    pub batch_execute: u64,
    pub begin_transaction: u64,
    pub commit_transaction: u64,
    pub rollback_transaction: u64,
    /// Fetches of the Cognito stand-in's JWKS.
    pub jwks: u64,
}

impl Stats {
    /// Counts one call.
    pub fn count(&self, op: Op) {
        self.counts[op as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one JWKS fetch.
    pub fn count_jwks(&self) {
        self.jwks.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> StatsSnapshot {
        let n = |op: Op| self.counts[op as usize].load(Ordering::Relaxed);
        StatsSnapshot {
            execute: n(Op::Execute),
            batch_execute: n(Op::BatchExecute),
            begin_transaction: n(Op::BeginTransaction),
            commit_transaction: n(Op::CommitTransaction),
            rollback_transaction: n(Op::RollbackTransaction),
            jwks: self.jwks.load(Ordering::Relaxed),
        }
    }

    fn reset(&self) {
        for c in self.counts.iter().chain([&self.jwks]) {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// The next N Data API calls fail with one error code.
#[derive(Default)]
pub struct Faults {
    armed: Mutex<Option<(ErrorCode, u64)>>,
}

impl Faults {
    /// Takes one injected failure, if any is armed.
    pub fn take(&self) -> Option<ApiError> {
        let mut armed = self.armed.lock().unwrap_or_else(|e| e.into_inner());
        let (code, remaining) = armed.as_mut()?;
        let code = *code;
        *remaining -= 1;
        if *remaining == 0 {
            *armed = None;
        }
        Some(fault_error(code))
    }

    fn set(&self, fault: Option<(ErrorCode, u64)>) {
        *self.armed.lock().unwrap_or_else(|e| e.into_inner()) = fault;
    }
}

/// The error an injected fault answers, worded as AWS words it.
fn fault_error(code: ErrorCode) -> ApiError {
    let message = match code {
        ErrorCode::DatabaseResumingException => {
            "The Aurora DB instance db-XXXX is resuming after being auto-paused. \
             Please wait a few seconds and try again."
        }
        ErrorCode::StatementTimeoutException => "The statement timed out (injected fault)",
        ErrorCode::ServiceUnavailableError => "Service unavailable (injected fault)",
        ErrorCode::DatabaseUnavailableException => "The database is unavailable (injected fault)",
        _ => "Internal server error (injected fault)",
    };
    ApiError::new(code, message)
}

/// State shared by the control routes.
#[derive(Clone)]
pub struct Controls {
    pub stats: Arc<Stats>,
    pub faults: Arc<Faults>,
}

#[derive(Deserialize)]
struct FaultRequest {
    code: String,
    #[serde(default = "one")]
    count: u64,
}

fn one() -> u64 {
    1
}

/// The `/_local` routes.
pub fn router(controls: Controls) -> Router {
    Router::new()
        .route("/_local/stats", get(stats))
        .route("/_local/stats/reset", post(reset))
        .route("/_local/faults", post(arm).delete(disarm))
        .with_state(controls)
}

async fn stats(State(c): State<Controls>) -> Json<StatsSnapshot> {
    Json(c.stats.snapshot())
}

async fn reset(State(c): State<Controls>) -> Json<StatsSnapshot> {
    c.stats.reset();
    Json(c.stats.snapshot())
}

async fn arm(State(c): State<Controls>, body: axum::body::Bytes) -> Result<Json<serde_json::Value>, ApiError> {
    let req: FaultRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("Invalid fault: {e}")))?;
    let code = ErrorCode::injectable(&req.code).ok_or_else(|| {
        ApiError::bad_request(format!(
            "Cannot inject '{}': use DatabaseResumingException, StatementTimeoutException, \
             InternalServerErrorException, ServiceUnavailableError or DatabaseUnavailableException",
            req.code
        ))
    })?;
    c.faults.set((req.count > 0).then_some((code, req.count)));
    Ok(Json(serde_json::json!({"code": req.code, "count": req.count})))
}

async fn disarm(State(c): State<Controls>) -> Json<serde_json::Value> {
    c.faults.set(None);
    Json(serde_json::json!({"ok": true}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_count_down() {
        let faults = Faults::default();
        assert!(faults.take().is_none());
        faults.set(Some((ErrorCode::DatabaseResumingException, 2)));
        assert_eq!(faults.take().map(|e| e.code), Some(ErrorCode::DatabaseResumingException));
        assert!(faults.take().is_some());
        assert!(faults.take().is_none());
    }

    #[test]
    fn stats_count_and_reset() {
        let stats = Stats::default();
        stats.count(Op::Execute);
        stats.count(Op::Execute);
        stats.count(Op::RollbackTransaction);
        stats.count_jwks();
        assert_eq!(stats.snapshot().execute, 2);
        assert_eq!(stats.snapshot().rollback_transaction, 1);
        assert_eq!(stats.snapshot().jwks, 1);
        stats.reset();
        assert_eq!(stats.snapshot().execute, 0);
        assert_eq!(stats.snapshot().jwks, 0);
    }
}
