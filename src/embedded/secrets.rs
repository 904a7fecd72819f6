//! Passwords of the embedded cluster's roles, generated on first start and
//! kept in the data folder (mode 0600), never printed.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::EmbeddedError;

const FILE: &str = "secrets.json";

/// Generated role passwords.
pub struct Secrets {
    pub superuser: SecretString,
    pub app: SecretString,
    pub admin: SecretString,
    pub auditor: SecretString,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    superuser: String,
    app: String,
    admin: String,
    auditor: String,
}

impl Secrets {
    /// Reads the secrets file, or writes a new one.
    pub(super) fn load_or_create(data_dir: &Path) -> Result<Self, EmbeddedError> {
        let path = data_dir.join(FILE);
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(super::io_error(&path))?;
            let stored: Stored = serde_json::from_str(&text).map_err(|err| {
                EmbeddedError::Secrets(format!("{} is damaged: {err}", path.display()))
            })?;
            return Ok(Self {
                superuser: stored.superuser.into(),
                app: stored.app.into(),
                admin: stored.admin.into(),
                auditor: stored.auditor.into(),
            });
        }
        let secrets = Self {
            superuser: crate::secret::random_token(32).into(),
            app: crate::secret::random_token(32).into(),
            admin: crate::secret::random_token(32).into(),
            auditor: crate::secret::random_token(32).into(),
        };
        let stored = Stored {
            superuser: secrets.superuser.expose_secret().to_owned(),
            app: secrets.app.expose_secret().to_owned(),
            admin: secrets.admin.expose_secret().to_owned(),
            auditor: secrets.auditor.expose_secret().to_owned(),
        };
        let text = serde_json::to_string_pretty(&stored)
            .map_err(|err| EmbeddedError::Secrets(err.to_string()))?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(super::io_error(&path))?;
        file.write_all(text.as_bytes())
            .map_err(super::io_error(&path))?;
        Ok(secrets)
    }
}
