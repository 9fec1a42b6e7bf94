//! Test harness: a real server on 127.0.0.1:0 with its own SQLite file.

#![allow(dead_code)]

use std::collections::HashMap;

use flexiapi::clock::Clock;
use flexiapi::config::Config;
use flexiapi::state::AppState;
use tempfile::TempDir;

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub client: reqwest::Client,
    pub dir: TempDir,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts a server with these configuration variables over the test
    /// defaults (SQLite file in a temporary directory, log mailer).
    pub async fn spawn_with(vars: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut map: HashMap<String, String> = HashMap::new();
        map.insert(
            "DATABASE_URL".into(),
            format!("sqlite://{}", dir.path().join("test.sqlite").display()),
        );
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
