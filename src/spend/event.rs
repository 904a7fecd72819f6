//! One call's bookkeeping record.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::translate::Usage;

/// Everything the writer needs to account for one call, success or failure.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SpendEvent {
    /// The response id (`chatcmpl-...`), else the call id. A provider may
    /// repeat ids, so the call id is the real identity of the event.
    pub request_id: String,
    /// The gateway's id for the call (`x-litellm-call-id`): replays of the
    /// same event share it, different calls never do.
    pub call_id: String,
    pub account_id: Uuid,
    pub call_type: String,
    /// Hash of the virtual key ('' for the master key).
    pub api_key: String,
    pub user_id: Option<String>,
    pub team_id: Option<String>,
    pub organization_id: Option<String>,
    pub end_user: Option<String>,
    /// The model the provider served.
    pub model: String,
    /// The model name the client asked for.
    pub model_group: String,
    pub model_id: String,
    pub custom_llm_provider: String,
    pub api_base: String,
    pub endpoint: String,
    pub usage: Usage,
    pub spend: f64,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub completion_start_time: Option<DateTime<Utc>>,
    pub success: bool,
    /// LiteLLM's spend-log metadata: key alias, status, error information, client metadata.
    pub metadata: Value,
    pub request_tags: Vec<String>,
    pub requester_ip_address: Option<String>,
    pub session_id: Option<String>,
}

impl SpendEvent {
    /// The UTC day the call counts towards in the daily aggregates.
    pub fn day(&self) -> String {
        self.start_time.format("%Y-%m-%d").to_string()
    }

    /// The spend-log `metadata`: the event's, with the call id that
    /// identifies it across replays.
    pub fn log_metadata(&self) -> Value {
        let mut metadata = self.metadata.clone();
        if let Value::Object(map) = &mut metadata {
            map.insert("call_id".into(), Value::String(self.call_id.clone()));
        }
        metadata
    }

    /// A request id for calls that produced no response id.
    pub fn fallback_request_id() -> String {
        Uuid::new_v4().to_string()
    }
}
