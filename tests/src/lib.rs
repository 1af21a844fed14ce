//! Shared helpers for the suites in `tests/`: a client for the edge under test and for the local origin's
//! test controls. The suites run against a running stack whose URLs come from the environment;
//! `scripts/test.sh` starts the stack and sets them.

use serde_json::Value;
use tokio::sync::{RwLock, RwLockWriteGuard};

/// Requests to the edge share the local origin; injected faults need it alone (see [`OriginFaults`]).
static ORIGIN: RwLock<()> = RwLock::const_new(());

/// The base URL of the edge under test (`MOMENTUM_BASE_URL`, e.g. `http://127.0.0.1:8797`).
pub fn base_url() -> String {
    required("MOMENTUM_BASE_URL")
}

/// The API key the suites send (`MOMENTUM_API_KEY`).
pub fn api_key() -> String {
    required("MOMENTUM_API_KEY")
}

/// The base URL of the local origin (`MOMENTUM_ORIGIN_URL`), started with `--test-controls`.
pub fn origin_url() -> String {
    required("MOMENTUM_ORIGIN_URL")
}

/// The runtime serving [`base_url`] (`MOMENTUM_RUNTIME`: `workers` or `spin`).
///
/// The contract is one: a case asks for the runtime only where the runtimes truly differ (the scope of a cache,
/// the reach of a rate-limit counter), says why, and checks each runtime's behaviour, so that running the suite
/// against both edges tests both behaviours. Never to skip a case on one runtime.
pub fn runtime() -> Runtime {
    match required("MOMENTUM_RUNTIME").as_str() {
        "workers" => Runtime::Workers,
        "spin" => Runtime::Spin,
        other => panic!("MOMENTUM_RUNTIME must be workers or spin, not {other:?}"),
    }
}

/// An edge runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// Cloudflare Workers (`wrangler dev` locally).
    Workers,
    /// Fermyon Spin (`wasmtime serve` with the dev composition locally, `spin up` elsewhere).
    Spin,
}

fn required(name: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value.trim_end_matches('/').to_owned(),
        _ => panic!("{name} is not set: these suites run against a running stack; use scripts/test.sh"),
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
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Asserts the error envelope: `status`, `success:false`, `error.code == code`; returns `error.details`.
    pub fn expect_error(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status, status, "status; body: {}", self.text);
        assert_eq!(self.json["success"], false, "success flag; body: {}", self.text);
        assert_eq!(self.json["error"]["code"], code, "error code; body: {}", self.text);
        assert!(self.json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "message; body: {}", self.text);
        assert!(self.json["error"]["details"].is_object(), "details object; body: {}", self.text);
        &self.json["error"]["details"]
    }

    /// Asserts a success envelope with `status`; returns `data`.
    pub fn expect_data(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "status; body: {}", self.text);
        assert_eq!(self.json["success"], true, "success flag; body: {}", self.text);
        &self.json["data"]
    }
}

/// Sends `method` to `url` with optional headers and body (never while a test holds [`OriginFaults`]).
/// Requests to the edge carry the suite's API key unless `headers` names `x-api-key` itself (an empty value
/// sends no key at all).
pub async fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> Reply {
    let _shared = ORIGIN.read().await;
    send_now(method, url, headers, body).await
}

/// Whether `url` is the local origin's (which takes no API key).
fn to_origin(url: &str) -> bool {
    std::env::var("MOMENTUM_ORIGIN_URL")
        .is_ok_and(|origin| !origin.is_empty() && url.starts_with(origin.trim_end_matches('/')))
}

async fn send_now(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> Reply {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = client.request(method, url);
    let own_key = headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("x-api-key"));
    if !own_key && !to_origin(url) {
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
    let response = request.send().await.unwrap_or_else(|err| panic!("{url}: {err}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply { status, headers, text, json }
}

/// `GET {base}{path}` on the edge.
pub async fn get(path: &str) -> Reply {
    send("GET", &format!("{}{path}", base_url()), &[], None).await
}

/// `GET {target}` on the edge at `base` with the request target sent byte for byte, as no URL-parsing client
/// sends it (dot segments, backslashes, characters URLs forbid). The body is read to its `Content-Length`, or to
/// the end of the connection (HTTP/1.0, `Connection: close`).
pub async fn get_raw(base: &str, target: &str) -> Reply {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _shared = ORIGIN.read().await;
    let authority = base.strip_prefix("http://").unwrap_or_else(|| panic!("{base}: an http:// base URL"));
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap_or_else(|err| panic!("{base}: {err}"));
    let request = format!(
        "GET {target} HTTP/1.0\r\nHost: {authority}\r\nAccept: */*\r\nx-api-key: {}\r\nConnection: close\r\n\r\n",
        api_key()
    );
    stream.write_all(request.as_bytes()).await.expect("request");
    let mut raw = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let (head_end, status, headers) = loop {
        let read = stream.read(&mut chunk).await.expect("response");
        assert!(read > 0, "{target}: the connection closed before the headers ended: {raw:?}");
        raw.extend_from_slice(&chunk[..read]);
        if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..split]).into_owned();
            let mut lines = head.split("\r\n");
            let status: u16 = lines
                .next()
                .and_then(|line| line.split(' ').nth(1))
                .and_then(|code| code.parse().ok())
                .expect("status line");
            let mut headers = reqwest::header::HeaderMap::new();
            for line in lines {
                let (name, value) = line.split_once(':').unwrap_or_else(|| panic!("header line {line:?}"));
                let name = reqwest::header::HeaderName::from_bytes(name.trim().as_bytes()).expect("header name");
                headers.append(name, value.trim().parse().expect("header value"));
            }
            break (split + 4, status, headers);
        }
    };
    let length = headers.get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    while length.is_none_or(|length| raw.len() < head_end + length) {
        let read = stream.read(&mut chunk).await.expect("body");
        if read == 0 {
            break;
        }
        raw.extend_from_slice(&chunk[..read]);
    }
    let text = String::from_utf8_lossy(&raw[head_end..]).into_owned();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply { status, headers, text, json }
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
    send("GET", &format!("{}/_local/stats", origin_url()), &[], None).await.json
}

/// The local origin to one test alone, for injecting faults: the origin's faults are global, so while a test
/// holds this, every other test's request waits. Faults are cleared when it is taken and when it is dropped.
pub struct OriginFaults {
    _alone: RwLockWriteGuard<'static, ()>,
}

impl OriginFaults {
    /// Waits until no other test is using the origin, then takes it.
    pub async fn take() -> Self {
        let faults = OriginFaults { _alone: ORIGIN.write().await };
        faults.clear().await;
        faults
    }

    /// Makes the local origin answer its next `count` Data API calls with the AWS error `code`.
    pub async fn inject(&self, code: &str, count: u32) {
        let body = serde_json::json!({"code": code, "count": count}).to_string();
        let reply = send_now(
            "POST",
            &format!("{}/_local/faults", origin_url()),
            &[("content-type", "application/json")],
            Some(&body),
        )
        .await;
        assert!(reply.status < 300, "fault injection refused: {} {}", reply.status, reply.text);
    }

    /// Clears any injected faults.
    pub async fn clear(&self) {
        send_now("DELETE", &format!("{}/_local/faults", origin_url()), &[], None).await;
    }

    /// `GET {base}{path}` on the edge, while the origin is this test's alone.
    pub async fn get(&self, path: &str) -> Reply {
        send_now("GET", &format!("{}{path}", base_url()), &[], None).await
    }

    /// `method {base}{path}` on the edge with `headers` and `body`, while the origin is this test's alone.
    pub async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Reply {
        send_now(method, &format!("{}{path}", base_url()), headers, body).await
    }

    /// `count` concurrent `GET {base}{path}` on the edge, while the origin is this test's alone.
    pub async fn get_concurrently(&self, path: &str, count: usize) -> Vec<Reply> {
        let url = format!("{}{path}", base_url());
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..count {
            let url = url.clone();
            set.spawn(async move { send_now("GET", &url, &[], None).await });
        }
        let mut replies = Vec::with_capacity(count);
        while let Some(reply) = set.join_next().await {
            replies.push(reply.expect("request task"));
        }
        replies
    }

    /// `GET {base}{path}` on the edge with `headers`, while the origin is this test's alone.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        send_now("GET", &format!("{}{path}", base_url()), headers, None).await
    }

    /// The origin's call counters, read while the origin is this test's alone (so they count only its calls).
    pub async fn stats(&self) -> Value {
        send_now("GET", &format!("{}/_local/stats", origin_url()), &[], None).await.json
    }
}

impl Drop for OriginFaults {
    fn drop(&mut self) {
        // A failed assertion must not leave a fault armed for the cases that run next. Drop cannot await and the
        // test's runtime may be unwinding, so the fault is cleared from a thread and a runtime of its own.
        let url = format!("{}/_local/faults", origin_url());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(reqwest::Client::new().delete(url).send()).map(drop).map_err(std::io::Error::other)
        })
        .join();
    }
}

/// A Data API client of the local origin (its built-in development credentials), signed with `secret` — for the
/// suites' own fixtures and for the adapter suite.
pub fn data_api_with(
    secret: &str,
) -> origin_adapters::DataApiClient<origin_adapters::native::ReqwestClient, origin_adapters::native::SystemClock> {
    let config = origin_adapters::DataApiConfig {
        endpoint: origin_url(),
        region: "us-east-1".into(),
        resource_arn: "arn:aws:rds:us-east-1:000000000000:cluster:momentum-local".into(),
        secret_arn: "arn:aws:secretsmanager:us-east-1:000000000000:secret:momentum-local".into(),
        database: Some("momentum".into()),
        credentials: origin_adapters::AwsCredentials {
            access_key_id: "AKIDLOCALDEV".into(),
            secret_access_key: secret.into(),
            session_token: None,
        },
    };
    origin_adapters::DataApiClient::new(
        config,
        origin_adapters::native::ReqwestClient::default(),
        origin_adapters::native::SystemClock,
    )
}

/// [`data_api_with`] the local origin's development secret.
pub fn data_api(
) -> origin_adapters::DataApiClient<origin_adapters::native::ReqwestClient, origin_adapters::native::SystemClock> {
    data_api_with("localdevsecretkeyexample")
}
