//! HTTP clients for the AWS origin: the Aurora PostgreSQL **RDS Data API** (every read and write), Step
//! Functions (AI generation jobs) and S3 presigned uploads (`s3`). Each is SigV4-signed with the `aws-sigv4` crate and speaks through the core's
//! [`HttpClient`](momentum_core::ports::HttpClient) port, so the same client runs over Workers' `fetch`, Spin's
//! outbound HTTP, or (feature `native`) reqwest in tests.
//!
//! This crate is the only one that knows AWS wire formats. It reads no clock of its own: signing time comes
//! from the core's [`Clock`](momentum_core::ports::Clock) port (the system clock panics on wasm32).
#![deny(missing_docs)]
#![allow(async_fn_in_trait)]

pub mod credentials;
pub mod data_api;
#[cfg(feature = "native")]
pub mod native;
pub mod s3;
pub mod sigv4;
pub mod states;

pub use credentials::AwsCredentials;
pub use data_api::{DataApiClient, DataApiConfig, DataApiError};
pub use s3::{S3Config, S3Presigner};
pub use states::{StatesConfig, StatesError, StepFunctionsClient};
