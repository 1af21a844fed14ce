//! The Step Functions client against a scripted transport: the wire shape of each call, and how AWS's answers
//! map to the core's errors.

use super::*;
use momentum_core::ports::TransportError;
use std::cell::RefCell;
use std::collections::VecDeque;

const COURSE_SM: &str = "arn:aws:states:us-east-1:000000000000:stateMachine:momentum-generate-course";

/// Answers with scripted responses, in order, and keeps every request.
#[derive(Default)]
struct Script {
    answers: RefCell<VecDeque<Result<(u16, String), TransportError>>>,
    sent: RefCell<Vec<http::Request<Vec<u8>>>>,
    slept: RefCell<Vec<u64>>,
}

impl Script {
    fn answer(self, status: u16, body: &str) -> Self {
        self.answers.borrow_mut().push_back(Ok((status, body.to_owned())));
        self
    }
    fn body(&self, index: usize) -> Value {
        serde_json::from_slice(self.sent.borrow()[index].body()).expect("json body")
    }
    fn target(&self, index: usize) -> String {
        self.sent.borrow()[index].headers()["x-amz-target"].to_str().expect("ascii").to_owned()
    }
}

impl HttpClient for &Script {
    async fn send(&self, request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> {
        self.sent.borrow_mut().push(request);
        let (status, body) = self.answers.borrow_mut().pop_front().expect("a scripted answer")?;
        Ok(http::Response::builder().status(status).body(body.into_bytes()).expect("response"))
    }
}

impl Clock for &Script {
    fn now_millis(&self) -> u64 {
        1_700_000_000_000
    }
}

impl Timer for &Script {
    async fn sleep(&self, millis: u64) {
        self.slept.borrow_mut().push(millis);
    }
}

fn config(endpoint: Option<&str>) -> StatesConfig {
    let vars = move |name: &str| {
        Some(
            match name {
                "AWS_REGION" => "us-east-1",
                "STATES_ENDPOINT" => endpoint?,
                "GENERATE_COURSE_STATE_MACHINE_ARN" => COURSE_SM,
                "GENERATE_VIDEO_STATE_MACHINE_ARN" => "arn:aws:states:us-east-1:000000000000:stateMachine:video",
                "AWS_ACCESS_KEY_ID" => "AKIDTEST",
                "AWS_SECRET_ACCESS_KEY" => "secret",
                _ => return None,
            }
            .to_owned(),
        )
    };
    StatesConfig::from_vars(vars).expect("config")
}

fn client(script: &Script) -> StepFunctionsClient<&Script, &Script> {
    StepFunctionsClient::new(config(Some("http://127.0.0.1:4000")), script, script)
}

fn run<F: std::future::Future>(future: F) -> F::Output {
    futures_executor::block_on(future)
}

#[test]
fn start_execution_wire_shape() {
    let script = Script::default().answer(200, r#"{"executionArn":"arn:x","startDate":1700000000.123}"#);
    let started = run(client(&script).start_execution(COURSE_SM, "course-1", r#"{"a":1}"#)).expect("started");
    assert_eq!(started.execution_arn, "arn:x");
    assert_eq!(started.start_date, Some(1_700_000_000.123));
    let sent = script.sent.borrow();
    let request = &sent[0];
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri().to_string(), "http://127.0.0.1:4000/");
    assert_eq!(request.headers()["content-type"], "application/x-amz-json-1.0");
    assert_eq!(request.headers()["x-amz-target"], "AWSStepFunctions.StartExecution");
    let auth = request.headers()["authorization"].to_str().expect("ascii");
    assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/20231114/us-east-1/states/aws4_request"), "{auth}");
    assert!(auth.contains("x-amz-target"), "the target is signed: {auth}");
    drop(sent);
    assert_eq!(
        script.body(0),
        serde_json::json!({"stateMachineArn": COURSE_SM, "name": "course-1", "input": "{\"a\":1}"})
    );
}

#[test]
fn endpoints_default_to_aws_with_the_sync_prefix() {
    let aws = config(None);
    assert_eq!(aws.endpoint, "https://states.us-east-1.amazonaws.com");
    assert_eq!(aws.sync_endpoint, "https://sync-states.us-east-1.amazonaws.com");
    assert_eq!(config(Some("http://127.0.0.1:4000")).sync_endpoint, "http://127.0.0.1:4000");
    assert_eq!(
        execution_arn(COURSE_SM, "course-1"),
        "arn:aws:states:us-east-1:000000000000:execution:momentum-generate-course:course-1"
    );
    let script = Script::default().answer(200, r#"{"status":"SUCCEEDED","output":"{}"}"#);
    let client = StepFunctionsClient::new(aws, &script, &script);
    let done = run(client.start_sync_execution(COURSE_SM, "n", "{}")).expect("ran");
    assert_eq!(done.status, "SUCCEEDED");
    assert_eq!(script.sent.borrow()[0].uri().to_string(), "https://sync-states.us-east-1.amazonaws.com/");
    assert_eq!(script.target(0), "AWSStepFunctions.StartSyncExecution");
}

#[test]
fn describe_maps_statuses() {
    let script = Script::default()
        .answer(200, r#"{"status":"FAILED","error":"Lesson.GenerationFailed","cause":"boom","input":"{}"}"#);
    let execution = run(client(&script).describe(Workflow::GenerateCourse, "course-1")).expect("described");
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert_eq!(execution.error.as_deref(), Some("Lesson.GenerationFailed"));
    assert_eq!(script.target(0), "AWSStepFunctions.DescribeExecution");
    assert_eq!(script.body(0), serde_json::json!({"executionArn": execution_arn(COURSE_SM, "course-1")}));
    let missing = Script::default()
        .answer(400, r#"{"__type":"com.amazonaws.swf.service.model.v20121023#ExecutionDoesNotExist","message":"no"}"#);
    assert_eq!(run(client(&missing).describe(Workflow::GenerateCourse, "x")), Err(WorkflowError::NotFound));
    let odd = Script::default().answer(200, r#"{"status":"SLEEPING"}"#);
    assert!(matches!(run(client(&odd).describe(Workflow::GenerateCourse, "x")), Err(WorkflowError::Upstream { .. })));
}

#[test]
fn a_taken_name_with_the_same_input_is_the_same_job() {
    let taken = r#"{"__type":"ExecutionAlreadyExists","message":"Execution Already Exists"}"#;
    let same = Script::default().answer(400, taken).answer(200, r#"{"status":"SUCCEEDED","input":"{ \"a\": 1 }"}"#);
    assert_eq!(run(client(&same).start(Workflow::GenerateCourse, "course-1", r#"{"a":1}"#)), Ok(()));
    assert_eq!(same.target(1), "AWSStepFunctions.DescribeExecution");
    let other = Script::default().answer(400, taken).answer(200, r#"{"status":"RUNNING","input":"{\"a\":2}"}"#);
    assert_eq!(
        run(client(&other).start(Workflow::GenerateCourse, "course-1", r#"{"a":1}"#)),
        Err(WorkflowError::NameTaken)
    );
    // Taken, yet the describe does not see it yet (eventual consistency): retry later, never a 404.
    let unseen = r#"{"__type":"ExecutionDoesNotExist","message":"Execution Does Not Exist"}"#;
    let late = Script::default().answer(400, taken).answer(400, unseen);
    assert!(matches!(
        run(client(&late).start(Workflow::GenerateCourse, "course-1", r#"{"a":1}"#)),
        Err(WorkflowError::Unavailable { .. })
    ));
}

#[test]
fn throttling_is_retried_then_reported() {
    let throttled = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
    let recovers = Script::default().answer(400, throttled).answer(200, r#"{"executionArn":"arn:x"}"#);
    assert_eq!(run(client(&recovers).start(Workflow::GenerateCourse, "n", "{}")), Ok(()));
    assert_eq!(recovers.sent.borrow().len(), 2);
    assert_eq!(*recovers.slept.borrow(), vec![100]);
    let stays = Script::default().answer(400, throttled).answer(400, throttled).answer(503, "");
    assert!(matches!(
        run(client(&stays).start(Workflow::GenerateCourse, "n", "{}")),
        Err(WorkflowError::Unavailable { retry_after_secs: 2, .. })
    ));
    assert_eq!(stays.sent.borrow().len(), 3, "three attempts in all");
}

#[test]
fn errors_map_to_core_errors() {
    let service = |code: &str, status: u16| StatesError::Service { code: code.into(), status, message: String::new() };
    let cases = [
        (service("ExecutionAlreadyExists", 400), WorkflowError::NameTaken),
        (service("ExecutionDoesNotExist", 400), WorkflowError::NotFound),
    ];
    for (err, want) in cases {
        assert_eq!(WorkflowError::from(err), want);
    }
    for code in
        ["StateMachineDoesNotExist", "InvalidArn", "InvalidExecutionInput", "InvalidName", "ValidationException"]
    {
        assert!(matches!(WorkflowError::from(service(code, 400)), WorkflowError::Rejected { .. }), "{code}");
    }
    assert!(matches!(
        WorkflowError::from(service("ExecutionLimitExceeded", 400)),
        WorkflowError::Unavailable { retry_after_secs: 10, .. }
    ));
    assert!(matches!(WorkflowError::from(service("InternalFailure", 500)), WorkflowError::Unavailable { .. }));
    assert!(matches!(
        WorkflowError::from(StatesError::Transport(TransportError { message: "refused".into() })),
        WorkflowError::Unavailable { .. }
    ));
    assert!(matches!(WorkflowError::from(StatesError::Decode("x".into())), WorkflowError::Upstream { .. }));
}
