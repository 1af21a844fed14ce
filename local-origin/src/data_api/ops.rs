//! The five Data API operations: parse the call, check it is for our cluster, run it, serialize.

use serde::Serialize;

use super::execute::{self, ExecuteOptions, MAX_RESPONSE_BYTES};
use super::wire::{
    self, BatchExecuteRequest, BatchExecuteResponse, BeginRequest, BeginResponse, EndRequest, EndResponse,
    ExecuteRequest,
};
use super::DataApi;
use crate::controls::Op;
use crate::error::ApiError;

/// AWS's limit on the `sql` member.
const MAX_SQL_BYTES: usize = 65_536;
/// AWS's limit on `transactionId`.
const MAX_TRANSACTION_ID_CHARS: usize = 192;

/// Runs one authenticated call and returns the JSON response body.
pub async fn run(api: &DataApi, op: Op, body: &[u8]) -> Result<String, ApiError> {
    match op {
        Op::Execute => execute_statement(api, wire::parse(body)?).await,
        Op::BatchExecute => batch_execute(api, wire::parse(body)?).await,
        Op::BeginTransaction => begin(api, wire::parse(body)?).await,
        Op::CommitTransaction => end(api, wire::parse(body)?, true).await,
        Op::RollbackTransaction => end(api, wire::parse(body)?, false).await,
    }
}

/// Requires both ARNs and checks they name this server's cluster and secret.
fn check_arns(api: &DataApi, resource_arn: Option<&str>, secret_arn: Option<&str>) -> Result<(), ApiError> {
    let resource_arn = wire::required(resource_arn, "resourceArn")?;
    let secret_arn = wire::required(secret_arn, "secretArn")?;
    if resource_arn != api.resource_arn {
        return Err(ApiError::bad_request(format!(
            "Invalid resourceArn: '{resource_arn}' is not the cluster this server serves"
        )));
    }
    if secret_arn != api.secret_arn {
        return Err(ApiError::bad_request(format!(
            "Invalid secretArn: '{secret_arn}' is not the secret of this cluster"
        )));
    }
    Ok(())
}

fn check_sql(sql: Option<String>) -> Result<String, ApiError> {
    let sql = wire::required(sql, "sql")?;
    if sql.len() > MAX_SQL_BYTES {
        return Err(ApiError::bad_request(format!(
            "1 validation error detected: Value at 'sql' failed to satisfy constraint: Member must have \
             length less than or equal to {MAX_SQL_BYTES}"
        )));
    }
    Ok(sql)
}

/// An absent or empty `transactionId` means autocommit.
fn transaction_id(id: Option<String>) -> Result<Option<String>, ApiError> {
    match id {
        Some(id) if id.chars().count() > MAX_TRANSACTION_ID_CHARS => Err(ApiError::bad_request(format!(
            "1 validation error detected: Value at 'transactionId' failed to satisfy constraint: \
                 Member must have length less than or equal to {MAX_TRANSACTION_ID_CHARS}"
        ))),
        Some(id) if !id.is_empty() => Ok(Some(id)),
        _ => Ok(None),
    }
}

fn to_json(value: &impl Serialize) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|e| {
        tracing::warn!(error = %e, "could not serialize a response");
        ApiError::new(
            crate::error::ErrorCode::InternalServerErrorException,
            "An internal error occurred while serializing the response",
        )
    })
}

async fn execute_statement(api: &DataApi, req: ExecuteRequest) -> Result<String, ApiError> {
    let sql = check_sql(req.sql)?;
    check_arns(api, req.resource_arn.as_deref(), req.secret_arn.as_deref())?;
    let options = ExecuteOptions {
        include_metadata: req.include_result_metadata,
        format: req.format_records_as,
        result_set: req.result_set_options,
    };
    let response = match transaction_id(req.transaction_id)? {
        Some(id) => {
            let guard = api.transactions.enter(&id).await?;
            let conn = guard.conn()?;
            let result = execute::execute(&conn.client, conn.pid, &sql, &req.parameters, options).await;
            guard.record(&result);
            result?
        }
        None => {
            let conn = api.pool.get().await?;
            execute::execute(&conn.client, conn.pid, &sql, &req.parameters, options).await?
        }
    };
    let body = to_json(&response)?;
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(ApiError::bad_request("Database returned more than the allowed response size limit"));
    }
    Ok(body)
}

async fn batch_execute(api: &DataApi, req: BatchExecuteRequest) -> Result<String, ApiError> {
    let sql = check_sql(req.sql)?;
    check_arns(api, req.resource_arn.as_deref(), req.secret_arn.as_deref())?;
    let update_results = match transaction_id(req.transaction_id)? {
        Some(id) => {
            let guard = api.transactions.enter(&id).await?;
            let conn = guard.conn()?;
            let result = execute::batch(&conn.client, conn.pid, &sql, &req.parameter_sets).await;
            guard.record(&result);
            result?
        }
        None => {
            // All or nothing: the batch runs in a transaction of its own, rolled back on any failure
            // (also when this future is dropped, by the transaction's own drop).
            let mut conn = api.pool.get().await?;
            let pid = conn.pid;
            let tx = conn.client.transaction().await.map_err(|e| execute::db_error(e, pid))?;
            let results = execute::batch(&tx, pid, &sql, &req.parameter_sets).await?;
            tx.commit().await.map_err(|e| execute::db_error(e, pid))?;
            results
        }
    };
    to_json(&BatchExecuteResponse { update_results })
}

async fn begin(api: &DataApi, req: BeginRequest) -> Result<String, ApiError> {
    check_arns(api, req.resource_arn.as_deref(), req.secret_arn.as_deref())?;
    let transaction_id = api.transactions.begin(&api.pool).await?;
    to_json(&BeginResponse { transaction_id })
}

async fn end(api: &DataApi, req: EndRequest, commit: bool) -> Result<String, ApiError> {
    let id = wire::required(req.transaction_id, "transactionId")?;
    check_arns(api, req.resource_arn.as_deref(), req.secret_arn.as_deref())?;
    api.transactions.finish(&id, commit).await?;
    to_json(&EndResponse { transaction_status: if commit { "Transaction Committed" } else { "Rollback Complete" } })
}
