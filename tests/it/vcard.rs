//! `GET /contacts/vcard[/{sip}]`: the contacts as vCard 4.0, checked by a
//! strict RFC 6350 reader written here (not from the server's code).

use reqwest::Method;
use serde_json::json;

use crate::account_columns;
use crate::digest_client::{authorization, challenges};
use crate::helpers::{TestAccount, TestApp};

/// One property: name (upper case), parameters, and the raw value.
#[derive(Debug, Clone, PartialEq)]
struct Property {
    name: String,
    params: Vec<String>,
    value: String,
}

/// Parses a stream of vCards, panicking on anything RFC 6350 refuses:
/// lines not ending in CRLF, lines over 75 octets, a card not starting
/// with BEGIN then VERSION:4.0, a missing FN or END, bad property names.
fn parse_vcards(text: &str) -> Vec<Vec<Property>> {
    assert!(
        text.is_empty() || text.ends_with("\r\n"),
        "must end with CRLF"
    );
    let physical: Vec<&str> = text.split("\r\n").collect();
    let physical = &physical[..physical.len() - 1];
    let mut logical: Vec<String> = Vec::new();
    for line in physical {
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "bare line break in {line:?}"
        );
        assert!(line.len() <= 75, "line over 75 octets: {line:?}");
        if let Some(rest) = line.strip_prefix([' ', '\t']) {
            logical
                .last_mut()
                .expect("continuation first")
                .push_str(rest);
        } else {
            logical.push(line.to_string());
        }
    }
    let mut cards = Vec::new();
    let mut current: Option<Vec<Property>> = None;
    for line in logical {
        let (head, value) = line.split_once(':').expect("name:value");
        let mut parts = head.split(';');
        let name = parts.next().unwrap().to_ascii_uppercase();
        assert!(
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
            "bad property name {name:?}"
        );
        let property = Property {
            name: name.clone(),
            params: parts.map(str::to_string).collect(),
            value: value.to_string(),
        };
        match (name.as_str(), current.as_mut()) {
            ("BEGIN", None) => {
                assert_eq!(value.to_ascii_uppercase(), "VCARD");
                current = Some(Vec::new());
            }
            ("BEGIN", Some(_)) => panic!("nested BEGIN"),
            ("END", Some(props)) => {
                assert_eq!(value.to_ascii_uppercase(), "VCARD");
                assert_eq!(props[0].name, "VERSION", "VERSION must follow BEGIN");
                assert_eq!(props[0].value, "4.0");
                assert!(props.iter().any(|p| p.name == "FN"), "FN is required");
                cards.push(current.take().unwrap());
            }
            (_, Some(props)) => props.push(property),
            (_, None) => panic!("property outside a card: {line}"),
        }
    }
    assert!(current.is_none(), "missing END:VCARD");
    cards
}

/// Splits a value on unescaped `sep` and unescapes each component.
fn components(value: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next().expect("dangling backslash") {
                'n' | 'N' => out.last_mut().unwrap().push('\n'),
                e @ ('\\' | ',' | ';') => out.last_mut().unwrap().push(e),
                other => panic!("bad escape \\{other}"),
            },
            c if c == sep => out.push(String::new()),
            c => {
                assert!(c != ',' && c != ';', "unescaped {c:?} in {value:?}");
                out.last_mut().unwrap().push(c);
            }
        }
    }
    out
}

fn text(value: &str) -> String {
    let parts = components(value, '\u{1}');
    assert_eq!(parts.len(), 1);
    parts[0].clone()
}

fn values<'a>(card: &'a [Property], name: &str) -> Vec<&'a str> {
    card.iter()
        .filter(|p| p.name == name)
        .map(|p| p.value.as_str())
        .collect()
}

struct Setup {
    app: TestApp,
    subscriber: TestAccount,
    door: TestAccount,
    gate: TestAccount,
}

async fn setup() -> Setup {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let subscriber = app.account("subscriber", "MD5", false).await;
    let door = app.account("door_one", "SHA-256", false).await;
    let gate = app.account("gate_one", "SHA-256", false).await;
    let long_name = format!("Door, \"main\"; entrance \\ {}\nfloor 2", "é".repeat(40));
    account_columns::set(&app, door.id, "display_name", Some(&long_name)).await;
    account_columns::set(&app, door.id, "dtmf_protocol", Some("rfc2833")).await;
    let send = |method: Method, path: String, body: serde_json::Value| {
        app.as_key(&admin, method, &path).json(&body).send()
    };
    let list = send(
        Method::POST,
        "/api/contacts_lists".into(),
        json!({"title": "Doors", "description": "d"}),
    )
    .await
    .unwrap()
    .json::<serde_json::Value>()
    .await
    .unwrap();
    for contact in [&door, &gate] {
        send(
            Method::POST,
            format!("/api/contacts_lists/{}/contacts/{}", list["id"], contact.id),
            json!({}),
        )
        .await
        .unwrap();
    }
    send(
        Method::POST,
        format!(
            "/api/accounts/{}/contacts_lists/{}",
            subscriber.id, list["id"]
        ),
        json!({}),
    )
    .await
    .unwrap();
    for key in ["door", "intercom"] {
        let kind = send(
            Method::POST,
            "/api/account_types".into(),
            json!({"key": key}),
        )
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
        send(
            Method::POST,
            format!("/api/accounts/{}/types/{}", door.id, kind["id"]),
            json!({}),
        )
        .await
        .unwrap();
    }
    send(
        Method::POST,
        format!("/api/accounts/{}/actions", door.id),
        json!({"key": "open-door", "code": "12"}),
    )
    .await
    .unwrap();
    Setup {
        app,
        subscriber,
        door,
        gate,
    }
}

#[tokio::test]
async fn all_contacts_as_vcards() {
    let Setup {
        app,
        subscriber,
        door,
        gate,
    } = setup().await;
    let response = app
        .as_key(&subscriber, Method::GET, "/contacts/vcard")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(content_type.starts_with("text/vcard"), "{content_type}");
    let cards = parse_vcards(&response.text().await.unwrap());
    assert_eq!(cards.len(), 2);

    let door_card = &cards[0];
    assert_eq!(values(door_card, "KIND"), ["individual"]);
    assert_eq!(
        values(door_card, "IMPP"),
        [format!("sip:door_one@{}", door.domain)]
    );
    assert_eq!(
        text(values(door_card, "FN")[0]),
        format!("Door, \"main\"; entrance \\ {}\nfloor 2", "é".repeat(40))
    );
    assert_eq!(
        values(door_card, "X-LINPHONE-ACCOUNT-DTMF-PROTOCOL"),
        ["rfc2833"]
    );
    assert_eq!(
        values(door_card, "X-LINPHONE-ACCOUNT-TYPE"),
        ["door", "intercom"]
    );
    let actions = values(door_card, "X-LINPHONE-ACCOUNT-ACTION");
    assert_eq!(actions.len(), 1);
    assert_eq!(components(actions[0], ';'), ["open-door", "12"]);

    // Without a display name FN is the address; without DTMF, no actions.
    let gate_card = &cards[1];
    let address = format!("gate_one@{}", gate.domain);
    assert_eq!(text(values(gate_card, "FN")[0]), address);
    assert_eq!(values(gate_card, "IMPP"), [format!("sip:{address}")]);
    assert!(values(gate_card, "X-LINPHONE-ACCOUNT-DTMF-PROTOCOL").is_empty());
    assert!(values(gate_card, "X-LINPHONE-ACCOUNT-TYPE").is_empty());
    assert!(values(gate_card, "X-LINPHONE-ACCOUNT-ACTION").is_empty());
}

#[tokio::test]
async fn one_contact_by_address_and_digest() {
    let Setup {
        app,
        subscriber,
        gate,
        ..
    } = setup().await;
    let path = format!("/contacts/vcard/gate_one@{}", gate.domain);
    // Digest works as on /api/accounts/me.
    let response = app
        .get(&path)
        .header("From", subscriber.from())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let challenge = challenges(&response).remove(0);
    let header = authorization(
        &challenge,
        &subscriber.username,
        &subscriber.password,
        "GET",
        &path,
        1,
    );
    let response = app
        .get(&path)
        .header("From", subscriber.from())
        .header("Authorization", header)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cards = parse_vcards(&response.text().await.unwrap());
    assert_eq!(cards.len(), 1);
    assert_eq!(
        values(&cards[0], "IMPP"),
        [format!("sip:gate_one@{}", gate.domain)]
    );

    for missing in [
        "/contacts/vcard/subscriber@sip.example.org",
        "/contacts/vcard/nobody@sip.example.org",
        "/contacts/vcard/no-at-sign",
    ] {
        let response = app
            .as_key(&subscriber, Method::GET, missing)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{missing}");
    }
}

#[tokio::test]
async fn needs_an_authenticated_account() {
    let Setup { app, door, .. } = setup().await;
    let response = app.get("/contacts/vcard").send().await.unwrap();
    assert!(matches!(response.status().as_u16(), 401 | 422));
    let response = app
        .get("/contacts/vcard")
        .header("From", door.from())
        .header("x-api-key", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // The door itself is in no list it is given: an empty stream.
    let response = app
        .as_key(&door, Method::GET, "/contacts/vcard")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(parse_vcards(&response.text().await.unwrap()).is_empty());
}

#[test]
fn the_reader_is_strict() {
    let ok = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:a\\, b\r\nEND:VCARD\r\n";
    assert_eq!(parse_vcards(ok).len(), 1);
    for bad in [
        "BEGIN:VCARD\nVERSION:4.0\nFN:a\nEND:VCARD\n",
        "BEGIN:VCARD\r\nFN:a\r\nVERSION:4.0\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nVERSION:4.0\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:a\r\n",
    ] {
        assert!(
            std::panic::catch_unwind(|| parse_vcards(bad)).is_err(),
            "{bad:?}"
        );
    }
    assert!(std::panic::catch_unwind(|| text("a,b")).is_err());
}
