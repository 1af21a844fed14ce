//! Shared helpers for the suites in `tests/`: a client for the edge under test and for the local origin's
//! test controls. The suites run against a running stack whose URLs come from the environment;
//! `scripts/test.sh` starts the stack and sets them.

use serde_json::Value;

/// The base URL of the edge under test (`MOMENTUM_BASE_URL`, e.g. `http://127.0.0.1:8797`).
pub fn base_url() -> String {
    required("MOMENTUM_BASE_URL")
}

/// The API key the suites send (`MOMENTUM_API_KEY`).
pub fn api_key() -> String {
    required("MOMENTUM_API_KEY")
}

/// Which runtime serves the edge under test (`MOMENTUM_EDGE_RUNTIME`: `workers`, the default, or `spin`).
/// Cases whose expectations truly differ by runtime (per-isolate state) read it and say why.
pub fn runtime() -> String {
    std::env::var("MOMENTUM_EDGE_RUNTIME").unwrap_or_else(|_| "workers".into())
}

/// The base URL of the local origin (`MOMENTUM_ORIGIN_URL`), started with `--test-controls`.
pub fn origin_url() -> String {
    required("MOMENTUM_ORIGIN_URL")
}

fn required(name: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value.trim_end_matches('/').to_owned(),
        _ => panic!(
            "{name} is not set: these suites run against a running stack; use scripts/test.sh"
        ),
    }
}

/// One HTTP answer, with the body parsed as JSON when it is JSON.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The raw body.
    pub text: String,
    /// The body as JSON (`Null` when empty or not JSON).
    pub json: Value,
}

impl Reply {
    /// A header's value as text (empty when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts the error envelope: `status`, `success:false`, `error.code == code`; returns `error.details`.
    pub fn expect_error(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status, status, "status; body: {}", self.text);
        assert_eq!(
            self.json["success"], false,
            "success flag; body: {}",
            self.text
        );
        assert_eq!(
            self.json["error"]["code"], code,
            "error code; body: {}",
            self.text
        );
        assert!(
            self.json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "message; body: {}",
            self.text
        );
        assert!(
            self.json["error"]["details"].is_object(),
            "details object; body: {}",
            self.text
        );
        &self.json["error"]["details"]
    }

    /// Asserts a success envelope with `status`; returns `data`.
    pub fn expect_data(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "status; body: {}", self.text);
        assert_eq!(
            self.json["success"], true,
            "success flag; body: {}",
            self.text
        );
        &self.json["data"]
    }
}

/// Sends `method` to `url` with optional headers and body. Requests to the edge carry the suite's API key
/// unless `headers` names `x-api-key` itself (an empty value sends no key at all).
pub async fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> Reply {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = client.request(method, url);
    let own_key = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("x-api-key"));
    if !own_key && url.starts_with(&base_url()) {
        request = request.header("x-api-key", api_key());
    }
    for (name, value) in headers {
        if !(name.eq_ignore_ascii_case("x-api-key") && value.is_empty()) {
            request = request.header(*name, *value);
        }
    }
    if let Some(body) = body {
        request = request.body(body.to_owned());
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|err| panic!("{url}: {err}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        text,
        json,
    }
}

/// `GET {base}{path}` on the edge.
pub async fn get(path: &str) -> Reply {
    send("GET", &format!("{}{path}", base_url()), &[], None).await
}

/// `method {base}{path}` on the edge as the holder of `token` (none: anonymous), with an optional JSON body.
pub async fn call_as(method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> Reply {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer.as_str()));
    }
    send(method, &format!("{}{path}", base_url()), &headers, body).await
}

/// A Cognito-shaped access token for a seeded dev user (`free`, `premium`, `admin`), minted by the local
/// origin's Cognito stand-in.
pub async fn dev_token(user: &str) -> String {
    mint(serde_json::json!({"user": user})).await
}

/// A token minted by the local origin from `request` (`{user, tokenUse?, expiresIn?, kid?, sub?}`).
pub async fn mint(request: Value) -> String {
    let reply = send(
        "POST",
        &format!("{}/_local/cognito/mint", origin_url()),
        &[("content-type", "application/json")],
        Some(&request.to_string()),
    )
    .await;
    assert_eq!(reply.status, 200, "mint: {}", reply.text);
    reply.json["token"].as_str().expect("token").to_owned()
}

/// A token with exactly `header` and `payload`, RS256-signed by the local origin's key `kid`.
pub async fn sign(kid: &str, header: Value, payload: Value) -> String {
    let body = serde_json::json!({"kid": kid, "header": header, "payload": payload}).to_string();
    let reply = send(
        "POST",
        &format!("{}/_local/cognito/sign", origin_url()),
        &[("content-type", "application/json")],
        Some(&body),
    )
    .await;
    assert_eq!(reply.status, 200, "sign: {}", reply.text);
    reply.json["token"].as_str().expect("token").to_owned()
}

/// The local origin's Data API call counters.
pub async fn origin_stats() -> Value {
    send("GET", &format!("{}/_local/stats", origin_url()), &[], None)
        .await
        .json
}

/// Makes the local origin answer its next `count` Data API calls with the AWS error `code`.
pub async fn inject_fault(code: &str, count: u32) {
    let body = serde_json::json!({"code": code, "count": count}).to_string();
    let reply = send(
        "POST",
        &format!("{}/_local/faults", origin_url()),
        &[("content-type", "application/json")],
        Some(&body),
    )
    .await;
    assert!(
        reply.status < 300,
        "fault injection refused: {} {}",
        reply.status,
        reply.text
    );
}

/// Clears any injected faults.
pub async fn clear_faults() {
    send(
        "DELETE",
        &format!("{}/_local/faults", origin_url()),
        &[],
        None,
    )
    .await;
}
