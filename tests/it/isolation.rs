//! Privilege boundaries of the app role and the tenant transaction's
//! guarantees: context, pool reuse after cancellation, concurrency.

use std::time::Duration;

use alchemi::db::AccountId;
use tokio_postgres::error::SqlState;

use crate::common::TestDb;

const INSERT_KEY: &str = "INSERT INTO \"LiteLLM_VerificationToken\" (account_id, token, key_alias) \
     VALUES (alchemi.current_account_id(), $1, $2)";
const COUNT_KEYS: &str = "SELECT count(*) FROM \"LiteLLM_VerificationToken\"";

async fn add_key(test: &TestDb, account: AccountId, token: &str) {
    let tx = test.db.tenant(account).await.unwrap();
    tx.execute(INSERT_KEY, &[&token, &"alias"]).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn app_role_cannot_escalate_or_change_the_schema() {
    let test = TestDb::new().await;
    let app = test.connect_as("alchemi_app").await;
    let attempts = [
        "SET ROLE alchemi_admin",
        "SET ROLE alchemi_owner",
        "SET SESSION AUTHORIZATION alchemi_admin",
        "TRUNCATE \"LiteLLM_VerificationToken\"",
        "ALTER TABLE \"LiteLLM_VerificationToken\" DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE \"LiteLLM_VerificationToken\" NO FORCE ROW LEVEL SECURITY",
        "ALTER TABLE \"LiteLLM_VerificationToken\" ADD COLUMN x int",
        "DROP TABLE \"LiteLLM_VerificationToken\"",
        "DROP POLICY tenant_isolation ON \"LiteLLM_VerificationToken\"",
        "CREATE POLICY open ON \"LiteLLM_VerificationToken\" USING (true)",
        "CREATE TABLE public.sneaky (id int)",
        "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "SELECT * FROM alchemi.refinery_schema_history",
        "SELECT * FROM alchemi.rls_gaps",
        "CALL alchemi.apply_tenancy('\"LiteLLM_VerificationToken\"', 'internal')",
    ];
    for statement in attempts {
        let result = app.batch_execute(statement).await;
        let code = result.as_ref().err().and_then(|err| err.code()).cloned();
        assert!(
            matches!(code, Some(ref c) if *c == SqlState::INSUFFICIENT_PRIVILEGE),
            "`{statement}` as alchemi_app: {result:?}"
        );
    }
}

#[tokio::test]
async fn tenant_transaction_runs_as_the_app_role_scoped_to_its_account() {
    let test = TestDb::new().await;
    let account = test.create_account("ctx").await;
    let tx = test.db.tenant(account).await.unwrap();
    let row = tx
        .query_one(
            "SELECT current_setting('app.account_id'), current_user::text,
                    (SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = current_user)",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), account.to_string());
    assert_eq!(row.get::<_, String>(1), "alchemi_app");
    assert!(!row.get::<_, bool>(2));
}

#[tokio::test]
async fn a_reused_connection_carries_no_account() {
    let test = TestDb::new().await;
    let a = test.create_account("reuse-a").await;
    add_key(&test, a, "hash-a").await;

    // rls.md attack 2: after a transaction set the account, the setting reads
    // as '' (not NULL) on the same connection; it must still mean "no account".
    let app = test.connect_as("alchemi_app").await;
    app.batch_execute(&format!("BEGIN; SET LOCAL app.account_id = '{a}'"))
        .await
        .unwrap();
    let seen: i64 = app.query_one(COUNT_KEYS, &[]).await.unwrap().get(0);
    assert_eq!(seen, 1);
    app.batch_execute("COMMIT").await.unwrap();
    let row = app
        .query_one(
            &format!("SELECT current_setting('app.account_id', true), alchemi.current_account_id() IS NULL, ({COUNT_KEYS})"),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, Option<String>>(0).as_deref(), Some(""));
    assert!(row.get::<_, bool>(1));
    assert_eq!(row.get::<_, i64>(2), 0);
    let write = app.execute(INSERT_KEY, &[&"hash-x", &"x"]).await;
    assert_eq!(
        write.unwrap_err().code(),
        Some(&SqlState::INSUFFICIENT_PRIVILEGE)
    );
}

#[tokio::test]
async fn a_cancelled_request_leaves_nothing_on_its_pooled_connection() {
    let test = TestDb::with_pool_size(1).await;
    let a = test.create_account("cancel-a").await;
    let b = test.create_account("cancel-b").await;
    add_key(&test, b, "hash-b").await;

    // A request of A writes, then is cancelled mid-statement (client gone).
    let cancelled = tokio::time::timeout(Duration::from_millis(200), async {
        let tx = test.db.tenant(a).await.unwrap();
        tx.execute(INSERT_KEY, &[&"hash-uncommitted", &"never"])
            .await
            .unwrap();
        tx.execute("SELECT pg_sleep(5)", &[]).await.unwrap();
        tx.commit().await.unwrap();
    })
    .await;
    assert!(cancelled.is_err(), "the request was cut off");

    // The only connection is handed to B next.
    let tx = test.db.tenant(b).await.unwrap();
    let row = tx
        .query_one(
            &format!(
                "SELECT current_setting('app.account_id'), ({COUNT_KEYS}), \
                      (SELECT count(*) FROM \"LiteLLM_VerificationToken\" WHERE account_id = $1)"
            ),
            &[&a.uuid()],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), b.to_string());
    assert_eq!(row.get::<_, i64>(1), 1, "B sees exactly its own key");
    assert_eq!(row.get::<_, i64>(2), 0, "B sees nothing of A");
    drop(tx);

    // And A's cancelled write never happened.
    let admin = test.superuser().await;
    let leaked: i64 = admin
        .query_one(
            "SELECT count(*) FROM \"LiteLLM_VerificationToken\" WHERE token = 'hash-uncommitted'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(leaked, 0);
}

#[tokio::test]
async fn concurrent_tenants_never_see_each_other() {
    let test = TestDb::with_pool_size(4).await;
    let a = test.create_account("conc-a").await;
    let b = test.create_account("conc-b").await;
    for i in 0..3 {
        add_key(&test, a, &format!("a-{i}")).await;
    }
    for i in 0..5 {
        add_key(&test, b, &format!("b-{i}")).await;
    }
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let db = test.db.clone();
        let (account, expected, prefix) = if i % 2 == 0 {
            (a, 3, "a-")
        } else {
            (b, 5, "b-")
        };
        tasks.spawn(async move {
            let tx = db.tenant(account).await.unwrap();
            let tokens: Vec<String> = tx
                .query("SELECT token FROM \"LiteLLM_VerificationToken\"", &[])
                .await
                .unwrap()
                .iter()
                .map(|row| row.get(0))
                .collect();
            tokio::task::yield_now().await;
            let setting: String = tx
                .query_one("SELECT current_setting('app.account_id')", &[])
                .await
                .unwrap()
                .get(0);
            tx.commit().await.unwrap();
            assert_eq!(tokens.len(), expected);
            assert!(
                tokens.iter().all(|token| token.starts_with(prefix)),
                "{tokens:?}"
            );
            assert_eq!(setting, account.to_string());
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap();
    }
}

#[tokio::test]
async fn injected_text_is_stored_verbatim_and_changes_no_context() {
    let test = TestDb::new().await;
    let a = test.create_account("inj-a").await;
    let b = test.create_account("inj-b").await;
    let evil = format!("'; SET app.account_id = '{b}'; --");
    let tx = test.db.tenant(a).await.unwrap();
    tx.execute(INSERT_KEY, &[&"hash-evil", &evil])
        .await
        .unwrap();
    let row = tx
        .query_one(
            "SELECT key_alias, current_setting('app.account_id') FROM \"LiteLLM_VerificationToken\" WHERE token = 'hash-evil'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), evil);
    assert_eq!(row.get::<_, String>(1), a.to_string());
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_admin_role_sees_every_account() {
    let test = TestDb::new().await;
    let a = test.create_account("adm-a").await;
    let b = test.create_account("adm-b").await;
    add_key(&test, a, "adm-key-a").await;
    add_key(&test, b, "adm-key-b").await;
    let tx = test.db.admin().await.unwrap();
    let accounts: i64 = tx
        .query_one(
            "SELECT count(DISTINCT account_id) FROM \"LiteLLM_VerificationToken\"",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(accounts, 2);
}

#[tokio::test]
async fn the_key_door_answers_only_for_active_accounts() {
    let test = TestDb::new().await;
    let a = test.create_account("door-a").await;
    add_key(&test, a, "door-hash").await;
    let owner = test
        .db
        .doors()
        .key_owner("door-hash")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner.account_id, a);
    assert_eq!(owner.token, "door-hash");
    assert!(
        test.db
            .doors()
            .key_owner("unknown")
            .await
            .unwrap()
            .is_none()
    );

    let admin = test.superuser().await;
    admin
        .execute(
            "UPDATE \"Alchemi_AccountTable\" SET status = 'suspended' WHERE account_id = $1",
            &[&a.uuid()],
        )
        .await
        .unwrap();
    assert!(
        test.db
            .doors()
            .key_owner("door-hash")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn the_login_door_resolves_domains_and_admins_but_not_ambiguity() {
    let test = TestDb::new().await;
    let admin = test.superuser().await;
    let acme = test.create_account("acme").await;
    let other = test.create_account("other").await;
    admin
        .batch_execute(&format!(
            "UPDATE \"Alchemi_AccountTable\" SET domain = 'acme.example' WHERE account_id = '{acme}';
             INSERT INTO \"Alchemi_AccountSSOConfig\" (account_id, enabled) VALUES ('{acme}', true);
             INSERT INTO \"Alchemi_AccountAdminTable\" (account_id, user_email) VALUES ('{other}', 'boss@gmail.example');
             INSERT INTO \"LiteLLM_UserTable\" (account_id, user_id, user_email) VALUES ('{acme}', 'u1', 'twice@mail.example');
             INSERT INTO \"LiteLLM_UserTable\" (account_id, user_id, user_email) VALUES ('{other}', 'u2', 'twice@mail.example');"
        ))
        .await
        .unwrap();
    let app = test.connect_as("alchemi_app").await;
    let resolve = |email: &'static str| {
        let app = &app;
        async move {
            app.query_opt(
                "SELECT account_id, sso_enabled FROM alchemi.login_account($1)",
                &[&email],
            )
            .await
            .unwrap()
            .map(|row| (row.get::<_, uuid::Uuid>(0), row.get::<_, bool>(1)))
        }
    };
    assert_eq!(
        resolve("Jane@ACME.example").await,
        Some((acme.uuid(), true))
    );
    assert_eq!(
        resolve("boss@gmail.example").await,
        Some((other.uuid(), false))
    );
    assert_eq!(resolve("twice@mail.example").await, None);
    assert_eq!(resolve("nobody@nowhere.example").await, None);
}
