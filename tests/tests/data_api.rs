//! The Data API adapter against the local origin over real HTTP and a real PostgreSQL: type hints, NULLs,
//! exact decimals, timestamps, JSONB, transactions, batches, and the refusals AWS makes.

use momentum_core::db::{Cell, DbError, SqlValue, Statement};
use momentum_core::ports::Database;
use origin_adapters::native::{ReqwestClient, SystemClock};
use origin_adapters::{DataApiClient, DataApiError};

type Client = DataApiClient<ReqwestClient, SystemClock>;

fn client_with(secret: &str) -> Client {
    momentum_tests::data_api_with(secret)
}

fn client() -> Client {
    client_with("localdevsecretkeyexample")
}

async fn one_row(client: &Client, statement: Statement) -> Vec<Cell> {
    let result =
        client.execute_statement(&statement, None).await.unwrap_or_else(|err| panic!("{}: {err}", statement.sql));
    assert_eq!(result.rows.len(), 1, "{}", statement.sql);
    result.rows.into_iter().next().expect("row")
}

/// A scratch table per test, so tests can run side by side.
async fn scratch_table(client: &Client, name: &str) {
    for sql in [
        format!("DROP TABLE IF EXISTS {name}"),
        format!(
            "CREATE TABLE {name} (id uuid PRIMARY KEY, amount numeric(10,2), at timestamp, born date, doc jsonb, \
             label text UNIQUE, flag boolean, n bigint)"
        ),
    ] {
        client.execute_statement(&Statement::new(sql), None).await.expect("ddl");
    }
}

#[tokio::test]
async fn type_hints_round_trip_exactly() {
    let client = client();
    let row = one_row(
        &client,
        Statement::new(
            "SELECT :id AS id, :amount AS amount, :at AS at, :born AS born, :doc AS doc, :flag AS flag, :n AS n, :nothing::text AS nothing",
        )
        .bind("id", SqlValue::Uuid("20000000-0000-4000-8000-000000000001".into()))
        .bind("amount", SqlValue::Decimal("12345678.99".into()))
        .bind("at", SqlValue::Timestamp("2026-12-03 10:11:12.5".into()))
        .bind("born", SqlValue::Date("1990-02-28".into()))
        .bind("doc", SqlValue::Json(r#"{"b":[1,2],"a":"x"}"#.into()))
        .bind("flag", SqlValue::Bool(true))
        .bind("n", SqlValue::Long(-9_007_199_254_740_993))
        .bind("nothing", SqlValue::Null),
    )
    .await;
    // JSONB comes back as JSON text (key order and spacing are PostgreSQL's).
    let Cell::Text(doc) = &row[4] else { panic!("doc: {:?}", row[4]) };
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(doc).expect("json"),
        serde_json::json!({"a": "x", "b": [1, 2]})
    );
    assert_eq!(
        row,
        vec![
            Cell::Text("20000000-0000-4000-8000-000000000001".into()),
            Cell::Text("12345678.99".into()),
            Cell::Text("2026-12-03 10:11:12.5".into()),
            Cell::Text("1990-02-28".into()),
            Cell::Text(doc.clone()),
            Cell::Bool(true),
            Cell::Long(-9_007_199_254_740_993),
            Cell::Null,
        ]
    );
}

#[tokio::test]
async fn timestamps_keep_zero_to_six_fractional_digits() {
    let client = client();
    for value in [
        "2026-01-02 03:04:05",
        "2026-01-02 03:04:05.1",
        "2026-01-02 03:04:05.12",
        "2026-01-02 03:04:05.123",
        "2026-01-02 03:04:05.1234",
        "2026-01-02 03:04:05.12345",
        "2026-01-02 03:04:05.123456",
    ] {
        let row =
            one_row(&client, Statement::new("SELECT :at AS at").bind("at", SqlValue::Timestamp(value.into()))).await;
        assert_eq!(row, vec![Cell::Text(value.into())], "{value}");
    }
    // AWS refuses an ISO string with T and Z under the TIMESTAMP hint; so does the local origin.
    let err = client
        .execute_statement(
            &Statement::new("SELECT :at AS at").bind("at", SqlValue::Timestamp("2026-01-02T03:04:05Z".into())),
            None,
        )
        .await
        .expect_err("refused");
    assert!(matches!(&err, DataApiError::Service { code, status: 400, .. } if code == "BadRequestException"), "{err}");
}

#[tokio::test]
async fn a_uuid_column_needs_the_uuid_hint() {
    let client = client();
    let statement = Statement::new("SELECT count(*) AS n FROM courses WHERE id = :id");
    let hinted = statement.clone().bind("id", SqlValue::Uuid("20000000-0000-4000-8000-000000000001".into()));
    assert_eq!(one_row(&client, hinted).await, vec![Cell::Long(1)]);
    let unhinted = statement.bind("id", SqlValue::Text("20000000-0000-4000-8000-000000000001".into()));
    let err = client.execute_statement(&unhinted, None).await.expect_err("uuid = varchar is refused, as on AWS");
    assert!(matches!(&err, DataApiError::Service { code, .. } if code == "DatabaseErrorException"), "{err}");
    assert_eq!(err.sql_state(), Some("42883"), "{err}");
}

#[tokio::test]
async fn money_stays_decimal_exact_from_the_seed() {
    let client = client();
    let row = one_row(
        &client,
        Statement::new("SELECT price FROM courses WHERE id = :id")
            .bind("id", SqlValue::Uuid("20000000-0000-4000-8000-000000000001".into())),
    )
    .await;
    assert_eq!(row, vec![Cell::Text("29.99".into())]);
}

#[tokio::test]
async fn writes_transactions_and_constraint_errors() {
    let client = client();
    scratch_table(&client, "adapter_probe_tx").await;
    let insert = "INSERT INTO adapter_probe_tx (id, amount, label) VALUES (:id, :amount, :label)";
    let row = |id: &str, label: &str| {
        Statement::new(insert)
            .bind("id", SqlValue::Uuid(id.into()))
            .bind("amount", SqlValue::Decimal("0.10".into()))
            .bind("label", SqlValue::Text(label.into()))
    };
    let count = Statement::new("SELECT count(*) AS n FROM adapter_probe_tx");

    // Rolled back: invisible.
    let tx = client.begin_transaction().await.expect("begin");
    client.execute_statement(&row("00000000-0000-4000-8000-000000000001", "a"), Some(&tx)).await.expect("insert in tx");
    assert_eq!(client.rollback_transaction(&tx).await.expect("rollback"), "Rollback Complete");
    assert_eq!(one_row(&client, count.clone()).await, vec![Cell::Long(0)]);

    // Committed: visible.
    let tx = client.begin_transaction().await.expect("begin");
    let result =
        client.execute_statement(&row("00000000-0000-4000-8000-000000000002", "b"), Some(&tx)).await.expect("insert");
    assert_eq!(result.rows_updated, 1);
    assert_eq!(client.commit_transaction(&tx).await.expect("commit"), "Transaction Committed");
    assert_eq!(one_row(&client, count.clone()).await, vec![Cell::Long(1)]);
    let finished = client.commit_transaction(&tx).await.expect_err("a finished transaction is gone");
    assert!(matches!(&finished, DataApiError::Service { status: 404, .. }), "{finished}");

    // A unique violation is a typed conflict, never a generic failure.
    let duplicate =
        client.execute(&row("00000000-0000-4000-8000-000000000003", "b")).await.expect_err("duplicate label");
    assert_eq!(duplicate, DbError::UniqueViolation { constraint: Some("adapter_probe_tx_label_key".into()) });

    // A batch is all or nothing.
    let sets = vec![
        row("00000000-0000-4000-8000-000000000004", "c").params,
        row("00000000-0000-4000-8000-000000000005", "b").params, // duplicate label: the whole batch fails
    ];
    client.batch_execute(insert, &sets, None).await.expect_err("batch fails");
    assert_eq!(one_row(&client, count.clone()).await, vec![Cell::Long(1)]);
    let sets = vec![
        row("00000000-0000-4000-8000-000000000004", "c").params,
        row("00000000-0000-4000-8000-000000000005", "d").params,
    ];
    assert_eq!(client.batch_execute(insert, &sets, None).await.expect("batch"), 2);
    assert_eq!(one_row(&client, count).await, vec![Cell::Long(3)]);
}

#[tokio::test]
async fn json_records_and_nulls() {
    let client = client();
    let rows = client
        .execute_json(
            &Statement::new("SELECT 1::int AS one, NULL::text AS nothing, 'x' AS s, 2.50::numeric AS d"),
            None,
        )
        .await
        .expect("json");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["one"], 1);
    assert_eq!(rows[0]["nothing"], serde_json::Value::Null);
    assert_eq!(rows[0]["s"], "x");
    assert_eq!(rows[0]["d"], "2.50");
}

#[tokio::test]
async fn oversized_results_are_refused_like_aws() {
    let client = client();
    let err = client
        .execute_statement(
            &Statement::new("SELECT repeat('x', 600000) AS a UNION ALL SELECT repeat('y', 600000)"),
            None,
        )
        .await
        .expect_err("over 1 MiB");
    assert!(matches!(&err, DataApiError::Service { status: 400, .. }), "{err}");
}

#[tokio::test]
async fn a_wrong_signature_is_forbidden() {
    let client = client_with("not-the-secret");
    let err = client.execute_statement(&Statement::new("SELECT 1"), None).await.expect_err("forbidden");
    assert!(
        matches!(&err, DataApiError::Service { code, status: 403, .. } if code == "InvalidSignatureException"),
        "{err}"
    );
    assert!(matches!(DbError::from(err), DbError::Upstream { .. }));
}
