//! Rows for any table, built from the catalog: values for every NOT NULL
//! column without a default, parents created first for NOT NULL foreign
//! keys. Rows travel as JSON objects and reach SQL through
//! `jsonb_populate_record`, so no value is ever spliced into a statement.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value, json};
use tokio_postgres::Client;
use uuid::Uuid;

/// The platform account that owns global rows.
pub const PLATFORM: Uuid = Uuid::nil();

/// A row as column → value.
pub type Row = Map<String, Value>;

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub type_name: String,
    pub not_null: bool,
    pub has_default: bool,
    pub enum_labels: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub parent: String,
    pub parent_columns: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub class: String,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    pub uniques: Vec<Vec<String>>,
    pub foreign_keys: Vec<ForeignKey>,
}

impl Table {
    /// Quoted name for SQL.
    pub fn ident(&self) -> String {
        format!("\"{}\"", self.name)
    }

    /// True for the classes whose rows belong to a tenant.
    pub fn is_tenant(&self) -> bool {
        self.class.starts_with("tenant")
    }

    /// `t.a = r.a AND ...` over the primary key.
    pub fn key_match(&self) -> String {
        self.primary_key
            .iter()
            .map(|column| format!("t.\"{column}\" = r.\"{column}\""))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }
}

/// Every table of `public`, with its tenancy class from the table comment.
pub async fn load_schema(client: &Client) -> BTreeMap<String, Table> {
    let tables = client
        .query(
            "SELECT c.oid::int8, c.relname::text,
                    coalesce(substring(obj_description(c.oid, 'pg_class') FROM '^tenancy: ([a-z_]+)$'), '')
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 2",
            &[],
        )
        .await
        .expect("list tables");
    let mut schema = BTreeMap::new();
    for row in tables {
        let oid: i64 = row.get(0);
        let name: String = row.get(1);
        let columns = client
            .query(
                "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                        a.atthasdef OR a.attidentity <> '',
                        coalesce((SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
                                    FROM pg_enum e WHERE e.enumtypid = a.atttypid), '{}')
                   FROM pg_attribute a
                  WHERE a.attrelid = $1::int8::oid AND a.attnum > 0 AND NOT a.attisdropped
                  ORDER BY a.attnum",
                &[&oid],
            )
            .await
            .expect("columns")
            .into_iter()
            .map(|r| Column {
                name: r.get(0),
                type_name: r.get(1),
                not_null: r.get(2),
                has_default: r.get(3),
                enum_labels: r.get(4),
            })
            .collect();
        let constraint_columns = |kind: &'static str| async move {
            client
                    .query(
                        "SELECT con.conname::text,
                                ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                                        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i),
                                coalesce(con.confrelid::regclass::text, ''),
                                ARRAY(SELECT a.attname::text FROM unnest(coalesce(con.confkey, '{}')) WITH ORDINALITY k(n, i)
                                        JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i)
                           FROM pg_constraint con
                          WHERE con.conrelid = $1::int8::oid AND con.contype = $2::text::\"char\"
                          ORDER BY 1",
                        &[&oid, &kind],
                    )
                    .await
                    .expect("constraints")
        };
        let primary_key = constraint_columns("p")
            .await
            .first()
            .map(|r| r.get::<_, Vec<String>>(1))
            .unwrap_or_default();
        let uniques = constraint_columns("u")
            .await
            .iter()
            .map(|r| r.get::<_, Vec<String>>(1))
            .collect();
        let foreign_keys = constraint_columns("f")
            .await
            .iter()
            .map(|r| ForeignKey {
                name: r.get(0),
                columns: r.get(1),
                parent: r.get::<_, String>(2).trim_matches('"').to_owned(),
                parent_columns: r.get(3),
            })
            .collect();
        let class = row.get(2);
        schema.insert(
            name.clone(),
            Table {
                name,
                class,
                columns,
                primary_key,
                uniques,
                foreign_keys,
            },
        );
    }
    schema
}

/// A value of the column's type that no other generated value repeats.
fn sample_value(column: &Column) -> Value {
    let unique = Uuid::new_v4().simple().to_string();
    if let Some(label) = column.enum_labels.first() {
        return json!(label);
    }
    match column.type_name.as_str() {
        "text" => json!(format!("v-{}", &unique[..12])),
        "uuid" => json!(Uuid::new_v4()),
        "integer" | "bigint" => json!(rand_int()),
        "double precision" => json!(1.5),
        "boolean" => json!(false),
        "jsonb" => json!({}),
        "text[]" => json!([]),
        "bytea" => json!("\\x00"),
        "timestamp with time zone" => json!("2026-01-01T00:00:00Z"),
        other => panic!("no sample value for type {other} ({})", column.name),
    }
}

fn rand_int() -> i64 {
    i64::from(Uuid::new_v4().as_u128() as u32 >> 2)
}

/// Builds a row of `table` for `account` (or the platform for global tables)
/// without inserting it. Parents of NOT NULL foreign keys are inserted through
/// `admin` (which bypasses row-level security).
pub async fn build_row(
    admin: &Client,
    schema: &BTreeMap<String, Table>,
    table: &Table,
    account: Uuid,
) -> Row {
    Box::pin(build_row_inner(
        admin,
        schema,
        table,
        account,
        &mut HashSet::new(),
    ))
    .await
}

async fn build_row_inner(
    admin: &Client,
    schema: &BTreeMap<String, Table>,
    table: &Table,
    account: Uuid,
    visiting: &mut HashSet<String>,
) -> Row {
    let owner = if table.is_tenant() { account } else { PLATFORM };
    let mut row = Row::new();
    row.insert("account_id".into(), json!(owner));
    visiting.insert(table.name.clone());
    for fk in &table.foreign_keys {
        let needed = fk
            .columns
            .iter()
            .filter(|column| *column != "account_id")
            .any(|column| table.column(column).is_some_and(|c| c.not_null));
        if !needed || fk.parent == "Alchemi_AccountTable" || visiting.contains(&fk.parent) {
            continue;
        }
        let parent = &schema[&fk.parent];
        let parent_row = Box::pin(insert_new(admin, schema, parent, owner, visiting)).await;
        for (column, parent_column) in fk.columns.iter().zip(&fk.parent_columns) {
            if column != "account_id" {
                row.insert(column.clone(), parent_row[parent_column].clone());
            }
        }
    }
    visiting.remove(&table.name);
    for column in &table.columns {
        if column.not_null && !column.has_default && !row.contains_key(&column.name) {
            row.insert(column.name.clone(), sample_value(column));
        }
    }
    row
}

async fn insert_new(
    admin: &Client,
    schema: &BTreeMap<String, Table>,
    table: &Table,
    account: Uuid,
    visiting: &mut HashSet<String>,
) -> Row {
    let row = build_row_inner(admin, schema, table, account, visiting).await;
    insert(admin, table, &row)
        .await
        .unwrap_or_else(|err| panic!("insert a {} parent row: {err}", table.name))
}

/// Inserts a new row of `table` for `account` through `admin`, parents first.
pub async fn create_row(
    admin: &Client,
    schema: &BTreeMap<String, Table>,
    table: &Table,
    account: Uuid,
) -> Row {
    let row = build_row(admin, schema, table, account).await;
    insert(admin, table, &row)
        .await
        .unwrap_or_else(|err| panic!("insert into {}: {err}", table.name))
}

/// `INSERT ... RETURNING` the whole row.
pub async fn insert(
    client: &Client,
    table: &Table,
    row: &Row,
) -> Result<Row, tokio_postgres::Error> {
    let columns: Vec<String> = row.keys().map(|column| format!("\"{column}\"")).collect();
    let columns = columns.join(", ");
    let sql = format!(
        "INSERT INTO {t} ({columns}) SELECT {columns} FROM jsonb_populate_record(NULL::{t}, $1::text::jsonb) \
         RETURNING to_jsonb({t}.*)::text",
        t = table.ident()
    );
    let text: String = client
        .query_one(&sql, &[&Value::Object(row.clone()).to_string()])
        .await?
        .get(0);
    match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => Ok(map),
        other => panic!("unexpected row {other:?}"),
    }
}

/// The SQL text of the statements the suite runs against a row by its key;
/// `$1` is the row as JSON text.
pub struct KeyedSql {
    pub count: String,
    pub touch: String,
    pub delete: String,
    pub move_to: String,
}

impl KeyedSql {
    pub fn new(table: &Table) -> Self {
        let t = table.ident();
        let record = format!("jsonb_populate_record(NULL::{t}, $1::text::jsonb) r");
        let key = table.key_match();
        Self {
            count: format!("SELECT count(*) FROM {t} t, {record} WHERE {key}"),
            touch: format!("UPDATE {t} t SET account_id = t.account_id FROM {record} WHERE {key}"),
            delete: format!("DELETE FROM {t} t USING {record} WHERE {key}"),
            move_to: format!(
                "UPDATE {t} t SET account_id = $2::text::uuid FROM {record} WHERE {key}"
            ),
        }
    }
}

/// The row as the JSON text parameter the statements take.
pub fn param(row: &Row) -> String {
    Value::Object(row.clone()).to_string()
}
