//! The spend pipeline without HTTP: events survive an unreachable database
//! on disk and are replayed exactly once.

use std::sync::Arc;
use std::time::Duration;

use alchemi::db::{Db, DbTargets, PoolSizes};
use alchemi::spend::{SpendEvent, SpendWriter, Spool};
use alchemi::translate::Usage;
use serde_json::json;

use crate::common::TestDb;

fn event(account: uuid::Uuid, request_id: &str, token: &str) -> SpendEvent {
    let now = chrono::Utc::now();
    SpendEvent {
        request_id: request_id.to_owned(),
        call_id: format!("call-{request_id}"),
        account_id: account,
        call_type: "acompletion".into(),
        api_key: token.to_owned(),
        user_id: Some("u1".into()),
        team_id: None,
        organization_id: None,
        end_user: Some("customer-1".into()),
        model: "gpt-4o".into(),
        model_group: "gpt-4o".into(),
        model_id: "m1".into(),
        custom_llm_provider: "openai".into(),
        api_base: "http://127.0.0.1:1/v1".into(),
        endpoint: "/chat/completions".into(),
        usage: Usage {
            prompt_tokens: 10,
            completion_tokens: 5,
            ..Usage::default()
        },
        spend: 0.25,
        start_time: now,
        end_time: now,
        completion_start_time: None,
        success: true,
        metadata: json!({"status": "success"}),
        request_tags: vec!["tag-a".into()],
        requester_ip_address: None,
        session_id: None,
    }
}

fn dead_db() -> Db {
    let mut dead = tokio_postgres::Config::new();
    dead.host("127.0.0.1")
        .port(1)
        .user("alchemi_app")
        .dbname("none");
    dead.connect_timeout(Duration::from_millis(200));
    Db::connect(
        DbTargets {
            app: dead.clone(),
            admin: dead,
        },
        PoolSizes { app: 1, admin: 1 },
    )
    .unwrap()
}

/// What key `tok-1` has spent.
async fn key_spend(admin: &tokio_postgres::Client) -> f64 {
    admin
        .query_one(
            "SELECT spend FROM \"LiteLLM_VerificationToken\" WHERE token = 'tok-1'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

/// A test database with one account holding key `tok-1`, and an empty
/// spool in a fresh temporary folder.
async fn with_key_and_spool(
    name: &str,
) -> (
    TestDb,
    alchemi::db::AccountId,
    tokio_postgres::Client,
    std::path::PathBuf,
    Arc<Spool>,
) {
    let test = TestDb::new().await;
    let account = test.create_account(name).await;
    let admin = test.superuser().await;
    admin
        .execute(
            "INSERT INTO \"LiteLLM_VerificationToken\" (account_id, token) VALUES ($1, 'tok-1')",
            &[&account.uuid()],
        )
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!(
        "alchemi-{name}-test-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let spool = Arc::new(Spool::new(&dir));
    (test, account, admin, dir, spool)
}

#[tokio::test]
async fn spend_is_spooled_while_the_database_is_away_and_replayed_exactly_once() {
    let (test, account, admin, dir, spool) = with_key_and_spool("spool").await;

    // The database is unreachable: events go to disk, nothing is lost.
    let (writer, queue) =
        SpendWriter::start(&dead_db(), spool.clone(), Duration::from_millis(20)).unwrap();
    for i in 0..3 {
        queue.record(event(account.uuid(), &format!("req-{i}"), "tok-1"));
    }
    writer.shutdown().await;
    let files = spool.files();
    assert!(!files.is_empty(), "events were spooled");
    // A copy of the spool, as if a replay were interrupted and ran again.
    let copy = dir.join("spend-zzz-copy.jsonl");
    std::fs::copy(&files[0], &copy).unwrap();

    // The database is back: replay writes everything once.
    let (writer, _queue) =
        SpendWriter::start(&test.db, spool.clone(), Duration::from_millis(20)).unwrap();
    for _ in 0..100 {
        if spool.files().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    writer.shutdown().await;
    assert!(spool.files().is_empty(), "replayed files are removed");

    let logs: i64 = admin
        .query_one("SELECT count(*) FROM \"LiteLLM_SpendLogs\"", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(logs, 3);
    let key_spend = key_spend(&admin).await;
    assert!(
        (key_spend - 0.75).abs() < 1e-10,
        "counted once: {key_spend}"
    );
    let end_user: f64 = admin
        .query_one(
            "SELECT spend FROM \"LiteLLM_EndUserTable\" WHERE user_id = 'customer-1'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!((end_user - 0.75).abs() < 1e-10);
    let tag_requests: i64 = admin
        .query_one(
            "SELECT api_requests FROM \"LiteLLM_DailyTagSpend\" WHERE tag = 'tag-a'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tag_requests, 3);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Waits until the key's spend log has `rows` rows; returns the request ids.
async fn logged_ids(admin: &tokio_postgres::Client, rows: usize) -> Vec<String> {
    for _ in 0..100 {
        let ids: Vec<String> = admin
            .query(
                "SELECT request_id FROM \"LiteLLM_SpendLogs\" ORDER BY request_id",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        if ids.len() >= rows {
            return ids;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("spend logs never reached {rows} rows");
}

#[tokio::test]
async fn repeated_provider_ids_log_each_call_once_within_and_across_batches() {
    let (test, account, admin, dir, spool) = with_key_and_spool("repeats").await;
    let (writer, queue) =
        SpendWriter::start(&test.db, spool.clone(), Duration::from_millis(20)).unwrap();
    let call = |call_id: &str| {
        let mut event = event(account.uuid(), "chatcmpl-same", "tok-1");
        event.call_id = call_id.to_owned();
        event
    };

    // One batch: three calls share the provider's id, one of them twice.
    for id in ["call-a", "call-b", "call-b", "call-c"] {
        queue.record(call(id));
    }
    let ids = logged_ids(&admin, 3).await;
    assert_eq!(ids, ["call-b", "call-c", "chatcmpl-same"]);

    // A later batch: the id is taken in the table; replays change nothing.
    for id in ["call-d", "call-a", "call-c"] {
        queue.record(call(id));
    }
    let ids = logged_ids(&admin, 4).await;
    writer.shutdown().await;
    assert_eq!(ids, ["call-b", "call-c", "call-d", "chatcmpl-same"]);
    let owner: String = admin
        .query_one(
            "SELECT metadata ->> 'call_id' FROM \"LiteLLM_SpendLogs\" WHERE request_id = 'chatcmpl-same'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(owner, "call-a");
    let key_spend = key_spend(&admin).await;
    assert!((key_spend - 1.0).abs() < 1e-10, "four calls: {key_spend}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A real restart: an embedded cluster is stopped while spend keeps coming,
/// then started again; the spooled events are replayed exactly once.
#[tokio::test]
async fn spend_recorded_while_the_database_restarts_is_written_once_it_is_back() {
    use alchemi::embedded::EmbeddedPostgres;

    let dir =
        std::env::temp_dir().join(format!("alchemi-restart-{}", uuid::Uuid::new_v4().simple()));
    let cluster = EmbeddedPostgres::start(&dir).await.unwrap();
    let mut migrator = alchemi::cluster::connect(&cluster.superuser_config())
        .await
        .unwrap();
    let passwords = alchemi::migrate::RolePasswords {
        app: Some(cluster.secrets().app.clone()),
        admin: Some(cluster.secrets().admin.clone()),
        auditor: None,
    };
    alchemi::migrate::run(&mut migrator, &passwords)
        .await
        .unwrap();
    let targets = DbTargets {
        app: cluster.config("alchemi_app", &cluster.secrets().app),
        admin: cluster.config("alchemi_admin", &cluster.secrets().admin),
    };
    let superuser = cluster.superuser_config();
    let db = Db::connect(targets, PoolSizes { app: 2, admin: 1 }).unwrap();
    let account = alchemi::server::ensure_default_account(&db).await.unwrap();
    let spool = Arc::new(Spool::new(dir.join("spool")));
    let (writer, queue) =
        SpendWriter::start(&db, spool.clone(), Duration::from_millis(20)).unwrap();

    let count = |config: tokio_postgres::Config| async move {
        let client = alchemi::cluster::connect(&config).await.unwrap();
        let n: i64 = client
            .query_one("SELECT count(*) FROM \"LiteLLM_SpendLogs\"", &[])
            .await
            .unwrap()
            .get(0);
        n
    };
    queue.record(event(account.uuid(), "before", ""));
    for _ in 0..100 {
        if count(superuser.clone()).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(migrator);

    cluster.stop().await;
    queue.record(event(account.uuid(), "during-1", ""));
    queue.record(event(account.uuid(), "during-2", ""));
    for _ in 0..200 {
        if !spool.files().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !spool.files().is_empty(),
        "spend recorded while the database was down is on disk"
    );

    let cluster = EmbeddedPostgres::start(&dir).await.unwrap();
    assert_eq!(
        cluster.superuser_config().get_ports(),
        superuser.get_ports(),
        "same port after a restart"
    );
    for _ in 0..200 {
        if spool.files().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    writer.shutdown().await;
    assert!(spool.files().is_empty(), "the spool was replayed");
    assert_eq!(count(superuser).await, 3, "every call logged exactly once");
    cluster.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
