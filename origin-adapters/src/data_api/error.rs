//! The Data API's own error type: AWS error codes as they arrive, and their one conversion into the core's
//! [`DbError`].

use momentum_core::db::DbError;
use momentum_core::ports::TransportError;

/// A failed Data API call.
#[derive(Debug, Clone, PartialEq)]
pub enum DataApiError {
    /// AWS answered with an error code.
    Service {
        /// The error code, e.g. `DatabaseResumingException`.
        code: String,
        /// The HTTP status it came with.
        status: u16,
        /// AWS's message (may contain SQL text: for logs only).
        message: String,
    },
    /// No HTTP answer at all.
    Transport(TransportError),
    /// The request could not be signed or encoded.
    Request(String),
    /// The answer was not the shape AWS documents.
    Decode(String),
}

impl DataApiError {
    /// The PostgreSQL SQLSTATE in a `DatabaseErrorException` message (`…; SQLState: 23505`).
    pub fn sql_state(&self) -> Option<&str> {
        let DataApiError::Service { message, .. } = self else {
            return None;
        };
        let (_, rest) = message.rsplit_once("SQLState: ")?;
        let state = rest.get(..5)?;
        state.bytes().all(|b| b.is_ascii_alphanumeric()).then_some(state)
    }

    /// The constraint named in a constraint-violation message (`… constraint "name" …`).
    pub fn constraint(&self) -> Option<String> {
        let DataApiError::Service { message, .. } = self else {
            return None;
        };
        let (_, rest) = message.split_once("constraint \"")?;
        rest.split_once('"').map(|(name, _)| name.to_owned())
    }

    /// Whether retrying the same call later may succeed (resume, throttling, 5xx, no answer).
    pub fn is_transient(&self) -> bool {
        match self {
            DataApiError::Transport(_) => true,
            DataApiError::Service { code, status, .. } => {
                *status >= 500
                    || matches!(
                        code.as_str(),
                        "DatabaseResumingException"
                            | "ThrottlingException"
                            | "TooManyRequestsException"
                            | "ServiceUnavailableError"
                            | "InternalServerErrorException"
                            | "DatabaseUnavailableException"
                    )
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for DataApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataApiError::Service { code, status, message } => write!(f, "Data API {code} ({status}): {message}"),
            DataApiError::Transport(err) => write!(f, "Data API unreachable: {err}"),
            DataApiError::Request(msg) => write!(f, "Data API request not built: {msg}"),
            DataApiError::Decode(msg) => write!(f, "Data API answer not understood: {msg}"),
        }
    }
}

impl std::error::Error for DataApiError {}

impl From<DataApiError> for DbError {
    fn from(err: DataApiError) -> Self {
        let message = err.to_string();
        match &err {
            DataApiError::Service { code, .. } if code == "DatabaseResumingException" => {
                DbError::Unavailable { retry_after_secs: 10, not_run: true, message }
            }
            // Refused at the door: nothing ran.
            DataApiError::Service { code, .. }
                if matches!(code.as_str(), "ThrottlingException" | "TooManyRequestsException") =>
            {
                DbError::Unavailable { retry_after_secs: 2, not_run: true, message }
            }
            DataApiError::Service { code, .. } if code == "StatementTimeoutException" => DbError::Timeout { message },
            // No answer, or a 5xx: the statement may have run.
            _ if err.is_transient() => DbError::Unavailable { retry_after_secs: 2, not_run: false, message },
            DataApiError::Service { code, .. } if code == "DatabaseErrorException" || code == "BadRequestException" => {
                match err.sql_state() {
                    Some("23505") => DbError::UniqueViolation { constraint: err.constraint() },
                    Some("23503") => DbError::ForeignKeyViolation { constraint: err.constraint() },
                    Some("23514") => DbError::CheckViolation { constraint: err.constraint() },
                    // PostgreSQL's own `statement_timeout` (query_canceled) arrives as a DatabaseErrorException.
                    Some("57014") => DbError::Timeout { message },
                    _ => DbError::Rejected { message },
                }
            }
            DataApiError::Request(_) => DbError::Rejected { message },
            _ => DbError::Upstream { message },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(code: &str, status: u16, message: &str) -> DataApiError {
        DataApiError::Service { code: code.into(), status, message: message.into() }
    }

    #[test]
    fn maps_to_core_errors() {
        let unique = service(
            "DatabaseErrorException",
            400,
            "ERROR: duplicate key value violates unique constraint \"enrollments_user_course_key\"\n  Detail: Key (user_id, course_id)=(a, b) already exists.; SQLState: 23505",
        );
        assert_eq!(
            DbError::from(unique),
            DbError::UniqueViolation { constraint: Some("enrollments_user_course_key".into()) }
        );
        let fk = service(
            "DatabaseErrorException",
            400,
            "ERROR: insert or update on table \"x\" violates foreign key constraint \"x_fk\"; SQLState: 23503",
        );
        assert_eq!(DbError::from(fk), DbError::ForeignKeyViolation { constraint: Some("x_fk".into()) });
        assert!(matches!(
            DbError::from(service("DatabaseResumingException", 400, "resuming")),
            DbError::Unavailable { retry_after_secs: 10, not_run: true, .. }
        ));
        assert!(matches!(
            DbError::from(service("ThrottlingException", 400, "slow down")),
            DbError::Unavailable { not_run: true, .. }
        ));
        assert!(matches!(DbError::from(service("StatementTimeoutException", 400, "slow")), DbError::Timeout { .. }));
        assert!(matches!(DbError::from(service("ServiceUnavailableError", 503, "")), DbError::Unavailable { .. }));
        assert!(matches!(
            DbError::from(service("InternalServerErrorException", 500, "")),
            DbError::Unavailable { not_run: false, .. }
        ));
        let check = service(
            "DatabaseErrorException",
            400,
            "ERROR: new row for relation \"courses\" violates check constraint \"courses_price_check\"; SQLState: 23514",
        );
        assert_eq!(DbError::from(check), DbError::CheckViolation { constraint: Some("courses_price_check".into()) });
        assert!(matches!(
            DbError::from(service(
                "DatabaseErrorException",
                400,
                "ERROR: canceling statement due to statement timeout; SQLState: 57014"
            )),
            DbError::Timeout { .. }
        ));
        assert!(matches!(
            DbError::from(service("DatabaseErrorException", 400, "ERROR: syntax; SQLState: 42601")),
            DbError::Rejected { .. }
        ));
        assert!(matches!(DbError::from(service("InvalidSignatureException", 403, "")), DbError::Upstream { .. }));
        assert!(matches!(
            DbError::from(DataApiError::Transport(TransportError { message: "refused".into() })),
            DbError::Unavailable { .. }
        ));
        assert!(matches!(DbError::from(DataApiError::Decode("x".into())), DbError::Upstream { .. }));
    }
}
