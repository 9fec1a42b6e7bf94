//! What the admin routes share in the OpenAPI document: the `From` header
//! and the answers of the admin guard, the admin account object, the
//! paginated account list, and the objects and request bodies of the admin
//! resources (types, actions, dictionary, external account, contacts
//! lists). The response objects are what the handlers serialize, built from
//! the database rows by their `From` impls; those not yet typed describe the
//! wire shape of bodies the handlers build as JSON values. Response objects
//! deny unknown keys, so a key added to a handler's JSON without its schema
//! fails the schemathesis run.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, RefOr, Required, Response, ResponseBuilder,
    Type,
};
use utoipa::{IntoParams, IntoResponses, ToSchema};

use super::schemas::DigestAlgorithm;
use crate::clock::format_datetime;
use crate::db::contacts_lists::ListView;
use crate::db::entities::{account_dictionary_entry, external_account};
pub use crate::service::objects::{AccountAction, AccountType, AdminAccount};

/// The `From: sip:user@domain` header naming the authenticated account
/// (docs/api.md, "Authentication"), as every admin operation takes it.
pub(crate) struct FromHeader;

impl IntoParams for FromHeader {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            ParameterBuilder::new()
                .name("From")
                .parameter_in(ParameterIn::Header)
                .required(Required::True)
                .description(Some(
                    "The authenticated account, `sip:user@domain` (also `<sip:user@domain>` \
                     with header parameters).",
                ))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .example(Some("sip:admin@sip.example.org".into()))
                .build(),
        ]
    }
}

fn json_response(description: &str, schema: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name(schema)))
            .build(),
    )
}

/// What the admin guard answers before any handler runs. A handler that
/// can answer one of these statuses itself lists it after this type, with
/// a description covering both causes (the later entry wins).
pub(crate) struct AdminGuard;

impl IntoResponses for AdminGuard {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let challenge = HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(Type::String))
            .description(Some(
                "A Digest challenge, one header per algorithm the account can use.",
            ))
            .build();
        [
            (
                "401",
                json_response(
                    "Not authenticated: `Unauthenticated request` (no credentials), \
                     `Unauthorized` (wrong key or Digest response, deactivated \
                     account), `Nonce invalid` or `Nonce replayed`",
                    "Message",
                )
                .header("WWW-Authenticate", challenge)
                .build(),
            ),
            (
                "403",
                json_response(
                    "The account is not an admin: `Unauthorized area`",
                    "Message",
                )
                .build(),
            ),
            (
                "404",
                json_response("The `From` account does not exist", "Message").build(),
            ),
            (
                "422",
                json_response(
                    "The `From` header is missing or not a SIP address",
                    "ValidationError",
                )
                .build(),
            ),
            (
                "503",
                json_response("The database is unreachable", "Message").build(),
            ),
        ]
        .into_iter()
        .map(|(status, response)| (status.to_string(), RefOr::T(response)))
        .collect()
    }
}

/// What the user guard (`crate::auth::require_user`) answers before any
/// handler runs. As with [`AdminGuard`], a handler that answers one of these
/// statuses itself lists it after this type (the later entry wins).
pub(crate) struct UserGuard;

impl IntoResponses for UserGuard {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        [
            (
                "401",
                json_response(
                    "Not authenticated (no or wrong credentials, deactivated account)",
                    "Message",
                ),
            ),
            (
                "404",
                json_response("The `From` header names no account", "Message"),
            ),
            (
                "422",
                json_response(
                    "The `From` header is missing or not a SIP address",
                    "ValidationError",
                ),
            ),
        ]
        .into_iter()
        .map(|(status, response)| (status.to_string(), RefOr::T(response.build())))
        .collect()
    }
}

/// What reading a JSON body can answer (`crate::input::JsonObject`).
pub(crate) struct BodyErrors;

impl IntoResponses for BodyErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        [
            (
                "400",
                json_response("The body is not valid JSON or not a JSON object", "Message").build(),
            ),
            (
                "413",
                json_response("The body is larger than 64 KiB", "Message").build(),
            ),
        ]
        .into_iter()
        .map(|(status, response)| (status.to_string(), RefOr::T(response)))
        .collect()
    }
}

/// What `GET /api/resolve/{sip}` found, in upstream's typed envelope.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolved {
    /// The kind of object found: always `account`.
    #[schema(example = "account")]
    pub r#type: String,
    /// The admin account object.
    pub payload: AdminAccount,
}

/// Laravel's length-aware paginator over accounts (20 a page, ordered by
/// id), keys in Laravel's order.
#[allow(dead_code)]
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountPage {
    pub current_page: u64,
    pub data: Vec<super::schemas::Account>,
    pub first_page_url: String,
    /// Null on an empty page.
    #[schema(required = true)]
    pub from: Option<u64>,
    pub last_page: u64,
    pub last_page_url: String,
    /// Previous, the pages, next. Up to 13 pages, one link per page;
    /// beyond, Laravel's window: pages 1-2, the current page and 3 on each
    /// side, the last two, with a `...` link (no URL) for each gap.
    pub links: Vec<PageLink>,
    #[schema(required = true)]
    pub next_page_url: Option<String>,
    /// The absolute URL of the listing, without query.
    pub path: String,
    /// Always 20.
    pub per_page: u64,
    #[schema(required = true)]
    pub prev_page_url: Option<String>,
    /// Null on an empty page.
    #[schema(required = true)]
    pub to: Option<u64>,
    pub total: u64,
}

#[allow(dead_code)]
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PageLink {
    #[schema(required = true)]
    pub url: Option<String>,
    /// `&laquo; Previous`, a page number, `...` or `Next &raquo;`.
    pub label: String,
    pub active: bool,
}

/// The body of `POST /api/accounts`. Booleans also accept `1`, `0`,
/// `"1"`, `"0"`, `"true"`, `"false"`; an empty string counts as absent.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct AccountCreationBody {
    /// 6–64 ASCII letters, digits, `.`, `_`, `-`, `+`; unique in the
    /// domain (always `APP_SIP_DOMAIN`).
    #[schema(pattern = r"^[A-Za-z0-9._+-]{6,64}$")]
    pub username: String,
    /// 6–255 characters.
    #[schema(min_length = 6, max_length = 255)]
    pub password: String,
    /// `SHA-256` when left out (FlexiAPI 2.1).
    pub algorithm: Option<DigestAlgorithm>,
    /// Default false: the account then gets a 13-character
    /// `confirmation_key`.
    pub activated: Option<bool>,
    /// Default false.
    pub admin: Option<bool>,
    /// `+` and 6–15 digits, unique among usernames and aliases.
    #[schema(pattern = r"^\+[0-9]{6,15}$")]
    pub phone: Option<String>,
    #[schema(format = "email", max_length = 255)]
    pub email: Option<String>,
    /// At most 255 characters, no control characters.
    #[schema(max_length = 255, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub display_name: Option<String>,
    pub dtmf_protocol: Option<DtmfProtocol>,
    /// `YYYY-MM-DD HH:MM:SS`; ignored for an activated account.
    #[schema(
        pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$",
        example = "2030-01-01 00:00:00"
    )]
    pub confirmation_key_expires: Option<String>,
    /// Entries created with the account: key (1 to 191 characters) ->
    /// string value (up to 60000 bytes); `[]` is an empty dictionary.
    pub dictionary: Option<BTreeMap<String, String>>,
}

/// The body of `PUT /api/accounts/{account}`: the account's fields are
/// replaced; activation, the admin role and `blocked` are never changed.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct AccountUpdateBody {
    #[schema(pattern = r"^[A-Za-z0-9._+-]{6,64}$")]
    pub username: String,
    /// Must be `APP_SIP_DOMAIN`; the current domain when absent.
    pub domain: Option<String>,
    /// Required when the username or domain changes (the stored hashes
    /// are bound to both); the account then keeps this one password.
    #[schema(min_length = 6, max_length = 255)]
    pub password: Option<String>,
    /// Read with `password`; `SHA-256` when left out (FlexiAPI 2.1).
    pub algorithm: Option<DigestAlgorithm>,
    #[schema(format = "email", max_length = 255)]
    pub email: Option<String>,
    #[schema(pattern = r"^\+[0-9]{6,15}$")]
    pub phone: Option<String>,
    /// At most 255 characters, no control characters.
    #[schema(max_length = 255, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub display_name: Option<String>,
    pub dtmf_protocol: Option<DtmfProtocol>,
    /// When sent, replaces the whole dictionary (`{}` or `[]` empties it).
    pub dictionary: Option<BTreeMap<String, String>>,
}

#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum DtmfProtocol {
    Sipinfo,
    Rfc2833,
    Sipmessage,
}

/// The body of an account type: its unique `key`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct AccountTypeBody {
    /// 1–64 lowercase letters, digits, `-` or `_`.
    #[schema(pattern = "^[a-z0-9_-]{1,64}$")]
    pub key: String,
}

/// The body of an action: a `key` unique in the account and its `code`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct AccountActionBody {
    /// 1–64 lowercase letters, digits, `-` or `_`.
    #[schema(pattern = "^[a-z0-9_-]{1,64}$")]
    pub key: String,
    /// 1–64 lowercase letters or digits.
    #[schema(pattern = "^[a-z0-9]{1,64}$")]
    pub code: String,
}

/// An account's dictionary: key -> value.
#[derive(Serialize, ToSchema)]
pub struct Dictionary(pub BTreeMap<String, String>);

/// One dictionary entry.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DictionaryEntry {
    pub id: i64,
    pub account_id: i64,
    pub key: String,
    pub value: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub created_at: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub updated_at: String,
}

/// The body of `POST …/dictionary/{key}`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct DictionaryValue {
    /// At most 60000 bytes; line breaks and tabs allowed, no other control
    /// characters.
    #[schema(
        min_length = 1,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub value: String,
}

/// The external SIP account of an account; its password is never shown.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalAccount {
    pub id: i64,
    pub account_id: i64,
    pub username: String,
    /// Lowercased.
    pub domain: String,
    #[schema(required = true)]
    pub realm: Option<String>,
    #[schema(required = true)]
    pub registrar: Option<String>,
    #[schema(required = true)]
    pub outbound_proxy: Option<String>,
    /// `UDP`, `TCP` or `TLS`.
    pub protocol: String,
    /// The algorithm of the stored HA1 (`MD5`).
    pub algorithm: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub created_at: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub updated_at: String,
}

/// The body of `POST /api/accounts/{account}/external` (creates or
/// replaces the external account).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct ExternalAccountBody {
    /// 1–64 ASCII letters, digits, `.`, `_`, `-`, `+`; the address
    /// `username@domain` is unique among external accounts.
    #[schema(pattern = r"^[A-Za-z0-9._+-]{1,64}$")]
    pub username: String,
    /// A host name or IP address, at most 64 characters.
    #[schema(pattern = r"^[A-Za-z0-9:\[\]][A-Za-z0-9.:\[\]-]{0,63}$")]
    pub domain: String,
    /// At most 64 characters without spaces, different from `domain`.
    #[schema(max_length = 64, pattern = r"^[^\s\u0000-\u001F\u007F-\u009F]+$")]
    pub realm: Option<String>,
    /// At most 64 characters without spaces, different from `domain`.
    #[schema(max_length = 64, pattern = r"^[^\s\u0000-\u001F\u007F-\u009F]+$")]
    pub registrar: Option<String>,
    /// At most 64 characters without spaces, different from `domain`.
    #[schema(max_length = 64, pattern = r"^[^\s\u0000-\u001F\u007F-\u009F]+$")]
    pub outbound_proxy: Option<String>,
    pub protocol: SipTransport,
    /// Required for a new external account and when the realm changes; at
    /// most 255 characters, no control characters.
    #[schema(max_length = 255, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub password: Option<String>,
}

#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(rename_all = "UPPERCASE")]
pub enum SipTransport {
    Udp,
    Tcp,
    Tls,
}

/// A contacts list.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactsList {
    pub id: i64,
    pub title: String,
    pub description: String,
    /// How many accounts are in the list.
    pub contacts_count: u64,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub created_at: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub updated_at: String,
}

/// The body of a contacts list: both fields are required.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct ContactsListBody {
    /// At most 255 characters, no control characters.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub title: String,
    /// At most 10000 characters; line breaks and tabs allowed.
    #[schema(
        min_length = 1,
        max_length = 10000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub description: String,
}

/// The schemas above, in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    AccountAction,
    AccountActionBody,
    AccountCreationBody,
    AccountPage,
    AccountType,
    AccountTypeBody,
    AccountUpdateBody,
    AdminAccount,
    ContactsList,
    ContactsListBody,
    Dictionary,
    DictionaryEntry,
    DictionaryValue,
    DtmfProtocol,
    ExternalAccount,
    ExternalAccountBody,
    PageLink,
    SipTransport,
)))]
pub(crate) struct Doc;

impl From<&account_dictionary_entry::Model> for DictionaryEntry {
    fn from(row: &account_dictionary_entry::Model) -> Self {
        Self {
            id: row.id.into(),
            account_id: row.account_id.into(),
            key: row.key.clone(),
            value: row.value.clone(),
            created_at: format_datetime(&row.created_at),
            updated_at: format_datetime(&row.updated_at),
        }
    }
}

impl From<&external_account::Model> for ExternalAccount {
    fn from(row: &external_account::Model) -> Self {
        Self {
            id: row.id.into(),
            account_id: row.account_id.into(),
            username: row.username.clone(),
            domain: row.domain.clone(),
            realm: row.realm.clone(),
            registrar: row.registrar.clone(),
            outbound_proxy: row.outbound_proxy.clone(),
            protocol: row.protocol.clone(),
            algorithm: row.algorithm.clone(),
            created_at: format_datetime(&row.created_at),
            updated_at: format_datetime(&row.updated_at),
        }
    }
}

impl From<&ListView> for ContactsList {
    fn from(view: &ListView) -> Self {
        Self {
            id: view.list.id.into(),
            title: view.list.title.clone(),
            description: view.list.description.clone(),
            contacts_count: view.contacts_count,
            created_at: format_datetime(&view.list.created_at),
            updated_at: format_datetime(&view.list.updated_at),
        }
    }
}
