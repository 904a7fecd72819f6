//! The production router on a loopback port, over a test database, with the
//! spend writer and change listener running as in production.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use alchemi::db::{AccountId, Db};
use alchemi::server::{Credentials, PasswordCheck, Runtime, RuntimeConfig, Settings};
use serde_json::Value;

use super::TestDb;

/// The master key every test app accepts.
pub const MASTER_KEY: &str = "sk-test-master-key";

/// A running server.
pub struct TestApp {
    pub address: SocketAddr,
    pub test: TestDb,
    pub default_account: AccountId,
    pub http: reqwest::Client,
    pub spool_dir: PathBuf,
    runtime: Option<Runtime>,
    server: tokio::task::JoinHandle<()>,
}

/// Settings as tests use them.
pub fn settings(default_account: AccountId) -> Settings {
    Settings {
        credentials: Credentials {
            master_key_hash: alchemi::secret::hash_api_key(MASTER_KEY),
            ui_username: "admin".into(),
            ui_password: PasswordCheck::Configured(MASTER_KEY.to_owned().into()),
        },
        default_account,
        root_redirect_url: "/ui".into(),
        docs_url: "/api-docs".into(),
        max_request_bytes: 64 * 1024,
        sessions: alchemi::session::Sessions::new(
            &alchemi::secret::hash_api_key(MASTER_KEY),
            Some("test-salt"),
            false,
        ),
        public_url: None,
    }
}

impl TestApp {
    /// Serves the application over a fresh database.
    pub async fn spawn() -> Self {
        let test = TestDb::new().await;
        let default_account = alchemi::server::ensure_default_account(&test.db)
            .await
            .unwrap();
        let spool_dir =
            std::env::temp_dir().join(format!("alchemi-spool-{}", uuid::Uuid::new_v4().simple()));
        let (address, runtime, server) = serve(
            test.db.clone(),
            test.app_config(),
            default_account,
            spool_dir.clone(),
        )
        .await;
        Self {
            address,
            test,
            default_account,
            http: reqwest::Client::new(),
            spool_dir,
            runtime: Some(runtime),
            server,
        }
    }

    /// `http://127.0.0.1:port{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Stops serving and drains the spend queue, as a graceful shutdown does.
    pub async fn shutdown(&mut self) {
        self.server.abort();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown().await;
        }
    }

    /// Creates a virtual key in `account` and returns it.
    pub async fn add_key(&self, account: AccountId, fields: Value) -> String {
        let key = alchemi::secret::new_api_key();
        let mut row = serde_json::json!({
            "account_id": account.uuid(),
            "token": alchemi::secret::hash_api_key(&key),
            "key_name": format!("sk-...{}", &key[key.len() - 4..]),
        });
        for (name, value) in fields.as_object().unwrap() {
            row[name] = value.clone();
        }
        self.insert("LiteLLM_VerificationToken", &row).await;
        key
    }

    /// Adds a deployment to `account`.
    pub async fn add_model(&self, account: AccountId, model_name: &str, params: Value) {
        let row = serde_json::json!({
            "account_id": account.uuid(),
            "model_name": model_name,
            "litellm_params": params,
            "created_by": "test",
            "updated_by": "test",
        });
        self.insert("LiteLLM_ProxyModelTable", &row).await;
    }

    /// Inserts a row as superuser (behind the policies' back).
    pub async fn insert(&self, table: &str, row: &Value) {
        let columns: Vec<String> = row
            .as_object()
            .unwrap()
            .keys()
            .map(|c| format!("\"{c}\""))
            .collect();
        let columns = columns.join(", ");
        let sql = format!(
            "INSERT INTO \"{table}\" ({columns}) SELECT {columns} FROM jsonb_populate_record(NULL::\"{table}\", $1::text::jsonb)"
        );
        self.test
            .superuser()
            .await
            .execute(&sql, &[&row.to_string()])
            .await
            .unwrap();
    }

    /// Runs a query as superuser and returns the first column of each row as JSON.
    pub async fn rows(&self, sql: &str) -> Vec<Value> {
        let sql = format!("SELECT to_jsonb(q.*) FROM ({sql}) q");
        self.test
            .superuser()
            .await
            .query(&sql, &[])
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect()
    }

    /// Waits (up to 10 s) until `sql` returns `expected` rows.
    pub async fn wait_rows(&self, sql: &str, expected: usize) -> Vec<Value> {
        for _ in 0..200 {
            let rows = self.rows(sql).await;
            if rows.len() >= expected {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {expected} row(s) of: {sql}");
    }
}

/// Serves the router over `db` on a free loopback port.
pub async fn serve(
    db: Db,
    listen: tokio_postgres::Config,
    default_account: AccountId,
    spool_dir: PathBuf,
) -> (SocketAddr, Runtime, tokio::task::JoinHandle<()>) {
    serve_with(db, listen, default_account, spool_dir, None).await
}

/// The Redis the tests share (`ALCHEMI_TEST_REDIS_URL`, else the local one).
pub fn redis_url() -> String {
    std::env::var("ALCHEMI_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Like `serve`, counting limits in the Redis at `redis_url` when given.
pub async fn serve_with(
    db: Db,
    listen: tokio_postgres::Config,
    default_account: AccountId,
    spool_dir: PathBuf,
    redis_url: Option<String>,
) -> (SocketAddr, Runtime, tokio::task::JoinHandle<()>) {
    let runtime = Runtime::start(
        db,
        settings(default_account),
        RuntimeConfig {
            listen,
            spool_dir,
            flush_interval: Duration::from_millis(50),
            salt_key: Some("test-salt".into()),
            redis_url,
            reset_interval: Duration::from_secs(3600),
        },
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app =
        alchemi::app(runtime.state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (address, runtime, server)
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        let _ = std::fs::remove_dir_all(&self.spool_dir);
    }
}
