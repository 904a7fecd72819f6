//! Throwaway databases. The template is built once per source fingerprint
//! under a cluster-wide advisory lock (test binaries and concurrent runs share
//! it), then each test clones it with `CREATE DATABASE ... TEMPLATE` and drops
//! its clone when done.

use std::sync::OnceLock;

use alchemi::db::{AccountId, Db, DbTargets, PoolSizes};
use tokio_postgres::{Client, NoTls};
use uuid::Uuid;

/// The cluster the tests use: a superuser connection to its `postgres` database.
pub fn server_url() -> String {
    std::env::var("ALCHEMI_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn server_config(dbname: &str) -> tokio_postgres::Config {
    let mut config: tokio_postgres::Config =
        server_url().parse().expect("ALCHEMI_TEST_DATABASE_URL");
    config.dbname(dbname);
    config
}

/// A plain connection as `user` (trust authentication on the test cluster).
pub async fn connect_as(dbname: &str, user: &str) -> Client {
    let mut config = server_config(dbname);
    config.user(user);
    config.password("");
    let (client, connection) = config
        .connect(NoTls)
        .await
        .expect("connect to the test cluster");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

async fn superuser(dbname: &str) -> Client {
    let (client, connection) = server_config(dbname)
        .connect(NoTls)
        .await
        .expect("connect to the test cluster as superuser (set ALCHEMI_TEST_DATABASE_URL)");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

static TEMPLATE: OnceLock<String> = OnceLock::new();

/// The migrated template's name, building it on first use.
fn template() -> &'static str {
    TEMPLATE.get_or_init(|| {
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(build_template())
        })
        .join()
        .expect("template builder panicked")
    })
}

async fn build_template() -> String {
    let name = format!("alchemi_tpl_{}", alchemi::migrate::fingerprint());
    let admin = superuser("postgres").await;
    admin
        .execute(
            "SELECT pg_advisory_lock(hashtext('alchemi test template'))",
            &[],
        )
        .await
        .expect("template lock");
    let ready: bool = admin
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)",
            &[&name],
        )
        .await
        .expect("look up template")
        .get(0);
    if !ready {
        let stale = admin
            .query(
                "SELECT datname FROM pg_database WHERE datname LIKE 'alchemi\\_tpl\\_%'",
                &[],
            )
            .await
            .expect("list templates");
        for row in stale {
            let old: String = row.get(0);
            admin
                .batch_execute(&format!("ALTER DATABASE \"{old}\" IS_TEMPLATE false"))
                .await
                .expect("unmark stale template");
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS \"{old}\" WITH (FORCE)"))
                .await
                .expect("drop stale template");
        }
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create template");
        {
            let mut client = superuser(&name).await;
            alchemi::migrate::run(&mut client, &Default::default())
                .await
                .expect("migrate the template");
        }
        admin
            .batch_execute(&format!(
                "ALTER DATABASE \"{name}\" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"
            ))
            .await
            .expect("mark template");
    }
    admin
        .execute(
            "SELECT pg_advisory_unlock(hashtext('alchemi test template'))",
            &[],
        )
        .await
        .expect("template unlock");
    name
}

/// A migrated database of its own, dropped on drop.
pub struct TestDb {
    pub name: String,
    pub db: Db,
}

impl TestDb {
    /// Clones the template into a fresh database and opens the server's pools on it.
    pub async fn new() -> Self {
        Self::with_pool_size(8).await
    }

    /// As `new`, with `size` connections in the tenant pool.
    pub async fn with_pool_size(size: usize) -> Self {
        let template = template();
        let name = format!("alchemi_test_{}", Uuid::new_v4().simple());
        let admin = superuser("postgres").await;
        let mut attempt = 0;
        loop {
            let create = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
            match admin.batch_execute(&create).await {
                Ok(()) => break,
                // Another clone of the same template may be in flight.
                Err(err) if attempt < 20 => {
                    attempt += 1;
                    let _ = err;
                    tokio::time::sleep(std::time::Duration::from_millis(50 * attempt)).await;
                }
                Err(err) => panic!("cannot clone the template: {err}"),
            }
        }
        let targets = DbTargets {
            app: role_config(&name, "alchemi_app"),
            admin: role_config(&name, "alchemi_admin"),
        };
        let db = Db::connect(
            targets,
            PoolSizes {
                app: size,
                admin: 2,
            },
        )
        .expect("pools");
        Self { name, db }
    }

    /// The `alchemi_app` connection settings (for the change listener).
    pub fn app_config(&self) -> tokio_postgres::Config {
        role_config(&self.name, "alchemi_app")
    }

    /// A superuser connection to this database, for checks behind the policies' back.
    pub async fn superuser(&self) -> Client {
        superuser(&self.name).await
    }

    /// A plain connection as `role`.
    pub async fn connect_as(&self, role: &str) -> Client {
        connect_as(&self.name, role).await
    }

    /// Creates a tenant account and returns its id.
    pub async fn create_account(&self, name: &str) -> AccountId {
        let tx = self.db.admin().await.expect("admin tx");
        let row = tx
            .query_one(
                "INSERT INTO \"Alchemi_AccountTable\" (account_name) VALUES ($1) RETURNING account_id",
                &[&format!("{name}-{}", Uuid::new_v4().simple())],
            )
            .await
            .expect("create account");
        tx.commit().await.expect("commit account");
        AccountId::new(row.get(0)).expect("tenant id")
    }
}

fn role_config(dbname: &str, role: &str) -> tokio_postgres::Config {
    let mut config = server_config(dbname);
    config.user(role);
    config.password("");
    config
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                let admin = superuser("postgres").await;
                let _ = admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await;
            });
        })
        .join();
    }
}
