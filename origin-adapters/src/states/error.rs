//! The Step Functions client's own error type: AWS error codes as they arrive, and their one conversion into
//! the core's [`WorkflowError`].

use momentum_core::generation::workflow::WorkflowError;
use momentum_core::ports::TransportError;

/// A failed Step Functions call.
#[derive(Debug, Clone, PartialEq)]
pub enum StatesError {
    /// AWS answered with an error code (`__type`, namespace stripped).
    Service {
        /// The error code, e.g. `ExecutionAlreadyExists`.
        code: String,
        /// The HTTP status it came with.
        status: u16,
        /// AWS's message, for logs.
        message: String,
    },
    /// No HTTP answer at all.
    Transport(TransportError),
    /// The request could not be signed or encoded.
    Request(String),
    /// The answer was not the shape AWS documents.
    Decode(String),
}

impl StatesError {
    /// The AWS error code, when AWS answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            StatesError::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether the same call may succeed if sent again shortly (throttling, 5xx, no answer).
    pub fn is_retryable(&self) -> bool {
        match self {
            StatesError::Transport(_) => true,
            StatesError::Service { code, status, .. } => {
                *status >= 500
                    || matches!(
                        code.as_str(),
                        "ThrottlingException"
                            | "TooManyRequestsException"
                            | "RequestLimitExceeded"
                            | "ServiceUnavailable"
                            | "InternalFailure"
                            | "KmsThrottlingException"
                    )
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for StatesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatesError::Service { code, status, message } => write!(f, "Step Functions {code} ({status}): {message}"),
            StatesError::Transport(err) => write!(f, "Step Functions unreachable: {err}"),
            StatesError::Request(msg) => write!(f, "Step Functions request not built: {msg}"),
            StatesError::Decode(msg) => write!(f, "Step Functions answer not understood: {msg}"),
        }
    }
}

impl std::error::Error for StatesError {}

impl From<StatesError> for WorkflowError {
    fn from(err: StatesError) -> Self {
        let message = err.to_string();
        match err.code() {
            Some("ExecutionAlreadyExists") => WorkflowError::NameTaken,
            Some("ExecutionDoesNotExist") => WorkflowError::NotFound,
            Some("ExecutionLimitExceeded") => WorkflowError::Unavailable { retry_after_secs: 10, message },
            _ if err.is_retryable() => WorkflowError::Unavailable { retry_after_secs: 2, message },
            Some(
                "InvalidArn"
                | "InvalidName"
                | "InvalidExecutionInput"
                | "StateMachineDoesNotExist"
                | "StateMachineDeleting"
                | "StateMachineTypeNotSupported"
                | "ValidationException"
                | "AccessDeniedException"
                | "UnrecognizedClientException"
                | "InvalidSignatureException"
                | "KmsAccessDeniedException"
                | "KmsInvalidStateException",
            ) => WorkflowError::Rejected { message },
            _ => match err {
                StatesError::Request(_) => WorkflowError::Rejected { message },
                _ => WorkflowError::Upstream { message },
            },
        }
    }
}
