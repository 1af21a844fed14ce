//! AWS credentials, kept out of logs.

/// An access key pair (and session token, for temporary credentials). `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    /// The access key id (not secret; it names the key).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token of temporary credentials.
    pub session_token: Option<String>,
}

impl AwsCredentials {
    /// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (required) and `AWS_SESSION_TOKEN` (optional). The
    /// error names the missing variable, never a value.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let optional = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let required = |name: &str| optional(name).ok_or_else(|| format!("variable {name} is not set"));
        Ok(AwsCredentials {
            access_key_id: required("AWS_ACCESS_KEY_ID")?,
            secret_access_key: required("AWS_SECRET_ACCESS_KEY")?,
            session_token: optional("AWS_SESSION_TOKEN"),
        })
    }
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}
