//! Identity at the edge: API keys and usage plans, Cognito access tokens (RS256 against the pool's JWKS),
//! roles from Cognito groups, and the authorization table. Per-isolate state (the JWKS, verified tokens,
//! known users, rate counters) lives in [`AuthState`], owned by the long-lived `App`.

pub mod api_keys;
#[cfg(feature = "rust-crypto")]
pub mod crypto;
pub mod flight;
pub mod jwks;
pub mod jwt;
pub mod policy;
pub mod token_cache;

use crate::db::{SqlValue, Statement};
use crate::error::ApiError;
use crate::ports::{Clock, Database, HttpClient, RsaVerifier, Timer};
use flight::{Flight, Turn};
use jwks::{JwksCache, Lookup};
use jwt::{CognitoConfig, Identity, TokenError};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::HashMap;
use token_cache::TokenCache;

/// A role, from Cognito groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Group `admin`.
    Admin,
    /// Group `premium`.
    Premium,
    /// No role group (the default).
    Free,
}

impl Role {
    /// The strongest role the groups grant.
    pub fn from_groups(groups: &[String]) -> Role {
        if groups.iter().any(|g| g == "admin") {
            Role::Admin
        } else if groups.iter().any(|g| g == "premium") {
            Role::Premium
        } else {
            Role::Free
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Premium => "premium",
            Role::Free => "free",
        }
    }
}

/// The caller of a signed-in request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Principal {
    /// The user's id in our database (created on first sight of the `sub`).
    pub user_id: String,
    /// Cognito's `sub`.
    pub sub: String,
    /// The user name.
    pub username: Option<String>,
    /// The role.
    pub role: Role,
    /// All Cognito groups.
    pub groups: Vec<String>,
}

/// Everything identity keeps per isolate.
#[derive(Debug)]
pub struct AuthState {
    jwks: RefCell<JwksCache>,
    jwks_flight: Flight,
    tokens: RefCell<TokenCache>,
    users: RefCell<HashMap<String, String>>,
    /// Rate-limit counters of API keys.
    pub limiter: RefCell<api_keys::RateLimiter>,
}

const MAX_KNOWN_USERS: usize = 10_000;

impl AuthState {
    /// Fresh state with a verified-token cache of `token_cache_size` entries (0 disables it).
    pub fn new(token_cache_size: usize) -> Self {
        AuthState {
            jwks: RefCell::new(JwksCache::default()),
            jwks_flight: Flight::default(),
            tokens: RefCell::new(TokenCache::new(token_cache_size)),
            users: RefCell::new(HashMap::new()),
            limiter: RefCell::new(api_keys::RateLimiter::default()),
        }
    }

    /// How many times the JWKS was fetched in this isolate.
    pub fn jwks_fetches(&self) -> u64 {
        self.jwks.borrow().fetches
    }
}

/// The bearer token of an `Authorization` header value.
pub fn bearer(header: Option<&str>) -> Result<&str, ApiError> {
    let value = header.ok_or(ApiError::Unauthorized)?;
    let (scheme, token) =
        value.trim().split_once(' ').ok_or(ApiError::TokenInvalid { reason: "not a bearer token" })?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::TokenInvalid { reason: "not a bearer token" });
    }
    Ok(token.trim())
}

/// Verifies `token` and returns its identity: from the verified-token cache when it was seen before,
/// otherwise through the JWKS (fetched once per unknown kid, within the penalty box) and the RSA port.
pub async fn verify<H: HttpClient, C: Clock, V: RsaVerifier, T: Timer>(
    state: &AuthState,
    config: &CognitoConfig,
    http: &H,
    clock: &C,
    rsa: &V,
    timer: &T,
    token: &str,
) -> Result<Identity, ApiError> {
    let cache_key = TokenCache::key(token);
    let now_ms = clock.now_millis();
    let now_secs = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
    if let Some(identity) = state.tokens.borrow_mut().get(&cache_key, now_secs, i64::from(config.leeway_secs)) {
        return Ok(identity);
    }
    let parsed = jwt::parse(token).map_err(token_error)?;
    let key = key_for(state, config, http, clock, timer, &parsed.kid).await?;
    if !jwt::signature_fits(&key, &parsed.signature) {
        return Err(ApiError::TokenInvalid { reason: "signature does not fit the key" });
    }
    let valid = rsa
        .verify_rs256(&key, parsed.signed, &parsed.signature)
        .await
        .map_err(|err| ApiError::Internal { internal: format!("RSA verification failed to run: {err}") })?;
    if !valid {
        return Err(ApiError::TokenInvalid { reason: "bad signature" });
    }
    let identity = jwt::check_claims(&parsed, config, now_ms).map_err(token_error)?;
    state.tokens.borrow_mut().insert(cache_key, identity.clone());
    Ok(identity)
}

async fn key_for<H: HttpClient, C: Clock, T: Timer>(
    state: &AuthState,
    config: &CognitoConfig,
    http: &H,
    clock: &C,
    timer: &T,
    kid: &str,
) -> Result<jwks::RsaJwk, ApiError> {
    let unknown = || ApiError::TokenInvalid { reason: "unknown signing key" };
    loop {
        let lookup = state.jwks.borrow().lookup(kid, clock.now_millis());
        match lookup {
            Lookup::Found(key) => return Ok(key),
            Lookup::Blocked => return Err(unknown()),
            Lookup::Fetch => match state.jwks_flight.join() {
                Turn::Follower(generation) => {
                    state.jwks_flight.wait(generation, timer).await;
                    let after = state.jwks.borrow().lookup(kid, clock.now_millis());
                    return match after {
                        Lookup::Found(key) => Ok(key),
                        // The set fetched for another kid may still let this one fetch.
                        Lookup::Fetch => continue,
                        Lookup::Blocked => Err(unknown()),
                    };
                }
                Turn::Leader(_guard) => {
                    let fetched = fetch_jwks(config, http).await;
                    let now = clock.now_millis();
                    let mut cache = state.jwks.borrow_mut();
                    return match fetched {
                        Ok(keys) => {
                            cache.store(keys, kid, now, config.penalty_ms);
                            match cache.lookup(kid, now) {
                                Lookup::Found(key) => Ok(key),
                                _ => Err(unknown()),
                            }
                        }
                        Err(message) => {
                            cache.fetch_failed(now, 2_000);
                            Err(ApiError::OriginUnavailable { retry_after: 2, internal: format!("JWKS: {message}") })
                        }
                    };
                }
            },
        }
    }
}

async fn fetch_jwks<H: HttpClient>(config: &CognitoConfig, http: &H) -> Result<Vec<jwks::RsaJwk>, String> {
    let request = http::Request::get(&config.jwks_url).body(Vec::new()).map_err(|err| err.to_string())?;
    let response = http.send(request).await.map_err(|err| err.to_string())?;
    if response.status() != http::StatusCode::OK {
        return Err(format!("{} answered {}", config.jwks_url, response.status()));
    }
    jwks::parse(response.body())
}

fn token_error(err: TokenError) -> ApiError {
    match err {
        TokenError::Expired => ApiError::TokenExpired,
        TokenError::Invalid(reason) => ApiError::TokenInvalid { reason },
    }
}

/// The caller's principal: the identity plus our user id, creating the user's row on first sight of the
/// `sub` (one round trip per new user per isolate).
pub async fn principal<D: Database, T: crate::ports::Timer>(
    state: &AuthState,
    db: &D,
    timer: &T,
    identity: Identity,
) -> Result<Principal, ApiError> {
    let role = Role::from_groups(&identity.groups);
    let known = state.users.borrow().get(&identity.sub).cloned();
    let user_id = match known {
        Some(id) => id,
        None => {
            let statement = Statement::new(
                "INSERT INTO users (cognito_sub, email, name, role) VALUES (:sub, :email, :name, :role) \
                 ON CONFLICT (cognito_sub) DO UPDATE SET role = EXCLUDED.role, \
                 email = COALESCE(users.email, EXCLUDED.email), name = COALESCE(users.name, EXCLUDED.name), \
                 updated_at = now() RETURNING id",
            )
            .bind("sub", SqlValue::Text(identity.sub.clone()))
            .bind("email", identity.email.clone().map(SqlValue::Text).unwrap_or(SqlValue::Null))
            .bind("name", identity.name.clone().map(SqlValue::Text).unwrap_or(SqlValue::Null))
            .bind("role", SqlValue::Text(role.as_str().to_owned()));
            let rows = crate::exec::retrying(timer, || db.execute(&statement)).await.map_err(|err| match err {
                // Another user already holds this e-mail address.
                crate::db::DbError::UniqueViolation { .. } => ApiError::Conflict { reason: "email_in_use" },
                other => ApiError::from(other),
            })?;
            let id = rows
                .first()
                .ok_or(ApiError::OriginError { internal: "user upsert returned no row".into() })?
                .text("id")?
                .to_owned();
            let mut users = state.users.borrow_mut();
            if users.len() >= MAX_KNOWN_USERS {
                users.clear();
            }
            users.insert(identity.sub.clone(), id.clone());
            id
        }
    };
    Ok(Principal { user_id, sub: identity.sub, username: identity.username, role, groups: identity.groups })
}
