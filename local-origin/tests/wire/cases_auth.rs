//! Routing, SigV4 and the checks every call passes before any SQL runs.

use serde_json::json;

use crate::support::{Env, AKID, RESOURCE_ARN, SECRET, SECRET_ARN};

pub async fn health_and_routing(env: &Env) {
    let health = env.control(reqwest::Method::GET, "/health", None).await;
    assert_eq!(health.ok(), &json!({"ok": true}));
    let unknown = env.call("/ExecuteSql", json!({})).await;
    unknown.error(404, "UnknownOperationException");
    let wrong_method = env.control(reqwest::Method::GET, "/Execute", None).await;
    wrong_method.error(404, "UnknownOperationException");
}

pub async fn signatures(env: &Env) {
    let body = json!({"resourceArn": RESOURCE_ARN, "secretArn": SECRET_ARN, "sql": "SELECT 1"});
    let good = env.signed_with(AKID, SECRET, "/Execute", &body).await;
    assert_eq!(good.ok()["records"], json!([[{"longValue": 1}]]));

    let wrong_secret = env.signed_with(AKID, "not-the-secret", "/Execute", &body).await;
    let message = wrong_secret.error(403, "InvalidSignatureException");
    assert!(message.starts_with("The request signature we calculated does not match"), "{message}");

    let unknown_key = env.signed_with("AKIDSOMEONEELSE", SECRET, "/Execute", &body).await;
    unknown_key.error(403, "UnrecognizedClientException");

    let unsigned = env.http.post(env.url("/Execute")).json(&body).send().await.expect("request sent");
    assert_eq!(unsigned.status().as_u16(), 403);
    assert_eq!(unsigned.headers()["x-amzn-ErrorType"], "MissingAuthenticationTokenException");
}

pub async fn arns_and_required_members(env: &Env) {
    let wrong_cluster =
        env.execute("SELECT 1", json!({"resourceArn": "arn:aws:rds:us-east-1:000000000000:cluster:other"})).await;
    assert!(wrong_cluster.error(400, "BadRequestException").contains("resourceArn"));
    let wrong_secret =
        env.execute("SELECT 1", json!({"secretArn": "arn:aws:secretsmanager:us-east-1:000000000000:secret:x"})).await;
    assert!(wrong_secret.error(400, "BadRequestException").contains("secretArn"));
    let no_sql = env.call("/Execute", json!({"resourceArn": RESOURCE_ARN, "secretArn": SECRET_ARN})).await;
    assert!(no_sql.error(400, "BadRequestException").contains("'sql'"));
    let long_sql = format!("SELECT 1 -- {}", "x".repeat(65_536));
    env.execute(&long_sql, json!({})).await.error(400, "BadRequestException");
    let not_json = env.call("/Execute", json!("not an object")).await;
    not_json.error(400, "BadRequestException");
}
