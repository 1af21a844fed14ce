//! In-memory ports and a token minter for the core's tests. Everything the App touches is faked here; the
//! RSA check is the real pure-Rust verifier (counted), and tokens are signed with the fixture keys.
#![allow(dead_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use momentum_core::auth::crypto::RustRsaVerifier;
use momentum_core::auth::jwks::RsaJwk;
use momentum_core::db::{Cell as DbCell, DbError, ResultSet, Statement};
use momentum_core::ports::{Clock, Database, HttpClient, RsaVerifier, TransportError};
use momentum_core::{App, Config, Ports};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

pub const REGION: &str = "us-east-1";
pub const POOL: &str = "us-east-1_TestPool";
pub const CLIENT: &str = "client-a";
pub const API_KEY: &str = "test-api-key";
pub const NOW_SECS: u64 = 1_800_000_000;

pub fn issuer() -> String {
    format!("https://cognito-idp.{REGION}.amazonaws.com/{POOL}")
}

pub fn key(n: u8) -> RsaPrivateKey {
    let pem = match n {
        1 => include_str!("../fixtures/test-key-1.pem"),
        _ => include_str!("../fixtures/test-key-2.pem"),
    };
    RsaPrivateKey::from_pkcs8_pem(pem).expect("fixture key")
}

pub fn jwk(kid: &str, key: &RsaPrivateKey) -> Value {
    json!({
        "kid": kid, "kty": "RSA", "alg": "RS256", "use": "sig",
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    })
}

/// All the fakes, shared with the test through an `Rc`.
pub struct Fakes {
    pub now_ms: Cell<u64>,
    pub jwks: RefCell<Value>,
    pub jwks_fetches: Cell<u32>,
    pub rsa_checks: Cell<u32>,
    pub statements: RefCell<Vec<String>>,
    pub users: RefCell<HashMap<String, String>>,
    /// When set, every statement fails as an unavailable origin.
    pub db_down: Cell<bool>,
    /// When set, every statement first yields once (so concurrent requests interleave).
    pub db_yields: Cell<bool>,
    /// Workflow executions started: (workflow, name, input).
    pub started: RefCell<Vec<(momentum_core::generation::workflow::Workflow, String, String)>>,
    /// Rows answered to statements whose SQL contains the key (checked before the built-in answers).
    pub scripted: RefCell<Vec<(&'static str, ResultSet)>>,
    /// Requests to the media origin: URL and `Range`.
    pub media_fetches: RefCell<Vec<(String, Option<String>)>>,
    /// The parameters of the statements run, in order.
    pub params: RefCell<Vec<Vec<momentum_core::db::Param>>>,
}

/// The media origin the tests configure.
pub const MEDIA_ORIGIN: &str = "https://origin.test/bucket";

/// A future that is pending once (waking itself), then ready.
pub struct YieldOnce(pub bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}

#[derive(Clone)]
pub struct TestPorts(pub Rc<Fakes>);

impl Clock for Fakes {
    fn now_millis(&self) -> u64 {
        self.now_ms.get()
    }
}

impl momentum_core::ports::Timer for Fakes {
    async fn sleep(&self, _millis: u64) {
        YieldOnce(false).await;
    }
}

impl HttpClient for Fakes {
    async fn send(&self, request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> {
        if request.uri().to_string().starts_with(MEDIA_ORIGIN) {
            self.media_fetches.borrow_mut().push((
                request.uri().to_string(),
                request.headers().get("range").and_then(|v| v.to_str().ok()).map(str::to_owned),
            ));
            let range = request.headers().contains_key("range");
            let mut response = http::Response::new(if range { b"abc".to_vec() } else { b"whole object".to_vec() });
            if range {
                *response.status_mut() = http::StatusCode::PARTIAL_CONTENT;
                response.headers_mut().insert("content-range", "bytes 0-2/12".parse().expect("header"));
            }
            response.headers_mut().insert("content-type", "video/mp2t".parse().expect("header"));
            return Ok(response);
        }
        assert_eq!(request.uri().to_string(), format!("{}/.well-known/jwks.json", issuer()));
        self.jwks_fetches.set(self.jwks_fetches.get() + 1);
        let body = serde_json::to_vec(&*self.jwks.borrow()).expect("json");
        Ok(http::Response::new(body))
    }
}

impl RsaVerifier for Fakes {
    async fn verify_rs256(&self, key: &RsaJwk, message: &[u8], signature: &[u8]) -> Result<bool, String> {
        self.rsa_checks.set(self.rsa_checks.get() + 1);
        RustRsaVerifier.verify_rs256(key, message, signature).await
    }
}

impl Database for Fakes {
    async fn execute(&self, statement: &Statement) -> Result<ResultSet, DbError> {
        if self.db_yields.get() {
            YieldOnce(false).await;
        }
        self.statements.borrow_mut().push(statement.sql.to_string());
        self.params.borrow_mut().push(statement.params.clone());
        if self.db_down.get() {
            return Err(DbError::Unavailable { retry_after_secs: 2, not_run: false, message: "down".into() });
        }
        if let Some((_, rows)) = self.scripted.borrow().iter().find(|(key, _)| statement.sql.contains(key)) {
            return Ok(rows.clone());
        }
        if statement.sql.starts_with("INSERT INTO users") {
            let sub =
                statement.params.iter().find(|p| p.name == "sub").map(|p| format!("{:?}", p.value)).unwrap_or_default();
            let mut users = self.users.borrow_mut();
            let next = users.len() + 1;
            let id = users.entry(sub).or_insert_with(|| format!("40000000-0000-4000-8000-{next:012}")).clone();
            return Ok(ResultSet { columns: vec!["id".into()], rows: vec![vec![DbCell::Text(id)]], rows_updated: 1 });
        }
        if statement.sql.starts_with("WITH target AS") {
            // A generation job row: the target exists and the row is new.
            return Ok(ResultSet {
                columns: vec!["target_exists".into(), "inserted".into(), "same_request".into()],
                rows: vec![vec![DbCell::Bool(true), DbCell::Long(1), DbCell::Null]],
                rows_updated: 1,
            });
        }
        if statement.sql.starts_with("WITH upd AS (UPDATE courses") {
            let columns = [
                "id",
                "title",
                "description",
                "category",
                "duration_days",
                "price",
                "thumbnail",
                "status",
                "lessons_count",
            ];
            let cells = vec![
                DbCell::Text("20000000-0000-4000-8000-000000000006".into()),
                DbCell::Text("Git Without Fear".into()),
                DbCell::Text("changed".into()),
                DbCell::Text("programming".into()),
                DbCell::Long(14),
                DbCell::Text("19.50".into()),
                DbCell::Null,
                DbCell::Text("published".into()),
                DbCell::Long(14),
            ];
            return Ok(ResultSet {
                columns: columns.iter().map(|s| s.to_string()).collect(),
                rows: vec![cells],
                rows_updated: 1,
            });
        }
        if statement.sql.starts_with("SELECT id, email, name, role, timezone, avatar_url, created_at FROM users") {
            let id = statement.params[0].value.clone();
            let momentum_core::db::SqlValue::Uuid(id) = id else { panic!("uuid param") };
            let row = ["id", "email", "name", "role", "timezone", "avatar_url", "created_at"];
            let cells = vec![
                DbCell::Text(id),
                DbCell::Null,
                DbCell::Null,
                DbCell::Text("free".into()),
                DbCell::Text("UTC".into()),
                DbCell::Null,
                DbCell::Text("2026-12-03 10:00:00".into()),
            ];
            return Ok(ResultSet {
                columns: row.iter().map(|s| s.to_string()).collect(),
                rows: vec![cells],
                rows_updated: 0,
            });
        }
        Ok(ResultSet::default())
    }
}

/// A workflow service that records every start and finds no execution.
impl momentum_core::ports::Workflows for Fakes {
    async fn start(
        &self,
        workflow: momentum_core::generation::workflow::Workflow,
        name: &str,
        input: &str,
    ) -> Result<(), momentum_core::generation::workflow::WorkflowError> {
        self.started.borrow_mut().push((workflow, name.to_owned(), input.to_owned()));
        Ok(())
    }
    async fn describe(
        &self,
        _workflow: momentum_core::generation::workflow::Workflow,
        _name: &str,
    ) -> Result<momentum_core::generation::workflow::Execution, momentum_core::generation::workflow::WorkflowError>
    {
        Err(momentum_core::generation::workflow::WorkflowError::NotFound)
    }
}

impl Ports for TestPorts {
    type Workflows = Fakes;
    fn workflows(&self) -> &Fakes {
        &self.0
    }
    type Cache = momentum_core::ports::NoSharedCache;
    type Versions = momentum_core::ports::NoVersionStore;
    type Timer = Fakes;
    fn timer(&self) -> &Fakes {
        &self.0
    }
    fn versions(&self) -> &Self::Versions {
        &momentum_core::ports::NoVersionStore
    }
    fn cache(&self) -> &Self::Cache {
        &momentum_core::ports::NoSharedCache
    }
    type Db = Fakes;
    type Http = Fakes;
    type Clock = Fakes;
    type Rsa = Fakes;
    fn db(&self) -> &Fakes {
        &self.0
    }
    fn http(&self) -> &Fakes {
        &self.0
    }
    fn clock(&self) -> &Fakes {
        &self.0
    }
    fn rsa(&self) -> &Fakes {
        &self.0
    }
    type Media = Fakes;
    type Uploads = Fakes;
    fn media(&self) -> &Fakes {
        &self.0
    }
    fn uploads(&self) -> &Fakes {
        &self.0
    }
}

impl momentum_core::ports::MediaSigner for Fakes {
    async fn sign(
        &self,
        key: &momentum_core::media::PrivateKey,
        hash: momentum_core::media::HashAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, String> {
        momentum_core::media::crypto::RustMediaSigner.sign(key, hash, message).await
    }
    async fn verify(
        &self,
        key: &momentum_core::media::PublicKey,
        hash: momentum_core::media::HashAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, String> {
        self.rsa_checks.set(self.rsa_checks.get() + 1);
        momentum_core::media::crypto::RustMediaSigner.verify(key, hash, message, signature).await
    }
}

/// Presigning is the adapter's job (tested in origin-adapters): the fake echoes what it was asked.
impl momentum_core::ports::UploadPresigner for Fakes {
    fn presign_put(&self, request: &momentum_core::media::uploads::PresignPut) -> Result<String, String> {
        Ok(format!(
            "https://bucket.test/{}?type={}&length={}&expires={}&at={}",
            request.key, request.content_type, request.content_length, request.expires_secs, request.now_millis
        ))
    }
}

pub fn vars(extra: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let hash: String = Sha256::digest(API_KEY.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let tiny: String = Sha256::digest(b"tiny-key").iter().map(|b| format!("{b:02x}")).collect();
    let mut map: HashMap<String, String> = HashMap::from([
        ("COGNITO_REGION".into(), REGION.into()),
        ("COGNITO_USER_POOL_ID".into(), POOL.into()),
        ("COGNITO_CLIENT_IDS".into(), format!("{CLIENT}, client-b")),
        (
            "API_KEYS".into(),
            format!(r#"[{{"id":"test","sha256":"{hash}","plan":"standard"}},{{"id":"tiny","sha256":"{tiny}","plan":"tiny"}}]"#),
        ),
        (
            "USAGE_PLANS".into(),
            r#"{"standard":{"ratePerSecond":1000,"burst":1000,"dailyQuota":1000000},"tiny":{"ratePerSecond":0.01,"burst":2,"dailyQuota":100}}"#.into(),
        ),
    ]);
    for (name, value) in extra {
        map.insert((*name).into(), (*value).into());
    }
    move |name: &str| map.get(name).cloned()
}

/// An app over fresh fakes whose JWKS publishes `kid-1` (key 1) only.
pub fn app_with(extra: &[(&str, &str)]) -> (App<TestPorts>, Rc<Fakes>) {
    let fakes = Rc::new(Fakes {
        now_ms: Cell::new(NOW_SECS * 1000),
        jwks: RefCell::new(json!({"keys": [jwk("kid-1", &key(1))]})),
        jwks_fetches: Cell::new(0),
        rsa_checks: Cell::new(0),
        statements: RefCell::new(Vec::new()),
        users: RefCell::new(HashMap::new()),
        db_down: Cell::new(false),
        db_yields: Cell::new(false),
        started: RefCell::new(Vec::new()),
        scripted: RefCell::new(Vec::new()),
        media_fetches: RefCell::new(Vec::new()),
        params: RefCell::new(Vec::new()),
    });
    let config = Config::from_vars(vars(extra)).expect("config");
    (App::new(config, TestPorts(fakes.clone())), fakes)
}

pub fn app() -> (App<TestPorts>, Rc<Fakes>) {
    app_with(&[])
}

/// Cognito access-token claims for `sub` with `groups` (None: no claim at all).
pub fn access_claims(sub: &str, groups: Option<&[&str]>) -> Value {
    let mut claims = json!({
        "sub": sub, "client_id": CLIENT, "token_use": "access", "scope": "aws.cognito.signin.user.admin",
        "username": sub, "iss": issuer(), "exp": NOW_SECS + 3600, "iat": NOW_SECS - 10, "auth_time": NOW_SECS - 10,
        "jti": "j", "origin_jti": "o", "event_id": "e", "version": 2
    });
    if let Some(groups) = groups {
        claims["cognito:groups"] = json!(groups);
    }
    claims
}

pub fn b64(value: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(value)
}

/// Signs `header`.`payload` with fixture key `key_no` (RS256).
pub fn sign_raw(header: &str, payload: &str, key_no: u8) -> String {
    let signed = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let signature = SigningKey::<Sha256>::new(key(key_no)).sign(signed.as_bytes()).to_vec();
    format!("{signed}.{}", b64(&signature))
}

/// A token with `header` and `claims` signed by fixture key `key_no`.
pub fn mint(header: Value, claims: Value, key_no: u8) -> String {
    sign_raw(&header.to_string(), &claims.to_string(), key_no)
}

/// A valid access token of `sub`.
pub fn token(sub: &str, groups: Option<&[&str]>) -> String {
    mint(json!({"kid": "kid-1", "alg": "RS256"}), access_claims(sub, groups), 1)
}

pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub json: Value,
    pub body: Vec<u8>,
    pub refresh: Option<momentum_core::app::Refresh>,
}

pub fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> http::Request<Vec<u8>> {
    let mut request = http::Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Vec::new()).expect("request")
}

pub fn reply(response: http::Response<Vec<u8>>) -> Reply {
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        json: serde_json::from_slice(response.body()).unwrap_or(Value::Null),
        refresh: response.extensions().get::<momentum_core::app::Refresh>().cloned(),
        body: response.into_body(),
    }
}

pub fn call(app: &App<TestPorts>, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    reply(futures_executor::block_on(app.handle(request(method, path, headers))))
}

/// `GET path` with the API key and, when given, a bearer token.
pub fn get_as(app: &App<TestPorts>, path: &str, token: Option<&str>) -> Reply {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("x-api-key", API_KEY)];
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer.as_str()));
    }
    call(app, "GET", path, &headers)
}
