//! Schemas of the OpenAPI document for bodies the handlers build as JSON
//! values: they describe the wire shape and are never serialized. The
//! schemathesis run in CI checks every response against them.

use std::collections::BTreeMap;

use utoipa::ToSchema;

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

/// The account object of `/api/accounts/me` and of account lists (docs/api.md).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub domain: String,
    #[schema(required = true)]
    pub email: Option<String>,
    pub activated: bool,
    pub ip_address: String,
    pub user_agent: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub creation_time: String,
    /// The Digest realm (`ACCOUNT_REALM`), or null.
    #[schema(required = true)]
    pub realm: Option<String>,
    #[schema(required = true)]
    pub phone: Option<String>,
    #[schema(required = true)]
    pub confirmation_key_expires: Option<String>,
    /// The algorithms the account has a password for.
    pub passwords: Vec<PasswordAlgorithm>,
    pub admin: bool,
    /// A pending e-mail change, or null.
    #[schema(required = true)]
    pub email_changed: Option<PendingEmail>,
}

#[allow(dead_code)]
#[derive(ToSchema)]
pub struct PasswordAlgorithm {
    /// `MD5`, `SHA-256` or `CLRTXT`.
    pub algorithm: String,
}

#[allow(dead_code)]
#[derive(ToSchema)]
pub struct PendingEmail {
    pub new_email: String,
    pub created_at: String,
}

/// An answer with nothing to say: `{}`.
#[allow(dead_code)]
#[derive(ToSchema)]
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
