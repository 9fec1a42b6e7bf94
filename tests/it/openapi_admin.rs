//! The admin part of the OpenAPI document: every admin operation documents
//! the admin guard (its `401` and `403`, the security schemes, the `From`
//! header), the guard really answers them, and what the handlers answer
//! has a documented status and matches the documented schema.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestAccount, TestApp, json};

async fn document(app: &TestApp) -> Value {
    json(app.get("/api/openapi.json").send().await.unwrap()).await
}

/// `(METHOD, path template, operation)` of every operation tagged `admin`.
fn admin_operations(document: &Value) -> Vec<(Method, String, Value)> {
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let tags = operation["tags"].as_array().cloned().unwrap_or_default();
            if tags.contains(&json!("admin")) {
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                operations.push((method, path.clone(), operation.clone()));
            }
        }
    }
    operations
}

fn schema_ref(response: &Value) -> &str {
    response["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn every_admin_operation_documents_the_guard() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    let operations = admin_operations(&document);
    // The admin router's routes (src/api/mod.rs).
    assert!(
        operations.len() >= 49,
        "{} admin operations",
        operations.len()
    );
    for (method, path, operation) in &operations {
        let name = format!("{method} {path}");
        let id = operation["operationId"].as_str().unwrap();
        assert!(id.starts_with("admin_"), "{name}: operationId {id}");
        let responses = &operation["responses"];
        for (status, schema) in [
            ("401", "#/components/schemas/Message"),
            ("403", "#/components/schemas/Message"),
            ("404", "#/components/schemas/Message"),
            ("422", "#/components/schemas/ValidationError"),
        ] {
            assert_eq!(schema_ref(&responses[status]), schema, "{name}: {status}");
        }
        assert_eq!(
            operation["security"],
            json!([{"api_key": []}, {"digest": []}]),
            "{name}: security"
        );
        let parameters = operation["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        // Every `{segment}` of the path is a documented path parameter.
        for segment in path.split('/').filter(|s| s.starts_with('{')) {
            let param = segment.trim_matches(['{', '}']);
            assert!(
                parameters
                    .iter()
                    .any(|p| p["name"] == param && p["in"] == "path" && p["required"] == true),
                "{name}: path parameter {param}"
            );
        }
        // A handler that reads a body documents what reading it answers.
        if operation.get("requestBody").is_some() {
            for status in ["400", "413"] {
                assert!(responses[status].is_object(), "{name}: {status}");
            }
        }
        assert!(
            responses
                .as_object()
                .unwrap()
                .keys()
                .any(|s| s.starts_with('2')),
            "{name}: a success"
        );
    }
}

/// `path` with each `{segment}` replaced by a plausible value.
fn concrete(path: &str, admin: &TestAccount) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{sip}" => format!("{}@{}", admin.username, admin.domain),
            "{email}" => "someone@example.org".to_string(),
            "{key}" => "color".to_string(),
            "{uuid}" => "urn:uuid:0".to_string(),
            s if s.starts_with('{') => admin.id.to_string(),
            s => s.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn the_guard_answers_the_documented_401_and_403() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    let admin = app.admin().await;
    let user = app.account("plain_user", "SHA-256", false).await;
    for (method, path, _) in admin_operations(&document) {
        let target = concrete(&path, &admin);
        let anonymous = app
            .client
            .request(method.clone(), app.url(&target))
            .header("From", admin.from())
            .send()
            .await
            .unwrap();
        assert_eq!(
            anonymous.status(),
            401,
            "{method} {target} without credentials"
        );
        assert!(anonymous.headers().contains_key("www-authenticate"));
        assert_eq!(json(anonymous).await["message"], "Unauthenticated request");

        let response = app
            .as_key(&user, method.clone(), &target)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{method} {target} as a user");
        assert_eq!(json(response).await["message"], "Unauthorized area");
    }
}

#[tokio::test]
async fn the_account_list_documents_its_paging() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    let list = &document["paths"]["/api/accounts"]["get"];
    let page = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "page")
        .expect("the page parameter");
    assert_eq!(page["in"], "query");
    assert_eq!(page["required"], false);
    // Any value is taken (a bad one reads as page 1), so the schema
    // refuses none.
    assert_eq!(page["schema"]["type"], "string");
    let from = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "From")
        .expect("the From header");
    assert_eq!(
        (&from["in"], &from["required"]),
        (&json!("header"), &json!(true))
    );
    let responses = &list["responses"];
    assert!(responses["401"]["headers"]["WWW-Authenticate"].is_object());
    assert_eq!(
        schema_ref(&responses["503"]),
        "#/components/schemas/Message"
    );
    assert_eq!(
        schema_ref(&list["responses"]["200"]),
        "#/components/schemas/AccountPage"
    );
    let envelope = &document["components"]["schemas"]["AccountPage"];
    let required: Vec<&str> = envelope["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(
        required,
        [
            "current_page",
            "data",
            "first_page_url",
            "from",
            "last_page",
            "last_page_url",
            "links",
            "next_page_url",
            "path",
            "per_page",
            "prev_page_url",
            "to",
            "total"
        ]
    );
    assert_eq!(
        envelope["properties"]["data"]["items"]["$ref"],
        "#/components/schemas/Account"
    );
}

/// Why `value` does not match `schema` (the subset of JSON Schema the
/// document uses), or nothing.
fn mismatch(document: &Value, schema: &Value, value: &Value, at: &str) -> Option<String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        let target = &document["components"]["schemas"][name];
        assert!(target.is_object(), "unknown schema {reference}");
        return mismatch(document, target, value, at);
    }
    if let Some(choices) = schema["oneOf"].as_array() {
        let matching = choices
            .iter()
            .filter(|choice| mismatch(document, choice, value, at).is_none())
            .count();
        return (matching != 1).then(|| format!("{at}: {matching} oneOf choices match {value}"));
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        return Some(format!("{at}: {value} is not one of {allowed:?}"));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let type_ok = |t: &str| match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        other => panic!("type {other}"),
    };
    if !types.is_empty() && !types.iter().any(|t| type_ok(t)) {
        return Some(format!("{at}: {value} is not {types:?}"));
    }
    if let Some(object) = value.as_object() {
        for key in schema["required"].as_array().into_iter().flatten() {
            let key = key.as_str().unwrap();
            if !object.contains_key(key) {
                return Some(format!("{at}: missing {key}"));
            }
        }
        for (key, item) in object {
            let at = format!("{at}.{key}");
            let found = match schema["properties"].get(key) {
                Some(property) => mismatch(document, property, item, &at),
                None => match &schema["additionalProperties"] {
                    Value::Bool(false) => Some(format!("{at}: not documented")),
                    extra @ Value::Object(_) => mismatch(document, extra, item, &at),
                    _ => None,
                },
            };
            if found.is_some() {
                return found;
            }
        }
    }
    if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
        for (i, item) in values.iter().enumerate() {
            if let Some(found) = mismatch(document, items, item, &format!("{at}[{i}]")) {
                return Some(found);
            }
        }
    }
    None
}

/// The document's path template that `path` fills, literal segments
/// preferred (`/api/accounts/me` before `/api/accounts/{account}`).
fn template_of(document: &Value, path: &str) -> String {
    let segments: Vec<&str> = path.split('?').next().unwrap().split('/').collect();
    document["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part == segment {
                    literal += 1;
                } else if !part.starts_with('{') {
                    return None;
                }
            }
            Some((literal, template.clone()))
        })
        .max()
        .map(|(_, template)| template)
        .unwrap_or_else(|| panic!("{path} is not in the document"))
}

/// Admin requests whose answers are checked against the document.
struct Checked<'a> {
    app: &'a TestApp,
    admin: &'a TestAccount,
    document: Value,
}

impl Checked<'_> {
    /// Sends the request as the admin; asserts the status, that the
    /// operation documents it and that the body matches its schema.
    async fn call(&self, method: Method, path: &str, body: Option<&str>, status: u16) -> Value {
        let mut request = self.app.as_key(self.admin, method.clone(), path);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let got = response.status().as_u16();
        let value = json(response).await;
        assert_eq!(got, status, "{method} {path}: {value}");
        let template = template_of(&self.document, path);
        let operation = &self.document["paths"][&template][method.as_str().to_lowercase()];
        assert!(
            operation.is_object(),
            "{method} {template} is not documented"
        );
        let documented = &operation["responses"][status.to_string()];
        assert!(
            documented.is_object(),
            "{method} {template} does not document {status}"
        );
        let schema = &documented["content"]["application/json"]["schema"];
        if let Some(found) = mismatch(&self.document, schema, &value, "body") {
            panic!("{method} {path} ({status}) does not match its schema: {found}\n{value}");
        }
        value
    }

    async fn send(&self, method: Method, path: &str, body: Value, status: u16) -> Value {
        self.call(method, path, Some(&body.to_string()), status)
            .await
    }
}

#[tokio::test]
async fn admin_answers_match_the_documented_statuses_and_schemas() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let c = Checked {
        app: &app,
        admin: &admin,
        document: document(&app).await,
    };
    use Method as M;

    // Accounts.
    let created = c
        .send(
            M::POST,
            "/api/accounts",
            json!({"username": "schema_user", "password": "secret1", "algorithm": "SHA-256",
                   "email": "schema@example.org", "display_name": "Schema",
                   "dtmf_protocol": "sipinfo", "phone": "+33612345678"}),
            200,
        )
        .await;
    assert!(created["confirmation_key"].is_string());
    let id = created["id"].as_i64().unwrap();
    let account = format!("/api/accounts/{id}");
    c.send(M::POST, "/api/accounts", json!({}), 422).await;
    c.call(M::POST, "/api/accounts", Some("[1]"), 400).await;
    c.call(M::POST, "/api/accounts", Some("{"), 400).await;
    let big = format!("{{\"username\": \"{}\"}}", "a".repeat(70 * 1024));
    c.call(M::POST, "/api/accounts", Some(&big), 413).await;
    let page = c.call(M::GET, "/api/accounts", None, 200).await;
    assert_eq!(page["total"], 2);
    let empty = c.call(M::GET, "/api/accounts?page=2", None, 200).await;
    assert!(empty["from"].is_null());
    c.call(M::GET, &account, None, 200).await;
    c.call(M::GET, "/api/accounts/999999", None, 404).await;
    c.call(M::GET, "/api/accounts/not-an-id", None, 404).await;
    c.send(
        M::PUT,
        &account,
        json!({"username": "schema_user", "display_name": "Renamed",
               "email": "schema@example.org", "phone": "+33612345678",
               "dtmf_protocol": "rfc2833"}),
        200,
    )
    .await;
    c.send(M::PUT, &account, json!({"username": "other_name"}), 422)
        .await;
    c.call(M::GET, &format!("{account}/activate"), None, 200)
        .await;
    c.call(M::GET, &format!("{account}/deactivate"), None, 200)
        .await;
    c.call(M::POST, &format!("{account}/activate"), None, 200)
        .await;
    c.call(M::POST, &format!("{account}/deactivate"), None, 200)
        .await;
    c.call(M::POST, &format!("{account}/block"), None, 200)
        .await;
    let unblocked = c
        .call(M::POST, &format!("{account}/unblock"), None, 200)
        .await;
    assert_eq!(unblocked["blocked"], false);

    // Look-ups.
    let sip = format!("schema_user@{}", admin.domain);
    c.call(M::GET, &format!("/api/accounts/{sip}/search"), None, 200)
        .await;
    c.call(M::GET, "/api/accounts/nobody@example.org/search", None, 404)
        .await;
    c.call(
        M::GET,
        "/api/accounts/SCHEMA@example.org/search-by-email",
        None,
        200,
    )
    .await;
    c.call(M::GET, &format!("/api/resolve/{sip}"), None, 200)
        .await;
    let alias = format!("/api/resolve/+33612345678@{}", admin.domain);
    c.call(M::GET, &alias, None, 200).await;

    // Mails (the log mailer sends them all).
    c.call(
        M::POST,
        &format!("{account}/send_reset_password_email"),
        None,
        200,
    )
    .await;
    c.call(
        M::POST,
        &format!("{account}/send_provisioning_email"),
        None,
        200,
    )
    .await;
    let no_email = format!("/api/accounts/{}/send_provisioning_email", admin.id);
    c.call(M::POST, &no_email, None, 403).await;

    // Devices: no registrar is configured here.
    c.call(M::GET, &format!("{account}/devices"), None, 503)
        .await;
    c.call(
        M::DELETE,
        &format!("{account}/devices/urn:uuid:1"),
        None,
        503,
    )
    .await;

    // Account types.
    let kind = c
        .send(M::POST, "/api/account_types", json!({"key": "door"}), 201)
        .await;
    let kind = format!("/api/account_types/{}", kind["id"]);
    c.send(M::POST, "/api/account_types", json!({"key": "door"}), 422)
        .await;
    c.call(M::GET, "/api/account_types", None, 200).await;
    c.call(M::GET, &kind, None, 200).await;
    c.send(M::PUT, &kind, json!({"key": "gate"}), 200).await;
    let type_id = kind.rsplit('/').next().unwrap();
    let given = format!("{account}/types/{type_id}");
    c.call(M::POST, &given, None, 200).await;
    c.call(M::POST, &given, None, 403).await;
    let shown = c.call(M::GET, &account, None, 200).await;
    assert_eq!(shown["types"][0]["key"], "gate");
    c.call(M::DELETE, &given, None, 200).await;
    c.call(M::DELETE, &given, None, 403).await;
    c.call(M::DELETE, &kind, None, 200).await;
    c.call(M::GET, &kind, None, 404).await;

    // DTMF actions (the account has a DTMF protocol, the admin none).
    let actions = format!("{account}/actions");
    let action = c
        .send(M::POST, &actions, json!({"key": "open", "code": "12"}), 201)
        .await;
    let action = format!("{actions}/{}", action["id"]);
    c.send(M::POST, &actions, json!({"key": "Open"}), 422).await;
    c.call(M::GET, &actions, None, 200).await;
    c.call(M::GET, &action, None, 200).await;
    c.send(M::PUT, &action, json!({"key": "close", "code": "34"}), 200)
        .await;
    c.call(M::DELETE, &action, None, 200).await;
    c.call(M::GET, &action, None, 404).await;
    let admin_actions = format!("/api/accounts/{}/actions", admin.id);
    c.call(M::GET, &admin_actions, None, 403).await;

    // Dictionary.
    let entry = format!("{account}/dictionary/color");
    c.send(M::POST, &entry, json!({"value": "blue"}), 201).await;
    c.send(M::POST, &entry, json!({}), 422).await;
    c.call(M::GET, &format!("{account}/dictionary"), None, 200)
        .await;
    c.call(M::GET, &entry, None, 200).await;
    let shown = c.call(M::GET, &account, None, 200).await;
    assert_eq!(shown["dictionary"]["color"], "blue");
    c.call(M::DELETE, &entry, None, 200).await;
    c.call(M::DELETE, &entry, None, 404).await;
    c.call(M::DELETE, &format!("{account}/dictionary/clear"), None, 200)
        .await;
    c.call(M::DELETE, &format!("{account}/dictionary"), None, 200)
        .await;

    // External account.
    let external = format!("{account}/external");
    c.call(M::GET, &external, None, 404).await;
    c.send(
        M::POST,
        &external,
        json!({"username": "ext", "domain": "ext.example.org", "protocol": "TLS",
               "password": "outside"}),
        201,
    )
    .await;
    c.send(M::POST, &external, json!({"protocol": "SCTP"}), 422)
        .await;
    c.call(M::GET, &external, None, 200).await;
    c.call(M::DELETE, &external, None, 200).await;

    // Contacts lists.
    let list = c
        .send(
            M::POST,
            "/api/contacts_lists",
            json!({"title": "Team", "description": "Everyone"}),
            201,
        )
        .await;
    let list_id = list["id"].clone();
    let list = format!("/api/contacts_lists/{list_id}");
    c.send(M::POST, "/api/contacts_lists", json!({"title": ""}), 422)
        .await;
    c.call(M::GET, "/api/contacts_lists", None, 200).await;
    c.send(
        M::PUT,
        &list,
        json!({"title": "Team", "description": "All of us"}),
        200,
    )
    .await;
    let contact = format!("{list}/contacts/{id}");
    c.call(M::POST, &contact, None, 200).await;
    c.call(M::POST, &contact, None, 200).await;
    let shown = c.call(M::GET, &list, None, 200).await;
    assert_eq!(shown["contacts_count"], 1);
    c.send(
        M::PATCH,
        &list,
        json!({"title": "Team", "description": "Patched"}),
        200,
    )
    .await;
    c.send(M::PATCH, &list, json!({"title": "Team"}), 422).await;
    c.call(M::DELETE, &contact, None, 200).await;
    c.call(M::DELETE, &contact, None, 404).await;
    let subscription = format!("{account}/contacts_lists/{list_id}");
    c.call(M::POST, &subscription, None, 200).await;
    c.call(M::DELETE, &subscription, None, 200).await;
    c.call(M::DELETE, &subscription, None, 403).await;
    c.call(M::DELETE, &list, None, 200).await;
    c.call(M::GET, &list, None, 404).await;

    // Direct contacts (the admin as the account's contact).
    let direct = format!("{account}/contacts/{}", admin.id);
    c.call(M::POST, &direct, None, 200).await;
    c.call(M::POST, &direct, None, 200).await;
    c.call(M::GET, &format!("{account}/contacts"), None, 200)
        .await;
    c.call(M::GET, &direct, None, 200).await;
    c.call(M::DELETE, &direct, None, 200).await;
    c.call(M::DELETE, &direct, None, 404).await;
    c.call(M::GET, &direct, None, 404).await;

    // The guard's own answers.
    let response = app
        .get("/api/accounts")
        .header("x-api-key", &admin.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);

    c.call(M::DELETE, &account, None, 200).await;
    c.call(M::DELETE, &account, None, 404).await;
}
