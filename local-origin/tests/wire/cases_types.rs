//! Parameter typing and result decoding, type by type.

use serde_json::{json, Value};

use crate::support::{first_row, p, s, Env};

const ID: &str = "6f1c7c2a-3b9e-4d51-9a0e-0c5d2b1e7a01";

pub async fn setup(env: &Env) {
    env.ok(
        "CREATE TABLE wire_t (
             id    uuid PRIMARY KEY,
             price numeric(10,2),
             at    timestamptz,
             d     date,
             t     time,
             doc   jsonb,
             note  text,
             n     int4,
             big   int8,
             f     float8,
             ok    boolean,
             raw   bytea,
             tags  text[],
             nums  int4[]
         )",
        json!({}),
    )
    .await;
}

pub async fn hinted_round_trip(env: &Env) {
    let insert = env
        .ok(
            "INSERT INTO wire_t (id, price, at, d, t, doc, note, n, big, f, ok, raw, tags, nums)
             VALUES (:id, :price, :at, :d, :t, :doc, :note, :n, :big, :f, :ok, :raw,
                     ARRAY['a', 'b'], ARRAY[1, NULL, 3])",
            json!({"parameters": [
                s("id", ID, Some("UUID")),
                s("price", "29.99", Some("DECIMAL")),
                s("at", "2024-01-02 03:04:05.123456", Some("TIMESTAMP")),
                s("d", "2024-02-29", Some("DATE")),
                s("t", "13:14:15.5", Some("TIME")),
                s("doc", r#"{"b": [1, 2], "a": "x y"}"#, Some("JSON")),
                s("note", "héllo 'quoted' :not_a_param", None),
                p("n", json!({"longValue": 42})),
                p("big", json!({"longValue": 9_007_199_254_740_993i64})),
                p("f", json!({"doubleValue": 1.25})),
                p("ok", json!({"booleanValue": true})),
                p("raw", json!({"blobValue": "AAEC/w=="})),
            ]}),
        )
        .await;
    assert_eq!(insert["numberOfRecordsUpdated"], 1, "{insert}");
    assert!(insert.get("records").is_none(), "{insert}");

    let body = env
        .ok(
            "SELECT id, price, at, d, t, note, n, big, f, ok, raw FROM wire_t WHERE id = :id",
            json!({"parameters": [s("id", ID, Some("UUID"))]}),
        )
        .await;
    assert_eq!(body["numberOfRecordsUpdated"], 0);
    assert_eq!(
        first_row(&body),
        &vec![
            json!({"stringValue": ID}),
            json!({"stringValue": "29.99"}),
            json!({"stringValue": "2024-01-02 03:04:05.123456"}),
            json!({"stringValue": "2024-02-29"}),
            json!({"stringValue": "13:14:15.5"}),
            json!({"stringValue": "héllo 'quoted' :not_a_param"}),
            json!({"longValue": 42}),
            json!({"longValue": 9_007_199_254_740_993i64}),
            json!({"doubleValue": 1.25}),
            json!({"booleanValue": true}),
            json!({"blobValue": "AAEC/w=="}),
        ]
    );
    // RETURNING counts as an update and returns records.
    let body = env
        .ok(
            "UPDATE wire_t SET n = n + 1 WHERE id = :id RETURNING n",
            json!({"parameters": [s("id", ID, Some("UUID"))]}),
        )
        .await;
    assert_eq!(body["numberOfRecordsUpdated"], 1);
    assert_eq!(first_row(&body), &vec![json!({"longValue": 43})]);
}

pub async fn nulls(env: &Env) {
    let id = "6f1c7c2a-3b9e-4d51-9a0e-0c5d2b1e7a02";
    env.ok(
        "INSERT INTO wire_t (id, price, at, note, n) VALUES (:id, :price, :at, :note, :n)",
        json!({"parameters": [
            s("id", id, Some("UUID")),
            p("price", json!({"isNull": true})),
            p("at", json!({"isNull": true})),
            p("note", json!({"isNull": true})),
            p("n", json!({"isNull": true})),
        ]}),
    )
    .await;
    let body = env
        .ok(
            "SELECT price, at, note, n, doc, tags FROM wire_t WHERE id = :id",
            json!({"parameters": [s("id", id, Some("UUID"))]}),
        )
        .await;
    assert_eq!(first_row(&body), &vec![json!({"isNull": true}); 6]);
    // A NULL parameter binds to whatever type its context needs (uuid, then text here).
    let body = env
        .ok(
            "SELECT count(*) FROM wire_t WHERE id IS DISTINCT FROM :id AND note IS NOT DISTINCT FROM :x",
            json!({"parameters": [p("id", json!({"isNull": true})), p("x", json!({"isNull": true}))]}),
        )
        .await;
    assert_eq!(first_row(&body)[0], json!({"longValue": 1}));
}

pub async fn numeric_exactness_and_options(env: &Env) {
    let sql = "SELECT 29.99::numeric(10,2), 0::numeric(10,2), 12345678901234567890.123456789::numeric, \
               -0.5::numeric, 7::numeric, 5::int4, 6::int8";
    let body = env.ok(sql, json!({})).await;
    assert_eq!(
        first_row(&body),
        &vec![
            json!({"stringValue": "29.99"}),
            json!({"stringValue": "0.00"}),
            json!({"stringValue": "12345678901234567890.123456789"}),
            json!({"stringValue": "-0.5"}),
            json!({"stringValue": "7"}),
            json!({"longValue": 5}),
            json!({"longValue": 6}),
        ]
    );
    let body = env
        .ok(sql, json!({"resultSetOptions": {"decimalReturnType": "DOUBLE_OR_LONG", "longReturnType": "STRING"}}))
        .await;
    let row = first_row(&body);
    assert_eq!(row[0], json!({"doubleValue": 29.99}));
    assert_eq!(row[3], json!({"doubleValue": -0.5}));
    assert_eq!(row[4], json!({"stringValue": "7"}));
    assert_eq!(row[5], json!({"stringValue": "5"}));
    // A DECIMAL parameter is exact too.
    let body = env.ok("SELECT :v + 0.01", json!({"parameters": [s("v", "99999999.98", Some("DECIMAL"))]})).await;
    assert_eq!(first_row(&body)[0], json!({"stringValue": "99999999.99"}));
}

pub async fn timestamp_fractions(env: &Env) {
    for digits in 0..=6 {
        let frac = &"123456"[..digits];
        let value = if digits == 0 { "2024-05-06 07:08:09".to_string() } else { format!("2024-05-06 07:08:09.{frac}") };
        let body = env
            .ok(
                "SELECT :ts, :ts::timestamptz, (:ts)::date",
                json!({"parameters": [s("ts", &value, Some("TIMESTAMP"))]}),
            )
            .await;
        let row = first_row(&body);
        assert_eq!(row[0], json!({"stringValue": value}), "{digits} digits");
        assert_eq!(row[1], json!({"stringValue": value}), "{digits} digits, timestamptz");
        assert_eq!(row[2], json!({"stringValue": "2024-05-06"}));
    }
    // Trailing zeros are trimmed; timestamptz comes back in UTC whatever the input zone.
    let body =
        env.ok("SELECT '2024-01-01 00:00:00.100'::timestamp, '2024-01-01 02:00:00+02'::timestamptz", json!({})).await;
    assert_eq!(
        first_row(&body),
        &vec![json!({"stringValue": "2024-01-01 00:00:00.1"}), json!({"stringValue": "2024-01-01 00:00:00"}),]
    );
}

pub async fn jsonb_and_arrays(env: &Env) {
    let body = env
        .ok(
            "SELECT doc, tags, nums, :j::jsonb -> 'k' FROM wire_t WHERE id = :id",
            json!({"parameters": [
                s("id", ID, Some("UUID")),
                s("j", r#"{"k": {"deep": [true, null]}}"#, Some("JSON")),
            ]}),
        )
        .await;
    let row = first_row(&body);
    let doc = row[0]["stringValue"].as_str().expect("jsonb is a string");
    assert_eq!(serde_json::from_str::<Value>(doc).expect("valid json"), json!({"a": "x y", "b": [1, 2]}));
    assert!(!doc.contains(": "), "compact: {doc}");
    assert_eq!(row[1], json!({"arrayValue": {"stringValues": ["a", "b"]}}));
    assert_eq!(row[2], json!({"arrayValue": {"longValues": [1, null, 3]}}));
    assert_eq!(row[3], json!({"stringValue": r#"{"deep":[true,null]}"#}));
}

pub async fn format_records_as_json(env: &Env) {
    let body = env
        .ok(
            "SELECT id, price, n, note, ok, tags FROM wire_t WHERE id = :id",
            json!({
                "parameters": [s("id", ID, Some("UUID"))],
                "formatRecordsAs": "JSON",
                "includeResultMetadata": true,
            }),
        )
        .await;
    assert!(body.get("records").is_none(), "{body}");
    assert!(body.get("columnMetadata").is_none(), "{body}");
    let records: Value =
        serde_json::from_str(body["formattedRecords"].as_str().expect("a string")).expect("formattedRecords is JSON");
    assert_eq!(
        records,
        json!([{"id": ID, "price": "29.99", "n": 43, "note": "héllo 'quoted' :not_a_param",
                "ok": true, "tags": ["a", "b"]}])
    );
    let body = env
        .ok(
            "SELECT 1.5::numeric AS d, NULL::text AS missing",
            json!({"formatRecordsAs": "JSON", "resultSetOptions": {"decimalReturnType": "DOUBLE_OR_LONG"}}),
        )
        .await;
    assert_eq!(body["formattedRecords"], r#"[{"d":1.5,"missing":null}]"#);
}

pub async fn column_metadata(env: &Env) {
    let body = env
        .ok(
            "SELECT id, price, at, n, big, ok, note, doc, tags FROM wire_t LIMIT 1",
            json!({"includeResultMetadata": true}),
        )
        .await;
    let meta = body["columnMetadata"].as_array().expect("columnMetadata");
    let summary: Vec<(String, String, i64)> = meta
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap_or_default().to_string(),
                m["typeName"].as_str().unwrap_or_default().to_string(),
                m["type"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    let expected = [
        ("id", "uuid", 1111),
        ("price", "numeric", 2),
        ("at", "timestamptz", 93),
        ("n", "int4", 4),
        ("big", "int8", -5),
        ("ok", "bool", -7),
        ("note", "text", 12),
        ("doc", "jsonb", 1111),
        ("tags", "_text", 2003),
    ];
    assert_eq!(summary, expected.iter().map(|(n, t, c)| (n.to_string(), t.to_string(), *c)).collect::<Vec<_>>());
    assert_eq!((meta[1]["precision"].clone(), meta[1]["scale"].clone()), (json!(10), json!(2)));
    assert_eq!(meta[0]["label"], "id");
    assert_eq!(meta[3]["isSigned"], true);
}

pub async fn other_types_match_postgres_text(env: &Env) {
    // Each value next to PostgreSQL's own output-function text of it (what JDBC's getString returns).
    let values = [
        "interval '1 year 2 mons 3 days 04:05:06.5'",
        "interval '-1 day +02:00:00'",
        "interval '0'",
        "'10.0.0.1'::inet",
        "'10.0.0.0/24'::cidr",
        "'2001:db8::1/64'::inet",
        "'The fat cats sat':: tsvector",
        "to_tsvector('english', 'Daily lessons build momentum')",
        "'01:02:03.25+05:30'::timetz",
        "'x'::char(3)",
        "'q'::\"char\"",
        "'0001-02-03 04:05:06 BC'::timestamp",
        "'infinity'::timestamptz",
        "'-infinity'::date",
        "'NaN'::numeric",
        "1e-7::numeric",
    ];
    for value in values {
        let body = env.ok(&format!("SELECT {value}, format('%s', {value})"), json!({})).await;
        let row = first_row(&body);
        assert_eq!(row[0], row[1], "{value}");
    }
    let body = env.ok("SELECT * FROM courses LIMIT 1", json!({})).await;
    assert!(body["records"].is_array(), "tsvector columns decode: {body}");
    let point = env.execute("SELECT point(1, 2)", json!({})).await;
    point.error(400, "UnsupportedResultException");
    let two_d = env.execute("SELECT ARRAY[[1, 2], [3, 4]]", json!({})).await;
    two_d.error(400, "UnsupportedResultException");
}
