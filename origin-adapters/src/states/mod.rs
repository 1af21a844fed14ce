//! The AWS Step Functions client: `StartExecution`, `DescribeExecution` and `StartSyncExecution` (awsJson1_0:
//! `POST /` with `X-Amz-Target: AWSStepFunctions.<Operation>`), signed for service `states`, over the core's
//! [`HttpClient`] port. It implements the core's [`Workflows`] port for the two generation state machines.
//!
//! Throttling and 5xx answers are retried twice, with a short backoff on the core's [`Timer`]. A start that
//! finds its name taken is resolved by describing that execution: the same input means the same job (a retried
//! start, whatever the execution's state), another input is [`WorkflowError::NameTaken`].

mod error;
#[cfg(test)]
mod tests;

pub use error::StatesError;

use crate::credentials::AwsCredentials;
use crate::sigv4::sign_request;
use momentum_core::generation::workflow::{Execution, ExecutionStatus, Workflow, WorkflowError};
use momentum_core::ports::{Clock, HttpClient, Timer, Workflows};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

const SERVICE: &str = "states";
const TARGET_PREFIX: &str = "AWSStepFunctions";
const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// Waits before the second and third attempt of a retryable call, in ms.
const BACKOFF_MS: [u64; 2] = [100, 400];

/// Where and as whom to call Step Functions, and which state machines run the generation jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatesConfig {
    /// The endpoint, e.g. `https://states.us-east-1.amazonaws.com` (or the local origin's URL).
    pub endpoint: String,
    /// The endpoint of `StartSyncExecution` (AWS: the `sync-` host prefix).
    pub sync_endpoint: String,
    /// The region the requests are signed for.
    pub region: String,
    /// The state machine that generates a course.
    pub course_state_machine_arn: String,
    /// The state machine that renders a lesson's video.
    pub video_state_machine_arn: String,
    /// The IAM credentials the requests are signed with.
    pub credentials: AwsCredentials,
}

impl StatesConfig {
    /// Reads the settings from variables, by name: `AWS_REGION`, `GENERATE_COURSE_STATE_MACHINE_ARN`,
    /// `GENERATE_VIDEO_STATE_MACHINE_ARN`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (required);
    /// `STATES_ENDPOINT` (default `https://states.{region}.amazonaws.com`), `STATES_SYNC_ENDPOINT` (default: the
    /// endpoint with the `sync-` host prefix for AWS hosts, else the endpoint itself), `AWS_SESSION_TOKEN`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let optional = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let required = |name: &str| optional(name).ok_or_else(|| format!("variable {name} is not set"));
        let region = required("AWS_REGION")?;
        let endpoint = optional("STATES_ENDPOINT").unwrap_or_else(|| format!("https://states.{region}.amazonaws.com"));
        let sync_endpoint = optional("STATES_SYNC_ENDPOINT").unwrap_or_else(|| sync_endpoint(&endpoint));
        Ok(StatesConfig {
            endpoint,
            sync_endpoint,
            course_state_machine_arn: required("GENERATE_COURSE_STATE_MACHINE_ARN")?,
            video_state_machine_arn: required("GENERATE_VIDEO_STATE_MACHINE_ARN")?,
            credentials: AwsCredentials::from_vars(&var)?,
            region,
        })
    }

    /// The state machine of `workflow`.
    pub fn state_machine_arn(&self, workflow: Workflow) -> &str {
        match workflow {
            Workflow::GenerateCourse => &self.course_state_machine_arn,
            Workflow::GenerateVideo => &self.video_state_machine_arn,
        }
    }
}

/// AWS's sync endpoint: the `sync-` host prefix on `states.*.amazonaws.com`; any other endpoint serves both.
fn sync_endpoint(endpoint: &str) -> String {
    match endpoint.split_once("://") {
        Some((scheme, rest)) if rest.starts_with("states.") && rest.contains(".amazonaws.com") => {
            format!("{scheme}://sync-{rest}")
        }
        _ => endpoint.to_owned(),
    }
}

/// The ARN of execution `name` of the (unqualified) state machine `state_machine_arn`.
pub fn execution_arn(state_machine_arn: &str, name: &str) -> String {
    format!("{}:{name}", state_machine_arn.replacen(":stateMachine:", ":execution:", 1))
}

/// `StartExecution` / `StartSyncExecution` input.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StartRequest<'a> {
    state_machine_arn: &'a str,
    name: &'a str,
    input: &'a str,
}

/// `StartExecution` output.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartedExecution {
    /// The execution's ARN.
    pub execution_arn: String,
    /// Epoch seconds (may be fractional).
    pub start_date: Option<f64>,
}

/// `DescribeExecution` input.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DescribeRequest<'a> {
    execution_arn: &'a str,
}

/// `DescribeExecution` and `StartSyncExecution` output (the members the edge reads).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionDescription {
    /// The execution's ARN.
    pub execution_arn: Option<String>,
    /// RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or PENDING_REDRIVE.
    pub status: String,
    /// The input, as JSON text.
    pub input: Option<String>,
    /// The output (JSON text), on success.
    pub output: Option<String>,
    /// The error name, on failure.
    pub error: Option<String>,
    /// The failure's cause.
    pub cause: Option<String>,
}

/// A Step Functions client over an HTTP transport `H` and a clock `C` (which also waits between retries).
#[derive(Debug, Clone)]
pub struct StepFunctionsClient<H, C> {
    config: StatesConfig,
    http: H,
    clock: C,
}

impl<H: HttpClient, C: Clock + Timer> StepFunctionsClient<H, C> {
    /// A client for `config`, sending through `http` and signing at `clock`'s time.
    pub fn new(config: StatesConfig, http: H, clock: C) -> Self {
        StepFunctionsClient { config, http, clock }
    }

    /// `StartExecution` of `state_machine_arn` as `name` with `input` (JSON text).
    pub async fn start_execution(
        &self,
        state_machine_arn: &str,
        name: &str,
        input: &str,
    ) -> Result<StartedExecution, StatesError> {
        let body = StartRequest { state_machine_arn, name, input };
        self.call(&self.config.endpoint, "StartExecution", &body).await
    }

    /// `DescribeExecution` of `execution_arn`.
    pub async fn describe_execution(&self, execution_arn: &str) -> Result<ExecutionDescription, StatesError> {
        self.call(&self.config.endpoint, "DescribeExecution", &DescribeRequest { execution_arn }).await
    }

    /// `StartSyncExecution` (Express state machines): runs and waits; a failed run is still a 200, read `status`.
    pub async fn start_sync_execution(
        &self,
        state_machine_arn: &str,
        name: &str,
        input: &str,
    ) -> Result<ExecutionDescription, StatesError> {
        let body = StartRequest { state_machine_arn, name, input };
        self.call(&self.config.sync_endpoint, "StartSyncExecution", &body).await
    }

    async fn call<B: Serialize, R: DeserializeOwned>(
        &self,
        endpoint: &str,
        operation: &str,
        body: &B,
    ) -> Result<R, StatesError> {
        let bytes = serde_json::to_vec(body).map_err(|err| StatesError::Request(err.to_string()))?;
        let mut attempt = 0;
        loop {
            match self.send_once(endpoint, operation, bytes.clone()).await {
                Err(err) if err.is_retryable() && attempt < BACKOFF_MS.len() => {
                    self.clock.sleep(BACKOFF_MS[attempt]).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn send_once<R: DeserializeOwned>(
        &self,
        endpoint: &str,
        operation: &str,
        body: Vec<u8>,
    ) -> Result<R, StatesError> {
        let url = format!("{}/", endpoint.trim_end_matches('/'));
        let mut request = http::Request::builder()
            .method(http::Method::POST)
            .uri(url)
            .header(http::header::CONTENT_TYPE, CONTENT_TYPE)
            .header("x-amz-target", format!("{TARGET_PREFIX}.{operation}"))
            .body(body)
            .map_err(|err| StatesError::Request(err.to_string()))?;
        sign_request(&mut request, &self.config.credentials, &self.config.region, SERVICE, self.clock.now_millis())
            .map_err(|err| StatesError::Request(err.to_string()))?;
        let response = self.http.send(request).await.map_err(StatesError::Transport)?;
        if response.status().is_success() {
            return serde_json::from_slice(response.body())
                .map_err(|err| StatesError::Decode(format!("{operation}: {err}")));
        }
        Err(service_error(&response))
    }
}

/// Reads an awsJson1_0 error: `__type` (after any `#`), else `x-amzn-ErrorType` (before any `:`); `message`.
fn service_error(response: &http::Response<Vec<u8>>) -> StatesError {
    let body: Value = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    let from_body = ["__type", "code"]
        .iter()
        .find_map(|key| body.get(*key).and_then(Value::as_str))
        .map(|value| value.rsplit('#').next().unwrap_or(value).to_owned());
    let from_header = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|value| value.to_str().ok())
        .map(|value| value.split(':').next().unwrap_or(value).to_owned());
    let code = from_body.or(from_header).unwrap_or_else(|| format!("Http{}", response.status().as_u16()));
    let message =
        ["message", "Message"].iter().find_map(|key| body.get(*key).and_then(Value::as_str)).unwrap_or("").to_owned();
    StatesError::Service { code, status: response.status().as_u16(), message }
}

/// The core's view of a description.
fn execution(description: ExecutionDescription) -> Result<Execution, StatesError> {
    let status = match description.status.as_str() {
        "RUNNING" => ExecutionStatus::Running,
        "SUCCEEDED" => ExecutionStatus::Succeeded,
        "FAILED" => ExecutionStatus::Failed,
        "TIMED_OUT" => ExecutionStatus::TimedOut,
        "ABORTED" => ExecutionStatus::Aborted,
        "PENDING_REDRIVE" => ExecutionStatus::PendingRedrive,
        other => return Err(StatesError::Decode(format!("unknown execution status {other:?}"))),
    };
    Ok(Execution { status, error: description.error, cause: description.cause, output: description.output })
}

fn same_json(a: &str, b: &str) -> bool {
    match (serde_json::from_str::<Value>(a), serde_json::from_str::<Value>(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

impl<H: HttpClient, C: Clock + Timer> Workflows for StepFunctionsClient<H, C> {
    async fn start(&self, workflow: Workflow, name: &str, input: &str) -> Result<(), WorkflowError> {
        let state_machine = self.config.state_machine_arn(workflow);
        match self.start_execution(state_machine, name, input).await {
            Ok(_) => Ok(()),
            // Taken: by this very job (a retried start after the execution closed), or by another input.
            Err(err) if err.code() == Some("ExecutionAlreadyExists") => {
                let existing = match self.describe_execution(&execution_arn(state_machine, name)).await {
                    Ok(existing) => existing,
                    Err(err) => {
                        return Err(match WorkflowError::from(err) {
                            // Step Functions reads are eventually consistent: the name is taken, so the execution
                            // exists; it is not visible yet. The start is worth retrying, never a 404.
                            WorkflowError::NotFound => WorkflowError::Unavailable {
                                retry_after_secs: 1,
                                message: format!("execution {name} exists but is not visible yet"),
                            },
                            other => other,
                        });
                    }
                };
                match existing.input {
                    Some(existing) if same_json(&existing, input) => Ok(()),
                    _ => Err(WorkflowError::NameTaken),
                }
            }
            Err(err) => Err(err.into()),
        }
    }

    async fn describe(&self, workflow: Workflow, name: &str) -> Result<Execution, WorkflowError> {
        let arn = execution_arn(self.config.state_machine_arn(workflow), name);
        Ok(execution(self.describe_execution(&arn).await?)?)
    }
}
