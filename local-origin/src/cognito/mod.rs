//! A local stand-in for a Cognito user pool: its RS256 signing keys, its JWKS, and tokens for the seeded
//! development users, so the edge verifies real JWTs locally exactly as it verifies Cognito's.
//!
//! Only what the edge consumes is emulated: `GET /{poolId}/.well-known/jwks.json` and tokens with Cognito's
//! header and claims. Sign-in flows are not: tokens come from `local-origin mint-token` or, for tests, the
//! `/_local/cognito` controls (`controls`).

pub mod controls;
pub mod jwt;
pub mod keys;
pub mod tokens;
pub mod users;

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::controls::Stats;
use keys::KeyRing;

/// A start-up or CLI failure of the stand-in: a bad flag, an unreadable or unwritable key.
#[derive(Debug)]
pub struct CognitoError(pub String);

impl std::fmt::Display for CognitoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CognitoError {}

/// The Cognito flags, shared by the server and `mint-token` (global: accepted before or after the subcommand).
#[derive(Debug, Clone, clap::Args)]
pub struct CognitoArgs {
    /// Folder of the user pool's signing keys, local-1.pem and local-2.pem (generated when missing).
    #[arg(long, env = "LOCAL_ORIGIN_KEYS_DIR", default_value = "./.local/cognito-keys", global = true)]
    pub keys_dir: PathBuf,

    /// Region of the emulated user pool (part of the issuer).
    #[arg(long, env = "LOCAL_ORIGIN_COGNITO_REGION", default_value = "us-east-1", global = true)]
    pub cognito_region: String,

    /// Id of the emulated user pool (`{region}_{id}`).
    #[arg(long, env = "LOCAL_ORIGIN_COGNITO_USER_POOL_ID", default_value = "us-east-1_LocalDev1", global = true)]
    pub cognito_user_pool_id: String,

    /// App client id the tokens are issued to (`client_id` of access tokens, `aud` of ID tokens).
    #[arg(long, env = "LOCAL_ORIGIN_COGNITO_CLIENT_ID", default_value = "localdevclient", global = true)]
    pub cognito_client_id: String,
}

impl CognitoArgs {
    /// The user pool these flags describe, checked.
    pub fn user_pool(&self) -> Result<UserPool, CognitoError> {
        let pool = UserPool {
            region: self.cognito_region.clone(),
            user_pool_id: self.cognito_user_pool_id.clone(),
            client_id: self.cognito_client_id.clone(),
        };
        pool.check()?;
        Ok(pool)
    }
}

/// The emulated user pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPool {
    pub region: String,
    pub user_pool_id: String,
    pub client_id: String,
}

impl UserPool {
    /// `iss` of every token, and the JWKS's base URL on AWS.
    pub fn issuer(&self) -> String {
        format!("https://cognito-idp.{}.amazonaws.com/{}", self.region, self.user_pool_id)
    }

    /// A pool id is `{region}_{alphanumerics}` and its region is the pool's: verifiers derive the issuer's
    /// region from the pool id, so a mismatch would make every token fail there for a confusing reason.
    fn check(&self) -> Result<(), CognitoError> {
        let well_formed = self.user_pool_id.split_once('_').is_some_and(|(region, id)| {
            region == self.region && !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        if !well_formed {
            return Err(CognitoError(format!(
                "--cognito-user-pool-id must be '{}_<letters and digits>' (the region of --cognito-region), not '{}'",
                self.region, self.user_pool_id
            )));
        }
        if self.client_id.is_empty() {
            return Err(CognitoError("--cognito-client-id must not be empty".into()));
        }
        Ok(())
    }
}

/// The user pool and its keys, shared by the JWKS route and the test controls.
pub struct Cognito {
    pub pool: UserPool,
    pub keys: KeyRing,
    /// Counts JWKS fetches (`jwks` in `/_local/stats`).
    pub stats: Arc<Stats>,
}

impl Cognito {
    /// Loads (or generates) the on-disk keys and publishes them.
    pub fn start(args: &CognitoArgs, stats: Arc<Stats>) -> Result<Cognito, CognitoError> {
        let pool = args.user_pool()?;
        let keys = keys::load_or_generate(&args.keys_dir)?;
        Ok(Cognito { pool, keys: KeyRing::new(keys), stats })
    }
}

/// `GET /{poolId}/.well-known/jwks.json`, served whether or not test controls are on.
pub fn router(cognito: Arc<Cognito>) -> Router {
    Router::new().route("/{pool_id}/.well-known/jwks.json", get(jwks)).with_state(cognito)
}

async fn jwks(State(cognito): State<Arc<Cognito>>, Path(pool_id): Path<String>) -> Response {
    if pool_id != cognito.pool.user_pool_id {
        return (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"message": format!("User pool {pool_id} does not exist.")})),
        )
            .into_response();
    }
    cognito.stats.count_jwks();
    Json(cognito.keys.jwks()).into_response()
}

/// Two keys (`local-1`, `local-2`) generated once per unit-test run: generation is the slow part.
#[cfg(test)]
pub fn test_keys() -> Vec<keys::Key> {
    static KEYS: std::sync::OnceLock<Vec<keys::Key>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        keys::FILE_KIDS.iter().map(|kid| keys::Key::new(*kid, keys::generate().expect("test key"))).collect()
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(region: &str, id: &str) -> UserPool {
        UserPool { region: region.into(), user_pool_id: id.into(), client_id: "c".into() }
    }

    #[test]
    fn issuer_and_pool_id_checks() {
        let p = pool("us-east-1", "us-east-1_LocalDev1");
        assert_eq!(p.issuer(), "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_LocalDev1");
        assert!(p.check().is_ok());
        assert!(pool("eu-west-2", "eu-west-2_Ab3").check().is_ok());
        for bad in ["eu-west-2_Ab3", "us-east-1_", "us-east-1", "us-east-1_a/b", "us-east-1_a_b"] {
            assert!(pool("us-east-1", bad).check().is_err(), "{bad}");
        }
    }
}
