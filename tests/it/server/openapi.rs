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
    // The document and the router list the same operations.
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in paths {
        for method in ["get", "put", "post", "delete"] {
            if item.get(method).is_some() {
                documented.push((method.to_string(), path.clone()));
            }
        }
    }
    let mut routed: Vec<(String, String)> = vigil::api::route_table()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p))
        .collect();
    documented.sort();
    routed.sort();
    let missing: Vec<_> = routed.iter().filter(|r| !documented.contains(r)).collect();
    let extra: Vec<_> = documented.iter().filter(|d| !routed.contains(d)).collect();
    assert!(missing.is_empty(), "routed but not documented: {missing:?}");
    assert!(extra.is_empty(), "documented but not routed: {extra:?}");
    assert!(routed.len() >= 59, "{} operations", routed.len());
    for (method, path) in &documented {
        let op = &paths[path][method];
        let codes: Vec<&String> = op["responses"]
            .as_object()
            .expect("responses")
            .keys()
            .collect();
        // Every operation says what its failures look like.
        assert!(
            codes.iter().any(|c| c.as_str() == "500"),
            "{method} {path}: {codes:?}"
        );
        if op.get("security").is_some() {
            assert!(
                codes.iter().any(|c| c.as_str() == "401"),
                "{method} {path}: {codes:?}"
            );
        }
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
        // Not the fallback: a real handler answers, with a status the
        // document lists for it.
        assert_ne!(
            v["error"]["message"], "route not found",
            "{method} {path} is documented but not routed"
        );
        assert!(
            codes.iter().any(|c| c.as_str() == s.as_str()),
            "{method} {path} answered {s}, which its document does not list: {codes:?}"
        );
    }
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
