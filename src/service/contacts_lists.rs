//! Contacts lists: create, change and delete them, their contacts and subscribers (audited).

use crate::audit::{self, Action, By, Target};
use crate::db::contacts_lists::{self};
use crate::db::entities::{account, contacts_list};
use crate::db::{self, accounts};
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::service::links;
use crate::service::list_fields;
use crate::state::AppState;

const TITLE_MAX: usize = 255;

const DESCRIPTION_MAX: usize = 10_000;

/// The validated `title` and `description` (both required).
fn validate(body: &JsonObject) -> ApiResult<(String, String)> {
    let mut v = body.validator();
    let title = list_fields::text(&mut v, "title", TITLE_MAX, false);
    let description = list_fields::text(&mut v, "description", DESCRIPTION_MAX, true);
    v.finish()?;
    Ok((
        title.unwrap_or_default().to_string(),
        description.unwrap_or_default().to_string(),
    ))
}

/// Creates a list from a body or form.
pub async fn create(
    state: &AppState,
    by: &By,
    body: &JsonObject,
) -> ApiResult<contacts_list::Model> {
    let (title, description) = validate(body)?;
    let txn = db::begin_write(&state.db).await?;
    let list = contacts_lists::insert(&txn, &title, &description, state.clock.now_naive()).await?;
    audit::record(&txn, by, Action::ListCreate, &list).await?;
    txn.commit().await?;
    Ok(list)
}

/// Changes a list's title and description.
pub async fn change(
    state: &AppState,
    by: &By,
    list: &contacts_list::Model,
    body: &JsonObject,
) -> ApiResult<()> {
    let (title, description) = validate(body)?;
    let now = state.clock.now_naive();
    let txn = db::begin_write(&state.db).await?;
    contacts_lists::update(&txn, list.id, &title, &description, now).await?;
    let changed = contacts_list::Model {
        title,
        description,
        ..list.clone()
    };
    audit::record(&txn, by, Action::ListUpdate, &changed).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes a list; `404` when there is none.
pub async fn remove(state: &AppState, by: &By, id: i32) -> ApiResult<()> {
    let txn = db::begin_write(&state.db).await?;
    let list = contacts_lists::find(&txn, id)
        .await?
        .ok_or_else(ApiError::not_found)?
        .list;
    contacts_lists::delete(&txn, list.id).await?;
    audit::record(&txn, by, Action::ListDelete, &list).await?;
    txn.commit().await?;
    Ok(())
}

const NOT_CONTACT: &str = "The account is not in this contacts list.";

const ALREADY_SUBSCRIBED: &str = "The account already has this contacts list.";

const NOT_SUBSCRIBED: &str = "The account does not have this contacts list.";

fn describe_list(list: &contacts_list::Model) -> String {
    Target::from(list).describe()
}

fn describe_contact(contact: &account::Model) -> String {
    format!(
        "contact {} (#{})",
        Target::from(contact).describe(),
        contact.id
    )
}

/// Puts an account in a list.
pub async fn put_contact(
    state: &AppState,
    by: &By,
    list: &contacts_list::Model,
    contact: &account::Model,
) -> ApiResult<()> {
    let txn = db::begin_write(&state.db).await?;
    // Putting a contact in again changes nothing and succeeds, as upstream
    // answers (it replaces the link); a concurrent writer that got there
    // first is the same case.
    if contacts_lists::has_contact(&txn, list.id, contact.id).await? {
        return Ok(());
    }
    let now = state.clock.now_naive();
    match contacts_lists::add_contact(&txn, list.id, contact.id, now).await {
        Err(err) if db::is_unique_violation(&err) => return Ok(()),
        result => result?,
    }
    let detail = describe_contact(contact);
    audit::record_about(&txn, by, Action::ListContactAdd, list, detail).await?;
    txn.commit().await?;
    Ok(())
}

/// Takes an account out of a list.
pub async fn drop_contact(
    state: &AppState,
    by: &By,
    list: &contacts_list::Model,
    contact_id: i32,
) -> ApiResult<()> {
    let txn = db::begin_write(&state.db).await?;
    // Upstream answers 404 for an account that is not in the list.
    if !contacts_lists::remove_contact(&txn, list.id, contact_id).await? {
        return Err(ApiError::NotFound(NOT_CONTACT.into()));
    }
    let detail = match accounts::find_by_id(&txn, contact_id).await? {
        Some(contact) => describe_contact(&contact),
        None => format!("contact #{contact_id}"),
    };
    audit::record_about(&txn, by, Action::ListContactRemove, list, detail).await?;
    txn.commit().await?;
    Ok(())
}

/// Gives a list to an account.
pub async fn give(
    state: &AppState,
    by: &By,
    account: &account::Model,
    list: &contacts_list::Model,
) -> ApiResult<()> {
    let txn = db::begin_write(&state.db).await?;
    links::add_once(
        contacts_lists::is_subscribed(&txn, account.id, list.id).await?,
        contacts_lists::subscribe(&txn, account.id, list.id, state.clock.now_naive()),
        ALREADY_SUBSCRIBED,
    )
    .await?;
    audit::record_about(&txn, by, Action::ListGive, account, describe_list(list)).await?;
    txn.commit().await?;
    Ok(())
}

/// Takes a list from an account.
pub async fn take(
    state: &AppState,
    by: &By,
    account: &account::Model,
    list: &contacts_list::Model,
) -> ApiResult<()> {
    let txn = db::begin_write(&state.db).await?;
    links::removed_or(
        contacts_lists::unsubscribe(&txn, account.id, list.id).await?,
        NOT_SUBSCRIBED,
    )?;
    audit::record_about(&txn, by, Action::ListTake, account, describe_list(list)).await?;
    txn.commit().await?;
    Ok(())
}
