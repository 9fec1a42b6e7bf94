//! Property tests of every parser that reads what a client, Redis, the
//! proxy or an operator's file sends: arbitrary input never panics, and
//! well-formed input reads back what was written. Runs on stable with a
//! bounded number of cases; inputs that once failed are kept below as
//! plain tests.

use flexiapi::auth::digest::{Algorithm, Credentials};
use flexiapi::input::JsonObject;
use flexiapi::provisioning::rc;
use flexiapi::registrar::Contact;
use flexiapi::registrar::contact;
use flexiapi::registrar::proxy_record::{ProxyAnswer, parse_answer};
use flexiapi::sip::SipAddress;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// 400 cases per property in every `cargo test`; `PROPTEST_CASES` asks for
/// more in a longer run.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400);
    ProptestConfig {
        cases,
        // Shrinking is bounded too, so a failure never hangs the run.
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    }
}

/// Text made mostly of the characters that matter to these parsers.
fn tricky_text(max: usize) -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        4 => any::<char>().prop_map(String::from),
        6 => prop::sample::select(vec![
            "\"", "\\", ",", "=", ";", ":", "<", ">", "@", "?", "&", "%", "[", "]",
            " ", "\t", "\n", "\r", "\u{0}", "sip:", "Digest ", "é", "😀", "%41", "%zz",
            "nc=", "username=", "expires=", "updatedAt=", "{", "}", "#",
        ])
        .prop_map(String::from),
        3 => "[a-zA-Z0-9]{1,6}",
    ];
    prop::collection::vec(pieces, 0..max).prop_map(|parts| parts.concat())
}

// ---- Digest `Authorization` ------------------------------------------------

/// A value as a client may send it: quoted (escaped) or, when it is a token,
/// bare.
fn written(value: &str, quoted: bool) -> String {
    if quoted
        || value.is_empty()
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+".contains(&b))
    {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        value.to_string()
    }
}

#[derive(Debug, Clone)]
struct DigestFields {
    username: String,
    realm: String,
    nonce: String,
    uri: String,
    response: String,
    nc: String,
    cnonce: String,
    opaque: Option<String>,
    algorithm: Option<Algorithm>,
}

fn digest_fields() -> impl Strategy<Value = DigestFields> {
    let text = || "[^\u{0}-\u{1f}]{0,24}";
    (
        (text(), text(), text(), "/[a-z0-9/?=&._-]{0,30}"),
        ("[0-9a-fA-F]{1,64}", "[0-9a-f]{1,8}", text()),
        (
            proptest::option::of(text()),
            proptest::option::of(prop_oneof![Just(Algorithm::Md5), Just(Algorithm::Sha256)]),
        ),
    )
        .prop_map(
            |((username, realm, nonce, uri), (response, nc, cnonce), (opaque, algorithm))| {
                DigestFields {
                    username,
                    realm,
                    nonce,
                    uri,
                    response,
                    nc,
                    cnonce,
                    opaque,
                    algorithm,
                }
            },
        )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn digest_parser_never_panics(header in tricky_text(40)) {
        let _ = Credentials::parse(&header);
        let _ = Credentials::parse(&format!("Digest {header}"));
    }

    #[test]
    fn digest_parser_reads_back_any_order_and_quoting(
        fields in digest_fields(),
        order in Just((0..10).collect::<Vec<usize>>()).prop_shuffle(),
        quoting in prop::collection::vec(any::<bool>(), 10),
        spaces in prop::collection::vec(prop::sample::select(vec!["", " ", "  ", "\t"]), 10),
        scheme in prop::sample::select(vec!["Digest", "digest", "DIGEST"]),
    ) {
        let mut params: Vec<Option<(&str, String)>> = vec![
            Some(("username", fields.username.clone())),
            Some(("realm", fields.realm.clone())),
            Some(("nonce", fields.nonce.clone())),
            Some(("uri", fields.uri.clone())),
            Some(("response", fields.response.clone())),
            Some(("qop", "auth".to_string())),
            Some(("nc", fields.nc.clone())),
            Some(("cnonce", fields.cnonce.clone())),
            fields.opaque.clone().map(|o| ("opaque", o)),
            fields.algorithm.map(|a| ("algorithm", a.name().to_string())),
        ];
        let header = order
            .iter()
            .filter_map(|&i| params[i].take().map(|(k, v)| (i, k, v)))
            .map(|(i, key, value)| format!("{key}={}", written(&value, quoting[i])))
            .enumerate()
            .map(|(n, param)| if n == 0 { param } else { format!(",{}{param}", spaces[n]) })
            .collect::<String>();
        let parsed = Credentials::parse(&format!("{scheme} {header}"));
        let parsed = parsed.unwrap_or_else(|| panic!("refused: {header}"));
        prop_assert_eq!(&parsed.username, &fields.username);
        prop_assert_eq!(&parsed.realm, &fields.realm);
        prop_assert_eq!(&parsed.nonce, &fields.nonce);
        prop_assert_eq!(&parsed.uri, &fields.uri);
        prop_assert_eq!(&parsed.response, &fields.response.to_ascii_lowercase());
        prop_assert_eq!(&parsed.cnonce, &fields.cnonce);
        prop_assert_eq!(&parsed.opaque, &fields.opaque);
        prop_assert_eq!(parsed.algorithm, fields.algorithm.unwrap_or(Algorithm::Md5));
        prop_assert_eq!(parsed.nc_value(), i64::from_str_radix(&fields.nc, 16).unwrap());
    }
}

// ---- `From` header ---------------------------------------------------------

fn username() -> impl Strategy<Value = String> {
    // Any user part a SIP URI can carry once percent-encoded.
    "[^\u{0}-\u{20}@:;<>\u{7f}-\u{9f}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]{1,20}"
}

fn domain() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9.-]{0,30}(:[0-9]{1,5})?"
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn from_parser_never_panics(header in tricky_text(30)) {
        let _ = SipAddress::parse_from_header(&header);
        let _ = SipAddress::parse_argument(&header);
        let _ = SipAddress::parse_bare(&header);
    }

    #[test]
    fn from_parser_reads_every_form_back(
        user in username(),
        host in domain(),
        encode in any::<bool>(),
        display in proptest::option::of("[^\u{0}-\u{1f}\"\\\\]{0,16}"),
        params in "(;[a-z]{1,6}=[a-zA-Z0-9]{1,8}){0,3}",
        scheme in prop::sample::select(vec!["sip:", "sips:", "SIP:"]),
    ) {
        prop_assume!(user.len() <= 64);
        let user_part = if encode {
            utf8_percent_encode(&user, NON_ALPHANUMERIC).to_string()
        } else {
            // `?` would start the URI's headers: it travels encoded.
            user.replace('%', "%25").replace('?', "%3F")
        };
        let uri = format!("{scheme}{user_part}@{host}");
        let header = match &display {
            None => format!("{uri}{params}"),
            Some(name) => format!("\"{name}\" <{uri};transport=tls>{params}"),
        };
        let parsed = SipAddress::parse_from_header(&header);
        prop_assert_eq!(
            parsed,
            Some(SipAddress { username: user.clone(), domain: host.to_ascii_lowercase() }),
            "{}", header
        );
    }
}

// ---- Redis contacts (Flexisip's stored Contact) ----------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn redis_contact_parser_never_panics(value in tricky_text(40)) {
        let _ = contact::parse(&value);
        let _ = contact::parse(&format!("<sip:a@b;{value}>"));
    }

    #[test]
    fn redis_contact_parser_reads_back_what_flexisip_writes(
        updated_at in 0i64..=i64::MAX / 2,
        expires in 0i64..=i64::MAX / 2,
        user_agent in "[^\u{0}]{0,40}",
        uuid in proptest::option::of("[0-9a-f-]{36}"),
        display in proptest::option::of("[^\u{0}-\u{1f}\"\\\\]{0,12}"),
        params in "(;[a-z]{1,6}=[a-zA-Z0-9]{1,8}){0,3}",
    ) {
        let instance = uuid.map(|u| format!("\"<urn:uuid:{u}>\""));
        let value = format!(
            "{}<sip:alice@10.0.0.1:5060;transport=tls;expires={expires};cseq=3;updatedAt={updated_at};alias=no?path=%3Csip%3Aproxy%3E&accept=&user-agent={}>{}{params}",
            display.map(|d| format!("\"{d}\" ")).unwrap_or_default(),
            utf8_percent_encode(&user_agent, NON_ALPHANUMERIC),
            instance.as_ref().map(|i| format!(";+sip.instance={i}")).unwrap_or_default(),
        );
        let parsed = contact::parse(&value).map_err(|e| TestCaseError::fail(format!("{e}: {value}")))?;
        prop_assert_eq!(parsed.updated_at, updated_at);
        prop_assert_eq!(parsed.expires_at, updated_at + expires);
        prop_assert_eq!(parsed.user_agent, user_agent);
        prop_assert_eq!(parsed.instance, instance);
    }
}

// ---- Flexisip proxy CLI socket answers --------------------------------------

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        // No floats: serde_json's default float parsing may differ from the
        // written value by one unit in the last place.
        tricky_text(8).prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "contacts",
                        "unique-id",
                        "line_value_copy",
                        "expires-at",
                        "expires_at",
                        "update-time",
                        "update_time",
                        "user-agent",
                        "user_agent",
                        "x",
                    ])
                    .prop_map(String::from),
                    inner
                ),
                0..6
            )
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn contact_record() -> impl Strategy<Value = Contact> {
    (
        "[^\u{0}]{1,30}",
        any::<i64>(),
        any::<i64>(),
        "[^\u{0}]{0,30}",
    )
        .prop_map(|(unique_id, update_time, expires_at, user_agent)| Contact {
            unique_id,
            update_time,
            expires_at,
            user_agent,
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn proxy_answer_parser_never_panics(text in tricky_text(40), value in json_value()) {
        let _ = parse_answer(&text);
        let _ = parse_answer(&value.to_string());
        let _ = parse_answer(&json!({"contacts": [value]}).to_string());
    }

    #[test]
    fn proxy_answer_parser_reads_every_shape_back(
        contacts in prop::collection::vec(contact_record(), 0..5),
        hyphenated in any::<bool>(),
        numbers_as_text in any::<bool>(),
        pretty in any::<bool>(),
        bare_list in any::<bool>(),
    ) {
        let number = |n: i64| if numbers_as_text { json!(n.to_string()) } else { json!(n) };
        let items: Vec<Value> = contacts
            .iter()
            .map(|c| {
                if hyphenated {
                    json!({"unique-id": c.unique_id, "expires-at": number(c.expires_at),
                           "update-time": number(c.update_time), "user-agent": c.user_agent,
                           "contact-id": "x", "path": ["<sip:proxy>"]})
                } else {
                    json!({"line_value_copy": c.unique_id, "expires_at": number(c.expires_at),
                           "update_time": number(c.update_time), "user_agent": c.user_agent})
                }
            })
            .collect();
        let answer = if bare_list { json!(items) } else { json!({"contacts": items}) };
        let text = if pretty {
            serde_json::to_string_pretty(&answer).unwrap()
        } else {
            answer.to_string()
        };
        prop_assert_eq!(parse_answer(&text), Ok(ProxyAnswer::Record(contacts)));
    }
}

// ---- rc (INI) files ----------------------------------------------------------

fn rc_sections() -> impl Strategy<Value = Vec<rc::Section>> {
    let entry = (
        "[a-z][a-z0-9_]{0,11}",
        // What liblinphone keeps literally: quotes, backslashes, `<sip:…>`.
        "[^\u{0}-\u{1f}\u{7f} ;#=\\[\\]]([^\u{0}-\u{1f}\u{7f}]{0,20}[^\u{0}-\u{1f}\u{7f} ])?",
    );
    prop::collection::vec(
        ("[a-z][a-z0-9_]{0,11}", prop::collection::vec(entry, 0..5)),
        0..5,
    )
    .prop_map(|sections| {
        let mut out: Vec<rc::Section> = Vec::new();
        for (name, entries) in sections {
            let index = match out.iter().position(|s| s.name == name) {
                Some(i) => i,
                None => {
                    out.push(rc::Section::new(name));
                    out.len() - 1
                }
            };
            for (key, value) in entries {
                out[index].set(&key, value);
            }
        }
        out
    })
}

fn rc_text(sections: &[rc::Section]) -> String {
    let mut text = String::new();
    for section in sections {
        text.push_str(&format!("[{}]\n", section.name));
        for (key, value) in &section.entries {
            text.push_str(&format!("{key}={value}\n"));
        }
        text.push('\n');
    }
    text
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn rc_reader_never_panics(text in tricky_text(60)) {
        let _ = rc::parse(&text);
        let _ = rc::parse(&format!("[proxy_0]\n{text}"));
    }

    #[test]
    fn rc_reader_reads_back_what_was_written(sections in rc_sections()) {
        let text = rc_text(&sections);
        prop_assert_eq!(rc::parse(&text), Ok(sections), "{}", text);
    }
}

// ---- JSON request bodies -------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn json_body_reader_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200), text in tricky_text(40)) {
        let _ = JsonObject::parse(&bytes);
        if let Ok(object) = JsonObject::parse(text.as_bytes()) {
            // Whatever it accepted, the validator reads without panicking.
            let mut validator = object.validator();
            for field in object.0.keys() {
                let _ = validator.optional_string(field);
                let _ = validator.optional_bool(field);
            }
            let _ = validator.finish();
        }
    }

    #[test]
    fn json_body_reader_takes_objects_only(value in json_value(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&value).unwrap() } else { value.to_string() };
        match (JsonObject::parse(text.as_bytes()), &value) {
            (Ok(object), Value::Object(map)) => prop_assert_eq!(&object.0, map),
            (Err(_), Value::Object(_)) => prop_assert!(false, "refused an object: {}", text),
            (Ok(_), _) => prop_assert!(false, "accepted a non-object: {}", text),
            (Err(_), _) => {}
        }
    }
}

/// Bodies nested deeper than serde_json's recursion limit are refused, not
/// a stack overflow.
#[test]
fn deeply_nested_bodies_are_refused() {
    let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(JsonObject::parse(deep.as_bytes()).is_err());
    let deep = format!(
        "{{\"contacts\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(parse_answer(&deep).is_err());
}
