//! Delivery channels: e-mail (SMTP or the log), SMS (OVH) and push
//! notifications (Flexisip's `flexisip_pusher`).
//!
//! Each channel is built once from the configuration at start and kept in
//! `AppState`; a failed delivery is an error the caller turns into a `503`,
//! never a silently lost message.

pub mod hcaptcha;
pub mod mail;
pub mod mails;
pub mod pusher;
pub mod sms;

pub use mail::{Mail, MailError, Mailer};
pub use pusher::{PushError, Pusher};
pub use sms::{Sms, SmsError};
