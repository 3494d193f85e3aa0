//! The OpenAPI document describes the routes the server really has.

use super::{Backend, TestApp};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn openapi_document_matches_the_router() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (s, doc) = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{doc}"
    );
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        for method in ["get", "put", "post", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            operations += 1;
            let concrete = path
                .replace("{team}", "payments")
                .replace("{rota}", "payments-weekly")
                .replace("{layer}", "primary")
                .replace("{handle}", "alice")
                .replace("{id}", "x")
                .replace("{token}", "x")
                .replace("{key}", "x")
                .replace("{action}", "ack");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let (s, v) = app.call(m, &concrete, None, None).await;
            // Not the fallback: a real handler answers (401 without a token, or
            // 404 for an unknown feed).
            assert_ne!(
                v["error"]["message"], "route not found",
                "{method} {path} is documented but not routed"
            );
            // A body-taking intake refuses the missing JSON body first (415).
            assert!(
                s == StatusCode::UNAUTHORIZED
                    || path.starts_with("/ics/")
                    || (path == "/api/v1/alerts" && s == StatusCode::UNSUPPORTED_MEDIA_TYPE),
                "{method} {path}: {s}"
            );
        }
    }
    assert_eq!(operations, 48, "every operation is documented");
    let page = app
        .http
        .get(format!("{}/api/v1/docs/", app.base))
        .send()
        .await
        .expect("docs");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text().await.unwrap_or_default().contains("swagger"),
        "the interactive docs page"
    );
    app.stop().await;
}
