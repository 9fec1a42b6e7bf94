//! The body every `…send-by-push` route and `POST /api/tokens` read (the
//! flow is `src/service/push_tokens.rs`), for the OpenAPI document.

/// The body naming a device to push to (every `…send-by-push` route and
/// `POST /api/tokens`), as `validate` reads it.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
pub struct PushDevice {
    pub pn_provider: PushProvider,
    /// At most 255 ASCII letters, digits, `_` and `.`.
    #[schema(min_length = 1, max_length = 255, pattern = "^[A-Za-z0-9_.]+$")]
    pub pn_param: String,
    /// At most 255 ASCII letters, digits, `_`, `-` and `:`, not starting
    /// with `-`.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = "^[A-Za-z0-9_:][A-Za-z0-9_:-]*$"
    )]
    pub pn_prid: String,
}

/// The push services `flexisip_pusher` knows.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
pub enum PushProvider {
    #[serde(rename = "apns")]
    Apns,
    #[serde(rename = "apns.dev")]
    ApnsDev,
    #[serde(rename = "fcm")]
    Fcm,
}
