//! Turning stored column values back into domain values.
//!
//! Rows are decoded by sqlx into plain strings and integers first (the same
//! row structs serve both backends); this module parses those into ids,
//! states and unsigned numbers, and reports a value that does not parse as
//! [`StoreError::Corrupt`] naming the table, column and tenant.

use std::str::FromStr;

use chrono::{DateTime, SubsecRound, Utc};

use octo_ids::TenantId;

use crate::error::StoreError;

/// Where a value came from, for [`StoreError::Corrupt`] messages.
#[derive(Clone, Copy)]
pub(crate) struct Origin<'a> {
    /// The table, e.g. `entities`.
    pub table: &'static str,
    /// The raw tenant id of the row, for context.
    pub tenant_id: &'a str,
}

impl Origin<'_> {
    fn what(&self, column: &str, value: &str) -> String {
        format!(
            "column {column} = '{value}' in table {} (tenant '{}')",
            self.table, self.tenant_id
        )
    }

    /// Parses any id type (or other `FromStr` value) from `value`.
    pub fn parse<T>(&self, column: &str, value: &str) -> Result<T, StoreError>
    where
        T: FromStr,
        T::Err: ToString,
    {
        value
            .parse()
            .map_err(|err: T::Err| StoreError::corrupt(self.what(column, value), err))
    }

    /// The row's tenant id.
    pub fn tenant(&self) -> Result<TenantId, StoreError> {
        self.parse("tenant_id", self.tenant_id)
    }

    /// A non-negative integer column as `u64`.
    pub fn unsigned(&self, column: &str, value: i64) -> Result<u64, StoreError> {
        u64::try_from(value).map_err(|_| {
            StoreError::corrupt(self.what(column, &value.to_string()), "it is negative")
        })
    }

    /// A non-negative integer column as `u32`.
    pub fn unsigned32(&self, column: &str, value: i64) -> Result<u32, StoreError> {
        u32::try_from(value).map_err(|_| {
            StoreError::corrupt(
                self.what(column, &value.to_string()),
                "it is not between 0 and 4294967295",
            )
        })
    }
}

/// An unsigned number as the signed 64-bit integer the databases store.
/// Values above `i64::MAX` cannot occur for versions and counters in
/// practice; they saturate rather than wrap so ordering stays right.
pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The current time at the precision both backends store (microseconds), so
/// a value returned to the caller equals the value read back later.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
