//! The client against an in-memory transport: what goes on the wire, and how answers are read.

use super::*;
use momentum_core::db::{Cell, SqlValue};
use momentum_core::ports::TransportError;
use serde_json::json;
use std::cell::RefCell;

struct FixedClock;
impl Clock for FixedClock {
    fn now_millis(&self) -> u64 {
        1_700_000_000_000
    }
}

struct Canned {
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    body: Value,
    seen: RefCell<Vec<http::Request<Vec<u8>>>>,
}

impl HttpClient for Canned {
    async fn send(&self, request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> {
        self.seen.borrow_mut().push(request);
        let mut builder = http::Response::builder().status(self.status);
        for (name, value) in &self.headers {
            builder = builder.header(*name, *value);
        }
        builder
            .body(serde_json::to_vec(&self.body).expect("json"))
            .map_err(|err| TransportError { message: err.to_string() })
    }
}

fn canned(status: u16, headers: Vec<(&'static str, &'static str)>, body: Value) -> DataApiClient<Canned, FixedClock> {
    let config = DataApiConfig {
        endpoint: "http://127.0.0.1:4000/".into(),
        region: "us-east-1".into(),
        resource_arn: "arn:aws:rds:us-east-1:000000000000:cluster:c".into(),
        secret_arn: "arn:aws:secretsmanager:us-east-1:000000000000:secret:s".into(),
        database: Some("momentum".into()),
        credentials: AwsCredentials {
            access_key_id: "AKID".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        },
    };
    DataApiClient::new(config, Canned { status, headers, body, seen: RefCell::new(Vec::new()) }, FixedClock)
}

#[test]
fn execute_sends_a_signed_request_and_reads_records_by_label() {
    let client = canned(
        200,
        vec![],
        json!({
            "records": [[{"stringValue": "29.99"}, {"isNull": true}, {"longValue": 14}]],
            "columnMetadata": [{"name": "price", "label": "price"}, {"name": "thumbnail", "label": "thumbnail"}, {"name": "?column?", "label": "days"}],
            "numberOfRecordsUpdated": 0
        }),
    );
    let statement = Statement::new("SELECT 1 WHERE id = :id")
        .bind("id", SqlValue::Uuid("20000000-0000-4000-8000-000000000001".into()));
    let result = futures_executor::block_on(client.execute_statement(&statement, None)).expect("ok");
    assert_eq!(result.columns, vec!["price", "thumbnail", "days"]);
    assert_eq!(result.rows, vec![vec![Cell::Text("29.99".into()), Cell::Null, Cell::Long(14)]]);

    let seen = client.http.seen.borrow();
    let request = &seen[0];
    assert_eq!(request.uri(), "http://127.0.0.1:4000/Execute");
    assert_eq!(request.method(), http::Method::POST);
    let auth = request.headers()["authorization"].to_str().expect("ascii");
    assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKID/20231114/us-east-1/rds-data/aws4_request"), "{auth}");
    assert_eq!(request.headers()["x-amz-date"], "20231114T221320Z");
    let body: Value = serde_json::from_slice(request.body()).expect("json");
    assert_eq!(body["sql"], "SELECT 1 WHERE id = :id");
    assert_eq!(body["database"], "momentum");
    assert_eq!(body["includeResultMetadata"], true);
    assert_eq!(body["parameters"][0]["typeHint"], "UUID");
    assert!(body.get("transactionId").is_none());
}

#[test]
fn errors_are_read_from_the_error_type_header_or_the_body() {
    let client = canned(
        400,
        vec![("x-amzn-ErrorType", "DatabaseResumingException:http://internal.amazon.com/coral/")],
        json!({"message": "resuming"}),
    );
    let err =
        futures_executor::block_on(client.execute_statement(&Statement::new("SELECT 1"), None)).expect_err("fails");
    assert_eq!(
        err,
        DataApiError::Service { code: "DatabaseResumingException".into(), status: 400, message: "resuming".into() }
    );
    assert!(err.is_transient());

    let client = canned(400, vec![], json!({"__type": "com.amazon#StatementTimeoutException", "Message": "slow"}));
    let err = futures_executor::block_on(client.execute(&Statement::new("SELECT 1"))).expect_err("fails");
    assert!(matches!(err, DbError::Timeout { .. }), "{err:?}");

    let client = canned(200, vec![], json!({"records": [[{"longValue": 1}]], "columnMetadata": []}));
    let err =
        futures_executor::block_on(client.execute_statement(&Statement::new("SELECT 1"), None)).expect_err("mismatch");
    assert!(matches!(err, DataApiError::Decode(_)), "{err:?}");
}

#[test]
fn json_records_and_transactions() {
    let client = canned(200, vec![], json!({"formattedRecords": "[{\"id\":1,\"name\":\"a\"}]", "records": []}));
    let rows = futures_executor::block_on(client.execute_json(&Statement::new("SELECT 1"), Some("tx-1"))).expect("ok");
    assert_eq!(rows[0]["name"], "a");
    let body: Value = serde_json::from_slice(client.http.seen.borrow()[0].body()).expect("json");
    assert_eq!(body["formatRecordsAs"], "JSON");
    assert_eq!(body["transactionId"], "tx-1");

    let client = canned(200, vec![], json!({"transactionId": "tx-9"}));
    assert_eq!(futures_executor::block_on(client.begin_transaction()), Ok("tx-9".into()));
    assert_eq!(client.http.seen.borrow()[0].uri().path(), "/BeginTransaction");
}
