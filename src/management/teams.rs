//! Placeholder module, filled in by its family's endpoints.

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// This family's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
