//! Spend reads (`/spend/*`, `/global/*`): per-request logs from
//! `LiteLLM_SpendLogs`, totals from the daily aggregate tables the spend
//! writer keeps, and cost estimates from the built-in price table. Internal
//! users see their own spend only; admins and viewers the whole account.
//! Every statement filters by account and, where it aggregates, by a time
//! range, so it walks one tenant's slice of an index.

mod calculate;
mod global;
mod logs;
pub(in crate::management) mod query;
mod report;
mod reset;
mod session;
mod totals;
mod usage;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// This family's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(logs::list))
        .routes(routes!(logs::page_v2))
        .routes(routes!(logs::page_ui))
        .routes(routes!(logs::detail))
        .routes(routes!(totals::keys))
        .routes(routes!(totals::users))
        .routes(routes!(totals::tags))
        .routes(routes!(calculate::calculate))
        .routes(routes!(global::spend))
        .routes(routes!(global::logs))
        .routes(routes!(global::keys))
        .routes(routes!(global::teams))
        .routes(routes!(global::models))
        .routes(routes!(usage::tags))
        .routes(routes!(usage::provider))
        .routes(routes!(usage::end_users))
        .routes(routes!(usage::activity))
        .routes(routes!(usage::activity_by_model))
        .routes(routes!(report::report))
        .routes(routes!(reset::reset))
        .routes(routes!(session::session_ui))
}
