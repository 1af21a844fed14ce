//! What the core knows of workflows, in its own terms: which workflow, an execution's state, and why a call
//! failed. The Step Functions adapter maps these onto its wire (state machine ARNs, execution ARNs, error
//! codes); nothing here knows it.

use crate::error::ApiError;

/// A workflow the edge can start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workflow {
    /// Writes a whole course (outline, lessons, videos) and stores it as a draft.
    GenerateCourse,
    /// Renders one lesson's video.
    GenerateVideo,
}

/// Where an execution stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionStatus {
    /// Still working.
    Running,
    /// Done, with an output.
    Succeeded,
    /// Stopped on an error.
    Failed,
    /// Ran past its time limit.
    TimedOut,
    /// Stopped by an operator.
    Aborted,
    /// Failed, and waiting for a redrive.
    PendingRedrive,
}

/// One execution, as the workflow service describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    /// Where it stands.
    pub status: ExecutionStatus,
    /// The error name, when it failed.
    pub error: Option<String>,
    /// The failure's cause, when it failed.
    pub cause: Option<String>,
    /// The output (JSON text), when it succeeded.
    pub output: Option<String>,
}

/// Why a workflow call did not do what was asked. Adapters convert their own errors into this.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkflowError {
    /// The execution name is taken by an execution with another input.
    NameTaken,
    /// No such execution (not started, or not visible yet).
    NotFound,
    /// Throttled or briefly unavailable: worth retrying after `retry_after_secs`.
    Unavailable {
        /// A sensible wait before retrying, in seconds.
        retry_after_secs: u32,
        /// The service's words, for logs.
        message: String,
    },
    /// The call was refused (a wrong ARN, invalid input or credentials): a bug or a misconfiguration.
    Rejected {
        /// The service's words, for logs.
        message: String,
    },
    /// The service answered something unusable, or nothing at all.
    Upstream {
        /// What went wrong, for logs.
        message: String,
    },
}

impl From<WorkflowError> for ApiError {
    fn from(err: WorkflowError) -> Self {
        match err {
            WorkflowError::NameTaken => ApiError::IdempotencyKeyReused,
            WorkflowError::NotFound => ApiError::NotFound { resource: "job" },
            WorkflowError::Unavailable { retry_after_secs, message } => {
                ApiError::OriginUnavailable { retry_after: retry_after_secs, internal: message }
            }
            WorkflowError::Rejected { message } => ApiError::Internal { internal: format!("workflow: {message}") },
            WorkflowError::Upstream { message } => ApiError::OriginError { internal: message },
        }
    }
}
