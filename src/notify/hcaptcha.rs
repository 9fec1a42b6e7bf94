//! Server-side hCaptcha verification: the form's `h-captcha-response` is
//! posted with the secret to hCaptcha's siteverify URL
//! (`HCAPTCHA_VERIFY_URL`, so tests use a fake), whose JSON `success` says
//! whether a person solved it.

use std::time::Duration;

use crate::config::HcaptchaConfig;

const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum CaptchaError {
    #[error("the captcha was not solved")]
    Refused,
    #[error("the captcha service could not be reached: {0}")]
    Unreachable(String),
}

/// Asks hCaptcha whether `response` (the widget's answer) is a solved
/// captcha for our site key.
pub async fn verify(config: &HcaptchaConfig, response: &str) -> Result<(), CaptchaError> {
    if response.is_empty() {
        return Err(CaptchaError::Refused);
    }
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| CaptchaError::Unreachable(e.to_string()))?;
    let answer = client
        .post(&config.verify_url)
        .form(&[
            ("secret", config.secret.expose()),
            ("response", response),
            ("sitekey", config.site_key.as_str()),
        ])
        .send()
        .await
        .map_err(|e| CaptchaError::Unreachable(e.without_url().to_string()))?;
    if !answer.status().is_success() {
        return Err(CaptchaError::Unreachable(format!(
            "siteverify answered {}",
            answer.status()
        )));
    }
    let body: serde_json::Value = answer
        .json()
        .await
        .map_err(|e| CaptchaError::Unreachable(e.without_url().to_string()))?;
    if body.get("success").and_then(serde_json::Value::as_bool) == Some(true) {
        Ok(())
    } else {
        Err(CaptchaError::Refused)
    }
}
