//! Alchemi Console: a multi-tenant AI gateway (OpenAI- and
//! Anthropic-compatible proxy), its management API and its admin console, in
//! one axum server over PostgreSQL whose row-level security isolates tenants.
//!
//! Layout: `config` (command line and environment), `cluster` and
//! `embedded` (which PostgreSQL, how to reach it), `migrate` (roles, schema,
//! policies), `audit` (the RLS audit), `db` (tenant and admin transactions:
//! the only way to the data), `pricing` (model prices and call costs),
//! `server` (the HTTP application).

pub mod audit;
pub mod cluster;
mod commands;
pub mod config;
pub mod console;
pub mod crypto;
pub mod db;
pub mod embedded;
pub mod governance;
pub mod import;
pub mod invalidation;
pub mod keys;
pub mod management;
pub mod migrate;
pub mod pricing;
pub mod providers;
pub mod proxy;
pub mod routing;
pub mod secret;
pub mod server;
pub mod session;
pub mod spend;
pub mod sse;
pub mod sso;
pub mod telemetry;
pub mod translate;
pub mod upstream;

use std::process::ExitCode;

pub use server::{AppState, app};

/// Runs the chosen subcommand to completion.
pub async fn run(cli: config::Cli) -> ExitCode {
    match cli.command() {
        config::Command::Serve(args) => server::serve(*args).await,
        config::Command::Migrate(args) => commands::migrate(args).await,
        config::Command::RlsAudit(args) => commands::rls_audit(args).await,
        config::Command::ImportConfig(args) => commands::import_config(args).await,
    }
}
