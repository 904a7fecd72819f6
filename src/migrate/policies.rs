//! The `policies/` files, embedded and applied in name order inside one
//! transaction, so a table is never seen half-configured. They are skipped
//! when the database already carries the same digest and the audit finds no
//! gap, so a second `migrate` changes nothing.

use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};
use tokio_postgres::Client;

#[derive(RustEmbed)]
#[folder = "policies/"]
struct PolicyFiles;

fn files() -> Vec<(String, String)> {
    let mut names: Vec<String> = PolicyFiles::iter().map(|name| name.into_owned()).collect();
    names.sort();
    names
        .into_iter()
        .filter_map(|name| {
            let file = PolicyFiles::get(&name)?;
            let text = String::from_utf8_lossy(&file.data).into_owned();
            Some((name, text))
        })
        .collect()
}

/// Digest of all policy files.
pub(super) fn digest() -> String {
    let mut hasher = Sha256::new();
    for (name, text) in files() {
        hasher.update(name);
        hasher.update(text);
    }
    hex::encode(&hasher.finalize()[..16])
}

const APPLIED_DIGEST_SQL: &str = "SELECT substring(obj_description('alchemi'::regnamespace, 'pg_namespace') FROM '^policies: ([0-9a-f]+)$')";
const AUDIT_EXISTS_SQL: &str = "SELECT to_regclass('alchemi.rls_gaps') IS NOT NULL";
const HAS_GAPS_SQL: &str = "SELECT EXISTS (SELECT 1 FROM alchemi.rls_gaps)";

/// Applies the policy files unless they are already in force; returns
/// whether it applied them.
pub(super) async fn apply_if_changed(client: &mut Client) -> Result<bool, tokio_postgres::Error> {
    let digest = digest();
    let applied: Option<String> = client.query_one(APPLIED_DIGEST_SQL, &[]).await?.get(0);
    if applied.as_deref() == Some(digest.as_str()) {
        let audit_exists: bool = client.query_one(AUDIT_EXISTS_SQL, &[]).await?.get(0);
        let has_gaps =
            !audit_exists || client.query_one(HAS_GAPS_SQL, &[]).await?.get::<_, bool>(0);
        if !has_gaps {
            return Ok(false);
        }
    }
    let tx = client.transaction().await?;
    tx.batch_execute("SET LOCAL client_min_messages = warning")
        .await?;
    for (_, text) in files() {
        tx.batch_execute(&text).await?;
    }
    // The digest is hex from our own hash: safe to render as a literal.
    tx.batch_execute(&format!(
        "COMMENT ON SCHEMA alchemi IS 'policies: {digest}'"
    ))
    .await?;
    tx.commit().await?;
    Ok(true)
}
