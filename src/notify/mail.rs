//! E-mail: SMTP through lettre, or the log (the development default).

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use prometheus::IntCounter;

use crate::config::{Config, MailEncryption, MailerConfig, SmtpConfig};

/// How long one SMTP conversation may take before the send fails.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid mail address {0:?}")]
    Address(String),
    #[error("cannot build the mail: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

/// One mail; every mail has a plain-text and an HTML version.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Sends mails from `MAIL_FROM_NAME <MAIL_FROM_ADDRESS>`.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    backend: Backend,
    /// Counts mails that could not be sent (`/metrics`).
    failures: IntCounter,
}

#[derive(Clone)]
enum Backend {
    /// Writes each mail to the log: the "e-mails written to the log" default
    /// of a development instance.
    Log,
    /// Built once; lettre opens one connection per mail (no pool feature).
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    pub fn from_config(config: &Config) -> Result<Self, MailError> {
        let address = config
            .mail_from_address
            .parse()
            .map_err(|_| MailError::Address(config.mail_from_address.clone()))?;
        let from = Mailbox::new(Some(config.mail_from_name.clone()), address);
        let backend = match &config.mailer {
            MailerConfig::Log => Backend::Log,
            MailerConfig::Smtp(smtp) => Backend::Smtp(smtp_transport(smtp)?),
        };
        Ok(Mailer {
            from,
            backend,
            failures: crate::metrics::detached_counter(),
        })
    }

    /// True for the log mailer (nothing leaves the machine).
    pub fn is_log(&self) -> bool {
        matches!(self.backend, Backend::Log)
    }

    /// Counts the failed sends in `counter` from now on.
    pub fn counting_failures(mut self, counter: IntCounter) -> Self {
        self.failures = counter;
        self
    }

    /// Sends `mail` as multipart/alternative (text, then HTML).
    pub async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let result = self.deliver(mail).await;
        if result.is_err() {
            self.failures.inc();
        }
        result
    }

    async fn deliver(&self, mail: Mail) -> Result<(), MailError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| MailError::Address(mail.to.clone()))?;
        match &self.backend {
            Backend::Log => {
                // The log mailer exists to show the mail, code included.
                tracing::info!(
                    from = %self.from,
                    to = %to,
                    subject = %mail.subject,
                    body = %mail.text,
                    "mail (log mailer)"
                );
                Ok(())
            }
            Backend::Smtp(transport) => {
                let message = Message::builder()
                    .from(self.from.clone())
                    .to(to)
                    .subject(mail.subject)
                    .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))?;
                transport.send(message).await?;
                Ok(())
            }
        }
    }
}

fn smtp_transport(smtp: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let builder = match smtp.encryption {
        // Implicit TLS from the first byte (SMTPS, usually port 465).
        MailEncryption::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
        // STARTTLS is required: a server that does not offer it fails the
        // send rather than receiving the password in clear.
        MailEncryption::StartTls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?
        }
        // Plain text, for a local relay only.
        MailEncryption::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
    };
    let mut builder = builder.port(smtp.port).timeout(Some(SMTP_TIMEOUT));
    // docs/integrations.md, "Mail (SMTP)": log in only when MAIL_USERNAME is set.
    if let Some(username) = &smtp.username {
        builder = builder.credentials(Credentials::new(
            username.clone(),
            smtp.password.expose().to_string(),
        ));
    }
    Ok(builder.build())
}
