//! `/model_group/info`: per public model name, what its deployments offer
//! together (providers, the largest context window and prices, summed
//! tpm/rpm, capabilities). A wildcard group (`anthropic/*`) stands for every
//! model of its provider that the price table knows, and is listed as those.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::IntoParams;

use super::describe::{self, SUPPORTS};
use super::info::{load, may_see, team_sees};
use crate::AppState;
use crate::management::body::Query;
use crate::pricing::PriceTable;
use crate::proxy::{ApiError, allows};
use crate::routing::Deployment;

/// Fields where the group reports the largest value of its members.
const MAXIMA: [&str; 4] = [
    "max_input_tokens",
    "max_output_tokens",
    "input_cost_per_token",
    "output_cost_per_token",
];

/// `?model_group=`: one group only.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct GroupQuery {
    model_group: Option<String>,
}

/// What a group's members offer together.
#[derive(Default)]
struct Group {
    providers: Vec<String>,
    tpm: Option<u64>,
    rpm: Option<u64>,
    info: Map<String, Value>,
}

fn sum(total: Option<u64>, more: Option<u64>) -> Option<u64> {
    match (total, more) {
        (None, None) => None,
        _ => Some(total.unwrap_or(0).saturating_add(more.unwrap_or(0))),
    }
}

impl Group {
    fn add(&mut self, provider: &str, info: &Map<String, Value>, deployment: &Deployment) {
        if !self.providers.iter().any(|known| known == provider) {
            self.providers.push(provider.to_owned());
        }
        for name in MAXIMA {
            let Some(new) = info.get(name).filter(|value| value.is_number()) else {
                continue;
            };
            let larger = match self.info.get(name).and_then(Value::as_f64) {
                Some(old) => new.as_f64().is_some_and(|new| new > old),
                None => true,
            };
            if larger {
                self.info.insert(name.to_owned(), new.clone());
            }
        }
        if self.info.get("mode").is_none_or(Value::is_null) {
            self.info.insert(
                "mode".into(),
                info.get("mode").cloned().unwrap_or(Value::Null),
            );
        }
        for flag in SUPPORTS {
            let on = info.get(flag).and_then(Value::as_bool).unwrap_or(false)
                || self
                    .info
                    .get(flag)
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
            self.info.insert(flag.to_owned(), json!(on));
        }
        let mut params: Vec<Value> = self
            .info
            .get("supported_openai_params")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for param in info
            .get("supported_openai_params")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !params.contains(param) {
                params.push(param.clone());
            }
        }
        self.info
            .insert("supported_openai_params".into(), Value::Array(params));
        self.tpm = sum(self.tpm, deployment.tpm);
        self.rpm = sum(self.rpm, deployment.rpm);
    }

    fn render(self, name: &str) -> Value {
        let mut out = Map::new();
        out.insert("model_group".into(), json!(name));
        out.insert("providers".into(), json!(self.providers));
        for field in MAXIMA {
            out.insert(
                field.into(),
                self.info.get(field).cloned().unwrap_or(Value::Null),
            );
        }
        out.insert(
            "mode".into(),
            self.info.get("mode").cloned().unwrap_or(Value::Null),
        );
        out.insert("tpm".into(), json!(self.tpm));
        out.insert("rpm".into(), json!(self.rpm));
        for flag in SUPPORTS {
            out.insert(
                flag.into(),
                self.info.get(flag).cloned().unwrap_or(json!(false)),
            );
        }
        out.insert(
            "supported_openai_params".into(),
            self.info
                .get("supported_openai_params")
                .cloned()
                .unwrap_or(json!([])),
        );
        out.insert("configurable_clientside_auth_params".into(), Value::Null);
        out.insert("is_public_model_group".into(), json!(false));
        Value::Object(out)
    }
}

/// The models a wildcard deployment stands for: `(group name, table facts)`.
fn expand(deployment: &Deployment) -> Vec<(String, Map<String, Value>)> {
    if !deployment.model_name.contains('*') || !deployment.upstream_model.contains('*') {
        return Vec::new();
    }
    let provider = deployment.provider.name.as_str();
    PriceTable::builtin()
        .entries()
        .filter(|(_, price)| price.provider.as_deref() == Some(provider))
        .filter_map(|(name, price)| {
            let tail = name
                .strip_prefix(provider)
                .and_then(|rest| rest.strip_prefix('/'))
                .unwrap_or(name);
            // Region and size variants (`us-east-1/...`) are not models of their own.
            if tail.contains('/') {
                return None;
            }
            let group = deployment.model_name.replacen('*', tail, 1);
            Some((group, describe::from_table(name, provider, Some(price))))
        })
        .collect()
}

/// Model groups the calling key may use.
#[utoipa::path(get, path = "/model_group/info", tag = "models", params(GroupQuery),
    responses((status = 200, description = "`{\"data\": [{model_group, providers, max_input_tokens, ...}]}`")))]
pub async fn model_group_info(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<GroupQuery>,
) -> Result<Json<Value>, ApiError> {
    let (caller, models) = load(&state, &headers).await?;
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let wanted = |name: &str| {
        query
            .model_group
            .as_deref()
            .is_none_or(|group| group == name)
    };
    for deployment in &models.deployments {
        let provider = deployment.provider.name.as_str();
        let expanded = expand(deployment);
        if expanded.is_empty() {
            if wanted(&deployment.model_name) && may_see(&caller, deployment, &models) {
                let info = describe::model_info(deployment);
                groups
                    .entry(deployment.model_name.clone())
                    .or_default()
                    .add(provider, &info, deployment);
            }
            continue;
        }
        if !team_sees(&caller, deployment) {
            continue;
        }
        for (name, info) in expanded {
            // An explicit group of the same name describes it better.
            let explicit = models.deployments.iter().any(|d| d.model_name == name);
            if explicit || !wanted(&name) || !allows(&caller, &name, &models) {
                continue;
            }
            groups
                .entry(name)
                .or_default()
                .add(provider, &info, deployment);
        }
    }
    let data: Vec<Value> = groups
        .into_iter()
        .map(|(name, group)| group.render(&name))
        .collect();
    Ok(Json(json!({"data": data})))
}
