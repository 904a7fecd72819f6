//! `POST /v1/audio/transcriptions`: multipart in, multipart out. The audio
//! file travels to the provider as it came; the other form fields become the
//! request's JSON body for routing, access checks and the spend log.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Multipart, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::ApiError;
use super::handlers::{KeyQuery, serve_form};
use crate::AppState;
use crate::providers::Operation;
use crate::upstream::Attachment;

/// Reads the form: the `file` part as an attachment, every other part as text.
async fn read_form(mut form: Multipart) -> Result<(Value, Attachment), ApiError> {
    let mut fields = Map::new();
    let mut file = None;
    while let Some(field) = form.next_field().await.map_err(|err| {
        ApiError::bad_request(format!(
            "litellm.BadRequestError: unreadable multipart body: {err}"
        ))
    })? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let filename = field.file_name().unwrap_or("audio").to_owned();
            let content_type = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_owned();
            let bytes = field.bytes().await.map_err(|err| {
                ApiError::bad_request(format!("litellm.BadRequestError: unreadable file: {err}"))
            })?;
            file = Some(Attachment {
                field: name,
                filename,
                content_type,
                bytes,
            });
        } else {
            let text = field.text().await.map_err(|err| {
                ApiError::bad_request(format!(
                    "litellm.BadRequestError: unreadable field `{name}`: {err}"
                ))
            })?;
            fields.insert(name, Value::String(text));
        }
    }
    let file = file.ok_or_else(|| {
        ApiError::bad_request("litellm.BadRequestError: `file` is required").with_param("file")
    })?;
    Ok((Value::Object(fields), file))
}

/// The route handler.
pub async fn transcriptions(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<KeyQuery>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    match read_form(form).await {
        Ok((body, file)) => {
            serve_form(
                state,
                Operation::AudioTranscription,
                headers,
                query,
                Some(peer),
                body,
                file,
            )
            .await
        }
        Err(error) => error.into_response(),
    }
}
