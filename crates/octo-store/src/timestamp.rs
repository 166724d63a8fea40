//! [`SqlTime`], how a timestamp is bound as a query parameter.
//!
//! PostgreSQL gets a native `TIMESTAMPTZ` (microsecond precision). SQLite has
//! no time type, so it gets fixed-width UTC text,
//! `2024-05-01T12:00:00.000000Z`: with every value the same width, comparing
//! and sorting the text (`started_at < ?`, `ORDER BY created_at`) is comparing
//! and sorting the times. sqlx's own SQLite encoding drops trailing zero
//! digits, which would make that argument subtle. Both are read back as
//! `DateTime<Utc>` by sqlx's decoders.

use chrono::{DateTime, SubsecRound, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Encode, Postgres, Sqlite, Type};

/// A timestamp as a query parameter, truncated to microseconds (what both
/// backends keep).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SqlTime(DateTime<Utc>);

impl From<DateTime<Utc>> for SqlTime {
    fn from(time: DateTime<Utc>) -> Self {
        Self(time.trunc_subsecs(6))
    }
}

/// The SQLite text form; `%.6f` always writes six digits.
const SQLITE_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

impl Type<Sqlite> for SqlTime {
    fn type_info() -> <Sqlite as Database>::TypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
}

impl<'q> Encode<'q, Sqlite> for SqlTime {
    fn encode_by_ref(
        &self,
        buf: &mut <Sqlite as Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Sqlite>>::encode(self.0.format(SQLITE_FORMAT).to_string(), buf)
    }
}

impl Type<Postgres> for SqlTime {
    fn type_info() -> <Postgres as Database>::TypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }
}

impl<'q> Encode<'q, Postgres> for SqlTime {
    fn encode_by_ref(
        &self,
        buf: &mut <Postgres as Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<'q, Postgres>>::encode_by_ref(&self.0, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_text_is_fixed_width_and_truncated_to_microseconds() {
        let time = DateTime::parse_from_rfc3339("2024-05-01T12:00:00.123456789Z")
            .expect("valid")
            .with_timezone(&Utc);
        let SqlTime(truncated) = SqlTime::from(time);
        assert_eq!(
            truncated.format(SQLITE_FORMAT).to_string(),
            "2024-05-01T12:00:00.123456Z"
        );
        let whole = SqlTime::from(time.trunc_subsecs(0)).0;
        assert_eq!(
            whole.format(SQLITE_FORMAT).to_string(),
            "2024-05-01T12:00:00.000000Z"
        );
    }
}
