//! How handlers reach the database: one statement at a time through [`Exec`], which retries what the origin
//! refused without running (a resuming Aurora cluster, throttling) with a short backoff, and which runs inside
//! a transaction when the request needs one (an `Idempotency-Key`: the write and its stored answer commit
//! together).
//!
//! Only refusals that ran nothing are retried, so a retry can never apply a write twice. A 5xx or no answer at
//! all may have run: those are not repeated, and reach the client as 503 with `Retry-After`.

use crate::app::Ports;
use crate::db::{DbError, ResultSet, Statement};
use crate::error::ApiError;
use crate::ports::{Database, Timer};
use std::future::Future;

/// Waits before the 2nd and 3rd attempts, in ms: three attempts within about a second, then 503.
pub const BACKOFF_MS: [u64; 2] = [250, 750];

/// Runs `call` until it succeeds, fails for good, or the attempts are spent.
pub async fn retrying<T, F, Fut>(timer: &impl Timer, mut call: F) -> Result<T, DbError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, DbError>>,
{
    let mut waits = BACKOFF_MS.iter();
    loop {
        match call().await {
            Err(DbError::Unavailable { not_run: true, .. }) if waits.len() > 0 => {
                if let Some(wait) = waits.next() {
                    timer.sleep(*wait).await;
                }
            }
            other => return other,
        }
    }
}

/// The database as a handler sees it: in a transaction or not, with retries.
pub struct Exec<'a, P: Ports> {
    ports: &'a P,
    tx: Option<String>,
}

impl<'a, P: Ports> Exec<'a, P> {
    /// Each statement commits on its own.
    pub fn autocommit(ports: &'a P) -> Self {
        Exec { ports, tx: None }
    }

    /// Begins a transaction (retried like a statement: a refused begin opened nothing).
    pub async fn begin(ports: &'a P) -> Result<Self, ApiError> {
        let tx = retrying(ports.timer(), || ports.db().begin()).await?;
        Ok(Exec { ports, tx: Some(tx) })
    }

    /// Runs one statement.
    pub async fn run(&self, statement: &Statement) -> Result<ResultSet, ApiError> {
        self.run_raw(statement).await.map_err(ApiError::from)
    }

    /// Runs one statement, keeping the database's own error (for handlers that map constraint violations).
    pub async fn run_raw(&self, statement: &Statement) -> Result<ResultSet, DbError> {
        let db = self.ports.db();
        match &self.tx {
            None => retrying(self.ports.timer(), || db.execute(statement)).await,
            Some(tx) => retrying(self.ports.timer(), || db.execute_in(tx, statement)).await,
        }
    }

    /// Commits (a no-op outside a transaction).
    pub async fn commit(self) -> Result<(), ApiError> {
        match &self.tx {
            None => Ok(()),
            Some(tx) => self.ports.db().commit(tx).await.map_err(ApiError::from),
        }
    }

    /// Rolls back (a no-op outside a transaction). A failed rollback is left to the origin's transaction
    /// timeout: the caller is already answering with the error that caused it.
    pub async fn rollback(self) {
        if let Some(tx) = &self.tx {
            let _ = self.ports.db().rollback(tx).await;
        }
    }
}

/// Epoch milliseconds as the Data API's timestamp text (`YYYY-MM-DD HH:MM:SS.fff`, UTC). Hand-rolled: chrono's
/// formatter would add about 100 KiB to the wasm for this one line.
pub fn db_timestamp(millis: u64) -> String {
    let secs = millis / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let (year, month, day) = civil_from_days(days);
    let rest = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:03}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        millis % 1000
    )
}

/// Epoch seconds as RFC 3339 UTC (`YYYY-MM-DDTHH:MM:SSZ`).
pub fn rfc3339_secs(epoch_secs: u64) -> String {
    let text = db_timestamp(epoch_secs.saturating_mul(1000));
    format!("{}Z", text.get(..19).unwrap_or(&text).replacen(' ', "T", 1))
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// SQL for "now" as a `timestamptz`, from the `:now` parameter (a UTC [`db_timestamp`]): the edge's clock is
/// the one authority on time, so every comparison in a request uses the same instant.
pub const NOW: &str = "(:now AT TIME ZONE 'UTC')";

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    struct Sleeps(RefCell<Vec<u64>>);
    impl Timer for Sleeps {
        async fn sleep(&self, millis: u64) {
            self.0.borrow_mut().push(millis);
        }
    }

    fn unavailable(not_run: bool) -> DbError {
        DbError::Unavailable { retry_after_secs: 10, not_run, message: "resuming".into() }
    }

    #[test]
    fn retries_only_what_never_ran_and_only_three_times() {
        let timer = Sleeps(RefCell::new(Vec::new()));
        let calls = RefCell::new(0);
        let result: Result<(), DbError> = futures_executor::block_on(retrying(&timer, || {
            *calls.borrow_mut() += 1;
            async { Err(unavailable(true)) }
        }));
        assert_eq!(result, Err(unavailable(true)));
        assert_eq!(*calls.borrow(), 3);
        assert_eq!(*timer.0.borrow(), BACKOFF_MS);

        let calls = RefCell::new(0);
        let result: Result<(), DbError> = futures_executor::block_on(retrying(&timer, || {
            *calls.borrow_mut() += 1;
            async { Err(unavailable(false)) }
        }));
        assert_eq!(result, Err(unavailable(false)));
        assert_eq!(*calls.borrow(), 1, "a call that may have run is never repeated");

        let calls = RefCell::new(0);
        let result = futures_executor::block_on(retrying(&timer, || {
            *calls.borrow_mut() += 1;
            let attempt = *calls.borrow();
            async move {
                if attempt < 2 {
                    Err(unavailable(true))
                } else {
                    Ok(attempt)
                }
            }
        }));
        assert_eq!(result, Ok(2));
    }

    #[test]
    fn timestamps_are_data_api_text() {
        assert_eq!(rfc3339_secs(1_796_342_400), "2026-12-04T00:00:00Z");
        assert_eq!(db_timestamp(0), "1970-01-01 00:00:00.000");
        assert_eq!(db_timestamp(1_796_342_400_123), "2026-12-04 00:00:00.123");
        assert_eq!(db_timestamp(951_782_399_999), "2000-02-28 23:59:59.999");
        assert_eq!(db_timestamp(951_868_800_000), "2000-03-01 00:00:00.000", "2000 is a leap year: Feb 29 exists");
        assert_eq!(db_timestamp(4_107_542_400_000), "2100-03-01 00:00:00.000");
    }
}
