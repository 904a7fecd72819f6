//! Teams: the paged list (searched by alias or id), the create form, and a
//! team's page with its members, budget and limits, models, block/unblock
//! and delete. Every change goes through the `/team/*` functions, so roles,
//! validation and audit rows are the API's; membership forms are in
//! `team_members`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::form::{LimitFields, Request};
use super::list::{ListParams, PAGE_SIZE, list_page, page_info};
use super::page::{AccountConsole, Chrome, PageError, render, see_other};
use super::team_members::TEAM_ROLES;
use super::view::{Limits, Link, budget, day, each, href, joined, models, money, text};
use crate::AppState;
use crate::management::teams::create::create as create_team;
use crate::management::teams::read::{ListV2Query, TeamQuery, info, list_v2};
use crate::management::teams::write::{self, DeleteTeamsRequest, TeamRef};

/// One team as the pages show it.
pub struct TeamRow {
    pub id: String,
    pub href: String,
    pub alias: String,
    pub models: String,
    pub spend: String,
    pub max_budget: String,
    pub budget_duration: String,
    pub rpm: String,
    pub tpm: String,
    pub members: usize,
    pub blocked: bool,
    pub created: String,
}

impl TeamRow {
    fn of(row: &Value) -> Self {
        let id = text(&row["team_id"]);
        Self {
            href: href("/ui/teams", &id),
            id,
            alias: text(&row["team_alias"]),
            models: models(&row["models"]),
            spend: money(&row["spend"]),
            max_budget: budget(&row["max_budget"]),
            budget_duration: text(&row["budget_duration"]),
            rpm: text(&row["rpm_limit"]),
            tpm: text(&row["tpm_limit"]),
            members: row["members_with_roles"].as_array().map_or(0, Vec::len),
            blocked: row["blocked"].as_bool().unwrap_or(false),
            created: day(&row["created_at"]),
        }
    }
}

list_page!(TeamsPage, TeamRow, "console/teams/list.html");

/// The account's teams (others see the teams they are in).
pub async fn list(
    State(state): State<AppState>,
    console: AccountConsole,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let query = ListV2Query {
        page: params.page(),
        page_size: PAGE_SIZE,
        search: Some(params.search().to_owned()),
        ..ListV2Query::default()
    };
    let answer = console.read(&state, list_v2, query).await?;
    let teams = each(&answer["teams"], TeamRow::of);
    let info = page_info(&answer, ["total", "page", "total_pages"]);
    Ok(render(&TeamsPage(console.listing(
        "Teams",
        "/ui/teams",
        &params,
        teams,
        info,
    ))))
}

/// The team form's fields (create and edit); a field the form does not
/// carry is left as it is.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TeamFields {
    team_alias: Option<String>,
    /// Comma-separated; empty for all.
    models: Option<String>,
    #[serde(flatten)]
    limits: LimitFields,
}

impl TeamFields {
    fn fill(&self, request: &mut Request) -> Result<Map<String, Value>, PageError> {
        request
            .text("team_alias", self.team_alias.as_deref())
            .list("models", self.models.as_deref())
            .limits(&self.limits)?;
        Ok(request.body())
    }
}

#[derive(Template)]
#[template(path = "console/teams/new.html")]
struct NewTeamPage {
    chrome: Chrome,
    limits: Limits,
}

/// The create form (account admins only).
pub async fn new_form(console: AccountConsole) -> Result<Response, PageError> {
    console.require_writer()?;
    Ok(render(&NewTeamPage {
        chrome: console.chrome("New team", "/ui/teams"),
        limits: Limits::default(),
    }))
}

/// Creates the team and shows it.
pub async fn create(
    State(state): State<AppState>,
    console: AccountConsole,
    Form(fields): Form<TeamFields>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    let body = fields.fill(&mut Request::create())?;
    let team = console.call(&state, create_team, body).await?;
    Ok(see_other(&href("/ui/teams", &text(&team["team_id"]))))
}

/// One member in the team page.
pub struct MemberRow {
    pub user_id: String,
    pub email: String,
    pub role: String,
    pub spend: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "console/teams/detail.html")]
struct TeamPage {
    chrome: Chrome,
    can_write: bool,
    /// The account admin or one of the team's admins.
    can_manage_members: bool,
    team: TeamRow,
    organization: String,
    members: Vec<MemberRow>,
    /// The roles the member forms offer.
    roles: [&'static str; 2],
    keys: Vec<Link>,
    alias: String,
    model_list: String,
    limits: Limits,
}

/// A team: its members, keys, budget and limits, and models. Another
/// account's team is the same 404 as a missing one.
pub async fn detail(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let answer = console
        .read(&state, info, TeamQuery { team_id: id })
        .await?;
    let row = &answer["team_info"];
    let spend_of = |user_id: &str| {
        answer["team_memberships"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["user_id"] == user_id)
            .map(|m| money(&m["spend"]))
            .unwrap_or_else(|| money(&json!(0)))
    };
    let members: Vec<MemberRow> = each(&row["members_with_roles"], |member| {
        let user_id = text(&member["user_id"]);
        MemberRow {
            email: text(&member["user_email"]),
            role: text(&member["role"]),
            spend: spend_of(&user_id),
            href: href("/ui/users", &user_id),
            user_id,
        }
    });
    let own = console.actor.user_id.as_deref().unwrap_or_default();
    let team_admin = members
        .iter()
        .any(|member| member.user_id == own && member.role == "admin");
    let keys = each(&answer["keys"], Link::key);
    let team = TeamRow::of(row);
    let title = if team.alias.is_empty() {
        team.id.clone()
    } else {
        team.alias.clone()
    };
    Ok(render(&TeamPage {
        chrome: console.chrome(&title, "/ui/teams"),
        can_write: console.can_write(),
        can_manage_members: console.can_write() || team_admin,
        organization: text(&row["organization_id"]),
        members,
        roles: TEAM_ROLES,
        keys,
        alias: text(&row["team_alias"]),
        model_list: joined(&row["models"]),
        limits: Limits::of(row),
        team,
    }))
}

/// Saves what the submitted form carries (settings, limits or models).
pub async fn update(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
    Form(fields): Form<TeamFields>,
) -> Result<Response, PageError> {
    let body = || fields.fill(Request::edit().set("team_id", json!(id)));
    let to = href("/ui/teams", &id);
    console.change(&state, write::update, body, &to).await
}

/// Blocks every key of the team.
pub async fn block(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let to = href("/ui/teams", &id);
    let team = || Ok(TeamRef { team_id: id });
    console.change(&state, write::block, team, &to).await
}

/// Lets the team's keys call again.
pub async fn unblock(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let to = href("/ui/teams", &id);
    let team = || Ok(TeamRef { team_id: id });
    console.change(&state, write::unblock, team, &to).await
}

/// Deletes the team with its keys and memberships.
pub async fn delete(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let request = || Ok(DeleteTeamsRequest { team_ids: vec![id] });
    console
        .change(&state, write::delete, request, "/ui/teams")
        .await
}
