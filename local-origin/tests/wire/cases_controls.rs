//! The /_local test controls, and start-up side effects.

use reqwest::Method;
use serde_json::json;

use crate::support::{first_row, s, Env, RESOURCE_ARN, SECRET_ARN};

pub async fn stats(env: &Env) {
    env.control(Method::POST, "/_local/stats/reset", None).await.ok();
    env.ok("SELECT 1", json!({})).await;
    env.execute("SELECT nope", json!({})).await.error(400, "DatabaseErrorException");
    let tx = env.call("/BeginTransaction", json!({"resourceArn": RESOURCE_ARN, "secretArn": SECRET_ARN})).await;
    let id = tx.ok()["transactionId"].clone();
    env.call(
        "/RollbackTransaction",
        json!({"resourceArn": RESOURCE_ARN, "secretArn": SECRET_ARN, "transactionId": id}),
    )
    .await
    .ok();
    let stats = env.control(Method::GET, "/_local/stats", None).await;
    assert_eq!(
        stats.ok(),
        &json!({"execute": 2, "batchExecute": 0, "beginTransaction": 1, "commitTransaction": 0,
                "rollbackTransaction": 1, "jwks": 0})
    );
}

pub async fn faults(env: &Env) {
    env.control(Method::POST, "/_local/faults", Some(json!({"code": "DatabaseResumingException", "count": 2})))
        .await
        .ok();
    for _ in 0..2 {
        let answer = env.execute("SELECT 1", json!({})).await;
        let message = answer.error(400, "DatabaseResumingException");
        assert!(message.contains("is resuming after being auto-paused"), "{message}");
    }
    env.ok("SELECT 1", json!({})).await;

    env.control(Method::POST, "/_local/faults", Some(json!({"code": "ServiceUnavailableError", "count": 5})))
        .await
        .ok();
    env.execute("SELECT 1", json!({})).await.error(503, "ServiceUnavailableError");
    env.control(Method::DELETE, "/_local/faults", None).await.ok();
    env.ok("SELECT 1", json!({})).await;

    for (code, status) in [
        ("StatementTimeoutException", 400),
        ("InternalServerErrorException", 500),
        ("DatabaseUnavailableException", 504),
    ] {
        env.control(Method::POST, "/_local/faults", Some(json!({"code": code, "count": 1}))).await.ok();
        env.execute("SELECT 1", json!({})).await.error(status, code);
    }
    let bad = env.control(Method::POST, "/_local/faults", Some(json!({"code": "NoSuchError"}))).await;
    bad.error(400, "BadRequestException");
}

pub async fn migrations_recorded(env: &Env) {
    let body = env
        .ok(
            "SELECT count(*) FROM schema_migrations WHERE name = :n",
            json!({"parameters": [s("n", "0001_initial_schema.sql", None)]}),
        )
        .await;
    assert_eq!(first_row(&body)[0], json!({"longValue": 1}));
}
