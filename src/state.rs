//! Everything a request handler needs, built once at start.

use std::ops::Deref;
use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::metrics::{Channel, Metrics};
use crate::notify::{Mailer, Pusher, Sms};
use crate::registrar::Registrar;

/// The state of every handler. axum clones it for each request and each
/// extractor: one shared reference count, rather than one per service
/// (their atomic updates, from both cores, showed in the profile).
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

pub struct Services {
    pub db: Db,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// Server secret (`APP_KEY`, or the one generated and kept in the
    /// database); never sent to a client.
    pub app_key: Arc<Vec<u8>>,
    /// Digest `opaque`, derived from the server secret.
    pub digest_opaque: Arc<str>,
    /// The provisioning rc and extra files, read once at start.
    pub provisioning: Arc<crate::provisioning::rc::RcFiles>,
    /// Flexisip's registrar, for devices; connects at first use.
    pub registrar: Registrar,
    pub mailer: Arc<Mailer>,
    pub sms: Arc<Sms>,
    pub pusher: Arc<Pusher>,
    /// This server's Prometheus registry (`/metrics`).
    pub metrics: Arc<Metrics>,
    /// The Digest throttles this node saw (`crate::guess_throttle`).
    pub throttled: crate::guess_throttle::Throttled,
}

impl AppState {
    /// Connects to the database (one attempt), applies migrations and
    /// builds the state: for the console and the tests.
    pub async fn build(config: Config, clock: Clock) -> anyhow::Result<Self> {
        Self::build_with(config, clock, false).await
    }

    /// As [`AppState::build`], but while the database cannot be reached
    /// it tries again with a growing delay, logging each failure, for
    /// `serve`. A configuration error still stops at once.
    pub async fn build_waiting_for_database(config: Config, clock: Clock) -> anyhow::Result<Self> {
        Self::build_with(config, clock, true).await
    }

    async fn build_with(config: Config, clock: Clock, wait: bool) -> anyhow::Result<Self> {
        // Before the database: a malformed rc file or mail setting is a
        // configuration error, never worth waiting for.
        let provisioning = crate::provisioning::rc::RcFiles::load(&config)?;
        let registrar = Registrar::from_config(&config)?;
        let metrics = Metrics::new();
        let mailer = Mailer::from_config(&config)
            .map_err(|e| anyhow::anyhow!("MAIL_*: invalid mail settings: {e}"))?
            .counting_failures(metrics.delivery_failures(Channel::Mail));
        let sms = Sms::from_config(&config)
            .map_err(|e| anyhow::anyhow!("OVH_APP_*: invalid SMS settings: {e}"))?
            .counting_failures(metrics.delivery_failures(Channel::Sms));
        let pusher = Pusher::from_config(&config)
            .counting_failures(metrics.delivery_failures(Channel::Push));
        let (db, app_key) = if wait {
            crate::db::startup::retry_until_reachable(&config.database_url, || {
                open_database(&config)
            })
            .await?
        } else {
            open_database(&config).await?
        };
        Ok(AppState(Arc::new(Services {
            db,
            mailer: Arc::new(mailer),
            sms: Arc::new(sms),
            pusher: Arc::new(pusher),
            metrics: Arc::new(metrics),
            config: Arc::new(config),
            clock,
            digest_opaque: crate::auth::digest::opaque(&app_key).into(),
            app_key: Arc::new(app_key),
            provisioning: Arc::new(provisioning),
            registrar,
            throttled: Default::default(),
        })))
    }
}

/// Connects, migrates and reads the server secret.
async fn open_database(config: &Config) -> anyhow::Result<(Db, Vec<u8>)> {
    let db = crate::db::connect_with(&config.database_url, &config.db_pool).await?;
    crate::db::migrate(&db).await?;
    let app_key =
        crate::db::settings::app_key(&db, config.app_key.as_ref().map(|k| k.expose())).await?;
    Ok((db, app_key))
}
