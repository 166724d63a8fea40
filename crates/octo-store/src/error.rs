//! The crate's single error type, [`StoreError`].
//!
//! Messages are read by a person (or a model) in an AI chat, so each one says
//! what failed and, where there is one, what to do next. They never contain a
//! password: URLs are redacted before they reach an error (see
//! [`crate::url::redact`]).

use thiserror::Error;
use uuid::Uuid;

use octo_ids::TenantId;

use crate::job::JobState;
use crate::store::Backend;

/// Why a storage operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// [`crate::Store::create_tenant`] with an id that is taken.
    #[error(
        "Tenant '{tenant_id}' already exists; pick another id or delete the existing tenant first."
    )]
    TenantExists {
        /// The taken id.
        tenant_id: TenantId,
    },
    /// Something the operation needs does not exist, e.g. the tenant an
    /// entity is written to.
    #[error("{what} does not exist.")]
    NotFound {
        /// What is missing, e.g. `Tenant 'meshtest'`.
        what: String,
    },
    /// A write would create a second copy of something unique.
    #[error("{what} already exists.")]
    Duplicate {
        /// What is already there, e.g. `Entity 507f… in tenant 'meshtest'`.
        what: String,
    },
    /// [`crate::Store::complete_job`] on a job that already has an outcome.
    #[error("Import job {job_id} has already finished ({state}); its outcome was not changed.")]
    JobFinished {
        /// The job.
        job_id: Uuid,
        /// Its final state.
        state: JobState,
    },
    /// The database URL cannot be used.
    #[error("The database URL '{url}' is not usable: {reason}")]
    InvalidUrl {
        /// The URL with any password replaced by `***`.
        url: String,
        /// What is wrong with it and what a valid one looks like.
        reason: String,
    },
    /// The database server or file cannot be reached or opened.
    #[error("{}", unavailable_message(*backend, location, cause))]
    Unavailable {
        /// Which kind of database.
        backend: Backend,
        /// `host:port` for PostgreSQL, the file path for SQLite.
        location: String,
        /// The underlying failure, e.g. `connection refused`.
        cause: String,
    },
    /// Bringing the schema up to date failed.
    #[error("Could not migrate the {backend} schema at {location}: {cause}")]
    Migration {
        /// Which kind of database.
        backend: Backend,
        /// `host:port/database` for PostgreSQL, the file path for SQLite.
        location: String,
        /// The underlying failure.
        cause: String,
    },
    /// Any other database failure.
    #[error("Database error while trying to {operation}: {cause}")]
    Database {
        /// What was being done, e.g. `update entity 507f… in tenant 'meshtest'`.
        operation: String,
        /// The database's own message.
        cause: String,
    },
    /// An entity query, aggregation or index request cannot be run as
    /// given, e.g. an attribute key with characters other than letters,
    /// digits and `_`, an operator that does not apply to the attribute's
    /// kind, or a filter value of the wrong JSON type.
    #[error("The query cannot be run: {reason}")]
    #[non_exhaustive]
    InvalidQuery {
        /// What is wrong, naming the attribute, and what would work instead.
        reason: String,
    },
    /// A stored value does not parse, e.g. an entity id that is not 24 hex
    /// characters. The data was changed outside this server.
    #[error(
        "Stored data is corrupt: {what} ({reason}). It was probably changed outside this \
         server; fix or delete the row."
    )]
    Corrupt {
        /// Which value, e.g. `rt_id of an entity in tenant 'meshtest'`.
        what: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A [`crate::SnapshotSink`] or [`crate::SnapshotSource`] gave up (its
    /// file failed, a checksum did not match); nothing was written.
    #[error("{reason}")]
    Aborted {
        /// Why, as the caller's own message.
        reason: String,
    },
}

fn unavailable_message(backend: Backend, location: &str, cause: &str) -> String {
    match backend {
        Backend::Postgres => format!(
            "PostgreSQL at {location} is not reachable ({cause}). Start it (e.g. \
             `pg_ctlcluster 15 main start`) or set OCTO_DATABASE_URL to a reachable server."
        ),
        Backend::Sqlite => format!(
            "The SQLite database {location} cannot be opened ({cause}). Check that its folder \
             exists and is writable, or set OCTO_DATABASE_URL to another sqlite:// path."
        ),
    }
}

impl StoreError {
    /// A [`StoreError::NotFound`] for a tenant.
    pub(crate) fn tenant_not_found(tenant_id: &TenantId) -> Self {
        Self::NotFound {
            what: format!("Tenant '{tenant_id}'"),
        }
    }

    /// A [`StoreError::InvalidQuery`].
    pub(crate) fn invalid_query(reason: impl Into<String>) -> Self {
        Self::InvalidQuery {
            reason: reason.into(),
        }
    }

    /// A [`StoreError::Corrupt`].
    pub(crate) fn corrupt(what: impl Into<String>, reason: impl ToString) -> Self {
        Self::Corrupt {
            what: what.into(),
            reason: reason.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_unavailable_says_how_to_start_it() {
        let err = StoreError::Unavailable {
            backend: Backend::Postgres,
            location: "127.0.0.1:5432".to_owned(),
            cause: "connection refused".to_owned(),
        };
        assert_eq!(
            err.to_string(),
            "PostgreSQL at 127.0.0.1:5432 is not reachable (connection refused). Start it (e.g. \
             `pg_ctlcluster 15 main start`) or set OCTO_DATABASE_URL to a reachable server."
        );
    }
}
