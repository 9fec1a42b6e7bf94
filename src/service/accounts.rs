//! Account creation and update: the validation of their fields, the write
//! in one transaction and its audit entry. The admin API, the admin panel
//! and the console call these with their caller (`By`).

use serde_json::Value;

use crate::audit::{self, Action, By};
use crate::auth::digest::Algorithm;
use crate::clock::parse_datetime;
use crate::config::Config;
use crate::db::accounts::{self, AccountUpdate, CreateError, NewAccount};
use crate::db::entities::account;
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::secrets;
use crate::service::fields;
use crate::service::objects::AccountLists;
use crate::service::objects::AdminAccount;
use crate::state::AppState;

/// Length of the confirmation key of accounts created by an admin.
pub const CONFIRMATION_KEY_LENGTH: usize = crate::service::codes::KEY_LENGTH;

/// The validated fields of an admin account creation.
pub struct AccountFields<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub algorithm: Algorithm,
    pub activated: bool,
    pub admin: bool,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub dtmf_protocol: Option<&'a str>,
    pub confirmation_key_expires: Option<chrono::NaiveDateTime>,
    /// Dictionary entries to create with the account.
    pub dictionary: Vec<(&'a str, &'a str)>,
}

/// Validates the body of `POST /api/accounts` (shared with the console).
pub fn validate_account_fields(body: &JsonObject) -> ApiResult<AccountFields<'_>> {
    let mut v = body.validator();
    let username = fields::username(&mut v);
    let password = fields::password(&mut v);
    let algorithm = fields::algorithm_or_default(&mut v);
    let activated = v.optional_bool("activated").unwrap_or(false);
    let admin = v.optional_bool("admin").unwrap_or(false);
    let phone = fields::optional_phone(&mut v);
    let email = fields::optional_email(&mut v);
    let display_name = fields::optional_display_name(&mut v);
    let dtmf_protocol = fields::optional_dtmf_protocol(&mut v);
    let expires = v
        .optional_string("confirmation_key_expires")
        .and_then(|raw| {
            let parsed = parse_datetime(raw);
            v.check(
                "confirmation_key_expires",
                parsed.is_some(),
                "The confirmation key expires does not match the format Y-m-d H:i:s.",
            );
            parsed
        });
    let dictionary = crate::service::dictionary::optional_entries(body).unwrap_or_else(|message| {
        v.error("dictionary", message);
        None
    });
    v.finish()?;
    // finish() succeeded, so every required field is present and valid.
    let (Some(username), Some(password), Some(algorithm)) = (username, password, algorithm) else {
        return Err(ApiError::field(
            "username",
            "The username field is required.",
        ));
    };
    Ok(AccountFields {
        username,
        password,
        algorithm,
        activated,
        admin,
        phone,
        email,
        display_name,
        dtmf_protocol,
        confirmation_key_expires: expires,
        dictionary: dictionary.unwrap_or_default(),
    })
}

/// Creates an account from validated fields in `domain`, in its own
/// transaction; returns its admin object.
pub async fn create_account(
    state: &AppState,
    domain: &str,
    fields: AccountFields<'_>,
    ip_address: &str,
    user_agent: &str,
    by: &By,
) -> ApiResult<AdminAccount> {
    // Without a phone the creation only writes (a taken address is found
    // by the unique index), so on SQLite it can run in place; entries of a
    // dictionary go through the ordinary transaction.
    if fields.phone.is_none() && fields.dictionary.is_empty() {
        let txn = crate::db::begin_only_writes(&state.db).await?;
        let json = insert_account(&txn, state, domain, fields, ip_address, user_agent, by).await?;
        txn.commit().await?;
        return Ok(json);
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let json = insert_account(&txn, state, domain, fields, ip_address, user_agent, by).await?;
    txn.commit().await?;
    Ok(json)
}

/// Creates an account in the caller's transaction (several at once for
/// the console's `accounts seed`); returns its admin object.
pub async fn insert_account(
    txn: &impl sea_orm::ConnectionTrait,
    state: &AppState,
    domain: &str,
    fields: AccountFields<'_>,
    ip_address: &str,
    user_agent: &str,
    by: &By,
) -> ApiResult<AdminAccount> {
    let confirmation_key =
        (!fields.activated).then(|| secrets::random_alphanumeric(CONFIRMATION_KEY_LENGTH));
    let expires = fields
        .confirmation_key_expires
        .filter(|_| !fields.activated);
    let new = NewAccount {
        username: fields.username,
        domain,
        password: Some((fields.password, fields.algorithm)),
        email: fields.email,
        phone: fields.phone,
        activated: fields.activated,
        admin: fields.admin,
        display_name: fields.display_name,
        dtmf_protocol: fields.dtmf_protocol,
        confirmation_key,
        confirmation_key_expires: expires,
        ip_address,
        user_agent,
    };
    let created = accounts::insert(txn, &state.config, new, state.clock.now_naive()).await;
    let account = created.map_err(creation_error)?;
    if !fields.dictionary.is_empty() {
        let now = state.clock.now_naive();
        crate::db::dictionary::replace_all(txn, account.id, &fields.dictionary, now).await?;
    }
    audit::record(txn, by, Action::AccountCreate, &account).await?;
    // What was just written, without reading it back: one password, no
    // pending e-mail, no types or actions yet, the dictionary as given.
    let view = accounts::AccountView {
        account,
        algorithms: vec![fields.algorithm.name().to_string()],
        admin: fields.admin,
        confirmation_key_expires: expires,
        email_changed: None,
    };
    let mut object = AdminAccount::new(&view, &state.config, AccountLists::default());
    // The dictionary as given, in the request's order.
    object.dictionary = fields
        .dictionary
        .iter()
        .map(|(key, value)| (key.to_string(), Value::from(*value)))
        .collect();
    Ok(object)
}

/// Maps a refused creation to the 422 on the right field.
pub fn creation_error(err: CreateError) -> ApiError {
    match err {
        CreateError::UsernameTaken => {
            ApiError::field("username", "The username has already been taken.")
        }
        CreateError::PhoneTaken => ApiError::field("phone", "The phone has already been taken."),
        CreateError::Db(err) => err.into(),
    }
}

/// Validates an update of `current` (shared with the admin panel's edit
/// form): the creation rules, the domain limited to `APP_SIP_DOMAIN`, and
/// a new password required when the username or domain changes — the
/// stored hashes are bound to both.
pub fn validate_update<'a>(
    body: &'a JsonObject,
    config: &'a Config,
    current: &'a account::Model,
) -> ApiResult<AccountUpdate<'a>> {
    let mut v = body.validator();
    let username = fields::username(&mut v);
    let domain = match v.optional_string("domain") {
        Some(domain) => {
            v.check(
                "domain",
                domain == config.sip_domain,
                format!("The domain must be {}.", config.sip_domain),
            );
            domain
        }
        None => current.domain.as_str(),
    };
    let password = v.optional_string("password");
    if let Some(password) = password {
        v.check(
            "password",
            crate::input::rules::is_password(password),
            "The password must be at least 6 characters.",
        );
    }
    let algorithm = password.and_then(|_| fields::algorithm_or_default(&mut v));
    if let Some(username) = username
        && password.is_none()
        && (username != current.username || domain != current.domain)
    {
        v.error(
            "password",
            "The password field is required when the username or domain changes.",
        );
    }
    let email = fields::optional_email(&mut v);
    let phone = fields::optional_phone(&mut v);
    let display_name = fields::optional_display_name(&mut v);
    let dtmf_protocol = fields::optional_dtmf_protocol(&mut v);
    v.finish()?;
    let Some(username) = username else {
        return Err(ApiError::field(
            "username",
            "The username field is required.",
        ));
    };
    let password = password.zip(algorithm);
    Ok(AccountUpdate {
        username,
        domain,
        password,
        email,
        phone,
        display_name,
        dtmf_protocol,
    })
}

/// Applies a validated update in one transaction, replacing the whole
/// dictionary when `dictionary` is given; the updated account.
pub async fn apply_update(
    state: &AppState,
    current: &account::Model,
    change: AccountUpdate<'_>,
    dictionary: Option<&[(&str, &str)]>,
    by: &By,
) -> ApiResult<account::Model> {
    let txn = crate::db::begin_write(&state.db).await?;
    let updated = accounts::update(&txn, &state.config, current, change)
        .await
        .map_err(creation_error)?;
    if let Some(entries) = dictionary {
        let now = state.clock.now_naive();
        crate::db::dictionary::replace_all(&txn, updated.id, entries, now).await?;
    }
    audit::record(&txn, by, Action::AccountUpdate, &updated).await?;
    txn.commit().await?;
    tracing::info!(account_id = updated.id, "account updated by an admin");
    Ok(updated)
}
