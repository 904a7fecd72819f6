//! Cohere API v2: OpenAI chat requests to `/v2/chat` and back, the v2 chat
//! event stream to OpenAI chunks, OpenAI embeddings over `/v2/embed`, and
//! LiteLLM/Cohere-style rerank over `/v2/rerank`.

mod chat;
mod embed;
mod rerank;
mod stream;

pub use chat::{chat_to_cohere, cohere_to_chat};
pub use embed::{cohere_to_embeddings, embeddings_to_cohere};
pub use rerank::{cohere_to_rerank, rerank_to_cohere, restore_documents};
pub use stream::CohereStreamToChat;
