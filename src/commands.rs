//! The maintenance subcommands: `migrate` and `rls-audit`.

use std::process::ExitCode;

use crate::cluster::{self, Cluster};
use crate::config::{AuditArgs, DatabaseArgs};
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
