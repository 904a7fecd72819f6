//! `AppState`: what every handler shares, built once at startup.

use std::sync::Arc;
use std::time::Instant;

use crate::config::ServeArgs;
use crate::db::{AccountId, Db};

use super::Credentials;

/// Settings handlers read, fixed at startup.
pub struct Settings {
    pub credentials: Credentials,
    /// The account a master-key request without `x-account-id` acts in.
    pub default_account: AccountId,
    pub root_redirect_url: String,
    pub docs_url: String,
}

impl Settings {
    /// Picks what handlers need from the validated arguments.
    pub fn from_args(
        args: &ServeArgs,
        credentials: Credentials,
        default_account: AccountId,
    ) -> Self {
        Self {
            credentials,
            default_account,
            root_redirect_url: args.root_redirect_url.clone(),
            docs_url: args.docs_url.clone(),
        }
    }
}

struct Inner {
    db: Db,
    settings: Settings,
    started_at: Instant,
}

/// Shared application state; cloning is a reference-count increment.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    /// Builds the state.
    pub fn new(db: Db, settings: Settings) -> Self {
        Self(Arc::new(Inner {
            db,
            settings,
            started_at: Instant::now(),
        }))
    }

    /// The database: tenant and admin transactions.
    pub fn db(&self) -> &Db {
        &self.0.db
    }

    /// Startup settings.
    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    /// When this process started serving.
    pub fn started_at(&self) -> Instant {
        self.0.started_at
    }
}
