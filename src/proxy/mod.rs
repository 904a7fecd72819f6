//! The OpenAI-compatible proxy core: LLM routes for clients holding virtual
//! keys (or the master key). Every route exists with and without the `/v1`
//! prefix, plus Azure's deployment paths.

mod access;
mod auth;
mod call;
mod error;
mod handlers;
mod models;
mod relay;
mod respond;
mod transcription;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use access::allows;
pub use auth::{Caller, abbreviate, authenticate, operator_account, presented_key};
pub use error::ApiError;

use crate::AppState;
use crate::providers::Operation;

/// Largest upload the multipart routes read (the JSON routes apply
/// `ALCHEMI_MAX_REQUEST_BYTES` themselves).
const TRANSCRIPTION_LIMIT: usize = 64 * 1024 * 1024;

/// Operations served under `/v1/<path>` and `/<path>`.
const OPERATIONS: [(&str, Operation); 10] = [
    ("messages", Operation::Messages),
    ("chat/completions", Operation::Chat),
    ("completions", Operation::Completion),
    ("embeddings", Operation::Embedding),
    ("images/generations", Operation::ImageGeneration),
    ("audio/speech", Operation::AudioSpeech),
    ("moderations", Operation::Moderation),
    ("responses", Operation::Responses),
    ("rerank", Operation::Rerank),
    ("v2/rerank", Operation::Rerank),
];

/// Operations with Azure (`/openai/deployments/{model}/...`) and engines paths.
const DEPLOYMENT_OPERATIONS: [(&str, Operation); 4] = [
    ("chat/completions", Operation::Chat),
    ("completions", Operation::Completion),
    ("embeddings", Operation::Embedding),
    ("images/generations", Operation::ImageGeneration),
];

/// The proxy's routes.
pub fn router() -> Router<AppState> {
    let mut router = Router::new()
        .route("/v1/models", get(models::list))
        .route("/models", get(models::list))
        .route("/v1/models/{model_id}", get(models::one))
        .route("/models/{model_id}", get(models::one))
        .route(
            "/v1/messages/count_tokens",
            post(handlers::routes::count_tokens),
        );
    let upload =
        post(transcription::transcriptions).layer(DefaultBodyLimit::max(TRANSCRIPTION_LIMIT));
    router = router
        .route("/v1/audio/transcriptions", upload.clone())
        .route("/audio/transcriptions", upload);
    for (path, operation) in OPERATIONS {
        let handler = post(move |state, peer, query, headers, body| {
            handlers::routes::plain(operation, state, peer, query, headers, body)
        });
        if let Some(v2) = path.strip_prefix("v2/") {
            router = router.route(&format!("/v2/{v2}"), handler);
            continue;
        }
        router = router
            .route(&format!("/v1/{path}"), handler.clone())
            .route(&format!("/{path}"), handler);
    }
    for (path, operation) in DEPLOYMENT_OPERATIONS {
        let handler = post(move |state, peer, model, query, headers, body| {
            handlers::routes::deployment(operation, state, peer, model, query, headers, body)
        });
        router = router
            .route(
                &format!("/openai/deployments/{{model}}/{path}"),
                handler.clone(),
            )
            .route(&format!("/engines/{{model}}/{path}"), handler);
    }
    router
}
