//! The core's `HttpClient` port over Workers' `fetch`.

use momentum_core::ports::{HttpClient, TransportError};
use worker::js_sys::Uint8Array;
use worker::{Fetch, Headers, Method, Request, RequestInit};

/// Outbound HTTP through Workers' `fetch`.
#[derive(Debug, Clone, Copy)]
pub struct WorkerFetch;

impl HttpClient for WorkerFetch {
    async fn send(&self, request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> {
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
