//! A provider's stream as OpenAI chunks, read as the bytes arrive.

use std::collections::VecDeque;
use std::pin::Pin;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde_json::Value;

use super::UpstreamError;
use crate::sse::{SseEvent, SseParser};
use crate::translate::Usage;

/// The wire format of a provider stream.
pub enum StreamFormat {
    /// `data: {chunk}` events ending with `data: [DONE]`.
    OpenAi,
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// Pulls chunks from a provider stream; dropping it drops the connection,
/// which cancels the provider call.
pub struct ChunkStream {
    bytes: ByteStream,
    parser: SseParser,
    format: StreamFormat,
    ready: VecDeque<Value>,
    usage: Option<Usage>,
    finished: bool,
}

impl ChunkStream {
    pub(super) fn new(response: reqwest::Response, format: StreamFormat) -> Self {
        Self {
            bytes: Box::pin(response.bytes_stream()),
            parser: SseParser::new(),
            format,
            ready: VecDeque::new(),
            usage: None,
            finished: false,
        }
    }

    /// The next chunk, `None` at the end of the stream.
    pub async fn next(&mut self) -> Option<Result<Value, UpstreamError>> {
        loop {
            if let Some(chunk) = self.ready.pop_front() {
                return Some(Ok(chunk));
            }
            if self.finished {
                return None;
            }
            match self.bytes.next().await {
                Some(Ok(bytes)) => {
                    let events = self.parser.push(&bytes);
                    if let Err(err) = self.accept(events) {
                        self.finished = true;
                        return Some(Err(err));
                    }
                }
                Some(Err(err)) => {
                    self.finished = true;
                    return Some(Err(super::openai::transport_error(err)));
                }
                None => {
                    self.finished = true;
                    let tail: Vec<SseEvent> = self.parser.finish().into_iter().collect();
                    if let Err(err) = self.accept(tail) {
                        return Some(Err(err));
                    }
                }
            }
        }
    }

    /// Usage the provider reported in the stream, if it did.
    pub fn usage(&self) -> Option<Usage> {
        self.usage
    }

    fn accept(&mut self, events: Vec<SseEvent>) -> Result<(), UpstreamError> {
        for event in events {
            match self.format {
                StreamFormat::OpenAi => {
                    let data = event.data.trim();
                    if data == "[DONE]" {
                        self.finished = true;
                        continue;
                    }
                    if data.is_empty() {
                        continue;
                    }
                    let chunk: Value = serde_json::from_str(data).map_err(|err| {
                        UpstreamError::Protocol(format!(
                            "the provider streamed invalid JSON: {err}"
                        ))
                    })?;
                    if let Some(error) = chunk.get("error") {
                        let message = error
                            .get("message")
                            .and_then(Value::as_str)
                            .unwrap_or("stream error");
                        return Err(UpstreamError::Status {
                            status: 500,
                            message: message.to_owned(),
                            kind: None,
                        });
                    }
                    if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
                        self.usage = Some(Usage::from_openai(usage));
                    }
                    self.ready.push_back(chunk);
                }
            }
        }
        Ok(())
    }
}
