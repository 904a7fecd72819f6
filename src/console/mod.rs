//! The console: server-rendered pages under `/ui` for the super admin
//! (accounts and their administrators) and for account users (dashboard,
//! virtual keys, teams, users, organizations, spend logs, single sign-on;
//! for admins and viewers also models, budgets, guardrails, the audit log
//! and the account's settings). Pages work without JavaScript; forms POST and
//! redirect. Page families keep their handlers, queries and views side by
//! side; shared page plumbing lives in `page`, `security` and `view`. No
//! business rule is written here: changes go through the management API's
//! functions, so roles, validation and audit rows are the same.
//!
//! Layers, outermost first: security headers on every response, then the
//! CSRF check on every POST, then the routes (each page's extractor sends a
//! browser without a session to `/ui/login`).

mod accounts;
mod api;
mod assets;
mod audit;
mod budgets;
mod dashboard;
mod fields;
mod form;
mod guardrails;
mod keys;
mod list;
mod login;
mod models;
mod organizations;
mod page;
mod security;
mod settings;
mod spend;
mod sso;
mod team_members;
mod teams;
mod users;
mod view;

use axum::Router;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::AppState;

/// Every console route, with its layers.
pub fn router(state: AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/ui", get(login::home))
        .route("/ui/", get(login::home))
        .route("/ui/login", get(login::show).post(login::submit))
        .route("/ui/logout", post(login::logout))
        .route("/ui/accounts", get(accounts::list))
        .route(
            "/ui/accounts/new",
            get(accounts::new_form).post(accounts::create),
        )
        .route(
            "/ui/accounts/{id}",
            get(accounts::detail).post(accounts::update),
        )
        .route("/ui/accounts/{id}/suspend", post(accounts::suspend))
        .route("/ui/accounts/{id}/reactivate", post(accounts::reactivate))
        .route("/ui/accounts/{id}/admins", post(accounts::add_admin_post))
        .route(
            "/ui/accounts/{id}/admins/remove",
            post(accounts::remove_admin_post),
        )
        .route("/ui/accounts/{id}/sso", get(sso::edit).post(sso::save))
        .route("/ui/sso", get(sso::show))
        .route("/ui/sso/start", get(sso::start))
        .route("/ui/sso/callback", get(sso::callback))
        .route("/ui/dashboard", get(dashboard::show))
        .route("/ui/keys", get(keys::list))
        .route("/ui/keys/new", get(keys::new_form).post(keys::create_post))
        .route("/ui/keys/{id}", get(keys::detail).post(keys::update))
        .route("/ui/keys/{id}/block", post(keys::block))
        .route("/ui/keys/{id}/unblock", post(keys::unblock))
        .route("/ui/keys/{id}/delete", post(keys::delete))
        .route("/ui/keys/{id}/regenerate", post(keys::regenerate))
        .route("/ui/teams", get(teams::list))
        .route("/ui/teams/new", get(teams::new_form).post(teams::create))
        .route("/ui/teams/{id}", get(teams::detail).post(teams::update))
        .route("/ui/teams/{id}/block", post(teams::block))
        .route("/ui/teams/{id}/unblock", post(teams::unblock))
        .route("/ui/teams/{id}/delete", post(teams::delete))
        .route("/ui/teams/{id}/members", post(team_members::add))
        .route(
            "/ui/teams/{id}/members/role",
            post(team_members::change_role),
        )
        .route("/ui/teams/{id}/members/remove", post(team_members::remove))
        .route("/ui/users", get(users::list))
        .route("/ui/users/new", get(users::new_form).post(users::create))
        .route("/ui/users/{id}", get(users::detail).post(users::update))
        .route("/ui/users/{id}/delete", post(users::delete))
        .route("/ui/organizations", get(organizations::list))
        .route(
            "/ui/organizations/new",
            get(organizations::new_form).post(organizations::create),
        )
        .route(
            "/ui/organizations/{id}",
            get(organizations::detail).post(organizations::update),
        )
        .route("/ui/organizations/{id}/delete", post(organizations::delete))
        .route(
            "/ui/organizations/{id}/members",
            post(organizations::add_member),
        )
        .route(
            "/ui/organizations/{id}/members/remove",
            post(organizations::remove_member),
        )
        .route("/ui/spend", get(spend::list))
        .route("/ui/spend/{id}", get(spend::detail))
        .route("/ui/models", get(models::list))
        .route("/ui/models/new", get(models::new_form).post(models::create))
        .route("/ui/models/{id}", get(models::detail).post(models::update))
        .route("/ui/models/{id}/delete", post(models::delete))
        .route("/ui/models/{id}/test", post(models::test))
        .route("/ui/budgets", get(budgets::list))
        .route(
            "/ui/budgets/new",
            get(budgets::new_form).post(budgets::create),
        )
        .route(
            "/ui/budgets/{id}",
            get(budgets::detail).post(budgets::update),
        )
        .route("/ui/budgets/{id}/delete", post(budgets::delete))
        .route("/ui/guardrails", get(guardrails::list))
        .route(
            "/ui/guardrails/new",
            get(guardrails::new_form).post(guardrails::create),
        )
        .route(
            "/ui/guardrails/{id}",
            get(guardrails::detail).post(guardrails::update),
        )
        .route("/ui/guardrails/{id}/delete", post(guardrails::delete))
        .route("/ui/audit", get(audit::list))
        .route("/ui/audit/{id}", get(audit::detail))
        .route("/ui/settings", get(settings::show).post(settings::save))
        .route("/ui/{*rest}", get(not_found).post(not_found))
        .layer(middleware::from_fn_with_state(state, security::csrf));
    Router::new()
        .route(
            &format!("{}/{{hash}}/{{name}}", assets::PREFIX),
            get(assets::serve),
        )
        .merge(pages)
        .layer(middleware::from_fn(security::headers))
}

async fn not_found() -> axum::response::Response {
    page::PageError::not_found().into_response()
}
