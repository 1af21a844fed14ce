//! A small PostgreSQL connection pool with per-connection session setup.
//!
//! Every connection runs in UTC with the Data API's statement timeout and knows its backend pid (the
//! `dbConnectionId` of a `StatementTimeoutException`). Transactions take a connection out of the pool for
//! as long as they live, which a pooled handle that returns itself on drop makes straightforward.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::{Client, NoTls};

use crate::error::{ApiError, ErrorCode};

/// How long a caller waits for a free connection before getting a retryable error.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// A live connection and its backend process id.
pub struct Conn {
    pub client: Client,
    pub pid: i32,
}

struct Inner {
    url: String,
    statement_timeout_ms: u64,
    idle: Mutex<Vec<Conn>>,
    permits: Arc<Semaphore>,
}

/// A fixed-size pool of session-configured connections.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

/// A connection on loan from the pool; it goes back (if still open) when dropped.
pub struct PooledConn {
    conn: Option<Conn>,
    pool: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
}

impl std::ops::Deref for PooledConn {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        // Only `Drop` takes the connection out.
        self.conn.as_ref().unwrap_or_else(|| unreachable!("connection taken before drop"))
    }
}

impl std::ops::DerefMut for PooledConn {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().unwrap_or_else(|| unreachable!("connection taken before drop"))
    }
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if !conn.client.is_closed() {
                if let Ok(mut idle) = self.pool.idle.lock() {
                    idle.push(conn);
                }
            }
        }
    }
}

/// Opens one raw connection whose I/O runs on a spawned task.
pub async fn connect(url: &str) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "postgres connection ended");
        }
    });
    Ok(client)
}

/// Connects, retrying for up to `patience` while PostgreSQL starts.
pub async fn connect_with_retry(url: &str, patience: Duration) -> Result<Client, tokio_postgres::Error> {
    let deadline = Instant::now() + patience;
    loop {
        match connect(url).await {
            Ok(client) => return Ok(client),
            Err(e) if Instant::now() < deadline => {
                tracing::info!(error = %e, "waiting for PostgreSQL");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

impl Pool {
    /// A pool of at most `size` connections to `url`.
    pub fn new(url: &str, size: usize, statement_timeout_ms: u64) -> Self {
        Self {
            inner: Arc::new(Inner {
                url: url.to_string(),
                statement_timeout_ms,
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(size)),
            }),
        }
    }

    /// Borrows a connection, opening one if none is idle.
    pub async fn get(&self) -> Result<PooledConn, ApiError> {
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, self.inner.permits.clone().acquire_owned())
            .await
            .map_err(|_| {
                ApiError::new(ErrorCode::ServiceUnavailableError, "Timed out waiting for a free database connection")
            })?
            .map_err(|_| ApiError::new(ErrorCode::ServiceUnavailableError, "Shutting down"))?;
        let reused = loop {
            let candidate = self.inner.idle.lock().ok().and_then(|mut idle| idle.pop());
            match candidate {
                Some(conn) if conn.client.is_closed() => continue,
                other => break other,
            }
        };
        let conn = match reused {
            Some(conn) => conn,
            None => self.open().await?,
        };
        Ok(PooledConn { conn: Some(conn), pool: self.inner.clone(), _permit: permit })
    }

    async fn open(&self) -> Result<Conn, ApiError> {
        let unavailable = |e: tokio_postgres::Error| {
            tracing::warn!(error = %e, "cannot open a PostgreSQL connection");
            ApiError::new(ErrorCode::DatabaseUnavailableException, "The database is not available")
        };
        let client = connect(&self.inner.url).await.map_err(unavailable)?;
        let row = client
            .query_one(
                "SELECT pg_backend_pid(), set_config('TimeZone', 'UTC', false), \
                 set_config('statement_timeout', $1, false)",
                &[&self.inner.statement_timeout_ms.to_string()],
            )
            .await
            .map_err(unavailable)?;
        let pid = row.try_get(0).map_err(unavailable)?;
        Ok(Conn { client, pid })
    }
}
