//! Test-only controls of the Step Functions stand-in (`--test-controls`): counters, armed faults and the SNS
//! notifications (`GET /_local/states`), and faults (`POST`/`DELETE /_local/states/faults`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{Fault, StepFunctions};

pub async fn stats(State(sfn): State<Arc<StepFunctions>>) -> Json<Value> {
    let counters = sfn.counters();
    let jobs: serde_json::Map<String, Value> = counters
        .jobs
        .iter()
        .map(|(job, (starts, runs))| (job.clone(), json!({"startExecution": starts, "executions": runs})))
        .collect();
    let faults = sfn.tasks.faults.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let notifications = sfn.tasks.notifications.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Json(json!({
        "startExecution": counters.start_execution,
        "describeExecution": counters.describe_execution,
        "startSyncExecution": counters.start_sync_execution,
        "executions": counters.executions,
        "jobs": jobs,
        "faults": faults,
        "notifications": notifications,
    }))
}

/// Arms a fault: `{"task": "start"|"outline"|"lesson"|"video"|"notify", "title"?: "...", "remaining"?: N}`.
pub async fn arm(State(sfn): State<Arc<StepFunctions>>, body: axum::body::Bytes) -> Response {
    let fault: Fault = match serde_json::from_slice(&body) {
        Ok(fault) => fault,
        Err(err) => return (StatusCode::BAD_REQUEST, format!("invalid fault: {err}")).into_response(),
    };
    if !["start", "outline", "lesson", "video", "notify"].contains(&fault.task.as_str()) {
        return (StatusCode::BAD_REQUEST, "task must be start, outline, lesson, video or notify").into_response();
    }
    sfn.tasks.faults.lock().unwrap_or_else(|e| e.into_inner()).push(Fault { hits: 0, ..fault.clone() });
    Json(json!(fault)).into_response()
}

pub async fn disarm(State(sfn): State<Arc<StepFunctions>>) -> Json<Value> {
    sfn.tasks.faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
    Json(json!({"ok": true}))
}
