//! The four database roles, created or corrected on every `migrate`.
//!
//! | role            | login | bypasses RLS | purpose                         |
//! |-----------------|-------|--------------|---------------------------------|
//! | alchemi_owner   | no    | no           | owns schema, tables, functions  |
//! | alchemi_app     | yes   | no           | every tenant request            |
//! | alchemi_admin   | yes   | yes          | super-admin work, its own pool  |
//! | alchemi_auditor | yes   | no           | DBAs: reads the audit views     |
//!
//! Roles are cluster-wide, so several databases of one cluster share them.

use secrecy::{ExposeSecret, SecretString};
use tokio_postgres::Client;

use super::MigrateError;

/// Passwords to set on the login roles; `None` leaves a role's password as
/// it is.
#[derive(Default, Clone)]
pub struct RolePasswords {
    pub app: Option<SecretString>,
    pub admin: Option<SecretString>,
    pub auditor: Option<SecretString>,
}

/// How `alchemi_admin` reaches every tenant's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminMode {
    /// The role has BYPASSRLS (needs a superuser to grant).
    BypassRls,
    /// Managed PostgreSQL without a superuser: an `admin_all` policy for that
    /// role on every table instead.
    Policy,
}

struct RoleSpec {
    name: &'static str,
    attributes: &'static str,
}

const ROLES: [RoleSpec; 4] = [
    RoleSpec {
        name: "alchemi_owner",
        attributes: "NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE",
    },
    RoleSpec {
        name: "alchemi_app",
        attributes: "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT",
    },
    RoleSpec {
        name: "alchemi_admin",
        attributes: "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE",
    },
    RoleSpec {
        name: "alchemi_auditor",
        attributes: "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE",
    },
];

const MIGRATOR_SQL: &str =
    "SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user";
const ROLE_EXISTS_SQL: &str = "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)";
const ADMIN_BYPASS_SQL: &str = "SELECT rolbypassrls FROM pg_roles WHERE rolname = 'alchemi_admin'";
const CITUS_SQL: &str = "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')";

/// Creates missing roles, corrects their attributes, sets given passwords,
/// strips any membership that would let the app role reach another, and lets
/// the migrating user act as the owner.
pub(super) async fn ensure(
    client: &Client,
    passwords: &RolePasswords,
) -> Result<AdminMode, MigrateError> {
    let row = client.query_one(MIGRATOR_SQL, &[]).await?;
    let (superuser, createrole): (bool, bool) = (row.get(0), row.get(1));

    for role in &ROLES {
        let exists: bool = client
            .query_one(ROLE_EXISTS_SQL, &[&role.name])
            .await?
            .get(0);
        if !(exists || superuser || createrole) {
            return Err(MigrateError::Privilege(format!(
                "role {} does not exist and the migrating user may not create roles: \
                 grant it CREATEROLE or create the roles alchemi_owner, alchemi_app, \
                 alchemi_admin and alchemi_auditor beforehand",
                role.name
            )));
        }
        if !exists {
            // Two migrations of different databases in one cluster may race here.
            let create = format!(
                "DO $$ BEGIN CREATE ROLE {}; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$",
                role.name
            );
            client.batch_execute(&create).await?;
        }
        if superuser || createrole {
            alter_with_retry(
                client,
                &format!("ALTER ROLE {} {}", role.name, role.attributes),
            )
            .await?;
        }
    }

    let admin_mode = if superuser {
        alter_with_retry(client, "ALTER ROLE alchemi_admin BYPASSRLS").await?;
        AdminMode::BypassRls
    } else if client.query_one(ADMIN_BYPASS_SQL, &[]).await?.get(0) {
        AdminMode::BypassRls
    } else {
        AdminMode::Policy
    };

    revoke_app_memberships(client).await?;
    set_password(client, "alchemi_app", passwords.app.as_ref()).await?;
    set_password(client, "alchemi_admin", passwords.admin.as_ref()).await?;
    set_password(client, "alchemi_auditor", passwords.auditor.as_ref()).await?;

    if !superuser {
        client
            .batch_execute("GRANT alchemi_owner TO CURRENT_USER")
            .await
            .map_err(|err| {
                MigrateError::Privilege(format!("cannot act as alchemi_owner: {err}"))
            })?;
    }
    if client.query_one(CITUS_SQL, &[]).await?.get(0) {
        // Citus forwards SET LOCAL to its workers only with this setting.
        alter_with_retry(
            client,
            "ALTER ROLE alchemi_app SET citus.propagate_set_commands = 'local'",
        )
        .await?;
    }
    Ok(admin_mode)
}

/// The app role must belong to no role at all: membership is how a request
/// role could reach a bypassing or owning one.
async fn revoke_app_memberships(client: &Client) -> Result<(), MigrateError> {
    const SQL: &str = "
        DO $$ DECLARE parent name; BEGIN
            FOR parent IN SELECT r.rolname FROM pg_auth_members m
                            JOIN pg_roles r ON r.oid = m.roleid
                            JOIN pg_roles a ON a.oid = m.member
                           WHERE a.rolname = 'alchemi_app' LOOP
                EXECUTE format('REVOKE %I FROM alchemi_app', parent);
            END LOOP;
        END $$";
    client.batch_execute(SQL).await?;
    Ok(())
}

async fn set_password(
    client: &Client,
    role: &str,
    password: Option<&SecretString>,
) -> Result<(), MigrateError> {
    let Some(password) = password else {
        return Ok(());
    };
    // The server quotes the literal; the statement cannot take a parameter.
    let statement: String = client
        .query_one(
            "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)",
            &[&role, &password.expose_secret()],
        )
        .await?
        .get(0);
    alter_with_retry(client, &statement).await
}

/// Role changes from concurrent migrations of one cluster can collide with
/// "tuple concurrently updated"; the change is the same, so try again.
async fn alter_with_retry(client: &Client, statement: &str) -> Result<(), MigrateError> {
    let mut attempt = 0;
    loop {
        match client.batch_execute(statement).await {
            Ok(()) => return Ok(()),
            Err(err) if attempt < 5 && err.code().is_some_and(|code| code.code() == "XX000") => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
            }
            Err(err) => return Err(err.into()),
        }
    }
}
