//! Who is calling a management route, and what their role lets them do.
//! The master key acts as the account's `proxy_admin` (in the account named
//! by `x-account-id`, else the default one) and, on `/account/*`, as the
//! super admin; a virtual key acts with its user's `user_role`. Without a
//! key header, a console session cookie stands in: the super admin's acts
//! like the master key, an account session acts with its role in its account.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;

use crate::AppState;
use crate::db::AccountId;
use crate::proxy::{ApiError, authenticate, operator_account, presented_key};
use crate::session::Session;

/// LiteLLM's user roles, as far as the management API distinguishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The account's administrator (the master key, or `proxy_admin` users).
    ProxyAdmin,
    /// Reads everything in the account, changes nothing.
    ProxyAdminViewer,
    /// Manages their own keys.
    InternalUser,
    /// Reads their own keys and spend.
    InternalUserViewer,
}

impl Role {
    /// Reads a stored `user_role`; unknown roles get the least rights.
    pub fn parse(text: Option<&str>) -> Self {
        match text {
            Some("proxy_admin") => Self::ProxyAdmin,
            Some("proxy_admin_viewer") => Self::ProxyAdminViewer,
            Some("internal_user") => Self::InternalUser,
            _ => Self::InternalUserViewer,
        }
    }

    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Self::ProxyAdmin => "proxy_admin",
            Self::ProxyAdminViewer => "proxy_admin_viewer",
            Self::InternalUser => "internal_user",
            Self::InternalUserViewer => "internal_user_viewer",
        }
    }
}

/// The authenticated caller of a management route.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account: AccountId,
    pub role: Role,
    /// The acting user (`None` for the master key).
    pub user_id: Option<String>,
    /// Hash of the acting key (`None` for the master key).
    pub key_hash: Option<String>,
    /// The acting key's team.
    pub team_id: Option<String>,
    /// True for the master key.
    pub master: bool,
}

impl Actor {
    /// The name audit rows record as `changed_by`.
    pub fn label(&self) -> String {
        match (&self.user_id, self.master) {
            (_, true) => "master_key".to_owned(),
            (Some(user), _) => user.clone(),
            (None, _) => self.key_hash.clone().unwrap_or_default(),
        }
    }

    /// True for the account admin.
    pub fn is_admin(&self) -> bool {
        self.role == Role::ProxyAdmin
    }

    /// True for roles that read the whole account.
    pub fn sees_everything(&self) -> bool {
        matches!(self.role, Role::ProxyAdmin | Role::ProxyAdminViewer)
    }

    /// Refuses anyone but the account admin, in LiteLLM's words.
    pub fn require_admin(&self, route: &str) -> Result<(), ApiError> {
        if self.is_admin() {
            return Ok(());
        }
        Err(ApiError::auth(format!(
            "Only proxy admin can be used to generate, delete, update info for new keys/users/teams. Route={route}. Your role={}. Your user_id={}",
            self.role.name(),
            self.user_id.as_deref().unwrap_or("None")
        )))
    }

    /// Refuses roles that may not read the whole account.
    pub fn require_viewer(&self, route: &str) -> Result<(), ApiError> {
        if self.sees_everything() {
            return Ok(());
        }
        self.require_admin(route)
    }

    /// Refuses read-only roles.
    pub fn require_writer(&self, route: &str) -> Result<(), ApiError> {
        match self.role {
            Role::ProxyAdmin | Role::InternalUser => Ok(()),
            _ => self.require_admin(route),
        }
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if presented_key(&parts.headers, None)?.is_none()
            && let Some(session) = state.settings().sessions.from_headers(&parts.headers)
        {
            return Self::from_session(state, parts, session).await;
        }
        let caller = authenticate(state, &parts.headers, None).await?;
        let Some(key) = caller.key else {
            return Ok(Self {
                account: caller.account,
                role: Role::ProxyAdmin,
                user_id: None,
                key_hash: None,
                team_id: None,
                master: true,
            });
        };
        Ok(Self {
            account: caller.account,
            role: Role::parse(key.owner_role.as_deref()),
            user_id: key.user_id.clone(),
            key_hash: Some(key.token.clone()),
            team_id: key.team_id.clone(),
            master: false,
        })
    }
}

impl Actor {
    /// The actor of a console session; a suspended account's sessions stop
    /// like its keys.
    async fn from_session(
        state: &AppState,
        parts: &Parts,
        session: Session,
    ) -> Result<Self, ApiError> {
        if session.account.is_none() {
            if !session.is_super_admin() {
                return Err(ApiError::auth("invalid session."));
            }
            return Ok(Self {
                account: operator_account(state, &parts.headers).await?,
                role: Role::ProxyAdmin,
                user_id: None,
                key_hash: None,
                team_id: None,
                master: true,
            });
        }
        Self::from_account_session(state, session).await
    }

    /// The actor of an account's console session (also used by the console
    /// pages); refused when the account is suspended.
    pub(crate) async fn from_account_session(
        state: &AppState,
        session: Session,
    ) -> Result<Self, ApiError> {
        let Some(account) = session.account else {
            return Err(ApiError::auth("invalid session."));
        };
        let holder = state
            .holders()
            .account(state.db(), account)
            .await
            .map_err(ApiError::internal)?;
        if holder.blocked {
            return Err(ApiError::auth("the session's account is not available."));
        }
        Ok(Self {
            account,
            role: Role::parse(Some(&session.role)),
            user_id: Some(session.subject),
            key_hash: None,
            team_id: None,
            master: false,
        })
    }
}

/// The super admin: the master key or the super admin's console session, on
/// `/account/*` only.
#[derive(Debug, Clone, Copy)]
pub struct SuperAdmin;

impl FromRequestParts<AppState> for SuperAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match presented_key(&parts.headers, None)? {
            // Whatever account `x-account-id` names: the super admin manages
            // suspended accounts too.
            Some(key) if state.settings().credentials.is_master_key(&key) => return Ok(Self),
            // An unknown key is a 401; a valid one is not enough.
            Some(_) => {
                authenticate(state, &parts.headers, None).await?;
            }
            None => match state.settings().sessions.from_headers(&parts.headers) {
                Some(session) if session.is_super_admin() => return Ok(Self),
                Some(_) => {}
                None => return Err(ApiError::auth("No api key passed in.").with_param("None")),
            },
        }
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "auth_error",
            "Only the super admin manages accounts.",
        ))
    }
}
