//! `alchemi migrate`: roles, then the versioned schema (refinery, `sql/`),
//! then the row-level-security policies (`policies/`), all idempotent. Schema
//! objects are created as `alchemi_owner` so that no login role owns them.

mod policies;
mod roles;

use tokio_postgres::Client;

pub use roles::{AdminMode, RolePasswords};

mod embedded {
    refinery::embed_migrations!("sql");
}

/// Where refinery records applied versions: outside `public`, so the tenant
/// schema holds only the 91 governed tables.
const HISTORY_TABLE: &str = "alchemi.refinery_schema_history";

/// What a migration run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrateReport {
    /// Versions applied by this run (empty when the schema was current).
    pub applied: Vec<String>,
    /// Whether the policy files were (re)applied.
    pub policies_applied: bool,
    /// How `alchemi_admin` reaches every row.
    pub admin_mode: AdminMode,
}

/// Why a migration could not complete.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("{0}")]
    Privilege(String),
    #[error("database error: {0}")]
    Db(#[from] tokio_postgres::Error),
    #[error("schema migration failed: {0}")]
    Schema(#[from] refinery::Error),
}

/// Brings the database the client is connected to up to date. The client
/// must be able to create roles (or find them created) and to create objects
/// in the database.
pub async fn run(
    client: &mut Client,
    passwords: &RolePasswords,
) -> Result<MigrateReport, MigrateError> {
    run_to(client, passwords, None).await
}

/// As [`run`], stopping at schema version `target` when one is given (an
/// older release's schema, to test upgrades from it).
pub async fn run_to(
    client: &mut Client,
    passwords: &RolePasswords,
    target: Option<i32>,
) -> Result<MigrateReport, MigrateError> {
    let admin_mode = roles::ensure(client, passwords).await?;
    prepare_schemas(client).await?;

    client.batch_execute("SET ROLE alchemi_owner").await?;
    let result = apply(client, target).await;
    client.batch_execute("RESET ROLE").await?;
    let (applied, policies_applied) = result?;
    Ok(MigrateReport {
        applied,
        policies_applied,
        admin_mode,
    })
}

/// The newest schema version this binary knows.
pub fn latest_version() -> i32 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|migration| migration.version())
        .max()
        .unwrap_or(0)
}

/// A digest of every migration and policy file, to tell databases (and test
/// templates) built from different sources apart.
pub fn fingerprint() -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for migration in embedded::migrations::runner().get_migrations() {
        hasher.update(migration.name());
        hasher.update(migration.sql().unwrap_or_default());
    }
    hasher.update(policies::digest());
    hex::encode(&hasher.finalize()[..8])
}

async fn prepare_schemas(client: &Client) -> Result<(), MigrateError> {
    const SQL: &str = "
        GRANT USAGE, CREATE ON SCHEMA public TO alchemi_owner;
        GRANT USAGE ON SCHEMA public TO alchemi_app, alchemi_admin, alchemi_auditor;
        REVOKE CREATE ON SCHEMA public FROM PUBLIC;
        CREATE SCHEMA IF NOT EXISTS alchemi AUTHORIZATION alchemi_owner;
        DO $$ BEGIN
            EXECUTE format('GRANT CONNECT ON DATABASE %I TO alchemi_app, alchemi_admin, alchemi_auditor', current_database());
        END $$;";
    client.batch_execute(SQL).await.map_err(|err| {
        MigrateError::Privilege(format!(
            "cannot prepare schemas (the migrating user must own the database or be a superuser): {err}"
        ))
    })
}

async fn apply(
    client: &mut Client,
    target: Option<i32>,
) -> Result<(Vec<String>, bool), MigrateError> {
    let mut runner = embedded::migrations::runner();
    if let Some(version) = target {
        runner = runner.set_target(refinery::Target::Version(version));
    }
    runner.set_migration_table_name(HISTORY_TABLE);
    let report = runner.run_async(client).await?;
    let applied = report
        .applied_migrations()
        .iter()
        .map(|migration| migration.to_string())
        .collect();
    let policies_applied = policies::apply_if_changed(client).await?;
    Ok((applied, policies_applied))
}

/// The highest version recorded in the database, if the schema exists.
pub async fn current_version(client: &Client) -> Result<Option<i32>, tokio_postgres::Error> {
    let exists: bool = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&HISTORY_TABLE])
        .await?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let row = client
        .query_one(
            "SELECT max(version) FROM alchemi.refinery_schema_history",
            &[],
        )
        .await?;
    Ok(row.get(0))
}
