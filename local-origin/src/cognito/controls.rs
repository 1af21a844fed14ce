//! Test-only controls under `/_local/cognito` (`--test-controls`): sign anything, mint for a dev user, rotate
//! and unpublish keys.
//!
//! A verifier's negative tests need tokens a real user pool never issues (wrong `alg`, missing `exp`, duplicate
//! members, …) that still carry a valid signature, and key rotation on demand; these routes make them.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::keys::{self, Key};
use super::tokens::{self, Identity, TokenUse, DEFAULT_EXPIRES_IN};
use super::users::dev_user;
use super::{jwt, Cognito};
use crate::error::{ApiError, ErrorCode};

/// The `/_local/cognito` routes.
pub fn router(cognito: Arc<Cognito>) -> Router {
    Router::new()
        .route("/_local/cognito/sign", post(sign))
        .route("/_local/cognito/mint", post(mint))
        .route("/_local/cognito/keys", post(rotate))
        .route("/_local/cognito/keys/{kid}", delete(unpublish))
        .with_state(cognito)
}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("Invalid {what}: {e}")))
}

fn unknown_kid(kid: &str) -> ApiError {
    ApiError::new(ErrorCode::NotFoundException, format!("No signing key has kid '{kid}'"))
}

fn key(cognito: &Cognito, kid: &str) -> Result<Key, ApiError> {
    cognito.keys.get(kid).ok_or_else(|| unknown_kid(kid))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignRequest<'a> {
    kid: String,
    #[serde(borrow)]
    header: &'a RawValue,
    #[serde(borrow)]
    payload: &'a RawValue,
}

/// `{"kid","header","payload"}` → `{"token"}`: header and payload signed as given, whitespace dropped, member
/// order and duplicates kept. Any JSON value is accepted (so a test can sign a payload that is not an object).
async fn sign(State(cognito): State<Arc<Cognito>>, body: axum::body::Bytes) -> Result<Json<Value>, ApiError> {
    let req: SignRequest = parse(&body, "sign request")?;
    let key = key(&cognito, &req.kid)?;
    let header = jwt::compact(req.header.get());
    let payload = jwt::compact(req.payload.get());
    Ok(Json(json!({"token": jwt::sign_raw(&key.signer, header.as_bytes(), payload.as_bytes())})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MintRequest {
    user: String,
    #[serde(default)]
    token_use: TokenUse,
    #[serde(default = "default_expires_in")]
    expires_in: i64,
    #[serde(default = "default_kid")]
    kid: String,
    /// A made-up user's subject, with the role of `user`.
    sub: Option<String>,
}

fn default_expires_in() -> i64 {
    DEFAULT_EXPIRES_IN
}

fn default_kid() -> String {
    keys::FILE_KIDS[0].to_string()
}

/// `{"user","tokenUse"?,"expiresIn"?,"kid"?,"sub"?}` → `{"token"}`, with the claims of `mint-token`.
async fn mint(State(cognito): State<Arc<Cognito>>, body: axum::body::Bytes) -> Result<Json<Value>, ApiError> {
    let req: MintRequest = parse(&body, "mint request")?;
    let user = dev_user(&req.user)
        .ok_or_else(|| ApiError::bad_request(format!("Unknown user '{}': use free, premium or admin", req.user)))?;
    let who = match &req.sub {
        Some(sub) if sub.is_empty() => return Err(ApiError::bad_request("'sub' must not be empty")),
        Some(sub) => Identity::new_user(user, sub),
        None => Identity::of(user),
    };
    let key = key(&cognito, &req.kid)?;
    let token = tokens::mint(&cognito.pool, &key, &who, req.token_use, tokens::now(), req.expires_in);
    Ok(Json(json!({"token": token})))
}

/// Generates a key `rotated-<n>` (in memory only) and publishes it → `{"kid"}`.
async fn rotate(State(cognito): State<Arc<Cognito>>) -> Result<Json<Value>, ApiError> {
    let private = tokio::task::spawn_blocking(keys::generate)
        .await
        .map_err(|e| ApiError::new(ErrorCode::InternalServerErrorException, format!("key generation stopped: {e}")))?
        .map_err(|e| ApiError::new(ErrorCode::InternalServerErrorException, e.0))?;
    let kid = cognito.keys.next_rotated_kid();
    cognito.keys.publish(Key::new(kid.clone(), private));
    tracing::info!(%kid, "published a new Cognito signing key");
    Ok(Json(json!({"kid": kid})))
}

/// Takes a key out of the JWKS; `/sign` and `/mint` still sign with it.
async fn unpublish(State(cognito): State<Arc<Cognito>>, Path(kid): Path<String>) -> Result<Json<Value>, ApiError> {
    if !cognito.keys.unpublish(&kid) {
        return Err(unknown_kid(&kid));
    }
    Ok(Json(json!({"kid": kid, "published": false})))
}
