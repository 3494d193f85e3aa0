//! One error type for the API: a status and a JSON body
//! `{"error":{"code","message","field"}}`. 5xx bodies say nothing internal;
//! the cause is logged. A custom JSON extractor makes malformed and oversized
//! bodies answer in the same format.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// Extra detail for 422s: the violations found.
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            details: None,
        }
    }
    pub fn field(mut self, f: impl Into<String>) -> Self {
        self.field = Some(f.into());
        self
    }
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", m)
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid bearer token is required",
        )
    }
    pub fn forbidden(m: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", m)
    }
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{} not found", what.into()),
        )
    }
    pub fn conflict(m: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", m)
    }
    pub fn invalid(field: impl Into<String>, m: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m).field(field)
    }
    /// A query parameter's 422 as the 400 the query string gets.
    pub fn into_bad_request(mut self) -> Self {
        if self.status == StatusCode::UNPROCESSABLE_ENTITY {
            self.status = StatusCode::BAD_REQUEST;
            self.code = "bad_request";
        }
        self
    }
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Conflict(m) => ApiError::conflict(m),
            e if e.is_unavailable() => {
                tracing::warn!(error = %e, "answered 503: the database refuses writes for now");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the database is not taking writes right now; retry shortly",
                )
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<crate::engine::error::Error> for ApiError {
    fn from(e: crate::engine::error::Error) -> Self {
        use crate::engine::error::Error as E;
        match e {
            E::NotFound(w) => ApiError::not_found(w),
            E::Invalid {
                field,
                message,
                details,
            } => {
                let mut e = ApiError::invalid(field, message);
                if details.len() > 1 {
                    e.details = Some(json!(
                        details
                            .iter()
                            .map(|(f, m)| json!({ "field": f, "message": m }))
                            .collect::<Vec<_>>()
                    ));
                }
                e
            }
            E::Forbidden(m) => ApiError::forbidden(m),
            E::Conflict(m) => ApiError::conflict(m),
            E::PreconditionRequired(m) => ApiError::new(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
                m,
            )
            .field("If-Match"),
            E::Rules {
                message,
                violations,
            } => {
                let mut e =
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "rule_violation", message);
                e.details = Some(super::rotas::violations_json(&violations));
                e
            }
            E::Dangling { message, services } => {
                let mut e = ApiError::conflict(message);
                e.details = Some(json!(services));
                e
            }
            E::Store(s) => s.into(),
            E::Load(l) => l.into(),
        }
    }
}

impl From<crate::engine::LoadError> for ApiError {
    fn from(e: crate::engine::LoadError) -> Self {
        match e {
            crate::engine::LoadError::Store(s) => s.into(),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body =
            json!({ "error": { "code": self.code, "message": self.message, "field": self.field } });
        if let Some(d) = self.details {
            body["error"]["details"] = d;
        }
        let mut r = (self.status, Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(super::intake::RETRY_AFTER_SECS),
            );
        }
        r
    }
}

/// `Json<T>` whose rejections are `ApiError`s.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::JsonDataError(e) => {
            // serde's message names the path, e.g. "timezone: invalid type…".
            let text = e.body_text();
            let field = text
                .split(": ")
                .nth(1)
                .filter(|f| !f.contains(' '))
                .map(str::to_string);
            let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", text);
            err.field = field;
            err
        }
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::bad_request(format!("malformed JSON: {}", e.body_text()))
        }
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send Content-Type: application/json",
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the request body is too large",
        ),
        other => ApiError::bad_request(other.body_text()),
    }
}

/// Every 4xx and 5xx answer in the one JSON shape, whoever produced it: a
/// query string axum could not read, a 405, a 413 from the body limit on a
/// route that reads raw bytes, a body that timed out. Answers that are
/// already JSON, or HTML pages and TwiML meant for people and Twilio, pass
/// through unchanged.
pub async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use axum::http::header;
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let ct = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if [
        "application/json",
        "text/html",
        "text/xml",
        "application/xml",
    ]
    .iter()
    .any(|t| ct.starts_with(t))
    {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_string();
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = if status.is_server_error() {
        "internal error".to_string()
    } else if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let mut out = ApiError::new(status, code, message).into_response();
    // Keep what tells a client how to go on (Allow, Retry-After, …).
    for (k, v) in parts.headers.iter() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}
