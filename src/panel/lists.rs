//! Admin pages for account types (`/admin/account_types`) and contacts
//! lists (`/admin/contacts_lists`, each with its contacts and the accounts
//! it is given to). The changes go through the API's own functions.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};

use super::csrf::CsrfForm;
use super::items::{
    Cell, Content, Field, Form, Row, Section, account_of_form, admin_form, id, page,
};
use super::session::AdminSession;
use crate::client::Client;
use crate::db::account_types;
use crate::db::accounts;
use crate::db::contacts_lists::{self, ListView};
use crate::db::entities::{account, contacts_list};
use crate::error::{ApiError, ApiResult};
use crate::service::account_types as types_api;
use crate::service::contacts_lists as lists_api;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/account_types", get(types_page).post(type_create))
        .route("/admin/account_types/{id}/delete", post(type_delete))
        .route("/admin/contacts_lists", get(lists_page).post(list_create))
        .route(
            "/admin/contacts_lists/{id}",
            get(list_page).post(list_update),
        )
        .route("/admin/contacts_lists/{id}/delete", post(list_delete))
        .route("/admin/contacts_lists/{id}/contacts", post(contact_add))
        .route(
            "/admin/contacts_lists/{id}/contacts/{account}/remove",
            post(contact_remove),
        )
        .route(
            "/admin/contacts_lists/{id}/subscribers",
            post(subscriber_add),
        )
        .route(
            "/admin/contacts_lists/{id}/subscribers/{account}/remove",
            post(subscriber_remove),
        )
}

fn address(account: &account::Model) -> String {
    format!("{}@{}", account.username, account.domain)
}

// Account types.

async fn types_page(
    State(state): State<AppState>,
    AdminSession(session): AdminSession,
) -> Response {
    let content = async {
        let rows = account_types::all(&state.db)
            .await?
            .into_iter()
            .map(|kind| Row {
                cells: vec![Cell::text(kind.id.to_string()), Cell::text(kind.key)],
                remove: Some(format!("/admin/account_types/{}/delete", kind.id)),
                hidden: Vec::new(),
            })
            .collect();
        Ok(Content {
            title: "Account types".into(),
            back: None,
            intro: Some("Types tag accounts; Linphone shows them from the contacts vCards.".into()),
            sections: vec![Section {
                heading: None,
                headers: vec!["#", "Key"],
                rows,
            }],
            forms: vec![Form {
                title: "New type",
                action: "/admin/account_types".into(),
                submit: "Create",
                danger: false,
                fields: vec![Field::new(
                    "key",
                    "Key (lowercase letters, digits, - and _)",
                    "text",
                )],
            }],
        })
    }
    .await;
    page(&state, session, content).await
}

async fn type_create(State(state): State<AppState>, client: Client, form: CsrfForm) -> Response {
    admin_form(&state, &client, form, "/admin/account_types", |form, by| {
        let state = &state;
        async move {
            let kind = types_api::create(state, &by, &form).await?;
            Ok(format!("The type {} is created.", kind.key))
        }
    })
    .await
}

async fn type_delete(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    client: Client,
    form: CsrfForm,
) -> Response {
    admin_form(&state, &client, form, "/admin/account_types", |_, by| {
        let state = &state;
        async move {
            types_api::remove(state, &by, id(&raw)?).await?;
            Ok("The type is deleted.".to_string())
        }
    })
    .await
}

// Contacts lists.

fn list_fields(title: &str, description: &str) -> Vec<Field> {
    vec![
        Field::new("title", "Title", "text").value(title),
        Field::new("description", "Description", "textarea").value(description),
    ]
}

async fn lists_page(
    State(state): State<AppState>,
    AdminSession(session): AdminSession,
) -> Response {
    let content = async {
        let rows = contacts_lists::all(&state.db)
            .await?
            .into_iter()
            .map(
                |ListView {
                     list,
                     contacts_count,
                 }| Row {
                    cells: vec![
                        Cell::link(list.title, format!("/admin/contacts_lists/{}", list.id)),
                        Cell::text(list.description),
                        Cell::text(contacts_count.to_string()),
                    ],
                    remove: Some(format!("/admin/contacts_lists/{}/delete", list.id)),
                    hidden: Vec::new(),
                },
            )
            .collect();
        Ok(Content {
            title: "Contacts lists".into(),
            back: None,
            intro: Some(
                "Accounts given a list download its contacts as vCards (/contacts/vcard).".into(),
            ),
            sections: vec![Section {
                heading: None,
                headers: vec!["Title", "Description", "Contacts"],
                rows,
            }],
            forms: vec![Form {
                title: "New contacts list",
                action: "/admin/contacts_lists".into(),
                submit: "Create",
                danger: false,
                fields: list_fields("", ""),
            }],
        })
    }
    .await;
    page(&state, session, content).await
}

async fn list_create(State(state): State<AppState>, client: Client, form: CsrfForm) -> Response {
    admin_form(
        &state,
        &client,
        form,
        "/admin/contacts_lists",
        |form, by| {
            let state = &state;
            async move {
                let list = lists_api::create(state, &by, &form).await?;
                Ok(format!("The contacts list {} is created.", list.title))
            }
        },
    )
    .await
}

async fn list_page(
    State(state): State<AppState>,
    AdminSession(session): AdminSession,
    Path(raw): Path<String>,
) -> Response {
    let content = async {
        let view = contacts_lists::find(&state.db, id(&raw)?)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let list = view.list;
        let base = format!("/admin/contacts_lists/{}", list.id);
        let member_rows = |accounts: Vec<account::Model>, kind: &str| -> Vec<Row> {
            accounts
                .into_iter()
                .map(|a| Row {
                    cells: vec![Cell::text(a.id.to_string()), Cell::text(address(&a))],
                    remove: Some(format!("{base}/{kind}/{}/remove", a.id)),
                    hidden: Vec::new(),
                })
                .collect()
        };
        let contacts = contacts_lists::contacts(&state.db, list.id).await?;
        let subscribers = contacts_lists::subscribers(&state.db, list.id).await?;
        Ok(Content {
            title: format!("Contacts list: {}", list.title),
            back: Some(("/admin/contacts_lists".into(), "Contacts lists".into())),
            intro: Some(list.description.clone()),
            sections: vec![
                Section {
                    heading: Some("Contacts".into()),
                    headers: vec!["#", "SIP address"],
                    rows: member_rows(contacts, "contacts"),
                },
                Section {
                    heading: Some("Given to".into()),
                    headers: vec!["#", "SIP address"],
                    rows: member_rows(subscribers, "subscribers"),
                },
            ],
            forms: vec![
                Form {
                    title: "Add a contact",
                    action: format!("{base}/contacts"),
                    submit: "Add",
                    danger: false,
                    fields: vec![Field::new("address", "SIP address (user@domain)", "text")],
                },
                Form {
                    title: "Give the list to an account",
                    action: format!("{base}/subscribers"),
                    submit: "Give",
                    danger: false,
                    fields: vec![Field::new("address", "SIP address (user@domain)", "text")],
                },
                Form {
                    title: "Edit",
                    action: base.clone(),
                    submit: "Save",
                    danger: false,
                    fields: list_fields(&list.title, &list.description),
                },
            ],
        })
    }
    .await;
    page(&state, session, content).await
}

async fn list_update(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    client: Client,
    form: CsrfForm,
) -> Response {
    let back = format!("/admin/contacts_lists/{raw}");
    admin_form(&state, &client, form, &back, |form, by| {
        let state = &state;
        async move {
            let list = existing_list(state, &raw).await?;
            lists_api::change(state, &by, &list, &form).await?;
            Ok("The contacts list is saved.".to_string())
        }
    })
    .await
}

async fn existing_list(state: &AppState, raw: &str) -> ApiResult<contacts_list::Model> {
    Ok(contacts_lists::find(&state.db, id(raw)?)
        .await?
        .ok_or_else(ApiError::not_found)?
        .list)
}

/// The account of a path segment.
async fn account_of_path(state: &AppState, raw: &str) -> ApiResult<account::Model> {
    accounts::find_by_id(&state.db, id(raw)?)
        .await?
        .ok_or_else(ApiError::not_found)
}

async fn list_delete(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    client: Client,
    form: CsrfForm,
) -> Response {
    admin_form(&state, &client, form, "/admin/contacts_lists", |_, by| {
        let state = &state;
        async move {
            lists_api::remove(state, &by, id(&raw)?).await?;
            Ok("The contacts list is deleted.".to_string())
        }
    })
    .await
}

async fn contact_add(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    client: Client,
    form: CsrfForm,
) -> Response {
    let back = format!("/admin/contacts_lists/{raw}");
    admin_form(&state, &client, form, &back, |form, by| {
        let state = &state;
        async move {
            let list = existing_list(state, &raw).await?;
            let contact = account_of_form(state, &form).await?;
            lists_api::put_contact(state, &by, &list, &contact).await?;
            Ok(format!("{} is in the list.", address(&contact)))
        }
    })
    .await
}

async fn contact_remove(
    State(state): State<AppState>,
    Path((raw, account)): Path<(String, String)>,
    client: Client,
    form: CsrfForm,
) -> Response {
    let back = format!("/admin/contacts_lists/{raw}");
    admin_form(&state, &client, form, &back, |_, by| {
        let state = &state;
        async move {
            let list = existing_list(state, &raw).await?;
            lists_api::drop_contact(state, &by, &list, id(&account)?).await?;
            Ok("The contact is removed from the list.".to_string())
        }
    })
    .await
}

async fn subscriber_add(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    client: Client,
    form: CsrfForm,
) -> Response {
    let back = format!("/admin/contacts_lists/{raw}");
    admin_form(&state, &client, form, &back, |form, by| {
        let state = &state;
        async move {
            let list = existing_list(state, &raw).await?;
            let account = account_of_form(state, &form).await?;
            lists_api::give(state, &by, &account, &list).await?;
            Ok(format!("{} has the list.", address(&account)))
        }
    })
    .await
}

async fn subscriber_remove(
    State(state): State<AppState>,
    Path((raw, account)): Path<(String, String)>,
    client: Client,
    form: CsrfForm,
) -> Response {
    let back = format!("/admin/contacts_lists/{raw}");
    admin_form(&state, &client, form, &back, |_, by| {
        let state = &state;
        async move {
            let list = existing_list(state, &raw).await?;
            let account = account_of_path(state, &account).await?;
            lists_api::take(state, &by, &account, &list).await?;
            Ok("The list is taken from the account.".to_string())
        }
    })
    .await
}
