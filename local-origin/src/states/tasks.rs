//! The task resources the workflows call, each mapped to a local implementation:
//! - `bedrock:invokeModel` → the deterministic [`generator`](super::generator);
//! - `aws-sdk:rdsdata:executeStatement` → this server's own Data API, over its PostgreSQL (PascalCase SDK
//!   members in and out, as the SDK integration speaks);
//! - `lambda:invoke` of the render function → a stand-in that writes a tiny placeholder video file;
//! - `sns:publish` → a notification kept in memory (and logged).
//!
//! Faults armed through `/_local/states/faults` make the matching task fail, as the service would.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::generator;
use super::paths::Failure;
use crate::data_api::{self, DataApi};

/// The model id the local definitions are given.
pub const MODEL_ID: &str = "anthropic.claude-3-haiku-20240307-v1:0";
/// The render function the local definitions are given.
pub const RENDER_FUNCTION: &str = "arn:aws:lambda:us-east-1:000000000000:function:momentum-render-video";

/// A minimal MP4 (`ftyp` box only): the placeholder a render writes.
const PLACEHOLDER_MP4: &[u8] = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41";

/// One armed fault: the next `remaining` calls of `task` (`outline`, `lesson`, `video`; `start`: StartExecution
/// itself, throttled) for a course or lesson whose title is `title` (any, when absent) fail.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    pub task: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default = "one")]
    pub remaining: u64,
    /// Calls failed so far.
    #[serde(default)]
    pub hits: u64,
}

fn one() -> u64 {
    1
}

/// What the tasks need, shared by every execution.
pub struct Tasks {
    pub data_api: Arc<DataApi>,
    pub media_dir: PathBuf,
    pub faults: Mutex<Vec<Fault>>,
    pub notifications: Mutex<Vec<Value>>,
}

impl Tasks {
    /// Runs the task `resource` with its (already templated) parameters.
    pub async fn invoke(&self, resource: &str, parameters: Value) -> Result<Value, Failure> {
        match resource {
            "arn:aws:states:::bedrock:invokeModel" => self.bedrock(&parameters),
            "arn:aws:states:::aws-sdk:rdsdata:executeStatement" => self.rds_data(&parameters).await,
            "arn:aws:states:::lambda:invoke" => self.lambda(&parameters),
            "arn:aws:states:::sns:publish" => self.sns(&parameters),
            other => Err(Failure::runtime(format!("the local origin runs no task resource {other}"))),
        }
    }

    /// Whether an armed fault fails this call of `task` for `title`.
    pub fn fault(&self, task: &str, title: &str) -> bool {
        self.fault_matching(task, |armed| armed == title)
    }

    /// Whether an armed fault of `task` whose title (if it has one) satisfies `matches` fails this call.
    fn fault_matching(&self, task: &str, matches: impl Fn(&str) -> bool) -> bool {
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let hit =
            faults.iter_mut().find(|f| f.task == task && f.remaining > 0 && f.title.as_deref().is_none_or(&matches));
        match hit {
            Some(fault) => {
                fault.remaining -= 1;
                fault.hits += 1;
                true
            }
            None => false,
        }
    }

    fn bedrock(&self, parameters: &Value) -> Result<Value, Failure> {
        let model = parameters["ModelId"].as_str().unwrap_or(MODEL_ID);
        let content = parameters["Body"]["messages"][0]["content"]
            .as_str()
            .ok_or_else(|| Failure::new("Bedrock.ValidationException", "messages[0].content must be text"))?;
        let request: Value = serde_json::from_str(content)
            .map_err(|err| Failure::new("Bedrock.ValidationException", format!("the prompt is not JSON: {err}")))?;
        // A lesson brief carries its day's outline entry; anything else is a course request.
        let (task, title) = if request.get("day").is_some() {
            ("lesson", request["course"]["title"].as_str().unwrap_or_default())
        } else {
            ("outline", request["title"].as_str().unwrap_or_default())
        };
        if self.fault(task, title) {
            let day = request["day"]["day"].as_u64().map(|d| format!(" (day {d})")).unwrap_or_default();
            return Err(Failure::new(
                "Bedrock.ModelErrorException",
                format!("The model could not write the {task}{day}: injected fault"),
            ));
        }
        let written = if task == "lesson" { generator::lesson(&request) } else { generator::outline(&request) };
        Ok(generator::answer(model, &written))
    }

    async fn rds_data(&self, parameters: &Value) -> Result<Value, Failure> {
        let body = rename_keys(parameters, false);
        let bytes = serde_json::to_vec(&body).map_err(|err| Failure::runtime(err.to_string()))?;
        match data_api::execute_internal(&self.data_api, &bytes).await {
            Ok(text) => {
                let answer: Value = serde_json::from_str(&text).map_err(|err| Failure::runtime(err.to_string()))?;
                Ok(rename_keys(&answer, true))
            }
            Err(err) => Err(Failure::new(format!("RdsData.{}", err.code.as_str()), err.message)),
        }
    }

    fn lambda(&self, parameters: &Value) -> Result<Value, Failure> {
        let function = parameters["FunctionName"].as_str().unwrap_or_default();
        if function != RENDER_FUNCTION {
            return Err(Failure::new("Lambda.ResourceNotFoundException", format!("Function not found: {function}")));
        }
        let payload = &parameters["Payload"];
        let title = payload["title"].as_str().unwrap_or_default();
        if self.fault("video", title) {
            return Err(Failure::new("Lambda.ServiceException", "The renderer failed: injected fault"));
        }
        let safe = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect::<String>();
        let bucket = safe(payload["bucket"].as_str().unwrap_or("media"));
        let job = safe(payload["jobId"].as_str().unwrap_or("job"));
        let day = payload["day"].as_u64().unwrap_or(0);
        let key = format!("videos/{job}/day-{day:02}.mp4");
        let path = self.media_dir.join(&bucket).join(&key);
        // A 24-byte file: writing it in place costs less than handing it to a blocking thread.
        let write = || {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, PLACEHOLDER_MP4)
        };
        write().map_err(|err| Failure::new("Lambda.ServiceException", format!("writing {}: {err}", path.display())))?;
        Ok(json!({"StatusCode": 200, "ExecutedVersion": "$LATEST",
                  "Payload": {"videoUrl": format!("s3://{bucket}/{key}"), "bytes": PLACEHOLDER_MP4.len()}}))
    }

    fn sns(&self, parameters: &Value) -> Result<Value, Failure> {
        // The message names no title, only ids: a `notify` fault's `title` is matched as a part of the message.
        let message = parameters["Message"].as_str().unwrap_or_default();
        if self.fault_matching("notify", |title| message.contains(title)) {
            return Err(Failure::new("SNS.InternalErrorException", "The topic is unavailable: injected fault"));
        }
        let message_id = uuid::Uuid::new_v4().to_string();
        tracing::info!(
            topic = parameters["TopicArn"].as_str().unwrap_or_default(),
            message = parameters["Message"].as_str().unwrap_or_default(),
            "sns publish"
        );
        let mut notification = parameters.clone();
        notification["MessageId"] = Value::from(message_id.clone());
        self.notifications.lock().unwrap_or_else(|e| e.into_inner()).push(notification);
        Ok(json!({"MessageId": message_id}))
    }
}

/// The SDK integration's member names ↔ the Data API's wire names: the first letter upper-cased (`Records`,
/// `StringValue`) or lower-cased (`resourceArn`, `stringValue`), recursively.
fn rename_keys(value: &Value, upper: bool) -> Value {
    match value {
        Value::Object(members) => {
            let mut out = Map::new();
            for (key, value) in members {
                let mut chars = key.chars();
                let renamed = match chars.next() {
                    Some(first) if upper => first.to_uppercase().chain(chars).collect(),
                    Some(first) => first.to_lowercase().chain(chars).collect(),
                    None => String::new(),
                };
                out.insert(renamed, rename_keys(value, upper));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|item| rename_keys(item, upper)).collect()),
        other => other.clone(),
    }
}
