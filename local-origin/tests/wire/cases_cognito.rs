//! The Cognito stand-in: JWKS, the `/_local/cognito` controls, `mint-token`, and the seeded dev users.
//!
//! Signatures are checked the way a verifier does it: against the key rebuilt from the served JWK's `n`/`e`.

use std::process::Command;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::support::{first_row, s, Env};

const POOL_ID: &str = "us-east-1_LocalDev1";
const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_LocalDev1";

fn jwks_path() -> String {
    format!("/{POOL_ID}/.well-known/jwks.json")
}

async fn jwks(env: &Env) -> Value {
    env.control(Method::GET, &jwks_path(), None).await.ok().clone()
}

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"].as_array().expect("keys").iter().map(|k| k["kid"].as_str().expect("kid").to_string()).collect()
}

fn b64(part: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(part).expect("base64url part")
}

/// A token's header and payload as JSON, once its signature verified against `jwks` (by the header's kid).
#[track_caller]
fn verify(token: &str, jwks: &Value) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    let header: Value = serde_json::from_slice(&b64(parts[0])).expect("header json");
    let kid = header["kid"].as_str().expect("kid");
    let jwk = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("kid {kid} is not in {jwks}"));
    let public = RsaPublicKey::new(
        BigUint::from_bytes_be(&b64(jwk["n"].as_str().expect("n"))),
        BigUint::from_bytes_be(&b64(jwk["e"].as_str().expect("e"))),
    )
    .expect("an RSA public key");
    let signature = Signature::try_from(b64(parts[2]).as_slice()).expect("signature");
    VerifyingKey::<Sha256>::new(public)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("the signature verifies against the published JWK");
    let payload = serde_json::from_slice(&b64(parts[1])).unwrap_or(Value::Null);
    (header, payload)
}

pub async fn jwks_served_at_the_pool_path_and_counted(env: &Env) {
    env.control(Method::POST, "/_local/stats/reset", None).await.ok();
    let body = jwks(env).await;
    assert_eq!(kids(&body), ["local-1", "local-2"]);
    for key in body["keys"].as_array().expect("keys") {
        let members: Vec<&String> = key.as_object().expect("jwk").keys().collect();
        assert_eq!(members.len(), 6, "{key}");
        assert_eq!(
            (&key["kty"], &key["alg"], &key["use"], &key["e"]),
            (&json!("RSA"), &json!("RS256"), &json!("sig"), &json!("AQAB"))
        );
        let n = b64(key["n"].as_str().expect("n"));
        assert_eq!((n.len(), n[0] != 0), (256, true), "2048 bits, no leading zero");
    }
    assert_ne!(body["keys"][0]["n"], body["keys"][1]["n"]);

    let other_pool = env.control(Method::GET, "/us-east-1_SomeoneElse/.well-known/jwks.json", None).await;
    assert_eq!(other_pool.status, 404, "{other_pool:?}");
    jwks(env).await;

    let stats = env.control(Method::GET, "/_local/stats", None).await;
    assert_eq!(stats.ok()["jwks"], 2, "served fetches only");
    assert_eq!(stats.ok()["execute"], 0, "{stats:?}");
    let reset = env.control(Method::POST, "/_local/stats/reset", None).await;
    assert_eq!(reset.ok()["jwks"], 0);
}

pub async fn sign_verifies_against_the_published_jwk(env: &Env) {
    // Signed exactly as given: member order kept, whitespace dropped, even a duplicate member kept.
    let header = r#"{ "kid": "local-2", "alg": "RS256", "typ": "JWT" }"#;
    let payload = r#"{"token_use": "id", "sub": "x", "token_use": "access", "exp": 1}"#;
    let body = format!(r#"{{"kid": "local-2", "header": {header}, "payload": {payload}}}"#);
    let answer = env
        .http
        .post(env.url("/_local/cognito/sign"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request sent");
    assert_eq!(answer.status().as_u16(), 200);
    let token = answer.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_string();
    verify(&token, &jwks(env).await);
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(b64(parts[0]), br#"{"kid":"local-2","alg":"RS256","typ":"JWT"}"#);
    assert_eq!(b64(parts[1]), br#"{"token_use":"id","sub":"x","token_use":"access","exp":1}"#);

    // The header's kid is not consulted: the body's kid picks the key.
    let mismatched = env
        .control(
            Method::POST,
            "/_local/cognito/sign",
            Some(json!({"kid": "local-1", "header": {"kid": "local-2", "alg": "RS256"}, "payload": {}})),
        )
        .await;
    let token = mismatched.ok()["token"].as_str().expect("token").to_string();
    let published = jwks(env).await;
    let mut local_1_as_local_2 = published["keys"][0].clone();
    local_1_as_local_2["kid"] = json!("local-2");
    verify(&token, &json!({"keys": [local_1_as_local_2]}));

    let unknown = env
        .control(Method::POST, "/_local/cognito/sign", Some(json!({"kid": "nope", "header": {}, "payload": {}})))
        .await;
    unknown.error(404, "NotFoundException");
    let malformed =
        env.control(Method::POST, "/_local/cognito/sign", Some(json!({"kid": "local-1", "header": {}}))).await;
    malformed.error(400, "BadRequestException");
}

pub async fn mint_control(env: &Env) {
    let jwks = jwks(env).await;
    let mint = |body: Value| async move { env.control(Method::POST, "/_local/cognito/mint", Some(body)).await };
    let answer = mint(json!({"user": "premium", "tokenUse": "id", "kid": "local-2"})).await;
    let (header, claims) = verify(answer.ok()["token"].as_str().expect("token"), &jwks);
    assert_eq!(header, json!({"kid": "local-2", "alg": "RS256"}));
    assert_eq!(claims["token_use"], "id");
    assert_eq!(claims["aud"], "localdevclient");
    assert_eq!(claims["email"], "premium.learner@momentum.example");
    assert_eq!(claims["cognito:groups"], json!(["premium"]));
    assert_eq!(claims["iss"], ISSUER);
    let lifetime = claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat");
    assert_eq!(lifetime, 3600);

    let answer = mint(json!({"user": "free", "expiresIn": -60})).await;
    let (header, claims) = verify(answer.ok()["token"].as_str().expect("token"), &jwks);
    assert_eq!(header["kid"], "local-1");
    assert_eq!(claims["token_use"], "access");
    assert_eq!(claims["client_id"], "localdevclient");
    assert_eq!(claims["username"], "free.learner");
    assert!(claims.get("cognito:groups").is_none(), "{claims}");
    assert!(claims["exp"].as_i64() < claims["iat"].as_i64(), "already expired");

    let sub = "9a9a9a9a-0000-4000-8000-000000000009";
    let answer = mint(json!({"user": "admin", "sub": sub})).await;
    let (_, claims) = verify(answer.ok()["token"].as_str().expect("token"), &jwks);
    assert_eq!((&claims["sub"], &claims["username"]), (&json!(sub), &json!(sub)));
    assert_eq!(claims["cognito:groups"], json!(["admin"]));

    mint(json!({"user": "root"})).await.error(400, "BadRequestException");
    mint(json!({"user": "free", "tokenUse": "refresh"})).await.error(400, "BadRequestException");
    mint(json!({"user": "free", "kid": "nope"})).await.error(404, "NotFoundException");
}

pub async fn rotate_adds_a_kid_and_unpublish_removes_it(env: &Env) {
    let rotated = env.control(Method::POST, "/_local/cognito/keys", None).await;
    let kid = rotated.ok()["kid"].as_str().expect("kid").to_string();
    assert_eq!(kid, "rotated-1");
    let after = jwks(env).await;
    assert_eq!(kids(&after), ["local-1", "local-2", "rotated-1"]);
    let token = env.control(Method::POST, "/_local/cognito/mint", Some(json!({"user": "admin", "kid": kid}))).await;
    let token = token.ok()["token"].as_str().expect("token").to_string();
    verify(&token, &after);

    let removed = env.control(Method::DELETE, &format!("/_local/cognito/keys/{kid}"), None).await;
    assert_eq!(removed.ok()["kid"], kid.as_str());
    assert_eq!(kids(&jwks(env).await), ["local-1", "local-2"]);
    let still_signs = env
        .control(
            Method::POST,
            "/_local/cognito/sign",
            Some(json!({"kid": kid, "header": {"kid": kid, "alg": "RS256"}, "payload": {}})),
        )
        .await;
    still_signs.ok();
    verify(still_signs.body["token"].as_str().expect("token"), &after);
    env.control(Method::DELETE, "/_local/cognito/keys/nope", None).await.error(404, "NotFoundException");
}

pub async fn mint_token_cli_prints_a_token_for_the_servers_keys(env: &Env) {
    let out = Command::new(env!("CARGO_BIN_EXE_local-origin"))
        .args(["mint-token", "--user", "premium", "--keys-dir"])
        .arg(&env.server.keys_dir)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run local-origin mint-token");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let token = stdout.strip_suffix('\n').expect("one line");
    assert!(!token.contains(char::is_whitespace), "only the JWT: {stdout:?}");
    assert_eq!(token.split('.').count(), 3);
    assert!(token.split('.').all(|p| !p.is_empty()));
    let (header, claims) = verify(token, &jwks(env).await);
    assert_eq!(header, json!({"kid": "local-1", "alg": "RS256"}));
    assert_eq!(claims["sub"], "5f0e1a2b-0000-4000-8000-000000000002");
    assert_eq!(claims["cognito:groups"], json!(["premium"]));
    assert_eq!(claims["iss"], ISSUER);

    let id = Command::new(env!("CARGO_BIN_EXE_local-origin"))
        .args(["mint-token", "--user", "admin", "--token-use", "id", "--kid", "local-2"])
        .args(["--expires-in", "60", "--keys-dir"])
        .arg(&env.server.keys_dir)
        .output()
        .expect("run local-origin mint-token");
    assert!(id.status.success(), "{}", String::from_utf8_lossy(&id.stderr));
    let token = String::from_utf8(id.stdout).expect("utf-8");
    let (header, claims) = verify(token.trim_end(), &jwks(env).await);
    assert_eq!(header["kid"], "local-2");
    assert_eq!(claims["cognito:username"], "admin");
    assert_eq!(claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"), 60);

    let bad = Command::new(env!("CARGO_BIN_EXE_local-origin"))
        .args(["mint-token", "--user", "root", "--keys-dir"])
        .arg(&env.server.keys_dir)
        .output()
        .expect("run local-origin mint-token");
    assert!(!bad.status.success() && bad.stdout.is_empty());
}

pub async fn dev_users_seeded(env: &Env) {
    for (sub, email, role, timezone) in [
        ("5f0e1a2b-0000-4000-8000-000000000001", "free.learner@momentum.example", "free", "UTC"),
        ("5f0e1a2b-0000-4000-8000-000000000002", "premium.learner@momentum.example", "premium", "Pacific/Auckland"),
        ("5f0e1a2b-0000-4000-8000-000000000003", "admin@momentum.example", "admin", "America/New_York"),
    ] {
        let body = env
            .ok(
                "SELECT email, role, timezone FROM users WHERE cognito_sub = :sub",
                json!({"parameters": [s("sub", sub, None)]}),
            )
            .await;
        assert_eq!(
            first_row(&body),
            &vec![json!({"stringValue": email}), json!({"stringValue": role}), json!({"stringValue": timezone})]
        );
    }
}
