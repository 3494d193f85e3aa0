//! The console's static files, embedded in the binary: htmx and its SSE
//! extension (vendored, 0BSD), the stylesheet and the console's script.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const FILES: [(&str, &str, &[u8]); 5] = [
    (
        "htmx.min.js",
        "text/javascript",
        include_bytes!("../../assets/htmx.min.js"),
    ),
    (
        "sse.js",
        "text/javascript",
        include_bytes!("../../assets/sse.js"),
    ),
    (
        "vigil.js",
        "text/javascript",
        include_bytes!("../../assets/vigil.js"),
    ),
    (
        "vigil.css",
        "text/css",
        include_bytes!("../../assets/vigil.css"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_bytes!("../../assets/icon.svg"),
    ),
];

pub async fn serve(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == file) {
        Some((_, mime, body)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}
