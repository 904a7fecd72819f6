//! Daily activity (`/user/daily/activity` and its team, organization,
//! customer and tag siblings): spend, tokens and requests per date with
//! their breakdown by model, model group, provider, key and endpoint, read
//! from the daily aggregate tables the spend writer keeps. Pages cut the
//! table's rows (newest date first) as LiteLLM's do, and the page's totals
//! come with it, so summing pages gives the range.

mod breakdown;
mod exceptions;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use self::breakdown::{KeyMetadata, Names, Record};
use super::Actor;
use super::body::Query;
use super::spend::query::{self, Scope, Where};
use crate::AppState;
use crate::db::TenantTx;
use crate::proxy::ApiError;

/// The largest page (LiteLLM's bound).
const MAX_PAGE_SIZE: i64 = 1000;
/// Rows the unpaged (aggregated) view reads at most.
const MAX_AGGREGATED_ROWS: i64 = 100_000;

/// The entity a daily table is kept per.
#[derive(Debug, Clone, Copy)]
enum Entity {
    User,
    Team,
    Organization,
    Customer,
    Tag,
}

impl Entity {
    fn table(self) -> &'static str {
        match self {
            Self::User => "\"LiteLLM_DailyUserSpend\"",
            Self::Team => "\"LiteLLM_DailyTeamSpend\"",
            Self::Organization => "\"LiteLLM_DailyOrganizationSpend\"",
            Self::Customer => "\"LiteLLM_DailyEndUserSpend\"",
            Self::Tag => "\"LiteLLM_DailyTagSpend\"",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Self::User => "d.user_id",
            Self::Team => "d.team_id",
            Self::Organization => "d.organization_id",
            Self::Customer => "d.end_user_id",
            Self::Tag => "d.tag",
        }
    }

    /// The statement naming entities for their breakdown, and the metadata
    /// field it fills.
    fn names_sql(self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::User | Self::Tag => None,
            Self::Team => Some((
                "SELECT team_id, team_alias FROM \"LiteLLM_TeamTable\" WHERE account_id = $1 AND team_id = ANY($2)",
                "team_alias",
            )),
            Self::Organization => Some((
                "SELECT organization_id, organization_alias FROM \"LiteLLM_OrganizationTable\"
                  WHERE account_id = $1 AND organization_id = ANY($2)",
                "organization_alias",
            )),
            Self::Customer => Some((
                "SELECT user_id, alias FROM \"LiteLLM_EndUserTable\" WHERE account_id = $1 AND user_id = ANY($2)",
                "alias",
            )),
        }
    }
}

const ROWS_SQL: &str = "
    SELECT {entity}, d.date, d.api_key, d.model, d.model_group, d.custom_llm_provider,
           d.mcp_namespaced_tool_name, d.endpoint, d.prompt_tokens, d.completion_tokens,
           d.cache_read_input_tokens, d.cache_creation_input_tokens, d.spend, d.api_requests,
           d.successful_requests, d.failed_requests
      FROM {table} d
     WHERE {where}
     ORDER BY d.date DESC, d.id
     LIMIT {limit} OFFSET {offset}";
const COUNT_SQL: &str = "SELECT count(*) FROM {table} d WHERE {where}";
const KEY_NAMES_SQL: &str = "
    SELECT token, key_alias, team_id, 0 AS rank FROM \"LiteLLM_VerificationToken\"
     WHERE account_id = $1 AND token = ANY($2)
    UNION ALL
    SELECT token, key_alias, team_id, 1 FROM \"LiteLLM_DeletedVerificationToken\"
     WHERE account_id = $1 AND token = ANY($2)
     ORDER BY 4 DESC";
const USER_TEAMS_SQL: &str = "
    SELECT unnest(teams) FROM \"LiteLLM_UserTable\" WHERE account_id = $1 AND user_id = $2
    UNION
    SELECT team_id FROM \"LiteLLM_TeamMembership\" WHERE account_id = $1 AND user_id = $2";
const USER_ORGS_SQL: &str = "
    SELECT organization_id FROM \"LiteLLM_OrganizationMembership\" WHERE account_id = $1 AND user_id = $2
    UNION
    SELECT organization_id FROM \"LiteLLM_UserTable\"
     WHERE account_id = $1 AND user_id = $2 AND organization_id IS NOT NULL";

/// What one activity request asks for, whatever the entity.
struct Request {
    entity: Entity,
    start_date: Option<String>,
    end_date: Option<String>,
    model: Option<String>,
    api_key: Option<String>,
    /// Entities to include (`None`: all the caller may see).
    ids: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
    /// `None` for the unpaged view.
    page: Option<(i64, i64)>,
}

fn filter(actor: &Actor, request: &Request) -> Result<Where, ApiError> {
    let (first, last) =
        query::day_range(request.start_date.as_deref(), request.end_date.as_deref())?;
    let mut filter = Where::new(actor.account, "d.account_id");
    filter.push("d.date >= {}", query::day_key(first));
    filter.push("d.date <= {}", query::day_key(last));
    filter.push_some("d.model = {}", request.model.clone());
    filter.push_some(
        "d.api_key = {}",
        request.api_key.as_deref().map(query::key_hash),
    );
    let column = request.entity.column();
    if let Some(ids) = &request.ids {
        filter.push(&format!("{column} = ANY({{}})"), ids.clone());
    }
    if let Some(exclude) = &request.exclude {
        filter.push(
            &format!("coalesce({column} <> ALL({{}}), true)"),
            exclude.clone(),
        );
    }
    Ok(filter)
}

fn record(row: &tokio_postgres::Row) -> Record {
    Record {
        entity: row.get(0),
        date: row.get(1),
        api_key: row.get(2),
        model: row.get(3),
        model_group: row.get(4),
        provider: row.get(5),
        mcp_tool: row.get(6),
        endpoint: row.get(7),
        prompt_tokens: row.get(8),
        completion_tokens: row.get(9),
        cache_read_input_tokens: row.get(10),
        cache_creation_input_tokens: row.get(11),
        spend: row.get(12),
        api_requests: row.get(13),
        successful_requests: row.get(14),
        failed_requests: row.get(15),
    }
}

async fn names(
    tx: &TenantTx,
    actor: &Actor,
    entity: Entity,
    records: &[Record],
) -> Result<Names, ApiError> {
    let account = actor.account.uuid();
    let mut keys: Vec<&str> = records.iter().map(|r| r.api_key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut names = Names::default();
    for row in tx.query(KEY_NAMES_SQL, &[&account, &keys]).await? {
        // Active keys come last and win over archived copies.
        names.keys.insert(
            row.get(0),
            KeyMetadata {
                key_alias: row.get(1),
                team_id: row.get(2),
            },
        );
    }
    if let Some((sql, field)) = entity.names_sql() {
        let mut ids: Vec<&str> = records.iter().filter_map(|r| r.entity.as_deref()).collect();
        ids.sort_unstable();
        ids.dedup();
        for row in tx.query(sql, &[&account, &ids]).await? {
            let (id, name): (String, Option<String>) = (row.get(0), row.get(1));
            let mut metadata = Map::new();
            metadata.insert(field.to_owned(), json!(name));
            names.entities.insert(id, metadata);
        }
    }
    Ok(names)
}

async fn activity(
    state: &AppState,
    actor: &Actor,
    mut request: Request,
) -> Result<Json<Value>, ApiError> {
    let tx = state.db().tenant(actor.account).await?;
    restrict(&tx, actor, &mut request).await?;
    let mut filter = filter(actor, &request)?;
    let table = request.entity.table();
    let (page, size, total) = match request.page {
        Some((page, size)) => {
            let sql = COUNT_SQL
                .replace("{table}", table)
                .replace("{where}", &filter.sql());
            let total: i64 = tx.query_one(&sql, &filter.params()).await?.get(0);
            (page, size, total)
        }
        None => (1, MAX_AGGREGATED_ROWS + 1, 0),
    };
    let limit = filter.param(size);
    let offset = filter.param((page - 1) * size);
    let sql = ROWS_SQL
        .replace("{entity}", request.entity.column())
        .replace("{table}", table)
        .replace("{where}", &filter.sql())
        .replace("{limit}", &limit)
        .replace("{offset}", &offset);
    let records: Vec<Record> = tx
        .query(&sql, &filter.params())
        .await?
        .iter()
        .map(record)
        .collect();
    if request.page.is_none() && records.len() as i64 > MAX_AGGREGATED_ROWS {
        return Err(ApiError::bad_request(
            "The date range holds too many rows to aggregate at once; narrow it or use the paged endpoint",
        ));
    }
    let names = names(&tx, actor, request.entity, &records).await?;
    tx.commit().await?;
    let body = match request.page {
        Some(_) => breakdown::respond(
            &records,
            &names,
            page,
            query::pages(total, size),
            page * size < total,
        ),
        None => breakdown::respond(&records, &names, 1, 1, false),
    };
    Ok(Json(body))
}

/// LiteLLM's refusal of a team (or organization) the caller is not in.
fn not_member(kind: &str, id: &str) -> ApiError {
    let plural = if kind == "Team" {
        "teams"
    } else {
        "organizations"
    };
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found_error",
        format!("User does not belong to {kind}= {id}. Call `/user/info` to see user's {plural}"),
    )
}

/// Narrows a request to what the caller may see: internal users their own
/// spend, their teams and their organizations; customers and tags are for
/// admins and viewers.
async fn restrict(tx: &TenantTx, actor: &Actor, request: &mut Request) -> Result<(), ApiError> {
    let scope = Scope::of(actor);
    if scope == Scope::Account {
        return Ok(());
    }
    let account = actor.account.uuid();
    let (mine, kind): (Vec<String>, &str) = match request.entity {
        Entity::User => {
            match scope {
                Scope::User(user) => request.ids = Some(vec![user]),
                Scope::Key(key) => request.api_key = Some(key),
                Scope::Account => {}
            }
            return Ok(());
        }
        Entity::Customer => return actor.require_viewer("/customer/daily/activity"),
        Entity::Tag => return actor.require_viewer("/tag/daily/activity"),
        Entity::Team => {
            let mut teams: Vec<String> = match &actor.user_id {
                Some(user) => tx
                    .query(USER_TEAMS_SQL, &[&account, user])
                    .await?
                    .iter()
                    .filter_map(|row| row.get::<_, Option<String>>(0))
                    .collect(),
                None => Vec::new(),
            };
            teams.extend(actor.team_id.clone());
            (teams, "Team")
        }
        Entity::Organization => {
            let orgs: Vec<String> = match &actor.user_id {
                Some(user) => tx
                    .query(USER_ORGS_SQL, &[&account, user])
                    .await?
                    .iter()
                    .filter_map(|row| row.get::<_, Option<String>>(0))
                    .collect(),
                None => Vec::new(),
            };
            (orgs, "Organization")
        }
    };
    match &request.ids {
        Some(ids) => {
            if let Some(foreign) = ids.iter().find(|id| !mine.contains(id)) {
                return Err(not_member(kind, foreign));
            }
        }
        None => request.ids = Some(mine),
    }
    Ok(())
}

/// `/user/daily/activity` parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct UserQuery {
    /// `YYYY-MM-DD`, inclusive (required).
    start_date: Option<String>,
    /// `YYYY-MM-DD`, inclusive (required).
    end_date: Option<String>,
    model: Option<String>,
    /// A raw key or its hash.
    api_key: Option<String>,
    /// One user (admins and viewers; internal users always see their own).
    user_id: Option<String>,
    page: Option<i64>,
    /// Rows per page (default 50, at most 1000).
    page_size: Option<i64>,
}

impl UserQuery {
    fn request(self, page: Option<(i64, i64)>) -> Request {
        Request {
            entity: Entity::User,
            start_date: self.start_date,
            end_date: self.end_date,
            model: self.model,
            api_key: self.api_key,
            ids: self.user_id.map(|user| vec![user]),
            exclude: None,
            page,
        }
    }
}

/// Spend per date for users (an internal user: their own), with its
/// breakdown; a page of the daily rows.
#[utoipa::path(get, path = "/user/daily/activity", tag = "activity", params(UserQuery),
    responses((status = 200, description = "{results: [{date, metrics, breakdown}], metadata}")))]
async fn user_activity(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<UserQuery>,
) -> Result<Json<Value>, ApiError> {
    let page = query::paging(query.page, query.page_size, 50, MAX_PAGE_SIZE)?;
    activity(&state, &actor, query.request(Some(page))).await
}

/// The same over the whole range in one answer (no paging).
#[utoipa::path(get, path = "/user/daily/activity/aggregated", tag = "activity", params(UserQuery),
    responses((status = 200, description = "{results: [{date, metrics, breakdown}], metadata}")))]
async fn user_activity_aggregated(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<UserQuery>,
) -> Result<Json<Value>, ApiError> {
    activity(&state, &actor, query.request(None)).await
}

/// Parameters of the team, organization, customer and tag views: the
/// entity ids to include or exclude are comma-separated lists.
#[derive(Debug, Deserialize, IntoParams)]
pub struct EntityQuery {
    /// `YYYY-MM-DD`, inclusive (required).
    start_date: Option<String>,
    /// `YYYY-MM-DD`, inclusive (required).
    end_date: Option<String>,
    model: Option<String>,
    /// A raw key or its hash.
    api_key: Option<String>,
    page: Option<i64>,
    /// Rows per page (default 10, at most 1000).
    page_size: Option<i64>,
    team_ids: Option<String>,
    exclude_team_ids: Option<String>,
    organization_ids: Option<String>,
    exclude_organization_ids: Option<String>,
    end_user_ids: Option<String>,
    exclude_end_user_ids: Option<String>,
    tags: Option<String>,
    exclude_tags: Option<String>,
}

async fn entity_activity(
    state: &AppState,
    actor: &Actor,
    entity: Entity,
    query: EntityQuery,
) -> Result<Json<Value>, ApiError> {
    let page = query::paging(query.page, query.page_size, 10, MAX_PAGE_SIZE)?;
    let (ids, exclude) = match entity {
        Entity::Team => (query.team_ids, query.exclude_team_ids),
        Entity::Organization => (query.organization_ids, query.exclude_organization_ids),
        Entity::Customer => (query.end_user_ids, query.exclude_end_user_ids),
        Entity::Tag | Entity::User => (query.tags, query.exclude_tags),
    };
    let request = Request {
        entity,
        start_date: query.start_date,
        end_date: query.end_date,
        model: query.model,
        api_key: query.api_key,
        ids: query::id_list(ids.as_deref()),
        exclude: query::id_list(exclude.as_deref()),
        page: Some(page),
    };
    activity(state, actor, request).await
}

/// Spend per date for teams (`team_ids`, `exclude_team_ids`; an internal
/// user: their teams), with each team under `breakdown.entities`.
#[utoipa::path(get, path = "/team/daily/activity", tag = "activity", params(EntityQuery),
    responses((status = 200, description = "{results, metadata}"), (status = 404, description = "Not a member of a team asked for")))]
async fn team_activity(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<EntityQuery>,
) -> Result<Json<Value>, ApiError> {
    entity_activity(&state, &actor, Entity::Team, query).await
}

/// Spend per date for organizations (`organization_ids`,
/// `exclude_organization_ids`; an internal user: their organizations).
#[utoipa::path(get, path = "/organization/daily/activity", tag = "activity", params(EntityQuery),
    responses((status = 200, description = "{results, metadata}"), (status = 404, description = "Not a member of an organization asked for")))]
async fn organization_activity(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<EntityQuery>,
) -> Result<Json<Value>, ApiError> {
    entity_activity(&state, &actor, Entity::Organization, query).await
}

/// Spend per date for customers (`end_user_ids`, `exclude_end_user_ids`);
/// admins and viewers.
#[utoipa::path(get, path = "/customer/daily/activity", tag = "activity", params(EntityQuery),
    responses((status = 200, description = "{results, metadata}")))]
async fn customer_activity(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<EntityQuery>,
) -> Result<Json<Value>, ApiError> {
    entity_activity(&state, &actor, Entity::Customer, query).await
}

/// Spend per date for request tags (`tags`, `exclude_tags`); admins and
/// viewers.
#[utoipa::path(get, path = "/tag/daily/activity", tag = "activity", params(EntityQuery),
    responses((status = 200, description = "{results, metadata}")))]
async fn tag_activity(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<EntityQuery>,
) -> Result<Json<Value>, ApiError> {
    entity_activity(&state, &actor, Entity::Tag, query).await
}

/// This family's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(user_activity))
        .routes(routes!(user_activity_aggregated))
        .routes(routes!(team_activity))
        .routes(routes!(organization_activity))
        .routes(routes!(customer_activity))
        .routes(routes!(tag_activity))
        .routes(routes!(exceptions::exceptions))
        .routes(routes!(exceptions::exceptions_by_deployment))
}
