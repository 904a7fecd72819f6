//! Writing one account's batch in one tenant transaction. The spend-log
//! insert is the idempotency gate: only events whose row is new add to the
//! spend counters and daily aggregates, so a replayed batch changes nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Value, json};

use super::SpendEvent;
use crate::db::{AccountId, DbError, TenantTx};

/// Typed arrays, one per column, unnested together: no JSON to build here
/// or to parse in the database.
const INSERT_LOGS_SQL: &str = "
    INSERT INTO \"LiteLLM_SpendLogs\" (account_id, request_id, call_type, api_key, spend, total_tokens,
        prompt_tokens, completion_tokens, \"startTime\", \"endTime\", \"completionStartTime\", model, model_id,
        model_group, custom_llm_provider, api_base, \"user\", metadata, cache_hit, request_tags, team_id,
        organization_id, end_user, requester_ip_address, session_id, status)
    SELECT alchemi.current_account_id(), r.request_id, r.call_type, r.api_key, r.spend, r.total_tokens,
           r.prompt_tokens, r.completion_tokens, r.start_time, r.end_time, r.completion_start_time, r.model,
           r.model_id, r.model_group, r.custom_llm_provider, r.api_base, r.user_id, r.metadata, 'False',
           r.request_tags, r.team_id, r.organization_id, r.end_user, r.requester_ip_address, r.session_id, r.status
      FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::int8[], $6::int8[], $7::int8[],
                  $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::text[], $12::text[],
                  $13::text[], $14::text[], $15::text[], $16::text[], $17::jsonb[], $18::jsonb[], $19::text[],
                  $20::text[], $21::text[], $22::text[], $23::text[], $24::text[])
           AS r(request_id, call_type, api_key, spend, total_tokens, prompt_tokens, completion_tokens,
                start_time, end_time, completion_start_time, model, model_id, model_group,
                custom_llm_provider, api_base, user_id, metadata, request_tags, team_id, organization_id,
                end_user, requester_ip_address, session_id, status)
    ON CONFLICT (account_id, request_id) DO NOTHING
    RETURNING request_id";

const LOGGED_CALLS_SQL: &str = "
    SELECT request_id, metadata ->> 'call_id' FROM \"LiteLLM_SpendLogs\"
     WHERE account_id = alchemi.current_account_id() AND request_id = ANY($1::text[])";

/// Inserts spend-log rows, each event under the given request id; returns
/// the request ids actually inserted.
async fn insert_logs(
    tx: &TenantTx,
    rows: &[(&SpendEvent, &str)],
) -> Result<HashSet<String>, DbError> {
    let text =
        |f: fn(&SpendEvent) -> &str| -> Vec<&str> { rows.iter().map(|(e, _)| f(e)).collect() };
    let optional = |f: fn(&SpendEvent) -> Option<&str>| -> Vec<Option<&str>> {
        rows.iter().map(|(e, _)| f(e)).collect()
    };
    let tokens = |f: fn(&SpendEvent) -> u64| -> Vec<i64> {
        rows.iter()
            .map(|(e, _)| i64::try_from(f(e)).unwrap_or(i64::MAX))
            .collect()
    };
    let request_ids: Vec<&str> = rows.iter().map(|(_, id)| *id).collect();
    let spend: Vec<f64> = rows.iter().map(|(e, _)| e.spend).collect();
    let start: Vec<_> = rows.iter().map(|(e, _)| e.start_time).collect();
    let end: Vec<_> = rows.iter().map(|(e, _)| e.end_time).collect();
    let first: Vec<_> = rows.iter().map(|(e, _)| e.completion_start_time).collect();
    let metadata: Vec<Value> = rows.iter().map(|(e, _)| e.log_metadata()).collect();
    let tags: Vec<Value> = rows
        .iter()
        .map(|(e, _)| Value::from(e.request_tags.clone()))
        .collect();
    let status: Vec<&str> = rows
        .iter()
        .map(|(e, _)| if e.success { "success" } else { "failure" })
        .collect();
    let user: Vec<&str> = rows
        .iter()
        .map(|(e, _)| e.user_id.as_deref().unwrap_or_default())
        .collect();
    Ok(tx
        .query(
            INSERT_LOGS_SQL,
            &[
                &request_ids,
                &text(|e| &e.call_type),
                &text(|e| &e.api_key),
                &spend,
                &tokens(|e| e.usage.total_tokens()),
                &tokens(|e| e.usage.prompt_tokens),
                &tokens(|e| e.usage.completion_tokens),
                &start,
                &end,
                &first,
                &text(|e| &e.model),
                &text(|e| &e.model_id),
                &text(|e| &e.model_group),
                &text(|e| &e.custom_llm_provider),
                &text(|e| &e.api_base),
                &user,
                &metadata,
                &tags,
                &optional(|e| e.team_id.as_deref()),
                &optional(|e| e.organization_id.as_deref()),
                &optional(|e| e.end_user.as_deref()),
                &optional(|e| e.requester_ip_address.as_deref()),
                &optional(|e| e.session_id.as_deref()),
                &status,
            ],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

const KEY_SPEND_SQL: &str = "
    UPDATE \"LiteLLM_VerificationToken\" k
       SET spend = k.spend + d.spend,
           model_spend = k.model_spend || coalesce((SELECT jsonb_object_agg(m.key, coalesce((k.model_spend ->> m.key)::float8, 0) + m.value::text::float8)
                                                      FROM jsonb_each(d.models) m), '{}')
      FROM jsonb_to_recordset($1::text::jsonb) AS d(id text, spend float8, models jsonb)
     WHERE k.account_id = alchemi.current_account_id() AND k.token = d.id";
const USER_SPEND_SQL: &str = "
    UPDATE \"LiteLLM_UserTable\" u SET spend = u.spend + d.spend
      FROM jsonb_to_recordset($1::text::jsonb) AS d(id text, spend float8)
     WHERE u.account_id = alchemi.current_account_id() AND u.user_id = d.id";
const TEAM_SPEND_SQL: &str = "
    UPDATE \"LiteLLM_TeamTable\" t SET spend = t.spend + d.spend
      FROM jsonb_to_recordset($1::text::jsonb) AS d(id text, spend float8)
     WHERE t.account_id = alchemi.current_account_id() AND t.team_id = d.id";
const ORG_SPEND_SQL: &str = "
    UPDATE \"LiteLLM_OrganizationTable\" o SET spend = o.spend + d.spend
      FROM jsonb_to_recordset($1::text::jsonb) AS d(id text, spend float8)
     WHERE o.account_id = alchemi.current_account_id() AND o.organization_id = d.id";
const END_USER_SPEND_SQL: &str = "
    INSERT INTO \"LiteLLM_EndUserTable\" (account_id, user_id, spend)
    SELECT alchemi.current_account_id(), d.id, d.spend
      FROM jsonb_to_recordset($1::text::jsonb) AS d(id text, spend float8)
    ON CONFLICT (account_id, user_id) DO UPDATE SET spend = \"LiteLLM_EndUserTable\".spend + excluded.spend";
const MEMBER_SPEND_SQL: &str = "
    UPDATE \"LiteLLM_TeamMembership\" m SET spend = m.spend + d.spend
      FROM jsonb_to_recordset($1::text::jsonb) AS d(user_id text, team_id text, spend float8)
     WHERE m.account_id = alchemi.current_account_id() AND m.user_id = d.user_id AND m.team_id = d.team_id";
const ACCOUNT_SPEND_SQL: &str = "SELECT alchemi.add_account_spend($1)";

/// The daily tables and the event field each is keyed by.
const DAILY_TABLES: [(&str, &str); 5] = [
    ("LiteLLM_DailyUserSpend", "user_id"),
    ("LiteLLM_DailyTeamSpend", "team_id"),
    ("LiteLLM_DailyOrganizationSpend", "organization_id"),
    ("LiteLLM_DailyEndUserSpend", "end_user_id"),
    ("LiteLLM_DailyTagSpend", "tag"),
];

fn daily_sql(table: &str, entity: &str) -> String {
    format!(
        "INSERT INTO \"{table}\" (account_id, {entity}, date, api_key, model, model_group, custom_llm_provider,
             endpoint, prompt_tokens, completion_tokens, cache_read_input_tokens, cache_creation_input_tokens,
             spend, api_requests, successful_requests, failed_requests)
         SELECT alchemi.current_account_id(), d.entity, d.date, d.api_key, d.model, d.model_group,
                d.custom_llm_provider, d.endpoint, d.prompt_tokens, d.completion_tokens, d.cache_read,
                d.cache_creation, d.spend, d.requests, d.successes, d.failures
           FROM jsonb_to_recordset($1::text::jsonb) AS d(entity text, date text, api_key text, model text,
                model_group text, custom_llm_provider text, endpoint text, prompt_tokens bigint,
                completion_tokens bigint, cache_read bigint, cache_creation bigint, spend float8,
                requests bigint, successes bigint, failures bigint)
         ON CONFLICT (account_id, {entity}, date, api_key, model, custom_llm_provider, mcp_namespaced_tool_name, endpoint)
         DO UPDATE SET prompt_tokens = \"{table}\".prompt_tokens + excluded.prompt_tokens,
                       completion_tokens = \"{table}\".completion_tokens + excluded.completion_tokens,
                       cache_read_input_tokens = \"{table}\".cache_read_input_tokens + excluded.cache_read_input_tokens,
                       cache_creation_input_tokens = \"{table}\".cache_creation_input_tokens + excluded.cache_creation_input_tokens,
                       spend = \"{table}\".spend + excluded.spend,
                       api_requests = \"{table}\".api_requests + excluded.api_requests,
                       successful_requests = \"{table}\".successful_requests + excluded.successful_requests,
                       failed_requests = \"{table}\".failed_requests + excluded.failed_requests"
    )
}

/// Splits a batch into the first call for each request id and the calls
/// that repeat an id (providers may). A call already in the batch is left
/// out: it counts once.
fn split_repeats(events: &[SpendEvent]) -> (Vec<&SpendEvent>, Vec<&SpendEvent>) {
    let mut ids: HashSet<&str> = HashSet::new();
    let mut calls: HashSet<&str> = HashSet::new();
    let (mut firsts, mut repeats) = (Vec::with_capacity(events.len()), Vec::new());
    for event in events {
        if !calls.insert(event.call_id.as_str()) {
            continue;
        }
        if ids.insert(event.request_id.as_str()) {
            firsts.push(event);
        } else {
            repeats.push(event);
        }
    }
    (firsts, repeats)
}

/// Writes one account's events in the given transaction (the caller commits).
pub(super) async fn write_account(tx: &TenantTx, events: &[SpendEvent]) -> Result<usize, DbError> {
    let (firsts, repeats) = split_repeats(events);
    let rows: Vec<(&SpendEvent, &str)> = firsts
        .iter()
        .map(|event| (*event, event.request_id.as_str()))
        .collect();
    let inserted = insert_logs(tx, &rows).await?;
    let (mut fresh, taken): (Vec<&SpendEvent>, Vec<&SpendEvent>) = firsts
        .into_iter()
        .partition(|event| inserted.contains(&event.request_id));

    // A call whose request id is taken (by an earlier batch or by another
    // call in this one) is logged under its own call id instead, unless
    // the row holding the id is this very call: a replay, which counts once.
    let owners: HashMap<String, Option<String>> = if taken.is_empty() {
        HashMap::new()
    } else {
        let ids: Vec<&str> = taken
            .iter()
            .map(|event| event.request_id.as_str())
            .collect();
        tx.query(LOGGED_CALLS_SQL, &[&ids])
            .await?
            .into_iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect()
    };
    let moved: Vec<(&SpendEvent, &str)> = taken
        .into_iter()
        .chain(repeats)
        .filter(|event| {
            let owner = owners.get(&event.request_id).and_then(Option::as_deref);
            owner != Some(event.call_id.as_str())
        })
        .map(|event| (event, event.call_id.as_str()))
        .collect();
    if !moved.is_empty() {
        let inserted = insert_logs(tx, &moved).await?;
        fresh.extend(
            moved
                .into_iter()
                .filter(|(_, key)| inserted.contains(*key))
                .map(|(event, _)| event),
        );
    }
    if fresh.is_empty() {
        return Ok(0);
    }

    let mut keys: BTreeMap<&str, (f64, BTreeMap<&str, f64>)> = BTreeMap::new();
    let mut totals: [BTreeMap<&str, f64>; 4] = Default::default();
    let mut members: BTreeMap<(&str, &str), f64> = BTreeMap::new();
    let mut account_total = 0.0;
    for event in &fresh {
        account_total += event.spend;
        if !event.api_key.is_empty() {
            let entry = keys.entry(&event.api_key).or_default();
            entry.0 += event.spend;
            *entry.1.entry(&event.model_group).or_default() += event.spend;
        }
        let entities = [
            &event.user_id,
            &event.team_id,
            &event.organization_id,
            &event.end_user,
        ];
        for (total, entity) in totals.iter_mut().zip(entities) {
            if let Some(id) = entity {
                *total.entry(id).or_default() += event.spend;
            }
        }
        if let (Some(user), Some(team)) = (&event.user_id, &event.team_id) {
            *members.entry((user, team)).or_default() += event.spend;
        }
    }

    if account_total > 0.0 {
        let key_rows: Vec<Value> = keys
            .iter()
            .map(|(id, (spend, models))| json!({"id": id, "spend": spend, "models": models}))
            .collect();
        tx.execute(KEY_SPEND_SQL, &[&Value::Array(key_rows).to_string()])
            .await?;
        let statements = [
            USER_SPEND_SQL,
            TEAM_SPEND_SQL,
            ORG_SPEND_SQL,
            END_USER_SPEND_SQL,
        ];
        for (sql, total) in statements.iter().zip(&totals) {
            if !total.is_empty() {
                let rows: Vec<Value> = total
                    .iter()
                    .map(|(id, spend)| json!({"id": id, "spend": spend}))
                    .collect();
                tx.execute(sql, &[&Value::Array(rows).to_string()]).await?;
            }
        }
        if !members.is_empty() {
            let rows: Vec<Value> = members
                .iter()
                .map(|((user, team), spend)| json!({"user_id": user, "team_id": team, "spend": spend}))
                .collect();
            tx.execute(MEMBER_SPEND_SQL, &[&Value::Array(rows).to_string()])
                .await?;
        }
        tx.query_one(ACCOUNT_SPEND_SQL, &[&account_total]).await?;
    } else if totals[3].values().any(|_| true) {
        // End users are recorded even when a call cost nothing.
        let rows: Vec<Value> = totals[3]
            .keys()
            .map(|id| json!({"id": id, "spend": 0.0}))
            .collect();
        tx.execute(END_USER_SPEND_SQL, &[&Value::Array(rows).to_string()])
            .await?;
    }

    for (table, entity) in DAILY_TABLES {
        let rows = daily_rows(&fresh, entity);
        if !rows.is_empty() {
            tx.execute(
                &daily_sql(table, entity),
                &[&Value::Array(rows).to_string()],
            )
            .await?;
        }
    }
    Ok(fresh.len())
}

#[derive(Default)]
struct Daily {
    model_group: String,
    prompt: u64,
    completion: u64,
    cache_read: u64,
    cache_creation: u64,
    spend: f64,
    requests: u64,
    successes: u64,
}

type DailyKey = (Option<String>, String, String, String, String, String);

/// Aggregates events per (entity, day, key, model, provider, endpoint).
fn daily_rows(events: &[&SpendEvent], entity: &str) -> Vec<Value> {
    let mut groups: HashMap<DailyKey, Daily> = HashMap::new();
    for event in events {
        let entities: Vec<Option<String>> = match entity {
            "user_id" => vec![event.user_id.clone()],
            "team_id" => vec![event.team_id.clone()],
            "organization_id" => vec![event.organization_id.clone()],
            "end_user_id" => vec![event.end_user.clone()],
            _ => event.request_tags.iter().cloned().map(Some).collect(),
        };
        for id in entities {
            if id.is_none() && entity != "user_id" {
                continue;
            }
            let key = (
                id,
                event.day(),
                event.api_key.clone(),
                event.model.clone(),
                event.custom_llm_provider.clone(),
                event.endpoint.clone(),
            );
            let daily = groups.entry(key).or_default();
            daily.model_group.clone_from(&event.model_group);
            daily.prompt += event.usage.prompt_tokens;
            daily.completion += event.usage.completion_tokens;
            daily.cache_read += event.usage.cache_read_input_tokens;
            daily.cache_creation += event.usage.cache_creation_input_tokens;
            daily.spend += event.spend;
            daily.requests += 1;
            daily.successes += u64::from(event.success);
        }
    }
    groups
        .into_iter()
        .map(|((id, date, api_key, model, provider, endpoint), daily)| {
            json!({
                "entity": id, "date": date, "api_key": api_key, "model": model,
                "model_group": daily.model_group, "custom_llm_provider": provider, "endpoint": endpoint,
                "prompt_tokens": daily.prompt, "completion_tokens": daily.completion,
                "cache_read": daily.cache_read, "cache_creation": daily.cache_creation,
                "spend": daily.spend, "requests": daily.requests, "successes": daily.successes,
                "failures": daily.requests - daily.successes,
            })
        })
        .collect()
}

/// Groups events by account, dropping any that name the platform account.
pub(super) fn by_account(events: Vec<SpendEvent>) -> BTreeMap<AccountId, Vec<SpendEvent>> {
    let mut grouped: BTreeMap<AccountId, Vec<SpendEvent>> = BTreeMap::new();
    for event in events {
        match AccountId::new(event.account_id) {
            Ok(account) => grouped.entry(account).or_default().push(event),
            Err(_) => {
                tracing::error!(request_id = %event.request_id, "spend event without a tenant dropped")
            }
        }
    }
    grouped
}
