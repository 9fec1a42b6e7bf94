use crate::helpers::TestApp;

#[tokio::test]
async fn ping_answers_pong_as_text() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/ping").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(response.text().await.unwrap(), "pong");
}

#[tokio::test]
async fn unknown_routes_answer_json_404() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/nothing/here").send().await.unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"message": "Not Found"}));
}
