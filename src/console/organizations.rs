//! Organizations: the paged list (searched by alias or id), the create
//! form, and an organization's page with its members (add, remove), teams,
//! budget and models. Every change goes through the `/organization/*`
//! functions, so roles, validation and audit rows are the API's.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::{Form, Json};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::form::{LimitFields, Request, invalid, member};
use super::page::{AccountConsole, Chrome, PageError, apply, render, see_other};
use super::view::{Limits, Pager, budget, day, href, joined, models, money, text};
use crate::AppState;
use crate::management::body::{Body, Query as ApiQuery};
use crate::management::organizations::members::{member_add, member_delete};
use crate::management::organizations::read::{InfoQuery, info, list_page};
use crate::management::organizations::{self as api, DeleteOrganizationsRequest};
use crate::management::paging::PageQuery;

/// Organizations per page.
const PAGE_SIZE: i64 = 20;

/// The roles a member may have in an organization.
const MEMBER_ROLES: [&str; 3] = ["internal_user", "internal_user_viewer", "org_admin"];

/// One organization as the pages show it.
pub struct OrgRow {
    pub id: String,
    pub href: String,
    pub alias: String,
    pub models: String,
    pub spend: String,
    pub max_budget: String,
    pub members: String,
    pub created: String,
}

impl OrgRow {
    fn of(row: &Value) -> Self {
        let id = text(&row["organization_id"]);
        Self {
            href: href("/ui/organizations", &id),
            id,
            alias: text(&row["organization_alias"]),
            models: models(&row["models"]),
            spend: money(&row["spend"]),
            max_budget: budget(&row["litellm_budget_table"]["max_budget"]),
            members: row["member_count"].as_i64().map_or_else(
                || row["members"].as_array().map_or(0, Vec::len).to_string(),
                |count| count.to_string(),
            ),
            created: day(&row["created_at"]),
        }
    }
}

#[derive(Template)]
#[template(path = "console/organizations/list.html")]
struct OrgsPage {
    chrome: Chrome,
    can_write: bool,
    search: String,
    orgs: Vec<OrgRow>,
    pager: Pager,
}

/// `?search=&page=`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListParams {
    search: String,
    page: Option<i64>,
}

/// The account's organizations (others see those they belong to).
pub async fn list(
    State(state): State<AppState>,
    console: AccountConsole,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let search = params.search.trim().to_owned();
    let page = PageQuery {
        page: params.page.unwrap_or(1),
        size: PAGE_SIZE,
    };
    let (rows, info) = list_page(&state, &console.actor, Some(&search), page).await?;
    Ok(render(&OrgsPage {
        chrome: console.chrome("Organizations", "/ui/organizations"),
        can_write: console.can_write(),
        pager: Pager::new("/ui/organizations", &[("search", &search)], info),
        orgs: rows.iter().map(OrgRow::of).collect(),
        search,
    }))
}

/// The organization form's fields (create and edit); a field the form does
/// not carry is left as it is.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OrgFields {
    organization_alias: Option<String>,
    /// Comma-separated; empty for all.
    models: Option<String>,
    #[serde(flatten)]
    limits: LimitFields,
}

impl OrgFields {
    fn fill(&self, request: &mut Request) -> Result<Map<String, Value>, PageError> {
        request
            .text("organization_alias", self.organization_alias.as_deref())
            .list("models", self.models.as_deref())
            .limits(&self.limits)?;
        Ok(request.body())
    }
}

#[derive(Template)]
#[template(path = "console/organizations/new.html")]
struct NewOrgPage {
    chrome: Chrome,
    limits: Limits,
}

/// The create form (account admins only).
pub async fn new_form(console: AccountConsole) -> Result<Response, PageError> {
    console.require_writer()?;
    Ok(render(&NewOrgPage {
        chrome: console.chrome("New organization", "/ui/organizations"),
        limits: Limits::default(),
    }))
}

/// Creates the organization (with its budget row) and shows it.
pub async fn create(
    State(state): State<AppState>,
    console: AccountConsole,
    Form(fields): Form<OrgFields>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    let body = fields.fill(&mut Request::create())?;
    let Json(org) = api::create(State(state), console.actor.clone(), Body(body)).await?;
    Ok(see_other(&href(
        "/ui/organizations",
        &text(&org["organization_id"]),
    )))
}

/// A member of the organization.
pub struct OrgMember {
    pub user_id: String,
    pub role: String,
    pub spend: String,
    pub href: String,
}

/// A team in the organization.
pub struct OrgTeam {
    pub name: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "console/organizations/detail.html")]
struct OrgPage {
    chrome: Chrome,
    can_write: bool,
    org: OrgRow,
    budget_duration: String,
    alias: String,
    model_list: String,
    limits: Limits,
    members: Vec<OrgMember>,
    teams: Vec<OrgTeam>,
    roles: [&'static str; 3],
}

/// An organization: its budget, models, members and teams. Another
/// account's organization is the same 404 as a missing one.
pub async fn detail(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let query = InfoQuery {
        organization_id: id,
    };
    let Json(row) = info(State(state), console.actor.clone(), ApiQuery(query)).await?;
    let members = row["members"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|member| {
            let user_id = text(&member["user_id"]);
            OrgMember {
                href: href("/ui/users", &user_id),
                role: text(&member["user_role"]),
                spend: money(&member["spend"]),
                user_id,
            }
        })
        .collect();
    let teams = row["teams"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|team| {
            let id = text(&team["team_id"]);
            OrgTeam {
                name: match text(&team["team_alias"]) {
                    alias if alias.is_empty() => id.clone(),
                    alias => alias,
                },
                href: href("/ui/teams", &id),
            }
        })
        .collect();
    let org = OrgRow::of(&row);
    let budget_row = &row["litellm_budget_table"];
    Ok(render(&OrgPage {
        chrome: console.chrome(&org.alias, "/ui/organizations"),
        can_write: console.can_write(),
        budget_duration: text(&budget_row["budget_duration"]),
        alias: org.alias.clone(),
        model_list: joined(&row["models"]),
        limits: Limits::of(budget_row),
        org,
        members,
        teams,
        roles: MEMBER_ROLES,
    }))
}

/// Saves what the submitted form carries (alias and budget, or models).
pub async fn update(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
    Form(fields): Form<OrgFields>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    let mut request = Request::edit();
    request.set("organization_id", json!(id));
    let body = fields.fill(&mut request)?;
    apply(api::update(State(state), console.actor.clone(), Body(body))).await?;
    Ok(see_other(&href("/ui/organizations", &id)))
}

/// Deletes the organization with its teams, keys and memberships.
pub async fn delete(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    console.require_writer()?;
    let request = DeleteOrganizationsRequest {
        organization_ids: vec![id],
    };
    apply(api::delete(
        State(state),
        console.actor.clone(),
        Body(request),
    ))
    .await?;
    Ok(see_other("/ui/organizations"))
}

/// A member form: who (id or email) and, to add, the role.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MemberFields {
    user: String,
    role: String,
}

/// Adds a member (created as a user when unknown).
pub async fn add_member(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
    Form(fields): Form<MemberFields>,
) -> Result<Response, PageError> {
    let (field, user) = member(&fields.user)?;
    if !MEMBER_ROLES.contains(&fields.role.as_str()) {
        return Err(invalid("Choose one of the roles offered."));
    }
    let body = Request::create()
        .set("organization_id", json!(id))
        .set("member", json!({"role": fields.role, field: user}))
        .body();
    apply(member_add(State(state), console.actor.clone(), Body(body))).await?;
    Ok(see_other(&href("/ui/organizations", &id)))
}

/// Removes a member.
pub async fn remove_member(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
    Form(fields): Form<MemberFields>,
) -> Result<Response, PageError> {
    let (field, user) = member(&fields.user)?;
    let body = Request::create()
        .set("organization_id", json!(id))
        .set(field, user)
        .body();
    apply(member_delete(
        State(state),
        console.actor.clone(),
        Body(body),
    ))
    .await?;
    Ok(see_other(&href("/ui/organizations", &id)))
}
