//! The web panel (docs/panel.md), driven like a browser without JavaScript:
//! redirects are not followed and cookies are kept by hand, so that each
//! test sees every status and `Set-Cookie`.

mod account;
mod admin;
mod admin_account;
mod admin_create;
mod lists;
mod login;
mod phone_login;
mod qr_login;

use std::collections::HashMap;

use reqwest::header::{HeaderMap, SET_COOKIE};

use crate::helpers::{TestAccount, TestApp};

pub const SESSION_COOKIE: &str = "flexiapi_session";

/// A response, read whole.
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }

    /// The `_token` of the page's first form.
    pub fn token(&self) -> String {
        hidden(&self.body, "_token").unwrap_or_else(|| panic!("no _token in {}", self.body))
    }

    /// Number of account rows of an admin list.
    pub fn rows(&self) -> usize {
        self.body.matches("<tr class=\"account\"").count()
    }
}

/// The value of the first hidden input `name` in `html`.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// A browser: one cookie jar, no redirect following.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    client: reqwest::Client,
    pub cookies: HashMap<String, String>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let mut request = request;
        if !self.cookies.is_empty() {
            request = request.header("Cookie", self.cookie_header());
        }
        let response = request.send().await.unwrap();
        let page = Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        };
        assert_ne!(page.status, 500, "{}", page.body);
        for cookie in page.set_cookies() {
            let (pair, attributes) = cookie.split_once(';').unwrap_or((&cookie, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        page
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(self.app.url(path));
        self.send(request).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let request = self.client.post(self.app.url(path)).form(fields);
        self.send(request).await
    }

    /// A raw body, as a broken client would send it.
    pub async fn post_raw(&mut self, path: &str, body: Vec<u8>) -> Page {
        let request = self
            .client
            .post(self.app.url(path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await
    }

    /// Opens the login page and submits it.
    pub async fn login(&mut self, address: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        assert_eq!(form.status, 200);
        let token = form.token();
        self.post(
            "/login",
            &[
                ("_token", &token),
                ("address", address),
                ("password", password),
            ],
        )
        .await
    }

    /// Logs `account` in; panics unless it works.
    pub async fn login_as(&mut self, account: &TestAccount) -> Page {
        let address = format!("{}@{}", account.username, account.domain);
        let page = self.login(&address, &account.password).await;
        assert_eq!(page.status, 303, "{}", page.body);
        assert_eq!(page.location(), Some("/account"));
        page
    }

    /// A page's `_token`, for posting its forms.
    pub async fn token_of(&mut self, path: &str) -> String {
        let page = self.get(path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        page.token()
    }

    /// Posts a form of `page_path` with its token.
    pub async fn submit(&mut self, page_path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.token_of(page_path).await;
        let mut all = vec![("_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    pub fn session_cookie(&self) -> Option<String> {
        self.cookies.get(SESSION_COOKIE).cloned()
    }
}

/// A fresh browser logged in as `account`.
pub async fn logged_in<'a>(app: &'a TestApp, account: &TestAccount) -> Browser<'a> {
    let mut browser = Browser::new(app);
    browser.login_as(account).await;
    browser
}
