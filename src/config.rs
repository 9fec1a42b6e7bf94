//! Typed configuration read from the environment and a `.env` file.
//!
//! Names follow the PHP FlexiAPI so that an operator's existing `.env` keeps
//! working. Every value is validated here, once, at start: an invalid value
//! stops the start with an error naming the variable.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::client_address::IpRange;
pub use crate::connections::ConnectionLimits;

/// A configuration error always names the variable at fault.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {variable}: {reason}")]
pub struct ConfigError {
    pub variable: String,
    pub reason: String,
}

fn invalid(variable: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        variable: variable.to_string(),
        reason: reason.into(),
    }
}

/// A secret string whose `Debug` never shows the value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailEncryption {
    Tls,
    StartTls,
    None,
}

#[derive(Clone, Debug)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Secret,
    pub encryption: MailEncryption,
}

#[derive(Clone, Debug)]
pub enum MailerConfig {
    Log,
    Smtp(SmtpConfig),
}

#[derive(Clone, Debug)]
pub struct OvhConfig {
    pub app_key: String,
    pub app_secret: Secret,
    pub consumer_key: Secret,
    /// Base URL of the API, without trailing slash, e.g. `https://eu.api.ovh.com/1.0`.
    pub endpoint: String,
    pub sender: Option<String>,
}

/// The database pool (`DB_POOL_MAX`, `DB_*_TIMEOUT_SECONDS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DbPoolConfig {
    /// Most connections held open; `None`: 4 on SQLite (one writer at a
    /// time anyway), 32 on a server.
    pub max_connections: Option<u32>,
    /// How long one attempt to reach the database at start may take.
    pub connect_timeout: Duration,
    /// How long a request waits for a pooled connection (opening a new one
    /// included) before it gets `503`.
    pub acquire_timeout: Duration,
    /// A request still running after this long checks that the database
    /// answers (a ping within the acquire timeout), else gets `503`.
    pub query_timeout: Duration,
}

impl Default for DbPoolConfig {
    fn default() -> Self {
        DbPoolConfig {
            max_connections: None,
            connect_timeout: Duration::from_secs(10),
            acquire_timeout: Duration::from_secs(5),
            query_timeout: Duration::from_secs(10),
        }
    }
}

/// A request is cut after this many seconds (`408`), so a wait for a
/// database connection must end sooner for the client to see the `503`.
pub const REQUEST_TIMEOUT_SECONDS: u64 = 30;

#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    pub db_pool: DbPoolConfig,
    pub app_name: String,
    /// Public base URL without trailing slash.
    pub app_url: String,
    pub app_key: Option<Secret>,
    pub sip_domain: String,
    pub everyone_is_admin: bool,
    pub account_realm: Option<String>,
    pub pusher_path: Option<PathBuf>,
    /// Firebase project id (an FCM device's `pn_param`) → service account
    /// file given to the pusher as `--key`.
    pub pusher_firebase_keys: HashMap<String, PathBuf>,
    pub proxy_pid_file: Option<PathBuf>,
    pub redis_url: Option<Secret>,
    pub mailer: MailerConfig,
    pub mail_from_address: String,
    pub mail_from_name: String,
    pub ovh: Option<OvhConfig>,
    pub proxy_registrar_address: Option<String>,
    pub provisioning_rc_file: Option<PathBuf>,
    pub provisioning_extra_file: Option<PathBuf>,
    pub provisioning_overwrite_all: bool,
    pub phone_authentication: bool,
    pub devices_management: bool,
    pub rate_limit_per_minute: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpRange>,
    pub code_max_attempts: u32,
    /// Wrong codes of an account, across its code flows, that lock them.
    pub code_failures_before_lock: u32,
    /// The window over which those wrong codes are counted.
    pub code_failure_window_minutes: i64,
    /// How long the code flows of an account stay locked.
    pub code_lock_minutes: i64,
    /// Validity of a code mailed to change an e-mail address.
    pub email_change_code_expiration_minutes: i64,
    /// Validity of a code sent by SMS to change a phone number.
    pub phone_change_code_expiration_minutes: i64,
    /// Validity of a recovery token pushed to a device; `None`: no expiry.
    pub account_recovery_token_expiration_minutes: Option<i64>,
    pub tokens_per_device: u32,
    pub token_lifetime_minutes: i64,
    pub nonce_lifetime_minutes: i64,
    /// Bearer token that `/metrics` asks for.
    pub metrics_token: Option<Secret>,
    /// Separate address serving `/metrics` (then not on `listen`).
    pub metrics_listen: Option<SocketAddr>,
    /// Timeouts and cap of the HTTP connections, and the shutdown grace.
    pub connections: ConnectionLimits,
    /// Validity of an account creation token (and of a creation request
    /// token); `None`: no expiry.
    pub account_creation_token_expiration_minutes: Option<i64>,
    /// Phone and e-mail change requests need a consumed creation token
    /// (upstream's rule; off by default for 1.x clients).
    pub changes_need_creation_token: bool,
    /// A device whose creation token was used this recently gets no new one.
    pub account_creation_token_retry_minutes: i64,
    /// The same, for recovery tokens.
    pub account_recovery_token_retry_minutes: i64,
    /// Validity of a recovery code; `None`: no expiry.
    pub recovery_code_expiration_minutes: Option<i64>,
    /// Validity of a password reset link sent by an admin.
    pub reset_password_email_token_expiration_minutes: i64,
    /// hCaptcha on the account creation request page, when both keys are set.
    pub hcaptcha: Option<HcaptchaConfig>,
    /// Minutes without use after which a key issued to a device through
    /// the API expires; None: never.
    pub api_key_expiration_minutes: Option<i64>,
    /// Validity of a provisioning token; None: until used or replaced.
    pub provisioning_token_expiration_minutes: Option<i64>,
    /// Validity of an activation key (`confirmation_key`) from the account's
    /// creation, unless an admin set its expiry; None: no expiry.
    pub activation_key_expiration_minutes: Option<i64>,
    /// coturn's REST API shared secret and address; None: no TURN service.
    pub turn: Option<TurnConfig>,
    /// Days the audit log keeps an entry (1 to 36500).
    pub audit_retention_days: u32,
    pub log_filter: String,
}

#[derive(Clone, Debug)]
pub struct HcaptchaConfig {
    pub site_key: String,
    pub secret: Secret,
    /// hCaptcha's siteverify URL (tests point it at a fake).
    pub verify_url: String,
}

/// coturn's REST API (`use-auth-secret` / `static-auth-secret`).
#[derive(Clone, Debug)]
pub struct TurnConfig {
    /// host[:port], announced as `turn:HOST`.
    pub host: String,
    pub secret: Secret,
    pub ttl_minutes: i64,
}

/// A shorter `METRICS_TOKEN` could be guessed.
const METRICS_TOKEN_MIN_LENGTH: usize = 16;

/// Reads variables from a map (the environment merged over `.env`).
struct Vars<'a>(&'a HashMap<String, String>);

impl Vars<'_> {
    /// A set, non-empty value.
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn string(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or(default).to_string()
    }

    fn bool(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" | "(true)" => Ok(true),
                "false" | "0" | "no" | "off" | "(false)" => Ok(false),
                _ => Err(invalid(name, format!("expected true or false, got {v:?}"))),
            },
        }
    }

    fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| invalid(name, format!("expected a number, got {v:?}"))),
        }
    }

    /// Minutes where 0 means "never expires", as in the PHP service.
    fn minutes_or_none(&self, name: &str, default: u32) -> Result<Option<i64>, ConfigError> {
        let value = self.number::<u32>(name, default)?;
        Ok((value > 0).then_some(i64::from(value)))
    }

    /// A duration in minutes where unset or `0` means "no limit".
    fn optional_minutes(&self, name: &str) -> Result<Option<i64>, ConfigError> {
        let minutes: i32 = self.number(name, 0)?;
        if minutes < 0 {
            return Err(invalid(name, "must be 0 (no limit) or more"));
        }
        Ok((minutes > 0).then_some(minutes.into()))
    }

    fn positive(&self, name: &str, default: u32) -> Result<u32, ConfigError> {
        let value = self.number(name, default)?;
        if value == 0 {
            return Err(invalid(name, "must be at least 1"));
        }
        Ok(value)
    }
}

impl Config {
    /// Reads `.env` in the working directory (if any) under the process
    /// environment, which wins.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut vars: HashMap<String, String> = HashMap::new();
        if let Ok(iter) = dotenvy::from_path_iter(".env") {
            for item in iter {
                let (key, value) = item.map_err(|e| invalid(".env", e.to_string()))?;
                vars.insert(key, value);
            }
        }
        vars.extend(std::env::vars());
        Self::from_map(&vars)
    }

    /// Builds the configuration from explicit variables (used by tests).
    pub fn from_map(map: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let vars = Vars(map);

        let listen_raw = vars.string("APP_LISTEN", "127.0.0.1:8000");
        let listen = listen_raw.parse().map_err(|_| {
            invalid(
                "APP_LISTEN",
                format!("not a host:port address: {listen_raw:?}"),
            )
        })?;

        let app_url = vars
            .string("APP_URL", "http://127.0.0.1:8000")
            .trim_end_matches('/')
            .to_string();
        if !(app_url.starts_with("http://") || app_url.starts_with("https://")) {
            return Err(invalid("APP_URL", "must start with http:// or https://"));
        }

        let sip_domain = vars.string("APP_SIP_DOMAIN", "sip.example.org");
        if sip_domain.contains(['@', ' ', '/', ':']) {
            return Err(invalid("APP_SIP_DOMAIN", "must be a bare domain name"));
        }

        let mailer = match vars.string("MAIL_MAILER", "log").as_str() {
            "log" => MailerConfig::Log,
            "smtp" => MailerConfig::Smtp(smtp_config(&vars)?),
            other => {
                return Err(invalid(
                    "MAIL_MAILER",
                    format!("expected smtp or log, got {other:?}"),
                ));
            }
        };

        let metrics_token = vars.get("METRICS_TOKEN").map(|t| Secret(t.to_string()));
        if metrics_token
            .as_ref()
            .is_some_and(|t| t.expose().len() < METRICS_TOKEN_MIN_LENGTH)
        {
            return Err(invalid(
                "METRICS_TOKEN",
                format!("must be at least {METRICS_TOKEN_MIN_LENGTH} characters"),
            ));
        }
        let metrics_listen = match vars.get("METRICS_LISTEN") {
            None => None,
            Some(raw) => Some(raw.parse::<SocketAddr>().map_err(|_| {
                invalid(
                    "METRICS_LISTEN",
                    format!("not a host:port address: {raw:?}"),
                )
            })?),
        };
        if metrics_listen.is_some_and(|m| m == listen) {
            return Err(invalid("METRICS_LISTEN", "must differ from APP_LISTEN"));
        }

        Ok(Config {
            listen,
            database_url: database_url(&vars)?,
            db_pool: db_pool(&vars)?,
            app_name: vars.string("APP_NAME", "FlexiAPI"),
            app_url,
            app_key: vars.get("APP_KEY").map(|k| Secret(k.to_string())),
            sip_domain,
            everyone_is_admin: vars.bool("APP_EVERYONE_IS_ADMIN", false)?,
            account_realm: vars.get("ACCOUNT_REALM").map(str::to_string),
            pusher_path: vars.get("APP_FLEXISIP_PUSHER_PATH").map(PathBuf::from),
            pusher_firebase_keys: firebase_keys(&vars)?,
            proxy_pid_file: vars.get("APP_FLEXISIP_PROXY_PID").map(PathBuf::from),
            redis_url: redis_url(&vars)?,
            mailer,
            mail_from_address: vars.string("MAIL_FROM_ADDRESS", "no-reply@example.org"),
            mail_from_name: vars
                .string("MAIL_FROM_NAME", vars.get("APP_NAME").unwrap_or("FlexiAPI")),
            ovh: ovh_config(&vars)?,
            proxy_registrar_address: vars
                .get("ACCOUNT_PROXY_REGISTRAR_ADDRESS")
                .map(str::to_string),
            provisioning_rc_file: vars.get("ACCOUNT_PROVISIONING_RC_FILE").map(PathBuf::from),
            provisioning_extra_file: vars
                .get("ACCOUNT_PROVISIONING_EXTRA_FILE")
                .map(PathBuf::from),
            provisioning_overwrite_all: vars.bool("ACCOUNT_PROVISIONING_OVERWRITE_ALL", false)?,
            phone_authentication: vars.bool("PHONE_AUTHENTICATION", true)?,
            devices_management: vars.bool("DEVICES_MANAGEMENT", false)?,
            rate_limit_per_minute: vars.positive("APP_RATE_LIMIT_PER_MINUTE", 10)?,
            trusted_proxies: trusted_proxies(&vars)?,
            code_max_attempts: vars.positive("APP_CODE_MAX_ATTEMPTS", 5)?,
            code_failures_before_lock: vars.positive("APP_CODE_FAILURES_BEFORE_LOCK", 10)?,
            code_failure_window_minutes: vars.positive("APP_CODE_FAILURE_WINDOW_MINUTES", 1440)?
                as i64,
            code_lock_minutes: vars.positive("APP_CODE_LOCK_MINUTES", 1440)? as i64,
            email_change_code_expiration_minutes: vars
                .positive("APP_EMAIL_CHANGE_CODE_EXPIRATION_MINUTES", 10)?
                as i64,
            phone_change_code_expiration_minutes: vars
                .positive("APP_PHONE_CHANGE_CODE_EXPIRATION_MINUTES", 10)?
                as i64,
            account_recovery_token_expiration_minutes: vars
                .minutes_or_none("APP_ACCOUNT_RECOVERY_TOKEN_EXPIRATION_MINUTES", 60)?,
            tokens_per_device: vars.positive("APP_TOKENS_PER_DEVICE", 4)?,
            token_lifetime_minutes: vars.positive("APP_TOKEN_LIFETIME_MINUTES", 1440)? as i64,
            nonce_lifetime_minutes: vars.positive("APP_NONCE_LIFETIME_MINUTES", 60)? as i64,
            metrics_token,
            metrics_listen,
            connections: connection_limits(&vars)?,
            account_creation_token_expiration_minutes: vars
                .minutes_or_none("APP_ACCOUNT_CREATION_TOKEN_EXPIRATION_MINUTES", 1440)?,
            changes_need_creation_token: vars
                .bool("APP_PHONE_EMAIL_CHANGE_NEEDS_CREATION_TOKEN", false)?,
            account_creation_token_retry_minutes: vars
                .number::<u32>("APP_API_ACCOUNT_CREATION_TOKEN_RETRY_MINUTES", 60)?
                as i64,
            account_recovery_token_retry_minutes: vars
                .number::<u32>("APP_API_ACCOUNT_RECOVERY_TOKEN_RETRY_MINUTES", 60)?
                as i64,
            recovery_code_expiration_minutes: vars
                .minutes_or_none("APP_RECOVERY_CODE_EXPIRATION_MINUTES", 10)?,
            reset_password_email_token_expiration_minutes: vars
                .positive("APP_RESET_PASSWORD_EMAIL_TOKEN_EXPIRATION_MINUTES", 1440)?
                as i64,
            hcaptcha: hcaptcha_config(&vars)?,
            api_key_expiration_minutes: vars.optional_minutes("APP_API_KEY_EXPIRATION_MINUTES")?,
            provisioning_token_expiration_minutes: vars
                .minutes_or_none("APP_PROVISIONING_TOKEN_EXPIRATION_MINUTES", 1440)?,
            activation_key_expiration_minutes: vars
                .minutes_or_none("APP_ACTIVATION_KEY_EXPIRATION_MINUTES", 10080)?,
            turn: turn_config(&vars)?,
            audit_retention_days: audit_retention_days(&vars)?,
            log_filter: vars.string("RUST_LOG", "info"),
        })
    }

    /// The Digest realm of an account of `domain`.
    pub fn realm_for<'a>(&'a self, domain: &'a str) -> &'a str {
        self.account_realm.as_deref().unwrap_or(domain)
    }
}

/// `AUDIT_RETENTION_DAYS`: at least a day, at most a century (a larger
/// value would put the cut-off before any representable date).
fn audit_retention_days(vars: &Vars) -> Result<u32, ConfigError> {
    let days = vars.positive("AUDIT_RETENTION_DAYS", 365)?;
    if days > 36500 {
        return Err(invalid(
            "AUDIT_RETENTION_DAYS",
            "must be 36500 days or fewer",
        ));
    }
    Ok(days)
}

/// `HCAPTCHA_SITEKEY` and `HCAPTCHA_SECRET`: both or neither.
fn hcaptcha_config(vars: &Vars) -> Result<Option<HcaptchaConfig>, ConfigError> {
    let verify_url = vars.string("HCAPTCHA_VERIFY_URL", "https://api.hcaptcha.com/siteverify");
    if !(verify_url.starts_with("https://") || verify_url.starts_with("http://")) {
        return Err(invalid("HCAPTCHA_VERIFY_URL", "must be an http(s):// URL"));
    }
    match (vars.get("HCAPTCHA_SITEKEY"), vars.get("HCAPTCHA_SECRET")) {
        (None, None) => Ok(None),
        (Some(site_key), Some(secret)) => Ok(Some(HcaptchaConfig {
            site_key: site_key.to_string(),
            secret: Secret(secret.to_string()),
            verify_url,
        })),
        (Some(_), None) => Err(invalid(
            "HCAPTCHA_SECRET",
            "is required with HCAPTCHA_SITEKEY",
        )),
        (None, Some(_)) => Err(invalid(
            "HCAPTCHA_SITEKEY",
            "is required with HCAPTCHA_SECRET",
        )),
    }
}

/// `COTURN_*`: host and secret go together; a TTL of 0 turns the service
/// off, as in the PHP service.
fn turn_config(vars: &Vars) -> Result<Option<TurnConfig>, ConfigError> {
    let ttl_minutes: i32 = vars.number("COTURN_SESSION_TTL_MINUTES", 1440)?;
    if ttl_minutes < 0 {
        return Err(invalid(
            "COTURN_SESSION_TTL_MINUTES",
            "must be 0 (off) or more",
        ));
    }
    let host = vars.get("COTURN_SERVER_HOST");
    let secret = vars.get("COTURN_STATIC_AUTH_SECRET");
    let (host, secret) = match (host, secret) {
        (None, None) => return Ok(None),
        (Some(host), Some(secret)) => (host, secret),
        (None, Some(_)) => {
            return Err(invalid(
                "COTURN_SERVER_HOST",
                "required with COTURN_STATIC_AUTH_SECRET",
            ));
        }
        (Some(_), None) => {
            return Err(invalid(
                "COTURN_STATIC_AUTH_SECRET",
                "required with COTURN_SERVER_HOST",
            ));
        }
    };
    if host.contains(|c: char| c.is_whitespace() || c.is_control() || c == '/') {
        return Err(invalid("COTURN_SERVER_HOST", "expected host[:port]"));
    }
    Ok((ttl_minutes > 0).then(|| TurnConfig {
        host: host.to_string(),
        secret: Secret(secret.to_string()),
        ttl_minutes: ttl_minutes.into(),
    }))
}

/// `APP_FLEXISIP_PUSHER_FIREBASE_KEYSMAP`: `projectId:path` pairs
/// separated by spaces, as in the PHP service.
fn firebase_keys(vars: &Vars) -> Result<HashMap<String, PathBuf>, ConfigError> {
    const NAME: &str = "APP_FLEXISIP_PUSHER_FIREBASE_KEYSMAP";
    let Some(list) = vars.get(NAME) else {
        return Ok(HashMap::new());
    };
    list.split_whitespace()
        .map(|pair| match pair.split_once(':') {
            Some((project, path)) if !project.is_empty() && !path.is_empty() => {
                Ok((project.to_string(), PathBuf::from(path)))
            }
            _ => Err(invalid(
                NAME,
                format!("expected projectId:path pairs separated by spaces, got {pair:?}"),
            )),
        })
        .collect()
}

/// `APP_TRUSTED_PROXIES`: addresses or CIDR ranges, comma-separated.
fn trusted_proxies(vars: &Vars) -> Result<Vec<IpRange>, ConfigError> {
    const NAME: &str = "APP_TRUSTED_PROXIES";
    let Some(list) = vars.get(NAME) else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            IpRange::parse(item)
                .ok_or_else(|| invalid(NAME, format!("not an address or CIDR range: {item:?}")))
        })
        .collect()
}

fn database_url(vars: &Vars) -> Result<String, ConfigError> {
    if let Some(url) = vars.get("DATABASE_URL") {
        let known = [
            "sqlite:",
            "mysql://",
            "mariadb://",
            "postgres://",
            "postgresql://",
        ];
        if !known.iter().any(|scheme| url.starts_with(scheme)) {
            return Err(invalid(
                "DATABASE_URL",
                "expected a sqlite://, mysql:// or postgres:// URL",
            ));
        }
        return Ok(url.replacen("mariadb://", "mysql://", 1));
    }
    let Some(driver) = vars.get("DB_DRIVER") else {
        return Ok("sqlite://flexiapi.sqlite".to_string());
    };
    let scheme = match driver {
        "mysql" | "mariadb" => "mysql",
        "pgsql" | "postgres" | "postgresql" => "postgres",
        "sqlite" => {
            let path = vars.string("DB_DATABASE", "flexiapi.sqlite");
            return Ok(format!("sqlite://{path}"));
        }
        other => {
            return Err(invalid(
                "DB_DRIVER",
                format!("expected mysql, pgsql or sqlite, got {other:?}"),
            ));
        }
    };
    let encode = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let host = vars.string("DB_HOST", "127.0.0.1");
    let port = match vars.get("DB_PORT") {
        Some(p) => {
            let port: u16 = p
                .parse()
                .map_err(|_| invalid("DB_PORT", format!("not a port: {p:?}")))?;
            format!(":{port}")
        }
        None => String::new(),
    };
    let database = vars.string("DB_DATABASE", "flexiapi");
    let credentials = match (vars.get("DB_USERNAME"), vars.get("DB_PASSWORD")) {
        (Some(user), Some(password)) => format!("{}:{}@", encode(user), encode(password)),
        (Some(user), None) => format!("{}@", encode(user)),
        _ => String::new(),
    };
    Ok(format!("{scheme}://{credentials}{host}{port}/{database}"))
}

fn connection_limits(vars: &Vars) -> Result<ConnectionLimits, ConfigError> {
    let defaults = ConnectionLimits::default();
    let seconds = |name: &str, default: Duration| -> Result<Duration, ConfigError> {
        Ok(Duration::from_secs(
            vars.positive(name, default.as_secs() as u32)?.into(),
        ))
    };
    let idle_timeout = seconds("APP_IDLE_TIMEOUT_SECONDS", defaults.idle_timeout)?;
    // Nothing moves on a connection while its handler works: a shorter
    // idle cut would close it under a request still within its time.
    if idle_timeout.as_secs() <= REQUEST_TIMEOUT_SECONDS {
        return Err(invalid(
            "APP_IDLE_TIMEOUT_SECONDS",
            format!("must be above the {REQUEST_TIMEOUT_SECONDS}-second request timeout"),
        ));
    }
    Ok(ConnectionLimits {
        header_read_timeout: seconds(
            "APP_HEADER_READ_TIMEOUT_SECONDS",
            defaults.header_read_timeout,
        )?,
        idle_timeout,
        max_connections: vars.positive("APP_MAX_CONNECTIONS", defaults.max_connections as u32)?
            as usize,
        shutdown_grace: seconds("APP_SHUTDOWN_GRACE_SECONDS", defaults.shutdown_grace)?,
    })
}

fn db_pool(vars: &Vars) -> Result<DbPoolConfig, ConfigError> {
    let defaults = DbPoolConfig::default();
    let max_connections = match vars.get("DB_POOL_MAX") {
        None => None,
        Some(_) => Some(vars.positive("DB_POOL_MAX", 1)?),
    };
    let seconds = |d: Duration| d.as_secs() as u32;
    let connect = vars.positive(
        "DB_CONNECT_TIMEOUT_SECONDS",
        seconds(defaults.connect_timeout),
    )?;
    let acquire = vars.positive(
        "DB_ACQUIRE_TIMEOUT_SECONDS",
        seconds(defaults.acquire_timeout),
    )?;
    if u64::from(acquire) >= REQUEST_TIMEOUT_SECONDS {
        return Err(invalid(
            "DB_ACQUIRE_TIMEOUT_SECONDS",
            format!("must be below the {REQUEST_TIMEOUT_SECONDS}-second request timeout"),
        ));
    }
    let query = vars.positive("DB_QUERY_TIMEOUT_SECONDS", seconds(defaults.query_timeout))?;
    // A silent database must give its 503 before the request cut.
    if u64::from(query) + u64::from(acquire) >= REQUEST_TIMEOUT_SECONDS {
        return Err(invalid(
            "DB_QUERY_TIMEOUT_SECONDS",
            format!(
                "with DB_ACQUIRE_TIMEOUT_SECONDS, must stay below the \
                 {REQUEST_TIMEOUT_SECONDS}-second request timeout"
            ),
        ));
    }
    Ok(DbPoolConfig {
        max_connections,
        connect_timeout: Duration::from_secs(connect.into()),
        acquire_timeout: Duration::from_secs(acquire.into()),
        query_timeout: Duration::from_secs(query.into()),
    })
}

fn redis_url(vars: &Vars) -> Result<Option<Secret>, ConfigError> {
    if let Some(url) = vars.get("REDIS_URL") {
        if !url.starts_with("redis://") {
            return Err(invalid(
                "REDIS_URL",
                "expected a redis:// URL (TLS to Redis is not supported)",
            ));
        }
        return Ok(Some(Secret(url.to_string())));
    }
    let Some(host) = vars.get("REDIS_HOST") else {
        return Ok(None);
    };
    let port: u16 = vars.number("REDIS_PORT", 6379)?;
    let db: u32 = vars.number("REDIS_DB", 0)?;
    let auth = match vars.get("REDIS_PASSWORD") {
        Some(password) => format!(
            ":{}@",
            percent_encoding::utf8_percent_encode(password, percent_encoding::NON_ALPHANUMERIC)
        ),
        None => String::new(),
    };
    Ok(Some(Secret(format!("redis://{auth}{host}:{port}/{db}"))))
}

fn smtp_config(vars: &Vars) -> Result<SmtpConfig, ConfigError> {
    let host = vars
        .get("MAIL_HOST")
        .ok_or_else(|| invalid("MAIL_HOST", "required when MAIL_MAILER=smtp"))?
        .to_string();
    let encryption = match vars.get("MAIL_ENCRYPTION").map(str::to_ascii_lowercase) {
        None => MailEncryption::StartTls,
        Some(v) => match v.as_str() {
            "tls" | "ssl" | "smtps" => MailEncryption::Tls,
            "starttls" => MailEncryption::StartTls,
            "none" | "null" => MailEncryption::None,
            _ => {
                return Err(invalid(
                    "MAIL_ENCRYPTION",
                    format!("expected tls, starttls or none, got {v:?}"),
                ));
            }
        },
    };
    let default_port = match encryption {
        MailEncryption::Tls => 465,
        MailEncryption::StartTls => 587,
        MailEncryption::None => 25,
    };
    Ok(SmtpConfig {
        host,
        port: vars.number("MAIL_PORT", default_port)?,
        username: vars.get("MAIL_USERNAME").map(str::to_string),
        password: Secret(vars.string("MAIL_PASSWORD", "")),
        encryption,
    })
}

fn ovh_config(vars: &Vars) -> Result<Option<OvhConfig>, ConfigError> {
    let (Some(app_key), Some(secret), Some(consumer)) = (
        vars.get("OVH_APP_KEY"),
        vars.get("OVH_APP_SECRET"),
        vars.get("OVH_APP_CONSUMER_KEY"),
    ) else {
        return Ok(None);
    };
    let endpoint = match vars.get("OVH_APP_ENDPOINT").unwrap_or("ovh-eu") {
        "ovh-eu" => "https://eu.api.ovh.com/1.0".to_string(),
        "ovh-ca" => "https://ca.api.ovh.com/1.0".to_string(),
        "ovh-us" => "https://api.us.ovhcloud.com/1.0".to_string(),
        url if url.starts_with("http://") || url.starts_with("https://") => {
            url.trim_end_matches('/').to_string()
        }
        other => {
            return Err(invalid(
                "OVH_APP_ENDPOINT",
                format!("expected ovh-eu, ovh-ca, ovh-us or an http(s):// URL, got {other:?}"),
            ));
        }
    };
    Ok(Some(OvhConfig {
        app_key: app_key.to_string(),
        app_secret: Secret(secret.to_string()),
        consumer_key: Secret(consumer.to_string()),
        endpoint,
        sender: vars.get("OVH_APP_SENDER").map(str::to_string),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_map(&map)
    }

    #[test]
    fn defaults_give_a_working_sqlite_instance() {
        let c = config(&[]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8000");
        assert_eq!(c.database_url, "sqlite://flexiapi.sqlite");
        assert_eq!(c.sip_domain, "sip.example.org");
        assert_eq!(c.code_max_attempts, 5);
        assert_eq!(c.code_failures_before_lock, 10);
        assert_eq!(c.code_failure_window_minutes, 1440);
        assert_eq!(c.code_lock_minutes, 1440);
        assert_eq!(c.email_change_code_expiration_minutes, 10);
        assert_eq!(c.phone_change_code_expiration_minutes, 10);
        assert_eq!(c.account_recovery_token_expiration_minutes, Some(60));
        assert!(matches!(c.mailer, MailerConfig::Log));
        assert!(c.ovh.is_none() && c.redis_url.is_none());
    }

    #[test]
    fn self_service_settings_follow_php_meanings() {
        let c = config(&[]).unwrap();
        // A day, where PHP FlexiAPI keeps them forever by default.
        assert_eq!(c.account_creation_token_expiration_minutes, Some(1440));
        assert_eq!(c.account_creation_token_retry_minutes, 60);
        assert_eq!(c.recovery_code_expiration_minutes, Some(10));
        assert!(c.hcaptcha.is_none());
        let c = config(&[
            ("APP_ACCOUNT_CREATION_TOKEN_EXPIRATION_MINUTES", "15"),
            ("APP_RECOVERY_CODE_EXPIRATION_MINUTES", "0"),
            ("HCAPTCHA_SITEKEY", "site"),
            ("HCAPTCHA_SECRET", "secret"),
        ])
        .unwrap();
        assert_eq!(c.account_creation_token_expiration_minutes, Some(15));
        assert_eq!(c.recovery_code_expiration_minutes, None);
        let captcha = c.hcaptcha.unwrap();
        assert_eq!(captcha.verify_url, "https://api.hcaptcha.com/siteverify");
        assert!(!format!("{captcha:?}").contains("secret\""));
        for (pairs, named) in [
            (&[("HCAPTCHA_SITEKEY", "site")][..], "HCAPTCHA_SECRET"),
            (&[("HCAPTCHA_SECRET", "secret")][..], "HCAPTCHA_SITEKEY"),
            (
                &[("HCAPTCHA_VERIFY_URL", "ftp://x")][..],
                "HCAPTCHA_VERIFY_URL",
            ),
            (
                &[("APP_API_ACCOUNT_CREATION_TOKEN_RETRY_MINUTES", "-1")][..],
                "APP_API_ACCOUNT_CREATION_TOKEN_RETRY_MINUTES",
            ),
        ] {
            assert_eq!(config(pairs).unwrap_err().variable, named);
        }
    }

    #[test]
    fn invalid_values_name_the_variable() {
        for (name, value) in [
            ("APP_LISTEN", "nowhere"),
            ("APP_EVERYONE_IS_ADMIN", "maybe"),
            ("APP_RATE_LIMIT_PER_MINUTE", "-3"),
            ("APP_CODE_MAX_ATTEMPTS", "0"),
            ("DATABASE_URL", "oracle://x"),
            ("MAIL_MAILER", "carrier-pigeon"),
            ("APP_URL", "ftp://x"),
            ("REDIS_URL", "rediss://secure:6380/0"),
            ("APP_TRUSTED_PROXIES", "127.0.0.1, proxy.example.org"),
            ("APP_TRUSTED_PROXIES", "10.0.0.0/40"),
            ("APP_FLEXISIP_PUSHER_FIREBASE_KEYSMAP", "929724111839"),
            ("APP_FLEXISIP_PUSHER_FIREBASE_KEYSMAP", "a:/k.json :/x.json"),
            ("APP_API_KEY_EXPIRATION_MINUTES", "-1"),
            ("APP_PROVISIONING_TOKEN_EXPIRATION_MINUTES", "soon"),
            ("APP_PROVISIONING_TOKEN_EXPIRATION_MINUTES", "-1"),
            ("APP_ACTIVATION_KEY_EXPIRATION_MINUTES", "-1"),
            ("COTURN_SESSION_TTL_MINUTES", "-5"),
            ("DB_POOL_MAX", "0"),
            ("DB_POOL_MAX", "lots"),
            ("DB_CONNECT_TIMEOUT_SECONDS", "0"),
            ("DB_CONNECT_TIMEOUT_SECONDS", "1.5"),
            ("DB_ACQUIRE_TIMEOUT_SECONDS", "-1"),
            ("DB_ACQUIRE_TIMEOUT_SECONDS", "30"),
        ] {
            let err = config(&[(name, value)]).unwrap_err();
            assert_eq!(err.variable, name, "{value}");
            assert!(err.to_string().contains(name));
        }
    }

    #[test]
    fn audit_retention_days_default_and_bounds() {
        assert_eq!(config(&[]).unwrap().audit_retention_days, 365);
        let c = config(&[("AUDIT_RETENTION_DAYS", "30")]).unwrap();
        assert_eq!(c.audit_retention_days, 30);
        for bad in ["0", "-1", "36501", "x", "99999999999"] {
            let err = config(&[("AUDIT_RETENTION_DAYS", bad)]).unwrap_err();
            assert!(
                err.to_string().contains("AUDIT_RETENTION_DAYS"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn optional_minutes_and_turn() {
        let c = config(&[]).unwrap();
        assert_eq!(c.api_key_expiration_minutes, None);
        // Every secret has a lifetime: a day, a week for activation keys.
        assert_eq!(c.provisioning_token_expiration_minutes, Some(1440));
        assert_eq!(c.activation_key_expiration_minutes, Some(10080));
        assert!(c.turn.is_none());
        let c = config(&[
            ("APP_API_KEY_EXPIRATION_MINUTES", "0"),
            ("APP_PROVISIONING_TOKEN_EXPIRATION_MINUTES", "30"),
            ("APP_ACTIVATION_KEY_EXPIRATION_MINUTES", "0"),
            ("COTURN_SERVER_HOST", "turn.example.org:3478"),
            ("COTURN_STATIC_AUTH_SECRET", "s3cret"),
        ])
        .unwrap();
        assert_eq!(c.api_key_expiration_minutes, None);
        assert_eq!(c.provisioning_token_expiration_minutes, Some(30));
        assert_eq!(c.activation_key_expiration_minutes, None);
        let turn = c.turn.unwrap();
        assert_eq!(
            (turn.host.as_str(), turn.ttl_minutes),
            ("turn.example.org:3478", 1440)
        );
        assert!(!format!("{turn:?}").contains("s3cret"));
        let off = config(&[
            ("COTURN_SERVER_HOST", "turn.example.org"),
            ("COTURN_STATIC_AUTH_SECRET", "s3cret"),
            ("COTURN_SESSION_TTL_MINUTES", "0"),
        ])
        .unwrap();
        assert!(off.turn.is_none());
        // Host and secret go together; the error names the missing one.
        let err = config(&[("COTURN_STATIC_AUTH_SECRET", "s3cret")]).unwrap_err();
        assert_eq!(err.variable, "COTURN_SERVER_HOST");
        assert!(!err.to_string().contains("s3cret"));
        let err = config(&[("COTURN_SERVER_HOST", "turn.example.org")]).unwrap_err();
        assert_eq!(err.variable, "COTURN_STATIC_AUTH_SECRET");
        let err = config(&[
            ("COTURN_SERVER_HOST", "turn.example.org/x"),
            ("COTURN_STATIC_AUTH_SECRET", "s3cret"),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "COTURN_SERVER_HOST");
    }

    #[test]
    fn database_pool_settings() {
        assert_eq!(config(&[]).unwrap().db_pool, DbPoolConfig::default());
        let c = config(&[
            ("DB_POOL_MAX", "64"),
            ("DB_CONNECT_TIMEOUT_SECONDS", "3"),
            ("DB_ACQUIRE_TIMEOUT_SECONDS", "20"),
            ("DB_QUERY_TIMEOUT_SECONDS", "9"),
        ])
        .unwrap();
        assert_eq!(
            c.db_pool,
            DbPoolConfig {
                max_connections: Some(64),
                connect_timeout: Duration::from_secs(3),
                acquire_timeout: Duration::from_secs(20),
                query_timeout: Duration::from_secs(9),
            }
        );
        // Both waits together stay below the request cut.
        let err = config(&[
            ("DB_ACQUIRE_TIMEOUT_SECONDS", "20"),
            ("DB_QUERY_TIMEOUT_SECONDS", "10"),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "DB_QUERY_TIMEOUT_SECONDS");
        let err = config(&[("APP_IDLE_TIMEOUT_SECONDS", "30")]).unwrap_err();
        assert_eq!(err.variable, "APP_IDLE_TIMEOUT_SECONDS");
        assert_eq!(
            config(&[]).unwrap().connections,
            crate::connections::ConnectionLimits::default()
        );
    }

    #[test]
    fn firebase_keys_map_projects_to_files() {
        assert!(config(&[]).unwrap().pusher_firebase_keys.is_empty());
        let c = config(&[(
            "APP_FLEXISIP_PUSHER_FIREBASE_KEYSMAP",
            "929724111839:/etc/flexisip/a.json  other-app:/etc/flexisip/b.json",
        )])
        .unwrap();
        assert_eq!(c.pusher_firebase_keys.len(), 2);
        assert_eq!(
            c.pusher_firebase_keys["929724111839"],
            PathBuf::from("/etc/flexisip/a.json")
        );
    }

    #[test]
    fn trusted_proxies_are_addresses_and_ranges() {
        assert!(config(&[]).unwrap().trusted_proxies.is_empty());
        let c = config(&[("APP_TRUSTED_PROXIES", " 127.0.0.1, 10.0.0.0/8,::1 ,")]).unwrap();
        assert_eq!(c.trusted_proxies.len(), 3);
        assert!(c.trusted_proxies[1].contains("10.9.8.7".parse().unwrap()));
    }

    #[test]
    fn php_style_database_variables_build_a_url() {
        let c = config(&[
            ("DB_DRIVER", "mysql"),
            ("DB_HOST", "db"),
            ("DB_PORT", "3306"),
            ("DB_DATABASE", "flexisip"),
            ("DB_USERNAME", "fs"),
            ("DB_PASSWORD", "p@ss"),
        ])
        .unwrap();
        assert_eq!(c.database_url, "mysql://fs:p%40ss@db:3306/flexisip");
    }

    #[test]
    fn secrets_are_masked_in_debug() {
        let c = config(&[("APP_KEY", "topsecret"), ("REDIS_URL", "redis://:pw@h/0")]).unwrap();
        let debug = format!("{c:?}");
        assert!(!debug.contains("topsecret") && !debug.contains(":pw@"));
    }

    #[test]
    fn ovh_endpoint_names_and_urls() {
        let base = [
            ("OVH_APP_KEY", "k"),
            ("OVH_APP_SECRET", "s"),
            ("OVH_APP_CONSUMER_KEY", "c"),
        ];
        let c = config(&base).unwrap();
        assert_eq!(c.ovh.unwrap().endpoint, "https://eu.api.ovh.com/1.0");
        let mut with_url = base.to_vec();
        with_url.push(("OVH_APP_ENDPOINT", "http://127.0.0.1:9/1.0/"));
        assert_eq!(
            config(&with_url).unwrap().ovh.unwrap().endpoint,
            "http://127.0.0.1:9/1.0"
        );
    }
}
