//! The production router on a loopback port, over a test database.

use std::net::SocketAddr;

use alchemi::db::{AccountId, Db};
use alchemi::server::{Credentials, PasswordCheck, Settings};
use alchemi::{AppState, app};

use super::TestDb;

/// The master key every test app accepts.
pub const MASTER_KEY: &str = "sk-test-master-key";

/// A running server.
pub struct TestApp {
    pub address: SocketAddr,
    pub test: TestDb,
    pub default_account: AccountId,
    pub http: reqwest::Client,
}

impl TestApp {
    /// Serves the application over a fresh database.
    pub async fn spawn() -> Self {
        let test = TestDb::new().await;
        let default_account = alchemi::server::ensure_default_account(&test.db)
            .await
            .unwrap();
        let address = serve(test.db.clone(), default_account).await;
        Self {
            address,
            test,
            default_account,
            http: reqwest::Client::new(),
        }
    }

    /// `http://127.0.0.1:port{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }
}

/// Serves the router over `db` on a free loopback port.
pub async fn serve(db: Db, default_account: AccountId) -> SocketAddr {
    let settings = Settings {
        credentials: Credentials {
            master_key_hash: alchemi::secret::hash_api_key(MASTER_KEY),
            ui_username: "admin".into(),
            ui_password: PasswordCheck::Configured(MASTER_KEY.to_owned().into()),
        },
        default_account,
        root_redirect_url: "/ui".into(),
        docs_url: "/api-docs".into(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app(AppState::new(db, settings))).await;
    });
    address
}
