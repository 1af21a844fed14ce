//! SigV4 request signing with the `aws-sigv4` crate, at a time the caller supplies.

use crate::credentials::AwsCredentials;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use std::time::{Duration, SystemTime};

/// Why a request could not be signed (a malformed header or URI: a bug, never input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningError(pub String);

impl std::fmt::Display for SigningError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "signing failed: {}", self.0)
    }
}

impl std::error::Error for SigningError {}

/// Signs `request` in place for `service` in `region` at `now_millis` (Unix epoch, UTC), adding
/// `x-amz-date`, `authorization` and, for temporary credentials, `x-amz-security-token`.
/// The `host` header is set from the URI first, so it is signed.
pub fn sign_request(
    request: &mut http::Request<Vec<u8>>,
    credentials: &AwsCredentials,
    region: &str,
    service: &str,
    now_millis: u64,
) -> Result<(), SigningError> {
    let authority = request
        .uri()
        .authority()
        .map(|a| a.as_str().to_owned())
        .ok_or_else(|| SigningError("URI has no host".into()))?;
    let host = http::HeaderValue::from_str(&authority).map_err(|err| SigningError(err.to_string()))?;
    request.headers_mut().insert(http::header::HOST, host);

    let identity: Identity = Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.clone(),
        credentials.session_token.clone(),
        None,
        "momentum-edge",
    )
    .into();
    let time = SystemTime::UNIX_EPOCH + Duration::from_millis(now_millis);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|err| SigningError(err.to_string()))?
        .into();

    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| value.to_str().map(|value| (name.as_str(), value)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| SigningError(err.to_string()))?;
    let uri = request.uri().to_string();
    let signable =
        SignableRequest::new(request.method().as_str(), uri, headers.into_iter(), SignableBody::Bytes(request.body()))
            .map_err(|err| SigningError(err.to_string()))?;
    let (instructions, _signature) = sign(signable, &params).map_err(|err| SigningError(err.to_string()))?.into_parts();
    instructions.apply_to_request_http1x(request);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The official `get-vanilla` vector of the AWS SigV4 test suite.
    #[test]
    fn get_vanilla_vector() {
        let mut request = http::Request::builder()
            .method("GET")
            .uri("https://example.amazonaws.com/")
            .body(Vec::new())
            .expect("request");
        let credentials = AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        };
        // 2015-08-30T12:36:00Z
        sign_request(&mut request, &credentials, "us-east-1", "service", 1_440_938_160_000).expect("signs");
        let auth = request.headers()["authorization"].to_str().expect("ascii");
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        assert_eq!(request.headers()["x-amz-date"], "20150830T123600Z");
    }

    #[test]
    fn credentials_debug_is_redacted() {
        let credentials = AwsCredentials {
            access_key_id: "AKID".into(),
            secret_access_key: "s3cr3t".into(),
            session_token: Some("tok".into()),
        };
        let shown = format!("{credentials:?}");
        assert!(shown.contains("AKID") && !shown.contains("s3cr3t") && !shown.contains("tok\""), "{shown}");
    }
}
