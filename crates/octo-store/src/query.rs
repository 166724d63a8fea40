//! Entity queries and aggregations, run entirely in the database:
//! [`EntityQuery`] for [`crate::Store::query_entities`], [`AggregationQuery`]
//! for [`crate::Store::aggregate_entities`], and the [`PathRef`]s that
//! [`crate::Store::ensure_attribute_index`] indexes.
//!
//! The caller has already resolved every attribute path against the
//! Construction Kit type and says which [`ValueKind`] it holds; the store
//! turns the request into one SQL statement (two for a page: the count and
//! the rows) with bound parameters. Nothing is loaded into memory to filter,
//! sort, count or aggregate.
//!
//! # Attribute paths
//!
//! [`AttributePath::Attribute`] lists JSON keys from the top of the
//! entity's `attributes` object, e.g. `["NamePlate", "ManufacturerName"]`
//! for a record attribute. Every key must match `^[A-Za-z_][A-Za-z0-9_]*$`
//! (at most 16 keys); anything else is [`StoreError::InvalidQuery`]. Keys
//! are written into the SQL as literals only after that check, so that the
//! expressions of a query are the very expressions of the indexes
//! [`crate::Store::ensure_attribute_index`] creates (a bound parameter in
//! the path would stop the planner from using them).
//!
//! [`AttributePath::System`] names a column of the entity itself. System
//! attributes have a fixed kind, which wins over the [`PathRef::kind`] the
//! caller passes: `rtId`, `ckTypeId`, `rtWellKnownName` are
//! [`ValueKind::String`], `rtVersion` and `rtState` [`ValueKind::Integer`],
//! `rtCreationDateTime` and `rtChangedDateTime` [`ValueKind::DateTime`].
//!
//! # Values and comparisons by kind
//!
//! - [`ValueKind::String`]: compared as text, byte-wise (code point order,
//!   PostgreSQL's `"C"` collation), the same on both backends. Filter values
//!   must be JSON strings.
//! - [`ValueKind::Integer`], [`ValueKind::Double`]: compared numerically
//!   (PostgreSQL `numeric`, SQLite's integers and reals). Filter values must
//!   be JSON numbers; a fractional number for an Integer attribute is
//!   allowed and compares numerically (`> 2.5`). A stored value that is not
//!   a JSON number counts as null.
//! - [`ValueKind::Boolean`]: equality (and `In`) only; filter values must be
//!   JSON booleans. A stored value that is not a JSON boolean counts as null.
//! - [`ValueKind::DateTime`]: attributes are stored as fixed-width UTC text
//!   (`2024-05-01T12:00:00.000000Z`), so comparing the text compares the
//!   times. Filter values must be RFC 3339 strings with any offset (e.g.
//!   `2024-05-01T14:00:00+02:00`); they are converted to that UTC form
//!   (truncated to microseconds) before comparing, so equality works for
//!   any spelling of the same instant.
//! - [`ValueKind::StringArray`], [`ValueKind::IntegerArray`]: `AnyEq` (and
//!   `AnyLike` for strings) look into the elements; `Equals` compares the
//!   whole array as JSON.
//! - [`ValueKind::Json`] (records, binaries, anything else): `Equals`,
//!   `NotEquals`, `IsNull`, `IsNotNull` only. Equality compares JSON
//!   values: on PostgreSQL semantically (JSONB: object key order and `1.0`
//!   vs `1` do not matter); on SQLite as minified JSON text, where they do.
//!
//! # Nulls
//!
//! An attribute that is absent, or present with the JSON value `null`, is
//! null. Following SQL, a null attribute matches no comparison: not
//! `Equals`, and also not `NotEquals` or `NotIn` (so `NotEquals "x"` means
//! "has a value, and it is not `x`"; add `Or IsNull` for the others). Only
//! `IsNull` matches it. `Equals` / `NotEquals` with a missing or JSON `null`
//! value are `IsNull` / `IsNotNull`.
//!
//! # Operators
//!
//! | Operator | Kinds | Matches when the attribute … |
//! |---|---|---|
//! | `Equals`, `NotEquals` | all | equals / differs from `value` |
//! | `GreaterThan`, `GreaterThanOrEqual`, `LessThan`, `LessThanOrEqual` | String, Integer, Double, DateTime | compares so with `value` |
//! | `Between` | String, Integer, Double, DateTime | lies in `value ..= second_value` (inclusive; nothing if `value > second_value`) |
//! | `In`, `NotIn` | String, Integer, Double, DateTime, Boolean | is / is not one of the JSON array `value` (at most 1000 elements, no nulls); `In []` matches nothing, `NotIn []` every non-null value |
//! | `IsNull`, `IsNotNull` | all | is absent or JSON null / is not (`value` is ignored) |
//! | `Contains`, `StartsWith`, `EndsWith` | String | contains / starts with / ends with `value`, case-sensitive; `%`, `_` and `\` in `value` are plain characters |
//! | `Like` | String | matches the SQL LIKE pattern `value` (`%` any run, `_` one character, `\` escapes the next character), case-insensitive for ASCII letters |
//! | `Regex` | String | matches the regular expression `value` anywhere (PostgreSQL: POSIX `~`; SQLite: Rust `regex` syntax), case-sensitive; an invalid pattern is [`StoreError::InvalidQuery`] |
//! | `AnyEq` | StringArray, IntegerArray | is an array with an element equal to `value` |
//! | `AnyLike` | StringArray | is an array with a string element matching the LIKE pattern `value` |
//!
//! [`FilterExpr::And`] of no filters matches everything, [`FilterExpr::Or`]
//! of none matches nothing. Filters nest at most 16 levels deep.
//!
//! # Sorting and paging
//!
//! [`EntityQuery::sort`] keys apply in order (String, Integer, Double,
//! DateTime, Boolean kinds; `false` before `true`), then `rtId` ascending as
//! a tie-breaker, so pages are stable. Null values sort last ascending and
//! first descending (PostgreSQL's default, made explicit on SQLite).
//! [`EntityPage::total_count`] is the number of matches before `limit` and
//! `offset`; it is counted by a separate statement, so a concurrent write
//! between the two can make it differ from what the pages add up to.
//!
//! # Aggregations
//!
//! - `Count` without a field counts rows; with a field, the rows where the
//!   field is not null.
//! - `Sum`, `Avg`: Integer and Double fields. `Min`, `Max`: Integer, Double,
//!   String (byte-wise text order) and DateTime fields. Nulls are ignored.
//! - Results: counts and Integer sums, minima and maxima are JSON integers
//!   (an Integer sum that does not fit in 64 bits comes back as a JSON
//!   float); averages and everything of a Double field are JSON floats;
//!   String and DateTime minima and maxima are strings (DateTime in the
//!   fixed UTC form).
//! - Without `group_by` the result is exactly one row, also for an empty
//!   set: counts are then 0 and sum, avg, min and max are `null`.
//! - With `group_by` (String, Integer, Double, DateTime, Boolean fields)
//!   there is one row per distinct combination of group keys, ordered by
//!   the keys in order (nulls last); an empty set gives no rows. Entities
//!   where a group field is null form the `null` group. Every group is
//!   returned: group by fields with a bounded number of values.
//! - Row keys: each group-by path joined with `.` (system attributes by
//!   their camelCase name, e.g. `rtWellKnownName`), then each column's
//!   alias; a duplicate or empty key is [`StoreError::InvalidQuery`]. Group
//!   key values come back as JSON of their kind (numbers, booleans,
//!   strings, `null`).
//!
//! # Indexes
//!
//! [`crate::Store::ensure_attribute_index`] creates an index on
//! `(tenant_id, ck_type_id, <typed expressions>…, rt_id)`: PostgreSQL
//! `((attributes #>> '{a,b}') COLLATE "C")` for text, a `numeric` or
//! `boolean` expression for numbers and booleans; SQLite
//! `json_extract(attributes, '$.a.b')` (numbers and booleans wrapped in a
//! type check). Filters (`Equals`, comparisons, `Between`, `In`, and on
//! PostgreSQL `StartsWith`) and sorts on the indexed attributes can use it.
//! Its name, `entities_attr_<hash>`, is a hash of the indexed expressions.
//!
//! # Types
//!
//! [`EntityQuery::ck_type_ids`] and [`AggregationQuery::ck_type_ids`] are
//! the runtime type ids to search (a base type's query passes itself and
//! all derived types); an empty list means all types, as in
//! [`crate::Store::list_entities`]. Everything is restricted to the tenant.
//!
//! [`StoreError::InvalidQuery`]: crate::StoreError::InvalidQuery

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::entity::RtEntity;

/// A column of the entity itself, addressed by its camelCase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SystemAttribute {
    /// `rtId`, the entity's id (String).
    RtId,
    /// `ckTypeId`, the runtime type id `Model/Type` (String).
    CkTypeId,
    /// `rtWellKnownName`, the optional stable name (String).
    RtWellKnownName,
    /// `rtVersion`, the optimistic-locking version (Integer).
    RtVersion,
    /// `rtCreationDateTime` (DateTime).
    RtCreationDateTime,
    /// `rtChangedDateTime` (DateTime).
    RtChangedDateTime,
    /// `rtState`, 0 = active (Integer).
    RtState,
}

impl SystemAttribute {
    /// Every system attribute.
    pub const ALL: [Self; 7] = [
        Self::RtId,
        Self::CkTypeId,
        Self::RtWellKnownName,
        Self::RtVersion,
        Self::RtCreationDateTime,
        Self::RtChangedDateTime,
        Self::RtState,
    ];

    /// The camelCase name, e.g. `rtWellKnownName`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::RtId => "rtId",
            Self::CkTypeId => "ckTypeId",
            Self::RtWellKnownName => "rtWellKnownName",
            Self::RtVersion => "rtVersion",
            Self::RtCreationDateTime => "rtCreationDateTime",
            Self::RtChangedDateTime => "rtChangedDateTime",
            Self::RtState => "rtState",
        }
    }

    /// The kind of its values (which wins over the kind a [`PathRef`] says).
    #[must_use]
    pub fn kind(self) -> ValueKind {
        match self {
            Self::RtId | Self::CkTypeId | Self::RtWellKnownName => ValueKind::String,
            Self::RtVersion | Self::RtState => ValueKind::Integer,
            Self::RtCreationDateTime | Self::RtChangedDateTime => ValueKind::DateTime,
        }
    }
}

impl fmt::Display for SystemAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SystemAttribute {
    type Err = String;

    /// Parses the camelCase name, e.g. `rtId`.
    fn from_str(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|attribute| attribute.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|a| a.name()).collect();
                format!(
                    "'{name}' is not a system attribute; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// Where a value lives: a system column or a path into `attributes`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttributePath {
    /// A column of the entity.
    System(SystemAttribute),
    /// JSON keys from the top of `attributes`, e.g.
    /// `["NamePlate", "ManufacturerName"]`.
    Attribute(Vec<String>),
}

impl fmt::Display for AttributePath {
    /// The path as in aggregate rows: keys joined with `.`, system
    /// attributes by their camelCase name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::System(attribute) => f.write_str(attribute.name()),
            Self::Attribute(keys) => f.write_str(&keys.join(".")),
        }
    }
}

/// What kind of value an attribute holds, as the Construction Kit type
/// declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ValueKind {
    /// Text, also enums (stored as their value name).
    String,
    /// Int and Int64: JSON integers.
    Integer,
    /// JSON numbers.
    Double,
    /// JSON booleans.
    Boolean,
    /// DateTime and DateTimeOffset: fixed-width RFC 3339 UTC text.
    DateTime,
    /// A JSON array of strings.
    StringArray,
    /// A JSON array of integers.
    IntegerArray,
    /// Records, binaries, anything else: equality and null checks only.
    Json,
}

/// An attribute and the kind of its values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PathRef {
    /// Where the value lives.
    pub path: AttributePath,
    /// What it holds (ignored for system attributes, which have a fixed kind).
    pub kind: ValueKind,
}

impl PathRef {
    /// A path into `attributes`, e.g. `PathRef::attribute(["Name"], ValueKind::String)`.
    pub fn attribute<I, S>(keys: I, kind: ValueKind) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            path: AttributePath::Attribute(keys.into_iter().map(Into::into).collect()),
            kind,
        }
    }

    /// A system attribute, with its fixed kind.
    #[must_use]
    pub fn system(attribute: SystemAttribute) -> Self {
        Self {
            path: AttributePath::System(attribute),
            kind: attribute.kind(),
        }
    }

    /// The kind that applies: the fixed kind of a system attribute, else
    /// [`PathRef::kind`].
    #[must_use]
    pub fn effective_kind(&self) -> ValueKind {
        match &self.path {
            AttributePath::System(attribute) => attribute.kind(),
            AttributePath::Attribute(_) => self.kind,
        }
    }
}

/// How a [`FieldFilter`] compares; see the module documentation for which
/// kinds each one applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FilterOperator {
    /// Equal to `value` (`IsNull` when `value` is missing or null).
    Equals,
    /// Not null and different from `value` (`IsNotNull` when `value` is
    /// missing or null).
    NotEquals,
    /// Text containing `value`, case-sensitive.
    Contains,
    /// Text starting with `value`, case-sensitive.
    StartsWith,
    /// Text ending with `value`, case-sensitive.
    EndsWith,
    /// Greater than `value`.
    GreaterThan,
    /// Greater than or equal to `value`.
    GreaterThanOrEqual,
    /// Less than `value`.
    LessThan,
    /// Less than or equal to `value`.
    LessThanOrEqual,
    /// In `value ..= second_value`.
    Between,
    /// One of the JSON array `value`.
    In,
    /// Not null and none of the JSON array `value`.
    NotIn,
    /// Absent or JSON null.
    IsNull,
    /// Present and not JSON null.
    IsNotNull,
    /// Text matching the regular expression `value`.
    Regex,
    /// Text matching the LIKE pattern `value`, case-insensitive (ASCII).
    Like,
    /// An array with an element equal to `value`.
    AnyEq,
    /// An array with a string element matching the LIKE pattern `value`.
    AnyLike,
}

/// One condition on one attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldFilter {
    /// The attribute.
    pub field: PathRef,
    /// How to compare.
    pub operator: FilterOperator,
    /// The value to compare with (an array for `In` / `NotIn`, the lower
    /// bound for `Between`).
    #[serde(default)]
    pub value: Option<Value>,
    /// The upper bound for `Between`.
    #[serde(default)]
    pub second_value: Option<Value>,
}

/// Conditions combined with `And` / `Or`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FilterExpr {
    /// One condition.
    Field(FieldFilter),
    /// All of them (an empty list matches everything).
    And(Vec<FilterExpr>),
    /// Any of them (an empty list matches nothing).
    Or(Vec<FilterExpr>),
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SortDirection {
    /// Smallest first, nulls last.
    Asc,
    /// Largest first, nulls first.
    Desc,
}

/// One sort key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SortKey {
    /// The attribute to sort by.
    pub field: PathRef,
    /// Which way.
    pub direction: SortDirection,
}

/// A filtered, sorted page of entities; see the module documentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityQuery {
    /// Runtime type ids to search; empty means all types.
    pub ck_type_ids: Vec<String>,
    /// Which entities match; `None` matches all.
    pub filter: Option<FilterExpr>,
    /// Sort keys, then `rtId` ascending as a stable tie-breaker.
    pub sort: Vec<SortKey>,
    /// At most this many entities.
    pub limit: u32,
    /// Skip this many matches first.
    pub offset: u32,
}

/// One page of [`crate::Store::query_entities`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityPage {
    /// How many entities match, before `limit` and `offset`.
    pub total_count: u64,
    /// The page.
    pub entities: Vec<RtEntity>,
}

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AggregateFunction {
    /// Rows (no field) or non-null values of the field.
    Count,
    /// Sum of an Integer or Double field.
    Sum,
    /// Average of an Integer or Double field (always a JSON float).
    Avg,
    /// Smallest value of an Integer, Double, String or DateTime field.
    Min,
    /// Largest value of an Integer, Double, String or DateTime field.
    Max,
}

/// One output column of an aggregation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregateColumn {
    /// What to compute.
    pub function: AggregateFunction,
    /// Of which field; `None` only for `Count`, which then counts rows.
    #[serde(default)]
    pub field: Option<PathRef>,
    /// The key of the result in each [`AggregateRow`].
    pub alias: String,
}

/// An aggregation over the matching entities; see the module documentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregationQuery {
    /// Runtime type ids to aggregate over; empty means all types.
    pub ck_type_ids: Vec<String>,
    /// Which entities count; `None` means all.
    pub filter: Option<FilterExpr>,
    /// Group keys; empty for one scalar row.
    pub group_by: Vec<PathRef>,
    /// The computed columns.
    pub columns: Vec<AggregateColumn>,
}

/// One row of [`crate::Store::aggregate_entities`]: each group-by path
/// (joined with `.`), then each column alias, in that order.
pub type AggregateRow = serde_json::Map<String, Value>;
