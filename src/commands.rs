//! The maintenance subcommands: `migrate`, `rls-audit` and `import-config`.

use std::process::ExitCode;

use crate::cluster::{self, Cluster};
use crate::config::{AuditArgs, DatabaseArgs, ImportArgs};
use crate::{audit, migrate};

/// `alchemi migrate`.
pub async fn migrate(args: DatabaseArgs) -> ExitCode {
    if let Err(err) = args.validate() {
        tracing::error!("configuration: {err}");
        return ExitCode::FAILURE;
    }
    let cluster = match Cluster::open(&args).await {
        Ok(cluster) => cluster,
        Err(err) => {
            tracing::error!("{err}");
            return ExitCode::FAILURE;
        }
    };
    let started = std::time::Instant::now();
    let result = async {
        let mut client = cluster::connect(&cluster.migrator).await?;
        Ok::<_, anyhow::Error>(migrate::run(&mut client, &cluster.passwords).await?)
    }
    .await;
    cluster.close().await;
    match result {
        Ok(report) => {
            tracing::info!(
                applied = ?report.applied,
                policies_applied = report.policies_applied,
                admin_mode = ?report.admin_mode,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "database is up to date"
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            tracing::error!("migration failed: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// `alchemi rls-audit`: prints the report; fails on any gap.
pub async fn rls_audit(args: AuditArgs) -> ExitCode {
    if let Err(err) = args.database.validate() {
        tracing::error!("configuration: {err}");
        return ExitCode::FAILURE;
    }
    let cluster = match Cluster::open(&args.database).await {
        Ok(cluster) => cluster,
        Err(err) => {
            tracing::error!("{err}");
            return ExitCode::FAILURE;
        }
    };
    let result = async {
        let client = cluster::connect(&cluster.migrator).await?;
        Ok::<_, anyhow::Error>(audit::run(&client).await?)
    }
    .await;
    cluster.close().await;
    let report = match result {
        Ok(report) => report,
        Err(err) => {
            tracing::error!("audit failed: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    let output = if args.json {
        serde_json::to_string_pretty(&report).unwrap_or_default()
    } else {
        audit::render_text(&report)
    };
    write_stdout(&output);
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Command output goes to stdout; logs go to stderr.
pub(crate) fn write_stdout(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
}

/// `alchemi import-config FILE [--account ID]`: prints what was applied,
/// stored and not applied.
pub async fn import_config(args: ImportArgs) -> ExitCode {
    if let Err(err) = args.database.validate() {
        tracing::error!("configuration: {err}");
        return ExitCode::FAILURE;
    }
    let text = match std::fs::read_to_string(&args.file) {
        Ok(text) => text,
        Err(err) => {
            tracing::error!("cannot read {}: {err}", args.file.display());
            return ExitCode::FAILURE;
        }
    };
    let config = match crate::import::parse(&text) {
        Ok(config) => config,
        Err(err) => {
            tracing::error!("{err}");
            return ExitCode::FAILURE;
        }
    };
    let cluster = match Cluster::open(&args.database).await {
        Ok(cluster) => cluster,
        Err(err) => {
            tracing::error!("{err}");
            return ExitCode::FAILURE;
        }
    };
    let salt_key = args
        .salt_key
        .as_ref()
        .map(|key| secrecy::ExposeSecret::expose_secret(key).to_owned())
        .or_else(|| std::env::var("LITELLM_SALT_KEY").ok());
    let vault = crate::crypto::Vault::new(salt_key.as_deref());
    let result = async {
        let db = crate::db::Db::connect(
            cluster.targets.clone(),
            crate::db::PoolSizes { app: 1, admin: 1 },
        )?;
        let account = match args.account {
            Some(id) => crate::db::AccountId::new(id)?,
            None => crate::server::ensure_default_account(&db).await?,
        };
        let report = crate::import::apply(&db, account, &vault, config).await?;
        Ok::<_, anyhow::Error>((account, report))
    }
    .await;
    cluster.close().await;
    match result {
        Ok((account, report)) => {
            write_stdout(&crate::import::render(account, &report));
            ExitCode::SUCCESS
        }
        Err(err) => {
            tracing::error!("import failed: {err:#}");
            ExitCode::FAILURE
        }
    }
}
