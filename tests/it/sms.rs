//! `Sms` (OVH) against the in-test OVH fake.

use std::collections::HashMap;

use flexiapi::config::Config;
use flexiapi::notify::{Sms, SmsError};
use serde_json::json;

use crate::ovh_fake::{self, OvhFake};

fn sms(vars: &[(&str, String)]) -> Sms {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    Sms::from_config(&Config::from_map(&map).unwrap()).unwrap()
}

#[tokio::test]
async fn a_job_arrives_signed_with_the_exact_fields() {
    let ovh = OvhFake::start().await;
    let sms = sms(&ovh.vars());
    sms.send("+33612345678", "Your FlexiAPI validation code is 0042")
        .await
        .unwrap();
    sms.send("+33698765432", "second").await.unwrap();

    let jobs = ovh.jobs();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0].service, ovh_fake::SERVICE);
    assert_eq!(
        jobs[0].body,
        json!({
            "charset": "UTF-8",
            "message": "Your FlexiAPI validation code is 0042",
            "noStopClause": true,
            "priority": "high",
            "receivers": ["+33612345678"],
            "sender": ovh_fake::SENDER,
        })
    );
    // GET /sms/ and POST …/jobs for each message, all signed correctly
    // with the server's (offset) time.
    assert_eq!(ovh.accepted(), 4);
    assert_eq!(ovh.refused(), 0);
}

#[tokio::test]
async fn no_sender_configured_means_no_sender_field() {
    let ovh = OvhFake::start().await;
    let vars: Vec<_> = ovh
        .vars()
        .into_iter()
        .filter(|(k, _)| *k != "OVH_APP_SENDER")
        .collect();
    sms(&vars).send("+33612345678", "hello").await.unwrap();
    let body = &ovh.jobs()[0].body;
    assert!(body.get("sender").is_none(), "{body}");
}

#[tokio::test]
async fn ovh_answering_500_is_an_error() {
    let ovh = OvhFake::start().await;
    ovh.fail_jobs_with(Some(500));
    let err = sms(&ovh.vars())
        .send("+33612345678", "hello")
        .await
        .unwrap_err();
    assert!(
        matches!(err, SmsError::Status { status, .. } if status == 500),
        "{err}"
    );
}

#[tokio::test]
async fn ovh_down_is_an_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let ovh = OvhFake::start().await;
    let mut vars = ovh.vars();
    vars.retain(|(k, _)| *k != "OVH_APP_ENDPOINT");
    vars.push(("OVH_APP_ENDPOINT", format!("http://127.0.0.1:{port}/1.0")));
    let err = sms(&vars).send("+33612345678", "hello").await.unwrap_err();
    assert!(matches!(err, SmsError::Http(_)), "{err}");
}

#[tokio::test]
async fn a_wrong_secret_is_refused_by_ovh() {
    let ovh = OvhFake::start().await;
    let mut vars = ovh.vars();
    vars.retain(|(k, _)| *k != "OVH_APP_SECRET");
    vars.push(("OVH_APP_SECRET", "not-the-secret".into()));
    let err = sms(&vars).send("+33612345678", "hello").await.unwrap_err();
    assert!(
        matches!(err, SmsError::Status { status, .. } if status == 403),
        "{err}"
    );
    assert_eq!(ovh.refused(), 1);
    assert!(ovh.jobs().is_empty());
}

#[tokio::test]
async fn a_receiver_refused_by_ovh_is_an_error() {
    let ovh = OvhFake::start().await;
    let err = sms(&ovh.vars())
        .send("0612345678", "hello")
        .await
        .unwrap_err();
    assert!(matches!(err, SmsError::InvalidReceiver), "{err}");
}

#[tokio::test]
async fn without_ovh_settings_sending_fails() {
    let err = sms(&[]).send("+33612345678", "hello").await.unwrap_err();
    assert!(matches!(err, SmsError::Disabled));
}
