//! The store's error type. Callers match on the variants that mean something to a user
//! (conflict, not initialised, unavailable); everything else is an internal error.

use thiserror::Error;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{what} {value:?} already exists")]
    Conflict { what: &'static str, value: String },
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    Invalid(String),
    #[error("the object changed since it was read (now at version {current})")]
    VersionMismatch { current: i64 },
    #[error("an administrator already exists")]
    AlreadyInitialised,
    #[error("{0}")]
    UnsupportedBackend(String),
    #[error("cannot open the database {location}: {reason}")]
    Open { location: String, reason: String },
    #[error("the database schema could not be migrated: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}
