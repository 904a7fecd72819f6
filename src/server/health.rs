//! Liveness and readiness, in LiteLLM's shapes (public, no auth).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::AppState;

/// `/health/liveliness` (LiteLLM's spelling), `/health/liveness`, `/health/readiness`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health/liveliness", get(liveliness))
        .route("/health/liveness", get(liveliness))
        .route("/health/readiness", get(readiness))
}

async fn liveliness() -> Json<&'static str> {
    Json("I'm alive!")
}

async fn readiness(State(state): State<AppState>) -> Response {
    let connected = state.db().ping().await;
    let body = json!({
        "status": if connected { "connected" } else { "unhealthy" },
        "db": if connected { "connected" } else { "disconnected" },
        "cache": null,
        "litellm_version": env!("CARGO_PKG_VERSION"),
        "alchemi_version": env!("CARGO_PKG_VERSION"),
        "success_callbacks": [],
        "uptime_seconds": state.started_at().elapsed().as_secs(),
    });
    let status = if connected {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}
