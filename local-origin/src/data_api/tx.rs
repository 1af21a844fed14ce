//! Open Data API transactions, each pinned to its own connection.
//!
//! `BeginTransaction` takes a connection out of the pool and runs `BEGIN`; later calls with the returned
//! id run on that connection, one at a time. Like AWS, a transaction idle for 3 minutes (or alive for 24
//! hours) is rolled back and forgotten, so a leaked id cannot hold a connection forever.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use super::execute::db_error;
use crate::error::{ApiError, ErrorCode};
use crate::pool::{Pool, PooledConn};

/// Idle time after which AWS rolls a transaction back.
pub const IDLE_LIMIT: Duration = Duration::from_secs(3 * 60);
/// Longest life of a transaction.
pub const LIFETIME_LIMIT: Duration = Duration::from_secs(24 * 60 * 60);

/// One open transaction.
struct Slot {
    conn: Arc<AsyncMutex<Option<PooledConn>>>,
    started: Instant,
    last_used: Mutex<Instant>,
    /// Set once a statement failed: PostgreSQL has aborted the transaction and a COMMIT would roll back.
    failed: AtomicBool,
}

impl Slot {
    fn touch(&self) {
        if let Ok(mut t) = self.last_used.lock() {
            *t = Instant::now();
        }
    }

    fn expired(&self, now: Instant) -> bool {
        let idle = self.last_used.lock().map(|t| now - *t).unwrap_or_default();
        idle > IDLE_LIMIT || now - self.started > LIFETIME_LIMIT
    }
}

/// Exclusive use of a transaction's connection for one call.
pub struct TxGuard {
    conn: OwnedMutexGuard<Option<PooledConn>>,
    slot: Arc<Slot>,
}

impl TxGuard {
    /// The transaction's connection.
    pub fn conn(&self) -> Result<&PooledConn, ApiError> {
        self.conn.as_ref().ok_or_else(|| not_found("(finished)"))
    }

    /// Records the outcome of a statement run in the transaction.
    pub fn record<T>(&self, result: &Result<T, ApiError>) {
        self.slot.touch();
        if let Err(e) = result {
            if matches!(e.code, ErrorCode::DatabaseErrorException | ErrorCode::StatementTimeoutException) {
                self.slot.failed.store(true, Ordering::Relaxed);
            }
        }
    }
}

/// The registry of open transactions.
#[derive(Default)]
pub struct Transactions {
    open: Mutex<HashMap<String, Arc<Slot>>>,
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(ErrorCode::NotFoundException, format!("Transaction {id} is not found"))
}

impl Transactions {
    /// Opens a transaction on a fresh connection and returns its id.
    pub async fn begin(&self, pool: &Pool) -> Result<String, ApiError> {
        let conn = pool.get().await?;
        conn.client.batch_execute("BEGIN").await.map_err(|e| db_error(e, conn.pid))?;
        let id = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        let now = Instant::now();
        let slot = Arc::new(Slot {
            conn: Arc::new(AsyncMutex::new(Some(conn))),
            started: now,
            last_used: Mutex::new(now),
            failed: AtomicBool::new(false),
        });
        self.lock().insert(id.clone(), slot);
        Ok(id)
    }

    /// Waits for exclusive use of the transaction's connection.
    pub async fn enter(&self, id: &str) -> Result<TxGuard, ApiError> {
        let slot = self.lock().get(id).cloned().ok_or_else(|| not_found(id))?;
        let conn = slot.conn.clone().lock_owned().await;
        if conn.is_none() {
            return Err(not_found(id));
        }
        slot.touch();
        Ok(TxGuard { conn, slot })
    }

    /// Commits (or rolls back) and forgets the transaction; its connection returns to the pool.
    pub async fn finish(&self, id: &str, commit: bool) -> Result<(), ApiError> {
        let slot = self.lock().remove(id).ok_or_else(|| not_found(id))?;
        let mut guard = slot.conn.clone().lock_owned().await;
        let conn = guard.take().ok_or_else(|| not_found(id))?;
        if commit && slot.failed.load(Ordering::Relaxed) {
            // PostgreSQL would answer COMMIT with a silent ROLLBACK; JDBC (and so AWS) reports a failure.
            let _ = conn.client.batch_execute("ROLLBACK").await;
            return Err(ApiError::new(
                ErrorCode::DatabaseErrorException,
                "ERROR: current transaction is aborted, commands ignored until end of transaction block; \
                 SQLState: 25P02",
            ));
        }
        conn.client.batch_execute(if commit { "COMMIT" } else { "ROLLBACK" }).await.map_err(|e| db_error(e, conn.pid))
    }

    /// Rolls back every transaction that has been idle too long; returns how many.
    pub async fn reap(&self) -> usize {
        let now = Instant::now();
        let expired: Vec<(String, Arc<Slot>)> = {
            let mut open = self.lock();
            let ids: Vec<String> = open
                .iter()
                .filter(|(_, slot)| slot.expired(now) && slot.conn.try_lock().is_ok())
                .map(|(id, _)| id.clone())
                .collect();
            ids.into_iter().filter_map(|id| open.remove(&id).map(|slot| (id, slot))).collect()
        };
        for (id, slot) in &expired {
            if let Some(conn) = slot.conn.lock().await.take() {
                let _ = conn.client.batch_execute("ROLLBACK").await;
            }
            tracing::info!(transaction = %id, "rolled back an idle transaction");
        }
        expired.len()
    }

    /// Runs [`Transactions::reap`] every few seconds until the process ends.
    pub fn spawn_reaper(self: &Arc<Self>) {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tick.tick().await;
                this.reap().await;
            }
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Slot>>> {
        // A poisoned map only means another request panicked mid-update; the map itself is still valid.
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(started: Instant, last_used: Instant) -> Slot {
        Slot {
            conn: Arc::new(AsyncMutex::new(None)),
            started,
            last_used: Mutex::new(last_used),
            failed: AtomicBool::new(false),
        }
    }

    #[test]
    fn idle_and_lifetime_limits() {
        let t0 = Instant::now();
        let s = slot(t0, t0);
        assert!(!s.expired(t0 + Duration::from_secs(179)));
        assert!(s.expired(t0 + IDLE_LIMIT + Duration::from_secs(1)));
        // Recent use keeps it alive, but not past the lifetime limit.
        let old = slot(t0, t0 + LIFETIME_LIMIT);
        assert!(!old.expired(t0 + LIFETIME_LIMIT));
        assert!(old.expired(t0 + LIFETIME_LIMIT + Duration::from_secs(1)));
    }

    #[tokio::test]
    async fn unknown_ids_are_not_found() {
        let txs = Transactions::default();
        let err = txs.enter("nope").await.err().map(|e| e.code);
        assert_eq!(err, Some(ErrorCode::NotFoundException));
        let err = txs.finish("nope", true).await.err().map(|e| e.message);
        assert_eq!(err.as_deref(), Some("Transaction nope is not found"));
        assert_eq!(txs.reap().await, 0);
    }
}
