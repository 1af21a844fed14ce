//! Momentum Edge core: everything the edge API decides, and nothing it does.
//!
//! The one entry point is [`App::handle`], which turns an [`http::Request`] into an [`http::Response`]:
//! routing, validation, the response envelope, and the SQL the origin runs. The core performs no I/O and
//! depends on no runtime crate: it reaches the world only through the traits in [`ports`], which each edge
//! shell implements with its runtime's facilities (and the core's unit tests implement with in-memory fakes).
//! It compiles for `wasm32-unknown-unknown` and native alike, and never panics on any input.
#![deny(missing_docs)]
#![allow(async_fn_in_trait)] // The ports are deliberately not `Send`: Workers futures are not.

pub mod app;
mod app_cache;
pub mod auth;
pub mod body;
pub mod cache;
pub mod catalog;
pub mod db;
pub mod envelope;
pub mod error;
pub mod exec;
pub mod generation;
pub mod idempotency;
pub mod learning;
pub mod media;
pub mod ports;
pub mod query;
pub mod router;
pub mod users;
mod writes;

pub use app::{App, Config, Ports};
pub use error::ApiError;
