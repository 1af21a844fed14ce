//! BeginTransaction / Commit / Rollback visibility, and BatchExecute atomicity.

use serde_json::{json, Value};

use crate::support::{first_row, merge, p, s, Env, RESOURCE_ARN, SECRET_ARN};

fn arns(extra: Value) -> Value {
    let mut body = json!({"resourceArn": RESOURCE_ARN, "secretArn": SECRET_ARN});
    merge(&mut body, extra);
    body
}

async fn begin(env: &Env) -> String {
    let answer = env.call("/BeginTransaction", arns(json!({}))).await;
    answer.ok()["transactionId"].as_str().expect("transactionId").to_string()
}

async fn count_notes(env: &Env, note: &str) -> i64 {
    let body =
        env.ok("SELECT count(*) FROM wire_t WHERE note = :note", json!({"parameters": [s("note", note, None)]})).await;
    first_row(&body)[0]["longValue"].as_i64().expect("a count")
}

async fn insert_note(env: &Env, tx: &str, id: &str, note: &str) {
    env.ok(
        "INSERT INTO wire_t (id, note) VALUES (:id, :note)",
        json!({"transactionId": tx, "parameters": [s("id", id, Some("UUID")), s("note", note, None)]}),
    )
    .await;
}

pub async fn commit_and_rollback_visibility(env: &Env) {
    let tx = begin(env).await;
    insert_note(env, &tx, "7a000000-0000-4000-8000-000000000001", "tx-commit").await;
    let inside = env.ok("SELECT count(*) FROM wire_t WHERE note = 'tx-commit'", json!({"transactionId": tx})).await;
    assert_eq!(first_row(&inside)[0], json!({"longValue": 1}));
    assert_eq!(count_notes(env, "tx-commit").await, 0, "not visible before commit");
    let committed = env.call("/CommitTransaction", arns(json!({"transactionId": tx}))).await;
    assert_eq!(committed.ok(), &json!({"transactionStatus": "Transaction Committed"}));
    assert_eq!(count_notes(env, "tx-commit").await, 1, "visible after commit");

    let again = env.call("/CommitTransaction", arns(json!({"transactionId": tx}))).await;
    assert!(again.error(404, "NotFoundException").contains("is not found"));
    let stale = env.execute("SELECT 1", json!({"transactionId": tx})).await;
    stale.error(404, "NotFoundException");

    let tx = begin(env).await;
    insert_note(env, &tx, "7a000000-0000-4000-8000-000000000002", "tx-rollback").await;
    let rolled = env.call("/RollbackTransaction", arns(json!({"transactionId": tx}))).await;
    assert_eq!(rolled.ok(), &json!({"transactionStatus": "Rollback Complete"}));
    assert_eq!(count_notes(env, "tx-rollback").await, 0, "gone after rollback");

    let unknown = env.call("/RollbackTransaction", arns(json!({"transactionId": "no-such-transaction"}))).await;
    unknown.error(404, "NotFoundException");
}

pub async fn aborted_transaction_cannot_commit(env: &Env) {
    let tx = begin(env).await;
    insert_note(env, &tx, "7a000000-0000-4000-8000-000000000003", "tx-aborted").await;
    let failing = env.execute("SELECT 1/0", json!({"transactionId": tx})).await;
    assert!(failing.error(400, "DatabaseErrorException").ends_with("SQLState: 22012"));
    let commit = env.call("/CommitTransaction", arns(json!({"transactionId": tx}))).await;
    assert!(commit.error(400, "DatabaseErrorException").ends_with("SQLState: 25P02"));
    assert_eq!(count_notes(env, "tx-aborted").await, 0);
}

pub async fn batch_all_or_nothing(env: &Env) {
    let set = |id: &str, note: &str| json!([s("id", id, Some("UUID")), s("note", note, None)]);
    let sql = "INSERT INTO wire_t (id, note) VALUES (:id, :note)";
    let ok = env
        .call(
            "/BatchExecute",
            arns(json!({"sql": sql, "parameterSets": [
                set("8b000000-0000-4000-8000-000000000001", "batch-ok"),
                set("8b000000-0000-4000-8000-000000000002", "batch-ok"),
                [s("id", "8b000000-0000-4000-8000-000000000003", Some("UUID")), p("note", json!({"isNull": true}))],
            ]})),
        )
        .await;
    assert_eq!(
        ok.ok(),
        &json!({"updateResults": [{"generatedFields": []}, {"generatedFields": []}, {"generatedFields": []}]})
    );
    assert_eq!(count_notes(env, "batch-ok").await, 2);

    let failing = env
        .call(
            "/BatchExecute",
            arns(json!({"sql": sql, "parameterSets": [
                set("8b000000-0000-4000-8000-000000000010", "batch-fail"),
                set("8b000000-0000-4000-8000-000000000011", "batch-fail"),
                set("8b000000-0000-4000-8000-000000000001", "batch-fail"),
            ]})),
        )
        .await;
    assert!(failing.error(400, "DatabaseErrorException").ends_with("SQLState: 23505"));
    assert_eq!(count_notes(env, "batch-fail").await, 0, "nothing of a failed batch remains");

    // Inside a transaction the batch is part of it.
    let tx = begin(env).await;
    let in_tx = env
        .call(
            "/BatchExecute",
            arns(json!({"sql": sql, "transactionId": tx, "parameterSets": [
                set("8b000000-0000-4000-8000-000000000020", "batch-tx"),
            ]})),
        )
        .await;
    in_tx.ok();
    assert_eq!(count_notes(env, "batch-tx").await, 0);
    env.call("/CommitTransaction", arns(json!({"transactionId": tx}))).await.ok();
    assert_eq!(count_notes(env, "batch-tx").await, 1);
}
