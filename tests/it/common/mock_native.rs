//! What the native provider mocks share: a log of the requests received, a
//! loopback server, and bodies streamed piece by piece as providers send
//! them, plus the weather tool every tool-call round uses.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

pub use super::mock_llm::Received;

/// The requests a mock received, in order.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<Received>>>);

impl Log {
    /// Records one request.
    pub fn push(&self, path: &str, headers: &HeaderMap, body: &Value) {
        self.0.lock().unwrap().push(Received {
            path: path.to_owned(),
            headers: headers.clone(),
            body: body.clone(),
        });
    }

    /// Requests received so far.
    pub fn all(&self) -> Vec<Received> {
        self.0.lock().unwrap().clone()
    }
}

/// Serves `router` on a free loopback port and returns its base URL.
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{address}")
}

/// A 200 response whose body goes out in `pieces`, a few milliseconds
/// apart, so the gateway reads them as they come rather than all at once.
pub fn streamed(content_type: &'static str, pieces: Vec<Vec<u8>>) -> Response {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(8);
    tokio::spawn(async move {
        for piece in pieces {
            if sender.send(Ok(piece)).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    });
    let body = Body::from_stream(futures::stream::unfold(
        receiver,
        |mut receiver| async move { receiver.recv().await.map(|item| (item, receiver)) },
    ));
    ([("content-type", content_type)], body).into_response()
}

/// SSE events as `event: name` / `data: json` frames, one piece each.
pub fn sse_pieces(events: &[(&str, Value)]) -> Vec<Vec<u8>> {
    events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n").into_bytes())
        .collect()
}

/// What the weather tool answers in every tool-call round.
pub const WEATHER: &str = "sunny, 24C";

/// The answer every mock gives once it has the tool's result.
pub const AFTER_TOOL: &str = "It is sunny in Paris";
