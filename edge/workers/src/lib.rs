//! The Cloudflare Workers shell. It maps Workers' request and response, outbound `fetch`, clock and
//! variables/secrets onto the core's ports and calls [`App::handle`] — and nothing more: no routing, no
//! validation, no policy lives here.

use momentum_core::app::Failure;
use momentum_core::ports::{Clock, HttpClient, TransportError};
use momentum_core::{App, Config};
use origin_adapters::{AwsCredentials, DataApiClient, DataApiConfig};
use worker::js_sys::Uint8Array;
use worker::{console_error, event, Context, Env, Fetch, Headers, Method, Request, RequestInit, Response, Result};

/// The fetch handler: Workers request → `http::Request` → core → `http::Response` → Workers response.
#[event(fetch)]
async fn fetch(request: Request, env: Env, _ctx: Context) -> Result<Response> {
    let response = match settings(&env) {
        Ok((config, data_api)) => {
            let app = App::new(config, DataApiClient::new(data_api, WorkerFetch, WorkerClock));
            let response = app.handle(to_http(request).await?).await;
            if let Some(Failure(err)) = response.extensions().get::<Failure>() {
                if err.internal().is_some() {
                    console_error!("{err}");
                }
            }
            response
        }
        Err(missing) => {
            let err = momentum_core::ApiError::Internal { internal: format!("configuration: {missing}") };
            console_error!("{err}");
            momentum_core::envelope::error(&err)
        }
    };
    from_http(response)
}

/// Reads the deployment's variables (`wrangler.toml` `[vars]`) and secrets (`.dev.vars` / `wrangler secret`).
fn settings(env: &Env) -> std::result::Result<(Config, DataApiConfig), String> {
    let var = |name: &str| env.var(name).map(|v| v.to_string()).map_err(|_| format!("variable {name} is not set"));
    let secret = |name: &str| env.secret(name).map(|v| v.to_string()).map_err(|_| format!("secret {name} is not set"));
    let optional = |name: &str| env.var(name).ok().map(|v| v.to_string()).filter(|v| !v.is_empty());
    let catalog_max_age = match optional("CATALOG_MAX_AGE") {
        Some(raw) => raw.parse().map_err(|_| format!("CATALOG_MAX_AGE is not a number: {raw}"))?,
        None => Config::default().catalog_max_age,
    };
    let data_api = DataApiConfig {
        endpoint: var("DATA_API_ENDPOINT")?,
        region: var("AWS_REGION")?,
        resource_arn: var("DB_RESOURCE_ARN")?,
        secret_arn: var("DB_SECRET_ARN")?,
        database: optional("DB_NAME"),
        credentials: AwsCredentials {
            access_key_id: secret("AWS_ACCESS_KEY_ID")?,
            secret_access_key: secret("AWS_SECRET_ACCESS_KEY")?,
            session_token: env.secret("AWS_SESSION_TOKEN").ok().map(|v| v.to_string()).filter(|v| !v.is_empty()),
        },
    };
    Ok((Config { catalog_max_age }, data_api))
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

/// Outbound HTTP through Workers' `fetch`.
struct WorkerFetch;

impl HttpClient for WorkerFetch {
    async fn send(&self, request: http::Request<Vec<u8>>) -> std::result::Result<http::Response<Vec<u8>>, TransportError> {
        let failed = |err: worker::Error| TransportError { message: err.to_string() };
        let (parts, body) = request.into_parts();
        let headers = Headers::new();
        for (name, value) in &parts.headers {
            // The runtime sets Host from the URL itself.
            if name == http::header::HOST {
                continue;
            }
            let value = value.to_str().map_err(|err| TransportError { message: err.to_string() })?;
            headers.append(name.as_str(), value).map_err(failed)?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::from(parts.method.as_str().to_owned())).with_headers(headers);
        if !body.is_empty() {
            init.with_body(Some(Uint8Array::from(body.as_slice()).into()));
        }
        let outgoing = Request::new_with_init(&parts.uri.to_string(), &init).map_err(failed)?;
        let mut response = Fetch::Request(outgoing).send().await.map_err(failed)?;
        let mut builder = http::Response::builder().status(response.status_code());
        for (name, value) in response.headers().entries() {
            builder = builder.header(name, value);
        }
        let bytes = response.bytes().await.map_err(failed)?;
        builder.body(bytes).map_err(|err| TransportError { message: err.to_string() })
    }
}

/// Wall-clock time from the JavaScript `Date`.
struct WorkerClock;

impl Clock for WorkerClock {
    fn now_millis(&self) -> u64 {
        worker::Date::now().as_millis()
    }
}
