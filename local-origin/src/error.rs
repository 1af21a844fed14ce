//! Every error this server can answer, in AWS rest-json form.
//!
//! The edge tells errors apart by the `x-amzn-ErrorType` code and the HTTP status, exactly as it does against
//! AWS, so every code lives in one enum with its status, and one conversion turns an [`ApiError`] into a
//! response. Internal causes are logged where they happen and never echoed beyond what AWS itself would say.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// An AWS error code this server can send, each with the status AWS uses for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 400: the call is malformed or refers to the wrong resource.
    BadRequestException,
    /// 400: PostgreSQL refused the statement; the message carries the SQLState.
    DatabaseErrorException,
    /// 400: the statement ran past the statement timeout; the body also has `dbConnectionId`.
    StatementTimeoutException,
    /// 400: the (paused) database is resuming; the caller should retry with backoff.
    DatabaseResumingException,
    /// 400: a result column has a type the Data API cannot return.
    UnsupportedResultException,
    /// 403: no `Authorization` header at all.
    MissingAuthenticationTokenException,
    /// 403: an `Authorization` header that cannot be parsed.
    IncompleteSignatureException,
    /// 403: the access key id is not known.
    UnrecognizedClientException,
    /// 403: the signature, its scope or its date is wrong.
    InvalidSignatureException,
    /// 404: the transaction id is unknown or already finished.
    NotFoundException,
    /// 404: no such operation (path or method).
    UnknownOperationException,
    /// 413: the request body is larger than AWS accepts.
    RequestEntityTooLargeException,
    /// 500: something failed inside this server; retryable.
    InternalServerErrorException,
    /// 503: the service is unavailable; retryable.
    ServiceUnavailableError,
    /// 504: PostgreSQL cannot be reached; retryable.
    DatabaseUnavailableException,
}

impl ErrorCode {
    /// The HTTP status AWS answers this code with.
    pub fn status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            BadRequestException
            | DatabaseErrorException
            | StatementTimeoutException
            | DatabaseResumingException
            | UnsupportedResultException => StatusCode::BAD_REQUEST,
            MissingAuthenticationTokenException
            | IncompleteSignatureException
            | UnrecognizedClientException
            | InvalidSignatureException => StatusCode::FORBIDDEN,
            NotFoundException | UnknownOperationException => StatusCode::NOT_FOUND,
            RequestEntityTooLargeException => StatusCode::PAYLOAD_TOO_LARGE,
            InternalServerErrorException => StatusCode::INTERNAL_SERVER_ERROR,
            ServiceUnavailableError => StatusCode::SERVICE_UNAVAILABLE,
            DatabaseUnavailableException => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    /// The code as it appears in `x-amzn-ErrorType`.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            BadRequestException => "BadRequestException",
            DatabaseErrorException => "DatabaseErrorException",
            StatementTimeoutException => "StatementTimeoutException",
            DatabaseResumingException => "DatabaseResumingException",
            UnsupportedResultException => "UnsupportedResultException",
            MissingAuthenticationTokenException => "MissingAuthenticationTokenException",
            IncompleteSignatureException => "IncompleteSignatureException",
            UnrecognizedClientException => "UnrecognizedClientException",
            InvalidSignatureException => "InvalidSignatureException",
            NotFoundException => "NotFoundException",
            UnknownOperationException => "UnknownOperationException",
            RequestEntityTooLargeException => "RequestEntityTooLargeException",
            InternalServerErrorException => "InternalServerErrorException",
            ServiceUnavailableError => "ServiceUnavailableError",
            DatabaseUnavailableException => "DatabaseUnavailableException",
        }
    }

    /// Parses a code name, for the fault-injection control; only the codes a caller may inject.
    pub fn injectable(name: &str) -> Option<Self> {
        use ErrorCode::*;
        [
            DatabaseResumingException,
            StatementTimeoutException,
            InternalServerErrorException,
            ServiceUnavailableError,
            DatabaseUnavailableException,
        ]
        .into_iter()
        .find(|code| code.as_str() == name)
    }
}

/// One error answer: a code, the message AWS would send, and for timeouts the connection id.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// Which AWS error this is.
    pub code: ErrorCode,
    /// The `message` of the JSON body.
    pub message: String,
    /// `dbConnectionId`, sent only with [`ErrorCode::StatementTimeoutException`].
    pub db_connection_id: Option<i64>,
}

impl ApiError {
    /// An error with a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), db_connection_id: None }
    }

    /// A `BadRequestException`, the Data API's answer to any malformed call.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequestException, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::Map::new();
        body.insert("message".into(), self.message.into());
        if self.code == ErrorCode::StatementTimeoutException {
            body.insert("dbConnectionId".into(), self.db_connection_id.unwrap_or(0).into());
        }
        let mut response = (
            self.code.status(),
            [(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            serde_json::Value::Object(body).to_string(),
        )
            .into_response();
        response.headers_mut().insert("x-amzn-ErrorType", HeaderValue::from_static(self.code.as_str()));
        response
    }
}
