//! The AWS Step Functions endpoints the edge uses — `StartExecution`, `DescribeExecution`,
//! `StartSyncExecution` (awsJson1_0: `POST /` with `X-Amz-Target`, SigV4 for service `states`) — and the
//! executions themselves: each runs `workflows/<name>.asl.json` in the background (a tokio task) through the
//! [`asl`] interpreter, its tasks done locally ([`tasks`]) over this server's PostgreSQL.
//!
//! The state machines are the committed definition files, registered as
//! `arn:aws:states:{region}:000000000000:stateMachine:momentum-<name>`, their `${…}` placeholders filled with
//! this server's values as a deployer's DefinitionSubstitutions would be. Name rules and idempotency follow
//! AWS's for standard workflows: the same name and input while running returns the running execution; another
//! input, or the same name once it closed, is `ExecutionAlreadyExists`.

mod asl;
mod controls;
mod generator;
mod paths;
mod tasks;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::data_api::DataApi;
use crate::sigv4::{SignedRequest, Verifier};
pub use tasks::Fault;
use tasks::Tasks;

/// The account in local ARNs.
const ACCOUNT: &str = "000000000000";
/// AWS's limit on `input`, and more than any request here needs.
const MAX_REQUEST_BYTES: usize = 1024 * 1024;
const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// One execution.
#[derive(Debug, Clone)]
struct Execution {
    arn: String,
    name: String,
    state_machine_arn: String,
    input: String,
    status: &'static str,
    output: Option<String>,
    error: Option<String>,
    cause: Option<String>,
    start: f64,
    stop: Option<f64>,
}

impl Execution {
    fn describe(&self) -> Value {
        let mut out = json!({
            "executionArn": self.arn, "stateMachineArn": self.state_machine_arn, "name": self.name,
            "status": self.status, "startDate": self.start, "input": self.input,
            "inputDetails": {"included": true},
        });
        for (key, value) in [("output", &self.output), ("error", &self.error), ("cause", &self.cause)] {
            if let Some(value) = value {
                out[key] = Value::from(value.as_str());
            }
        }
        if let Some(stop) = self.stop {
            out["stopDate"] = Value::from(stop);
        }
        out
    }
}

/// Calls and executions, for the tests (`/_local/states`).
#[derive(Debug, Default)]
struct Counters {
    start_execution: u64,
    describe_execution: u64,
    start_sync_execution: u64,
    executions: u64,
    /// Per job id (the `jobId` of the input): StartExecution calls and executions created.
    jobs: BTreeMap<String, (u64, u64)>,
}

/// Everything the Step Functions endpoint needs.
pub struct StepFunctions {
    verifier: Verifier,
    region: String,
    machines: HashMap<String, Arc<Value>>,
    executions: Mutex<HashMap<String, Execution>>,
    counters: Mutex<Counters>,
    tasks: Arc<Tasks>,
}

/// An awsJson1_0 error answer.
struct Error {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Error {
    fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Error { status: StatusCode::BAD_REQUEST, code, message: message.into() }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let body = json!({"__type": self.code, "message": self.message}).to_string();
        let mut response =
            (self.status, [(axum::http::header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))], body)
                .into_response();
        response.headers_mut().insert("x-amzn-ErrorType", HeaderValue::from_static(self.code));
        response
    }
}

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| (d.as_millis() as f64) / 1000.0)
}

impl StepFunctions {
    /// Loads every `*.asl.json` in `dir` as a state machine, with its placeholders filled for this server.
    pub fn load(
        dir: &Path,
        region: &str,
        verifier: Verifier,
        data_api: Arc<DataApi>,
        media_dir: PathBuf,
    ) -> Result<Self, String> {
        let substitutions = [
            ("${DbResourceArn}", data_api.resource_arn.clone()),
            ("${DbSecretArn}", data_api.secret_arn.clone()),
            ("${DbName}", "momentum".to_owned()),
            ("${BedrockModelId}", tasks::MODEL_ID.to_owned()),
            ("${RenderVideoFunctionArn}", tasks::RENDER_FUNCTION.to_owned()),
            ("${MediaBucket}", "momentum-media-local".to_owned()),
            ("${NotifyTopicArn}", format!("arn:aws:sns:{region}:{ACCOUNT}:momentum-generation")),
        ];
        let mut machines = HashMap::new();
        // Without the folder (a server started elsewhere than the repo), the Data API still runs: every start then
        // answers StateMachineDoesNotExist, naming the ARN.
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries.flatten().collect::<Vec<_>>(),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(dir = %dir.display(), "no workflows folder: no state machines");
                Vec::new()
            }
            Err(err) => return Err(format!("workflows dir {}: {err}", dir.display())),
        };
        for entry in entries {
            let file = entry.file_name().to_string_lossy().into_owned();
            let Some(name) = file.strip_suffix(".asl.json") else { continue };
            let mut text = std::fs::read_to_string(entry.path()).map_err(|err| format!("{file}: {err}"))?;
            for (placeholder, value) in &substitutions {
                text = text.replace(placeholder, value);
            }
            let definition: Value = serde_json::from_str(&text).map_err(|err| format!("{file}: {err}"))?;
            asl::check(&definition).map_err(|err| format!("{file}: {err}"))?;
            let leftover = text.match_indices("${").map(|(i, _)| &text[i..]).find(|rest| {
                rest[2..]
                    .find('}')
                    .is_some_and(|end| end > 0 && rest[2..2 + end].bytes().all(|b| b.is_ascii_alphanumeric()))
            });
            if let Some(leftover) = leftover {
                return Err(format!("{file}: no local value for {}", &leftover[..leftover.find('}').unwrap_or(0) + 1]));
            }
            let arn = format!("arn:aws:states:{region}:{ACCOUNT}:stateMachine:momentum-{name}");
            tracing::info!(%arn, "state machine loaded");
            machines.insert(arn, Arc::new(definition));
        }
        let tasks = Arc::new(Tasks {
            data_api,
            media_dir,
            faults: Mutex::new(Vec::new()),
            notifications: Mutex::new(Vec::new()),
        });
        Ok(StepFunctions {
            verifier,
            region: region.to_owned(),
            machines,
            executions: Mutex::new(HashMap::new()),
            counters: Mutex::new(Counters::default()),
            tasks,
        })
    }

    fn counters(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn executions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Execution>> {
        self.executions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The Step Functions routes (and, with test controls, `/_local/states`).
pub fn router(sfn: Arc<StepFunctions>, test_controls: bool) -> Router {
    let mut router = Router::new().route("/", post(handle));
    if test_controls {
        router = router
            .route("/_local/states", get(controls::stats))
            .route("/_local/states/faults", post(controls::arm).delete(controls::disarm));
    }
    router.with_state(sfn)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartRequest {
    state_machine_arn: Option<String>,
    name: Option<String>,
    input: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeRequest {
    execution_arn: Option<String>,
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::bad("SerializationException", e.to_string()))
}

async fn handle(State(sfn): State<Arc<StepFunctions>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let target = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let result = async {
        let bytes = axum::body::to_bytes(body, MAX_REQUEST_BYTES)
            .await
            .map_err(|_| Error::bad("ValidationException", "Request body is too large"))?;
        let signed = SignedRequest {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers: &parts.headers,
            body: &bytes,
        };
        sfn.verifier.verify(&signed, SystemTime::now()).map_err(|err| Error {
            status: err.code.status(),
            code: err.code.as_str(),
            message: err.message,
        })?;
        match target.strip_prefix("AWSStepFunctions.") {
            Some("StartExecution") => start(&sfn, parse(&bytes)?),
            Some("DescribeExecution") => describe(&sfn, parse(&bytes)?),
            Some("StartSyncExecution") => start_sync(&sfn, parse(&bytes)?).await,
            _ => Err(Error::bad("UnknownOperationException", format!("Unknown operation {target:?}"))),
        }
    }
    .await;
    tracing::info!(target = %target, ok = result.is_ok(), "step functions call");
    match result {
        Ok(body) => ([(axum::http::header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))], body.to_string())
            .into_response(),
        Err(err) => {
            tracing::info!(code = err.code, message = %err.message, "step functions error");
            err.into_response()
        }
    }
}

/// Validates a start and returns (state machine, name, input).
fn start_parts(sfn: &StepFunctions, request: StartRequest) -> Result<(String, Arc<Value>, String, String), Error> {
    let arn =
        request.state_machine_arn.ok_or_else(|| Error::bad("ValidationException", "stateMachineArn is required"))?;
    let machine = sfn
        .machines
        .get(&arn)
        .cloned()
        .ok_or_else(|| Error::bad("StateMachineDoesNotExist", format!("State Machine Does Not Exist: '{arn}'")))?;
    let name = request.name.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let forbidden = |c: char| c.is_whitespace() || c.is_control() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c);
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(forbidden) {
        return Err(Error::bad("InvalidName", format!("Invalid Name: '{name}'")));
    }
    let input = request.input.unwrap_or_else(|| "{}".to_owned());
    if input.len() > 262_144 || serde_json::from_str::<Value>(&input).is_err() {
        return Err(Error::bad("InvalidExecutionInput", "Invalid State Machine Execution Input"));
    }
    Ok((arn, machine, name, input))
}

fn execution_arn(sfn: &StepFunctions, state_machine_arn: &str, name: &str) -> String {
    let machine = state_machine_arn.rsplit(':').next().unwrap_or_default();
    format!("arn:aws:states:{}:{ACCOUNT}:execution:{machine}:{name}", sfn.region)
}

fn job_of(input: &str) -> Option<String> {
    serde_json::from_str::<Value>(input).ok()?["jobId"].as_str().map(str::to_owned)
}

fn start(sfn: &Arc<StepFunctions>, request: StartRequest) -> Result<Value, Error> {
    let (machine_arn, machine, name, input) = start_parts(sfn, request)?;
    let arn = execution_arn(sfn, &machine_arn, &name);
    let job = job_of(&input);
    {
        let mut counters = sfn.counters();
        counters.start_execution += 1;
        if let Some(job) = &job {
            counters.jobs.entry(job.clone()).or_default().0 += 1;
        }
    }
    let title =
        serde_json::from_str::<Value>(&input).ok().and_then(|v| v["request"]["title"].as_str().map(str::to_owned));
    if sfn.tasks.fault("start", title.as_deref().unwrap_or_default()) {
        return Err(Error::bad("ThrottlingException", "Rate exceeded (injected fault)"));
    }
    let mut executions = sfn.executions();
    if let Some(existing) = executions.get(&arn) {
        let same = serde_json::from_str::<Value>(&existing.input).ok() == serde_json::from_str::<Value>(&input).ok();
        if same && existing.status == "RUNNING" {
            return Ok(json!({"executionArn": arn, "startDate": existing.start}));
        }
        return Err(Error::bad("ExecutionAlreadyExists", format!("Execution Already Exists: '{arn}'")));
    }
    let execution = Execution {
        arn: arn.clone(),
        name: name.clone(),
        state_machine_arn: machine_arn.clone(),
        input: input.clone(),
        status: "RUNNING",
        output: None,
        error: None,
        cause: None,
        start: now(),
        stop: None,
    };
    let start_date = execution.start;
    executions.insert(arn.clone(), execution);
    drop(executions);
    {
        let mut counters = sfn.counters();
        counters.executions += 1;
        if let Some(job) = &job {
            counters.jobs.entry(job.clone()).or_default().1 += 1;
        }
    }
    let sfn = sfn.clone();
    let (arn_for_task, context) = (arn.clone(), context(&arn, &name, &machine_arn, &input, start_date));
    tokio::spawn(async move {
        let outcome = run_execution(&sfn, machine, &input, context).await;
        finish(&sfn, &arn_for_task, outcome);
    });
    Ok(json!({"executionArn": arn, "startDate": start_date}))
}

fn context(arn: &str, name: &str, machine_arn: &str, input: &str, start: f64) -> Value {
    json!({
        "Execution": {"Id": arn, "Name": name, "Input": serde_json::from_str::<Value>(input).unwrap_or(Value::Null),
                      "StartTime": start},
        "StateMachine": {"Id": machine_arn},
    })
}

async fn run_execution(
    sfn: &Arc<StepFunctions>,
    machine: Arc<Value>,
    input: &str,
    context: Value,
) -> Result<Value, paths::Failure> {
    let input: Value = serde_json::from_str(input).map_err(|e| paths::Failure::runtime(e.to_string()))?;
    let timeout = machine["TimeoutSeconds"].as_u64().unwrap_or(3600);
    let run = asl::run(sfn.tasks.clone(), machine, input, Arc::new(context));
    match tokio::time::timeout(std::time::Duration::from_secs(timeout), run).await {
        Ok(outcome) => outcome,
        Err(_) => Err(paths::Failure::new("States.Timeout", "The execution ran past TimeoutSeconds")),
    }
}

fn finish(sfn: &StepFunctions, arn: &str, outcome: Result<Value, paths::Failure>) {
    let mut executions = sfn.executions();
    let Some(execution) = executions.get_mut(arn) else { return };
    execution.stop = Some(now());
    match outcome {
        Ok(output) => {
            execution.status = "SUCCEEDED";
            execution.output = Some(output.to_string());
        }
        Err(failure) => {
            execution.status = if failure.error == "States.Timeout" { "TIMED_OUT" } else { "FAILED" };
            execution.error = Some(failure.error);
            execution.cause = Some(failure.cause);
        }
    }
    tracing::info!(%arn, status = execution.status, error = execution.error.as_deref().unwrap_or(""), "execution finished");
}

fn describe(sfn: &StepFunctions, request: DescribeRequest) -> Result<Value, Error> {
    sfn.counters().describe_execution += 1;
    let arn = request.execution_arn.ok_or_else(|| Error::bad("ValidationException", "executionArn is required"))?;
    if !arn.starts_with("arn:aws:states:") || !arn.contains(":execution:") {
        return Err(Error::bad("InvalidArn", format!("Invalid Arn: '{arn}'")));
    }
    let executions = sfn.executions();
    let execution = executions
        .get(&arn)
        .ok_or_else(|| Error::bad("ExecutionDoesNotExist", format!("Execution Does Not Exist: '{arn}'")))?;
    Ok(execution.describe())
}

/// Runs to the end and answers with the outcome (200 even when the workflow fails, as AWS does). Locally any
/// state machine may run this way; on AWS only Express ones.
async fn start_sync(sfn: &Arc<StepFunctions>, request: StartRequest) -> Result<Value, Error> {
    sfn.counters().start_sync_execution += 1;
    let (machine_arn, machine, name, input) = start_parts(sfn, request)?;
    let arn = execution_arn(sfn, &machine_arn, &name);
    let started = now();
    let outcome = run_execution(sfn, machine, &input, context(&arn, &name, &machine_arn, &input, started)).await;
    let mut execution = Execution {
        arn,
        name,
        state_machine_arn: machine_arn,
        input,
        status: "SUCCEEDED",
        output: None,
        error: None,
        cause: None,
        start: started,
        stop: Some(now()),
    };
    match outcome {
        Ok(output) => execution.output = Some(output.to_string()),
        Err(failure) => {
            execution.status = if failure.error == "States.Timeout" { "TIMED_OUT" } else { "FAILED" };
            execution.error = Some(failure.error);
            execution.cause = Some(failure.cause);
        }
    }
    Ok(execution.describe())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_workflows_load() {
        let data_api = Arc::new(DataApi {
            resource_arn: "arn:aws:rds:us-east-1:000000000000:cluster:momentum-local".into(),
            secret_arn: "arn:secret".into(),
            verifier: Verifier::new("us-east-1", "rds-data"),
            pool: crate::pool::Pool::new("postgres://127.0.0.1:1/none", 1, 1000),
            transactions: Default::default(),
            stats: Default::default(),
            faults: Default::default(),
        });
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows");
        let sfn = StepFunctions::load(&dir, "us-east-1", Verifier::new("us-east-1", "states"), data_api, "/tmp".into())
            .expect("the definitions load");
        let mut names: Vec<_> = sfn.machines.keys().cloned().collect();
        names.sort();
        assert_eq!(
            names,
            [
                "arn:aws:states:us-east-1:000000000000:stateMachine:momentum-generate-course",
                "arn:aws:states:us-east-1:000000000000:stateMachine:momentum-generate-video"
            ]
        );
        let course = &sfn.machines[&names[0]];
        let text = course.to_string();
        assert!(
            text.contains("cluster:momentum-local") && text.contains(tasks::RENDER_FUNCTION),
            "placeholders filled"
        );
        assert_eq!(
            execution_arn(&sfn, &names[0], "n"),
            "arn:aws:states:us-east-1:000000000000:execution:momentum-generate-course:n"
        );
    }
}
