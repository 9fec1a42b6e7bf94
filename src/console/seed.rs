//! `flexiapi accounts seed FILE.json`: bulk creation, all or none.

use anyhow::{Context, anyhow, bail};
use serde_json::Value;

use crate::audit::By;
use crate::input::JsonObject;
use crate::service::accounts::{insert_account, validate_account_fields};
use crate::sip::SipAddress;
use crate::state::AppState;

/// Largest seed file read (a list of accounts, not a database dump).
const MAX_SEED_BYTES: u64 = 16 * 1024 * 1024;
/// `accounts seed FILE.json`: validates every entry, then creates them all
/// in one transaction; the first bad entry is named and nothing is written.
pub async fn seed(state: &AppState, file: &std::path::Path) -> anyhow::Result<()> {
    let size = tokio::fs::metadata(file)
        .await
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    if size > MAX_SEED_BYTES {
        bail!("{}: larger than 16 MiB", file.display());
    }
    let bytes = tokio::fs::read(file)
        .await
        .with_context(|| format!("cannot read {}", file.display()))?;
    let entries = parse_seed(&bytes).map_err(|e| anyhow!("{}: {e}", file.display()))?;

    // Every entry is checked before the first write.
    let mut checked = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let at = |e: String| anyhow!("entry {index}: {e}");
        let fields = validate_account_fields(entry).map_err(|e| at(describe(e)))?;
        let domain = seed_domain(state, entry).map_err(at)?;
        checked.push((fields, domain));
    }

    let by = By::console(&state.clock);
    let txn = crate::db::begin_write(&state.db).await?;
    let mut created = Vec::with_capacity(checked.len());
    for (index, (fields, domain)) in checked.into_iter().enumerate() {
        let json = insert_account(
            &txn,
            state,
            &domain,
            fields,
            "127.0.0.1",
            "flexiapi console",
            &by,
        )
        .await
        .map_err(|e| anyhow!("entry {index}: {}", describe(e)))?;
        created.push(json);
    }
    txn.commit().await?;
    for json in &created {
        println!("{}", serde_json::to_value(json)?);
    }
    eprintln!("{} account(s) created.", created.len());
    Ok(())
}

/// The seed file: a JSON list of objects.
fn parse_seed(bytes: &[u8]) -> Result<Vec<JsonObject>, String> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON ({e})"))?;
    let Value::Array(items) = value else {
        return Err("must be a JSON list of account objects".into());
    };
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| match item {
            Value::Object(map) => Ok(JsonObject(map)),
            _ => Err(format!("entry {index}: must be a JSON object")),
        })
        .collect()
}

/// An entry's `domain`, a SIP domain, `APP_SIP_DOMAIN` when absent.
fn seed_domain(state: &AppState, entry: &JsonObject) -> Result<String, String> {
    match entry.0.get("domain") {
        None | Some(Value::Null) => Ok(state.config.sip_domain.clone()),
        Some(Value::String(domain)) if SipAddress::parse_bare(&format!("x@{domain}")).is_some() => {
            Ok(domain.clone())
        }
        Some(_) => Err("domain: The domain must be a SIP domain.".into()),
    }
}

fn describe(err: crate::error::ApiError) -> String {
    super::error_line::describe(err).to_string()
}
