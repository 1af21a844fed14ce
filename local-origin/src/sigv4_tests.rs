//! Verifier tests: requests signed by the real `aws-sigv4` crate must pass, and every tampering must fail.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use axum::http::{HeaderMap, HeaderValue, Request};

use super::{SignedRequest, Verifier};
use crate::error::ErrorCode;

const AKID: &str = "AKIDLOCALDEV";
const SECRET: &str = "localdevsecretkeyexample";
/// 2024-01-02T03:04:05Z.
const T0: u64 = 1_704_164_645;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn verifier() -> Verifier {
    Verifier::new("us-east-1", "rds-data").with_key(AKID, SECRET)
}

/// Signs a POST like the edge does, with the given credentials, region, service and time.
fn signed(
    akid: &str,
    secret: &str,
    region: &str,
    service: &str,
    time: SystemTime,
    path: &str,
    body: &[u8],
) -> Request<Vec<u8>> {
    let mut req = Request::builder()
        .method("POST")
        .uri(format!("http://127.0.0.1:4000{path}"))
        .header("host", "127.0.0.1:4000")
        .header("content-type", "application/json")
        .body(body.to_vec())
        .expect("static request");
    let identity: Identity = Credentials::new(akid, secret, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    let headers: Vec<(String, String)> =
        req.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().expect("ascii").to_string())).collect();
    let uri = req.uri().to_string();
    let signable = SignableRequest::new(
        "POST",
        &uri,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    instructions.apply_to_request_http1x(&mut req);
    req
}

fn verify_with(v: &Verifier, req: &Request<Vec<u8>>, now: SystemTime) -> Result<(), ErrorCode> {
    let signed = SignedRequest {
        method: req.method().as_str(),
        path: req.uri().path(),
        query: req.uri().query(),
        headers: req.headers(),
        body: req.body(),
    };
    v.verify(&signed, now).map_err(|e| e.code)
}

fn good() -> Request<Vec<u8>> {
    signed(AKID, SECRET, "us-east-1", "rds-data", at(T0), "/Execute", br#"{"sql":"select 1"}"#)
}

#[test]
fn official_get_vanilla_vector() {
    let v = Verifier::new("us-east-1", "service").with_key("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("example.amazonaws.com"));
    headers.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
    headers.insert(
        "authorization",
        HeaderValue::from_static(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
    );
    let req = SignedRequest { method: "GET", path: "/", query: None, headers: &headers, body: b"" };
    // 2015-08-30T12:36:00Z.
    assert_eq!(v.verify(&req, at(1_440_938_160)), Ok(()));
}

#[test]
fn request_signed_by_aws_sigv4_verifies() {
    assert_eq!(verify_with(&verifier(), &good(), at(T0 + 60)), Ok(()));
}

#[test]
fn tampered_body_fails() {
    let mut req = good();
    *req.body_mut() = br#"{"sql":"select 2"}"#.to_vec();
    assert_eq!(verify_with(&verifier(), &req, at(T0)), Err(ErrorCode::InvalidSignatureException));
}

#[test]
fn tampered_path_and_header_fail() {
    let mut req = good();
    *req.uri_mut() = "http://127.0.0.1:4000/BatchExecute".parse().expect("static uri");
    assert_eq!(verify_with(&verifier(), &req, at(T0)), Err(ErrorCode::InvalidSignatureException));
    let mut req = good();
    req.headers_mut().insert("host", HeaderValue::from_static("127.0.0.1:4001"));
    assert_eq!(verify_with(&verifier(), &req, at(T0)), Err(ErrorCode::InvalidSignatureException));
}

#[test]
fn wrong_secret_region_and_service_fail() {
    let wrong_secret = signed(AKID, "nope", "us-east-1", "rds-data", at(T0), "/Execute", b"{}");
    let wrong_region = signed(AKID, SECRET, "eu-west-1", "rds-data", at(T0), "/Execute", b"{}");
    let wrong_service = signed(AKID, SECRET, "us-east-1", "states", at(T0), "/Execute", b"{}");
    for req in [wrong_secret, wrong_region, wrong_service] {
        assert_eq!(verify_with(&verifier(), &req, at(T0)), Err(ErrorCode::InvalidSignatureException));
    }
}

#[test]
fn unknown_access_key_is_unrecognized() {
    let req = signed("AKIDOTHER", SECRET, "us-east-1", "rds-data", at(T0), "/Execute", b"{}");
    assert_eq!(verify_with(&verifier(), &req, at(T0)), Err(ErrorCode::UnrecognizedClientException));
}

#[test]
fn clock_skew_beyond_fifteen_minutes_fails() {
    let v = verifier();
    assert_eq!(verify_with(&v, &good(), at(T0 + 15 * 60)), Ok(()));
    assert_eq!(verify_with(&v, &good(), at(T0 - 15 * 60)), Ok(()));
    let late = v.verify(
        &SignedRequest {
            method: "POST",
            path: "/Execute",
            query: None,
            headers: good().headers(),
            body: br#"{"sql":"select 1"}"#,
        },
        at(T0 + 16 * 60),
    );
    let late = late.expect_err("expired");
    assert_eq!(late.code, ErrorCode::InvalidSignatureException);
    assert!(late.message.starts_with("Signature expired"), "{}", late.message);
    assert_eq!(verify_with(&v, &good(), at(T0 - 16 * 60)), Err(ErrorCode::InvalidSignatureException));
}

#[test]
fn missing_and_malformed_authorization() {
    let mut req = good();
    req.headers_mut().remove("authorization");
    assert_eq!(verify_with(&verifier(), &req, at(T0)), Err(ErrorCode::MissingAuthenticationTokenException));
    for bad in [
        "Bearer abc",
        "AWS4-HMAC-SHA256 Credential=AKIDLOCALDEV/20240102/us-east-1/rds-data/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKIDLOCALDEV, SignedHeaders=host, Signature=00",
    ] {
        let mut req = good();
        req.headers_mut().insert("authorization", HeaderValue::from_static(bad));
        assert_eq!(verify_with(&verifier(), &req, at(T0)), Err(ErrorCode::IncompleteSignatureException), "{bad}");
    }
}

#[test]
fn host_must_be_signed() {
    let mut req = good();
    let auth = req.headers()["authorization"].to_str().expect("ascii").replace(";host;", ";");
    req.headers_mut().insert("authorization", HeaderValue::from_str(&auth).expect("ascii"));
    assert_eq!(verify_with(&verifier(), &req, at(T0)), Err(ErrorCode::IncompleteSignatureException));
}

#[test]
fn canonical_forms() {
    assert_eq!(super::canonical_uri(""), "/");
    assert_eq!(super::canonical_uri("/a/./b/../c//d"), "/a/c/d");
    assert_eq!(super::canonical_uri("/a%20b/"), "/a%2520b/");
    assert_eq!(super::canonical_query("b=2&a=1&a=0&c"), "a=0&a=1&b=2&c=");
    assert_eq!(super::canonical_query("k=a+b%2Fc"), "k=a%20b%2Fc");
    assert_eq!(super::trim_all("  a   b  "), "a b");
}
