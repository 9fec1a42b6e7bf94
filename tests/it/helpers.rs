//! Test harness: a real server on 127.0.0.1:0 with its own database, on
//! the backend `FLEXIAPI_TEST_DB` names (see `test_db.rs`).

#![allow(dead_code)]

use std::collections::HashMap;

use flexiapi::clock::Clock;
use flexiapi::config::Config;
use flexiapi::state::AppState;
use tempfile::TempDir;

use crate::test_db::TestDb;

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub client: reqwest::Client,
    pub dir: TempDir,
    /// The database made for this app (none when the test gave its own
    /// `DATABASE_URL`); dropped with the app.
    database: Option<TestDb>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts a server with these configuration variables over the test
    /// defaults (a fresh database of the test backend, log mailer).
    pub async fn spawn_with(vars: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let own_database = vars.iter().any(|(k, _)| *k == "DATABASE_URL");
        let database = (!own_database).then(TestDb::new);
        let mut map: HashMap<String, String> = HashMap::new();
        if let Some(database) = &database {
            map.insert("DATABASE_URL".into(), database.url().to_string());
        }
        map.insert("APP_URL".into(), base.clone());
        map.insert("RUST_LOG".into(), "warn".into());
        for (k, v) in vars {
            map.insert(k.to_string(), v.to_string());
        }
        let config = Config::from_map(&map).expect("test configuration");
        let state = AppState::build(config, Clock::system())
            .await
            .expect("state");
        let app = flexiapi::app(state.clone());
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .unwrap();
        });
        TestApp {
            base,
            state,
            client: reqwest::Client::new(),
            dir,
            database,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path))
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path))
    }

    pub fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.delete(self.url(path))
    }
}

/// An account created for a test, with what a client needs to use it.
#[derive(Clone, Debug)]
pub struct TestAccount {
    pub id: i32,
    pub username: String,
    pub domain: String,
    pub password: String,
    pub api_key: String,
}

impl TestAccount {
    pub fn from(&self) -> String {
        format!("sip:{}@{}", self.username, self.domain)
    }
}

impl TestApp {
    /// An activated account with one password and an API key.
    pub async fn account(&self, username: &str, algorithm: &str, admin: bool) -> TestAccount {
        self.account_with(username, algorithm, admin, None).await
    }

    /// An activated account whose phone (and alias) is `phone`.
    pub async fn account_with_phone(&self, username: &str, phone: &str) -> TestAccount {
        self.account_with(username, "SHA-256", false, Some(phone))
            .await
    }

    async fn account_with(
        &self,
        username: &str,
        algorithm: &str,
        admin: bool,
        phone: Option<&str>,
    ) -> TestAccount {
        use flexiapi::auth::digest::Algorithm;
        use flexiapi::db::accounts::{NewAccount, insert};
        let password = format!("{username}-pass");
        let algorithm = Algorithm::parse(algorithm).unwrap();
        let now = self.state.clock.now_naive();
        let account = insert(
            &self.state.db,
            &self.state.config,
            NewAccount {
                username,
                domain: &self.state.config.sip_domain,
                password: Some((&password, algorithm)),
                phone,
                activated: true,
                admin,
                ip_address: "127.0.0.1",
                user_agent: "test",
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
        let api_key = flexiapi::auth::api_key::regenerate(&self.state.db, account.id, now)
            .await
            .unwrap();
        TestAccount {
            id: account.id,
            username: account.username,
            domain: account.domain,
            password,
            api_key,
        }
    }

    pub async fn admin(&self) -> TestAccount {
        self.account("admin_user", "SHA-256", true).await
    }

    /// A request authenticated with the account's API key.
    pub fn as_key(
        &self,
        account: &TestAccount,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("From", account.from())
            .header("x-api-key", &account.api_key)
    }

    /// Adds a raw `passwords` row (e.g. `CLRTXT`).
    pub async fn add_password_row(&self, account_id: i32, password: &str, algorithm: &str) {
        use flexiapi::db::entities::password;
        use sea_orm::{ActiveModelTrait, Set};
        password::ActiveModel {
            account_id: Set(account_id),
            password: Set(password.to_string()),
            algorithm: Set(algorithm.to_string()),
            ..Default::default()
        }
        .insert(&self.state.db)
        .await
        .unwrap();
    }

    /// Number of rows in `table`.
    pub async fn count(&self, table: &str) -> i64 {
        use sea_orm::{ConnectionTrait, Statement};
        let backend = self.state.db.get_database_backend();
        let row = self
            .state
            .db
            .query_one(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }
}

/// The JSON body of a response, whatever its status.
pub async fn json(response: reqwest::Response) -> serde_json::Value {
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

/// The sorted keys of a JSON object.
pub fn keys(value: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

/// The 14 keys of the account object (docs/api.md, "The account object"), sorted.
pub fn account_keys() -> Vec<String> {
    let mut keys: Vec<String> = [
        "id",
        "username",
        "domain",
        "email",
        "activated",
        "ip_address",
        "user_agent",
        "creation_time",
        "realm",
        "phone",
        "confirmation_key_expires",
        "passwords",
        "admin",
        "email_changed",
    ]
    .iter()
    .map(|k| k.to_string())
    .collect();
    keys.sort();
    keys
}

/// The keys of the admin account object (admin create, show, update, the
/// 2.x state routes and look-ups): the 14 keys, `confirmation_key` and the
/// FlexiAPI 2.x `blocked`, `display_name`, `dtmf_protocol`, `types`,
/// `dictionary`, sorted.
pub fn admin_account_keys() -> Vec<String> {
    let mut keys = account_keys();
    keys.extend(
        [
            "confirmation_key",
            "blocked",
            "display_name",
            "dtmf_protocol",
            "types",
            "actions",
            "dictionary",
        ]
        .iter()
        .map(|k| k.to_string()),
    );
    keys.sort();
    keys
}
