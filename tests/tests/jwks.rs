//! JWKS behaviour through the real edge, sequentially (the edge's JWKS state is shared by all requests):
//! rotation needs exactly one refetch; a flood of made-up kids costs at most one fetch per penalty window.
//! Spin has no state between requests (a fresh instance each), so there every unknown kid fetches: the case
//! says so and checks that instead.

use momentum_tests::{call_as, origin_stats, origin_url, runtime, send, sign, Runtime};
use serde_json::json;

async fn jwks_fetches() -> u64 {
    origin_stats().await["jwks"].as_u64().expect("jwks counter")
}

fn claims() -> serde_json::Value {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs();
    json!({"sub": "5f0e1a2b-0000-4000-8000-000000000002", "client_id": "localdevclient", "token_use": "access",
           "username": "premium.learner", "cognito:groups": ["premium"],
           "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_LocalDev1", "exp": now + 600, "iat": now})
}

#[tokio::test]
async fn rotation_then_kid_flood() {
    // Warm: the edge knows the current set.
    let warm = sign("local-1", json!({"kid": "local-1", "alg": "RS256"}), claims()).await;
    assert_eq!(call_as("GET", "/users/me", Some(&warm), None).await.status, 200);

    // Rotation: a new key is published; its first token makes the edge refetch once, then it is known.
    let rotated = send("POST", &format!("{}/_local/cognito/keys", origin_url()), &[], None).await;
    let kid = rotated.json["kid"].as_str().expect("kid").to_owned();
    let before = jwks_fetches().await;
    let token = sign(&kid, json!({"kid": kid, "alg": "RS256"}), claims()).await;
    assert_eq!(
        call_as("GET", "/users/me", Some(&token), None).await.status,
        200,
        "rotated key accepted without restart"
    );
    let mut claims2 = claims();
    claims2["jti"] = json!("second");
    let second = sign(&kid, json!({"kid": kid, "alg": "RS256"}), claims2).await;
    assert_eq!(call_as("GET", "/users/me", Some(&second), None).await.status, 200);
    let after_rotation = jwks_fetches().await;
    if runtime() == Runtime::Spin {
        assert!(after_rotation > before, "Spin fetches per request");
    } else {
        assert_eq!(after_rotation - before, 1, "exactly one refetch for the new kid");
    }

    // Flood: 30 tokens with made-up kids, all refused at once.
    let before = jwks_fetches().await;
    for n in 0..30 {
        let kid = format!("made-up-{n}-{}", std::process::id());
        let forged = sign("local-1", json!({"kid": kid, "alg": "RS256"}), claims()).await;
        call_as("GET", "/users/me", Some(&forged), None).await.expect_error(401, "TOKEN_INVALID");
    }
    let fetched = jwks_fetches().await - before;
    if runtime() == Runtime::Spin {
        assert!(fetched <= 30, "at most one fetch per request on Spin, got {fetched}");
    } else {
        assert!(fetched <= 1, "a kid flood made {fetched} JWKS fetches");
    }
    // Known keys keep working during the penalty window.
    assert_eq!(call_as("GET", "/users/me", Some(&warm), None).await.status, 200);
}
