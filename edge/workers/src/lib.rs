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
use worker::wasm_bindgen_futures::JsFuture;
use worker::{console_error, event, js_sys, wasm_bindgen, web_sys, Context, Env, Result};

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
///
/// It takes and returns the raw `web_sys` request and response, and moves each across the JS↔wasm boundary in as
/// few calls as it can: every header in one JSON string each way, the body as one copy. (Going through
/// `worker::Request`/`Response` costs several boundary calls per header, which showed in every route's figures.)
#[event(fetch)]
async fn fetch(request: web_sys::Request, env: Env, ctx: Context) -> Result<web_sys::Response> {
    let response = match app(&env) {
        Ok(app) => {
            let response = app.handle(to_http(&request).await?).await;
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
    to_web(response)
}

fn js_error(err: wasm_bindgen::JsValue) -> worker::Error {
    worker::Error::from(err)
}

async fn to_http(request: &web_sys::Request) -> Result<http::Request<Vec<u8>>> {
    let method = request.method();
    let body = if method == "GET" || method == "HEAD" {
        Vec::new()
    } else {
        let buffer = JsFuture::from(request.array_buffer().map_err(js_error)?).await.map_err(js_error)?;
        js_sys::Uint8Array::new(&buffer).to_vec()
    };
    let url = worker::Url::parse(&request.url()).map_err(|err| worker::Error::RustError(err.to_string()))?;
    let path_and_query = match url.query() {
        Some(query) => format!("{}?{}", url.path(), query),
        None => url.path().to_owned(),
    };
    let mut builder = http::Request::builder().method(method.as_str()).uri(path_and_query);
    // Every header in one crossing: `JSON.stringify(Object.fromEntries(headers))` (names come lower-cased;
    // repeated request headers arrive joined by the runtime, as fetch's Headers join them).
    let entries = js_sys::Object::from_entries(&request.headers()).map_err(js_error)?;
    let json = js_sys::JSON::stringify(&entries).map_err(js_error)?.as_string().unwrap_or_default();
    let headers: Vec<(String, String)> = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&json)
        .map_err(|err| worker::Error::RustError(err.to_string()))?
        .into_iter()
        .filter_map(|(name, value)| value.as_str().map(|value| (name, value.to_owned())))
        .collect();
    for (name, value) in &headers {
        // Cloudflare sets CF-Connecting-IP itself (a client's own value never reaches the worker): the media gate's
        // `IpAddress` conditions check it.
        if name == "cf-connecting-ip" {
            builder = builder.extension(ClientIp(value.clone()));
        }
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder.body(body).map_err(|err| worker::Error::RustError(err.to_string()))
}

/// The core's response as a Workers response: status and every header (repeated ones too: `Set-Cookie`) in one
/// JSON array of pairs, the body in one copy.
fn to_web(response: http::Response<Vec<u8>>) -> Result<web_sys::Response> {
    let (parts, body) = response.into_parts();
    let pairs: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(name, value)| value.to_str().ok().map(|value| (name.as_str(), value)))
        .collect();
    let json = serde_json::to_string(&pairs).map_err(|err| worker::Error::RustError(err.to_string()))?;
    let init = web_sys::ResponseInit::new();
    init.set_status(parts.status.as_u16());
    init.set_headers(&js_sys::JSON::parse(&json).map_err(js_error)?);
    let body = (!body.is_empty()).then(|| js_sys::Uint8Array::from(body.as_slice()));
    web_sys::Response::new_with_opt_buffer_source_and_init(body.as_ref().map(|b| b.as_ref()), &init).map_err(js_error)
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
