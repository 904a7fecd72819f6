//! Virtual keys (`/key/*`): generate, update, delete, info, list,
//! regenerate, block and unblock, with LiteLLM's fields and rules. Raw keys
//! are shown once, at creation or rotation; only their sha256 is stored.

pub(crate) mod access;
mod fields;
pub(crate) mod lifecycle;
pub(crate) mod read;
pub(crate) mod write;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// This family's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(write::generate))
        .routes(routes!(write::service_account))
        .routes(routes!(write::update))
        .routes(routes!(write::bulk_update))
        .routes(routes!(lifecycle::delete))
        .routes(routes!(lifecycle::block))
        .routes(routes!(lifecycle::unblock))
        .routes(routes!(lifecycle::regenerate))
        .routes(routes!(lifecycle::regenerate_path))
        .routes(routes!(lifecycle::reset_spend))
        .routes(routes!(read::info))
        .routes(routes!(read::info_many))
        .routes(routes!(read::list))
        .routes(routes!(read::aliases))
}
