//! The account's dashboard: spend and requests over the last 30 days from
//! the daily spend table, drawn as server-side SVG bars, with the top models
//! and keys. Users who do not see the whole account see their own usage.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{Duration, Utc};

use super::page::{AccountConsole, Chrome, PageError, render};
use super::view::{Chart, dollars};
use crate::AppState;

/// Days the dashboard covers.
const DAYS: i64 = 30;

const DAILY_SQL: &str = "
    SELECT date, sum(spend)::float8, sum(api_requests)::bigint
      FROM \"LiteLLM_DailyUserSpend\"
     WHERE account_id = $1 AND date >= $2 AND ($3::text IS NULL OR user_id = $3)
     GROUP BY date ORDER BY date";

const TOP_MODELS_SQL: &str = "
    SELECT coalesce(nullif(model, ''), '(none)'), sum(spend)::float8, sum(api_requests)::bigint
      FROM \"LiteLLM_DailyUserSpend\"
     WHERE account_id = $1 AND date >= $2 AND ($3::text IS NULL OR user_id = $3)
     GROUP BY 1 ORDER BY 2 DESC, 3 DESC LIMIT 5";

const TOP_KEYS_SQL: &str = "
    SELECT d.api_key, coalesce(k.key_alias, k.key_name, ''), sum(d.spend)::float8,
           sum(d.api_requests)::bigint, k.token IS NOT NULL
      FROM \"LiteLLM_DailyUserSpend\" d
      LEFT JOIN \"LiteLLM_VerificationToken\" k ON k.account_id = d.account_id AND k.token = d.api_key
     WHERE d.account_id = $1 AND d.date >= $2 AND ($3::text IS NULL OR d.user_id = $3)
     GROUP BY d.api_key, k.key_alias, k.key_name, k.token ORDER BY 3 DESC, 4 DESC LIMIT 5";

/// A row of a "top" table.
pub struct TopRow {
    pub name: String,
    /// The key's page, when the key still exists.
    pub href: String,
    pub spend: String,
    pub requests: i64,
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    total_spend: String,
    total_requests: i64,
    spend_chart: Chart,
    requests_chart: Chart,
    models: Vec<TopRow>,
    keys: Vec<TopRow>,
}

/// The dashboard.
pub async fn show(
    State(state): State<AppState>,
    console: AccountConsole,
) -> Result<Response, PageError> {
    let actor = &console.actor;
    let today = Utc::now().date_naive();
    let first = today - Duration::days(DAYS - 1);
    let since = first.format("%Y-%m-%d").to_string();
    let own = if actor.sees_everything() {
        None
    } else {
        Some(actor.user_id.clone().unwrap_or_default())
    };
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
        [&actor.account.uuid(), &since, &own];
    let tx = state.db().tenant(actor.account).await?;
    let daily = tx.query(DAILY_SQL, &params).await?;
    let models = tx.query(TOP_MODELS_SQL, &params).await?;
    let keys = tx.query(TOP_KEYS_SQL, &params).await?;
    tx.commit().await?;

    let mut spend = Vec::new();
    let mut requests = Vec::new();
    for offset in 0..DAYS {
        let day = (first + Duration::days(offset))
            .format("%Y-%m-%d")
            .to_string();
        let found = daily.iter().find(|row| row.get::<_, String>(0) == day);
        spend.push((day.clone(), found.map_or(0.0, |row| row.get::<_, f64>(1))));
        requests.push((day, found.map_or(0, |row| row.get::<_, i64>(2)) as f64));
    }
    let total_spend: f64 = spend.iter().map(|(_, value)| value).sum();
    let total_requests: f64 = requests.iter().map(|(_, value)| value).sum();
    Ok(render(&DashboardPage {
        chrome: console.chrome("Dashboard", "/ui/dashboard"),
        total_spend: dollars(total_spend),
        total_requests: total_requests as i64,
        spend_chart: Chart::bars(&spend, dollars),
        requests_chart: Chart::bars(&requests, |value| format!("{value:.0} requests")),
        models: models
            .iter()
            .map(|row| TopRow {
                name: row.get(0),
                href: String::new(),
                spend: dollars(row.get(1)),
                requests: row.get(2),
            })
            .collect(),
        keys: keys
            .iter()
            .map(|row| {
                let hash: String = row.get(0);
                let name: String = row.get(1);
                let exists: bool = row.get(4);
                TopRow {
                    name: if name.is_empty() {
                        format!("{}…", hash.chars().take(12).collect::<String>())
                    } else {
                        name
                    },
                    href: if exists {
                        format!("/ui/keys/{hash}")
                    } else {
                        String::new()
                    },
                    spend: dollars(row.get(2)),
                    requests: row.get(3),
                }
            })
            .collect(),
    }))
}
