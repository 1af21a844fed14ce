//! `local-origin`: the AWS RDS Data API over a local PostgreSQL, so the edge runs on a laptop.
//!
//! It speaks the Data API's wire protocol (SigV4-signed rest-json) closely enough that what passes here
//! passes against Aurora: the same parameter typing, result shapes, limits and error codes. It is a
//! development and test server only: it is never deployed, and it does not emulate IAM, Secrets Manager,
//! or more than one cluster. This file holds the configuration and the start-up sequence.

mod controls;
mod data_api;
mod error;
mod migrate;
mod pool;
mod sigv4;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use clap::Parser;

use crate::controls::{Controls, Faults, Stats};
use crate::data_api::{DataApi, Transactions};

/// Connections kept to PostgreSQL (open transactions each hold one).
const POOL_SIZE: usize = 8;
/// How long start-up waits for PostgreSQL to accept connections.
const CONNECT_PATIENCE: Duration = Duration::from_secs(15);

/// Serves the AWS RDS Data API on top of a local PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "local-origin", version, about)]
struct Config {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, env = "LOCAL_ORIGIN_LISTEN", default_value = "127.0.0.1:4000")]
    listen: SocketAddr,

    /// PostgreSQL connection URL.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:54329/momentum"
    )]
    database_url: String,

    /// Folder of NNNN_*.sql migrations (seeds are in its seed/ subfolder).
    #[arg(
        long,
        env = "LOCAL_ORIGIN_MIGRATIONS_DIR",
        default_value = "./migrations"
    )]
    migrations_dir: PathBuf,

    /// Apply migrations/seed/*.sql after the migrations, on every start (seeds are idempotent).
    #[arg(long, env = "LOCAL_ORIGIN_SEED")]
    seed: bool,

    /// AWS region the edge signs for.
    #[arg(long, env = "LOCAL_ORIGIN_REGION", default_value = "us-east-1")]
    region: String,

    /// Access key id the edge signs with.
    #[arg(
        long,
        env = "LOCAL_ORIGIN_ACCESS_KEY_ID",
        default_value = "AKIDLOCALDEV"
    )]
    access_key_id: String,

    /// Secret access key the edge signs with (a development value; never a real key).
    #[arg(
        long,
        env = "LOCAL_ORIGIN_SECRET_ACCESS_KEY",
        default_value = "localdevsecretkeyexample",
        hide_env_values = true
    )]
    secret_access_key: String,

    /// The only cluster ARN accepted as `resourceArn`.
    #[arg(
        long,
        env = "LOCAL_ORIGIN_RESOURCE_ARN",
        default_value = "arn:aws:rds:us-east-1:000000000000:cluster:momentum-local"
    )]
    resource_arn: String,

    /// The only secret ARN accepted as `secretArn`.
    #[arg(
        long,
        env = "LOCAL_ORIGIN_SECRET_ARN",
        default_value = "arn:aws:secretsmanager:us-east-1:000000000000:secret:momentum-local"
    )]
    secret_arn: String,

    /// Enable the /_local test controls (call counters, fault injection).
    #[arg(long, env = "LOCAL_ORIGIN_TEST_CONTROLS")]
    test_controls: bool,

    /// Statement timeout in milliseconds, like the Data API's 45 s.
    #[arg(
        long,
        env = "LOCAL_ORIGIN_STATEMENT_TIMEOUT_MS",
        default_value_t = 45_000
    )]
    statement_timeout_ms: u64,
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let config = Config::parse();
    if let Err(e) = run(config).await {
        eprintln!("local-origin: {e}");
        std::process::exit(1);
    }
}

async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let mut client = pool::connect_with_retry(&config.database_url, CONNECT_PATIENCE)
        .await
        .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
    let applied = migrate::run(&mut client, &config.migrations_dir, config.seed).await?;
    tracing::info!(count = applied.len(), "migrations and seeds applied");
    drop(client);

    let stats = Arc::new(Stats::default());
    let faults = Arc::new(Faults::default());
    let transactions = Arc::new(Transactions::default());
    transactions.spawn_reaper();
    let api = Arc::new(DataApi {
        resource_arn: config.resource_arn.clone(),
        secret_arn: config.secret_arn.clone(),
        verifier: sigv4::Verifier::new(&config.region, "rds-data")
            .with_key(&config.access_key_id, &config.secret_access_key),
        pool: pool::Pool::new(&config.database_url, POOL_SIZE, config.statement_timeout_ms),
        transactions,
        stats: stats.clone(),
        faults: faults.clone(),
    });

    let mut app = Router::new()
        .route(
            "/health",
            get(|| async { Json(serde_json::json!({"ok": true})) }),
        )
        .fallback(data_api::handle)
        .with_state(api);
    if config.test_controls {
        app = app.merge(controls::router(Controls { stats, faults }));
    }

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr()?;
    println!("local-origin listening on http://{addr}");
    tracing::info!(
        %addr,
        region = %config.region,
        access_key_id = %config.access_key_id,
        test_controls = config.test_controls,
        "ready"
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
