//! Bearer tokens and roles. A token is 32 random bytes shown once; the
//! database keeps only its SHA-256, so a leaked database reveals no token.
//! The hash is looked up by index and then compared in constant time.

use super::error::ApiError;
use super::state::AppState;
use crate::engine::directory;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    Admin,
    Lead(Vec<String>),
    Responder,
}

/// Who is calling.
#[derive(Debug, Clone)]
pub struct Principal {
    pub token_id: String,
    pub role: Role,
    pub person: Option<String>,
    /// The store's change counter when the request was authenticated.
    pub generation: i64,
}

impl Principal {
    pub fn actor(&self) -> String {
        match &self.person {
            Some(p) => format!("{p} ({})", self.token_id),
            None => self.token_id.clone(),
        }
    }
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
    pub fn leads(&self, team: &str) -> bool {
        match &self.role {
            Role::Admin => true,
            Role::Lead(teams) => teams.iter().any(|t| t == team),
            Role::Responder => false,
        }
    }
    pub fn is(&self, person: &str) -> bool {
        self.person.as_deref() == Some(person)
    }
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden("only an admin may do this"))
        }
    }
    pub fn require_lead(&self, team: &str) -> Result<(), ApiError> {
        if self.leads(team) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "only a lead of team {team} or an admin may do this"
            )))
        }
    }
}

pub use crate::ids::{hash, hex, new_id, new_secret, redact};

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        // RFC 9110 §11.1: the scheme name is case-insensitive.
        let secret = header
            .and_then(|h| h.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::unauthorized)?;
        let (row, generation) = directory::authenticate(&state.store, &state.tokens, secret)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        let role = match row.role.as_str() {
            "admin" => Role::Admin,
            "lead" => Role::Lead(row.teams.clone()),
            _ => Role::Responder,
        };
        Ok(Principal {
            token_id: row.id,
            role,
            person: row.person,
            generation,
        })
    }
}

/// No `Authorization` header: `None`; a header with a bad token: 401.
impl axum::extract::OptionalFromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        if parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .is_none()
        {
            return Ok(None);
        }
        <Principal as FromRequestParts<AppState>>::from_request_parts(parts, state)
            .await
            .map(Some)
    }
}
