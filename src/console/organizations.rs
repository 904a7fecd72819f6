//! Organizations: the paged list (searched by alias or id), the create
//! form, and an organization's page with its members (add, remove), teams,
//! budget and models. Every change goes through the `/organization/*`
//! functions, so roles, validation and audit rows are the API's.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::form::{LimitFields, MemberFields, Request, member};
use super::list::{ListParams, list_page};
use super::page::{AccountConsole, Chrome, PageError, render, see_other};
use super::view::{Limits, Link, budget, day, each, href, joined, models, money, text};
use crate::AppState;
use crate::management::organizations::members::{member_add, member_delete};
use crate::management::organizations::read::{InfoQuery, info, list_page};
use crate::management::organizations::{self as api, DeleteOrganizationsRequest};

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

list_page!(OrgsPage, OrgRow, "console/organizations/list.html");

/// The account's organizations (others see those they belong to).
pub async fn list(
    State(state): State<AppState>,
    console: AccountConsole,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let (rows, info) = list_page(
        &state,
        &console.actor,
        Some(params.search()),
        params.page_query(),
    )
    .await?;
    let rows = rows.iter().map(OrgRow::of).collect();
    Ok(render(&OrgsPage(console.listing(
        "Organizations",
        "/ui/organizations",
        &params,
        rows,
        info,
    ))))
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
    let org = console.call(&state, api::create, body).await?;
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
    teams: Vec<Link>,
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
    let row = console.read(&state, info, query).await?;
    let members = each(&row["members"], |member| {
        let user_id = text(&member["user_id"]);
        OrgMember {
            href: href("/ui/users", &user_id),
            role: text(&member["user_role"]),
            spend: money(&member["spend"]),
            user_id,
        }
    });
    let teams = each(&row["teams"], Link::team);
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
    let body = || fields.fill(Request::edit().set("organization_id", json!(id)));
    let to = href("/ui/organizations", &id);
    console.change(&state, api::update, body, &to).await
}

/// Deletes the organization with its teams, keys and memberships.
pub async fn delete(
    State(state): State<AppState>,
    console: AccountConsole,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let request = || {
        Ok(DeleteOrganizationsRequest {
            organization_ids: vec![id],
        })
    };
    console
        .change(&state, api::delete, request, "/ui/organizations")
        .await
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
        return Err(PageError::invalid("Choose one of the roles offered."));
    }
    let body = Request::create()
        .set("organization_id", json!(id))
        .set("member", json!({"role": fields.role, field: user}))
        .body();
    console.call(&state, member_add, body).await?;
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
    console.call(&state, member_delete, body).await?;
    Ok(see_other(&href("/ui/organizations", &id)))
}
