//! `/user/new`: a user, its team and organization memberships and, unless
//! `auto_create_key` is false, a first key, all in one transaction.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::common::{self, audited, by, invalid};
use super::{
    FIELDS, TABLE, check_email_free, check_role, fold_metadata, hash_password, public,
    schedule_reset,
};
use crate::AppState;
use crate::db::TenantTx;
use crate::governance::Period;
use crate::management::Actor;
use crate::management::body::Body;
use crate::management::rows::{self, Field, Kind};
use crate::proxy::ApiError;

const KEY_TABLE: &str = "LiteLLM_VerificationToken";

/// Fields of `/user/new` that are not user columns.
const OPTIONS: [Field; 7] = [
    ("auto_create_key", Kind::Bool),
    ("organizations", Kind::TextList),
    ("duration", Kind::Text),
    ("key_alias", Kind::Text),
    ("aliases", Kind::Object),
    ("send_invite_email", Kind::Bool),
    ("teams", Kind::Json),
];

/// A user and, by default, their first key.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the request; the handler reads the raw object"
)]
pub struct NewUserRequest {
    /// Generated when absent.
    user_id: Option<String>,
    user_email: Option<String>,
    user_alias: Option<String>,
    /// `proxy_admin`, `proxy_admin_viewer`, `internal_user` (default), `internal_user_viewer`...
    user_role: Option<String>,
    /// Team ids, or `{team_id, user_role: admin|user, max_budget_in_team}`.
    teams: Option<Vec<Value>>,
    team_id: Option<String>,
    organizations: Option<Vec<String>>,
    /// Default true: also create a key for the user.
    auto_create_key: Option<bool>,
    /// Lifetime of the created key (`30d`, `1h`...).
    duration: Option<String>,
    key_alias: Option<String>,
    models: Option<Vec<String>>,
    max_budget: Option<f64>,
    budget_duration: Option<String>,
    tpm_limit: Option<i64>,
    rpm_limit: Option<i64>,
    max_parallel_requests: Option<i64>,
    metadata: Option<Value>,
    password: Option<String>,
}

/// A team the new user joins.
struct TeamGrant {
    team_id: String,
    role: String,
    max_budget: Option<f64>,
}

fn bad_teams(index: usize, problem: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request_error",
        format!("invalid request body: teams[{index}]: {problem}"),
    )
    .with_param("teams")
}

/// `teams` as ids or `{team_id, user_role, max_budget_in_team}` objects.
fn parse_teams(body: &Map<String, Value>) -> Result<Vec<TeamGrant>, ApiError> {
    let items = match body.get("teams") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(bad_teams(0, "expected a list")),
    };
    let mut grants = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let grant = match item {
            Value::String(id) => TeamGrant {
                team_id: id.clone(),
                role: "user".into(),
                max_budget: None,
            },
            Value::Object(team) => {
                let Some(id) = team.get("team_id").and_then(Value::as_str) else {
                    return Err(bad_teams(index, "team_id is required"));
                };
                let role = team
                    .get("user_role")
                    .and_then(Value::as_str)
                    .unwrap_or("user");
                if role != "user" && role != "admin" {
                    return Err(bad_teams(index, "user_role must be admin or user"));
                }
                TeamGrant {
                    team_id: id.to_owned(),
                    role: role.to_owned(),
                    max_budget: team.get("max_budget_in_team").and_then(Value::as_f64),
                }
            }
            _ => return Err(bad_teams(index, "expected a team id or an object")),
        };
        grants.push(grant);
    }
    Ok(grants)
}

/// The user row to insert.
fn user_row(body: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    let mut row = rows::pick(body, &FIELDS)?;
    check_role(&row)?;
    common::check_not_negative(&row, &["max_budget"])?;
    if !row.get("user_id").is_some_and(Value::is_string) {
        row.insert("user_id".into(), json!(common::new_id()));
    }
    if !row.get("user_role").is_some_and(Value::is_string) {
        row.insert("user_role".into(), json!("internal_user"));
    }
    schedule_reset(&mut row)?;
    hash_password(&mut row)?;
    fold_metadata(body, &mut row, None)?;
    common::clear_nulls(
        &mut row,
        &["models", "allowed_cache_controls", "policies"],
        &["metadata", "model_max_budget"],
    );
    if row.get("spend").is_some_and(Value::is_null) {
        row.remove("spend");
    }
    Ok(row)
}

const ALIAS_TAKEN_SQL: &str = "
    SELECT 1 FROM \"LiteLLM_VerificationToken\" k WHERE k.account_id = $1 AND k.key_alias = $2 LIMIT 1";

/// Creates the user's first key as `/key/generate` would; returns the row
/// and the raw key (shown once).
async fn create_key(
    tx: &TenantTx,
    actor: &Actor,
    body: &Map<String, Value>,
    user: &Value,
) -> Result<(Value, String), ApiError> {
    let key = crate::secret::new_api_key();
    let token = crate::secret::hash_api_key(&key);
    let mut row = Map::new();
    if let Some(Value::String(alias)) = body.get("key_alias") {
        if tx
            .query_opt(ALIAS_TAKEN_SQL, &[&tx.account_id().uuid(), alias])
            .await?
            .is_some()
        {
            return Err(invalid(
                "key_alias",
                format!("Key with alias '{alias}' already exists."),
            ));
        }
        row.insert("key_alias".into(), json!(alias));
    }
    if let Some(Value::String(duration)) = body.get("duration") {
        let period = Period::parse(duration).ok_or_else(|| {
            invalid(
                "duration",
                format!("duration: `{duration}` is not a duration such as 30s, 10m, 1h, 7d or 1mo"),
            )
        })?;
        let length = chrono::Duration::from_std(period.length()).unwrap_or_default();
        row.insert("expires".into(), json!(Utc::now() + length));
    }
    if let Some(aliases @ Value::Object(_)) = body.get("aliases") {
        row.insert("aliases".into(), aliases.clone());
    }
    row.insert("token".into(), json!(token));
    row.insert(
        "key_name".into(),
        json!(format!("sk-...{}", &key[key.len().saturating_sub(4)..])),
    );
    row.insert("user_id".into(), user["user_id"].clone());
    row.insert("team_id".into(), user["team_id"].clone());
    row.insert("models".into(), user["models"].clone());
    row.insert("created_by".into(), by(actor));
    row.insert("updated_by".into(), by(actor));
    let stored = rows::insert(tx, KEY_TABLE, row).await?;
    audited(
        tx,
        actor,
        "created",
        KEY_TABLE,
        &token,
        None,
        Some(stored.clone()),
    )
    .await?;
    Ok((stored, key))
}

/// Create a user. With `auto_create_key` (the default) the response carries
/// the new key in `key`; `teams`, `team_id` and `organizations` make the user
/// a member of existing teams and organizations.
#[utoipa::path(post, path = "/user/new", operation_id = "user_new", tag = "users", request_body = NewUserRequest,
    responses((status = 200, description = "The user row plus the new key's `key`, `token`, `key_name`, `expires`")))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    actor.require_admin("/user/new")?;
    let row = user_row(&body)?;
    let options = rows::pick(&body, &OPTIONS)?;
    let mut teams = parse_teams(&body)?;
    if let Some(Value::String(team_id)) = row.get("team_id")
        && !teams.iter().any(|t| &t.team_id == team_id)
    {
        teams.push(TeamGrant {
            team_id: team_id.clone(),
            role: "user".into(),
            max_budget: None,
        });
    }
    let user_id = row
        .get("user_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let tx = state.db().tenant(actor.account).await?;
    check_email_free(&tx, &row, None).await?;
    if rows::get(&tx, TABLE, &[("user_id", &user_id)])
        .await?
        .is_some()
    {
        return Err(invalid(
            "user_id",
            format!("User with id {user_id} already exists"),
        ));
    }
    let stored = rows::insert(&tx, TABLE, row).await?;
    audited(
        &tx,
        &actor,
        "created",
        TABLE,
        &user_id,
        None,
        Some(stored.clone()),
    )
    .await?;
    for team in &teams {
        crate::management::teams::enroll_user(
            &tx,
            &actor,
            &team.team_id,
            &stored,
            &team.role,
            team.max_budget,
        )
        .await?;
    }
    if let Some(Value::Array(orgs)) = options.get("organizations") {
        for org in orgs.iter().filter_map(Value::as_str) {
            crate::management::organizations::enroll_user(
                &tx,
                &actor,
                org,
                &user_id,
                "internal_user",
                None,
            )
            .await?;
        }
    }
    let user = rows::get(&tx, TABLE, &[("user_id", &user_id)])
        .await?
        .unwrap_or(stored);
    let mut response = match public(user.clone()) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    if options.get("auto_create_key") != Some(&Value::Bool(false)) {
        let (key_row, key) = create_key(&tx, &actor, &body, &user).await?;
        for field in ["token", "key_name", "key_alias", "expires", "aliases"] {
            response.insert(field.into(), key_row[field].clone());
        }
        response.insert("key".into(), json!(key));
    } else {
        response.insert("key".into(), Value::Null);
    }
    tx.commit().await?;
    Ok(Json(Value::Object(response)))
}
