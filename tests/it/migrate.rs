//! Migration idempotence and upgrade, and the audit's verdicts.

use alchemi::{audit, migrate};

use crate::common::TestDb;

#[tokio::test]
async fn a_fresh_database_passes_the_audit_with_all_91_tables() {
    let test = TestDb::new().await;
    let report = audit::run(&test.superuser().await).await.unwrap();
    assert_eq!(report.tables.len(), 91);
    assert_eq!(report.covered(), 91, "{:#?}", report.gaps());
    assert!(report.passed());
    assert_eq!(report.admin_mode, "bypassrls");
    let text = audit::render_text(&report);
    assert!(text.contains("91 of 91 tables covered"), "{text}");

    // DBAs reach the same verdict through the auditor role and plain SQL.
    let auditor = test.connect_as("alchemi_auditor").await;
    let gaps: i64 = auditor
        .query_one("SELECT count(*) FROM alchemi.rls_gaps", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(gaps, 0);
}

#[tokio::test]
async fn migrating_again_changes_nothing() {
    let test = TestDb::new().await;
    let mut client = test.superuser().await;
    let report = migrate::run(&mut client, &Default::default())
        .await
        .unwrap();
    assert!(report.applied.is_empty());
    assert!(!report.policies_applied);
    let version = migrate::current_version(&client).await.unwrap();
    assert_eq!(version, Some(migrate::latest_version()));
}

#[tokio::test]
async fn an_older_schema_is_upgraded() {
    let name = format!("alchemi_upgrade_{}", uuid::Uuid::new_v4().simple());
    let server = crate::common::db::connect_as("postgres", "postgres").await;
    server
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap();
    let previous = migrate::latest_version() - 1;
    {
        let mut client = crate::common::db::connect_as(&name, "postgres").await;
        let report = migrate::run_to(&mut client, &Default::default(), Some(previous))
            .await
            .unwrap();
        assert_eq!(report.applied.len() as i32, previous);
        let report = migrate::run(&mut client, &Default::default())
            .await
            .unwrap();
        assert_eq!(report.applied.len(), 1, "{:?}", report.applied);
        assert_eq!(
            migrate::current_version(&client).await.unwrap(),
            Some(migrate::latest_version())
        );
        let audit = audit::run(&client).await.unwrap();
        assert!(audit.passed(), "{:#?}", audit.gaps());
    }
    server
        .batch_execute(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_audit_finds_gaps_and_migrate_repairs_policy_drift() {
    let test = TestDb::new().await;
    let admin = test.superuser().await;
    admin
        .batch_execute(
            "ALTER TABLE \"LiteLLM_TeamTable\" NO FORCE ROW LEVEL SECURITY;
             CREATE POLICY reporting ON \"LiteLLM_SpendLogs\" FOR SELECT TO alchemi_app USING (true);
             ALTER POLICY tenant_isolation ON \"LiteLLM_BudgetTable\" USING (true);
             GRANT TRUNCATE ON \"LiteLLM_AuditLog\" TO alchemi_app;
             CREATE TABLE public.\"Unguarded\" (id int PRIMARY KEY);
             CREATE VIEW public.leaky AS SELECT * FROM \"LiteLLM_VerificationToken\";
             GRANT SELECT ON public.leaky TO alchemi_app;",
        )
        .await
        .unwrap();
    let report = audit::run(&admin).await.unwrap();
    assert!(!report.passed());
    let gaps = report.gaps().join("\n");
    for expected in [
        "table LiteLLM_TeamTable: row level security is not forced",
        "table LiteLLM_SpendLogs: policy reporting (SELECT) is not what class tenant prescribes",
        "table LiteLLM_BudgetTable: policy tenant_isolation (ALL) is not what class tenant prescribes",
        "table LiteLLM_AuditLog: alchemi_app holds TRUNCATE, REFERENCES or TRIGGER",
        "table Unguarded: no tenancy class",
        "table Unguarded: row level security is not enabled",
        "table Unguarded: no account_id column",
        "view leaky: view readable by alchemi_app without security_invoker",
    ] {
        assert!(gaps.contains(expected), "missing `{expected}` in:\n{gaps}");
    }
    assert_eq!(report.tables.len(), 92);

    admin
        .batch_execute("DROP VIEW public.leaky; DROP TABLE public.\"Unguarded\"")
        .await
        .unwrap();
    let mut client = test.superuser().await;
    let repaired = migrate::run(&mut client, &Default::default())
        .await
        .unwrap();
    assert!(
        repaired.policies_applied,
        "drift makes migrate re-apply the policies"
    );
    let report = audit::run(&admin).await.unwrap();
    assert!(report.passed(), "{:#?}", report.gaps());
}

/// The command DBAs run: a table by default, JSON on request, and an exit
/// status that fails on any gap.
#[tokio::test]
async fn rls_audit_command_reports_and_fails_on_gaps() {
    let test = TestDb::new().await;
    let mut url: url::Url = crate::common::db::server_url().parse().unwrap();
    url.set_path(&test.name);
    let run = |args: &'static [&'static str]| {
        let url = url.to_string();
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_alchemi"))
                .args(args)
                .env("DATABASE_URL", url)
                .output()
                .await
                .unwrap()
        }
    };

    let text = run(&["rls-audit"]).await;
    assert!(text.status.success());
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains("91 of 91 tables covered; admin reach: bypassrls; 0 gap(s)"),
        "{stdout}"
    );
    assert!(stdout.contains("alchemi.key_owner(text)"), "{stdout}");

    let json = run(&["rls-audit", "--json"]).await;
    assert!(json.status.success());
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["tables"].as_array().unwrap().len(), 91);

    test.superuser()
        .await
        .batch_execute("ALTER TABLE \"LiteLLM_SpendLogs\" DISABLE ROW LEVEL SECURITY")
        .await
        .unwrap();
    let failing = run(&["rls-audit"]).await;
    assert!(!failing.status.success());
    let stdout = String::from_utf8_lossy(&failing.stdout);
    assert!(stdout.contains("90 of 91 tables covered"), "{stdout}");
    assert!(
        stdout.contains("row level security is not enabled"),
        "{stdout}"
    );
}
