//! The RDS Data API client: `ExecuteStatement`, `BatchExecuteStatement` and the transaction calls, signed for
//! service `rds-data`, over the core's [`HttpClient`] port. It implements the core's [`Database`] port.

mod error;
mod wire;

pub use error::DataApiError;

use crate::credentials::AwsCredentials;
use crate::sigv4::sign_request;
use momentum_core::db::{DbError, Param, ResultSet, Statement};
use momentum_core::ports::{Clock, Database, HttpClient};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

/// Where and as whom to call the Data API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataApiConfig {
    /// The endpoint, e.g. `https://rds-data.us-east-1.amazonaws.com` (or the local origin's URL).
    pub endpoint: String,
    /// The region the requests are signed for.
    pub region: String,
    /// The Aurora cluster ARN.
    pub resource_arn: String,
    /// The Secrets Manager ARN of the database credentials.
    pub secret_arn: String,
    /// The database name, when not the secret's default.
    pub database: Option<String>,
    /// The IAM credentials the requests are signed with.
    pub credentials: AwsCredentials,
}

impl DataApiConfig {
    /// Reads the settings from variables, by name: `DATA_API_ENDPOINT`, `AWS_REGION`, `DB_RESOURCE_ARN`,
    /// `DB_SECRET_ARN`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (required); `DB_NAME`, `AWS_SESSION_TOKEN`
    /// (optional). The error names the missing variable, never a value.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let optional = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let required = |name: &str| optional(name).ok_or_else(|| format!("variable {name} is not set"));
        Ok(DataApiConfig {
            endpoint: required("DATA_API_ENDPOINT")?,
            region: required("AWS_REGION")?,
            resource_arn: required("DB_RESOURCE_ARN")?,
            secret_arn: required("DB_SECRET_ARN")?,
            database: optional("DB_NAME"),
            credentials: AwsCredentials::from_vars(&var)?,
        })
    }
}

/// A Data API client over an HTTP transport `H` and a clock `C`.
#[derive(Debug, Clone)]
pub struct DataApiClient<H, C> {
    config: DataApiConfig,
    http: H,
    clock: C,
}

const SERVICE: &str = "rds-data";

impl<H: HttpClient, C: Clock> DataApiClient<H, C> {
    /// A client for `config`, sending through `http` and signing at `clock`'s time.
    pub fn new(config: DataApiConfig, http: H, clock: C) -> Self {
        DataApiClient { config, http, clock }
    }

    /// `ExecuteStatement`, reading `records` with `columnMetadata`; in `transaction_id` when given.
    pub async fn execute_statement(
        &self,
        statement: &Statement,
        transaction_id: Option<&str>,
    ) -> Result<ResultSet, DataApiError> {
        let response = self.execute_call(statement, transaction_id, false).await?;
        let columns = response
            .column_metadata
            .into_iter()
            .map(|column| column.label.filter(|l| !l.is_empty()).or(column.name).unwrap_or_default())
            .collect::<Vec<_>>();
        let rows = response
            .records
            .iter()
            .map(|record| {
                if record.len() != columns.len() {
                    return Err(DataApiError::Decode(format!(
                        "record has {} fields for {} columns",
                        record.len(),
                        columns.len()
                    )));
                }
                record.iter().map(|field| wire::cell(field).map_err(DataApiError::Decode)).collect()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ResultSet { columns, rows, rows_updated: response.number_of_records_updated })
    }

    /// `ExecuteStatement` with `formatRecordsAs: JSON`: each row as a JSON object keyed by column.
    pub async fn execute_json(
        &self,
        statement: &Statement,
        transaction_id: Option<&str>,
    ) -> Result<Vec<Map<String, Value>>, DataApiError> {
        let response = self.execute_call(statement, transaction_id, true).await?;
        match response.formatted_records {
            None => Ok(Vec::new()),
            Some(text) => {
                serde_json::from_str(&text).map_err(|err| DataApiError::Decode(format!("formattedRecords: {err}")))
            }
        }
    }

    /// `BatchExecuteStatement`: `sql` once per parameter set; returns how many sets ran.
    pub async fn batch_execute(
        &self,
        sql: &str,
        parameter_sets: &[Vec<Param>],
        transaction_id: Option<&str>,
    ) -> Result<usize, DataApiError> {
        let body = wire::BatchExecuteRequest {
            resource_arn: &self.config.resource_arn,
            secret_arn: &self.config.secret_arn,
            sql,
            database: self.config.database.as_deref(),
            parameter_sets: parameter_sets.iter().map(|set| parameters(set)).collect::<Result<_, _>>()?,
            transaction_id,
        };
        let response: wire::BatchExecuteResponse = self.call("/BatchExecute", &body).await?;
        Ok(response.update_results.len())
    }

    /// `BeginTransaction`: returns the transaction id.
    pub async fn begin_transaction(&self) -> Result<String, DataApiError> {
        let body = self.transaction_body(None);
        let response: wire::BeginTransactionResponse = self.call("/BeginTransaction", &body).await?;
        Ok(response.transaction_id)
    }

    /// `CommitTransaction`: returns AWS's status text.
    pub async fn commit_transaction(&self, transaction_id: &str) -> Result<String, DataApiError> {
        let body = self.transaction_body(Some(transaction_id));
        let response: wire::TransactionStatusResponse = self.call("/CommitTransaction", &body).await?;
        Ok(response.transaction_status)
    }

    /// `RollbackTransaction`: returns AWS's status text.
    pub async fn rollback_transaction(&self, transaction_id: &str) -> Result<String, DataApiError> {
        let body = self.transaction_body(Some(transaction_id));
        let response: wire::TransactionStatusResponse = self.call("/RollbackTransaction", &body).await?;
        Ok(response.transaction_status)
    }

    /// One `ExecuteStatement` call: records with column metadata, or (`as_json`) `formattedRecords`.
    async fn execute_call(
        &self,
        statement: &Statement,
        transaction_id: Option<&str>,
        as_json: bool,
    ) -> Result<wire::ExecuteResponse, DataApiError> {
        let body = wire::ExecuteRequest {
            resource_arn: &self.config.resource_arn,
            secret_arn: &self.config.secret_arn,
            sql: &statement.sql,
            database: self.config.database.as_deref(),
            parameters: parameters(&statement.params)?,
            transaction_id,
            include_result_metadata: !as_json,
            format_records_as: as_json.then_some("JSON"),
        };
        self.call("/Execute", &body).await
    }

    fn transaction_body<'a>(&'a self, transaction_id: Option<&'a str>) -> wire::TransactionRequest<'a> {
        wire::TransactionRequest {
            resource_arn: &self.config.resource_arn,
            secret_arn: &self.config.secret_arn,
            database: if transaction_id.is_none() { self.config.database.as_deref() } else { None },
            transaction_id,
        }
    }

    async fn call<B: Serialize, R: DeserializeOwned>(&self, path: &str, body: &B) -> Result<R, DataApiError> {
        let bytes = serde_json::to_vec(body).map_err(|err| DataApiError::Request(err.to_string()))?;
        let url = format!("{}{}", self.config.endpoint.trim_end_matches('/'), path);
        let mut request = http::Request::builder()
            .method(http::Method::POST)
            .uri(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(bytes)
            .map_err(|err| DataApiError::Request(err.to_string()))?;
        sign_request(&mut request, &self.config.credentials, &self.config.region, SERVICE, self.clock.now_millis())
            .map_err(|err| DataApiError::Request(err.to_string()))?;
        let response = self.http.send(request).await.map_err(DataApiError::Transport)?;
        let status = response.status();
        if status.is_success() {
            return serde_json::from_slice(response.body())
                .map_err(|err| DataApiError::Decode(format!("{path}: {err}")));
        }
        Err(service_error(&response))
    }
}

fn parameters(params: &[Param]) -> Result<Vec<Value>, DataApiError> {
    params.iter().map(|param| wire::parameter(param).map_err(DataApiError::Request)).collect()
}

/// Reads a rest-json error: the code from `x-amzn-ErrorType` (before any `:`), else the body's `__type` or
/// `code` (after any `#`); the message from `message` or `Message`.
fn service_error(response: &http::Response<Vec<u8>>) -> DataApiError {
    let body: Value = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    let from_header = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|value| value.to_str().ok())
        .map(|value| value.split(':').next().unwrap_or(value).to_owned());
    let from_body = ["__type", "code"]
        .iter()
        .find_map(|key| body.get(*key).and_then(Value::as_str))
        .map(|value| value.rsplit('#').next().unwrap_or(value).to_owned());
    let code = from_header.or(from_body).unwrap_or_else(|| format!("Http{}", response.status().as_u16()));
    let message =
        ["message", "Message"].iter().find_map(|key| body.get(*key).and_then(Value::as_str)).unwrap_or("").to_owned();
    DataApiError::Service { code, status: response.status().as_u16(), message }
}

impl<H: HttpClient, C: Clock> Database for DataApiClient<H, C> {
    async fn execute(&self, statement: &Statement) -> Result<ResultSet, DbError> {
        self.execute_statement(statement, None).await.map_err(DbError::from)
    }

    async fn begin(&self) -> Result<String, DbError> {
        self.begin_transaction().await.map_err(DbError::from)
    }

    async fn execute_in(&self, tx: &str, statement: &Statement) -> Result<ResultSet, DbError> {
        self.execute_statement(statement, Some(tx)).await.map_err(DbError::from)
    }

    async fn commit(&self, tx: &str) -> Result<(), DbError> {
        self.commit_transaction(tx).await.map(drop).map_err(DbError::from)
    }

    async fn rollback(&self, tx: &str) -> Result<(), DbError> {
        self.rollback_transaction(tx).await.map(drop).map_err(DbError::from)
    }
}

#[cfg(test)]
mod tests;
