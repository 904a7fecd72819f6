//! Folding daily-table rows into LiteLLM's activity response: per date the
//! metrics and their breakdown by model, model group, MCP server, provider,
//! endpoint, key and entity (each with its per-key share), plus totals.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{Map, Value, json};

/// One row of a daily spend table.
pub(super) struct Record {
    pub entity: Option<String>,
    pub date: String,
    pub api_key: String,
    pub model: Option<String>,
    pub model_group: Option<String>,
    pub provider: Option<String>,
    pub mcp_tool: Option<String>,
    pub endpoint: Option<String>,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cache_read_input_tokens: i64,
    pub cache_creation_input_tokens: i64,
    pub spend: f64,
    pub api_requests: i64,
    pub successful_requests: i64,
    pub failed_requests: i64,
}

/// LiteLLM's `SpendMetrics`.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub(super) struct Metrics {
    spend: f64,
    prompt_tokens: i64,
    completion_tokens: i64,
    cache_read_input_tokens: i64,
    cache_creation_input_tokens: i64,
    total_tokens: i64,
    successful_requests: i64,
    failed_requests: i64,
    api_requests: i64,
}

impl Metrics {
    fn add(&mut self, record: &Record) {
        self.spend += record.spend;
        self.prompt_tokens += record.prompt_tokens;
        self.completion_tokens += record.completion_tokens;
        self.total_tokens += record.prompt_tokens + record.completion_tokens;
        self.cache_read_input_tokens += record.cache_read_input_tokens;
        self.cache_creation_input_tokens += record.cache_creation_input_tokens;
        self.api_requests += record.api_requests;
        self.successful_requests += record.successful_requests;
        self.failed_requests += record.failed_requests;
    }
}

/// What the key breakdowns say about a key.
#[derive(Debug, Default, Clone, Serialize)]
pub(super) struct KeyMetadata {
    pub key_alias: Option<String>,
    pub team_id: Option<String>,
}

#[derive(Debug, Serialize)]
struct KeyMetrics {
    metrics: Metrics,
    metadata: KeyMetadata,
}

#[derive(Debug, Default, Serialize)]
struct Grouped {
    metrics: Metrics,
    metadata: Map<String, Value>,
    api_key_breakdown: BTreeMap<String, KeyMetrics>,
}

#[derive(Debug, Default, Serialize)]
struct Breakdown {
    models: BTreeMap<String, Grouped>,
    model_groups: BTreeMap<String, Grouped>,
    mcp_servers: BTreeMap<String, Grouped>,
    providers: BTreeMap<String, Grouped>,
    endpoints: BTreeMap<String, Grouped>,
    api_keys: BTreeMap<String, KeyMetrics>,
    entities: BTreeMap<String, Grouped>,
}

#[derive(Debug, Default)]
struct Day {
    metrics: Metrics,
    breakdown: Breakdown,
}

/// Names resolved for the response: key aliases and entity metadata
/// (`team_alias`, `organization_alias`, `alias`).
#[derive(Default)]
pub(super) struct Names {
    pub keys: HashMap<String, KeyMetadata>,
    pub entities: HashMap<String, Map<String, Value>>,
}

fn key_metrics(names: &Names, key: &str) -> KeyMetrics {
    KeyMetrics {
        metrics: Metrics::default(),
        metadata: names.keys.get(key).cloned().unwrap_or_default(),
    }
}

fn add_grouped(
    target: &mut BTreeMap<String, Grouped>,
    name: &str,
    metadata: Option<&Map<String, Value>>,
    record: &Record,
    names: &Names,
) {
    let group = target.entry(name.to_owned()).or_insert_with(|| Grouped {
        metadata: metadata.cloned().unwrap_or_default(),
        ..Grouped::default()
    });
    group.metrics.add(record);
    group
        .api_key_breakdown
        .entry(record.api_key.clone())
        .or_insert_with(|| key_metrics(names, &record.api_key))
        .metrics
        .add(record);
}

fn present(value: Option<&String>) -> Option<&str> {
    value.map(String::as_str).filter(|text| !text.is_empty())
}

/// `{results: [{date, metrics, breakdown}], metadata: {totals..., page,
/// total_pages, has_more}}`, newest date first.
pub(super) fn respond(
    records: &[Record],
    names: &Names,
    page: i64,
    total_pages: i64,
    has_more: bool,
) -> Value {
    let mut days: BTreeMap<&str, Day> = BTreeMap::new();
    let mut totals = Metrics::default();
    for record in records {
        totals.add(record);
        let day = days.entry(record.date.as_str()).or_default();
        day.metrics.add(record);
        let breakdown = &mut day.breakdown;
        if let Some(model) = present(record.model.as_ref()) {
            add_grouped(&mut breakdown.models, model, None, record, names);
        }
        if let Some(group) = present(record.model_group.as_ref()).or(present(record.model.as_ref()))
        {
            add_grouped(&mut breakdown.model_groups, group, None, record, names);
        }
        if let Some(tool) = present(record.mcp_tool.as_ref()) {
            add_grouped(&mut breakdown.mcp_servers, tool, None, record, names);
        }
        let provider = present(record.provider.as_ref()).unwrap_or("unknown");
        add_grouped(&mut breakdown.providers, provider, None, record, names);
        if let Some(endpoint) = present(record.endpoint.as_ref()) {
            add_grouped(&mut breakdown.endpoints, endpoint, None, record, names);
        }
        breakdown
            .api_keys
            .entry(record.api_key.clone())
            .or_insert_with(|| key_metrics(names, &record.api_key))
            .metrics
            .add(record);
        let entity = present(record.entity.as_ref()).unwrap_or("Unassigned");
        add_grouped(
            &mut breakdown.entities,
            entity,
            names.entities.get(entity),
            record,
            names,
        );
    }
    let results: Vec<Value> = days
        .into_iter()
        .rev()
        .map(
            |(date, day)| json!({"date": date, "metrics": day.metrics, "breakdown": day.breakdown}),
        )
        .collect();
    json!({
        "results": results,
        "metadata": {
            "total_spend": totals.spend,
            "total_prompt_tokens": totals.prompt_tokens,
            "total_completion_tokens": totals.completion_tokens,
            "total_tokens": totals.total_tokens,
            "total_api_requests": totals.api_requests,
            "total_successful_requests": totals.successful_requests,
            "total_failed_requests": totals.failed_requests,
            "total_cache_read_input_tokens": totals.cache_read_input_tokens,
            "total_cache_creation_input_tokens": totals.cache_creation_input_tokens,
            "page": page,
            "total_pages": total_pages,
            "has_more": has_more,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(date: &str, key: &str, model: &str, spend: f64, failed: i64) -> Record {
        Record {
            entity: Some("u1".into()),
            date: date.into(),
            api_key: key.into(),
            model: Some(model.into()),
            model_group: Some(format!("{model}-group")),
            provider: None,
            mcp_tool: None,
            endpoint: Some("/chat/completions".into()),
            prompt_tokens: 9,
            completion_tokens: 12,
            cache_read_input_tokens: 0,
            cache_creation_input_tokens: 0,
            spend,
            api_requests: 1,
            successful_requests: 1 - failed,
            failed_requests: failed,
        }
    }

    #[test]
    fn rows_fold_into_days_and_breakdowns() {
        let mut names = Names::default();
        names.keys.insert(
            "k1".into(),
            KeyMetadata {
                key_alias: Some("alias-1".into()),
                team_id: None,
            },
        );
        let records = [
            record("2024-01-01", "k1", "m", 0.5, 0),
            record("2024-01-02", "k1", "m", 0.25, 0),
            record("2024-01-02", "k2", "n", 0.0, 1),
        ];
        let body = respond(&records, &names, 1, 1, false);
        let results = body["results"].as_array().unwrap();
        assert_eq!(results[0]["date"], "2024-01-02", "newest first");
        assert_eq!(results[0]["metrics"]["api_requests"], 2);
        assert_eq!(results[0]["metrics"]["failed_requests"], 1);
        assert_eq!(results[0]["metrics"]["total_tokens"], 42);
        let breakdown = &results[0]["breakdown"];
        assert_eq!(breakdown["models"]["m"]["metrics"]["spend"], 0.25);
        assert_eq!(
            breakdown["model_groups"]["n-group"]["metrics"]["failed_requests"],
            1
        );
        assert_eq!(
            breakdown["providers"]["unknown"]["metrics"]["api_requests"],
            2
        );
        assert_eq!(
            breakdown["api_keys"]["k1"]["metadata"]["key_alias"],
            "alias-1"
        );
        assert_eq!(
            breakdown["models"]["m"]["api_key_breakdown"]["k1"]["metrics"]["spend"],
            0.25
        );
        assert_eq!(breakdown["entities"]["u1"]["metrics"]["api_requests"], 2);
        assert_eq!(
            breakdown["endpoints"]["/chat/completions"]["metrics"]["api_requests"],
            2
        );
        assert_eq!(body["metadata"]["total_spend"], 0.75);
        assert_eq!(body["metadata"]["total_api_requests"], 3);
        assert_eq!(body["metadata"]["has_more"], false);
    }
}
