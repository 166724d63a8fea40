//! Database URLs: which backend a URL selects, and [`redact`] so a URL can be
//! shown in a message without its password.

use crate::error::StoreError;

/// The backend a URL selects, with the URL as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DatabaseUrl<'a> {
    /// `sqlite://path`, `sqlite:path` or `sqlite::memory:`.
    Sqlite(&'a str),
    /// `postgres://…` or `postgresql://…`.
    Postgres(&'a str),
}

const EXPECTED: &str = "expected sqlite://<path> (e.g. sqlite://data/octomesh.db), \
     sqlite::memory: or postgres://<user>@<host>:<port>/<database>";

/// Picks the backend by the URL's scheme (case-insensitively).
pub(crate) fn classify(url: &str) -> Result<DatabaseUrl<'_>, StoreError> {
    let scheme = url
        .split_once(':')
        .map(|(scheme, _)| scheme.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("sqlite") => Ok(DatabaseUrl::Sqlite(url)),
        Some("postgres" | "postgresql") => Ok(DatabaseUrl::Postgres(url)),
        Some(other) if !other.is_empty() && !other.contains('/') => Err(invalid(
            url,
            format!("the scheme '{other}:' is not supported; {EXPECTED}"),
        )),
        _ => Err(invalid(url, format!("it has no scheme; {EXPECTED}"))),
    }
}

/// Checks that `url` names a backend this crate has, without connecting: lets a caller reject a
/// bad URL at configuration time with the same message [`crate::open`] would give.
///
/// # Errors
/// [`StoreError::InvalidUrl`] (with the password redacted) for an unsupported scheme.
pub fn check(url: &str) -> Result<(), StoreError> {
    classify(url).map(|_| ())
}

/// A [`StoreError::InvalidUrl`] showing the redacted URL.
pub(crate) fn invalid(url: &str, reason: impl Into<String>) -> StoreError {
    StoreError::InvalidUrl {
        url: redact(url),
        reason: reason.into(),
    }
}

/// The URL with its password, if any, replaced by `***`: both the one in the
/// user info (`postgres://user:secret@host`) and a `password=` query parameter.
#[must_use]
pub fn redact(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (url, None),
    };
    let mut out = match head.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            let authority = match authority.rsplit_once('@') {
                Some((user_info, host)) => match user_info.split_once(':') {
                    Some((user, _password)) => format!("{user}:***@{host}"),
                    None => authority.to_owned(),
                },
                None => authority.to_owned(),
            };
            format!("{scheme}://{authority}{path}")
        }
        None => head.to_owned(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => param.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_backend_by_scheme() {
        assert_eq!(
            classify("sqlite://data/x.db").ok(),
            Some(DatabaseUrl::Sqlite("sqlite://data/x.db"))
        );
        assert_eq!(
            classify("sqlite::memory:").ok(),
            Some(DatabaseUrl::Sqlite("sqlite::memory:"))
        );
        assert_eq!(
            classify("postgres://h/db").ok(),
            Some(DatabaseUrl::Postgres("postgres://h/db"))
        );
        assert_eq!(
            classify("PostgreSQL://h/db").ok(),
            Some(DatabaseUrl::Postgres("PostgreSQL://h/db"))
        );
    }

    #[test]
    fn rejects_other_schemes_without_showing_the_password() {
        let msg = classify("mysql://root:hunter2@localhost/db")
            .expect_err("mysql")
            .to_string();
        assert_eq!(
            msg,
            format!(
                "The database URL 'mysql://root:***@localhost/db' is not usable: the scheme \
                 'mysql:' is not supported; {EXPECTED}"
            )
        );
        let msg = classify("data/octo.db").expect_err("no scheme").to_string();
        assert!(msg.contains("it has no scheme"), "{msg}");
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://octo:s3cr@t@db:5432/octo?sslmode=require&password=x"),
            "postgres://octo:***@db:5432/octo?sslmode=require&password=***"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1:5432/postgres"),
            "postgres://postgres@127.0.0.1:5432/postgres"
        );
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
        assert_eq!(redact("sqlite::memory:"), "sqlite::memory:");
    }
}
