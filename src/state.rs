//! Everything a request handler needs, built once at start.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::registrar::Registrar;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// Server secret (`APP_KEY`, or the one generated and kept in the
    /// database); never sent to a client.
    pub app_key: Arc<Vec<u8>>,
    /// Flexisip's registrar, for devices; connects at first use.
    pub registrar: Registrar,
}

impl AppState {
    /// Connects to the database, applies migrations and builds the state.
    pub async fn build(config: Config, clock: Clock) -> anyhow::Result<Self> {
        let registrar = Registrar::from_config(&config)?;
        let db = crate::db::connect(&config.database_url).await?;
        crate::db::migrate(&db).await?;
        let app_key =
            crate::db::settings::app_key(&db, config.app_key.as_ref().map(|k| k.expose())).await?;
        Ok(AppState {
            db,
            config: Arc::new(config),
            clock,
            app_key: Arc::new(app_key),
            registrar,
        })
    }
}
