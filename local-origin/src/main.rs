//! `local-origin`: the AWS RDS Data API over a local PostgreSQL, so the edge runs on a laptop.
//!
//! It speaks the Data API's wire protocol (SigV4-signed rest-json) closely enough that what passes here
//! passes against Aurora: the same parameter typing, result shapes, limits and error codes. It is a
//! development and test server only: it is never deployed, and it does not emulate IAM, Secrets Manager,
//! or more than one cluster. It also stands in for a Cognito user pool (`cognito`): signing keys, JWKS, tokens,
//! and for the media bucket (`media`: a sample HLS lesson under `/media-origin/`, byte ranges honoured).
//! This file holds the configuration and the start-up sequence.

mod cognito;
mod controls;
mod data_api;
mod error;
mod json_text;
mod media;
mod migrate;
mod pool;
mod sigv4;
mod states;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use clap::{Parser, Subcommand};

use crate::cognito::tokens::{Identity, TokenUse, DEFAULT_EXPIRES_IN};
use crate::cognito::users::{dev_user, DEV_USERS};
use crate::cognito::{Cognito, CognitoArgs};
use crate::controls::{Controls, Faults, Stats};
use crate::data_api::{DataApi, Transactions};

/// Connections kept to PostgreSQL (open transactions each hold one).
const POOL_SIZE: usize = 8;
/// How long start-up waits for PostgreSQL to accept connections.
const CONNECT_PATIENCE: Duration = Duration::from_secs(15);

/// Serves the AWS RDS Data API on top of a local PostgreSQL, and a local Cognito user pool's JWKS.
///
/// With no subcommand it runs the server.
#[derive(Debug, Parser)]
#[command(name = "local-origin", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    server: Config,

    #[command(flatten)]
    cognito: CognitoArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a Cognito-shaped token (only the JWT, on stdout) for a seeded development user.
    MintToken(MintArgs),
}

#[derive(Debug, clap::Args)]
struct MintArgs {
    /// The seeded user the token is for.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(DEV_USERS.map(|u| u.key)))]
    user: String,

    /// Which token: an access token (what the API takes) or an ID token.
    #[arg(long, value_enum, default_value_t = TokenUse::Access)]
    token_use: TokenUse,

    /// Lifetime in seconds from now (a negative value gives an expired token).
    #[arg(long, default_value_t = DEFAULT_EXPIRES_IN, allow_negative_numbers = true)]
    expires_in: i64,

    /// The key to sign with.
    #[arg(
        long,
        default_value = cognito::keys::FILE_KIDS[0],
        value_parser = clap::builder::PossibleValuesParser::new(cognito::keys::FILE_KIDS)
    )]
    kid: String,
}

/// The server's flags.
#[derive(Debug, clap::Args)]
struct Config {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, env = "LOCAL_ORIGIN_LISTEN", default_value = "127.0.0.1:4000")]
    listen: SocketAddr,

    /// PostgreSQL connection URL.
    #[arg(long, env = "DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:54329/momentum")]
    database_url: String,

    /// Folder of NNNN_*.sql migrations (seeds are in its seed/ subfolder).
    #[arg(long, env = "LOCAL_ORIGIN_MIGRATIONS_DIR", default_value = "./migrations")]
    migrations_dir: PathBuf,

    /// Apply migrations/seed/*.sql after the migrations, on every start (seeds are idempotent).
    #[arg(long, env = "LOCAL_ORIGIN_SEED")]
    seed: bool,

    /// AWS region the edge signs for.
    #[arg(long, env = "LOCAL_ORIGIN_REGION", default_value = "us-east-1")]
    region: String,

    /// Access key id the edge signs with.
    #[arg(long, env = "LOCAL_ORIGIN_ACCESS_KEY_ID", default_value = "AKIDLOCALDEV")]
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

    /// Enable the /_local test controls (call counters, fault injection, Cognito signing and key rotation).
    #[arg(long, env = "LOCAL_ORIGIN_TEST_CONTROLS")]
    test_controls: bool,

    /// Folder of the Step Functions state machines (`<name>.asl.json`, run as `momentum-<name>`).
    #[arg(long, env = "LOCAL_ORIGIN_WORKFLOWS_DIR", default_value = "./workflows")]
    workflows_dir: PathBuf,

    /// Where the local video renderer writes its placeholder files (`<bucket>/videos/…`).
    #[arg(long, env = "LOCAL_ORIGIN_MEDIA_DIR", default_value = "./.local/media")]
    media_dir: PathBuf,

    /// Statement timeout in milliseconds, like the Data API's 45 s.
    #[arg(long, env = "LOCAL_ORIGIN_STATEMENT_TIMEOUT_MS", default_value_t = 45_000)]
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
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::MintToken(args)) => mint_token(&cli.cognito, &args),
        None => run(cli.server, cli.cognito).await,
    };
    if let Err(e) = result {
        eprintln!("local-origin: {e}");
        std::process::exit(1);
    }
}

/// `mint-token`: loads (or generates) the on-disk keys and prints one token.
fn mint_token(cognito: &CognitoArgs, args: &MintArgs) -> Result<(), Box<dyn std::error::Error>> {
    let pool = cognito.user_pool()?;
    let user = dev_user(&args.user).ok_or_else(|| format!("unknown user '{}'", args.user))?;
    let keys = cognito::keys::load_or_generate(&cognito.keys_dir)?;
    let key = keys.iter().find(|k| k.kid == args.kid).ok_or_else(|| format!("unknown kid '{}'", args.kid))?;
    let token =
        cognito::tokens::mint(&pool, key, &Identity::of(user), args.token_use, cognito::tokens::now(), args.expires_in);
    println!("{token}");
    Ok(())
}

async fn run(config: Config, cognito: CognitoArgs) -> Result<(), Box<dyn std::error::Error>> {
    let stats = Arc::new(Stats::default());
    // Key generation (first start only) takes a while: off the async workers.
    let cognito = {
        let stats = stats.clone();
        tokio::task::spawn_blocking(move || Cognito::start(&cognito, stats)).await??
    };
    let cognito = Arc::new(cognito);

    let mut client = pool::connect_with_retry(&config.database_url, CONNECT_PATIENCE)
        .await
        .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
    let applied = migrate::run(&mut client, &config.migrations_dir, config.seed).await?;
    tracing::info!(count = applied.len(), "migrations and seeds applied");
    drop(client);

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

    let step_functions = states::StepFunctions::load(
        &config.workflows_dir,
        &config.region,
        sigv4::Verifier::new(&config.region, "states").with_key(&config.access_key_id, &config.secret_access_key),
        api.clone(),
        config.media_dir.clone(),
    )?;

    let mut app = Router::new()
        .route("/health", get(|| async { Json(serde_json::json!({"ok": true})) }))
        .fallback(data_api::handle)
        .with_state(api)
        .merge(states::router(Arc::new(step_functions), config.test_controls))
        .merge(cognito::router(cognito.clone()))
        .merge(media::router());
    if config.test_controls {
        app = app.merge(controls::router(Controls { stats, faults })).merge(cognito::controls::router(cognito.clone()));
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
        cognito_issuer = %cognito.pool.issuer(),
        jwks = %format!("/{}/.well-known/jwks.json", cognito.pool.user_pool_id),
        test_controls = config.test_controls,
        "ready"
    );
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
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
