//! `alchemi rls-audit`: reads the audit views that `policies/30_audit.sql`
//! defines over the catalog and reports every table's isolation, the roles,
//! and the SECURITY DEFINER doors. `serve` runs the same audit at startup and
//! refuses to start on any gap.

mod render;

use serde::Serialize;
use tokio_postgres::Client;

pub use render::render_text;

/// One governed table.
#[derive(Debug, Clone, Serialize)]
pub struct TableAudit {
    pub table: String,
    pub class: Option<String>,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    pub account_id_not_null: bool,
    pub account_id_indexed: bool,
    pub policies: serde_json::Value,
    pub app_privileges: Vec<String>,
    pub gaps: Vec<String>,
}

/// One role of interest (the four alchemi roles and any role that bypasses RLS).
#[derive(Debug, Clone, Serialize)]
pub struct RoleAudit {
    pub role: String,
    pub superuser: bool,
    pub bypass_rls: bool,
    pub can_login: bool,
    pub member_of: Vec<String>,
    pub gaps: Vec<String>,
}

/// A SECURITY DEFINER function or a helper that policies call.
#[derive(Debug, Clone, Serialize)]
pub struct FunctionAudit {
    pub function: String,
    pub kind: String,
    pub owner: String,
    pub search_path_pinned: bool,
    pub app_can_execute: bool,
    pub public_can_execute: bool,
    pub gaps: Vec<String>,
}

/// A view, materialized view, foreign table, partition or setting that
/// would sidestep row-level security.
#[derive(Debug, Clone, Serialize)]
pub struct RelationGap {
    pub relation: String,
    pub kind: String,
    pub gap: String,
}

/// The whole audit.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub tables: Vec<TableAudit>,
    pub roles: Vec<RoleAudit>,
    pub functions: Vec<FunctionAudit>,
    pub relations: Vec<RelationGap>,
    pub admin_mode: String,
}

impl AuditReport {
    /// Tables without any gap.
    pub fn covered(&self) -> usize {
        self.tables
            .iter()
            .filter(|table| table.gaps.is_empty())
            .count()
    }

    /// Every gap, as `object: problem` lines.
    pub fn gaps(&self) -> Vec<String> {
        let tables = self.tables.iter().flat_map(|t| {
            t.gaps
                .iter()
                .map(move |gap| format!("table {}: {gap}", t.table))
        });
        let roles = self.roles.iter().flat_map(|r| {
            r.gaps
                .iter()
                .map(move |gap| format!("role {}: {gap}", r.role))
        });
        let functions = self.functions.iter().flat_map(|f| {
            f.gaps
                .iter()
                .map(move |gap| format!("function {}: {gap}", f.function))
        });
        let relations = self
            .relations
            .iter()
            .map(|r| format!("{} {}: {}", r.kind, r.relation, r.gap));
        tables
            .chain(roles)
            .chain(functions)
            .chain(relations)
            .collect()
    }

    /// True when isolation is whole.
    pub fn passed(&self) -> bool {
        self.gaps().is_empty() && !self.tables.is_empty()
    }
}

const TABLES_SQL: &str = "SELECT table_name, class, rls_enabled, rls_forced, account_id_not_null, \
     account_id_indexed, policies, app_privileges, gaps FROM alchemi.rls_table_audit ORDER BY table_name";
const ROLES_SQL: &str = "SELECT role_name, superuser, bypass_rls, can_login, member_of, gaps \
     FROM alchemi.rls_role_audit ORDER BY role_name";
const FUNCTIONS_SQL: &str = "SELECT function_name, kind, owner, search_path_pinned, app_can_execute, \
     public_can_execute, gaps FROM alchemi.rls_function_audit ORDER BY function_name";
const RELATIONS_SQL: &str =
    "SELECT relation_name, kind, gap FROM alchemi.rls_relation_audit ORDER BY 1";
const VIEWS_EXIST_SQL: &str = "SELECT to_regclass('alchemi.rls_table_audit') IS NOT NULL";

/// Why the audit could not run.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("the audit views are missing: run `alchemi migrate` first")]
    NotMigrated,
    #[error("database error: {0}")]
    Db(#[from] tokio_postgres::Error),
}

/// Runs the audit on the database the client is connected to.
pub async fn run(client: &Client) -> Result<AuditReport, AuditError> {
    let views_exist: bool = client.query_one(VIEWS_EXIST_SQL, &[]).await?.get(0);
    if !views_exist {
        return Err(AuditError::NotMigrated);
    }
    let tables = client
        .query(TABLES_SQL, &[])
        .await?
        .iter()
        .map(|row| TableAudit {
            table: row.get(0),
            class: row.get(1),
            rls_enabled: row.get(2),
            rls_forced: row.get(3),
            account_id_not_null: row.get(4),
            account_id_indexed: row.get(5),
            policies: row.get(6),
            app_privileges: row.get(7),
            gaps: row.get(8),
        })
        .collect();
    let roles: Vec<RoleAudit> = client
        .query(ROLES_SQL, &[])
        .await?
        .iter()
        .map(|row| RoleAudit {
            role: row.get(0),
            superuser: row.get(1),
            bypass_rls: row.get(2),
            can_login: row.get(3),
            member_of: row.get(4),
            gaps: row.get(5),
        })
        .collect();
    let functions = client
        .query(FUNCTIONS_SQL, &[])
        .await?
        .iter()
        .map(|row| FunctionAudit {
            function: row.get(0),
            kind: row.get(1),
            owner: row.get(2),
            search_path_pinned: row.get(3),
            app_can_execute: row.get(4),
            public_can_execute: row.get(5),
            gaps: row.get(6),
        })
        .collect();
    let relations = client
        .query(RELATIONS_SQL, &[])
        .await?
        .iter()
        .map(|row| RelationGap {
            relation: row.get(0),
            kind: row.get(1),
            gap: row.get(2),
        })
        .collect();
    let admin_bypasses = roles
        .iter()
        .any(|role| role.role == "alchemi_admin" && role.bypass_rls);
    let admin_mode = if admin_bypasses {
        "bypassrls"
    } else {
        "policy"
    }
    .to_owned();
    Ok(AuditReport {
        tables,
        roles,
        functions,
        relations,
        admin_mode,
    })
}
