//! The one error type of domain operations: what went wrong, in terms an
//! interface can show (the JSON API maps it to a status and its error body;
//! the console to a message). Store failures keep their cause for the log.

use super::LoadError;
use super::ladders::{Dangling, PlanError};
use crate::rota::checks::Violation;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// "rota payments/x", "person zed", …
    #[error("{0} not found")]
    NotFound(String),
    /// A field is invalid; `details` lists every problem when there are several.
    #[error("{field}: {message}")]
    Invalid {
        field: String,
        message: String,
        details: Vec<(String, String)>,
    },
    #[error("{0}")]
    Forbidden(String),
    /// A stale version, a state that moved on, a name taken.
    #[error("{0}")]
    Conflict(String),
    /// A write that needs the version it replaces (`If-Match`).
    #[error("{0}")]
    PreconditionRequired(String),
    /// Hard rota rules the write would break (all violations found).
    #[error("{message}")]
    Rules {
        message: String,
        violations: Vec<Violation>,
    },
    /// Services whose ladders would name something gone.
    #[error("{message}")]
    Dangling {
        message: String,
        services: Vec<Dangling>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Load(#[from] LoadError),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
            details: Vec::new(),
        }
    }
    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound(what.into())
    }
}

impl From<PlanError> for Error {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::Replacement(m) => Error::invalid("replace_with", m),
            PlanError::Load(l) => Error::Load(l),
        }
    }
}

impl From<crate::escalation::Invalid> for Error {
    fn from(e: crate::escalation::Invalid) -> Self {
        Error::invalid(e.field, e.message)
    }
}
