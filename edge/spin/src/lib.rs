//! The Fermyon Spin shell. It maps Spin's incoming request and response, outbound HTTP, clock and application
//! variables onto the core's ports and calls [`App::handle`] — and nothing more: no routing, no validation, no
//! policy lives here.
//!
//! The component is a plain `wasi:http` 0.2 component (spin-sdk 5.2, `wasm32-wasip2`): it exports
//! `wasi:http/incoming-handler` and imports `wasi:http/outgoing-handler`, `wasi:cli/*` (through std) and
//! `fermyon:spin/variables@2.0.0` — nothing else from Spin. `spin up` serves it as it is; the local stack serves
//! the very same file under `wasmtime serve`, composed with a dev-only provider of the variables interface
//! (`edge/spin-dev-variables/`, see `scripts/build-spin.sh`).

use momentum_core::app::Failure;
use momentum_core::auth::crypto::RustRsaVerifier;
use momentum_core::media::crypto::RustMediaSigner;
use momentum_core::ports::{Clock, HttpClient, NoSharedCache, NoVersionStore, TransportError};
use momentum_core::{ApiError, App, Config, Ports};
use origin_adapters::{DataApiClient, DataApiConfig, S3Config, S3Presigner, StatesConfig, StepFunctionsClient};
use spin_sdk::http::{Fields, IncomingRequest, IncomingResponse, OutgoingResponse, ResponseOutparam};
use spin_sdk::http_component;

/// The HTTP handler: Spin request → `http::Request` → core → `http::Response` → Spin response.
///
/// It takes the raw `wasi:http` request and response-outparam rather than spin-sdk's `Request`/`Response`
/// conversions, which keep one value per header name: here every header, repeated or not, crosses as it is.
#[http_component]
async fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
    let response = match settings() {
        Ok((config, data_api, states, s3)) => match to_http(request).await {
            Ok(request) => {
                let ports = SpinPorts {
                    db: DataApiClient::new(data_api, SpinHttp, SystemClock),
                    http: SpinHttp,
                    clock: SystemClock,
                    rsa: RustRsaVerifier,
                    workflows: StepFunctionsClient::new(states, SpinHttp, SystemClock),
                    uploads: S3Presigner(s3),
                };
                let app = App::new(config, ports);
                let response = app.handle(request).await;
                if let Some(Failure(err)) = response.extensions().get::<Failure>() {
                    if err.internal().is_some() {
                        eprintln!("{err}");
                    }
                }
                response
            }
            Err(cause) => internal(format!("reading the request: {cause}")),
        },
        Err(missing) => internal(format!("configuration: {missing}")),
    };
    send_response(response, response_out).await;
}

/// The Spin implementations of the core's ports. Spin instantiates the component per request, so the `App`
/// (and its per-isolate state: JWKS, verified tokens, rate counters) lives for one request only.
struct SpinPorts {
    db: DataApiClient<SpinHttp, SystemClock>,
    http: SpinHttp,
    clock: SystemClock,
    rsa: RustRsaVerifier,
    workflows: StepFunctionsClient<SpinHttp, SystemClock>,
    uploads: S3Presigner,
}

impl Ports for SpinPorts {
    /// No shared cache: `wasmtime serve` offers no key-value store, and Spin instantiates per request, so the
    /// in-isolate layer lives for one request too. Every catalog read goes to the origin (`X-Cache: MISS`);
    /// a Spin deployment wanting edge caching binds a key-value store here.
    type Cache = NoSharedCache;
    /// No version store either: with nothing cached, there is nothing to retire.
    type Versions = NoVersionStore;
    type Timer = SystemClock;
    fn timer(&self) -> &Self::Timer {
        &self.clock
    }
    fn versions(&self) -> &Self::Versions {
        &NoVersionStore
    }
    fn cache(&self) -> &Self::Cache {
        &NoSharedCache
    }
    type Db = DataApiClient<SpinHttp, SystemClock>;
    type Http = SpinHttp;
    type Clock = SystemClock;
    type Rsa = RustRsaVerifier;
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
    type Workflows = StepFunctionsClient<SpinHttp, SystemClock>;
    fn workflows(&self) -> &Self::Workflows {
        &self.workflows
    }
    /// CloudFront signatures in Rust: wasi:http offers no native crypto.
    type Media = RustMediaSigner;
    type Uploads = S3Presigner;
    fn media(&self) -> &Self::Media {
        &RustMediaSigner
    }
    fn uploads(&self) -> &Self::Uploads {
        &self.uploads
    }
}

/// The envelope of an internal failure of the shell itself, logged with its cause.
fn internal(cause: String) -> http::Response<Vec<u8>> {
    let err = ApiError::Internal { internal: cause };
    eprintln!("{err}");
    momentum_core::envelope::error(&err)
}

/// Reads the application's variables (`spin.toml` `[variables]`, set with `SPIN_VARIABLE_<NAME>` or
/// `spin up --variable`): the core's and the adapter's settings, by the same names as on Workers, lower-cased
/// as Spin spells variables. Spin refuses to start when a required one is missing; the error names the
/// variable for the hosts that do not check.
fn settings() -> Result<(Config, DataApiConfig, StatesConfig, Option<S3Config>), String> {
    let var = |name: &str| spin_sdk::variables::get(&name.to_ascii_lowercase()).ok().filter(|v| !v.is_empty());
    let spin_name = |message: String| match message.split_once("variable ") {
        Some((_, rest)) => {
            let name = rest.split_whitespace().next().unwrap_or_default();
            format!("Spin variable {} is not set (SPIN_VARIABLE_{name})", name.to_ascii_lowercase())
        }
        None => message,
    };
    let config = Config::from_vars(var).map_err(spin_name)?;
    let data_api = DataApiConfig::from_vars(var).map_err(spin_name)?;
    let states = StatesConfig::from_vars(var).map_err(spin_name)?;
    let s3 = S3Config::from_vars(var).map_err(spin_name)?;
    Ok((config, data_api, states, s3))
}

/// The incoming request as the core's `http::Request`: method, path and query, every header, the whole body.
async fn to_http(request: IncomingRequest) -> Result<http::Request<Vec<u8>>, String> {
    let method = http::Method::from_bytes(request.method().to_string().as_bytes()).map_err(|err| err.to_string())?;
    let target = path_and_query(&request.path_with_query().unwrap_or_else(|| "/".to_owned()));
    let mut builder = http::Request::builder().method(method).uri(target);
    for (name, value) in request.headers().entries() {
        builder = builder.header(name, value);
    }
    let body = request.into_body().await.map_err(|err| err.to_debug_string())?;
    builder.body(body).map_err(|err| err.to_string())
}

/// The request target as the Workers shell hands it to the core: read as a WHATWG URL (the `url` crate; workerd
/// hands the Workers shell a URL it has already parsed the same way). Spin passes the raw target,
/// so without this the two edges would route `/x/../health`, `/%2e/health` or `/courses\x` differently.
fn path_and_query(raw: &str) -> String {
    let parsed = raw.starts_with('/').then(|| url::Url::parse(&format!("http://edge{raw}")).ok()).flatten();
    match parsed {
        Some(url) => match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        },
        None => raw.to_owned(),
    }
}

/// Writes the core's response: status, every header, the whole body.
async fn send_response(response: http::Response<Vec<u8>>, response_out: ResponseOutparam) {
    let (parts, body) = response.into_parts();
    let headers: Vec<(String, Vec<u8>)> =
        parts.headers.iter().map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec())).collect();
    let outgoing = match Fields::from_list(&headers) {
        Ok(fields) => OutgoingResponse::new(fields),
        Err(err) => {
            eprintln!("response headers refused by the host: {err}");
            OutgoingResponse::new(Fields::new())
        }
    };
    if outgoing.set_status_code(parts.status.as_u16()).is_err() {
        eprintln!("status {} refused by the host", parts.status);
    }
    if let Err(err) = response_out.set_with_body(outgoing, body).await {
        eprintln!("writing the response body: {err}");
    }
}

/// Outbound HTTP through Spin's `wasi:http/outgoing-handler` (`allowed_outbound_hosts` in `spin.toml`).
struct SpinHttp;

impl HttpClient for SpinHttp {
    async fn send(&self, mut request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> {
        let failed = |message: String| TransportError { message };
        // wasi:http forbids setting Host: the host derives it from the URL's authority.
        request.headers_mut().remove(http::header::HOST);
        let response: IncomingResponse = spin_sdk::http::send(request).await.map_err(|err| failed(err.to_string()))?;
        let mut builder = http::Response::builder().status(response.status());
        for (name, value) in response.headers().entries() {
            builder = builder.header(name, value);
        }
        let body = response.into_body().await.map_err(|err| failed(err.to_debug_string()))?;
        builder.body(body).map_err(|err| failed(err.to_string()))
    }
}

/// Wall-clock time from `wasi:clocks/wall-clock` (through std, which works on `wasm32-wasip2`).
struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as u64)
    }
}

/// Sleeping through `wasi:clocks` (std). Spin runs one request per instance, so no request ever waits on
/// another's fetch; this exists for completeness.
impl momentum_core::ports::Timer for SystemClock {
    async fn sleep(&self, millis: u64) {
        std::thread::sleep(std::time::Duration::from_millis(millis));
    }
}
