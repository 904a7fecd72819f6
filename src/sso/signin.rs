//! What a verified identity becomes: a user of the account the sign-in was
//! started for, and nothing else. The email must be verified (when the
//! provider says), admitted by the account's domain list, and must not
//! belong to another account (its domain, an admin or a user entry there,
//! as the login door sees it). The user is found by the provider's subject,
//! else by email (and linked to the subject); a first login creates it when
//! the account allows. A role mapping that matches sets the user's role;
//! account administrators keep theirs. Every change is audited in the same
//! tenant transaction.

use serde_json::Value;

use super::{Identity, SsoError, SsoSettings};
use crate::AppState;
use crate::db::{AccountId, TenantTx};
use crate::management::audit::{self, Change};
use crate::management::{Actor, Role};
use crate::session::Session;

const USER_TABLE: &str = "LiteLLM_UserTable";

const BY_SUBJECT_SQL: &str = "
    SELECT to_jsonb(u.*) FROM \"LiteLLM_UserTable\" u
     WHERE u.account_id = $1 AND u.sso_user_id = $2 FOR UPDATE";

const BY_EMAIL_SQL: &str = "
    SELECT to_jsonb(u.*) FROM \"LiteLLM_UserTable\" u
     WHERE u.account_id = $1 AND lower(u.user_email) = lower($2)
     ORDER BY u.created_at LIMIT 2 FOR UPDATE";

const IS_ADMIN_SQL: &str = "
    SELECT EXISTS (SELECT 1 FROM \"Alchemi_AccountAdminTable\" m
                    WHERE m.account_id = $1 AND lower(m.user_email) = lower($2))";

const INSERT_SQL: &str = "
    INSERT INTO \"LiteLLM_UserTable\" AS u (account_id, user_id, user_email, user_alias, user_role, sso_user_id)
    VALUES ($1, $2, $3, $4, $5, $6) RETURNING to_jsonb(u.*)";

const UPDATE_SQL: &str = "
    UPDATE \"LiteLLM_UserTable\" u SET sso_user_id = $3, user_role = $4, updated_at = now()
     WHERE u.account_id = $1 AND u.user_id = $2 RETURNING to_jsonb(u.*)";

/// The session `identity` earns in `account`, creating or updating its
/// user as the settings say.
pub async fn sign_in(
    state: &AppState,
    account: AccountId,
    settings: &SsoSettings,
    identity: &Identity,
) -> Result<Session, SsoError> {
    if identity.email_verified == Some(false) {
        return Err(SsoError::NoVerifiedEmail);
    }
    let email = identity
        .email
        .as_deref()
        .map(str::trim)
        .filter(|email| email.contains('@'))
        .ok_or(SsoError::NoVerifiedEmail)?
        .to_lowercase();
    if !settings.admits_domain(&email) {
        return Err(SsoError::NotAdmitted);
    }
    if let Some(home) = state.db().doors().login_account(&email).await?
        && home.account_id != account
    {
        return Err(SsoError::NotAdmitted);
    }
    let tx = state.db().tenant(account).await?;
    let user = find_user(&tx, &identity.subject, &email).await?;
    let admin: bool = tx
        .query_one(IS_ADMIN_SQL, &[&account.uuid(), &email])
        .await?
        .get(0);
    let mapped = settings.mapped_role(&identity.extra);
    let (user_id, role) = match user {
        Some(before) => update(&tx, before, identity, mapped, admin).await?,
        None if settings.allow_signup || admin => {
            let role = if admin {
                Role::ProxyAdmin
            } else {
                mapped.unwrap_or_else(|| settings.default_role())
            };
            create(&tx, identity, &email, role).await?
        }
        None => return Err(SsoError::NoUser),
    };
    tx.commit().await?;
    Ok(Session {
        subject: user_id,
        account: Some(account),
        role: role.name().to_owned(),
    })
}

/// The account's user for this subject, else for this email; an email user
/// already linked to another subject is refused.
async fn find_user(tx: &TenantTx, subject: &str, email: &str) -> Result<Option<Value>, SsoError> {
    let account = tx.account_id().uuid();
    if let Some(row) = tx.query_opt(BY_SUBJECT_SQL, &[&account, &subject]).await? {
        return Ok(Some(row.get(0)));
    }
    let rows = tx.query(BY_EMAIL_SQL, &[&account, &email]).await?;
    if rows.len() > 1 {
        return Err(SsoError::IdentityConflict);
    }
    let Some(user) = rows.first().map(|row| row.get::<_, Value>(0)) else {
        return Ok(None);
    };
    match user["sso_user_id"].as_str() {
        Some(linked) if linked != subject => Err(SsoError::IdentityConflict),
        _ => Ok(Some(user)),
    }
}

/// Who audit rows of a sign-in name: the user signing in.
fn actor(tx: &TenantTx, user_id: &str, role: Role) -> Actor {
    Actor {
        account: tx.account_id(),
        role,
        user_id: Some(user_id.to_owned()),
        key_hash: None,
        team_id: None,
        master: false,
    }
}

async fn create(
    tx: &TenantTx,
    identity: &Identity,
    email: &str,
    role: Role,
) -> Result<(String, Role), SsoError> {
    let user_id = uuid::Uuid::now_v7().to_string();
    let row: Value = tx
        .query_one(
            INSERT_SQL,
            &[
                &tx.account_id().uuid(),
                &user_id,
                &email,
                &identity.name,
                &role.name(),
                &identity.subject,
            ],
        )
        .await?
        .get(0);
    audit::record(
        tx,
        &actor(tx, &user_id, role),
        Change {
            action: "created",
            table: USER_TABLE,
            object_id: &user_id,
            before: None,
            after: Some(row),
        },
    )
    .await?;
    Ok((user_id, role))
}

async fn update(
    tx: &TenantTx,
    before: Value,
    identity: &Identity,
    mapped: Option<Role>,
    admin: bool,
) -> Result<(String, Role), SsoError> {
    let user_id = before["user_id"].as_str().unwrap_or_default().to_owned();
    let stored = before["user_role"].as_str().map(str::to_owned);
    // An administrator's stored role stays as the admin entry set it.
    let role_name = match (admin, mapped) {
        (false, Some(mapped)) => Some(mapped.name().to_owned()),
        _ => stored.clone(),
    };
    let role = if admin {
        Role::ProxyAdmin
    } else {
        Role::parse(role_name.as_deref())
    };
    let linked = before["sso_user_id"].as_str() == Some(identity.subject.as_str());
    if linked && role_name == stored {
        return Ok((user_id, role));
    }
    let after: Value = tx
        .query_one(
            UPDATE_SQL,
            &[
                &tx.account_id().uuid(),
                &user_id,
                &identity.subject,
                &role_name,
            ],
        )
        .await?
        .get(0);
    audit::record(
        tx,
        &actor(tx, &user_id, role),
        Change {
            action: "updated",
            table: USER_TABLE,
            object_id: &user_id,
            before: Some(before),
            after: Some(after),
        },
    )
    .await?;
    Ok((user_id, role))
}
