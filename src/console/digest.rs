//! `flexiapi digest clear-nonces`: the Digest state.

use clap::Subcommand;

use crate::auth::nonces;
use crate::state::AppState;

#[derive(Subcommand, Debug)]
pub enum DigestCommand {
    /// Remove nonces unused for MINUTES (artisan digest:clear-nonces).
    ClearNonces { minutes: u32 },
}

pub async fn clear_nonces(state: &AppState, minutes: u32) -> anyhow::Result<()> {
    let before = state.clock.now_naive() - chrono::Duration::minutes(minutes.into());
    let removed = nonces::clear_older_than(&state.db, before).await?;
    println!("{removed} nonce(s) removed.");
    Ok(())
}
