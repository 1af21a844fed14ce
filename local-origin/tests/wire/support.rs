//! The test environment: a private PostgreSQL, the real `local-origin` binary, and a SigV4-signing client.
//!
//! Both processes are owned by guards that stop them on drop, so a failing (panicking) case still shuts
//! PostgreSQL down and removes its data directory.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde_json::{json, Value};

pub const AKID: &str = "AKIDLOCALDEV";
pub const SECRET: &str = "localdevsecretkeyexample";
pub const RESOURCE_ARN: &str = "arn:aws:rds:us-east-1:000000000000:cluster:momentum-local";
pub const SECRET_ARN: &str = "arn:aws:secretsmanager:us-east-1:000000000000:secret:momentum-local";
/// The server runs with a short statement timeout so the timeout case is quick.
pub const STATEMENT_TIMEOUT_MS: u64 = 1500;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("crate has a parent folder").to_path_buf()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free local port").port()
}

/// A PostgreSQL started by `scripts/pg.sh`; stopped and deleted on drop.
pub struct Pg {
    dir: PathBuf,
    pub url: String,
}

impl Pg {
    pub fn start() -> Pg {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("wire-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let out = Command::new(repo_root().join("scripts/pg.sh"))
            .arg("start")
            .arg(&dir)
            .arg(free_port().to_string())
            .output()
            .expect("run scripts/pg.sh");
        let pg =
            Pg { dir, url: String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().trim().to_string() };
        assert!(
            out.status.success() && pg.url.starts_with("postgres://"),
            "PostgreSQL did not start (this test needs PostgreSQL 15 installed):\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        pg
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        let _ = Command::new(repo_root().join("scripts/pg.sh")).arg("stop").arg(&self.dir).status();
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_file(self.dir.with_extension("initdb.log"));
    }
}

/// The `local-origin` binary, killed on drop (its Cognito keys folder is deleted then).
pub struct Server {
    child: Child,
    pub base: String,
    /// The Cognito signing keys folder the server generated its keys into.
    pub keys_dir: PathBuf,
}

impl Server {
    pub fn start(database_url: &str) -> Server {
        let keys_dir =
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("wire-cognito-keys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&keys_dir);
        let mut child = Command::new(env!("CARGO_BIN_EXE_local-origin"))
            .args(["--listen", "127.0.0.1:0", "--database-url", database_url])
            .arg("--migrations-dir")
            .arg(repo_root().join("migrations"))
            .arg("--keys-dir")
            .arg(&keys_dir)
            .args(["--test-controls", "--seed"])
            .args(["--statement-timeout-ms", &STATEMENT_TIMEOUT_MS.to_string()])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start local-origin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("local-origin listening on ") {
                    let _ = tx.send(addr.to_string());
                }
            }
        });
        let mut server = Server { child, base: String::new(), keys_dir };
        server.base = rx.recv_timeout(Duration::from_secs(60)).expect("local-origin printed its address within 60 s");
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.keys_dir);
    }
}

/// An answer: status, `x-amzn-ErrorType`, JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub error_type: Option<String>,
    pub body: Value,
}

impl Answer {
    /// Asserts an error answer and returns its message.
    #[track_caller]
    pub fn error(&self, status: u16, code: &str) -> String {
        assert_eq!((self.status, self.error_type.as_deref()), (status, Some(code)), "{self:?}");
        self.body["message"].as_str().expect("error body has a message").to_string()
    }

    /// Asserts success and returns the body.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "{self:?}");
        &self.body
    }
}

/// Everything a case needs. Fields drop in order: the server stops before PostgreSQL.
pub struct Env {
    pub http: reqwest::Client,
    pub server: Server,
    /// Held only to stop PostgreSQL when the environment is dropped.
    _pg: Pg,
}

impl Env {
    pub fn start() -> Env {
        let pg = Pg::start();
        let server = Server::start(&pg.url);
        Env { http: reqwest::Client::new(), server, _pg: pg }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base)
    }

    /// POSTs `body` to a Data API path, signed with the given key pair.
    pub async fn signed_with(&self, key: &str, secret: &str, path: &str, body: &Value) -> Answer {
        let url = self.url(path);
        let bytes = serde_json::to_vec(body).expect("json");
        let identity: Identity = Credentials::new(key, secret, None, None, "wire-test").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("rds-data")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .expect("signing params")
            .into();
        let signable = SignableRequest::new(
            "POST",
            &url,
            [("content-type", "application/json")].into_iter(),
            SignableBody::Bytes(&bytes),
        )
        .expect("signable");
        let (headers, _) = sign(signable, &params).expect("sign").into_parts().0.into_parts();
        let mut request = self.http.post(&url).header("content-type", "application/json").body(bytes);
        for h in &headers {
            request = request.header(h.name(), h.value());
        }
        answer(request.send().await.expect("request sent")).await
    }

    /// POSTs `body` to a Data API path, signed with the server's key.
    pub async fn call(&self, path: &str, body: Value) -> Answer {
        self.signed_with(AKID, SECRET, path, &body).await
    }

    /// `ExecuteStatement` with our ARNs merged into `extra`.
    pub async fn execute(&self, sql: &str, extra: Value) -> Answer {
        let mut body = json!({"resourceArn": RESOURCE_ARN, "secretArn": SECRET_ARN, "sql": sql});
        merge(&mut body, extra);
        self.call("/Execute", body).await
    }

    /// `ExecuteStatement` that must succeed.
    pub async fn ok(&self, sql: &str, extra: Value) -> Value {
        self.execute(sql, extra).await.ok().clone()
    }

    /// A call to a test control.
    pub async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self.http.request(method, self.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.expect("request sent")).await
    }
}

/// Copies the members of `extra` (an object) into `body`.
pub fn merge(body: &mut Value, extra: Value) {
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let error_type = response.headers().get("x-amzn-ErrorType").and_then(|v| v.to_str().ok()).map(str::to_string);
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer { status, error_type, body }
}

/// A named string parameter, optionally hinted.
pub fn s(name: &str, value: &str, hint: Option<&str>) -> Value {
    match hint {
        Some(h) => json!({"name": name, "value": {"stringValue": value}, "typeHint": h}),
        None => json!({"name": name, "value": {"stringValue": value}}),
    }
}

/// A named parameter with an arbitrary Field.
pub fn p(name: &str, field: Value) -> Value {
    json!({"name": name, "value": field})
}

/// The first record of an Execute answer.
#[track_caller]
pub fn first_row(body: &Value) -> &Vec<Value> {
    body["records"][0].as_array().expect("at least one record")
}
