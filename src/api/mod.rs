//! The REST API under `/api`, one module per resource. Public, user and
//! admin routes are grouped so that each group gets its guard once.

pub mod account_actions;
mod account_creation_tokens;
mod account_recovery_tokens;
pub mod account_types;
mod activation;
mod admin_accounts;
mod admin_contacts;
mod admin_devices;
mod admin_emails;
pub(crate) mod admin_schemas;
mod admin_search;
pub mod admin_update;
mod auth_tokens;
mod contacts;
pub mod contacts_lists;
pub mod devices;
pub mod dictionary;
mod docs;
pub mod external_accounts;
mod me;
pub mod openapi;
mod paginator;
mod phone;
mod ping;
mod provisioning_tokens;
mod public_accounts;
pub mod push_token;
pub(crate) mod schemas;
mod tokens;
mod turn;
mod with_token;

use axum::Router;
use axum::middleware::from_fn_with_state;

use crate::auth::{require_admin, require_user};
use crate::state::AppState;

pub fn router(state: &AppState) -> Router<AppState> {
    let public = Router::new()
        .merge(ping::router())
        .merge(docs::router())
        .merge(openapi::router())
        .merge(public_accounts::router())
        .merge(tokens::router(state))
        .merge(with_token::router(state))
        .merge(activation::router(state))
        .merge(account_creation_tokens::public_router(state))
        .merge(account_recovery_tokens::router(state))
        .merge(auth_tokens::public_router(state));
    let user = Router::new()
        .merge(me::router())
        .merge(phone::router())
        .merge(devices::router())
        .merge(contacts::router())
        .merge(auth_tokens::user_router())
        .merge(account_creation_tokens::user_router())
        .merge(provisioning_tokens::user_router())
        .merge(turn::router())
        .merge(crate::provisioning::me_router())
        .route_layer(from_fn_with_state(state.clone(), require_user));
    let admin = Router::new()
        .merge(admin_accounts::router())
        .merge(account_creation_tokens::admin_router())
        .merge(admin_emails::router())
        .merge(provisioning_tokens::admin_router())
        .merge(admin_update::router())
        .merge(admin_search::router())
        .merge(admin_devices::router())
        .merge(account_types::router())
        .merge(account_actions::router())
        .merge(dictionary::router())
        .merge(external_accounts::router())
        .merge(contacts_lists::router())
        .merge(admin_contacts::router())
        .route_layer(from_fn_with_state(state.clone(), require_admin));
    public.merge(user).merge(admin)
}
