//! `GET /admin/audit`: the audit log, newest first, 50 entries a page.

use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::form::{self, field};
use super::session::AdminSession;
use super::{Nav, error_page, render};
use crate::clock::format_datetime;
use crate::state::AppState;

const PER_PAGE: u64 = 50;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/audit", get(list))
}

struct Row {
    id: i32,
    time: String,
    actor: String,
    action: String,
    target_id: Option<i32>,
    target: String,
    detail: String,
    client_address: String,
}

#[derive(Template)]
#[template(path = "pages/admin_audit.html")]
struct AuditPage<'a> {
    app_name: &'a str,
    nav: Option<Nav>,
    page: u64,
    last_page: u64,
    total: u64,
    rows: Vec<Row>,
    prev_url: Option<String>,
    next_url: Option<String>,
}

fn page_url(page: u64) -> String {
    format!("/admin/audit?page={page}")
}

async fn list(
    State(state): State<AppState>,
    AdminSession(session): AdminSession,
    RawQuery(query): RawQuery,
) -> Response {
    let params = form::parse(query.unwrap_or_default().as_bytes()).unwrap_or_default();
    // Anything but a sensible page number is the first page.
    let page = field(&params, "page")
        .and_then(|p| p.parse::<u64>().ok())
        .filter(|p| (1..=1_000_000).contains(p))
        .unwrap_or(1);
    let (entries, total) = match crate::audit::page(&state.db, page, PER_PAGE).await {
        Ok(found) => found,
        Err(err) => return error_page(&state.config.app_name, Some(session.nav()), err.into()),
    };
    let rows = entries
        .into_iter()
        .map(|e| Row {
            id: e.id,
            time: format_datetime(&e.created_at),
            actor: e.actor,
            action: e.action,
            target_id: e.target_id,
            target: e.target,
            detail: e.detail.unwrap_or_default(),
            client_address: e.client_address,
        })
        .collect();
    let last_page = total.div_ceil(PER_PAGE).max(1);
    render(
        StatusCode::OK,
        AuditPage {
            app_name: &state.config.app_name,
            nav: Some(session.nav()),
            page,
            last_page,
            total,
            rows,
            prev_url: (page > 1).then(|| page_url((page - 1).min(last_page))),
            next_url: (page < last_page).then(|| page_url(page + 1)),
        },
    )
}
