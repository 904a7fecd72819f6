//! The HTTP server: startup (database, migration, audit gate, first-run
//! bootstrap), the router, and graceful shutdown.

mod bootstrap;
mod docs;
mod health;
mod runtime;
mod state;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use axum::serve::ListenerExt;

use crate::cluster::{self, Cluster};
use crate::config::ServeArgs;
use crate::db::{Db, PoolSizes};
use crate::{audit, migrate};

pub use bootstrap::{Credentials, PasswordCheck, ensure_default_account};
pub use runtime::{Runtime, RuntimeConfig};
pub use state::{AppState, Services, Settings};

/// The whole application router, as production serves it; tests build the
/// same one.
pub fn app(state: AppState) -> Router {
    let root_redirect = state.settings().root_redirect_url.clone();
    let docs_url = state.settings().docs_url.clone();
    let (management, mut spec) = crate::management::router().split_for_parts();
    docs::name_operations(&mut spec);
    let spec = std::sync::Arc::new(spec);
    let json_spec = spec.clone();
    Router::new()
        .route(
            "/",
            get(move || async move { Redirect::temporary(&root_redirect) }),
        )
        .route(
            "/openapi.json",
            get(move || docs::openapi_json(json_spec.clone())),
        )
        .route(&docs_url, get(move || docs::page(spec.clone())))
        .merge(health::router())
        .merge(crate::proxy::router())
        .merge(management)
        .merge(crate::console::router(state.clone()))
        .with_state(state)
}

/// `alchemi serve`: runs until SIGINT or SIGTERM.
pub async fn serve(args: ServeArgs) -> ExitCode {
    let started = Instant::now();
    let args = match args.validate() {
        Ok(args) => args,
        Err(err) => {
            tracing::error!("configuration: {err}");
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
    let result = run(&args, &cluster, started).await;
    cluster.close().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &ServeArgs, cluster: &Cluster, started: Instant) -> anyhow::Result<()> {
    if args.auto_migrate || cluster.is_embedded() {
        let mut client = cluster::connect(&cluster.migrator)
            .await
            .context("cannot connect to the database to migrate it")?;
        let report = migrate::run(&mut client, &cluster.passwords).await?;
        if !report.applied.is_empty() {
            tracing::info!(applied = ?report.applied, "schema migrated");
        }
    }
    check_database(cluster).await?;

    let db = Db::connect(
        cluster.targets.clone(),
        PoolSizes {
            app: usize::from(args.database.pool_size),
            admin: usize::from(args.database.admin_pool_size),
        },
    )?;
    let default_account = ensure_default_account(&db).await?;
    let (credentials, first_run) = Credentials::load_or_create(&args.database.data_dir, args)?;
    let salt_key = args
        .salt_key
        .as_ref()
        .map(|key| secrecy::ExposeSecret::expose_secret(key).to_owned());
    let runtime = Runtime::start(
        db,
        Settings::from_args(args, credentials, default_account),
        RuntimeConfig {
            listen: cluster.targets.app.clone(),
            spool_dir: args.database.data_dir.join("spool"),
            flush_interval: Duration::from_millis(args.spend_flush_ms),
            salt_key,
            redis_url: args.redis_url.as_ref().map(|url| url.to_string()),
            reset_interval: Duration::from_secs(args.budget_reset_seconds),
        },
    )?;

    let address = SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    let local = listener.local_addr()?;
    tracing::info!(%local, elapsed_ms = started.elapsed().as_millis() as u64, "ready");
    crate::commands::write_stdout(&bootstrap::banner(local, args, &first_run));

    // Small responses and stream chunks go out at once, not when Nagle allows.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(error = %err, "TCP_NODELAY not set");
        }
    });
    let served = axum::serve(
        listener,
        app(runtime.state.clone()).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await;
    runtime.shutdown().await;
    served.context("server error")?;
    tracing::info!("stopped");
    Ok(())
}

/// Refuses to serve a database whose schema is behind this binary or whose
/// row-level security has any gap.
async fn check_database(cluster: &Cluster) -> anyhow::Result<()> {
    let client = cluster::connect(&cluster.targets.admin)
        .await
        .context("cannot connect as alchemi_admin")?;
    let current = migrate::current_version(&client).await?;
    let latest = migrate::latest_version();
    if current != Some(latest) {
        anyhow::bail!(
            "the database schema is at version {} but this binary needs {latest}: run `alchemi migrate`",
            current.map_or_else(|| "none".to_owned(), |v| v.to_string())
        );
    }
    let report = audit::run(&client).await?;
    if !report.passed() {
        for gap in report.gaps() {
            tracing::error!("rls gap: {gap}");
        }
        anyhow::bail!(
            "row-level security audit failed: refusing to start (see `alchemi rls-audit`)"
        );
    }
    tracing::info!(
        tables = report.tables.len(),
        "row-level security audit passed"
    );
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
