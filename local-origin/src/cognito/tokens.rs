//! Access and ID tokens with exactly the claims a Cognito user pool puts in them.

use serde::{Deserialize, Serialize};

use super::jwt::{self, Header};
use super::keys::Key;
use super::users::DevUser;
use super::UserPool;

/// Cognito's `token_use`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TokenUse {
    /// An access token (`client_id`, `scope`, no `aud`): what the edge authorises API calls with.
    #[default]
    Access,
    /// An ID token (`aud`, `email`, `name`).
    Id,
}

/// The access token's only scope when signing in through the user pool API.
pub const ACCESS_SCOPE: &str = "aws.cognito.signin.user.admin";
/// The default lifetime, Cognito's default for access and ID tokens.
pub const DEFAULT_EXPIRES_IN: i64 = 3600;

/// Who a token is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub sub: String,
    pub username: String,
    pub email: String,
    pub name: String,
    /// `cognito:groups`; `None` leaves the claim out.
    pub groups: Option<Vec<String>>,
}

impl Identity {
    /// A development user, as seeded.
    pub fn of(user: &DevUser) -> Identity {
        Identity {
            sub: user.sub.to_string(),
            username: user.username().to_string(),
            email: user.email.to_string(),
            name: user.name.to_string(),
            groups: user.groups(),
        }
    }

    /// A made-up user with its own `sub`, not in `users`, with the role (groups) and name of `user`. Its
    /// username is the sub (as for a pool that signs in by e-mail alias) and its e-mail address is derived from
    /// the sub, so it collides with no seeded row.
    pub fn new_user(user: &DevUser, sub: &str) -> Identity {
        Identity {
            sub: sub.to_string(),
            username: sub.to_string(),
            email: format!("{sub}@new.momentum.example"),
            ..Identity::of(user)
        }
    }
}

/// An access token's payload, members in Cognito's order.
#[derive(Debug, Serialize)]
pub struct AccessClaims {
    pub sub: String,
    pub client_id: String,
    pub token_use: &'static str,
    pub scope: &'static str,
    pub username: String,
    #[serde(rename = "cognito:groups", skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    pub iss: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    pub jti: String,
    pub origin_jti: String,
    pub event_id: String,
    pub version: u32,
}

/// An ID token's payload.
#[derive(Debug, Serialize)]
pub struct IdClaims {
    pub sub: String,
    pub aud: String,
    pub token_use: &'static str,
    #[serde(rename = "cognito:username")]
    pub username: String,
    pub email: String,
    pub name: String,
    #[serde(rename = "cognito:groups", skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    pub iss: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    pub jti: String,
    pub origin_jti: String,
}

/// Either payload.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Claims {
    Access(AccessClaims),
    Id(IdClaims),
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The claims of a token issued at `now` (epoch seconds) that expires `expires_in` seconds later (a negative
/// value gives an already expired token).
pub fn claims(pool: &UserPool, who: &Identity, token_use: TokenUse, now: i64, expires_in: i64) -> Claims {
    let exp = now.saturating_add(expires_in);
    match token_use {
        TokenUse::Access => Claims::Access(AccessClaims {
            sub: who.sub.clone(),
            client_id: pool.client_id.clone(),
            token_use: "access",
            scope: ACCESS_SCOPE,
            username: who.username.clone(),
            groups: who.groups.clone(),
            iss: pool.issuer(),
            exp,
            iat: now,
            auth_time: now,
            jti: uuid(),
            origin_jti: uuid(),
            event_id: uuid(),
            version: 2,
        }),
        TokenUse::Id => Claims::Id(IdClaims {
            sub: who.sub.clone(),
            aud: pool.client_id.clone(),
            token_use: "id",
            username: who.username.clone(),
            email: who.email.clone(),
            name: who.name.clone(),
            groups: who.groups.clone(),
            iss: pool.issuer(),
            exp,
            iat: now,
            auth_time: now,
            jti: uuid(),
            origin_jti: uuid(),
        }),
    }
}

/// A signed token: header `{"kid":…,"alg":"RS256"}` and [`claims`].
pub fn mint(pool: &UserPool, key: &Key, who: &Identity, token_use: TokenUse, now: i64, expires_in: i64) -> String {
    jwt::sign(&key.signer, &Header::rs256(&key.kid), &claims(pool, who, token_use, now, expires_in))
}

/// The current time in epoch seconds.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cognito::test_keys;
    use crate::cognito::users::{dev_user, DEV_USERS};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    use serde_json::{json, Value};

    fn pool() -> UserPool {
        UserPool {
            region: "us-east-1".into(),
            user_pool_id: "us-east-1_LocalDev1".into(),
            client_id: "localdevclient".into(),
        }
    }

    fn as_json(claims: &Claims) -> Value {
        serde_json::to_value(claims).expect("json")
    }

    fn member_names(value: &Value) -> Vec<String> {
        let mut names: Vec<String> = value.as_object().expect("object").keys().cloned().collect();
        names.sort();
        names
    }

    fn is_uuid_v4(value: &Value) -> bool {
        value.as_str().and_then(|s| uuid::Uuid::parse_str(s).ok()).is_some_and(|u| u.get_version_num() == 4)
    }

    #[test]
    fn access_token_claims_per_user() {
        const ACCESS: [&str; 14] = [
            "auth_time",
            "client_id",
            "cognito:groups",
            "event_id",
            "exp",
            "iat",
            "iss",
            "jti",
            "origin_jti",
            "scope",
            "sub",
            "token_use",
            "username",
            "version",
        ];
        for user in DEV_USERS {
            let c = as_json(&claims(&pool(), &Identity::of(&user), TokenUse::Access, 1_700_000_000, 3600));
            let mut expected: Vec<&str> = ACCESS.to_vec();
            if user.key == "free" {
                expected.retain(|n| *n != "cognito:groups");
            }
            assert_eq!(member_names(&c), expected, "{}", user.key);
            assert_eq!(c["sub"], user.sub);
            assert_eq!(c["client_id"], "localdevclient");
            assert_eq!(c["token_use"], "access");
            assert_eq!(c["scope"], "aws.cognito.signin.user.admin");
            assert_eq!(c["username"], user.username());
            assert_eq!(c["iss"], "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_LocalDev1");
            assert_eq!((c["iat"].clone(), c["auth_time"].clone()), (json!(1_700_000_000), json!(1_700_000_000)));
            assert_eq!(c["exp"], 1_700_003_600);
            assert_eq!(c["version"], 2);
            for id in ["jti", "origin_jti", "event_id"] {
                assert!(is_uuid_v4(&c[id]), "{id}: {}", c[id]);
            }
            assert_ne!(c["jti"], c["origin_jti"]);
        }
        let premium = as_json(&claims(&pool(), &Identity::of(&DEV_USERS[1]), TokenUse::Access, 0, 60));
        assert_eq!(premium["cognito:groups"], json!(["premium"]));
        let admin = as_json(&claims(&pool(), &Identity::of(&DEV_USERS[2]), TokenUse::Access, 0, 60));
        assert_eq!(admin["cognito:groups"], json!(["admin"]));
    }

    #[test]
    fn id_token_claims_per_user() {
        const ID: [&str; 13] = [
            "aud",
            "auth_time",
            "cognito:groups",
            "cognito:username",
            "email",
            "exp",
            "iat",
            "iss",
            "jti",
            "name",
            "origin_jti",
            "sub",
            "token_use",
        ];
        for user in DEV_USERS {
            let c = as_json(&claims(&pool(), &Identity::of(&user), TokenUse::Id, 1_700_000_000, 60));
            let mut expected: Vec<&str> = ID.to_vec();
            if user.key == "free" {
                expected.retain(|n| *n != "cognito:groups");
            } else {
                assert_eq!(c["cognito:groups"], json!([user.role]));
            }
            assert_eq!(member_names(&c), expected, "{}", user.key);
            assert_eq!(c["aud"], "localdevclient");
            assert_eq!(c["token_use"], "id");
            assert_eq!(c["cognito:username"], user.username());
            assert_eq!(c["email"], user.email);
            assert_eq!(c["name"], user.name);
            assert_eq!(c["sub"], user.sub);
            assert_eq!(c["exp"], 1_700_000_060);
            assert!(is_uuid_v4(&c["jti"]) && is_uuid_v4(&c["origin_jti"]));
        }
    }

    #[test]
    fn a_made_up_user_keeps_the_role_but_not_the_identity() {
        let premium = dev_user("premium").expect("premium");
        let sub = "9a9a9a9a-0000-4000-8000-000000000009";
        let who = Identity::new_user(premium, sub);
        let c = as_json(&claims(&pool(), &who, TokenUse::Id, 0, 60));
        assert_eq!(c["sub"], sub);
        assert_eq!(c["cognito:username"], sub);
        assert_eq!(c["email"], format!("{sub}@new.momentum.example"));
        assert_eq!(c["cognito:groups"], json!(["premium"]));
    }

    #[test]
    fn minted_token_verifies_with_the_rsa_verifying_key() {
        let key = &test_keys()[1];
        let token = mint(&pool(), key, &Identity::of(&DEV_USERS[2]), TokenUse::Access, now(), 3600);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64")).expect("json");
        assert_eq!(header, json!({"kid": "local-2", "alg": "RS256"}));
        assert_eq!(
            URL_SAFE_NO_PAD.decode(parts[0]).expect("b64"),
            br#"{"kid":"local-2","alg":"RS256"}"#,
            "kid first, no typ"
        );
        let payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        assert_eq!(payload["cognito:groups"], json!(["admin"]));
        assert!(payload["exp"].as_i64().expect("exp") > now());
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).expect("b64");
        let signature = Signature::try_from(signature.as_slice()).expect("signature");
        let verifier = VerifyingKey::<Sha256>::new(key.public.clone());
        verifier.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature).expect("verifies");
        let tampered = format!("{}.{}", parts[0], URL_SAFE_NO_PAD.encode(br#"{"sub":"someone"}"#));
        assert!(verifier.verify(tampered.as_bytes(), &signature).is_err());
    }

    use sha2::Sha256;
}
