//! `AppState`: what every handler shares, built once at startup.

use std::sync::Arc;
use std::time::Instant;

use crate::config::ServeArgs;
use crate::db::{AccountId, Db};
use crate::governance::{Counters, HolderCache};
use crate::keys::KeyCache;
use crate::routing::{DeploymentHealth, ModelCache};
use crate::session::{LoginThrottle, Sessions};
use crate::spend::SpendQueue;
use crate::upstream::Upstream;

use super::Credentials;

/// Settings handlers read, fixed at startup.
pub struct Settings {
    pub credentials: Credentials,
    /// The account a master-key request without `x-account-id` acts in.
    pub default_account: AccountId,
    pub root_redirect_url: String,
    pub docs_url: String,
    /// Largest request body the LLM routes accept (413 beyond).
    pub max_request_bytes: usize,
    /// Console session tokens and their cookie.
    pub sessions: Sessions,
    /// `PROXY_BASE_URL`: where browsers reach this server (SSO redirect
    /// URIs); without it, the request's `Host`.
    pub public_url: Option<url::Url>,
}

impl Settings {
    /// Picks what handlers need from the validated arguments.
    pub fn from_args(
        args: &ServeArgs,
        credentials: Credentials,
        default_account: AccountId,
    ) -> Self {
        let salt_key = args
            .salt_key
            .as_ref()
            .map(|key| secrecy::ExposeSecret::expose_secret(key).to_owned());
        let secure = args
            .proxy_base_url
            .as_ref()
            .is_some_and(|url| url.scheme() == "https");
        let sessions = Sessions::new(&credentials.master_key_hash, salt_key.as_deref(), secure);
        Self {
            sessions,
            credentials,
            default_account,
            root_redirect_url: args.root_redirect_url.clone(),
            docs_url: args.docs_url.clone(),
            max_request_bytes: args.max_request_bytes,
            public_url: args.proxy_base_url.clone(),
        }
    }
}

/// The long-lived services behind the handlers.
pub struct Services {
    pub keys: KeyCache,
    pub holders: HolderCache,
    pub counters: Counters,
    pub models: ModelCache,
    pub upstream: Upstream,
    pub health: Arc<DeploymentHealth>,
    pub spend: SpendQueue,
    /// Failed console logins per email and client address.
    pub logins: LoginThrottle,
    /// Accounts' OpenID providers (discovery cache, HTTP client).
    pub sso: crate::sso::Providers,
}

struct Inner {
    db: Db,
    settings: Settings,
    services: Services,
    started_at: Instant,
}

/// Shared application state; cloning is a reference-count increment.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    /// Builds the state.
    pub fn new(db: Db, settings: Settings, services: Services) -> Self {
        Self(Arc::new(Inner {
            db,
            settings,
            services,
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

    /// Resolved virtual keys.
    pub fn keys(&self) -> &KeyCache {
        &self.0.services.keys
    }

    /// End users and accounts, with their limits.
    pub fn holders(&self) -> &HolderCache {
        &self.0.services.holders
    }

    /// Budget and rate-limit counters.
    pub fn counters(&self) -> &Counters {
        &self.0.services.counters
    }

    /// Per-account deployments.
    pub fn models(&self) -> &ModelCache {
        &self.0.services.models
    }

    /// Provider calls.
    pub fn upstream(&self) -> &Upstream {
        &self.0.services.upstream
    }

    /// Deployment health for routing.
    pub fn health(&self) -> &DeploymentHealth {
        &self.0.services.health
    }

    /// Failed-login counters.
    pub fn logins(&self) -> &LoginThrottle {
        &self.0.services.logins
    }

    /// Accounts' OpenID providers.
    pub fn sso(&self) -> &crate::sso::Providers {
        &self.0.services.sso
    }

    /// Where calls record their spend.
    pub fn spend(&self) -> &crate::spend::SpendQueue {
        &self.0.services.spend
    }
}
