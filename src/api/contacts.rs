//! The authenticated account's contacts — the accounts of the contacts
//! lists it is given: `GET /api/accounts/me/contacts[/{sip}]` as JSON and
//! `GET /contacts/vcard[/{sip}]` as vCard 4.0, the format Linphone apps
//! download.

use std::collections::HashMap;

use crate::clock::format_datetime;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::ConnectionTrait;

use super::admin_schemas::{FromHeader, UserGuard};
use crate::auth::{AuthAccount, AuthUser};
use crate::db::entities::{account, account_action, account_type};
use crate::db::{account_actions, account_types, contacts_lists};
use crate::error::{ApiError, ApiResult};
use crate::sip::SipAddress;
use crate::state::AppState;
use crate::vcard::VCard;

use super::schemas::Message;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/accounts/me/contacts", get(index))
        .route("/api/accounts/me/contacts/{sip}", get(show))
        .route("/contacts/vcard", get(vcards))
        .route("/contacts/vcard/{sip}", get(vcard))
}

/// A contact with what its JSON and vCard show.
pub struct Contact {
    pub account: account::Model,
    pub types: Vec<account_type::Model>,
    /// Only for contacts with a DTMF protocol (actions need one).
    pub actions: Vec<account_action::Model>,
}

/// Loads contacts with two queries whatever their number.
pub async fn load(
    conn: &impl ConnectionTrait,
    accounts: Vec<account::Model>,
) -> Result<Vec<Contact>, sea_orm::DbErr> {
    let ids: Vec<i32> = accounts.iter().map(|a| a.id).collect();
    let mut types = account_types::of_accounts(conn, &ids).await?;
    let mut actions: HashMap<i32, Vec<account_action::Model>> =
        account_actions::of_accounts(conn, &ids).await?;
    Ok(accounts
        .into_iter()
        .map(|account| {
            let actions = if account.dtmf_protocol.is_some() {
                actions.remove(&account.id).unwrap_or_default()
            } else {
                Vec::new()
            };
            Contact {
                types: types.remove(&account.id).unwrap_or_default(),
                actions,
                account,
            }
        })
        .collect())
}

impl Contact {
    /// The vCard of the contact, with the properties FlexiAPI gives
    /// Linphone (KIND, IMPP, FN and the `X-LINPHONE-ACCOUNT-*` lines).
    pub fn to_vcard(&self) -> String {
        let address = format!("{}@{}", self.account.username, self.account.domain);
        let mut card = VCard::new();
        card.raw_property("KIND", "individual")
            .raw_property("IMPP", &format!("sip:{address}"))
            .text_property(
                "FN",
                self.account
                    .display_name
                    .as_deref()
                    .filter(|name| !name.is_empty())
                    .unwrap_or(&address),
            );
        if let Some(protocol) = &self.account.dtmf_protocol {
            card.text_property("X-LINPHONE-ACCOUNT-DTMF-PROTOCOL", protocol);
        }
        for kind in &self.types {
            card.text_property("X-LINPHONE-ACCOUNT-TYPE", &kind.key);
        }
        for action in &self.actions {
            card.structured_property("X-LINPHONE-ACCOUNT-ACTION", &[&action.key, &action.code]);
        }
        card.finish()
    }
}

async fn contacts_of(
    state: &AppState,
    auth: &AuthAccount,
    sip: Option<&str>,
) -> ApiResult<Vec<Contact>> {
    let address = match sip {
        Some(raw) => Some(SipAddress::parse_bare(raw).ok_or_else(ApiError::not_found)?),
        None => None,
    };
    let accounts = contacts_lists::contacts_of_subscriber(
        &state.db,
        auth.account.id,
        address
            .as_ref()
            .map(|a| (a.username.as_str(), a.domain.as_str())),
    )
    .await?;
    if address.is_some() && accounts.is_empty() {
        return Err(ApiError::not_found());
    }
    Ok(load(&state.db, accounts).await?)
}

/// The accounts of the contacts lists the account is given.
#[utoipa::path(
    get,
    path = "/api/accounts/me/contacts",
    operation_id = "me_contacts_index",
    tag = "user",
    params(FromHeader),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The contacts", body = Vec<ContactJson>),
        UserGuard,
    ),
)]
async fn index(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
) -> ApiResult<Json<Vec<ContactJson>>> {
    let contacts = contacts_of(&state, &auth, None).await?;
    Ok(Json(contacts.iter().map(ContactJson::from).collect()))
}

/// One of the account's contacts.
#[utoipa::path(
    get,
    path = "/api/accounts/me/contacts/{sip}",
    operation_id = "me_contacts_show",
    tag = "user",
    security(("api_key" = []), ("digest" = [])),
    params(
        FromHeader,
        ("sip" = String, Path, description = "The contact's SIP address `username@domain`")),
    responses(
        (status = 200, description = "The contact", body = ContactJson),
        UserGuard,
        (status = 404, description = "No such contact, or the `From` header names no account", body = Message),
    ),
)]
async fn show(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
    Path(sip): Path<String>,
) -> ApiResult<Json<ContactJson>> {
    let contacts = contacts_of(&state, &auth, Some(&sip)).await?;
    Ok(Json(ContactJson::from(&contacts[0])))
}

fn vcard_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/vcard; charset=utf-8")], body).into_response()
}

/// The account's contacts as vCard 4.0, the format Linphone downloads.
#[utoipa::path(
    get,
    path = "/contacts/vcard",
    operation_id = "contacts_vcard_index",
    tag = "user",
    params(FromHeader),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "One vCard per contact (empty when none)", body = String, content_type = "text/vcard"),
        UserGuard,
    ),
)]
async fn vcards(State(state): State<AppState>, AuthUser(auth): AuthUser) -> ApiResult<Response> {
    let contacts = contacts_of(&state, &auth, None).await?;
    Ok(vcard_response(
        contacts.iter().map(Contact::to_vcard).collect(),
    ))
}

/// One of the account's contacts as vCard 4.0.
#[utoipa::path(
    get,
    path = "/contacts/vcard/{sip}",
    operation_id = "contacts_vcard_show",
    tag = "user",
    security(("api_key" = []), ("digest" = [])),
    params(
        FromHeader,
        ("sip" = String, Path, description = "The contact's SIP address `username@domain`")),
    responses(
        (status = 200, description = "The contact's vCard", body = String, content_type = "text/vcard"),
        UserGuard,
        (status = 404, description = "No such contact, or the `From` header names no account", body = Message),
    ),
)]
async fn vcard(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
    Path(sip): Path<String>,
) -> ApiResult<Response> {
    let contacts = contacts_of(&state, &auth, Some(&sip)).await?;
    Ok(vcard_response(contacts[0].to_vcard()))
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(index, show, vcards, vcard),
    components(schemas(ContactJson, ContactType, ContactAction))
)]
pub(crate) struct Doc;

/// A contact: an account of a contacts list the caller is given.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Contact)]
pub(crate) struct ContactJson {
    id: i64,
    username: String,
    domain: String,
    activated: bool,
    #[schema(required = true)]
    display_name: Option<String>,
    /// `sipinfo`, `rfc2833` or `sipmessage`, or null.
    #[schema(required = true)]
    dtmf_protocol: Option<String>,
    types: Vec<ContactType>,
    /// Only for a contact with a DTMF protocol.
    actions: Vec<ContactAction>,
}

/// An account type of a contact.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContactType {
    id: i64,
    key: String,
}

/// An action (DTMF code) of a contact.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContactAction {
    id: i64,
    account_id: i64,
    key: String,
    code: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    created_at: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    updated_at: String,
}

impl From<&Contact> for ContactJson {
    fn from(contact: &Contact) -> Self {
        let a = &contact.account;
        Self {
            id: a.id.into(),
            username: a.username.clone(),
            domain: a.domain.clone(),
            activated: a.is_activated(),
            display_name: a.display_name.clone(),
            dtmf_protocol: a.dtmf_protocol.clone(),
            types: contact
                .types
                .iter()
                .map(|kind| ContactType {
                    id: kind.id.into(),
                    key: kind.key.clone(),
                })
                .collect(),
            actions: contact
                .actions
                .iter()
                .map(|action| ContactAction {
                    id: action.id.into(),
                    account_id: action.account_id.into(),
                    key: action.key.clone(),
                    code: action.code.clone(),
                    created_at: format_datetime(&action.created_at),
                    updated_at: format_datetime(&action.updated_at),
                })
                .collect(),
        }
    }
}
