//! Cognito JWT rules, at least as strict as awslabs/aws-jwt-verify: RS256 pinned, keys only from the issuer's
//! JWKS, `exp` required, `iss` exact, `token_use` and the app client checked. Parsing of the compact form and
//! the time checks use `jwt-compact`; the signature itself is checked through the `RsaVerifier` port.

use super::jwks::RsaJwk;
use chrono::{DateTime, TimeZone, Utc};
use jwt_compact::{Claims, TimeOptions, UntrustedToken};
use serde::Deserialize;

/// The longest bearer token accepted, in bytes.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Which Cognito token the API accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    /// Access tokens (what the API takes).
    Access,
    /// ID tokens.
    Id,
}

/// How tokens of one user pool are verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoConfig {
    /// `https://cognito-idp.{region}.amazonaws.com/{userPoolId}`, compared exactly with `iss`.
    pub issuer: String,
    /// Where the JWKS is fetched: `{issuer}/.well-known/jwks.json` unless overridden (local development).
    pub jwks_url: String,
    /// App client ids allowed (`client_id` of access tokens, `aud` of ID tokens).
    pub client_ids: Vec<String>,
    /// The token type required.
    pub token_use: TokenUse,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    pub leeway_secs: u32,
    /// How long refetching the JWKS is blocked after a fetch that did not have the wanted kid, in ms.
    pub penalty_ms: u64,
}

impl CognitoConfig {
    /// The configuration for a pool: region configured (never parsed out of the pool id).
    pub fn new(region: &str, user_pool_id: &str, client_ids: Vec<String>) -> Self {
        let issuer = format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}");
        CognitoConfig {
            jwks_url: format!("{issuer}/.well-known/jwks.json"),
            issuer,
            client_ids,
            token_use: TokenUse::Access,
            leeway_secs: 60,
            penalty_ms: 10_000,
        }
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// Past `exp` (beyond the leeway).
    Expired,
    /// Anything else; the reason is for logs and `details.reason`.
    Invalid(&'static str),
}

/// A parsed, not yet verified token: what the signature check needs, and the claims to check afterwards.
#[derive(Debug)]
pub struct Parsed<'a> {
    /// The `kid` of the key that must have signed it.
    pub kid: String,
    /// `header.payload`, the signed bytes.
    pub signed: &'a [u8],
    /// The signature bytes.
    pub signature: Vec<u8>,
    token: UntrustedToken<'a, HeaderExtras>,
}

/// Header fields that must never be present: keys or key locations supplied by the token itself, and
/// critical extensions we do not implement.
#[derive(Debug, Clone, Default, Deserialize)]
struct HeaderExtras {
    #[serde(default)]
    jwk: Option<serde_json::Value>,
    #[serde(default)]
    x5c: Option<serde_json::Value>,
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

/// Parses a bearer token and checks its structure and header: three base64url parts, `alg` exactly RS256, a
/// string `kid`, and no `jwk`/`jku`/`x5u`/`x5c`/`crit`.
pub fn parse(token: &str) -> Result<Parsed<'_>, TokenError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::Invalid("token too large"));
    }
    if token.split('.').count() != 3 || token.split('.').any(str::is_empty) {
        return Err(TokenError::Invalid("not a three-part JWS"));
    }
    let untrusted: UntrustedToken<'_, HeaderExtras> =
        UntrustedToken::try_from(token).map_err(|_| TokenError::Invalid("malformed token"))?;
    if untrusted.algorithm() != "RS256" {
        return Err(TokenError::Invalid("algorithm not allowed"));
    }
    let header = untrusted.header();
    if header.key_set_url.is_some() || header.certificate_url.is_some() {
        return Err(TokenError::Invalid("token names its own key location"));
    }
    let extras = &header.other_fields;
    if extras.jwk.is_some() || extras.x5c.is_some() {
        return Err(TokenError::Invalid("token embeds a key"));
    }
    if extras.crit.is_some() {
        return Err(TokenError::Invalid("critical header extensions are not supported"));
    }
    let kid = match header.key_id.as_deref() {
        Some(kid) if !kid.is_empty() && kid.len() <= 256 => kid.to_owned(),
        _ => return Err(TokenError::Invalid("missing or bad kid")),
    };
    let signed = token.rsplit_once('.').map(|(signed, _)| signed.as_bytes()).unwrap_or_default();
    let signature = untrusted.signature_bytes().to_vec();
    Ok(Parsed { kid, signed, signature, token: untrusted })
}

/// Whether `signature` has the shape `key` produces (checked before any RSA work).
pub fn signature_fits(key: &RsaJwk, signature: &[u8]) -> bool {
    signature.len() == key.modulus_len()
}

/// The Cognito claims the API reads.
#[derive(Debug, Clone, Deserialize)]
struct CognitoClaims {
    sub: String,
    iss: String,
    token_use: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    aud: Option<serde_json::Value>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default, rename = "cognito:username")]
    cognito_username: Option<String>,
    #[serde(default, rename = "cognito:groups")]
    groups: Option<Vec<String>>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
    /// Type-checked only (must be a string when present).
    #[serde(default)]
    #[allow(dead_code)]
    scope: Option<String>,
    /// Type-checked only (must be a string when present).
    #[serde(default)]
    #[allow(dead_code)]
    jti: Option<String>,
}

/// The verified identity a token carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Cognito's user id.
    pub sub: String,
    /// The user name.
    pub username: Option<String>,
    /// `cognito:groups` (empty when absent).
    pub groups: Vec<String>,
    /// The e-mail address, when the token carries one.
    pub email: Option<String>,
    /// The display name, when the token carries one.
    pub name: Option<String>,
    /// Expiry, epoch seconds.
    pub exp: i64,
}

/// Checks the claims of a token whose signature has been verified, at `now_ms`.
pub fn check_claims(parsed: &Parsed<'_>, config: &CognitoConfig, now_ms: u64) -> Result<Identity, TokenError> {
    let claims: Claims<CognitoClaims> =
        parsed.token.deserialize_claims_unchecked().map_err(|_| TokenError::Invalid("malformed claims"))?;
    let now = Utc
        .timestamp_millis_opt(i64::try_from(now_ms).unwrap_or(i64::MAX))
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let time = TimeOptions::new(chrono::Duration::seconds(i64::from(config.leeway_secs)), move || now);
    match claims.validate_expiration(&time) {
        Ok(_) => {}
        Err(jwt_compact::ValidationError::Expired) => return Err(TokenError::Expired),
        Err(_) => return Err(TokenError::Invalid("missing or bad exp")),
    }
    if claims.not_before.is_some() && claims.validate_maturity(&time).is_err() {
        return Err(TokenError::Invalid("not yet valid"));
    }
    let custom = &claims.custom;
    if custom.iss != config.issuer {
        return Err(TokenError::Invalid("wrong issuer"));
    }
    if custom.sub.is_empty() {
        return Err(TokenError::Invalid("empty sub"));
    }
    match (custom.token_use.as_str(), config.token_use) {
        ("access", TokenUse::Access) => {
            let client = custom.client_id.as_deref().ok_or(TokenError::Invalid("no client_id"))?;
            if !config.client_ids.iter().any(|allowed| allowed == client) {
                return Err(TokenError::Invalid("client not allowed"));
            }
        }
        ("id", TokenUse::Id) => match &custom.aud {
            Some(serde_json::Value::String(aud)) if config.client_ids.iter().any(|allowed| allowed == aud) => {}
            _ => return Err(TokenError::Invalid("audience not allowed")),
        },
        ("access" | "id", _) => return Err(TokenError::Invalid("wrong token_use")),
        _ => return Err(TokenError::Invalid("bad token_use")),
    }
    Ok(Identity {
        sub: custom.sub.clone(),
        username: custom.username.clone().or_else(|| custom.cognito_username.clone()),
        groups: custom.groups.clone().unwrap_or_default(),
        email: custom.email.clone(),
        name: custom.name.clone(),
        exp: claims.expiration.map(|exp| exp.timestamp()).unwrap_or_default(),
    })
}
