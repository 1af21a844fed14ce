//! Native implementations of the transport and clock ports (reqwest and the system clock), for tests and
//! native tools. Edge builds never enable this: there the shell supplies its runtime's fetch and clock.

use momentum_core::ports::{Clock, HttpClient, TransportError};
use std::time::{SystemTime, UNIX_EPOCH};

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// Outbound HTTP through reqwest.
#[derive(Debug, Clone, Default)]
pub struct ReqwestClient {
    client: reqwest::Client,
}

impl HttpClient for ReqwestClient {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let (parts, body) = request.into_parts();
        let mut outgoing = self
            .client
            .request(parts.method, parts.uri.to_string())
            .body(body);
        for (name, value) in &parts.headers {
            if name != http::header::HOST {
                outgoing = outgoing.header(name, value);
            }
        }
        let response = outgoing.send().await.map_err(|err| TransportError {
            message: err.to_string(),
        })?;
        let mut builder = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let bytes = response.bytes().await.map_err(|err| TransportError {
            message: err.to_string(),
        })?;
        builder.body(bytes.to_vec()).map_err(|err| TransportError {
            message: err.to_string(),
        })
    }
}
