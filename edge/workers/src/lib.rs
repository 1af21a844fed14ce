//! The Cloudflare Workers shell. It maps Workers' request and response, outbound `fetch`, clock, WebCrypto
//! and variables/secrets onto the core's ports and calls [`App::handle`] — and nothing more: no routing, no
//! validation, no policy lives here.
//!
//! The `App` is built on the first request of an isolate and kept for the isolate's life, so its per-isolate
//! state (JWKS, verified tokens, rate counters) carries over between requests.

mod cache;
mod crypto;
mod fetch;
mod versions;

use momentum_core::app::{Failure, Refresh};
use momentum_core::media::gate::ClientIp;
use momentum_core::ports::Clock;
use momentum_core::{App, Config, Ports};
use origin_adapters::{DataApiClient, DataApiConfig, S3Config, S3Presigner, StatesConfig, StepFunctionsClient};
use std::cell::RefCell;
use std::rc::Rc;
use worker::{console_error, event, Context, Env, Headers, Method, Request, Response, Result};

/// The Workers implementations of the core's ports.
struct WorkerPorts {
    db: DataApiClient<fetch::WorkerFetch, WorkerClock>,
    http: fetch::WorkerFetch,
    clock: WorkerClock,
    rsa: crypto::WebCryptoRsa,
    versions: versions::KvVersions,
    workflows: StepFunctionsClient<fetch::WorkerFetch, WorkerClock>,
    media: crypto::WebCryptoMedia,
    uploads: S3Presigner,
}

impl Ports for WorkerPorts {
    type Cache = cache::WorkerCache;
    type Versions = versions::KvVersions;
    type Timer = WorkerClock;
    fn timer(&self) -> &Self::Timer {
        &self.clock
    }
    fn versions(&self) -> &Self::Versions {
        &self.versions
    }
    fn cache(&self) -> &Self::Cache {
        &cache::WorkerCache
    }
    type Db = DataApiClient<fetch::WorkerFetch, WorkerClock>;
    type Http = fetch::WorkerFetch;
    type Clock = WorkerClock;
    type Rsa = crypto::WebCryptoRsa;
    fn db(&self) -> &Self::Db {
        &self.db
    }
    fn http(&self) -> &Self::Http {
        &self.http
    }
    fn clock(&self) -> &Self::Clock {
        &self.clock
    }
    fn rsa(&self) -> &Self::Rsa {
        &self.rsa
    }
    type Workflows = StepFunctionsClient<fetch::WorkerFetch, WorkerClock>;
    fn workflows(&self) -> &Self::Workflows {
        &self.workflows
    }
    type Media = crypto::WebCryptoMedia;
    type Uploads = S3Presigner;
    fn media(&self) -> &Self::Media {
        &self.media
    }
    fn uploads(&self) -> &Self::Uploads {
        &self.uploads
    }
}

thread_local! {
    static APP: RefCell<Option<Rc<App<WorkerPorts>>>> = const { RefCell::new(None) };
}

/// The isolate's app, built from the environment on first use.
fn app(env: &Env) -> std::result::Result<Rc<App<WorkerPorts>>, String> {
    if let Some(app) = APP.with(|cell| cell.borrow().clone()) {
        return Ok(app);
    }
    // Variables ([vars]) and secrets are both strings on `env`; secrets first.
    let var = |name: &str| env.secret(name).or_else(|_| env.var(name)).ok().map(|value| value.to_string());
    let config = Config::from_vars(var)?;
    let data_api = DataApiConfig::from_vars(var)?;
    let states = StatesConfig::from_vars(var)?;
    let ports = WorkerPorts {
        db: DataApiClient::new(data_api, fetch::WorkerFetch, WorkerClock),
        http: fetch::WorkerFetch,
        clock: WorkerClock,
        rsa: crypto::WebCryptoRsa::default(),
        versions: versions::KvVersions(env.kv("CATALOG_KV").ok()),
        workflows: StepFunctionsClient::new(states, fetch::WorkerFetch, WorkerClock),
        media: crypto::WebCryptoMedia::default(),
        uploads: S3Presigner(S3Config::from_vars(var)?),
    };
    let app = Rc::new(App::new(config, ports));
    APP.with(|cell| *cell.borrow_mut() = Some(app.clone()));
    Ok(app)
}

/// The fetch handler: Workers request → `http::Request` → core → `http::Response` → Workers response.
#[event(fetch)]
async fn fetch(request: Request, env: Env, ctx: Context) -> Result<Response> {
    let response = match app(&env) {
        Ok(app) => {
            let response = app.handle(to_http(request).await?).await;
            // Stale-while-revalidate: refresh after answering, for as long as the runtime allows.
            if let Some(refresh) = response.extensions().get::<Refresh>().cloned() {
                let app = app.clone();
                ctx.wait_until(async move { app.refresh(refresh).await });
            }
            if let Some(Failure(err)) = response.extensions().get::<Failure>() {
                if err.internal().is_some() {
                    console_error!("{err}");
                }
            }
            response
        }
        Err(problem) => {
            let err = momentum_core::ApiError::Internal { internal: format!("configuration: {problem}") };
            console_error!("{err}");
            momentum_core::envelope::error(&err)
        }
    };
    from_http(response)
}

async fn to_http(mut request: Request) -> Result<http::Request<Vec<u8>>> {
    let body = match request.method() {
        Method::Get | Method::Head => Vec::new(),
        _ => request.bytes().await?,
    };
    let url = request.url()?;
    let path_and_query = match url.query() {
        Some(query) => format!("{}?{}", url.path(), query),
        None => url.path().to_owned(),
    };
    let mut builder = http::Request::builder().method(request.method().as_ref()).uri(path_and_query);
    for (name, value) in request.headers().entries() {
        builder = builder.header(name, value);
    }
    // Cloudflare sets CF-Connecting-IP itself (a client's own value never reaches the worker): the media gate's
    // `IpAddress` conditions check it.
    if let Ok(Some(ip)) = request.headers().get("cf-connecting-ip") {
        builder = builder.extension(ClientIp(ip));
    }
    builder.body(body).map_err(|err| worker::Error::RustError(err.to_string()))
}

fn from_http(response: http::Response<Vec<u8>>) -> Result<Response> {
    let (parts, body) = response.into_parts();
    let headers = Headers::new();
    for (name, value) in &parts.headers {
        if let Ok(value) = value.to_str() {
            headers.append(name.as_str(), value)?;
        }
    }
    let response = if body.is_empty() { Response::empty()? } else { Response::from_bytes(body)? };
    Ok(response.with_status(parts.status.as_u16()).with_headers(headers))
}

/// Wall-clock time from the JavaScript `Date`.
#[derive(Debug, Clone, Copy)]
struct WorkerClock;

impl Clock for WorkerClock {
    fn now_millis(&self) -> u64 {
        worker::Date::now().as_millis()
    }
}

/// Sleeping with a timer of the waiting request's own (`setTimeout`).
impl momentum_core::ports::Timer for WorkerClock {
    async fn sleep(&self, millis: u64) {
        worker::Delay::from(std::time::Duration::from_millis(millis)).await;
    }
}
