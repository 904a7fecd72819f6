//! `alchemi import-config FILE [--account ID]`: loads a LiteLLM
//! `config.yaml` into an account's rows, so a LiteLLM deployment moves over
//! without retyping it. `model_list` becomes deployments (literal provider
//! keys encrypted), `router_settings` and the routing parts of
//! `litellm_settings` become the account's router settings, `max_budget`
//! its budget. Everything else is stored for reference or reported as not
//! applied: nothing is dropped silently.

mod settings;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::crypto::Vault;
use crate::db::{AccountId, Db, DbError, TenantTx};

pub use settings::Disposition;

/// The parts of a LiteLLM config this import reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LiteLlmConfig {
    pub model_list: Vec<ModelEntry>,
    pub router_settings: Map<String, Value>,
    pub litellm_settings: Map<String, Value>,
    pub general_settings: Map<String, Value>,
    pub environment_variables: Map<String, Value>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One `model_list` entry.
#[derive(Debug, Deserialize)]
pub struct ModelEntry {
    pub model_name: String,
    pub litellm_params: Map<String, Value>,
    #[serde(default)]
    pub model_info: Map<String, Value>,
}

/// What the import did with each part of the file.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Deployments written (inserted or replaced), by name.
    pub models: Vec<String>,
    /// Settings applied, and what became of the rest.
    pub settings: Vec<(String, Disposition)>,
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not a LiteLLM config: {0}")]
    Parse(String),
    #[error("model_list[{index}] ({name}): {problem}")]
    Model {
        index: usize,
        name: String,
        problem: String,
    },
    #[error("cannot encrypt provider keys: {0}; set ALCHEMI_SALT_KEY (or LITELLM_SALT_KEY)")]
    Seal(#[from] crate::crypto::CryptoError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The report as the command prints it.
pub fn render(account: AccountId, report: &ImportReport) -> String {
    let mut lines = vec![format!("imported into account {account}:")];
    lines.push(format!(
        "  {} model deployment(s): {}",
        report.models.len(),
        report.models.join(", ")
    ));
    for (setting, disposition) in &report.settings {
        let what = match disposition {
            Disposition::Applied => "applied".to_owned(),
            Disposition::Stored => "stored for reference (not acted on)".to_owned(),
            Disposition::NotApplied(why) => format!("NOT applied: {why}"),
        };
        lines.push(format!("  {setting}: {what}"));
    }
    lines.join("\n") + "\n"
}

/// Parses a config file's text.
pub fn parse(text: &str) -> Result<LiteLlmConfig, ImportError> {
    serde_yaml_ng::from_str(text).map_err(|err| ImportError::Parse(err.to_string()))
}

const UPSERT_MODEL_SQL: &str = "
    INSERT INTO \"LiteLLM_ProxyModelTable\" (account_id, model_id, model_name, litellm_params, model_info, created_by, updated_by)
    VALUES ($1, $2, $3, $4, $5, 'import-config', 'import-config')
    ON CONFLICT (account_id, model_id) DO UPDATE
       SET model_name = EXCLUDED.model_name, litellm_params = EXCLUDED.litellm_params,
           model_info = EXCLUDED.model_info, updated_by = EXCLUDED.updated_by
    RETURNING (xmax = 0)";

const AUDIT_SQL: &str = "
    INSERT INTO \"LiteLLM_AuditLog\" (account_id, changed_by, action, table_name, object_id, updated_values)
    VALUES ($1, 'import-config', $2, $3, $4, $5)";

/// Writes `config` into `account` in one transaction: all of it or nothing.
pub async fn apply(
    db: &Db,
    account: AccountId,
    vault: &Vault,
    config: LiteLlmConfig,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    let tx = db.tenant(account).await?;
    for (index, entry) in config.model_list.into_iter().enumerate() {
        let name = entry.model_name.clone();
        let model = import_model(&tx, vault, entry)
            .await
            .map_err(|problem| match problem {
                ModelProblem::Invalid(problem) => ImportError::Model {
                    index,
                    name: name.clone(),
                    problem,
                },
                ModelProblem::Seal(err) => ImportError::Seal(err),
                ModelProblem::Db(err) => ImportError::Db(err),
            })?;
        report.models.push(model);
    }
    report.settings = settings::apply(
        &tx,
        settings::Sections {
            router: config.router_settings,
            litellm: config.litellm_settings,
            general: config.general_settings,
            environment: config.environment_variables,
            other: config.other,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

enum ModelProblem {
    Invalid(String),
    Seal(crate::crypto::CryptoError),
    Db(DbError),
}

impl From<DbError> for ModelProblem {
    fn from(err: DbError) -> Self {
        Self::Db(err)
    }
}

/// Upserts one deployment; its id is `model_info.id`, else derived from
/// its name and parameters so importing the same file twice changes nothing.
async fn import_model(
    tx: &TenantTx,
    vault: &Vault,
    entry: ModelEntry,
) -> Result<String, ModelProblem> {
    let ModelEntry {
        model_name,
        mut litellm_params,
        mut model_info,
    } = entry;
    let Some(model) = litellm_params
        .get("model")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return Err(ModelProblem::Invalid(
            "litellm_params.model is required".into(),
        ));
    };
    vault
        .seal_secrets(&mut litellm_params)
        .map_err(|(_, err)| ModelProblem::Seal(err))?;
    let id = match model_info.get("id").and_then(Value::as_str) {
        Some(id) => id.to_owned(),
        None => {
            let base = litellm_params
                .get("api_base")
                .and_then(Value::as_str)
                .unwrap_or("");
            let digest = Sha256::digest(format!("{model_name}\n{model}\n{base}"));
            format!("cfg-{}", &hex::encode(digest)[..16])
        }
    };
    model_info.insert("id".into(), json!(id));
    model_info.insert("db_model".into(), json!(true));
    let inserted: bool = tx
        .query_one(
            UPSERT_MODEL_SQL,
            &[
                &tx.account_id().uuid(),
                &id,
                &model_name,
                &Value::Object(litellm_params.clone()),
                &Value::Object(model_info),
            ],
        )
        .await?
        .get(0);
    let mut shown = litellm_params;
    for (name, value) in shown.iter_mut() {
        if crate::crypto::is_secret(name) {
            *value = json!("<redacted>");
        }
    }
    let action = if inserted { "created" } else { "updated" };
    tx.execute(
        AUDIT_SQL,
        &[
            &tx.account_id().uuid(),
            &action,
            &"LiteLLM_ProxyModelTable",
            &id,
            &json!({"model_name": model_name, "litellm_params": shown}),
        ],
    )
    .await?;
    Ok(model_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_litellm_config_parses() {
        let config = parse(
            "model_list:\n  - model_name: gpt-4o\n    litellm_params:\n      model: openai/gpt-4o\n      api_key: os.environ/OPENAI_API_KEY\n\
             router_settings:\n  routing_strategy: least-busy\nlitellm_settings:\n  drop_params: true\n\
             general_settings:\n  master_key: sk-1234\nunknown_section: 1\n",
        )
        .unwrap();
        assert_eq!(config.model_list.len(), 1);
        assert_eq!(
            config.model_list[0].litellm_params["model"],
            "openai/gpt-4o"
        );
        assert_eq!(config.router_settings["routing_strategy"], "least-busy");
        assert!(config.other.contains_key("unknown_section"));
        assert!(parse("model_list: 5").is_err());
    }
}
