//! One guard, before any handler (and so before any query), for the text
//! of every request: control characters are refused in the path, the
//! query string, the `From` header and the JSON or form body, with a `422`
//! naming the field; the panel answers its "Invalid data" page instead
//! (and its "Not found" page for a link with one).
//! PostgreSQL refuses NUL in text (a `500` it was), and no field of the
//! service has a use for the others.
//!
//! What is allowed where (docs/api.md, "Text input"): a body's strings may
//! hold a tab, a line feed and a carriage return (a vCard, a dictionary
//! value, a panel text area); the path, the query string and `From` none.
//! Refused everywhere: every other C0 control (NUL included), DEL, and the
//! C1 controls U+0080 to U+009F. Multipart bodies (file uploads) are left
//! to their importer.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Limited};
use percent_encoding::percent_decode;
use serde_json::Value;
use tower::{Layer, Service};

use crate::error::ApiError;
use crate::input::BODY_LIMIT_BYTES;
use crate::state::AppState;

/// The `422` on `field`.
fn refused_field(field: &str) -> ApiError {
    ApiError::field(
        field,
        format!("The {field} must not contain control characters."),
    )
}

/// The guard as a layer: `Reply::Json` on the API's routes, `Reply::Page`
/// (the "Invalid data" page) on the panel's.
#[derive(Clone)]
pub struct InputGuard {
    app_name: Arc<str>,
    reply: Reply,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Json,
    Page,
}

impl InputGuard {
    pub fn new(state: &AppState, reply: Reply) -> Self {
        InputGuard {
            app_name: state.config.app_name.as_str().into(),
            reply,
        }
    }

    fn refuse(&self, err: ApiError) -> Response {
        match self.reply {
            Reply::Json => err.into_response(),
            Reply::Page => crate::panel::refused_input(&self.app_name, err),
        }
    }
}

impl<S> Layer<S> for InputGuard {
    type Service = Guarded<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Guarded {
            guard: self.clone(),
            inner,
        }
    }
}

/// A service behind [`InputGuard`]. A request without a body (most, and
/// the hot `GET`s) is checked and passed on as is: no allocation, no
/// boxed future; one with a body is read first.
#[derive(Clone)]
pub struct Guarded<S> {
    guard: InputGuard,
    inner: S,
}

type Boxed = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// The inner service's own future, or the boxed one of a request read
/// (or refused) first.
pub enum GuardFuture<F> {
    Passed(F),
    Read(Boxed),
}

impl<F> Future for GuardFuture<F>
where
    F: Future<Output = Result<Response, Infallible>> + Unpin,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            GuardFuture::Passed(future) => Pin::new(future).poll(cx),
            GuardFuture::Read(future) => future.as_mut().poll(cx),
        }
    }
}

impl<S> Service<Request> for Guarded<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + Unpin + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = GuardFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let (parts, body) = request.into_parts();
        if let Some((field, in_path)) = bad_field_in_head(&parts) {
            // A panel link with a control character names nothing.
            let err = if in_path && self.guard.reply == Reply::Page {
                ApiError::not_found()
            } else {
                refused_field(&field)
            };
            let response = self.guard.refuse(err);
            return GuardFuture::Read(Box::pin(async move { Ok(response) }));
        }
        if !has_text_body(&parts) {
            return GuardFuture::Passed(self.inner.call(Request::from_parts(parts, body)));
        }
        // The ready service goes with the request; a clone stays here.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let guard = self.guard.clone();
        GuardFuture::Read(Box::pin(async move {
            let bytes = match Limited::new(body, BODY_LIMIT_BYTES).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(err) if err.is::<http_body_util::LengthLimitError>() => {
                    return Ok(guard.refuse(ApiError::PayloadTooLarge));
                }
                Err(_) => {
                    let err = ApiError::BadRequest("The request body could not be read.".into());
                    return Ok(guard.refuse(err));
                }
            };
            if let Some(field) = bad_field_in_body(&parts.headers, &bytes) {
                return Ok(guard.refuse(refused_field(&field)));
            }
            inner
                .call(Request::from_parts(parts, Body::from(bytes)))
                .await
        }))
    }
}

/// A control character refused in a body string (tab, LF and CR pass).
fn refused_in_body(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The first field of the path, query or `From` with a control character,
/// and whether it is in the path.
fn bad_field_in_head(parts: &Parts) -> Option<(String, bool)> {
    let path = parts.uri.path();
    // Without a `%`, the URI parser let no control character through.
    if path.contains('%') {
        let template = parts
            .extensions
            .get::<MatchedPath>()
            .map(MatchedPath::as_str);
        for (index, segment) in path.split('/').enumerate() {
            if decodes_to_control(segment.as_bytes(), false) {
                return Some((path_field(template, index), true));
            }
        }
    }
    if let Some(query) = parts.uri.query()
        && let Some(field) = bad_pair(query.as_bytes(), false)
    {
        return Some((field, false));
    }
    let from = parts.headers.get(header::FROM)?.as_bytes();
    decodes_to_control(from, false).then(|| ("From".to_string(), false))
}

/// The name of the path parameter at `index` (`{sip}` gives `sip`), or
/// `path` for a fixed segment or an unknown route.
fn path_field(template: Option<&str>, index: usize) -> String {
    template
        .and_then(|t| t.split('/').nth(index))
        .and_then(|s| s.strip_prefix('{'))
        .and_then(|s| s.strip_suffix('}'))
        .map_or("path", |name| name.trim_start_matches('*'))
        .to_string()
}

/// True when percent-decoding `raw` yields a control character: a C0
/// control or DEL, or a C1 control (C2 80 to C2 9F in UTF-8). Tab, LF and
/// CR pass when `line_breaks` allows them. Decoded on the fly: the hot
/// paths (`%40` in an address) allocate nothing.
fn decodes_to_control(raw: &[u8], line_breaks: bool) -> bool {
    let mut previous = 0u8;
    for byte in percent_decode(raw) {
        let c0 = byte < 0x20 || byte == 0x7F;
        let allowed = line_breaks && matches!(byte, b'\t' | b'\n' | b'\r');
        if (c0 && !allowed) || (previous == 0xC2 && (0x80..=0x9F).contains(&byte)) {
            return true;
        }
        previous = byte;
    }
    false
}

/// The first name of `a=1&b=2` (`+` a space, `%XX` a byte) whose name or
/// value decodes to a refused character.
fn bad_pair(encoded: &[u8], line_breaks: bool) -> Option<String> {
    for pair in encoded.split(|b| *b == b'&') {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        if decodes_to_control(name, line_breaks) {
            return Some(printable(&decode_form(name)));
        }
        if decodes_to_control(value, line_breaks) {
            return Some(decode_form(name));
        }
    }
    None
}

fn decode_form(raw: &[u8]) -> String {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    String::from_utf8_lossy(&percent_decode(&spaced).collect::<Vec<u8>>()).into_owned()
}

/// A field name that is itself refused, shown without its controls.
fn printable(name: &str) -> String {
    name.escape_default().to_string()
}

/// A body to read: any but a multipart upload, when there is one.
fn has_text_body(parts: &Parts) -> bool {
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    let headers = &parts.headers;
    let empty = headers
        .get(header::CONTENT_LENGTH)
        .is_some_and(|length| length == "0");
    !empty && !content_type_is(headers, "multipart/")
}

fn content_type_is(headers: &HeaderMap, prefix: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.to_ascii_lowercase().starts_with(prefix))
}

/// The first field of a form or JSON body with a refused character. A body
/// that is neither is left to the handler (a `400`).
fn bad_field_in_body(headers: &HeaderMap, body: &Bytes) -> Option<String> {
    if content_type_is(headers, "application/x-www-form-urlencoded") {
        return bad_pair(body, true);
    }
    // A control character in a JSON string is escaped (`\u0000`), or, for
    // DEL and the C1 controls, raw (7F, C2 80 to C2 9F): without these the
    // body cannot hold one, and is not parsed twice.
    let escaped = body.contains(&b'\\') || body.contains(&0x7F);
    let c1 = body
        .windows(2)
        .any(|w| w[0] == 0xC2 && (0x80..=0x9F).contains(&w[1]));
    if !escaped && !c1 {
        return None;
    }
    let value: Value = serde_json::from_slice(body).ok()?;
    bad_field_in_json(&value, "")
}

/// The dotted name (`a.b.0`, as Laravel's) of the first string with a
/// refused character, in a name or a value.
fn bad_field_in_json(value: &Value, at: &str) -> Option<String> {
    let join = |name: &str| {
        if at.is_empty() {
            name.to_string()
        } else {
            format!("{at}.{name}")
        }
    };
    match value {
        Value::String(text) if text.chars().any(refused_in_body) => Some(if at.is_empty() {
            "body".into()
        } else {
            at.into()
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| bad_field_in_json(item, &join(&index.to_string()))),
        Value::Object(fields) => fields.iter().find_map(|(name, item)| {
            if name.chars().any(refused_in_body) {
                // A bad key is a bad value of the object that holds it (a
                // dictionary's key names the dictionary); only a top-level
                // name is its own field.
                Some(if at.is_empty() {
                    printable(name)
                } else {
                    at.into()
                })
            } else {
                bad_field_in_json(item, &join(name))
            }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_field(body: &str) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        bad_field_in_body(&headers, &Bytes::from(body.to_string()))
    }

    #[test]
    fn json_strings_with_controls_name_their_field() {
        assert_eq!(json_field(r#"{"a":"x\u0000y"}"#).as_deref(), Some("a"));
        assert_eq!(
            json_field(r#"{"a":{"b":["ok","\u001b"]}}"#).as_deref(),
            Some("a.b.1")
        );
        assert_eq!(json_field("{\"a\":\"\u{85}\"}").as_deref(), Some("a"));
        assert_eq!(json_field(r#"{"a\u0001":1}"#).as_deref(), Some("a\\u{1}"));
        assert_eq!(json_field(r#"{"d":{"k\u0001":"v"}}"#).as_deref(), Some("d"));
        assert_eq!(json_field(r#"{"vcard":"BEGIN:VCARD\r\n\tx"}"#), None);
        assert_eq!(json_field(r#"{"a":"\u00e9\ud83d\ude00 \"q\""}"#), None);
        assert_eq!(json_field(r#"{"a":1e999}"#), None);
    }

    #[test]
    fn forms_and_queries_are_decoded_first() {
        assert_eq!(bad_pair(b"a=1&b=x%00y", false).as_deref(), Some("b"));
        assert_eq!(bad_pair(b"a=1&b=x%0Ay", false).as_deref(), Some("b"));
        assert_eq!(bad_pair(b"a=1&b=x%0Ay", true), None);
        assert_eq!(bad_pair(b"a=%C2%85", true).as_deref(), Some("a"));
        assert_eq!(bad_pair(b"a=%C2%A0%C3%A9", true), None);
        assert_eq!(bad_pair(b"a=x\x01", true).as_deref(), Some("a"));
        assert_eq!(bad_pair(b"a=%F0%9F%98%80&b=%25", false), None);
        assert_eq!(bad_pair(b"a%07=1", false).as_deref(), Some("a\\u{7}"));
    }

    #[test]
    fn path_segments_name_their_parameter() {
        let template = Some("/api/accounts/{sip}/info");
        assert_eq!(path_field(template, 3), "sip");
        assert_eq!(path_field(template, 4), "path");
        assert_eq!(path_field(None, 2), "path");
        assert!(decodes_to_control(b"a%00b", false));
        assert!(decodes_to_control(b"a%09b", false));
        assert!(!decodes_to_control(b"a%09b", true));
        assert!(decodes_to_control(b"a%FF%00", true));
        assert!(!decodes_to_control(b"bob%40sip.example.org", false));
    }
}
