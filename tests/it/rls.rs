//! The isolation attack suite, generated from the catalog: every table of
//! `public` is attacked according to its tenancy class, so a table added later
//! is covered without editing this file. Attacks run through the server's own
//! tenant transactions (`alchemi_app`, `SET LOCAL app.account_id`); outcomes
//! are checked behind the policies' back as superuser.

use std::collections::BTreeMap;

use alchemi::db::{AccountId, Db, DbError};
use tokio_postgres::error::SqlState;
use uuid::Uuid;

use crate::common::TestDb;
use crate::common::rows::{self, KeyedSql, PLATFORM, Row, Table};

/// Collects every failed expectation so one run reports them all.
#[derive(Default)]
struct Findings(Vec<String>);

impl Findings {
    fn check(&mut self, ok: bool, table: &Table, what: impl std::fmt::Display) {
        if !ok {
            self.0
                .push(format!("{} ({}): {what}", table.name, table.class));
        }
    }
}

fn is_code(result: &Result<u64, DbError>, code: &SqlState) -> bool {
    matches!(result, Err(err) if err.code() == Some(code))
}

fn denied(result: &Result<u64, DbError>) -> bool {
    is_code(result, &SqlState::INSUFFICIENT_PRIVILEGE)
}

fn describe(result: &Result<u64, DbError>) -> String {
    match result {
        Ok(n) => format!("succeeded touching {n} row(s)"),
        Err(err) => format!("failed with {:?}: {err}", err.code().map(SqlState::code)),
    }
}

/// Runs one statement in its own tenant transaction, which is then dropped
/// (rolled back), so an expected failure cannot poison the next check.
async fn tenant_exec(
    db: &Db,
    account: AccountId,
    sql: &str,
    row: &Row,
    extra: Option<Uuid>,
) -> Result<u64, DbError> {
    let tx = db.tenant(account).await?;
    let param = rows::param(row);
    match extra {
        Some(id) => tx.execute(sql, &[&param, &id.to_string()]).await,
        None => tx.execute(sql, &[&param]).await,
    }
}

async fn tenant_count(db: &Db, account: AccountId, sql: &str, row: &Row) -> Result<i64, DbError> {
    let tx = db.tenant(account).await?;
    Ok(tx.query_one(sql, &[&rows::param(row)]).await?.get(0))
}

/// `INSERT` of exactly the row's columns; `$1` is the row as JSON text.
fn insert_sql(table: &Table, row: &Row) -> String {
    let columns: Vec<String> = row.keys().map(|column| format!("\"{column}\"")).collect();
    let columns = columns.join(", ");
    format!(
        "INSERT INTO {t} ({columns}) SELECT {columns} FROM jsonb_populate_record(NULL::{t}, $1::text::jsonb)",
        t = table.ident()
    )
}

async fn tenant_insert(
    db: &Db,
    account: AccountId,
    table: &Table,
    row: &Row,
) -> Result<u64, DbError> {
    tenant_exec(db, account, &insert_sql(table, row), row, None).await
}

struct Suite {
    test: TestDb,
    admin: tokio_postgres::Client,
    schema: BTreeMap<String, Table>,
    a: AccountId,
    b: AccountId,
}

impl Suite {
    async fn new() -> Self {
        let test = TestDb::new().await;
        let admin = test.superuser().await;
        let schema = rows::load_schema(&admin).await;
        let a = test.create_account("tenant-a").await;
        let b = test.create_account("tenant-b").await;
        Self {
            test,
            admin,
            schema,
            a,
            b,
        }
    }

    fn db(&self) -> &Db {
        &self.test.db
    }

    /// A's row of `table`: A's own account row for the registry, else a new one.
    async fn row_of(&self, table: &Table, account: AccountId) -> Row {
        if table.name == "Alchemi_AccountTable" {
            let text: String = self
                .admin
                .query_one(
                    "SELECT to_jsonb(a.*)::text FROM \"Alchemi_AccountTable\" a WHERE account_id = $1",
                    &[&account.uuid()],
                )
                .await
                .expect("account row")
                .get(0);
            return serde_json::from_str(&text).expect("account json");
        }
        rows::create_row(&self.admin, &self.schema, table, account.uuid()).await
    }

    /// Whether the row is still there, unchanged, as the superuser sees it.
    async fn unchanged(&self, table: &Table, row: &Row) -> bool {
        let sql = format!(
            "SELECT to_jsonb(t.*)::text FROM {t} t, jsonb_populate_record(NULL::{t}, $1::text::jsonb) r WHERE {key}",
            t = table.ident(),
            key = table.key_match()
        );
        match self.admin.query_opt(&sql, &[&rows::param(row)]).await {
            Ok(Some(found)) => {
                serde_json::from_str::<Row>(&found.get::<_, String>(0))
                    .ok()
                    .as_ref()
                    == Some(row)
            }
            _ => false,
        }
    }

    async fn attack(&self, table: &Table, findings: &mut Findings) {
        match table.class.as_str() {
            "tenant" | "tenant_platform" | "tenant_readonly" => {
                self.attack_tenant(table, findings).await
            }
            "catalog" => self.attack_catalog(table, findings).await,
            "identity" => self.attack_identity(table, findings).await,
            "internal" => self.attack_internal(table, findings).await,
            other => findings.check(false, table, format!("unknown tenancy class `{other}`")),
        }
    }

    async fn attack_tenant(&self, table: &Table, findings: &mut Findings) {
        let db = self.db();
        let sql = KeyedSql::new(table);
        let writable = table.class != "tenant_readonly";
        let row_a = self.row_of(table, self.a).await;

        // The owner sees its row: the probes below would prove nothing otherwise.
        let seen = tenant_count(db, self.a, &sql.count, &row_a).await;
        findings.check(
            matches!(seen, Ok(1)),
            table,
            format!("A cannot see its own row: {seen:?}"),
        );

        // B can neither read, change nor delete A's row.
        let seen = tenant_count(db, self.b, &sql.count, &row_a).await;
        findings.check(
            matches!(seen, Ok(0)),
            table,
            format!("B reads A's row: {seen:?}"),
        );
        for (what, statement) in [("update", &sql.touch), ("delete", &sql.delete)] {
            let result = tenant_exec(db, self.b, statement, &row_a, None).await;
            let ok = if writable {
                matches!(result, Ok(0))
            } else {
                denied(&result)
            };
            findings.check(
                ok,
                table,
                format!("B's {what} of A's row {}", describe(&result)),
            );
        }
        findings.check(
            self.unchanged(table, &row_a).await,
            table,
            "A's row changed after B's attempts",
        );

        // Nothing is visible or writable without an account.
        let anonymous = self.test.connect_as("alchemi_app").await;
        let visible: Result<i64, _> = anonymous
            .query_one(
                &format!(
                    "SELECT count(*) FROM {} WHERE account_id <> $1",
                    table.ident()
                ),
                &[&PLATFORM],
            )
            .await
            .map(|r| r.get(0));
        findings.check(
            matches!(visible, Ok(0)),
            table,
            format!("rows visible without an account: {visible:?}"),
        );

        // B cannot insert a row for A (nor can a request with no account).
        if table.name != "Alchemi_AccountTable" {
            let forged = rows::build_row(&self.admin, &self.schema, table, self.a.uuid()).await;
            let result = tenant_insert(db, self.b, table, &forged).await;
            findings.check(
                denied(&result),
                table,
                format!("B's insert of a row for A {}", describe(&result)),
            );
            let result = anonymous
                .execute(&insert_sql(table, &forged), &[&rows::param(&forged)])
                .await
                .map_err(DbError::from);
            findings.check(
                denied(&result),
                table,
                format!("insert without an account {}", describe(&result)),
            );
        }

        self.attack_foreign_keys(table, findings).await;
        self.attack_unique_keys(table, &row_a, findings).await;
        // Last, as it leaves a committed row of B behind.
        if writable {
            // B writes its own row, then tries to move it to A (and to the platform).
            let own = rows::build_row(&self.admin, &self.schema, table, self.b.uuid()).await;
            let result = tenant_insert(db, self.b, table, &own).await;
            findings.check(
                matches!(result, Ok(1)),
                table,
                format!("B's insert of its own row {}", describe(&result)),
            );
            if let Ok(own) = rows::insert(&self.admin, table, &own).await {
                for target in [self.a.uuid(), PLATFORM] {
                    let result = tenant_exec(db, self.b, &sql.move_to, &own, Some(target)).await;
                    findings.check(
                        denied(&result),
                        table,
                        format!("B moving its row to {target} {}", describe(&result)),
                    );
                }
            }
        }

        if table.class == "tenant_platform" {
            self.attack_platform_rows(table, findings).await;
        }
    }

    /// A child in B cannot point at A's parent: every foreign key between
    /// tenant tables carries account_id.
    async fn attack_foreign_keys(&self, table: &Table, findings: &mut Findings) {
        for fk in &table.foreign_keys {
            let parent = &self.schema[&fk.parent];
            if !parent.is_tenant() || parent.name == "Alchemi_AccountTable" {
                continue;
            }
            let parent_a = self.row_of(parent, self.a).await;
            let mut child = rows::build_row(&self.admin, &self.schema, table, self.b.uuid()).await;
            for (column, parent_column) in fk.columns.iter().zip(&fk.parent_columns) {
                if column != "account_id" {
                    child.insert(column.clone(), parent_a[parent_column].clone());
                }
            }
            // Through the admin role, which bypasses row-level security: only
            // the foreign key itself can stop this.
            let result = rows::insert(&self.admin, table, &child)
                .await
                .map(|_| 1)
                .map_err(DbError::from);
            findings.check(
                is_code(&result, &SqlState::FOREIGN_KEY_VIOLATION),
                table,
                format!(
                    "child of B pointing at A's {} through {} {}",
                    parent.name,
                    fk.name,
                    describe(&result)
                ),
            );
        }
    }

    /// A value unique in A can be used in B too: uniqueness is per account, so
    /// a duplicate-key error can never reveal another account's value.
    async fn attack_unique_keys(&self, table: &Table, row_a: &Row, findings: &mut Findings) {
        if table.name == "Alchemi_AccountTable" {
            return;
        }
        let fk_columns: Vec<&String> = table
            .foreign_keys
            .iter()
            .flat_map(|fk| fk.columns.iter())
            .filter(|column| *column != "account_id")
            .collect();
        let keys = std::iter::once(&table.primary_key).chain(&table.uniques);
        for key in keys {
            let shared: Vec<&String> = key
                .iter()
                .filter(|column| *column != "account_id")
                .collect();
            if shared.is_empty() || shared.iter().any(|column| fk_columns.contains(column)) {
                continue;
            }
            let mut row_b = rows::build_row(&self.admin, &self.schema, table, self.b.uuid()).await;
            for column in &shared {
                row_b.insert((*column).clone(), row_a[column.as_str()].clone());
            }
            let result = if table.class == "tenant_readonly" {
                rows::insert(&self.admin, table, &row_b)
                    .await
                    .map(|_| 1)
                    .map_err(DbError::from)
            } else {
                tenant_insert(self.db(), self.b, table, &row_b).await
            };
            findings.check(
                matches!(result, Ok(1)),
                table,
                format!(
                    "B reusing A's value of unique key {key:?} {}",
                    describe(&result)
                ),
            );
        }
    }

    /// Platform rows are readable by every tenant and writable by none.
    async fn attack_platform_rows(&self, table: &Table, findings: &mut Findings) {
        let db = self.db();
        let sql = KeyedSql::new(table);
        let platform_row = rows::create_row(&self.admin, &self.schema, table, PLATFORM).await;
        let seen = tenant_count(db, self.b, &sql.count, &platform_row).await;
        findings.check(
            matches!(seen, Ok(1)),
            table,
            format!("B cannot read a platform row: {seen:?}"),
        );
        for (what, statement) in [("update", &sql.touch), ("delete", &sql.delete)] {
            let result = tenant_exec(db, self.b, statement, &platform_row, None).await;
            findings.check(
                matches!(result, Ok(0)),
                table,
                format!("B's {what} of a platform row {}", describe(&result)),
            );
        }
        findings.check(
            self.unchanged(table, &platform_row).await,
            table,
            "platform row changed",
        );
        let forged = rows::build_row(&self.admin, &self.schema, table, Uuid::nil()).await;
        let result = tenant_insert(db, self.b, table, &forged).await;
        findings.check(
            denied(&result),
            table,
            format!("B's insert of a platform row {}", describe(&result)),
        );
    }

    /// Global catalogs: every tenant reads, no tenant writes.
    async fn attack_catalog(&self, table: &Table, findings: &mut Findings) {
        let db = self.db();
        let sql = KeyedSql::new(table);
        let row = rows::create_row(&self.admin, &self.schema, table, PLATFORM).await;
        for account in [self.a, self.b] {
            let seen = tenant_count(db, account, &sql.count, &row).await;
            findings.check(
                matches!(seen, Ok(1)),
                table,
                format!("a tenant cannot read the catalog: {seen:?}"),
            );
        }
        for (what, statement) in [("update", &sql.touch), ("delete", &sql.delete)] {
            let result = tenant_exec(db, self.a, statement, &row, None).await;
            findings.check(
                denied(&result),
                table,
                format!("tenant {what} of the catalog {}", describe(&result)),
            );
        }
        let new_row = rows::build_row(&self.admin, &self.schema, table, PLATFORM).await;
        let result = tenant_insert(db, self.a, table, &new_row).await;
        findings.check(
            denied(&result),
            table,
            format!("tenant insert into the catalog {}", describe(&result)),
        );
        findings.check(
            self.unchanged(table, &row).await,
            table,
            "catalog row changed",
        );
    }

    /// Shared identity: visible to an account only through its membership.
    async fn attack_identity(&self, table: &Table, findings: &mut Findings) {
        let db = self.db();
        let sql = KeyedSql::new(table);
        let user = rows::create_row(&self.admin, &self.schema, table, PLATFORM).await;
        let membership = &self.schema["Alchemi_AccountMembershipTable"];
        let mut link = rows::build_row(&self.admin, &self.schema, membership, self.a.uuid()).await;
        link.insert("user_id".into(), user["id"].clone());
        rows::insert(&self.admin, membership, &link)
            .await
            .expect("membership");

        let seen = tenant_count(db, self.a, &sql.count, &user).await;
        findings.check(
            matches!(seen, Ok(1)),
            table,
            format!("member account cannot see its user: {seen:?}"),
        );
        let seen = tenant_count(db, self.b, &sql.count, &user).await;
        findings.check(
            matches!(seen, Ok(0)),
            table,
            format!("other account sees the user: {seen:?}"),
        );
        let result = tenant_exec(db, self.a, &sql.touch, &user, None).await;
        findings.check(
            denied(&result),
            table,
            format!("tenant update of a user {}", describe(&result)),
        );
        let new_user = rows::build_row(&self.admin, &self.schema, table, PLATFORM).await;
        let result = tenant_insert(db, self.a, table, &new_user).await;
        findings.check(
            denied(&result),
            table,
            format!("tenant insert of a user {}", describe(&result)),
        );
    }

    /// Platform bookkeeping: no tenant access at all.
    async fn attack_internal(&self, table: &Table, findings: &mut Findings) {
        let row = rows::create_row(&self.admin, &self.schema, table, PLATFORM).await;
        let sql = KeyedSql::new(table);
        let result = tenant_count(self.db(), self.a, &sql.count, &row)
            .await
            .map(|n| n as u64);
        findings.check(
            denied(&result),
            table,
            format!("tenant read of internal table {}", describe(&result)),
        );
    }
}

#[tokio::test]
async fn every_table_resists_cross_tenant_attacks() {
    let suite = Suite::new().await;
    assert_eq!(
        suite.schema.len(),
        91,
        "the schema holds the 91 governed tables"
    );
    let mut findings = Findings::default();
    for table in suite.schema.values() {
        suite.attack(table, &mut findings).await;
    }
    assert!(
        findings.0.is_empty(),
        "{} isolation failure(s):\n{}",
        findings.0.len(),
        findings.0.join("\n")
    );
}

#[tokio::test]
async fn every_tenancy_class_is_exercised() {
    let suite = Suite::new().await;
    let mut classes: Vec<&str> = suite.schema.values().map(|t| t.class.as_str()).collect();
    classes.sort_unstable();
    classes.dedup();
    assert_eq!(
        classes,
        [
            "catalog",
            "identity",
            "internal",
            "tenant",
            "tenant_platform",
            "tenant_readonly"
        ],
        "every table has a class and every class has a table"
    );
}
