//! Resolves which PostgreSQL the process works against and how it reaches it
//! as each role: the server named by DATABASE_URL, or else the embedded
//! cluster in the data folder.

use secrecy::{ExposeSecret, SecretString};
use tokio_postgres::Client;
use url::Url;

use crate::config::DatabaseArgs;
use crate::db::DbTargets;
use crate::embedded::{EmbeddedError, EmbeddedPostgres};
use crate::migrate::RolePasswords;

/// Why the database could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(transparent)]
    Embedded(#[from] EmbeddedError),
    #[error("{name} is not a valid PostgreSQL URL: {reason}")]
    Url { name: &'static str, reason: String },
}

/// The database of this process, with the settings for each role.
pub struct Cluster {
    /// The migrating user (DATABASE_URL, or the embedded superuser).
    pub migrator: tokio_postgres::Config,
    /// `alchemi_app` and `alchemi_admin`.
    pub targets: DbTargets,
    /// Passwords `migrate` sets on the login roles.
    pub passwords: RolePasswords,
    embedded: Option<EmbeddedPostgres>,
}

impl Cluster {
    /// Connects to DATABASE_URL's server, or starts the embedded cluster.
    pub async fn open(args: &DatabaseArgs) -> Result<Self, ClusterError> {
        let Some(url) = &args.database_url else {
            return Self::embedded(args).await;
        };
        let migrator = parse_config("DATABASE_URL", url)?;
        let app = match &args.app_database_url {
            Some(app_url) => parse_config("ALCHEMI_APP_DATABASE_URL", app_url)?,
            None => role_config(url, "alchemi_app", args.app_password.as_ref())?,
        };
        let admin = match &args.admin_database_url {
            Some(admin_url) => parse_config("ALCHEMI_ADMIN_DATABASE_URL", admin_url)?,
            None => role_config(url, "alchemi_admin", args.admin_password.as_ref())?,
        };
        Ok(Self {
            migrator,
            targets: DbTargets { app, admin },
            passwords: RolePasswords {
                app: args.app_password.clone(),
                admin: args.admin_password.clone(),
                auditor: args.auditor_password.clone(),
            },
            embedded: None,
        })
    }

    async fn embedded(args: &DatabaseArgs) -> Result<Self, ClusterError> {
        let embedded = EmbeddedPostgres::start(&args.data_dir).await?;
        let secrets = embedded.secrets();
        Ok(Self {
            migrator: embedded.superuser_config(),
            targets: DbTargets {
                app: embedded.config("alchemi_app", &secrets.app),
                admin: embedded.config("alchemi_admin", &secrets.admin),
            },
            passwords: RolePasswords {
                app: Some(secrets.app.clone()),
                admin: Some(secrets.admin.clone()),
                auditor: Some(secrets.auditor.clone()),
            },
            embedded: Some(embedded),
        })
    }

    /// True when this process runs the database itself.
    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }

    /// Stops the embedded cluster if this process started it.
    pub async fn close(self) {
        if let Some(embedded) = self.embedded {
            embedded.stop().await;
        }
    }
}

/// Opens one plain connection (for migrations and the audit).
pub async fn connect(config: &tokio_postgres::Config) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            tracing::debug!(error = %err, "maintenance connection closed");
        }
    });
    Ok(client)
}

fn parse_config(name: &'static str, url: &Url) -> Result<tokio_postgres::Config, ClusterError> {
    url.as_str()
        .parse()
        .map_err(|err: tokio_postgres::Error| ClusterError::Url {
            name,
            reason: err.to_string(),
        })
}

/// DATABASE_URL with another role's name and password.
fn role_config(
    url: &Url,
    role: &str,
    password: Option<&SecretString>,
) -> Result<tokio_postgres::Config, ClusterError> {
    let invalid = || ClusterError::Url {
        name: "DATABASE_URL",
        reason: "it cannot carry a user name".into(),
    };
    let mut url = url.clone();
    url.set_username(role).map_err(|()| invalid())?;
    url.set_password(password.map(|secret| secret.expose_secret()))
        .map_err(|()| invalid())?;
    parse_config("DATABASE_URL", &url)
}
