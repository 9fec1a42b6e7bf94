//! External accounts: store and remove an account's external account (audited).

use crate::audit::{self, Action, By};
use crate::auth::digest::Algorithm;
use crate::db;
use crate::db::entities::{account, external_account};
use crate::db::external_accounts::{self, ExternalFields};
use crate::error::{ApiError, ApiResult};
use crate::input::{JsonObject, Validator};
use crate::service::list_fields;
use crate::state::AppState;

pub const PROTOCOLS: [&str; 3] = ["UDP", "TCP", "TLS"];

/// An optional host-like field that must differ from `domain`.
fn other_host<'a>(v: &mut Validator<'a>, field: &str, domain: Option<&str>) -> Option<&'a str> {
    let value = v.optional_string(field)?;
    v.check(
        field,
        value.len() <= 64
            && !value.is_empty()
            && list_fields::is_clean_text(value, false)
            && !value.contains(char::is_whitespace),
        format!("The {field} must be at most 64 characters without spaces."),
    );
    v.check(
        field,
        !domain.is_some_and(|domain| domain.eq_ignore_ascii_case(value)),
        format!("The {field} and domain must be different."),
    );
    Some(value)
}

/// Validates the body against what is stored; the password is required
/// for a new external account and when the realm changes.
fn validate(
    body: &JsonObject,
    existing: Option<&external_account::Model>,
) -> ApiResult<ExternalFields> {
    let mut v = body.validator();
    let username = v.required_string("username");
    if let Some(username) = username {
        v.check(
            "username",
            list_fields::is_sip_username(username),
            "The username must be 1 to 64 letters, digits, '.', '_', '-' or '+'.",
        );
    }
    let domain = v.required_string("domain");
    if let Some(domain) = domain {
        v.check(
            "domain",
            list_fields::is_host(domain),
            "The domain must be a host name or an IP address.",
        );
    }
    let realm = other_host(&mut v, "realm", domain);
    let registrar = other_host(&mut v, "registrar", domain);
    let outbound_proxy = other_host(&mut v, "outbound_proxy", domain);
    let protocol = v.required_string("protocol");
    if let Some(protocol) = protocol {
        v.check(
            "protocol",
            PROTOCOLS.contains(&protocol),
            "The protocol must be UDP, TCP or TLS.",
        );
    }
    let realm_changed = existing.is_some_and(|e| e.realm.as_deref() != realm);
    let password = if existing.is_none() || realm_changed {
        v.required_string("password")
    } else {
        v.optional_string("password")
    };
    if let Some(password) = password {
        v.check(
            "password",
            password.chars().count() <= 255 && list_fields::is_clean_text(password, false),
            "The password must be at most 255 characters without control characters.",
        );
    }
    v.finish()?;
    let (Some(username), Some(domain), Some(protocol)) = (username, domain, protocol) else {
        return Err(ApiError::field(
            "username",
            "The username field is required.",
        ));
    };
    let domain = domain.to_ascii_lowercase();
    let password_ha1 =
        password.map(|password| Algorithm::Md5.ha1(username, realm.unwrap_or(&domain), password));
    Ok(ExternalFields {
        username: username.to_string(),
        domain,
        password_ha1,
        realm: realm.map(str::to_string),
        registrar: registrar.map(str::to_string),
        outbound_proxy: outbound_proxy.map(str::to_string),
        protocol: protocol.to_string(),
    })
}

const ADDRESS_TAKEN: &str = "The username has already been taken.";

/// Creates or replaces the external account of `account_id`; the flag
/// says whether it was created (the API answers `201` then, `200` on a
/// replacement, as upstream does).
pub async fn store_for(
    state: &AppState,
    by: &By,
    account: &account::Model,
    body: &JsonObject,
) -> ApiResult<(external_account::Model, bool)> {
    let account_id = account.id;
    let txn = db::begin_write(&state.db).await?;
    let existing = external_accounts::of_account(&txn, account_id).await?;
    let fields = validate(body, existing.as_ref())?;
    let created = existing.is_none();
    if external_accounts::address_taken(&txn, account_id, &fields.username, &fields.domain).await? {
        return Err(ApiError::field("username", ADDRESS_TAKEN));
    }
    let stored =
        external_accounts::store(&txn, account_id, existing, fields, state.clock.now_naive())
            .await
            .map_err(|err| {
                crate::service::links::on_unique_violation(err, || {
                    ApiError::field("username", ADDRESS_TAKEN)
                })
            })?;
    audit::record_about(&txn, by, Action::ExternalSet, account, describe(&stored)).await?;
    txn.commit().await?;
    Ok((stored, created))
}

/// Deletes the account's external account; `404`
/// when it has none.
pub async fn remove(state: &AppState, by: &By, account: &account::Model) -> ApiResult<()> {
    let txn = db::begin_write(&state.db).await?;
    let existing = external_accounts::of_account(&txn, account.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    external_accounts::delete(&txn, account.id).await?;
    audit::record_about(
        &txn,
        by,
        Action::ExternalDelete,
        account,
        describe(&existing),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The external account by its address, never its password.
fn describe(external: &external_account::Model) -> String {
    format!("external {}@{}", external.username, external.domain)
}
