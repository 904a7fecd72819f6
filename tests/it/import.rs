//! `alchemi import-config`: a LiteLLM config.yaml becomes an account's
//! deployments and router settings; the same file twice changes nothing;
//! what does not apply is listed.

use std::process::Stdio;

use serde_json::json;

use crate::common::app::TestApp;
use crate::common::mock_llm::MockLlm;

fn config(api_base: &str) -> String {
    format!(
        "model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: {api_base}
      api_key: sk-provider-literal
      rpm: 100
  - model_name: claude
    litellm_params:
      model: anthropic/claude-3-5-sonnet
      api_key: os.environ/ANTHROPIC_API_KEY
    model_info:
      id: claude-main
router_settings:
  routing_strategy: least-busy
litellm_settings:
  num_retries: 2
  request_timeout: 30
  drop_params: true
  max_budget: 100
general_settings:
  master_key: sk-1234
  database_url: postgres://elsewhere
environment_variables:
  OPENAI_API_KEY: sk-secret
callbacks_of_the_future: true
"
    )
}

#[tokio::test]
async fn a_litellm_config_becomes_the_accounts_rows() {
    let app = TestApp::spawn().await;
    let mock = MockLlm::start().await;
    let account = app.test.create_account("imported").await;
    let vault = alchemi::crypto::Vault::new(Some("test-salt"));
    let text = config(&mock.api_base());
    let report = alchemi::import::apply(
        &app.test.db,
        account,
        &vault,
        alchemi::import::parse(&text).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(report.models, ["gpt-4o", "claude"]);
    let rendered = alchemi::import::render(account, &report);
    for line in [
        "router_settings.routing_strategy: applied",
        "litellm_settings.num_retries: applied",
        "litellm_settings.drop_params: stored for reference",
        "litellm_settings.max_budget: NOT applied",
        "general_settings.master_key: NOT applied",
        "environment_variables.OPENAI_API_KEY: NOT applied",
        "callbacks_of_the_future: NOT applied",
    ] {
        assert!(rendered.contains(line), "{line} missing from:\n{rendered}");
    }
    let models = app
        .rows(&format!(
            "SELECT model_name, litellm_params, model_info FROM \"LiteLLM_ProxyModelTable\" WHERE account_id = '{}' ORDER BY model_name",
            account.uuid()
        ))
        .await;
    assert_eq!(models.len(), 2);
    assert_eq!(models[0]["model_info"]["id"], "claude-main");
    assert_eq!(
        models[0]["litellm_params"]["api_key"],
        "os.environ/ANTHROPIC_API_KEY"
    );
    assert!(
        models[1]["litellm_params"]["api_key"]
            .as_str()
            .unwrap()
            .starts_with("enc:v1:")
    );
    let settings = app
        .rows(&format!(
            "SELECT param_value FROM \"LiteLLM_Config\" WHERE account_id = '{}' AND param_name = 'router_settings'",
            account.uuid()
        ))
        .await;
    assert_eq!(settings[0]["param_value"]["routing_strategy"], "least-busy");
    assert_eq!(settings[0]["param_value"]["timeout"], 30);

    // Importing again replaces, it does not duplicate.
    alchemi::import::apply(
        &app.test.db,
        account,
        &vault,
        alchemi::import::parse(&text).unwrap(),
    )
    .await
    .unwrap();
    let count = app
        .rows(&format!(
            "SELECT 1 FROM \"LiteLLM_ProxyModelTable\" WHERE account_id = '{}'",
            account.uuid()
        ))
        .await;
    assert_eq!(count.len(), 2);

    // The imported deployment serves calls with the decrypted provider key.
    let key = app.add_key(account, json!({})).await;
    let response = app
        .http
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .json(&json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let received = mock.received();
    assert_eq!(
        received[0].headers["authorization"],
        "Bearer sk-provider-literal"
    );
}

#[tokio::test]
async fn the_command_reports_and_refuses_a_bad_file() {
    let app = TestApp::spawn().await;
    let dir = app.spool_dir.join("import");
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("config.yaml");
    std::fs::write(&good, config("http://127.0.0.1:9")).unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "model_list:\n  - litellm_params: {}\n").unwrap();
    let url = format!(
        "{}/{}",
        crate::common::db::server_url().rsplit_once('/').unwrap().0,
        app.test.name
    );
    let run = |file: std::path::PathBuf| {
        std::process::Command::new(env!("CARGO_BIN_EXE_alchemi"))
            .arg("import-config")
            .arg(file)
            .env("DATABASE_URL", &url)
            .env("ALCHEMI_SALT_KEY", "test-salt")
            .env("ALCHEMI_DATA_DIR", &dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap()
    };
    let output = run(good);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("2 model deployment(s): gpt-4o, claude"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("account {}", app.default_account)),
        "{stdout}"
    );
    let output = run(bad);
    assert!(!output.status.success());
}
