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
use std::future::Future;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{console_error, js_sys, web_sys, Context, Env, Result};

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

/// The fetch entry (exported as the worker's `fetch`): Workers request → `http::Request` → core →
/// `http::Response` → Workers response.
///
/// It takes and returns the raw `web_sys` request and response, and moves each across the JS↔wasm boundary in as
/// few calls as it can: every header in one JSON string each way, the body as one copy. (Going through
/// `worker::Request`/`Response` costs several boundary calls per header, which showed in every route's figures.)
///
/// It is exported by hand rather than with `#[event(fetch)]` so that an answer the core gives without waiting
/// (`/health`, an in-isolate cache hit, a known token) is returned as the `Response` itself: see [`answer`].
#[wasm_bindgen]
pub fn fetch(request: web_sys::Request, env: Env, ctx: worker::worker_sys::Context) -> wasm_bindgen::JsValue {
    let ctx = Context::new(ctx);
    answer(async move {
        match serve(request, env, ctx).await {
            Ok(response) => response.into(),
            Err(err) => {
                console_error!("{err}");
                let failure = momentum_core::ApiError::Internal { internal: err.to_string() };
                match to_web(momentum_core::envelope::error(&failure)) {
                    Ok(response) => response.into(),
                    Err(_) => wasm_bindgen::JsValue::NULL,
                }
            }
        }
    })
}

/// Drives the request's future: polled once at once, and when that finishes it (nothing to wait for), its value
/// goes back to JavaScript as it is; only a future that must wait becomes a `Promise` (wasm-bindgen-futures'
/// executor). `#[event(fetch)]` makes a `Promise` and schedules a microtask for every request — a cost the
/// benchmark showed on every route (`scripts/bench.sh`). The first poll's waker forwards to the executor's waker
/// once there is one, so a leaf future that keeps the first waker it saw (`worker::Delay` does) still wakes the task.
fn answer(future: impl Future<Output = wasm_bindgen::JsValue> + 'static) -> wasm_bindgen::JsValue {
    let mut future = Box::pin(future);
    let forward = Arc::new(Forward::default());
    let waker = Waker::from(forward.clone());
    match future.as_mut().poll(&mut TaskContext::from_waker(&waker)) {
        Poll::Ready(value) => value,
        Poll::Pending => worker::wasm_bindgen_futures::future_to_promise(async move {
            Ok(std::future::poll_fn(move |cx| {
                forward.follow(cx.waker());
                future.as_mut().poll(cx)
            })
            .await)
        })
        .into(),
    }
}

/// The waker of [`answer`]'s first poll: it wakes whatever waker the executor polls the task with last.
#[derive(Default)]
struct Forward(Mutex<Option<Waker>>);

impl Forward {
    fn follow(&self, waker: &Waker) {
        if let Ok(mut slot) = self.0.lock() {
            if !slot.as_ref().is_some_and(|known| known.will_wake(waker)) {
                *slot = Some(waker.clone());
            }
        }
    }
}

impl Wake for Forward {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        // Taken out of the lock before waking (waking never re-enters here, but holding no lock costs nothing).
        let waker = self.0.lock().ok().and_then(|slot| slot.clone());
        if let Some(waker) = waker {
            waker.wake();
        }
        // Woken before the executor has the task: its first poll comes anyway, and sees what woke it.
    }
}

async fn serve(request: web_sys::Request, env: Env, ctx: Context) -> Result<web_sys::Response> {
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
    let url = request.url();
    let mut builder = http::Request::builder().method(method.as_str()).uri(path_and_query(&url));
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

/// The path and query of workerd's `request.url`. That is an absolute URL workerd has already parsed and
/// serialised (WHATWG), so it is sliced rather than parsed again (parsing it again gives the same path and query,
/// at a cost the benchmark's profile showed); a fragment, which no client sends, is dropped.
fn path_and_query(url: &str) -> &str {
    let authority = url.find("://").map_or(0, |at| at + 3);
    let Some(start) = url[authority..].find('/').map(|at| authority + at) else {
        return "/";
    };
    let end = url[start..].find('#').map_or(url.len(), |at| start + at);
    &url[start..end]
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
        // `Date.now()`: a number, no `Date` object made per call.
        js_sys::Date::now() as u64
    }
}

/// Sleeping with a timer of the waiting request's own (`setTimeout`).
impl momentum_core::ports::Timer for WorkerClock {
    async fn sleep(&self, millis: u64) {
        worker::Delay::from(std::time::Duration::from_millis(millis)).await;
    }
}
