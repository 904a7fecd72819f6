//! Providers: which API a deployment speaks, where it lives and how a call
//! to it is addressed and authenticated. Every base URL can be overridden
//! per deployment (`api_base`), which is also how tests reach local mocks.

mod kind;

pub use kind::{ApiStyle, Provider};

/// What the client asked the gateway to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Chat,
    Completion,
    Embedding,
    ImageGeneration,
    AudioSpeech,
    AudioTranscription,
    Moderation,
    Responses,
    Rerank,
    /// Anthropic Messages from the client, served as chat upstream.
    Messages,
}

impl Operation {
    /// The path under an OpenAI-style base URL.
    pub fn openai_path(self) -> &'static str {
        match self {
            Operation::Chat | Operation::Messages => "/chat/completions",
            Operation::Completion => "/completions",
            Operation::Embedding => "/embeddings",
            Operation::ImageGeneration => "/images/generations",
            Operation::AudioSpeech => "/audio/speech",
            Operation::AudioTranscription => "/audio/transcriptions",
            Operation::Moderation => "/moderations",
            Operation::Responses => "/responses",
            Operation::Rerank => "/rerank",
        }
    }

    /// LiteLLM's `call_type` in spend logs.
    pub fn call_type(self) -> &'static str {
        match self {
            Operation::Chat => "acompletion",
            Operation::Completion => "atext_completion",
            Operation::Embedding => "aembedding",
            Operation::ImageGeneration => "aimage_generation",
            Operation::AudioSpeech => "aspeech",
            Operation::AudioTranscription => "atranscription",
            Operation::Moderation => "amoderation",
            Operation::Responses => "aresponses",
            Operation::Rerank => "arerank",
            Operation::Messages => "anthropic_messages",
        }
    }

    /// The route label for metrics and spend-log `endpoint`.
    pub fn endpoint(self) -> &'static str {
        match self {
            Operation::Messages => "/v1/messages",
            other => other.openai_path(),
        }
    }

    /// True when the call is billed by tokens of a chat-like exchange.
    pub fn is_chat_like(self) -> bool {
        matches!(
            self,
            Operation::Chat | Operation::Messages | Operation::Completion | Operation::Responses
        )
    }
}
