//! `GET /api`: the API documentation, rendered once from docs/api.md.

use std::sync::OnceLock;

use axum::Router;
use axum::response::Html;
use axum::routing::get;

use crate::state::AppState;

const SOURCE: &str = include_str!("../../docs/api.md");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api", get(page))
        .route("/api/", get(page_with_slash))
}

/// The API documentation, as HTML.
#[utoipa::path(
    get,
    path = "/api",
    tag = "public",
    operation_id = "api_docs",
    responses((status = 200, description = "The documentation page", body = String, content_type = "text/html")),
)]
async fn page() -> Html<&'static str> {
    static RENDERED: OnceLock<String> = OnceLock::new();
    Html(RENDERED.get_or_init(render))
}

/// The same page as `/api`.
#[utoipa::path(
    get,
    path = "/api/",
    tag = "public",
    operation_id = "api_docs_with_slash",
    responses((status = 200, description = "The documentation page", body = String, content_type = "text/html")),
)]
async fn page_with_slash() -> Html<&'static str> {
    page().await
}

fn render() -> String {
    let parser = pulldown_cmark::Parser::new_ext(SOURCE, pulldown_cmark::Options::ENABLE_TABLES);
    let mut body = String::new();
    pulldown_cmark::html::push_html(&mut body, parser);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>FlexiAPI — API documentation</title>\
         <style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}\
         code,pre{{background:#f4f4f4}}pre{{padding:.5rem;overflow:auto}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:.2rem .5rem}}</style></head><body>\n{body}</body></html>\n"
    )
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(page, page_with_slash))]
pub(crate) struct Doc;
