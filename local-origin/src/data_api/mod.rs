//! The RDS Data API endpoint: one pipeline every call goes through, in the order AWS applies it.
//!
//! A call is routed by path, counted, read (bounded), authenticated with SigV4, possibly failed by an
//! injected fault, and only then parsed and run. Each operation lives in `ops`; the pieces it needs
//! (parameter binding, result decoding, transactions) each have their own module.

mod decode;
mod execute;
mod hints;
mod ops;
mod params;
mod pgtext;
mod sql_scan;
mod tx;
mod wire;

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method};
use axum::response::{IntoResponse, Response};

use crate::controls::{Faults, Op, Stats};
use crate::error::{ApiError, ErrorCode};
use crate::pool::Pool;
use crate::sigv4::{SignedRequest, Verifier};

pub use tx::Transactions;

/// AWS's request size limit (BatchExecute, headers included; the body alone is held to it here).
const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// Everything the Data API pipeline needs.
pub struct DataApi {
    /// The only `resourceArn` accepted.
    pub resource_arn: String,
    /// The only `secretArn` accepted.
    pub secret_arn: String,
    /// Checks SigV4 signatures for `rds-data` in the configured region.
    pub verifier: Verifier,
    /// Connections for autocommit calls and new transactions.
    pub pool: Pool,
    /// Open transactions.
    pub transactions: Arc<Transactions>,
    /// Call counters (read by `/_local/stats`).
    pub stats: Arc<Stats>,
    /// Injected faults (armed by `/_local/faults`).
    pub faults: Arc<Faults>,
}

fn operation(method: &Method, path: &str) -> Option<Op> {
    if method != Method::POST {
        return None;
    }
    Some(match path {
        "/Execute" => Op::Execute,
        "/BatchExecute" => Op::BatchExecute,
        "/BeginTransaction" => Op::BeginTransaction,
        "/CommitTransaction" => Op::CommitTransaction,
        "/RollbackTransaction" => Op::RollbackTransaction,
        _ => return None,
    })
}

/// Runs one `ExecuteStatement` (wire JSON in, wire JSON out) for a caller inside this server — the Step
/// Functions stand-in's `rdsdata:executeStatement` tasks: no signature, not counted, no injected fault.
pub async fn execute_internal(api: &DataApi, body: &[u8]) -> Result<String, ApiError> {
    ops::run(api, Op::Execute, body).await
}

/// Handles every request that no other route claimed.
pub async fn handle(State(api): State<Arc<DataApi>>, req: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let result = match operation(&parts.method, parts.uri.path()) {
        None => Err(ApiError::new(
            ErrorCode::UnknownOperationException,
            format!("No operation matches {} {}", parts.method, parts.uri.path()),
        )),
        Some(op) => {
            api.stats.count(op);
            match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
                Err(_) => Err(ApiError::new(
                    ErrorCode::RequestEntityTooLargeException,
                    "Request body is larger than the 4 MiB limit",
                )),
                Ok(bytes) => {
                    let signed = SignedRequest {
                        method: parts.method.as_str(),
                        path: parts.uri.path(),
                        query: parts.uri.query(),
                        headers: &parts.headers,
                        body: &bytes,
                    };
                    match api.verifier.verify(&signed, SystemTime::now()) {
                        Err(e) => Err(e),
                        Ok(()) => match api.faults.take() {
                            Some(fault) => Err(fault),
                            None => ops::run(&api, op, &bytes).await,
                        },
                    }
                }
            }
        }
    };
    let mut response = match result {
        Ok(body) => {
            ([(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
        }
        Err(e) => {
            // Messages can echo values (a duplicate key's Detail does), so they stay below info.
            tracing::info!(code = e.code.as_str(), "data api error");
            tracing::debug!(message = %e.message, "data api error message");
            e.into_response()
        }
    };
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        response.headers_mut().insert("x-amzn-RequestId", id);
    }
    tracing::info!(
        method = %parts.method,
        path = parts.uri.path(),
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "data api call"
    );
    response
}
