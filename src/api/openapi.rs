//! The OpenAPI 3.1 document of the HTTP API, assembled from the
//! `#[utoipa::path]` annotations of the handlers (each API module exports a
//! `Doc`), served at `GET /api/openapi.json` and printed by `flexiapi
//! openapi`. `docs/openapi.json` is the committed copy; CI diffs the two.

use std::sync::OnceLock;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};

use crate::state::AppState;

/// What every part shares: the title, the security schemes and the error
/// bodies.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "flexiapi",
        description = "Account manager of a Flexisip SIP service: the HTTP API of the PHP FlexiAPI, same paths and JSON.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    modifiers(&SecuritySchemes),
    components(schemas(
        super::schemas::Message,
        super::schemas::ValidationError,
        super::schemas::Account,
        super::schemas::PasswordAlgorithm,
        super::schemas::PendingEmail,
    )),
)]
struct Base;

#[derive(OpenApi)]
#[openapi(paths(serve))]
struct Own;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "x-api-key",
                "An API key of the account (`GET /api/accounts/me/api_key`, the panel or `flexiapi accounts api-key`).",
            ))),
        );
        components.add_security_scheme(
            "digest",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Digest)),
        );
    }
}

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Base::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc.merge(Own::openapi());
    for part in documented() {
        doc.merge(part);
    }
    document_guard_answers(&mut doc);
    document_input_guard_answer(&mut doc);
    doc
}

/// The input guard (`src/input_guard.rs`) stands before every operation:
/// a control character in a path parameter, the query string, the `From`
/// header or the body is a `422` naming the field (docs/api.md, "Text
/// input"), whatever the operation documents itself.
fn document_input_guard_answer(doc: &mut utoipa::openapi::OpenApi) {
    const CAUSE: &str = "a path parameter, the query string, the `From` header or the body holds a control character: the field is named";
    for operation in operations(doc) {
        add_cause(
            &mut operation.responses.responses,
            "422",
            CAUSE,
            "ValidationError",
        );
    }
}

/// Every operation of the document.
fn operations(
    doc: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    doc.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
    })
}

/// What the authentication guard may answer on every authenticated
/// operation, added here once rather than on each handler: `403` `Account
/// blocked` once the credentials are proven (as PHP FlexiAPI's
/// CheckBlocked), and `429` while the account's wrong Digest answers are
/// throttled (docs/api.md, "Guesses over time"). An operation that already
/// has such a status gets the cause appended.
fn document_guard_answers(doc: &mut utoipa::openapi::OpenApi) {
    const GUARD_ANSWERS: [(&str, &str); 2] = [
        (
            "403",
            "the authenticated account is blocked: `Account blocked`",
        ),
        (
            "429",
            "too many wrong Digest answers for this account: every answer is refused until the window ends",
        ),
    ];
    for operation in operations(doc).filter(|operation| operation.security.is_some()) {
        for (status, cause) in GUARD_ANSWERS {
            add_cause(&mut operation.responses.responses, status, cause, "Message");
        }
    }
}

fn add_cause(
    responses: &mut std::collections::BTreeMap<
        String,
        utoipa::openapi::RefOr<utoipa::openapi::Response>,
    >,
    status: &str,
    cause: &str,
    schema: &str,
) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    match responses.get_mut(status) {
        Some(RefOr::T(response)) => {
            response.description = format!("{}; or {cause}", response.description);
        }
        _ => {
            let mut first = cause.chars();
            let description = first
                .next()
                .map(|c| c.to_uppercase().chain(first).collect::<String>())
                .unwrap_or_default();
            let response = ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(schema)))
                        .build(),
                )
                .build();
            responses.insert(status.into(), RefOr::T(response));
        }
    }
}

/// The document as pretty JSON, built once.
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        document()
            .to_pretty_json()
            .expect("the OpenAPI document serializes")
    })
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(serve))
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "public",
    operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 document of the API", content_type = "application/json", body = Object)),
)]
async fn serve() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], json())
}

/// Every module's part of the OpenAPI document.
fn documented() -> Vec<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi;
    vec![
        super::account_actions::Doc::openapi(),
        super::account_creation_tokens::Doc::openapi(),
        super::account_recovery_tokens::Doc::openapi(),
        super::account_types::Doc::openapi(),
        super::activation::Doc::openapi(),
        super::admin_accounts::Doc::openapi(),
        super::admin_contacts::Doc::openapi(),
        super::admin_schemas::Doc::openapi(),
        super::admin_devices::Doc::openapi(),
        super::admin_emails::Doc::openapi(),
        super::admin_search::Doc::openapi(),
        super::admin_update::Doc::openapi(),
        super::auth_tokens::Doc::openapi(),
        super::contacts::Doc::openapi(),
        super::contacts_lists::Doc::openapi(),
        super::devices::Doc::openapi(),
        super::dictionary::Doc::openapi(),
        super::docs::Doc::openapi(),
        super::external_accounts::Doc::openapi(),
        super::me::Doc::openapi(),
        super::phone::Doc::openapi(),
        super::ping::Doc::openapi(),
        super::provisioning_tokens::Doc::openapi(),
        super::public_accounts::Doc::openapi(),
        super::tokens::Doc::openapi(),
        super::turn::Doc::openapi(),
        super::with_token::Doc::openapi(),
        crate::provisioning::Doc::openapi(),
    ]
}
