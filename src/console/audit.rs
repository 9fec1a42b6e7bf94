//! `flexiapi audit list|prune`: the audit log of admin actions.

use anyhow::anyhow;
use clap::Subcommand;

use crate::audit;
use crate::state::AppState;

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Print entries oldest first, one JSON object a line.
    List {
        /// Only entries at or after this UTC time: YYYY-MM-DD or
        /// "YYYY-MM-DD HH:MM:SS".
        #[arg(long, allow_hyphen_values = true)]
        since: Option<String>,
        /// At most this many entries (1 to 100000, default 1000).
        #[arg(long, allow_hyphen_values = true)]
        limit: Option<String>,
    },
    /// Delete the entries older than AUDIT_RETENTION_DAYS.
    Prune,
}

pub async fn run(state: &AppState, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::List { since, limit } => {
            let since = since.as_deref().map(parse_since).transpose()?;
            let limit = limit
                .as_deref()
                .map(parse_limit)
                .transpose()?
                .unwrap_or(1000);
            for entry in audit::since(&state.db, since, limit).await? {
                println!("{}", audit::to_json(&entry));
            }
            Ok(())
        }
        AuditCommand::Prune => {
            let days = state.config.audit_retention_days;
            let removed = audit::prune(&state.db, days, state.clock.now_naive()).await?;
            println!("{removed} audit log entr(y/ies) older than {days} days deleted.");
            Ok(())
        }
    }
}

/// `--since`: a date (its midnight) or a date and time, UTC.
fn parse_since(text: &str) -> anyhow::Result<chrono::NaiveDateTime> {
    crate::clock::parse_datetime(text)
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|day| day.and_hms_opt(0, 0, 0))
        })
        .ok_or_else(|| {
            anyhow!(
                "--since: expected YYYY-MM-DD or \"YYYY-MM-DD HH:MM:SS\", got {:?}",
                text.escape_debug().to_string()
            )
        })
}

fn parse_limit(text: &str) -> anyhow::Result<u64> {
    text.parse::<u64>()
        .ok()
        .filter(|n| (1..=100_000).contains(n))
        .ok_or_else(|| anyhow!("--limit: expected a number from 1 to 100000"))
}
