//! Applies `migrations/NNNN_*.sql` once each, and optionally `migrations/seed/*.sql` on every start.
//!
//! The local database must match the Aurora schema without any manual step, so the server migrates
//! itself at start-up, recording applied names in `schema_migrations` (the scheme described in
//! `migrations/README.md`). An advisory lock keeps two servers on one database from racing.

use std::path::{Path, PathBuf};

use tokio_postgres::Client;

/// Any fixed key; only this program takes this advisory lock.
const LOCK_KEY: i64 = 0x6d6f_6d65_6e74_756d;

/// A start-up failure, with the file it concerns.
#[derive(Debug)]
pub struct MigrateError(pub String);

impl std::fmt::Display for MigrateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MigrateError {}

fn db(context: &str) -> impl Fn(tokio_postgres::Error) -> MigrateError + '_ {
    move |e| {
        let detail = e
            .as_db_error()
            .map(|d| format!("{}: {} (SQLState {})", d.severity(), d.message(), d.code().code()))
            .unwrap_or_else(|| e.to_string());
        MigrateError(format!("{context}: {detail}"))
    }
}

/// `.sql` files in `dir` whose names satisfy `keep`, sorted by name.
fn sql_files(dir: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<PathBuf>, MigrateError> {
    let entries = std::fs::read_dir(dir).map_err(|e| MigrateError(format!("cannot read {}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".sql") && keep(n)))
        .collect();
    files.sort();
    Ok(files)
}

/// `NNNN_description.sql`: four digits and an underscore.
fn is_migration_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() > 5 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'_'
}

fn read(path: &Path) -> Result<String, MigrateError> {
    std::fs::read_to_string(path).map_err(|e| MigrateError(format!("cannot read {}: {e}", path.display())))
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Applies pending migrations, then (if `seed`) every seed file; returns the names applied.
pub async fn run(client: &mut Client, dir: &Path, seed: bool) -> Result<Vec<String>, MigrateError> {
    client
        .batch_execute("SET TIME ZONE 'UTC'; SET statement_timeout = 0;")
        .await
        .map_err(db("cannot configure the migration session"))?;
    client.execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY]).await.map_err(db("cannot take the migration lock"))?;
    let result = apply(client, dir, seed).await;
    let unlock = client.execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY]).await;
    let applied = result?;
    unlock.map_err(db("cannot release the migration lock"))?;
    Ok(applied)
}

async fn apply(client: &mut Client, dir: &Path, seed: bool) -> Result<Vec<String>, MigrateError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 name text PRIMARY KEY,
                 applied_at timestamptz DEFAULT now()
             );",
        )
        .await
        .map_err(db("cannot create schema_migrations"))?;
    let mut applied = Vec::new();
    for path in sql_files(dir, is_migration_name)? {
        let name = file_name(&path);
        let done = client
            .query_opt("SELECT 1 FROM schema_migrations WHERE name = $1", &[&name])
            .await
            .map_err(db("cannot read schema_migrations"))?
            .is_some();
        if done {
            continue;
        }
        let sql = read(&path)?;
        let tx = client.transaction().await.map_err(db(&name))?;
        tx.batch_execute(&sql).await.map_err(db(&name))?;
        tx.execute("INSERT INTO schema_migrations (name) VALUES ($1)", &[&name]).await.map_err(db(&name))?;
        tx.commit().await.map_err(db(&name))?;
        tracing::info!(migration = %name, "applied");
        applied.push(name);
    }
    if seed {
        let seed_dir = dir.join("seed");
        if !seed_dir.is_dir() {
            tracing::warn!(dir = %seed_dir.display(), "no seed directory; nothing seeded");
            return Ok(applied);
        }
        for path in sql_files(&seed_dir, |_| true)? {
            let name = format!("seed/{}", file_name(&path));
            let sql = read(&path)?;
            let tx = client.transaction().await.map_err(db(&name))?;
            tx.batch_execute(&sql).await.map_err(db(&name))?;
            tx.commit().await.map_err(db(&name))?;
            tracing::info!(seed = %name, "applied");
            applied.push(name);
        }
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::is_migration_name;

    #[test]
    fn migration_names() {
        assert!(is_migration_name("0001_initial_schema.sql"));
        assert!(!is_migration_name("README.md"));
        assert!(!is_migration_name("001_x.sql"));
        assert!(!is_migration_name("0001-x.sql"));
    }
}
