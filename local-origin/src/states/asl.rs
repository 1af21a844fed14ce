//! A small interpreter for the subset of the Amazon States Language that `workflows/*.asl.json` use: `Task`,
//! `Map` (inline, with `MaxConcurrency`), `Pass`, `Succeed`, `Fail`; `InputPath`, `Parameters`/`ItemSelector`,
//! `ResultSelector`, `ResultPath`, `OutputPath`; `Retry` (interval, backoff, attempts) and `Catch`. It runs the
//! committed definition files as they are, so a mistake in them fails here first. Anything else in a definition
//! is refused when it is loaded ([`check`]), not half-run.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::paths::{self, Failure};
use super::tasks::Tasks;

const STATE_TYPES: &[&str] = &["Task", "Map", "Pass", "Succeed", "Fail"];

/// Checks that a state machine (or a Map's item processor) only uses what this interpreter runs.
pub fn check(machine: &Value) -> Result<(), String> {
    let states = machine["States"].as_object().ok_or("no States")?;
    let start = machine["StartAt"].as_str().ok_or("no StartAt")?;
    if !states.contains_key(start) {
        return Err(format!("StartAt names no state: {start}"));
    }
    for (name, state) in states {
        let kind = state["Type"].as_str().unwrap_or_default();
        if !STATE_TYPES.contains(&kind) {
            return Err(format!("state {name}: type {kind:?} is not supported locally"));
        }
        for next in [state.get("Next")]
            .into_iter()
            .flatten()
            .chain(state["Catch"].as_array().into_iter().flatten().filter_map(|catcher| catcher.get("Next")))
        {
            let next = next.as_str().unwrap_or_default();
            if !states.contains_key(next) {
                return Err(format!("state {name}: Next names no state: {next}"));
            }
        }
        if kind == "Map" {
            let processor =
                state.get("ItemProcessor").or_else(|| state.get("Iterator")).ok_or("Map without processor")?;
            check(processor).map_err(|err| format!("state {name}: {err}"))?;
        }
    }
    Ok(())
}

/// Runs `machine` on `input` with the context object `context` (`$$`), to its output or its failure.
pub fn run(
    tasks: Arc<Tasks>,
    machine: Arc<Value>,
    input: Value,
    context: Arc<Value>,
) -> Pin<Box<dyn Future<Output = Result<Value, Failure>> + Send>> {
    Box::pin(async move {
        let states = machine["States"].as_object().ok_or_else(|| Failure::runtime("no States"))?;
        let mut name = machine["StartAt"].as_str().ok_or_else(|| Failure::runtime("no StartAt"))?.to_owned();
        let mut input = input;
        loop {
            let state = states.get(&name).ok_or_else(|| Failure::runtime(format!("no state {name}")))?;
            let (output, next) = run_state(&tasks, state, input, &context).await?;
            match next {
                Some(next) => {
                    name = next;
                    input = output;
                }
                None => return Ok(output),
            }
        }
    })
}

/// Runs one state: its output, and the next state's name (`None`: the machine ends).
async fn run_state(
    tasks: &Arc<Tasks>,
    state: &Value,
    raw: Value,
    context: &Arc<Value>,
) -> Result<(Value, Option<String>), Failure> {
    let next = state["Next"].as_str().map(str::to_owned);
    match state["Type"].as_str().unwrap_or_default() {
        "Pass" => {
            let effective = input_path(state, &raw, context)?;
            let result = match (state.get("Result"), state.get("Parameters")) {
                (Some(result), _) => result.clone(),
                (None, Some(parameters)) => paths::template(parameters, &effective, context)?,
                (None, None) => effective,
            };
            Ok((output_path(state, result_path(state.get("ResultPath"), raw, result)?, context)?, next))
        }
        "Succeed" => Ok((output_path(state, input_path(state, &raw, context)?, context)?, None)),
        "Fail" => {
            let field = |fixed: &str, path: &str| -> Result<String, Failure> {
                match (state[fixed].as_str(), state[path].as_str()) {
                    (Some(text), _) => Ok(text.to_owned()),
                    (None, Some(path)) => Ok(match paths::get(&raw, context, path)? {
                        Value::String(text) => text,
                        other => other.to_string(),
                    }),
                    (None, None) => Ok(String::new()),
                }
            };
            Err(Failure::new(field("Error", "ErrorPath")?, field("Cause", "CausePath")?))
        }
        kind @ ("Task" | "Map") => {
            let retriers = state["Retry"].as_array().cloned().unwrap_or_default();
            let mut attempts = vec![0u32; retriers.len()];
            loop {
                let outcome = match kind {
                    "Task" => run_task(tasks, state, &raw, context).await,
                    _ => run_map(tasks, state, &raw, context).await,
                };
                let failure = match outcome {
                    Ok(result) => {
                        let output = result_path(state.get("ResultPath"), raw, result)?;
                        return Ok((output_path(state, output, context)?, next));
                    }
                    Err(failure) => failure,
                };
                // The first retrier naming the error decides; when its attempts are spent, Catch is next.
                if let Some(index) = retriers.iter().position(|r| matches(&r["ErrorEquals"], &failure.error)) {
                    let retrier = &retriers[index];
                    let max = retrier["MaxAttempts"].as_u64().unwrap_or(3);
                    if u64::from(attempts[index]) < max {
                        let interval = retrier["IntervalSeconds"].as_f64().unwrap_or(1.0);
                        let backoff = retrier["BackoffRate"].as_f64().unwrap_or(2.0);
                        let wait = interval * backoff.powi(attempts[index] as i32);
                        let wait = retrier["MaxDelaySeconds"].as_f64().map_or(wait, |cap| wait.min(cap));
                        tracing::info!(error = %failure.error, attempt = attempts[index] + 1, wait, "workflow retry");
                        tokio::time::sleep(Duration::from_secs_f64(wait)).await;
                        attempts[index] += 1;
                        continue;
                    }
                }
                let catcher = state["Catch"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|c| matches(&c["ErrorEquals"], &failure.error));
                let Some(catcher) = catcher else { return Err(failure) };
                let error = json!({"Error": failure.error, "Cause": failure.cause});
                let output = result_path(catcher.get("ResultPath"), raw, error)?;
                return Ok((output, catcher["Next"].as_str().map(str::to_owned)));
            }
        }
        other => Err(Failure::runtime(format!("state type {other} is not supported locally"))),
    }
}

/// Whether an `ErrorEquals` list names `error`. `States.ALL` and `States.TaskFailed` match every error a task
/// raises, but never `States.Runtime` (which fails the execution outright, as on AWS).
fn matches(names: &Value, error: &str) -> bool {
    names.as_array().into_iter().flatten().filter_map(Value::as_str).any(|name| match name {
        _ if error == "States.Runtime" => false,
        "States.ALL" => true,
        "States.TaskFailed" => error != "States.Timeout",
        name => name == error,
    })
}

fn input_path(state: &Value, raw: &Value, context: &Value) -> Result<Value, Failure> {
    match state.get("InputPath") {
        None => Ok(raw.clone()),
        Some(Value::Null) => Ok(json!({})),
        Some(path) => paths::get(raw, context, path.as_str().unwrap_or("$")),
    }
}

fn output_path(state: &Value, output: Value, context: &Value) -> Result<Value, Failure> {
    match state.get("OutputPath") {
        None => Ok(output),
        Some(Value::Null) => Ok(json!({})),
        Some(path) => paths::get(&output, context, path.as_str().unwrap_or("$")),
    }
}

/// `ResultPath`: absent or `$` keeps only the result, `null` keeps only the input, a path puts the result
/// into the input.
fn result_path(path: Option<&Value>, raw: Value, result: Value) -> Result<Value, Failure> {
    match path {
        None => Ok(result),
        Some(Value::Null) => Ok(raw),
        Some(path) => {
            let mut raw = raw;
            paths::set(&mut raw, path.as_str().unwrap_or("$"), result)?;
            Ok(raw)
        }
    }
}

async fn run_task(tasks: &Arc<Tasks>, state: &Value, raw: &Value, context: &Value) -> Result<Value, Failure> {
    let effective = input_path(state, raw, context)?;
    let parameters = match state.get("Parameters") {
        Some(template) => paths::template(template, &effective, context)?,
        None => effective,
    };
    let resource = state["Resource"].as_str().unwrap_or_default();
    let result = tasks.invoke(resource, parameters).await?;
    match state.get("ResultSelector") {
        Some(selector) => paths::template(selector, &result, context),
        None => Ok(result),
    }
}

/// An inline Map: every item through the item processor, at most `MaxConcurrency` at once (0: no limit); the
/// results in item order. The first failure fails the Map (the other iterations are stopped).
async fn run_map(tasks: &Arc<Tasks>, state: &Value, raw: &Value, context: &Arc<Value>) -> Result<Value, Failure> {
    let effective = input_path(state, raw, context)?;
    let items = paths::get(&effective, context, state["ItemsPath"].as_str().unwrap_or("$"))?;
    let items = items.as_array().ok_or_else(|| Failure::runtime("ItemsPath does not name an array"))?.clone();
    let processor = state.get("ItemProcessor").or_else(|| state.get("Iterator")).cloned().unwrap_or(Value::Null);
    let processor = Arc::new(processor);
    let selector = state.get("ItemSelector").or_else(|| state.get("Parameters"));
    let limit = match state["MaxConcurrency"].as_u64().unwrap_or(0) {
        0 => items.len().max(1),
        n => n as usize,
    };
    let permits = Arc::new(Semaphore::new(limit));
    let mut set = JoinSet::new();
    for (index, item) in items.into_iter().enumerate() {
        let mut item_context = (**context).clone();
        item_context["Map"] = json!({"Item": {"Index": index, "Value": item}});
        let input = match selector {
            Some(selector) => paths::template(selector, &effective, &item_context)?,
            None => item_context["Map"]["Item"]["Value"].clone(),
        };
        let (tasks, processor, permits) = (tasks.clone(), processor.clone(), permits.clone());
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            (index, run(tasks, processor, input, Arc::new(item_context)).await)
        });
    }
    let mut results = vec![Value::Null; set.len()];
    while let Some(joined) = set.join_next().await {
        let (index, result) = joined.map_err(|err| Failure::runtime(format!("map iteration: {err}")))?;
        match result {
            Ok(value) => results[index] = value,
            Err(failure) => {
                set.abort_all();
                return Err(failure);
            }
        }
    }
    let result = Value::Array(results);
    match state.get("ResultSelector") {
        Some(selector) => paths::template(selector, &result, context),
        None => Ok(result),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::states::tasks::Fault;

    fn tasks() -> Arc<Tasks> {
        Arc::new(Tasks {
            data_api: Arc::new(crate::data_api::DataApi {
                resource_arn: "arn:cluster".into(),
                secret_arn: "arn:secret".into(),
                verifier: crate::sigv4::Verifier::new("us-east-1", "rds-data"),
                // Never connected: these machines run no SQL.
                pool: crate::pool::Pool::new("postgres://127.0.0.1:1/none", 1, 1000),
                transactions: Default::default(),
                stats: Default::default(),
                faults: Default::default(),
            }),
            media_dir: std::env::temp_dir(),
            faults: std::sync::Mutex::new(Vec::new()),
            notifications: std::sync::Mutex::new(Vec::new()),
        })
    }

    async fn run_json(tasks: &Arc<Tasks>, machine: Value, input: Value) -> Result<Value, Failure> {
        check(&machine).expect("a runnable machine");
        run(tasks.clone(), Arc::new(machine), input, Arc::new(json!({}))).await
    }

    /// One lesson written by the local model, retried twice, caught into `$.error`.
    fn lesson_machine() -> Value {
        json!({
            "StartAt": "Write",
            "States": {
                "Write": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::bedrock:invokeModel",
                    "Parameters": {"Body": {"messages": [{"role": "user", "content.$": "States.JsonToString($.brief)"}]}},
                    "ResultSelector": {"lesson.$": "States.StringToJson($.Body.content[0].text)"},
                    "ResultPath": "$.written",
                    "OutputPath": "$.written.lesson",
                    "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 0, "MaxAttempts": 2}],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}],
                    "End": true
                },
                "Failed": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"}
            }
        })
    }

    fn brief(title: &str) -> Value {
        json!({"brief": {"course": {"title": title}, "day": {"day": 2, "title": "Day 2: Core Concepts"}}})
    }

    fn arm(tasks: &Tasks, title: &str, remaining: u64) {
        let fault = Fault { task: "lesson".into(), title: Some(title.into()), remaining, hits: 0 };
        tasks.faults.lock().expect("faults").push(fault);
    }

    fn hits(tasks: &Tasks, title: &str) -> u64 {
        tasks.faults.lock().expect("faults").iter().find(|f| f.title.as_deref() == Some(title)).map_or(0, |f| f.hits)
    }

    #[tokio::test]
    async fn retries_then_catches_then_fails() {
        let tasks = tasks();
        arm(&tasks, "Flaky", 2);
        let lesson = run_json(&tasks, lesson_machine(), brief("Flaky")).await.expect("third try succeeds");
        assert_eq!((lesson["day"].as_u64(), hits(&tasks, "Flaky")), (Some(2), 2));
        arm(&tasks, "Broken", 5);
        let failure = run_json(&tasks, lesson_machine(), brief("Broken")).await.expect_err("fails");
        assert_eq!(failure.error, "Bedrock.ModelErrorException");
        assert!(failure.cause.contains("day 2"), "{}", failure.cause);
        assert_eq!(hits(&tasks, "Broken"), 3, "one try and two retries, then Catch");
    }

    #[tokio::test]
    async fn map_keeps_item_order_and_runtime_errors_are_never_caught() {
        let tasks = tasks();
        let map = json!({
            "StartAt": "Each",
            "States": {"Each": {
                "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
                "ItemSelector": {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index", "fixed": 1},
                "ItemProcessor": {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": true}}},
                "ResultPath": "$.out", "OutputPath": "$.out", "End": true
            }}
        });
        let out = run_json(&tasks, map, json!({"items": ["a", "b", "c", "d", "e"]})).await.expect("mapped");
        let values: Vec<_> =
            out.as_array().expect("array").iter().map(|o| (o["index"].clone(), o["value"].clone())).collect();
        assert_eq!(values, (0..5).map(|i| (json!(i), json!(["a", "b", "c", "d", "e"][i]))).collect::<Vec<_>>());
        let broken = json!({
            "StartAt": "Look",
            "States": {
                "Look": {"Type": "Pass", "Parameters": {"x.$": "$.missing"}, "Next": "Done"},
                "Done": {"Type": "Succeed"}
            }
        });
        let failure = run_json(&tasks, broken, json!({})).await.expect_err("a missing path fails");
        assert_eq!(failure.error, "States.Runtime");
        assert!(!matches(&json!(["States.ALL"]), "States.Runtime"));
        assert!(check(&json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "End": true}}})).is_err());
    }
}
