//! The panel's "Log in a device" page: the QR code of a fresh auth token
//! attached to the logged-in account, which provisions another device once.

use base64::Engine;

use super::Browser;
use crate::helpers::TestApp;

/// The `src` of the page's QR image, decoded from PNG to its text.
fn qr_text(body: &str) -> String {
    let start = body
        .find("src=\"data:image/png;base64,")
        .expect("an inline QR code")
        + "src=\"data:image/png;base64,".len();
    let end = start + body[start..].find('"').unwrap();
    let base64 = body[start..end]
        .replace("&#x2f;", "/")
        .replace("&#43;", "+")
        .replace("&#x3d;", "=");
    let png = base64::engine::general_purpose::STANDARD
        .decode(base64)
        .unwrap();
    let image = image::load_from_memory(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        image.width() as usize,
        image.height() as usize,
        |x, y| image.get_pixel(x as u32, y as u32).0[0],
    );
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn the_qr_code_provisions_another_device_once() {
    let app = TestApp::spawn().await;
    let account = app.account("panel_qr", "SHA-256", false).await;
    let mut browser = Browser::new(&app);

    // Logged out: sent to the login page.
    let page = browser.get("/account/qrcode").await;
    assert_eq!(page.status, 303);

    browser.login_as(&account).await;
    let page = browser.get("/account/qrcode").await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("data:image/png"),
        "no token before asking"
    );
    assert_eq!(app.count("auth_tokens").await, 0);

    let page = browser
        .submit("/account/qrcode", "/account/qrcode", &[])
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let link = qr_text(&page.body);
    let prefix = format!("{}/provisioning/auth_token/", app.base);
    assert!(link.starts_with(&prefix), "{link}");
    assert!(page.body.contains(&link));

    // A second code replaces the first.
    let page = browser
        .submit("/account/qrcode", "/account/qrcode", &[])
        .await;
    let second = qr_text(&page.body);
    assert_ne!(second, link);
    assert_eq!(app.count("auth_tokens").await, 1);
    let first = reqwest::get(&link).await.unwrap();
    assert_eq!(first.status(), 404);

    let provisioned = reqwest::get(&second).await.unwrap();
    assert_eq!(provisioned.status(), 200);
    let xml = provisioned.text().await.unwrap();
    assert!(xml.contains("sip:panel_qr@sip.example.org"), "{xml}");
    assert_eq!(
        reqwest::get(&second).await.unwrap().status(),
        404,
        "used once"
    );
}

#[tokio::test]
async fn making_a_code_needs_the_csrf_token() {
    let app = TestApp::spawn().await;
    let account = app.account("panel_qr_csrf", "SHA-256", false).await;
    let mut browser = Browser::new(&app);
    browser.login_as(&account).await;
    let page = browser
        .post("/account/qrcode", &[("_token", "forged")])
        .await;
    assert_eq!(page.status, 403);
    let page = browser.post("/account/qrcode", &[]).await;
    assert_eq!(page.status, 403);
    assert_eq!(app.count("auth_tokens").await, 0);
}
