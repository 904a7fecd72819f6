//! A provider's stream as OpenAI chunks, read as the bytes arrive: OpenAI's
//! own SSE passes through; native streams (Anthropic, Gemini and Cohere SSE,
//! Bedrock's binary event stream) go through their translator, which ends
//! the stream with a usage chunk so relays and spend accounting see usage.

use std::collections::VecDeque;
use std::pin::Pin;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde_json::Value;

use super::UpstreamError;
use crate::sse::{SseEvent, SseParser};
use crate::translate::anthropic::MessagesStreamToChat;
use crate::translate::bedrock::{ConverseStreamToChat, EventStreamDecoder};
use crate::translate::cohere::CohereStreamToChat;
use crate::translate::gemini::GeminiStreamToChat;
use crate::translate::{TranslateError, Usage};

/// The wire format of a provider stream, with the translator state a
/// native format needs.
pub enum StreamFormat {
    /// `data: {chunk}` events ending with `data: [DONE]`.
    OpenAi,
    /// Anthropic Messages SSE events.
    Anthropic(Box<MessagesStreamToChat>),
    /// Gemini `streamGenerateContent?alt=sse` events.
    Gemini(Box<GeminiStreamToChat>),
    /// Cohere v2 chat SSE events.
    Cohere(Box<CohereStreamToChat>),
    /// Bedrock ConverseStream's `application/vnd.amazon.eventstream` frames.
    Bedrock {
        decoder: EventStreamDecoder,
        translator: Box<ConverseStreamToChat>,
    },
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// Turns a stream's chunks into another format (chat chunks into text
/// completion chunks, or into Responses events), keeping what state it needs.
pub(super) trait Reshape: Send {
    /// What one chunk becomes (any number of chunks or events).
    fn chunk(&mut self, chunk: Value) -> Vec<Value>;

    /// What comes once the stream ended cleanly.
    fn end(&mut self) -> Vec<Value> {
        Vec::new()
    }
}

/// A stateless one-to-one reshaping.
struct EachChunk(fn(Value) -> Value);

impl Reshape for EachChunk {
    fn chunk(&mut self, chunk: Value) -> Vec<Value> {
        vec![(self.0)(chunk)]
    }
}

/// Pulls chunks from a provider stream; dropping it drops the connection,
/// which cancels the provider call.
pub struct ChunkStream {
    bytes: ByteStream,
    parser: SseParser,
    format: StreamFormat,
    ready: VecDeque<Value>,
    usage: Option<Usage>,
    finished: bool,
    /// Reshapes the chunks before they are handed out.
    reshape: Option<Box<dyn Reshape>>,
    /// Reshaped chunks waiting to be handed out.
    reshaped: VecDeque<Value>,
    /// Set once the stream failed: a reshaper is then not asked to end it.
    failed: bool,
    drained: bool,
}

impl ChunkStream {
    /// Reads the body to its end once the stream is over, so the keep-alive
    /// connection returns to the pool instead of being closed (a provider
    /// that keeps it open after `[DONE]` is given a moment, then dropped).
    async fn drain(&mut self) {
        if self.drained {
            return;
        }
        self.drained = true;
        let rest = async { while let Some(Ok(_)) = self.bytes.next().await {} };
        let _ = tokio::time::timeout(std::time::Duration::from_millis(50), rest).await;
    }

    /// Applies `reshape` to every chunk this stream yields from now on.
    pub(super) fn reshaped(self, reshape: fn(Value) -> Value) -> Self {
        self.reshaped_by(Box::new(EachChunk(reshape)))
    }

    /// Passes every chunk from now on, and the end of the stream, through
    /// `reshape`.
    pub(super) fn reshaped_by(mut self, reshape: Box<dyn Reshape>) -> Self {
        self.reshape = Some(reshape);
        self
    }

    pub(super) fn new(response: reqwest::Response, format: StreamFormat) -> Self {
        Self {
            bytes: Box::pin(response.bytes_stream()),
            parser: SseParser::new(),
            format,
            ready: VecDeque::new(),
            usage: None,
            finished: false,
            reshape: None,
            reshaped: VecDeque::new(),
            failed: false,
            drained: false,
        }
    }

    /// The next chunk, `None` at the end of the stream.
    pub async fn next(&mut self) -> Option<Result<Value, UpstreamError>> {
        loop {
            if let Some(chunk) = self.reshaped.pop_front() {
                return Some(Ok(chunk));
            }
            if let Some(chunk) = self.ready.pop_front() {
                match &mut self.reshape {
                    Some(reshape) => self.reshaped.extend(reshape.chunk(chunk)),
                    None => return Some(Ok(chunk)),
                }
                continue;
            }
            if self.finished {
                if !self.failed
                    && let Some(mut reshape) = self.reshape.take()
                {
                    self.reshaped.extend(reshape.end());
                    continue;
                }
                self.drain().await;
                return None;
            }
            let failure = match self.bytes.next().await {
                Some(Ok(bytes)) => self.accept_bytes(&bytes).err(),
                Some(Err(err)) => {
                    self.finished = true;
                    Some(super::openai::transport_error(err))
                }
                None => {
                    self.finished = true;
                    self.accept_end().err()
                }
            };
            if let Some(err) = failure {
                self.finished = true;
                self.failed = true;
                return Some(Err(err));
            }
        }
    }

    /// Usage the provider reported in the stream, if it did.
    pub fn usage(&self) -> Option<Usage> {
        self.usage
    }

    fn accept_bytes(&mut self, bytes: &[u8]) -> Result<(), UpstreamError> {
        if let StreamFormat::Bedrock {
            decoder,
            translator,
        } = &mut self.format
        {
            for (event_type, payload) in decoder.push(bytes).map_err(protocol)? {
                if event_type.ends_with("Exception") {
                    return Err(bedrock_exception(&event_type, &payload));
                }
                let chunks = translator
                    .push(&event_type, &payload)
                    .map_err(stream_failure)?;
                self.ready.extend(chunks);
            }
            return Ok(());
        }
        let events = self.parser.push(bytes);
        self.accept(events)
    }

    /// The provider closed the stream: flush what is buffered and, for a
    /// native format, append the usage chunk OpenAI sends last.
    fn accept_end(&mut self) -> Result<(), UpstreamError> {
        if let StreamFormat::Bedrock { decoder, .. } = &self.format {
            decoder.finish().map_err(protocol)?;
        } else {
            let tail: Vec<SseEvent> = self.parser.finish().into_iter().collect();
            self.accept(tail)?;
        }
        let (usage, chunk) = match &self.format {
            StreamFormat::OpenAi => return Ok(()),
            StreamFormat::Anthropic(translator) => {
                (Some(translator.usage()), Some(translator.usage_chunk()))
            }
            StreamFormat::Gemini(translator) => {
                (Some(translator.usage()), Some(translator.usage_chunk()))
            }
            StreamFormat::Cohere(translator) => {
                (Some(translator.usage()), Some(translator.usage_chunk()))
            }
            StreamFormat::Bedrock { translator, .. } => {
                (translator.usage(), translator.usage_chunk())
            }
        };
        // A stream that never reported usage leaves it unknown (the relay
        // then estimates) rather than claiming zero tokens.
        if let (Some(usage), Some(chunk)) = (usage, chunk)
            && usage != Usage::default()
        {
            self.usage = Some(usage);
            self.ready.push_back(chunk);
        }
        Ok(())
    }

    fn accept(&mut self, events: Vec<SseEvent>) -> Result<(), UpstreamError> {
        for event in events {
            let chunks = match &mut self.format {
                StreamFormat::OpenAi => {
                    self.accept_openai(&event)?;
                    continue;
                }
                StreamFormat::Anthropic(translator) => translator.push(&event),
                StreamFormat::Gemini(translator) => translator.push(&event),
                StreamFormat::Cohere(translator) => translator.push(&event),
                StreamFormat::Bedrock { .. } => Ok(Vec::new()),
            };
            self.ready.extend(chunks.map_err(stream_failure)?);
        }
        Ok(())
    }

    fn accept_openai(&mut self, event: &SseEvent) -> Result<(), UpstreamError> {
        let data = event.data.trim();
        if data == "[DONE]" {
            self.finished = true;
            return Ok(());
        }
        if data.is_empty() {
            return Ok(());
        }
        let chunk: Value = serde_json::from_str(data).map_err(|err| {
            UpstreamError::Protocol(format!("the provider streamed invalid JSON: {err}"))
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
        Ok(())
    }
}

/// A translator's refusal of a stream event: the provider reported an error
/// mid-stream, or sent what cannot be read.
fn stream_failure(err: TranslateError) -> UpstreamError {
    UpstreamError::Status {
        status: 500,
        message: err.0,
        kind: None,
    }
}

fn protocol(err: TranslateError) -> UpstreamError {
    UpstreamError::Protocol(err.0)
}

/// A Bedrock stream exception with the status AWS gives the same exception
/// outside a stream, so retries and cooldowns treat both alike.
fn bedrock_exception(event_type: &str, payload: &Value) -> UpstreamError {
    let message = payload["message"]
        .as_str()
        .or_else(|| payload["Message"].as_str())
        .unwrap_or("no message");
    UpstreamError::Status {
        status: super::bedrock::exception_status(event_type),
        message: format!("Bedrock {event_type}: {message}"),
        kind: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stream_of(body: &'static [u8], format: StreamFormat) -> ChunkStream {
        let response = axum::http::Response::new(body.to_vec());
        ChunkStream::new(reqwest::Response::from(response), format)
    }

    async fn drain(stream: &mut ChunkStream) -> Vec<Result<Value, UpstreamError>> {
        let mut items = Vec::new();
        while let Some(item) = stream.next().await {
            items.push(item);
        }
        items
    }

    #[tokio::test]
    async fn openai_chunks_pass_through_until_done() {
        let body = b"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":3}}\n\ndata: [DONE]\n\n";
        let mut stream = stream_of(body, StreamFormat::OpenAi);
        let items = drain(&mut stream).await;
        assert_eq!(items.len(), 1);
        assert_eq!(stream.usage().map(|u| u.total_tokens()), Some(5));
    }

    /// Numbers the chunks it sees and says how many at the end.
    struct Counting(u64);

    impl Reshape for Counting {
        fn chunk(&mut self, _: Value) -> Vec<Value> {
            self.0 += 1;
            vec![json!(self.0), json!(self.0)]
        }

        fn end(&mut self) -> Vec<Value> {
            vec![json!({"end": self.0})]
        }
    }

    #[tokio::test]
    async fn a_reshaper_may_split_chunks_and_closes_a_clean_stream() {
        let body = b"data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n";
        let mut stream = stream_of(body, StreamFormat::OpenAi).reshaped_by(Box::new(Counting(0)));
        let items: Vec<Value> = drain(&mut stream)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            items,
            [json!(1), json!(1), json!(2), json!(2), json!({"end": 2})]
        );

        let body = b"data: {\"a\":1}\n\ndata: {\"error\":{\"message\":\"boom\"}}\n\n";
        let mut stream = stream_of(body, StreamFormat::OpenAi).reshaped_by(Box::new(Counting(0)));
        let items = drain(&mut stream).await;
        assert!(matches!(items[0], Err(UpstreamError::Status { .. })));
        assert!(
            items
                .iter()
                .all(|item| !matches!(item, Ok(v) if v.get("end").is_some())),
            "a failed stream is not closed as if it ended"
        );
    }

    #[tokio::test]
    async fn a_native_stream_without_usage_leaves_it_unknown() {
        let body = b"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]},\"finishReason\":\"STOP\",\"index\":0}]}\r\n\r\n";
        let translator = GeminiStreamToChat::new("gemini-2.0-flash");
        let mut stream = stream_of(body, StreamFormat::Gemini(Box::new(translator)));
        let items = drain(&mut stream).await;
        let chunks: Vec<Value> = items.into_iter().map(Result::unwrap).collect();
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0]["choices"][0]["delta"]["content"], json!("Hi"));
        assert_eq!(stream.usage(), None);
    }

    #[tokio::test]
    async fn a_corrupt_event_stream_is_a_protocol_error() {
        let format = StreamFormat::Bedrock {
            decoder: EventStreamDecoder::new(),
            translator: Box::new(ConverseStreamToChat::new("m")),
        };
        let mut stream = stream_of(b"\x00\x00\x00\x20\x00\x00\x00\x00garbage-crc-bytes", format);
        let items = drain(&mut stream).await;
        assert!(matches!(
            items.as_slice(),
            [Err(UpstreamError::Protocol(_))]
        ));
    }

    #[test]
    fn bedrock_exceptions_keep_the_message_and_status() {
        let error = bedrock_exception(
            "throttlingException",
            &json!({"message": "Too many requests"}),
        );
        assert!(
            matches!(error, UpstreamError::Status { status: 429, ref message, .. }
            if message.contains("Too many requests"))
        );
    }
}
