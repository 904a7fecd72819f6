//! The user-side rows the identity families touch for one another: users
//! that adding a member brings into being, users' `teams` lists, and the
//! keys and invitation links a deleted owner takes along. Re-exported
//! through `common`; every change is audited in the caller's transaction.

use serde_json::{Map, Value, json};

use super::common::{USER_TABLE, audited, invalid, new_id};
use crate::db::TenantTx;
use crate::management::Actor;
use crate::management::rows;
use crate::proxy::ApiError;

const KEY_TABLE: &str = "LiteLLM_VerificationToken";
const INVITATION_TABLE: &str = "LiteLLM_InvitationLink";

const USERS_BY_EMAIL_SQL: &str = "
    SELECT to_jsonb(u.*) FROM \"LiteLLM_UserTable\" u
     WHERE u.account_id = $1 AND lower(u.user_email) = lower($2)
     ORDER BY u.created_at LIMIT 2";

/// The user with `email`; 400 when several share it.
pub(in crate::management) async fn user_by_email(
    tx: &TenantTx,
    email: &str,
) -> Result<Option<Value>, ApiError> {
    let found = tx
        .query(USERS_BY_EMAIL_SQL, &[&tx.account_id().uuid(), &email])
        .await?;
    if found.len() > 1 {
        return Err(invalid(
            "user_email",
            "Multiple users with this email found in db. Please use 'user_id' instead.",
        ));
    }
    Ok(found.first().map(|row| row.get(0)))
}

/// Finds a member by `user_id`, else by `user_email`, creating an
/// `internal_user` when there is none (LiteLLM adds unknown members as new
/// users). Returns the row and whether it was created.
pub(in crate::management) async fn ensure_user(
    tx: &TenantTx,
    actor: &Actor,
    user_id: Option<&str>,
    user_email: Option<&str>,
) -> Result<(Value, bool), ApiError> {
    match (user_id, user_email) {
        (Some(id), _) => {
            if let Some(row) = rows::get(tx, USER_TABLE, &[("user_id", id)]).await? {
                return Ok((row, false));
            }
        }
        (None, Some(email)) => {
            if let Some(row) = user_by_email(tx, email).await? {
                return Ok((row, false));
            }
        }
        (None, None) => {
            return Err(invalid(
                "member",
                "Either user_id or user_email must be provided",
            ));
        }
    }
    let id = user_id.map_or_else(new_id, str::to_owned);
    let mut row = Map::new();
    row.insert("user_id".into(), json!(id));
    row.insert("user_email".into(), json!(user_email));
    row.insert("user_role".into(), json!("internal_user"));
    let stored = rows::insert(tx, USER_TABLE, row).await?;
    audited(
        tx,
        actor,
        "created",
        USER_TABLE,
        &id,
        None,
        Some(stored.clone()),
    )
    .await?;
    Ok((stored, true))
}

const LOCK_USER_SQL: &str = "
    SELECT to_jsonb(u.*) FROM \"LiteLLM_UserTable\" u
     WHERE u.account_id = $1 AND u.user_id = $2 FOR UPDATE";
const SET_TEAMS_SQL: &str = "
    UPDATE \"LiteLLM_UserTable\" u SET teams = $3
     WHERE u.account_id = $1 AND u.user_id = $2 RETURNING to_jsonb(u.*)";

/// Adds `team_id` to the user's `teams`; returns the user row.
pub(in crate::management) async fn join_team(
    tx: &TenantTx,
    actor: &Actor,
    user_id: &str,
    team_id: &str,
) -> Result<Option<Value>, ApiError> {
    edit_teams(tx, actor, user_id, |teams| {
        if teams.iter().any(|t| t == team_id) {
            return false;
        }
        teams.push(team_id.to_owned());
        true
    })
    .await
}

/// Removes `team_id` from the user's `teams`; returns the user row.
pub(in crate::management) async fn leave_team(
    tx: &TenantTx,
    actor: &Actor,
    user_id: &str,
    team_id: &str,
) -> Result<Option<Value>, ApiError> {
    edit_teams(tx, actor, user_id, |teams| {
        let before = teams.len();
        teams.retain(|t| t != team_id);
        teams.len() != before
    })
    .await
}

async fn edit_teams(
    tx: &TenantTx,
    actor: &Actor,
    user_id: &str,
    edit: impl FnOnce(&mut Vec<String>) -> bool,
) -> Result<Option<Value>, ApiError> {
    let account = tx.account_id().uuid();
    let Some(row) = tx.query_opt(LOCK_USER_SQL, &[&account, &user_id]).await? else {
        return Ok(None);
    };
    let before: Value = row.get(0);
    let mut teams: Vec<String> =
        serde_json::from_value(before["teams"].clone()).unwrap_or_default();
    if !edit(&mut teams) {
        return Ok(Some(before));
    }
    let after: Value = tx
        .query_one(SET_TEAMS_SQL, &[&account, &user_id, &teams])
        .await?
        .get(0);
    audited(
        tx,
        actor,
        "updated",
        USER_TABLE,
        user_id,
        Some(before),
        Some(after.clone()),
    )
    .await?;
    Ok(Some(after))
}

/// Whose keys [`delete_keys`] removes.
#[derive(Debug, Clone, Copy)]
pub(in crate::management) enum KeyOwner<'a> {
    User(&'a str),
    Team(&'a str),
    Organization(&'a str),
}

const ARCHIVE_KEYS_SQL: &str = "
    INSERT INTO \"LiteLLM_DeletedVerificationToken\"
    SELECT (jsonb_populate_record(NULL::\"LiteLLM_DeletedVerificationToken\",
             to_jsonb(k.*) || jsonb_build_object('id', gen_random_uuid()::text, 'deleted_at', now(),
                                                 'deleted_by', $5::text, 'deleted_by_api_key', $6::text))).*
      FROM \"LiteLLM_VerificationToken\" k
     WHERE k.account_id = $1 AND (k.user_id = $2 OR k.team_id = $3 OR k.organization_id = $4)";
const DELETE_KEYS_SQL: &str = "
    DELETE FROM \"LiteLLM_VerificationToken\" k
     WHERE k.account_id = $1 AND (k.user_id = $2 OR k.team_id = $3 OR k.organization_id = $4)
    RETURNING to_jsonb(k.*)";

/// Deletes (after archiving) the keys of a user, team or organization that
/// is being deleted, so none of them outlives its owner's limits.
pub(in crate::management) async fn delete_keys(
    tx: &TenantTx,
    actor: &Actor,
    owner: KeyOwner<'_>,
) -> Result<(), ApiError> {
    let (user, team, org) = match owner {
        KeyOwner::User(id) => (Some(id), None, None),
        KeyOwner::Team(id) => (None, Some(id), None),
        KeyOwner::Organization(id) => (None, None, Some(id)),
    };
    let account = tx.account_id().uuid();
    let changed_by = actor.label();
    let api_key = actor.key_hash.clone().unwrap_or_default();
    tx.execute(
        ARCHIVE_KEYS_SQL,
        &[&account, &user, &team, &org, &changed_by, &api_key],
    )
    .await?;
    let deleted = tx
        .query(DELETE_KEYS_SQL, &[&account, &user, &team, &org])
        .await?;
    for row in deleted {
        let key: Value = row.get(0);
        let token = key["token"].as_str().unwrap_or_default().to_owned();
        audited(tx, actor, "deleted", KEY_TABLE, &token, Some(key), None).await?;
    }
    Ok(())
}

const DELETE_INVITATIONS_SQL: &str = "
    DELETE FROM \"LiteLLM_InvitationLink\" i
     WHERE i.account_id = $1 AND (i.user_id = $2 OR i.created_by = $2 OR i.updated_by = $2)
    RETURNING to_jsonb(i.*)";

/// Deletes the invitation links that name a user being deleted.
pub(in crate::management) async fn delete_invitations(
    tx: &TenantTx,
    actor: &Actor,
    user_id: &str,
) -> Result<(), ApiError> {
    let deleted = tx
        .query(DELETE_INVITATIONS_SQL, &[&tx.account_id().uuid(), &user_id])
        .await?;
    for row in deleted {
        let link: Value = row.get(0);
        let id = link["id"].as_str().unwrap_or_default().to_owned();
        audited(
            tx,
            actor,
            "deleted",
            INVITATION_TABLE,
            &id,
            Some(link),
            None,
        )
        .await?;
    }
    Ok(())
}
