//! Admin pages for account types, contacts lists and an account's types,
//! actions, dictionary and external account; every form needs its CSRF
//! token.

use super::logged_in;
use crate::account_columns;
use crate::helpers::TestApp;

#[tokio::test]
async fn non_admins_get_403_and_change_nothing() {
    let app = TestApp::spawn().await;
    let user = app.account("plain_user", "SHA-256", false).await;
    let mut browser = logged_in(&app, &user).await;
    let id = user.id;
    for path in [
        "/admin/account_types".to_string(),
        "/admin/contacts_lists".to_string(),
        format!("/admin/accounts/{id}/types"),
        format!("/admin/accounts/{id}/actions"),
        format!("/admin/accounts/{id}/dictionary"),
        format!("/admin/accounts/{id}/external"),
    ] {
        assert_eq!(browser.get(&path).await.status, 403, "{path}");
    }
    let token = browser.token_of("/account").await;
    for (path, fields) in [
        ("/admin/account_types".to_string(), vec![("key", "door")]),
        (
            "/admin/contacts_lists".to_string(),
            vec![("title", "t"), ("description", "d")],
        ),
        (
            format!("/admin/accounts/{id}/dictionary"),
            vec![("key", "k"), ("value", "v")],
        ),
    ] {
        let mut all = vec![("_token", token.as_str())];
        all.extend(fields);
        assert_eq!(browser.post(&path, &all).await.status, 403, "{path}");
    }
    assert_eq!(app.count("account_types").await, 0);
    assert_eq!(app.count("contacts_lists").await, 0);
    assert_eq!(app.count("account_dictionary_entries").await, 0);
}

#[tokio::test]
async fn account_types_page() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut browser = logged_in(&app, &admin).await;
    let page = browser.get("/admin/accounts").await;
    assert!(page.body.contains("/admin/account_types"));
    assert!(
        page.body
            .contains(&format!("/admin/accounts/{}/dictionary", admin.id))
    );

    // Without the token nothing is written.
    let page = browser
        .post(
            "/admin/account_types",
            &[("_token", &"x".repeat(40)), ("key", "door")],
        )
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(app.count("account_types").await, 0);

    let page = browser
        .submit(
            "/admin/account_types",
            "/admin/account_types",
            &[("key", "door")],
        )
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), Some("/admin/account_types"));
    let page = browser.get("/admin/account_types").await;
    assert!(page.body.contains("The type door is created."));
    assert!(page.body.contains("<td>door</td>"));

    for bad in ["Door", "", "a b"] {
        let page = browser
            .submit(
                "/admin/account_types",
                "/admin/account_types",
                &[("key", bad)],
            )
            .await;
        assert_eq!(page.status, 422, "{bad}");
    }
    let page = browser
        .submit(
            "/admin/account_types",
            "/admin/account_types",
            &[("key", "door")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("already been taken"));
    assert_eq!(app.count("account_types").await, 1);

    let id: i64 = {
        use sea_orm::EntityTrait;
        flexiapi::db::entities::account_type::Entity::find()
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .id
            .into()
    };
    let delete = format!("/admin/account_types/{id}/delete");
    let page = browser.submit("/admin/account_types", &delete, &[]).await;
    assert_eq!(page.status, 303);
    assert_eq!(app.count("account_types").await, 0);
}

#[tokio::test]
async fn contacts_lists_pages() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let contact = app.account("door_one", "SHA-256", false).await;
    let subscriber = app.account("subscriber", "SHA-256", false).await;
    let mut browser = logged_in(&app, &admin).await;
    let page = browser
        .submit(
            "/admin/contacts_lists",
            "/admin/contacts_lists",
            &[("title", "Doors <b>"), ("description", "All doors")],
        )
        .await;
    assert_eq!(page.status, 303);
    let page = browser.get("/admin/contacts_lists").await;
    assert!(
        page.body.contains("Doors &#60;b&#62;"),
        "escaped: {}",
        page.body
    );
    assert!(!page.body.contains("Doors <b>"));
    let page = browser
        .submit(
            "/admin/contacts_lists",
            "/admin/contacts_lists",
            &[("title", "t")],
        )
        .await;
    assert_eq!(page.status, 422, "description is required");
    assert_eq!(app.count("contacts_lists").await, 1);

    let list = {
        use sea_orm::EntityTrait;
        flexiapi::db::entities::contacts_list::Entity::find()
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let base = format!("/admin/contacts_lists/{list}");
    let contact_address = format!("{}@{}", contact.username, contact.domain);
    let page = browser
        .submit(
            &base,
            &format!("{base}/contacts"),
            &[("address", &contact_address)],
        )
        .await;
    assert_eq!(page.status, 303);
    let page = browser
        .submit(
            &base,
            &format!("{base}/contacts"),
            &[("address", "nobody@sip.example.org")],
        )
        .await;
    assert_eq!(page.status, 422);
    let page = browser
        .submit(
            &base,
            &format!("{base}/subscribers"),
            &[(
                "address",
                &format!("sip:{}@{}", subscriber.username, subscriber.domain),
            )],
        )
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(app.count("contacts_list_contact").await, 1);
    assert_eq!(app.count("account_contacts_list").await, 1);
    let page = browser.get(&base).await;
    assert!(page.body.contains(&contact_address));

    // The subscriber now downloads the contact.
    let vcards = app
        .as_key(&subscriber, reqwest::Method::GET, "/contacts/vcard")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(vcards.contains(&format!("IMPP:sip:{contact_address}")));

    let page = browser
        .submit(
            &base,
            &format!("{base}/contacts/{}/remove", contact.id),
            &[],
        )
        .await;
    assert_eq!(page.status, 303);
    let page = browser
        .submit(
            &base,
            &format!("{base}/subscribers/{}/remove", subscriber.id),
            &[],
        )
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(app.count("contacts_list_contact").await, 0);
    assert_eq!(app.count("account_contacts_list").await, 0);

    let page = browser
        .submit(&base, &base, &[("title", "Gates"), ("description", "d")])
        .await;
    assert_eq!(page.status, 303);
    assert!(browser.get(&base).await.body.contains("Gates"));
    let page = browser.submit(&base, &format!("{base}/delete"), &[]).await;
    assert_eq!(page.status, 303);
    assert_eq!(app.count("contacts_lists").await, 0);
    assert_eq!(browser.get(&base).await.status, 404);
}

#[tokio::test]
async fn account_pages() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let account = app.account("door_one", "SHA-256", false).await;
    let mut browser = logged_in(&app, &admin).await;
    let base = format!("/admin/accounts/{}", account.id);
    assert_eq!(browser.get("/admin/accounts/999/types").await.status, 404);

    // Types.
    browser
        .submit(
            "/admin/account_types",
            "/admin/account_types",
            &[("key", "door")],
        )
        .await;
    let types = format!("{base}/types");
    let page = browser.get(&types).await;
    let type_id = page
        .body
        .split("<option value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a type to choose")
        .to_string();
    let page = browser
        .submit(&types, &types, &[("type_id", &type_id)])
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(app.count("account_account_type").await, 1);
    let page = browser
        .submit(&types, &types, &[("type_id", &type_id)])
        .await;
    assert_eq!(page.status, 403, "already given");
    let page = browser
        .submit(&types, &format!("{types}/{type_id}/remove"), &[])
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(app.count("account_account_type").await, 0);

    // Actions need a DTMF protocol.
    let actions = format!("{base}/actions");
    assert!(
        browser
            .get(&actions)
            .await
            .body
            .contains("no DTMF protocol")
    );
    let page = browser
        .submit(&actions, &actions, &[("key", "open"), ("code", "1")])
        .await;
    assert_eq!(page.status, 403);
    account_columns::set(&app, account.id, "dtmf_protocol", Some("sipinfo")).await;
    let page = browser
        .submit(&actions, &actions, &[("key", "open"), ("code", "1")])
        .await;
    assert_eq!(page.status, 303);
    let page = browser
        .submit(&actions, &actions, &[("key", "Open"), ("code", "1")])
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(app.count("account_actions").await, 1);
    assert!(browser.get(&actions).await.body.contains("<td>open</td>"));

    // Dictionary.
    let dictionary = format!("{base}/dictionary");
    let page = browser
        .submit(
            &dictionary,
            &dictionary,
            &[("key", "theme"), ("value", "dark & light")],
        )
        .await;
    assert_eq!(page.status, 303);
    let page = browser.get(&dictionary).await;
    assert!(page.body.contains("dark &#38; light"), "{}", page.body);
    let page = browser
        .submit(&dictionary, &dictionary, &[("key", "theme"), ("value", "")])
        .await;
    assert_eq!(page.status, 422);
    let page = browser
        .submit(
            &dictionary,
            &format!("{dictionary}/remove"),
            &[("key", "theme")],
        )
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(app.count("account_dictionary_entries").await, 0);

    // External account.
    let external = format!("{base}/external");
    let fields = [
        ("username", "remote"),
        ("domain", "remote.example.com"),
        ("password", "remote-secret"),
        ("protocol", "TCP"),
    ];
    let page = browser
        .post(
            &external,
            &[
                ("_token", &"x".repeat(40)),
                fields[0],
                fields[1],
                fields[2],
                fields[3],
            ],
        )
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(app.count("external_accounts").await, 0);
    let page = browser.submit(&external, &external, &fields).await;
    assert_eq!(page.status, 303);
    let page = browser.get(&external).await;
    assert!(page.body.contains("value=\"remote.example.com\""));
    assert!(!page.body.contains("remote-secret"));
    let page = browser
        .submit(
            &external,
            &external,
            &[
                ("username", "remote"),
                ("domain", "x.org"),
                ("protocol", "SCTP"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    let page = browser
        .submit(&external, &format!("{external}/remove"), &[])
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(app.count("external_accounts").await, 0);
}
