//! S3 presigned PUT URLs (SigV4 query signing with `aws-sigv4`): the core's
//! [`UploadPresigner`](momentum_core::ports::UploadPresigner). The content type and length are signed headers,
//! so S3 refuses an upload that sends others; the URL expires after the core's chosen lifetime.

use crate::credentials::AwsCredentials;
use crate::sigv4::SigningError;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use momentum_core::media::uploads::PresignPut;
use momentum_core::ports::UploadPresigner;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::time::{Duration, SystemTime};

/// S3's URI encoding of a key segment: everything but `A-Za-z0-9-._~` becomes `%XX`.
const S3_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Where uploads go and with which credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// The bucket.
    pub bucket: String,
    /// Its region.
    pub region: String,
    /// A path-style endpoint (`{endpoint}/{bucket}/{key}`, e.g. a local S3 stand-in); `None`: AWS's
    /// virtual-hosted `https://{bucket}.s3.{region}.amazonaws.com/{key}`.
    pub endpoint: Option<String>,
    /// The signing credentials.
    pub credentials: AwsCredentials,
}

impl S3Config {
    /// Reads `S3_BUCKET` (unset: no uploads), `S3_REGION` (else `AWS_REGION`), `S3_ENDPOINT` (optional) and the
    /// AWS credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<S3Config>, String> {
        let get = |name: &str| var(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let Some(bucket) = get("S3_BUCKET") else {
            return Ok(None);
        };
        let required = |name: &str| get(name).ok_or_else(|| format!("variable {name} is not set"));
        let region = get("S3_REGION").map_or_else(|| required("AWS_REGION"), Ok)?;
        Ok(Some(S3Config {
            bucket,
            region,
            endpoint: get("S3_ENDPOINT").map(|e| e.trim_end_matches('/').to_owned()),
            credentials: AwsCredentials {
                access_key_id: required("AWS_ACCESS_KEY_ID")?,
                secret_access_key: required("AWS_SECRET_ACCESS_KEY")?,
                session_token: get("AWS_SESSION_TOKEN"),
            },
        }))
    }

    fn object_url(&self, key: &str) -> String {
        let path: Vec<String> = key.split('/').map(|s| utf8_percent_encode(s, S3_SEGMENT).to_string()).collect();
        match &self.endpoint {
            Some(endpoint) => format!("{endpoint}/{}/{}", self.bucket, path.join("/")),
            None => format!("https://{}.s3.{}.amazonaws.com/{}", self.bucket, self.region, path.join("/")),
        }
    }
}

/// Presigns `method` on `url` with `headers` signed, valid `expires_secs` from `now_millis`.
pub fn presign(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    credentials: &AwsCredentials,
    region: &str,
    expires_secs: u64,
    now_millis: u64,
) -> Result<String, SigningError> {
    let uri: http::Uri = url.parse().map_err(|err: http::uri::InvalidUri| SigningError(err.to_string()))?;
    let host = uri.authority().map(|a| a.as_str().to_owned()).ok_or_else(|| SigningError("no host".into()))?;
    let mut request = http::Request::builder().method(method).uri(uri);
    request = request.header(http::header::HOST, host.as_str());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(()).map_err(|err| SigningError(err.to_string()))?;
    let identity: Identity = Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.clone(),
        credentials.session_token.clone(),
        None,
        "momentum-edge",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(expires_secs));
    // S3: the key is encoded once and never normalised.
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("s3")
        .time(SystemTime::UNIX_EPOCH + Duration::from_millis(now_millis))
        .settings(settings)
        .build()
        .map_err(|err| SigningError(err.to_string()))?
        .into();
    let signed_headers = request
        .headers()
        .iter()
        .map(|(name, value)| value.to_str().map(|value| (name.as_str(), value)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| SigningError(err.to_string()))?;
    let signable = SignableRequest::new(
        method,
        request.uri().to_string(),
        signed_headers.into_iter(),
        SignableBody::UnsignedPayload,
    )
    .map_err(|err| SigningError(err.to_string()))?;
    let (instructions, _) = sign(signable, &params).map_err(|err| SigningError(err.to_string()))?.into_parts();
    instructions.apply_to_request_http1x(&mut request);
    Ok(request.uri().to_string())
}

/// The upload presigner of a shell: `None` when uploads are not configured (the core answers 501 before asking).
#[derive(Debug, Clone, Default)]
pub struct S3Presigner(pub Option<S3Config>);

impl UploadPresigner for S3Presigner {
    fn presign_put(&self, request: &PresignPut) -> Result<String, String> {
        let config = self.0.as_ref().ok_or("uploads are not configured (S3_BUCKET)")?;
        let length = request.content_length.to_string();
        let headers = [("content-type", request.content_type.as_str()), ("content-length", length.as_str())];
        presign(
            "PUT",
            &config.object_url(&request.key),
            &headers,
            &config.credentials,
            &config.region,
            request.expires_secs,
            request.now_millis,
        )
        .map_err(|err| err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws_example_credentials() -> AwsCredentials {
        AwsCredentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        }
    }

    /// The presigned-URL example of the S3 documentation ("Authenticating Requests: Using Query Parameters").
    #[test]
    fn the_s3_documentation_example() {
        let url = presign(
            "GET",
            "https://examplebucket.s3.amazonaws.com/test.txt",
            &[],
            &aws_example_credentials(),
            "us-east-1",
            86400,
            1_369_353_600_000, // 2013-05-24T00:00:00Z
        )
        .expect("presigned");
        assert!(url.contains("X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"), "{url}");
        assert!(
            url.ends_with("X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"),
            "{url}"
        );
    }

    #[test]
    fn a_put_pins_type_and_length_and_encodes_the_key_once() {
        let presigner = S3Presigner(Some(S3Config {
            bucket: "momentum-media".into(),
            region: "eu-west-1".into(),
            endpoint: None,
            credentials: aws_example_credentials(),
        }));
        let request = PresignPut {
            key: "lessons/L/Day 3 – Intro, part=1.mp4".into(),
            content_type: "video/mp4".into(),
            content_length: 1234,
            expires_secs: 300,
            now_millis: 1_800_000_000_000,
        };
        let url = presigner.presign_put(&request).expect("presigned");
        assert!(
            url.starts_with(
                "https://momentum-media.s3.eu-west-1.amazonaws.com/lessons/L/Day%203%20%E2%80%93%20Intro%2C%20part%3D1.mp4?"
            ),
            "{url}"
        );
        assert!(url.contains("X-Amz-Expires=300&X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"), "{url}");
        assert!(!url.contains("wJalr"), "no secret in the URL");
        let other = presigner.presign_put(&PresignPut { content_length: 1235, ..request }).expect("presigned");
        assert_ne!(url, other, "the length is signed");
        assert!(S3Presigner(None).presign_put(&PresignPut { key: "k".into(), ..Default::default() }).is_err());
    }
}
