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

    /// The spend-log row as JSON, for `jsonb_to_recordset`, under `request_id`.
    pub fn log_row(&self, request_id: &str) -> Value {
        let mut metadata = self.metadata.clone();
        if let Value::Object(map) = &mut metadata {
            map.insert("call_id".into(), Value::String(self.call_id.clone()));
        }
        serde_json::json!({
            "request_id": request_id,
            "call_type": self.call_type,
            "api_key": self.api_key,
            "spend": self.spend,
            "total_tokens": self.usage.total_tokens(),
            "prompt_tokens": self.usage.prompt_tokens,
            "completion_tokens": self.usage.completion_tokens,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "completion_start_time": self.completion_start_time,
            "model": self.model,
            "model_id": self.model_id,
            "model_group": self.model_group,
            "custom_llm_provider": self.custom_llm_provider,
            "api_base": self.api_base,
            "user": self.user_id.clone().unwrap_or_default(),
            "metadata": metadata,
            "request_tags": self.request_tags,
            "team_id": self.team_id,
            "organization_id": self.organization_id,
            "end_user": self.end_user,
            "requester_ip_address": self.requester_ip_address,
            "session_id": self.session_id,
            "status": if self.success { "success" } else { "failure" },
        })
    }

    /// A request id for calls that produced no response id.
    pub fn fallback_request_id() -> String {
        Uuid::new_v4().to_string()
    }
}
