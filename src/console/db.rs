//! `flexiapi db check|import`: what a database holds, and the import of
//! a PHP FlexiAPI's.

use anyhow::{anyhow, bail};
use clap::Subcommand;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::kind::{DatabaseKind, inspect};
use crate::import::PhpSource;

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Copy a PHP FlexiAPI database (mid-2021 schema) into DATABASE_URL's,
    /// printing what was read, imported and skipped per table. A second
    /// run adds nothing.
    Import {
        /// The PHP service's database (the one holding accounts and
        /// passwords): sqlite://, mysql:// or postgres:// URL.
        #[arg(long)]
        from: String,
        /// Its local database, when admins, API keys, tokens and the other
        /// Laravel tables live apart (mid-2021's default SQLite file).
        #[arg(long)]
        from_local: Option<String>,
        /// Read and count everything, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Tell whether a database is flexiapi's, PHP FlexiAPI's or empty.
    Check {
        /// The database to look at (default: DATABASE_URL).
        #[arg(long)]
        url: Option<String>,
    },
}

pub async fn run(config: &Config, command: DbCommand) -> anyhow::Result<()> {
    match command {
        DbCommand::Check { url } => {
            let (option, url) = match &url {
                Some(url) => ("--url", url.as_str()),
                None => ("DATABASE_URL", config.database_url.as_str()),
            };
            let conn = crate::db::connect_read_only(url)
                .await
                .map_err(|e| anyhow!("{option}: {e}"))?;
            let kind = inspect(&conn)
                .await
                .map_err(|e| anyhow!("{option}: {}", crate::db::one_line(&e.to_string())))?;
            println!("{}", kind.describe());
            Ok(())
        }
        DbCommand::Import {
            from,
            from_local,
            dry_run,
        } => {
            // Every check of the sources and the target comes before the
            // first write.
            let main = crate::db::connect_read_only(&from)
                .await
                .map_err(|e| anyhow!("--from: {e}"))?;
            let local = match &from_local {
                Some(url) => Some(
                    crate::db::connect_read_only(url)
                        .await
                        .map_err(|e| anyhow!("--from-local: {e}"))?,
                ),
                None => None,
            };
            let source = PhpSource::open(main, local).await?;
            let target = import_target(config, dry_run).await?;
            let now = Clock::system().now_naive();
            let report = crate::import::run(&source, target.as_ref(), dry_run, now).await?;
            print!("{report}");
            Ok(())
        }
    }
}

/// The database imported into: ours or empty (migrated first), never the
/// PHP service's. A dry run only reads it, and `None` stands for a target
/// with nothing in it yet.
async fn import_target(config: &Config, dry_run: bool) -> anyhow::Result<Option<crate::db::Db>> {
    let url = config.database_url.as_str();
    let refuse_php = |kind: &DatabaseKind| -> anyhow::Result<()> {
        if matches!(kind, DatabaseKind::Php { .. }) {
            bail!(
                "DATABASE_URL: this is a PHP FlexiAPI database; import into a new (empty) database"
            );
        }
        Ok(())
    };
    let describe =
        |e: sea_orm::DbErr| anyhow!("DATABASE_URL: {}", crate::db::one_line(&e.to_string()));
    if dry_run {
        if url.starts_with("sqlite:") && crate::db::sqlite_path(url).is_some_and(|p| !p.exists()) {
            return Ok(None);
        }
        let conn = crate::db::connect_read_only(url)
            .await
            .map_err(|e| anyhow!("DATABASE_URL: {e}"))?;
        let kind = inspect(&conn).await.map_err(describe)?;
        refuse_php(&kind)?;
        return Ok(matches!(kind, DatabaseKind::Ours { .. }).then(|| crate::db::Db::new(conn)));
    }
    let conn = crate::db::connect_with(url, &config.db_pool).await?;
    refuse_php(&inspect(&conn).await.map_err(describe)?)?;
    crate::db::migrate(&conn).await.map_err(describe)?;
    Ok(Some(conn))
}
