//! Failures that must look exactly like AWS's, because the edge branches on them.

use serde_json::json;

use crate::support::{p, s, Env, STATEMENT_TIMEOUT_MS};

const ID: &str = "6f1c7c2a-3b9e-4d51-9a0e-0c5d2b1e7a01";

pub async fn uuid_without_hint_fails_like_aws(env: &Env) {
    let answer = env.execute("SELECT 1 FROM wire_t WHERE id = :id", json!({"parameters": [s("id", ID, None)]})).await;
    let message = answer.error(400, "DatabaseErrorException");
    assert!(message.contains("operator does not exist: uuid = character varying"), "{message}");
    assert!(message.ends_with("; SQLState: 42883"), "{message}");
}

pub async fn refused_parameters(env: &Env) {
    let array =
        env.execute("SELECT :a", json!({"parameters": [p("a", json!({"arrayValue": {"longValues": [1, 2]}}))]})).await;
    assert_eq!(array.error(400, "BadRequestException"), "Array parameters are not supported");

    let iso =
        env.execute("SELECT :ts", json!({"parameters": [s("ts", "2024-01-02T03:04:05Z", Some("TIMESTAMP"))]})).await;
    assert!(iso.error(400, "BadRequestException").contains("Timestamp format"));

    let two_members =
        env.execute("SELECT :a", json!({"parameters": [p("a", json!({"longValue": 1, "stringValue": "1"}))]})).await;
    two_members.error(400, "BadRequestException");

    let hint_on_long = env
        .execute("SELECT :a", json!({"parameters": [{"name": "a", "value": {"longValue": 1}, "typeHint": "DECIMAL"}]}))
        .await;
    hint_on_long.error(400, "BadRequestException");

    let missing = env.execute("SELECT :a, :b", json!({"parameters": [p("a", json!({"longValue": 1}))]})).await;
    missing.error(400, "BadRequestException");

    let duplicate = env
        .execute("SELECT :a", json!({"parameters": [p("a", json!({"longValue": 1})), p("a", json!({"longValue": 2}))]}))
        .await;
    duplicate.error(400, "BadRequestException");
}

pub async fn constraint_violations(env: &Env) {
    let dup =
        env.execute("INSERT INTO wire_t (id) VALUES (:id)", json!({"parameters": [s("id", ID, Some("UUID"))]})).await;
    let message = dup.error(400, "DatabaseErrorException");
    assert!(message.starts_with("ERROR: duplicate key value violates unique constraint \"wire_t_pkey\""), "{message}");
    assert!(message.contains(&format!("\n  Detail: Key (id)=({ID}) already exists.")), "{message}");
    assert!(message.ends_with("; SQLState: 23505"), "{message}");

    // A course whose category does not exist: the real schema's foreign key.
    let fk = env
        .execute(
            "INSERT INTO courses (title, category_id, duration_days, price) VALUES (:t, :c, 7, :p)",
            json!({"parameters": [
                s("t", "Orphan course", None),
                s("c", "00000000-0000-4000-8000-000000000000", Some("UUID")),
                s("p", "10.00", Some("DECIMAL")),
            ]}),
        )
        .await;
    assert!(fk.error(400, "DatabaseErrorException").ends_with("; SQLState: 23503"));
}

pub async fn response_size_limit(env: &Env) {
    let small = env.ok("SELECT repeat('x', 1000) FROM generate_series(1, 500)", json!({})).await;
    assert_eq!(small["records"].as_array().map(Vec::len), Some(500));
    let big = env.execute("SELECT repeat('x', 1000) FROM generate_series(1, 2000)", json!({})).await;
    assert_eq!(big.error(400, "BadRequestException"), "Database returned more than the allowed response size limit");
}

pub async fn statement_timeout(env: &Env) {
    let sleep = format!("SELECT pg_sleep({})", STATEMENT_TIMEOUT_MS as f64 / 1000.0 + 1.5);
    let answer = env.execute(&sleep, json!({})).await;
    answer.error(400, "StatementTimeoutException");
    assert!(answer.body["dbConnectionId"].as_i64().is_some_and(|id| id > 0), "{answer:?}");
    // The connection is still good afterwards.
    env.ok("SELECT 1", json!({})).await;
}
