//! The server over HTTP: health endpoints, and the binary's zero-configuration
//! start on an embedded PostgreSQL.

use std::process::Stdio;
use std::time::Duration;

use alchemi::db::{Db, DbTargets, PoolSizes};
use serde_json::Value;

use crate::common::app::{TestApp, serve};

#[tokio::test]
async fn health_endpoints_answer_in_litellm_shapes() {
    let app = TestApp::spawn().await;
    let live = app
        .http
        .get(app.url("/health/liveliness"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    assert_eq!(live.json::<Value>().await.unwrap(), "I'm alive!");
    let ready = app
        .http
        .get(app.url("/health/readiness"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "connected");
    assert_eq!(body["db"], "connected");
    assert!(body["litellm_version"].is_string());
    assert!(app.test.db.ping().await);
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    let mut dead = tokio_postgres::Config::new();
    dead.host("127.0.0.1")
        .port(1)
        .user("alchemi_app")
        .dbname("none");
    let db = Db::connect(
        DbTargets {
            app: dead.clone(),
            admin: dead.clone(),
        },
        PoolSizes { app: 1, admin: 1 },
    )
    .unwrap();
    let (address, _runtime, _server) =
        serve(db, dead, app.default_account, app.spool_dir.clone()).await;
    let response = reqwest::get(format!("http://{address}/health/readiness"))
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["db"], "disconnected");
}

/// `alchemi` with no configuration: creates a cluster in the data folder,
/// migrates, prints the console URL and first credentials, answers health,
/// stops its cluster on SIGTERM, and reuses it on the next start.
#[tokio::test]
async fn the_binary_starts_on_an_embedded_database_with_no_configuration() {
    let data_dir = std::env::temp_dir().join(format!(
        "alchemi-embedded-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let port = free_port();

    let first = start_binary(&data_dir, port).await;
    assert!(
        first.contains("Alchemi Console is ready: http://127.0.0.1:"),
        "{first}"
    );
    assert!(first.contains("super admin login: admin / "), "{first}");
    assert!(first.contains("master key:        sk-"), "{first}");
    assert!(data_dir.join("pgdata/PG_VERSION").exists());
    assert!(
        !data_dir.join("pgdata/postmaster.pid").exists(),
        "the cluster stopped with the server"
    );

    let second = start_binary(&data_dir, port).await;
    assert!(second.contains("Alchemi Console is ready"), "{second}");
    assert!(
        !second.contains("master key:"),
        "secrets are shown only once: {second}"
    );
    let _ = std::fs::remove_dir_all(&data_dir);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs the binary until it is ready, checks health, stops it with SIGTERM,
/// and returns what it printed.
async fn start_binary(data_dir: &std::path::Path, port: u16) -> String {
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_alchemi"))
        .env_remove("DATABASE_URL")
        .env_remove("LITELLM_MASTER_KEY")
        .env_remove("ALCHEMI_MASTER_KEY")
        .env_remove("UI_PASSWORD")
        .env("ALCHEMI_DATA_DIR", data_dir)
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/health/readiness");
    let mut ready = false;
    for _ in 0..240 {
        if reqwest::get(&url).await.is_ok_and(|r| r.status() == 200) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(ready, "the server did not become ready");
    let pid = nix::unistd::Pid::from_raw(child.id().unwrap() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("the server stops on SIGTERM")
        .unwrap();
    assert!(output.status.success(), "exit status {:?}", output.status);
    String::from_utf8_lossy(&output.stdout).into_owned()
}
