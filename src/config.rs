//! Command line and environment configuration, parsed and validated once at
//! startup. Environment names follow LiteLLM's where one exists so existing
//! deployments keep their settings. Secrets are `SecretString` and never
//! printed.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;
use url::Url;

/// Top-level command line.
#[derive(Debug, Parser)]
#[command(
    name = "alchemi",
    version,
    about = "Multi-tenant AI gateway and control plane",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// `serve`'s options, for when no subcommand is named.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// What the binary does; `serve` when nothing is named.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway, management API and console (the default).
    Serve(Box<ServeArgs>),
    /// Create or upgrade the schema, roles and row-level-security policies.
    Migrate(DatabaseArgs),
    /// Check row-level security on every table; exits non-zero on any gap.
    RlsAudit(AuditArgs),
    /// Load a LiteLLM config.yaml (models, router and LiteLLM settings) into an account.
    ImportConfig(ImportArgs),
}

impl Cli {
    /// The command to run, `serve` with its environment when none was given.
    pub fn command(self) -> Command {
        self.command
            .unwrap_or_else(|| Command::Serve(Box::new(self.serve)))
    }
}

/// Where the database is and how to reach it as each role.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Connection used by `migrate` (needs CREATEROLE, or the roles created
    /// beforehand). Without it an embedded PostgreSQL is run from the data folder.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<Url>,

    /// Connection for tenant traffic; defaults to DATABASE_URL with the
    /// `alchemi_app` role and ALCHEMI_APP_PASSWORD.
    #[arg(long, env = "ALCHEMI_APP_DATABASE_URL", hide_env_values = true)]
    pub app_database_url: Option<Url>,

    /// Connection for super-admin work; defaults to DATABASE_URL with the
    /// `alchemi_admin` role and ALCHEMI_ADMIN_PASSWORD.
    #[arg(long, env = "ALCHEMI_ADMIN_DATABASE_URL", hide_env_values = true)]
    pub admin_database_url: Option<Url>,

    /// Password `migrate` gives the `alchemi_app` role.
    #[arg(long, env = "ALCHEMI_APP_PASSWORD", hide_env_values = true)]
    pub app_password: Option<SecretString>,

    /// Password `migrate` gives the `alchemi_admin` role.
    #[arg(long, env = "ALCHEMI_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<SecretString>,

    /// Password `migrate` gives the read-only `alchemi_auditor` role.
    #[arg(long, env = "ALCHEMI_AUDITOR_PASSWORD", hide_env_values = true)]
    pub auditor_password: Option<SecretString>,

    /// Folder of the embedded PostgreSQL cluster and its generated secrets.
    #[arg(long, env = "ALCHEMI_DATA_DIR", default_value = ".alchemi")]
    pub data_dir: PathBuf,

    /// Connections in the tenant pool.
    #[arg(long, env = "ALCHEMI_DB_POOL_SIZE", default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub pool_size: u16,

    /// Connections in the super-admin pool.
    #[arg(long, env = "ALCHEMI_ADMIN_POOL_SIZE", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=100))]
    pub admin_pool_size: u16,
}

/// Options of `rls-audit`.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Options of `import-config`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The LiteLLM config.yaml to load.
    pub file: std::path::PathBuf,

    /// The account to load it into; the default account when absent.
    #[arg(long)]
    pub account: Option<uuid::Uuid>,

    /// Key that encrypts provider keys found in the file (LITELLM_SALT_KEY is read too).
    #[arg(long, env = "ALCHEMI_SALT_KEY", hide_env_values = true)]
    pub salt_key: Option<SecretString>,

    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "0.0.0.0")]
    pub host: IpAddr,

    /// Port to listen on.
    #[arg(long, env = "PORT", default_value_t = 4000)]
    pub port: u16,

    /// The operator's key (LITELLM_MASTER_KEY is read too). Generated on the
    /// first embedded start when absent.
    #[arg(long, env = "ALCHEMI_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<SecretString>,

    /// Super admin's console login name.
    #[arg(long, env = "UI_USERNAME", default_value = "admin")]
    pub ui_username: String,

    /// Super admin's console password. Generated on the first embedded start
    /// when absent.
    #[arg(long, env = "UI_PASSWORD", hide_env_values = true)]
    pub ui_password: Option<SecretString>,

    /// Key that encrypts provider credentials at rest (LITELLM_SALT_KEY is read too).
    #[arg(long, env = "ALCHEMI_SALT_KEY", hide_env_values = true)]
    pub salt_key: Option<SecretString>,

    /// Kept for LiteLLM compatibility: models always live in the database.
    #[arg(long, env = "STORE_MODEL_IN_DB", default_value_t = true, action = clap::ArgAction::Set)]
    pub store_model_in_db: bool,

    /// Redis shared by replicas for limits and caches.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<Url>,

    /// Public URL of this gateway, used in links and SSO redirects.
    #[arg(long, env = "PROXY_BASE_URL")]
    pub proxy_base_url: Option<Url>,

    /// Path of the browsable API documentation.
    #[arg(long, env = "DOCS_URL", default_value = "/api-docs")]
    pub docs_url: String,

    /// Where `/` redirects to.
    #[arg(long, env = "ROOT_REDIRECT_URL", default_value = "/ui")]
    pub root_redirect_url: String,

    /// Days audit rows are kept (0 keeps them for ever).
    #[arg(long, env = "ALCHEMI_AUDIT_LOG_RETENTION_DAYS", default_value_t = 0)]
    pub audit_log_retention_days: u32,

    /// Largest request body the LLM routes accept, in bytes (413 beyond).
    #[arg(long, env = "ALCHEMI_MAX_REQUEST_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_request_bytes: usize,

    /// How often queued spend is written, in milliseconds.
    #[arg(long, env = "ALCHEMI_SPEND_FLUSH_MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub spend_flush_ms: u64,

    /// How often budgets past their `budget_reset_at` are reset, in seconds
    /// (one instance does each round).
    #[arg(long, env = "ALCHEMI_BUDGET_RESET_SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub budget_reset_seconds: u64,

    #[command(flatten)]
    pub openobserve: OpenObserveArgs,

    /// Run `migrate` before serving (the Helm chart runs it as a hook instead).
    #[arg(long, env = "ALCHEMI_AUTO_MIGRATE", default_value_t = true, action = clap::ArgAction::Set)]
    pub auto_migrate: bool,
}

/// Audit export to OpenObserve.
#[derive(Debug, Clone, Args)]
pub struct OpenObserveArgs {
    #[arg(long = "openobserve-url", env = "OPENOBSERVE_URL")]
    pub url: Option<Url>,
    #[arg(
        long = "openobserve-org",
        env = "OPENOBSERVE_ORG",
        default_value = "default"
    )]
    pub org: String,
    #[arg(
        long = "openobserve-stream",
        env = "OPENOBSERVE_STREAM",
        default_value = "alchemi_audit"
    )]
    pub stream: String,
    #[arg(long = "openobserve-user", env = "OPENOBSERVE_USER")]
    pub user: Option<String>,
    #[arg(
        long = "openobserve-password",
        env = "OPENOBSERVE_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<SecretString>,
}

/// A configuration value that cannot work, named so the operator can fix it.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

impl ServeArgs {
    /// Applies the LiteLLM aliases and checks what clap cannot.
    pub fn validate(mut self) -> Result<Self, ConfigError> {
        self.master_key = self
            .master_key
            .or_else(|| secret_from_env("LITELLM_MASTER_KEY"));
        self.salt_key = self
            .salt_key
            .or_else(|| secret_from_env("LITELLM_SALT_KEY"));
        if let Some(key) = &self.master_key {
            use secrecy::ExposeSecret;
            if !key.expose_secret().starts_with("sk-") {
                return Err(ConfigError {
                    name: "LITELLM_MASTER_KEY",
                    problem: "must start with `sk-`, as LiteLLM requires".into(),
                });
            }
        }
        if self.ui_username.trim().is_empty() {
            return Err(ConfigError {
                name: "UI_USERNAME",
                problem: "must not be empty".into(),
            });
        }
        if !self.docs_url.starts_with('/') {
            return Err(ConfigError {
                name: "DOCS_URL",
                problem: "must be a path starting with `/`".into(),
            });
        }
        self.database.validate()?;
        Ok(self)
    }
}

impl DatabaseArgs {
    /// Checks the database URLs name PostgreSQL.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let urls = [
            ("DATABASE_URL", &self.database_url),
            ("ALCHEMI_APP_DATABASE_URL", &self.app_database_url),
            ("ALCHEMI_ADMIN_DATABASE_URL", &self.admin_database_url),
        ];
        for (name, url) in urls {
            if let Some(url) = url
                && !matches!(url.scheme(), "postgres" | "postgresql")
            {
                return Err(ConfigError {
                    name,
                    problem: format!(
                        "scheme `{}` is not supported; use postgres://",
                        url.scheme()
                    ),
                });
            }
        }
        if self.database_url.is_none()
            && (self.app_database_url.is_some() || self.admin_database_url.is_some())
        {
            return Err(ConfigError {
                name: "DATABASE_URL",
                problem:
                    "is required when ALCHEMI_APP_DATABASE_URL or ALCHEMI_ADMIN_DATABASE_URL is set"
                        .into(),
            });
        }
        Ok(())
    }
}

fn secret_from_env(name: &str) -> Option<SecretString> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .map(SecretString::from)
}
