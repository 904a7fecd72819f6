//! Test harness: a throwaway database per test, cloned from a template that
//! `alchemi migrate` built once for this source tree, reached through the same
//! roles and pools as the server uses.

pub mod app;
pub mod db;
pub mod mock_anthropic;
pub mod mock_bedrock;
pub mod mock_cohere;
pub mod mock_gemini;
pub mod mock_llm;
pub mod mock_native;
pub mod mock_oidc;
pub mod rows;

pub use db::TestDb;
