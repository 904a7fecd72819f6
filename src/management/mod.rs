//! The management API: LiteLLM's admin endpoints (keys, users, teams,
//! organizations, customers, models, budgets, spend, audit...) plus the
//! super admin's `/account/*`. Every handler works inside one tenant
//! transaction of the caller's account, so row-level security bounds what it
//! can reach; every change writes its audit row in that same transaction.
//! Routes are collected with their OpenAPI description.

mod access_groups;
pub(crate) mod accounts;
mod activity;
pub mod actor;
pub mod audit;
pub(crate) mod audit_logs;
pub mod audited;
pub mod body;
pub(crate) mod budgets;
mod credentials;
mod customers;
pub(crate) mod guardrails;
pub(crate) mod keys;
pub(crate) mod login;
mod members;
pub(crate) mod models;
pub(crate) mod organizations;
pub mod paging;
pub mod rows;
mod spend;
mod tags;
pub(crate) mod teams;
pub(crate) mod ui_settings;
pub(crate) mod users;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use actor::{Actor, Role, SuperAdmin};

use crate::AppState;

/// The OpenAPI document's header.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Alchemi Console",
        description = "LiteLLM-compatible management API and OpenAI-compatible proxy of a multi-tenant AI gateway."
    ),
    components(schemas(paging::PageInfo))
)]
struct ApiDoc;

/// Every management route, with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(keys::router())
        .merge(users::router())
        .merge(teams::router())
        .merge(organizations::router())
        .merge(customers::router())
        .merge(models::router())
        .merge(credentials::router())
        .merge(access_groups::router())
        .merge(budgets::router())
        .merge(tags::router())
        .merge(guardrails::router())
        .merge(spend::router())
        .merge(activity::router())
        .merge(audit_logs::router())
        .merge(accounts::router())
        .merge(login::router())
}
