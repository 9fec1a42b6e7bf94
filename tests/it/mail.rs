//! `Mailer` against the in-test SMTP server.

use std::collections::HashMap;
use std::time::Duration;

use flexiapi::config::Config;
use flexiapi::notify::{Mail, Mailer};

use crate::smtp_server::{Reject, SmtpOptions, SmtpServer};

const WAIT: Duration = Duration::from_secs(5);

fn mailer(vars: &[(&str, &str)]) -> Mailer {
    let mut map: HashMap<String, String> = HashMap::from([
        ("MAIL_MAILER".into(), "smtp".into()),
        ("MAIL_HOST".into(), "127.0.0.1".into()),
        ("MAIL_ENCRYPTION".into(), "none".into()),
        ("MAIL_FROM_ADDRESS".into(), "no-reply@example.org".into()),
        ("MAIL_FROM_NAME".into(), "Flexi Test".into()),
    ]);
    for (k, v) in vars {
        map.insert(k.to_string(), v.to_string());
    }
    Mailer::from_config(&Config::from_map(&map).unwrap()).unwrap()
}

fn mail() -> Mail {
    Mail {
        to: "john.doe@example.net".into(),
        subject: "Your code".into(),
        text: "Your code is 1234".into(),
        html: "<p>Your code is <b>1234</b></p>".into(),
    }
}

#[tokio::test]
async fn delivers_text_and_html_from_the_configured_sender() {
    let (port, mut smtp) = SmtpServer::start().await;
    let mailer = mailer(&[("MAIL_PORT", &port.to_string())]);
    assert!(!mailer.is_log());
    mailer.send(mail()).await.unwrap();

    let received = smtp.next_mail(WAIT).await.expect("a mail");
    assert_eq!(received.from, "no-reply@example.org");
    assert_eq!(received.to, ["john.doe@example.net"]);
    assert_eq!(received.auth, None, "no MAIL_USERNAME: no AUTH");
    let from = received.header("from").unwrap();
    assert!(from.contains("Flexi Test") && from.contains("<no-reply@example.org>"));
    assert_eq!(received.header("subject").unwrap(), "Your code");
    assert!(
        received
            .header("content-type")
            .unwrap()
            .starts_with("multipart/alternative")
    );
    let types: Vec<String> = received.parts().iter().map(|p| p.content_type()).collect();
    assert_eq!(types, ["text/plain", "text/html"]);
    assert_eq!(received.text().unwrap().trim_end(), "Your code is 1234");
    assert_eq!(
        received.html().unwrap().trim_end(),
        "<p>Your code is <b>1234</b></p>"
    );
}

#[tokio::test]
async fn logs_in_when_a_username_is_set() {
    let (port, mut smtp) = SmtpServer::start().await;
    let mailer = mailer(&[
        ("MAIL_PORT", &port.to_string()),
        ("MAIL_USERNAME", "mailer"),
        ("MAIL_PASSWORD", "s3cret pass"),
    ]);
    mailer.send(mail()).await.unwrap();
    let received = smtp.next_mail(WAIT).await.expect("a mail");
    assert_eq!(
        received.auth,
        Some(("mailer".to_string(), "s3cret pass".to_string()))
    );
}

#[tokio::test]
async fn a_refused_mail_is_an_error() {
    for reject in [Reject::MailFrom, Reject::Data] {
        let (port, mut smtp) = SmtpServer::start_with(SmtpOptions {
            reject: Some(reject),
            ..Default::default()
        })
        .await;
        let mailer = mailer(&[("MAIL_PORT", &port.to_string())]);
        let err = mailer.send(mail()).await.unwrap_err();
        assert!(err.to_string().contains("SMTP"), "{reject:?}: {err}");
        assert!(smtp.next_mail(Duration::from_millis(200)).await.is_none());
    }
}

#[tokio::test]
async fn an_unreachable_server_is_an_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mailer = mailer(&[("MAIL_PORT", &port.to_string())]);
    assert!(mailer.send(mail()).await.is_err());
}

#[tokio::test]
async fn starttls_is_required_not_optional() {
    // The fake offers no STARTTLS: the mail (and the password) must not go
    // out in clear.
    let (port, mut smtp) = SmtpServer::start().await;
    let mailer = mailer(&[
        ("MAIL_PORT", &port.to_string()),
        ("MAIL_ENCRYPTION", "starttls"),
        ("MAIL_USERNAME", "mailer"),
        ("MAIL_PASSWORD", "secret"),
    ]);
    assert!(mailer.send(mail()).await.is_err());
    assert!(smtp.next_mail(Duration::from_millis(200)).await.is_none());
}

#[tokio::test]
async fn an_invalid_recipient_is_an_error() {
    let (port, _smtp) = SmtpServer::start().await;
    let mailer = mailer(&[("MAIL_PORT", &port.to_string())]);
    let mut bad = mail();
    bad.to = "not an address".into();
    assert!(mailer.send(bad).await.is_err());
}

#[tokio::test]
async fn the_log_mailer_accepts_mails() {
    let mailer = Mailer::from_config(&Config::from_map(&HashMap::new()).unwrap()).unwrap();
    assert!(mailer.is_log());
    mailer.send(mail()).await.unwrap();
}
