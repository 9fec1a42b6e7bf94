//! The JSON objects of an account that the API answers and the console
//! prints, built from the database's views. Their schemas are the ones of
//! the OpenAPI document, so what is documented is what is serialized.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::clock::format_datetime;
use crate::config::Config;
use crate::db::accounts::AccountView;
use crate::db::entities::{account_action, account_type};

/// The account object of `/api/accounts/me` and of account lists (docs/api.md).
#[derive(Serialize, ToSchema)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub domain: String,
    #[schema(required = true)]
    pub email: Option<String>,
    pub activated: bool,
    pub ip_address: String,
    pub user_agent: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub creation_time: String,
    /// The Digest realm (`ACCOUNT_REALM`), or null.
    #[schema(required = true)]
    pub realm: Option<String>,
    #[schema(required = true)]
    pub phone: Option<String>,
    #[schema(required = true)]
    pub confirmation_key_expires: Option<String>,
    /// The algorithms the account has a password for.
    pub passwords: Vec<PasswordAlgorithm>,
    pub admin: bool,
    /// A pending e-mail change, or null.
    #[schema(required = true)]
    pub email_changed: Option<PendingEmail>,
}

#[derive(Serialize, ToSchema)]
pub struct PasswordAlgorithm {
    /// `MD5`, `SHA-256` or `CLRTXT`.
    pub algorithm: String,
}

#[derive(Serialize, ToSchema)]
pub struct PendingEmail {
    pub new_email: String,
    pub created_at: String,
}

/// The admin account object (FlexiAPI 2.x): the 14 keys of the account
/// object, `confirmation_key` and the admin keys, with the account's types,
/// actions and dictionary.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminAccount {
    pub id: i64,
    pub username: String,
    pub domain: String,
    #[schema(required = true)]
    pub email: Option<String>,
    pub activated: bool,
    pub ip_address: String,
    pub user_agent: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub creation_time: String,
    /// The Digest realm (`ACCOUNT_REALM`), or null.
    #[schema(required = true)]
    pub realm: Option<String>,
    #[schema(required = true)]
    pub phone: Option<String>,
    #[schema(required = true)]
    pub confirmation_key_expires: Option<String>,
    /// The algorithms the account has a password for.
    pub passwords: Vec<PasswordAlgorithm>,
    pub admin: bool,
    /// A pending e-mail change, or null.
    #[schema(required = true)]
    pub email_changed: Option<PendingEmail>,
    /// The activation key, or null once the account is activated.
    #[schema(required = true)]
    pub confirmation_key: Option<String>,
    pub blocked: bool,
    #[schema(required = true)]
    pub display_name: Option<String>,
    /// `sipinfo`, `rfc2833`, `sipmessage` or null.
    #[schema(required = true)]
    pub dtmf_protocol: Option<String>,
    /// The account's types, by type id.
    pub types: Vec<AccountType>,
    /// The account's DTMF actions, by id.
    pub actions: Vec<AccountAction>,
    /// The account's dictionary, key -> value.
    #[schema(value_type = BTreeMap<String, String>)]
    pub dictionary: serde_json::Map<String, serde_json::Value>,
}

/// An account type.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountType {
    pub id: i64,
    pub key: String,
}

/// A DTMF action of an account.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountAction {
    pub id: i64,
    pub account_id: i64,
    pub key: String,
    pub code: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub created_at: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub updated_at: String,
}

/// What an admin account object lists besides the account's own columns.
#[derive(Default)]
pub struct AccountLists {
    pub types: Vec<AccountType>,
    pub actions: Vec<AccountAction>,
    /// key -> value.
    pub dictionary: BTreeMap<String, String>,
}

impl Account {
    /// The account object of `view` (docs/api.md, "The account object").
    pub fn new(view: &AccountView, config: &Config) -> Self {
        let a = &view.account;
        Self {
            id: a.id.into(),
            username: a.username.clone(),
            domain: a.domain.clone(),
            email: a.email.clone(),
            activated: a.is_activated(),
            ip_address: a.ip_address.clone(),
            user_agent: a.user_agent.clone(),
            creation_time: format_datetime(&a.creation_time),
            realm: config.account_realm.clone(),
            phone: a.phone.clone(),
            confirmation_key_expires: view.confirmation_key_expires.as_ref().map(format_datetime),
            passwords: view
                .algorithms
                .iter()
                .map(|algorithm| PasswordAlgorithm {
                    algorithm: algorithm.clone(),
                })
                .collect(),
            admin: view.admin,
            email_changed: view.email_changed.as_ref().map(|change| PendingEmail {
                new_email: change.new_email.clone(),
                created_at: format_datetime(&change.created_at),
            }),
        }
    }
}

impl AdminAccount {
    /// The admin account object of `view` with its `lists`. Every admin
    /// answer that shows one account is built here, so a key added for
    /// admins is added once.
    pub fn new(view: &AccountView, config: &Config, lists: AccountLists) -> Self {
        let Account {
            id,
            username,
            domain,
            email,
            activated,
            ip_address,
            user_agent,
            creation_time,
            realm,
            phone,
            confirmation_key_expires,
            passwords,
            admin,
            email_changed,
        } = Account::new(view, config);
        let a = &view.account;
        Self {
            id,
            username,
            domain,
            email,
            activated,
            ip_address,
            user_agent,
            creation_time,
            realm,
            phone,
            confirmation_key_expires,
            passwords,
            admin,
            email_changed,
            confirmation_key: a.confirmation_key.clone(),
            blocked: a.blocked,
            display_name: a.display_name.clone(),
            dtmf_protocol: a.dtmf_protocol.clone(),
            types: lists.types,
            actions: lists.actions,
            dictionary: lists
                .dictionary
                .into_iter()
                .map(|(key, value)| (key, value.into()))
                .collect(),
        }
    }
}

impl From<&account_type::Model> for AccountType {
    fn from(row: &account_type::Model) -> Self {
        Self {
            id: row.id.into(),
            key: row.key.clone(),
        }
    }
}

impl From<&account_action::Model> for AccountAction {
    fn from(row: &account_action::Model) -> Self {
        Self {
            id: row.id.into(),
            account_id: row.account_id.into(),
            key: row.key.clone(),
            code: row.code.clone(),
            created_at: format_datetime(&row.created_at),
            updated_at: format_datetime(&row.updated_at),
        }
    }
}
