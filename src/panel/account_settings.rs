//! An account's admin pages beside the account list: its types
//! (`/admin/accounts/{id}/types`), DTMF actions (`…/actions`), dictionary
//! (`…/dictionary`) and external account (`…/external`). The changes go
//! through the API's own functions and rules.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};

use super::csrf::CsrfForm;
use super::form::field;
use super::items::{Cell, Content, Field, Form, Row, Section, admin_form, id, page};
use super::session::AdminSession;
use crate::client::Client;
use crate::db::entities::account;
use crate::db::{account_actions, account_types, accounts, dictionary, external_accounts};
use crate::error::{ApiError, ApiResult};
use crate::service::account_actions as actions_api;
use crate::service::account_types as types_api;
use crate::service::{dictionary as dictionary_api, external_accounts as external_api};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/accounts/{id}/types", get(types_page).post(type_add))
        .route(
            "/admin/accounts/{id}/types/{type_id}/remove",
            post(type_remove),
        )
        .route(
            "/admin/accounts/{id}/actions",
            get(actions_page).post(action_add),
        )
        .route(
            "/admin/accounts/{id}/actions/{action_id}/remove",
            post(action_remove),
        )
        .route(
            "/admin/accounts/{id}/dictionary",
            get(dictionary_page).post(entry_set),
        )
        .route("/admin/accounts/{id}/dictionary/remove", post(entry_remove))
        .route(
            "/admin/accounts/{id}/external",
            get(external_page).post(external_store),
        )
        .route(
            "/admin/accounts/{id}/external/remove",
            post(external_remove),
        )
}

async fn target(state: &AppState, raw: &str) -> ApiResult<account::Model> {
    accounts::find_by_id(&state.db, id(raw)?)
        .await?
        .ok_or_else(ApiError::not_found)
}

fn back() -> Option<(String, String)> {
    Some(("/admin/accounts".into(), "Accounts".into()))
}

fn title(what: &str, account: &account::Model) -> String {
    format!("{what} of {}@{}", account.username, account.domain)
}

// Types.

async fn types_page(
    State(state): State<AppState>,
    AdminSession(session): AdminSession,
    Path(raw): Path<String>,
) -> Response {
    let content = async {
        let account = target(&state, &raw).await?;
        let given = account_types::of_accounts(&state.db, &[account.id])
            .await?
            .remove(&account.id)
            .unwrap_or_default();
        let rows = given
            .iter()
            .map(|kind| Row {
                cells: vec![Cell::text(kind.key.clone())],
                remove: Some(format!(
                    "/admin/accounts/{}/types/{}/remove",
                    account.id, kind.id
                )),
                hidden: Vec::new(),
            })
            .collect();
        let options = account_types::all(&state.db)
            .await?
            .into_iter()
            .filter(|kind| !given.iter().any(|g| g.id == kind.id))
            .map(|kind| (kind.id.to_string(), kind.key, false))
            .collect();
        Ok(Content {
            title: title("Types", &account),
            back: back(),
            intro: None,
            sections: vec![Section {
                heading: None,
                headers: vec!["Type"],
                rows,
            }],
            forms: vec![Form {
                title: "Give a type",
                action: format!("/admin/accounts/{}/types", account.id),
                submit: "Give",
                danger: false,
                fields: vec![Field::new("type_id", "Type", "select").options(options)],
            }],
        })
    }
    .await;
    page(&state, session, content).await
}

async fn type_add(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    client: Client,
    form: CsrfForm,
) -> Response {
    let back = format!("/admin/accounts/{raw}/types");
    admin_form(&state, &client, form, &back, |form, by| {
        let state = &state;
        async move {
            let account = target(state, &raw).await?;
            let type_id = field(&form, "type_id")
                .and_then(|t| t.parse().ok())
                .ok_or_else(|| ApiError::field("type_id", "Choose a type."))?;
            let kind = account_types::find(&state.db, type_id)
                .await?
                .ok_or_else(|| ApiError::field("type_id", "There is no such type."))?;
            types_api::give(state, &by, &account, &kind).await?;
            Ok(format!("The account has the type {}.", kind.key))
        }
    })
    .await
}

async fn type_remove(
    State(state): State<AppState>,
    Path((raw, type_id)): Path<(String, String)>,
    client: Client,
    form: CsrfForm,
) -> Response {
    let back = format!("/admin/accounts/{raw}/types");
    admin_form(&state, &client, form, &back, |_, by| {
        let state = &state;
        async move {
            let account = target(state, &raw).await?;
            types_api::take(state, &by, &account, id(&type_id)?).await?;
            Ok("The type is taken from the account.".to_string())
        }
    })
    .await
}

// Actions.

async fn actions_page(
    State(state): State<AppState>,
    AdminSession(session): AdminSession,
    Path(raw): Path<String>,
) -> Response {
    let content = async {
        let account = target(&state, &raw).await?;
        let Some(protocol) = account.dtmf_protocol.clone() else {
            return Ok(Content {
                title: title("DTMF actions", &account),
                back: back(),
                intro: Some("This account has no DTMF protocol: it cannot have actions.".into()),
                sections: Vec::new(),
                forms: Vec::new(),
            });
        };
        let rows = account_actions::of_account(&state.db, account.id)
            .await?
            .into_iter()
            .map(|action| Row {
                cells: vec![Cell::text(action.key), Cell::text(action.code)],
                remove: Some(format!(
                    "/admin/accounts/{}/actions/{}/remove",
                    account.id, action.id
                )),
                hidden: Vec::new(),
            })
            .collect();
        Ok(Content {
            title: title("DTMF actions", &account),
            back: back(),
            intro: Some(format!("DTMF protocol: {protocol}")),
            sections: vec![Section {
                heading: None,
                headers: vec!["Key", "Code"],
                rows,
            }],
            forms: vec![Form {
                title: "New action",
                action: format!("/admin/accounts/{}/actions", account.id),
                submit: "Add",
                danger: false,
                fields: vec![
                    Field::new("key", "Key (lowercase letters, digits, - and _)", "text"),
                    Field::new("code", "Code (lowercase letters and digits)", "text"),
                ],
            }],
        })
    }
    .await;
    page(&state, session, content).await
}

async fn action_add(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    client: Client,
    form: CsrfForm,
) -> Response {
    let back = format!("/admin/accounts/{raw}/actions");
    admin_form(&state, &client, form, &back, |form, by| {
        let state = &state;
        async move {
            let account = actions_api::account_with_dtmf(state, &raw).await?;
            let action = actions_api::create(state, &by, &account, &form).await?;
            Ok(format!("The action {} is added.", action.key))
        }
    })
    .await
}

async fn action_remove(
    State(state): State<AppState>,
    Path((raw, action_id)): Path<(String, String)>,
    client: Client,
    form: CsrfForm,
) -> Response {
    let back = format!("/admin/accounts/{raw}/actions");
    admin_form(&state, &client, form, &back, |_, by| {
        let state = &state;
        async move {
            let account = actions_api::account_with_dtmf(state, &raw).await?;
            actions_api::remove(state, &by, &account, id(&action_id)?).await?;
            Ok("The action is removed.".to_string())
        }
    })
    .await
}

// Dictionary.

async fn dictionary_page(
    State(state): State<AppState>,
    AdminSession(session): AdminSession,
    Path(raw): Path<String>,
) -> Response {
    let content = async {
        let account = target(&state, &raw).await?;
        let rows = dictionary::of_account(&state.db, account.id)
            .await?
            .into_iter()
            .map(|(key, value)| Row {
                cells: vec![Cell::text(key.clone()), Cell::text(value)],
                remove: Some(format!("/admin/accounts/{}/dictionary/remove", account.id)),
                hidden: vec![("key".to_string(), key)],
            })
            .collect();
        Ok(Content {
            title: title("Dictionary", &account),
            back: back(),
            intro: None,
            sections: vec![Section {
                heading: None,
                headers: vec!["Key", "Value"],
                rows,
            }],
            forms: vec![Form {
                title: "Set an entry",
                action: format!("/admin/accounts/{}/dictionary", account.id),
                submit: "Set",
                danger: false,
                fields: vec![
                    Field::new("key", "Key", "text"),
                    Field::new("value", "Value", "textarea"),
                ],
            }],
        })
    }
    .await;
    page(&state, session, content).await
}

async fn entry_set(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    client: Client,
    form: CsrfForm,
) -> Response {
    let back = format!("/admin/accounts/{raw}/dictionary");
    admin_form(&state, &client, form, &back, |form, by| {
        let state = &state;
        async move {
            let account = target(state, &raw).await?;
            let key = field(&form, "key").unwrap_or_default().to_string();
            dictionary_api::set_entry(state, &by, &account, &key, &form).await?;
            Ok(format!("The entry {key} is set."))
        }
    })
    .await
}

async fn entry_remove(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    client: Client,
    form: CsrfForm,
) -> Response {
    let back = format!("/admin/accounts/{raw}/dictionary");
    admin_form(&state, &client, form, &back, |form, by| {
        let state = &state;
        async move {
            let account = target(state, &raw).await?;
            let key = dictionary_api::checked_key(field(&form, "key").unwrap_or_default())?;
            dictionary_api::remove_entry(state, &by, &account, key).await?;
            Ok(format!("The entry {key} is removed."))
        }
    })
    .await
}

// External account.

async fn external_page(
    State(state): State<AppState>,
    AdminSession(session): AdminSession,
    Path(raw): Path<String>,
) -> Response {
    let content = async {
        let account = target(&state, &raw).await?;
        let external = external_accounts::of_account(&state.db, account.id).await?;
        let value = |f: fn(&crate::db::entities::external_account::Model) -> Option<&str>| {
            external
                .as_ref()
                .and_then(f)
                .unwrap_or_default()
                .to_string()
        };
        let protocol = value(|e| Some(&e.protocol));
        let protocols = external_api::PROTOCOLS
            .iter()
            .map(|p| (p.to_string(), p.to_string(), protocol == *p))
            .collect();
        let mut forms = vec![Form {
            title: if external.is_some() {
                "Change"
            } else {
                "Create"
            },
            action: format!("/admin/accounts/{}/external", account.id),
            submit: "Save",
            danger: false,
            fields: vec![
                Field::new("username", "Username", "text").value(value(|e| Some(&e.username))),
                Field::new("domain", "Domain", "text").value(value(|e| Some(&e.domain))),
                Field::new(
                    "password",
                    "Password (required when new or when the realm changes)",
                    "password",
                ),
                Field::new("realm", "Realm", "text").value(value(|e| e.realm.as_deref())),
                Field::new("registrar", "Registrar", "text")
                    .value(value(|e| e.registrar.as_deref())),
                Field::new("outbound_proxy", "Outbound proxy", "text")
                    .value(value(|e| e.outbound_proxy.as_deref())),
                Field::new("protocol", "Protocol", "select").options(protocols),
            ],
        }];
        if external.is_some() {
            forms.push(Form {
                title: "Delete",
                action: format!("/admin/accounts/{}/external/remove", account.id),
                submit: "Delete the external account",
                danger: true,
                fields: Vec::new(),
            });
        }
        Ok(Content {
            title: title("External account", &account),
            back: back(),
            intro: Some(
                if external.is_some() {
                    "The password is stored as an MD5 HA1 and never shown."
                } else {
                    "This account has no external account."
                }
                .into(),
            ),
            sections: Vec::new(),
            forms,
        })
    }
    .await;
    page(&state, session, content).await
}

async fn external_store(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    client: Client,
    form: CsrfForm,
) -> Response {
    let back = format!("/admin/accounts/{raw}/external");
    admin_form(&state, &client, form, &back, |form, by| {
        let state = &state;
        async move {
            let account = target(state, &raw).await?;
            external_api::store_for(state, &by, &account, &form).await?;
            Ok("The external account is saved.".to_string())
        }
    })
    .await
}

async fn external_remove(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    client: Client,
    form: CsrfForm,
) -> Response {
    let back = format!("/admin/accounts/{raw}/external");
    admin_form(&state, &client, form, &back, |_, by| {
        let state = &state;
        async move {
            let account = target(state, &raw).await?;
            external_api::remove(state, &by, &account).await?;
            Ok("The external account is deleted.".to_string())
        }
    })
    .await
}
