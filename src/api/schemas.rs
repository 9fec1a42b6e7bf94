//! Schemas of the OpenAPI document: the responses the handlers serialize
//! (`Serialize`), and the request bodies and answers still built as JSON
//! values, which only describe the wire shape. The schemathesis run in CI
//! checks every response against them.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

pub use crate::service::objects::{Account, PasswordAlgorithm, PendingEmail};

/// An error or a plain answer: `{"message": …}`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct Message {
    pub message: String,
}

/// A `422`: the message and, per field, what is wrong with it.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct ValidationError {
    pub message: String,
    pub errors: BTreeMap<String, Vec<String>>,
}

/// An answer with nothing to say: `{}`.
#[derive(Serialize, ToSchema)]
pub struct Empty {}

/// A device registered with Flexisip's registrar (docs/api.md, "The account object").
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct Device {
    /// The instance id, e.g. `urn:uuid:…`.
    pub uuid: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub update_time: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub expires_at: String,
    pub user_agent: String,
}

/// The devices of an account, keyed by uuid (`{}` when none).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct Devices(pub BTreeMap<String, Device>);

/// The hash of a new password: `MD5` or `SHA-256`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub enum DigestAlgorithm {
    #[serde(rename = "MD5")]
    Md5,
    #[serde(rename = "SHA-256")]
    Sha256,
}
