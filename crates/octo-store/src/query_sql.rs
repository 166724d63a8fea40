//! Turning the requests of [`crate::query`] into SQL for one backend.
//!
//! Everything here is text and parameters; [`crate::sql_store`] binds and
//! runs the result. Values are always bound parameters. JSON keys are
//! written into the SQL as literals, but only after [`validate_key`]: the
//! expressions must be literally the same as those of the indexes
//! [`index_statement`] creates, or neither planner would use them.
//!
//! Each attribute has one *typed* expression per kind (numbers as numbers,
//! text in byte order, booleans as booleans) that filters, sorts, groups
//! and indexes use alike, and one *presence* expression that is SQL NULL
//! exactly when the attribute is absent or JSON null.

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Number, Value};

use octo_ids::TenantId;

use crate::error::StoreError;
use crate::query::{
    AggregateColumn, AggregateFunction, AggregateRow, AggregationQuery, AttributePath, EntityQuery,
    FieldFilter, FilterExpr, FilterOperator, PathRef, SortDirection, SystemAttribute, ValueKind,
};
use crate::store::Backend;
use crate::timestamp::SqlTime;

/// Keys per attribute path; records nest far less in practice.
const MAX_PATH_KEYS: usize = 16;
/// Nesting of `And` / `Or`; deeper filters are almost certainly generated
/// by mistake and would only build huge SQL.
const MAX_FILTER_DEPTH: usize = 16;
/// Values of one `In` / `NotIn`; each is a bound parameter, and both
/// databases limit those per statement.
const MAX_IN_VALUES: usize = 1000;
/// Attributes per index; wider indexes rarely pay for their write cost.
const MAX_INDEX_FIELDS: usize = 8;

/// The LIKE escape character, a backslash, as a SQL literal. PostgreSQL's
/// `E''` form means the same whatever `standard_conforming_strings` says.
const PG_ESCAPE: &str = r"E'\\'";
const SQLITE_ESCAPE: &str = r"'\'";

/// The fixed-width UTC form DateTime attributes are stored in.
const DATE_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// A bound parameter, converted by [`crate::sql_store`] into the backend's
/// encoding.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Time(SqlTime),
    Json(Value),
}

/// SQL text and its parameters, `$1` first.
#[derive(Debug)]
pub(crate) struct Statement {
    pub sql: String,
    pub params: Vec<Param>,
}

/// How a value read back from an aggregation is turned into JSON of the
/// right kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Integer,
    Float,
    Boolean,
    Text,
    DateTime,
}

/// An aggregation statement and, for each value of its single JSON-array
/// result column, the row key and how to convert it.
#[derive(Debug)]
pub(crate) struct Aggregation {
    pub statement: Statement,
    pub columns: Vec<(String, Shape)>,
}

/// How an aggregate function reads a numeric attribute on PostgreSQL.
///
/// Writes are checked against the CK type, so a Double attribute normally
/// holds a JSON number or null, and the direct cast (`jsonb` → `numeric`,
/// no text round trip, one extraction) is 2–2.5× cheaper than the guarded
/// form. A value written before a model changed the attribute's type makes
/// the direct cast fail with SQLSTATE 22023; the store then runs the
/// guarded statement, which skips such values as every filter does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumericCast {
    Direct,
    Guarded,
}

/// The SQLSTATE of "cannot cast jsonb string to type numeric".
pub(crate) const JSONB_CAST_FAILED: &str = "22023";

fn invalid(reason: impl Into<String>) -> StoreError {
    StoreError::invalid_query(reason)
}

/// Checks one JSON key against `^[A-Za-z_][A-Za-z0-9_]*$`.
fn validate_key(key: &str) -> Result<(), StoreError> {
    let mut chars = key.chars();
    let valid = chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(invalid(format!(
            "the attribute key '{key}' is not usable in a query: keys must start with a letter \
             or '_' and contain only ASCII letters, digits and '_'"
        )))
    }
}

fn kind_name(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::String => "String",
        ValueKind::Integer => "Integer",
        ValueKind::Double => "Double",
        ValueKind::Boolean => "Boolean",
        ValueKind::DateTime => "DateTime",
        ValueKind::StringArray => "StringArray",
        ValueKind::IntegerArray => "IntegerArray",
        ValueKind::Json => "Json",
    }
}

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Kinds with an order: comparisons, `Between`, sorting, min/max.
fn is_ordered(kind: ValueKind) -> bool {
    matches!(
        kind,
        ValueKind::String | ValueKind::Integer | ValueKind::Double | ValueKind::DateTime
    )
}

fn is_numeric(kind: ValueKind) -> bool {
    matches!(kind, ValueKind::Integer | ValueKind::Double)
}

/// Kinds whose values are scalars: `In`, sorting, grouping, indexing.
fn is_scalar(kind: ValueKind) -> bool {
    is_ordered(kind) || kind == ValueKind::Boolean
}

/// A validated attribute: where it is, its kind, and its name for messages
/// and aggregate rows.
struct Field {
    target: Target,
    kind: ValueKind,
    label: String,
}

enum Target {
    Column(SystemAttribute),
    Attribute(Vec<String>),
}

impl Field {
    fn resolve(path: &PathRef) -> Result<Self, StoreError> {
        let kind = path.effective_kind();
        let label = path.path.to_string();
        let target = match &path.path {
            AttributePath::System(attribute) => Target::Column(*attribute),
            AttributePath::Attribute(keys) => {
                if keys.is_empty() {
                    return Err(invalid("an attribute path needs at least one key"));
                }
                if keys.len() > MAX_PATH_KEYS {
                    return Err(invalid(format!(
                        "the attribute path '{label}' has {} keys; at most {MAX_PATH_KEYS} are \
                         supported",
                        keys.len()
                    )));
                }
                for key in keys {
                    validate_key(key)?;
                }
                Target::Attribute(keys.clone())
            }
        };
        Ok(Self {
            target,
            kind,
            label,
        })
    }

    /// `'Power' (Integer)`, for messages.
    fn describe(&self) -> String {
        format!("'{}' ({})", self.label, kind_name(self.kind))
    }

    /// The value as compared, sorted, grouped and indexed.
    fn typed(&self, backend: Backend) -> String {
        match &self.target {
            Target::Column(attribute) => column(*attribute, backend).to_owned(),
            Target::Attribute(keys) => match backend {
                Backend::Postgres => {
                    let (json, text) = pg_paths(keys);
                    match self.kind {
                        ValueKind::String | ValueKind::DateTime => {
                            format!("({text} COLLATE \"C\")")
                        }
                        ValueKind::Integer | ValueKind::Double => format!(
                            "(CASE WHEN jsonb_typeof({json}) = 'number' THEN {text}::numeric END)"
                        ),
                        ValueKind::Boolean => format!(
                            "(CASE WHEN jsonb_typeof({json}) = 'boolean' THEN {text}::boolean END)"
                        ),
                        ValueKind::StringArray | ValueKind::IntegerArray | ValueKind::Json => json,
                    }
                }
                Backend::Sqlite => {
                    let path = sqlite_path(keys);
                    let extract = format!("json_extract(attributes, {path})");
                    match self.kind {
                        ValueKind::String | ValueKind::DateTime => extract,
                        ValueKind::Integer | ValueKind::Double => format!(
                            "(CASE WHEN json_type(attributes, {path}) IN ('integer', 'real') \
                             THEN {extract} END)"
                        ),
                        // json_extract gives 1/0 for true/false already; the
                        // CASE also turns any other JSON type into null.
                        ValueKind::Boolean => format!(
                            "(CASE json_type(attributes, {path}) WHEN 'true' THEN 1 \
                             WHEN 'false' THEN 0 END)"
                        ),
                        ValueKind::StringArray | ValueKind::IntegerArray | ValueKind::Json => {
                            format!("(attributes -> {path})")
                        }
                    }
                }
            },
        }
    }

    /// The value as an aggregate function reads it: [`Field::typed`], except
    /// that numbers on PostgreSQL may take the direct cast ([`NumericCast`]).
    /// Filters, sorts, group keys and indexes keep the guarded form, so that
    /// index expressions never change and never fail to build.
    fn aggregated(&self, backend: Backend, cast: NumericCast) -> String {
        match (&self.target, backend, self.kind, cast) {
            (
                Target::Attribute(keys),
                Backend::Postgres,
                ValueKind::Integer | ValueKind::Double,
                NumericCast::Direct,
            ) => {
                // One key: `->` is cheaper than `#>`. JSON null is SQL NULL.
                let json = match keys.as_slice() {
                    [key] => format!("(attributes -> '{key}')"),
                    _ => pg_paths(keys).0,
                };
                format!("(NULLIF({json}, 'null'::jsonb)::numeric)")
            }
            _ => self.typed(backend),
        }
    }

    /// SQL NULL exactly when the attribute is absent or JSON null.
    fn presence(&self, backend: Backend) -> String {
        match &self.target {
            Target::Column(attribute) => column(*attribute, backend).to_owned(),
            Target::Attribute(keys) => match backend {
                Backend::Postgres => pg_paths(keys).1,
                Backend::Sqlite => format!("json_extract(attributes, {})", sqlite_path(keys)),
            },
        }
    }

    /// A table of the array's elements as `e`, empty unless the attribute
    /// is an array, and the typed expression of one element.
    fn elements(&self, backend: Backend) -> (String, &'static str) {
        let numeric = self.kind == ValueKind::IntegerArray;
        match (&self.target, backend) {
            (Target::Attribute(keys), Backend::Postgres) => {
                let (json, _) = pg_paths(keys);
                (
                    format!(
                        "jsonb_array_elements(CASE WHEN jsonb_typeof({json}) = 'array' \
                         THEN {json} END) AS e(v)"
                    ),
                    if numeric {
                        "(CASE WHEN jsonb_typeof(e.v) = 'number' THEN (e.v #>> '{}')::numeric END)"
                    } else {
                        "(CASE WHEN jsonb_typeof(e.v) = 'string' THEN (e.v #>> '{}') END)"
                    },
                )
            }
            (Target::Attribute(keys), Backend::Sqlite) => {
                let path = sqlite_path(keys);
                (
                    format!(
                        "json_each(CASE WHEN json_type(attributes, {path}) = 'array' \
                         THEN attributes -> {path} END) AS e"
                    ),
                    if numeric {
                        "(CASE WHEN e.type IN ('integer', 'real') THEN e.value END)"
                    } else {
                        "(CASE WHEN e.type = 'text' THEN e.value END)"
                    },
                )
            }
            // System attributes are never arrays; callers check the kind first.
            (Target::Column(attribute), _) => (column(*attribute, backend).to_owned(), "NULL"),
        }
    }

    fn is_column_date_time(&self) -> bool {
        matches!(
            self.target,
            Target::Column(
                SystemAttribute::RtCreationDateTime | SystemAttribute::RtChangedDateTime
            )
        )
    }
}

fn column(attribute: SystemAttribute, backend: Backend) -> &'static str {
    match attribute {
        SystemAttribute::RtId => "rt_id",
        SystemAttribute::CkTypeId => "ck_type_id",
        // The other text columns are already COLLATE "C" in the schema.
        SystemAttribute::RtWellKnownName => match backend {
            Backend::Postgres => "(rt_well_known_name COLLATE \"C\")",
            Backend::Sqlite => "rt_well_known_name",
        },
        SystemAttribute::RtVersion => "rt_version",
        SystemAttribute::RtCreationDateTime => "rt_creation_date_time",
        SystemAttribute::RtChangedDateTime => "rt_changed_date_time",
        SystemAttribute::RtState => "rt_state",
    }
}

/// PostgreSQL: the JSONB value and its text at `keys`.
fn pg_paths(keys: &[String]) -> (String, String) {
    let array = format!("'{{{}}}'", keys.join(","));
    (
        format!("(attributes #> {array})"),
        format!("(attributes #>> {array})"),
    )
}

/// SQLite: the JSON path literal for `keys`.
fn sqlite_path(keys: &[String]) -> String {
    format!("'$.{}'", keys.join("."))
}

/// `\`, `%` and `_` escaped with `\`, for a LIKE pattern that matches `text`
/// literally.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// A LIKE pattern ending in an unpaired `\` is an error on PostgreSQL and
/// means nothing useful on SQLite; reject it the same way on both.
fn check_like_pattern(field: &Field, pattern: &str) -> Result<(), StoreError> {
    let mut escaped = false;
    for c in pattern.chars() {
        escaped = !escaped && c == '\\';
    }
    if escaped {
        return Err(invalid(format!(
            "the LIKE pattern '{pattern}' for {} ends with the escape character '\\'; write \
             '\\\\' for a literal backslash",
            field.describe()
        )));
    }
    Ok(())
}

/// An RFC 3339 time as the fixed-width UTC text DateTime attributes are
/// stored as.
fn parse_time(field: &Field, text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc).trunc_subsecs(6))
        .map_err(|err| {
            invalid(format!(
                "'{text}' is not a date and time for {}: {err}; use RFC 3339, e.g. \
                 2024-05-01T12:00:00Z",
                field.describe()
            ))
        })
}

/// Collects SQL and parameters; `$1` is always the tenant.
struct Builder {
    backend: Backend,
    params: Vec<Param>,
}

impl Builder {
    fn new(backend: Backend, tenant_id: &TenantId) -> Self {
        Self {
            backend,
            params: vec![Param::Text(tenant_id.as_str().to_owned())],
        }
    }

    fn bind(&mut self, param: Param) -> String {
        self.params.push(param);
        format!("${}", self.params.len())
    }

    /// A JSON number as a parameter that compares with the typed numeric
    /// expressions: exact `numeric` text on PostgreSQL, an integer or real
    /// on SQLite.
    fn number(&mut self, number: &Number) -> String {
        match self.backend {
            Backend::Postgres => {
                let placeholder = self.bind(Param::Text(number.to_string()));
                format!("{placeholder}::numeric")
            }
            Backend::Sqlite => match number.as_i64() {
                Some(int) => self.bind(Param::Int(int)),
                // u64 above i64::MAX, or a fraction.
                None => self.bind(Param::Float(number.as_f64().unwrap_or(f64::MAX))),
            },
        }
    }

    /// A whole JSON value, for equality with a Json or array attribute.
    fn json(&mut self, value: &Value) -> String {
        let placeholder = self.bind(Param::Json(value.clone()));
        match self.backend {
            Backend::Postgres => placeholder,
            // Minified, as `attributes -> path` returns it.
            Backend::Sqlite => format!("json({placeholder})"),
        }
    }

    /// A text parameter for a string operator; `value` must be a string.
    fn text(&mut self, field: &Field, value: &Value, operator: &str) -> Result<String, StoreError> {
        match value {
            Value::String(text) => Ok(self.bind(Param::Text(text.clone()))),
            other => Err(invalid(format!(
                "the {operator} filter on {} needs a string value, got {}",
                field.describe(),
                json_type_name(other)
            ))),
        }
    }

    /// A scalar parameter of the field's kind.
    fn scalar(
        &mut self,
        field: &Field,
        value: &Value,
        operator: &str,
    ) -> Result<String, StoreError> {
        let wrong = |expected: &str| {
            invalid(format!(
                "the {operator} filter on {} needs {expected}, got {}",
                field.describe(),
                json_type_name(value)
            ))
        };
        match (field.kind, value) {
            (ValueKind::String, Value::String(text)) => Ok(self.bind(Param::Text(text.clone()))),
            (ValueKind::String, _) => Err(wrong("a string")),
            (ValueKind::Integer | ValueKind::Double, Value::Number(number)) => {
                Ok(self.number(number))
            }
            (ValueKind::Integer | ValueKind::Double, _) => Err(wrong("a number")),
            (ValueKind::Boolean, Value::Bool(flag)) => Ok(self.bind(Param::Bool(*flag))),
            (ValueKind::Boolean, _) => Err(wrong("a boolean")),
            (ValueKind::DateTime, Value::String(text)) => {
                let time = parse_time(field, text)?;
                Ok(if field.is_column_date_time() {
                    self.bind(Param::Time(SqlTime::from(time)))
                } else {
                    self.bind(Param::Text(time.format(DATE_TIME_FORMAT).to_string()))
                })
            }
            (ValueKind::DateTime, _) => Err(wrong("an RFC 3339 date and time string")),
            (ValueKind::StringArray | ValueKind::IntegerArray | ValueKind::Json, _) => {
                Err(wrong("a scalar attribute"))
            }
        }
    }

    /// `tenant_id = $1 [AND ck_type_id IN (…)]`.
    fn scope(&mut self, ck_type_ids: &[String]) -> String {
        let mut sql = "tenant_id = $1".to_owned();
        if !ck_type_ids.is_empty() {
            let placeholders: Vec<String> = ck_type_ids
                .iter()
                .map(|id| self.bind(Param::Text(id.clone())))
                .collect();
            sql.push_str(&format!(" AND ck_type_id IN ({})", placeholders.join(", ")));
        }
        sql
    }

    /// The WHERE condition of a query: scope and filter.
    fn condition(
        &mut self,
        ck_type_ids: &[String],
        filter: Option<&FilterExpr>,
    ) -> Result<String, StoreError> {
        let mut sql = self.scope(ck_type_ids);
        if let Some(filter) = filter {
            let condition = self.filter(filter, 1)?;
            sql.push_str(&format!(" AND {condition}"));
        }
        Ok(sql)
    }

    fn filter(&mut self, filter: &FilterExpr, depth: usize) -> Result<String, StoreError> {
        if depth > MAX_FILTER_DEPTH {
            return Err(invalid(format!(
                "the filter nests And/Or more than {MAX_FILTER_DEPTH} levels deep; flatten it"
            )));
        }
        let (parts, joiner, empty) = match filter {
            FilterExpr::Field(field) => return self.field_filter(field),
            FilterExpr::And(parts) => (parts, " AND ", "1 = 1"),
            FilterExpr::Or(parts) => (parts, " OR ", "1 = 0"),
        };
        if parts.is_empty() {
            return Ok(empty.to_owned());
        }
        let parts = parts
            .iter()
            .map(|part| self.filter(part, depth + 1))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(format!("({})", parts.join(joiner)))
    }

    fn field_filter(&mut self, filter: &FieldFilter) -> Result<String, StoreError> {
        use FilterOperator as Op;

        let field = Field::resolve(&filter.field)?;
        let backend = self.backend;
        let kind = field.kind;
        let operator = format!("{:?}", filter.operator);
        let value = filter.value.as_ref().filter(|value| !value.is_null());
        let required = |value: Option<&Value>, what: &str| {
            value.cloned().ok_or_else(|| {
                invalid(format!(
                    "the {operator} filter on {} needs {what}",
                    field.describe()
                ))
            })
        };
        let unsupported = |supported: &str| {
            invalid(format!(
                "the {operator} filter does not apply to {}; it applies to {supported}",
                field.describe()
            ))
        };

        match filter.operator {
            Op::IsNull => Ok(format!("{} IS NULL", field.presence(backend))),
            Op::IsNotNull => Ok(format!("{} IS NOT NULL", field.presence(backend))),
            Op::Equals | Op::NotEquals => {
                let negate = filter.operator == Op::NotEquals;
                let Some(value) = value else {
                    let test = if negate { "IS NOT NULL" } else { "IS NULL" };
                    return Ok(format!("{} {test}", field.presence(backend)));
                };
                let sign = if negate { "<>" } else { "=" };
                let placeholder = match kind {
                    ValueKind::StringArray | ValueKind::IntegerArray => {
                        if !value.is_array() {
                            return Err(invalid(format!(
                                "{operator} on {} compares the whole array and needs a JSON \
                                 array value; use AnyEq to match one element",
                                field.describe()
                            )));
                        }
                        self.json(value)
                    }
                    ValueKind::Json => self.json(value),
                    _ => self.scalar(&field, value, &operator)?,
                };
                Ok(format!("{} {sign} {placeholder}", field.typed(backend)))
            }
            Op::GreaterThan | Op::GreaterThanOrEqual | Op::LessThan | Op::LessThanOrEqual => {
                if !is_ordered(kind) {
                    return Err(unsupported(
                        "String, Integer, Double and DateTime attributes",
                    ));
                }
                let sign = match filter.operator {
                    Op::GreaterThan => ">",
                    Op::GreaterThanOrEqual => ">=",
                    Op::LessThan => "<",
                    _ => "<=",
                };
                let value = required(value, "a value")?;
                let placeholder = self.scalar(&field, &value, &operator)?;
                Ok(format!("{} {sign} {placeholder}", field.typed(backend)))
            }
            Op::Between => {
                if !is_ordered(kind) {
                    return Err(unsupported(
                        "String, Integer, Double and DateTime attributes",
                    ));
                }
                let low = required(value, "a value (the lower bound)")?;
                let high = required(
                    filter
                        .second_value
                        .as_ref()
                        .filter(|value| !value.is_null()),
                    "a second value (the upper bound)",
                )?;
                let low = self.scalar(&field, &low, &operator)?;
                let high = self.scalar(&field, &high, &operator)?;
                Ok(format!("{} BETWEEN {low} AND {high}", field.typed(backend)))
            }
            Op::In | Op::NotIn => {
                if !is_scalar(kind) {
                    return Err(unsupported(
                        "String, Integer, Double, DateTime and Boolean attributes",
                    ));
                }
                let negate = filter.operator == Op::NotIn;
                let Some(Value::Array(values)) = value else {
                    return Err(invalid(format!(
                        "the {operator} filter on {} needs a JSON array of values",
                        field.describe()
                    )));
                };
                if values.len() > MAX_IN_VALUES {
                    return Err(invalid(format!(
                        "the {operator} filter on {} has {} values; at most {MAX_IN_VALUES} are \
                         supported",
                        field.describe(),
                        values.len()
                    )));
                }
                if values.iter().any(Value::is_null) {
                    return Err(invalid(format!(
                        "the {operator} filter on {} has a null value; combine with IsNull / \
                         IsNotNull instead",
                        field.describe()
                    )));
                }
                let typed = field.typed(backend);
                if values.is_empty() {
                    // In nothing matches nothing; NotIn nothing matches
                    // every non-null value (nulls never match NotIn).
                    return Ok(if negate {
                        format!("{} IS NOT NULL", field.presence(backend))
                    } else {
                        "1 = 0".to_owned()
                    });
                }
                let placeholders = values
                    .iter()
                    .map(|value| self.scalar(&field, value, &operator))
                    .collect::<Result<Vec<_>, _>>()?;
                let not = if negate { "NOT " } else { "" };
                Ok(format!("{typed} {not}IN ({})", placeholders.join(", ")))
            }
            Op::Contains | Op::StartsWith | Op::EndsWith => {
                if kind != ValueKind::String {
                    return Err(unsupported("String attributes"));
                }
                let value = required(value, "a string value")?;
                let Value::String(text) = &value else {
                    return Err(invalid(format!(
                        "the {operator} filter on {} needs a string value, got {}",
                        field.describe(),
                        json_type_name(&value)
                    )));
                };
                let typed = field.typed(backend);
                match backend {
                    // LIKE is case-sensitive on PostgreSQL and, on a "C"
                    // column, can use a btree index for StartsWith.
                    Backend::Postgres => {
                        let escaped = escape_like(text);
                        let pattern = match filter.operator {
                            Op::Contains => format!("%{escaped}%"),
                            Op::StartsWith => format!("{escaped}%"),
                            _ => format!("%{escaped}"),
                        };
                        let placeholder = self.bind(Param::Text(pattern));
                        Ok(format!("{typed} LIKE {placeholder} ESCAPE {PG_ESCAPE}"))
                    }
                    // SQLite's LIKE ignores ASCII case, so compare positions.
                    Backend::Sqlite => {
                        let p = self.bind(Param::Text(text.clone()));
                        Ok(match filter.operator {
                            Op::Contains => format!("instr({typed}, {p}) > 0"),
                            Op::StartsWith => format!("substr({typed}, 1, length({p})) = {p}"),
                            // substr(x, -0) would be all of x, hence the
                            // empty case.
                            _ => format!(
                                "(length({p}) = 0 AND {typed} IS NOT NULL \
                                 OR substr({typed}, -length({p})) = {p})"
                            ),
                        })
                    }
                }
            }
            Op::Like => {
                if kind != ValueKind::String {
                    return Err(unsupported("String attributes"));
                }
                let value = required(value, "a LIKE pattern")?;
                let placeholder = self.text(&field, &value, &operator)?;
                if let Value::String(pattern) = &value {
                    check_like_pattern(&field, pattern)?;
                }
                let typed = field.typed(backend);
                Ok(match backend {
                    Backend::Postgres => format!("{typed} ILIKE {placeholder} ESCAPE {PG_ESCAPE}"),
                    Backend::Sqlite => format!("{typed} LIKE {placeholder} ESCAPE {SQLITE_ESCAPE}"),
                })
            }
            Op::Regex => {
                if kind != ValueKind::String {
                    return Err(unsupported("String attributes"));
                }
                let value = required(value, "a regular expression")?;
                let placeholder = self.text(&field, &value, &operator)?;
                let typed = field.typed(backend);
                Ok(match backend {
                    // An invalid pattern is reported by the server (SQLSTATE
                    // 2201B) and mapped to InvalidQuery by the caller.
                    Backend::Postgres => format!("{typed} ~ {placeholder}"),
                    Backend::Sqlite => {
                        // sqlx's REGEXP uses the regex crate; check here so
                        // that a bad pattern is a clear error, not a failed
                        // statement.
                        if let Value::String(pattern) = &value {
                            regex::Regex::new(pattern).map_err(|err| {
                                invalid(format!(
                                    "'{pattern}' is not a valid regular expression for {}: {err}",
                                    field.describe()
                                ))
                            })?;
                        }
                        format!("{typed} REGEXP {placeholder}")
                    }
                })
            }
            Op::AnyEq => {
                let value = required(value, "a value")?;
                let placeholder = match (kind, &value) {
                    (ValueKind::StringArray, Value::String(text)) => {
                        self.bind(Param::Text(text.clone()))
                    }
                    (ValueKind::IntegerArray, Value::Number(number)) => self.number(number),
                    (ValueKind::StringArray | ValueKind::IntegerArray, other) => {
                        return Err(invalid(format!(
                            "the AnyEq filter on {} needs {} element value, got {}",
                            field.describe(),
                            if kind == ValueKind::StringArray {
                                "a string"
                            } else {
                                "a number"
                            },
                            json_type_name(other)
                        )));
                    }
                    _ => return Err(unsupported("StringArray and IntegerArray attributes")),
                };
                let (elements, element) = field.elements(backend);
                Ok(format!(
                    "EXISTS (SELECT 1 FROM {elements} WHERE {element} = {placeholder})"
                ))
            }
            Op::AnyLike => {
                if kind != ValueKind::StringArray {
                    return Err(unsupported("StringArray attributes"));
                }
                let value = required(value, "a LIKE pattern")?;
                let placeholder = self.text(&field, &value, &operator)?;
                if let Value::String(pattern) = &value {
                    check_like_pattern(&field, pattern)?;
                }
                let (elements, element) = field.elements(backend);
                let (like, escape) = match backend {
                    Backend::Postgres => ("ILIKE", PG_ESCAPE),
                    Backend::Sqlite => ("LIKE", SQLITE_ESCAPE),
                };
                Ok(format!(
                    "EXISTS (SELECT 1 FROM {elements} WHERE {element} {like} {placeholder} \
                     ESCAPE {escape})"
                ))
            }
        }
    }

    fn order_by(&self, sort: &[crate::query::SortKey]) -> Result<String, StoreError> {
        let mut keys = Vec::with_capacity(sort.len() + 1);
        for key in sort {
            let field = Field::resolve(&key.field)?;
            if !is_scalar(field.kind) {
                return Err(invalid(format!(
                    "cannot sort by {}; sort by String, Integer, Double, DateTime or Boolean \
                     attributes",
                    field.describe()
                )));
            }
            let direction = match key.direction {
                SortDirection::Asc => "ASC NULLS LAST",
                SortDirection::Desc => "DESC NULLS FIRST",
            };
            keys.push(format!("{} {direction}", field.typed(self.backend)));
        }
        keys.push("rt_id ASC".to_owned());
        Ok(keys.join(", "))
    }

    fn finish(self, sql: String) -> Statement {
        Statement {
            sql,
            params: self.params,
        }
    }
}

/// The page statement of an entity query, and what its count statement is made of.
pub(crate) struct EntityStatements {
    pub page: Statement,
    condition: String,
    /// The page binds these first (tenant, types, filter values); then limit and offset.
    condition_params: usize,
}

impl EntityStatements {
    /// The count of all matches, with its parameters. Built only when asked: most lookups
    /// get a page that is not full, and the total follows from it.
    pub fn count(&self) -> (String, &[Param]) {
        (
            format!("SELECT COUNT(*) FROM entities WHERE {}", self.condition),
            &self.page.params[..self.condition_params],
        )
    }
}

/// The statements of an entity query.
pub(crate) fn entity_statements(
    backend: Backend,
    tenant_id: &TenantId,
    query: &EntityQuery,
) -> Result<EntityStatements, StoreError> {
    let mut builder = Builder::new(backend, tenant_id);
    let condition = builder.condition(&query.ck_type_ids, query.filter.as_ref())?;
    let condition_params = builder.params.len();
    let order = builder.order_by(&query.sort)?;
    let limit = builder.bind(Param::Int(i64::from(query.limit)));
    let mut sql = format!(
        "SELECT {} FROM entities WHERE {condition} ORDER BY {order} LIMIT {limit}",
        crate::entity::ENTITY_COLUMNS
    );
    // The first page has no OFFSET: PostgreSQL costs a generic plan with a bound OFFSET for an
    // unknown number of skipped rows, so it never prefers it and plans the statement again at
    // every call (about 0.1 ms per lookup). Without it the cached generic plan is used.
    if query.offset > 0 {
        let offset = builder.bind(Param::Int(i64::from(query.offset)));
        sql.push_str(&format!(" OFFSET {offset}"));
    }
    Ok(EntityStatements {
        page: builder.finish(sql),
        condition,
        condition_params,
    })
}

/// The statement of an aggregation. It returns one text column per row: a
/// JSON array of the group keys and then the aggregates, so that one row
/// type decodes any aggregation on either backend.
pub(crate) fn aggregation(
    backend: Backend,
    tenant_id: &TenantId,
    query: &AggregationQuery,
    cast: NumericCast,
) -> Result<Aggregation, StoreError> {
    if query.columns.is_empty() && query.group_by.is_empty() {
        return Err(invalid(
            "an aggregation needs at least one column or group-by field",
        ));
    }
    let mut columns: Vec<(String, Shape)> = Vec::new();
    let mut outputs = Vec::new();
    let mut groups = Vec::new();
    for path in &query.group_by {
        let field = Field::resolve(path)?;
        if !is_scalar(field.kind) {
            return Err(invalid(format!(
                "cannot group by {}; group by String, Integer, Double, DateTime or Boolean \
                 attributes",
                field.describe()
            )));
        }
        let typed = field.typed(backend);
        outputs.push(typed.clone());
        groups.push(typed);
        columns.push((field.label.clone(), shape(field.kind)));
    }
    for column in &query.columns {
        let (expression, shape) = aggregate(backend, column, cast)?;
        outputs.push(expression);
        columns.push((column.alias.clone(), shape));
    }
    let mut seen = std::collections::HashSet::new();
    for (name, _) in &columns {
        if name.is_empty() {
            return Err(invalid("an aggregate column needs a non-empty alias"));
        }
        if !seen.insert(name.as_str()) {
            return Err(invalid(format!(
                "the result key '{name}' appears twice (group-by paths and aliases must all \
                 differ); rename the alias"
            )));
        }
    }

    let mut builder = Builder::new(backend, tenant_id);
    let condition = builder.condition(&query.ck_type_ids, query.filter.as_ref())?;
    let array = match backend {
        // json (not jsonb) keeps numeric text as computed.
        Backend::Postgres => format!("json_build_array({})::text", outputs.join(", ")),
        Backend::Sqlite => format!("json_array({})", outputs.join(", ")),
    };
    let mut sql = format!("SELECT {array} FROM entities WHERE {condition}");
    if !groups.is_empty() {
        let order: Vec<String> = groups
            .iter()
            .map(|group| format!("{group} ASC NULLS LAST"))
            .collect();
        sql.push_str(&format!(
            " GROUP BY {} ORDER BY {}",
            groups.join(", "),
            order.join(", ")
        ));
    }
    Ok(Aggregation {
        statement: builder.finish(sql),
        columns,
    })
}

fn shape(kind: ValueKind) -> Shape {
    match kind {
        ValueKind::Integer => Shape::Integer,
        ValueKind::Double => Shape::Float,
        ValueKind::Boolean => Shape::Boolean,
        ValueKind::DateTime => Shape::DateTime,
        _ => Shape::Text,
    }
}

/// The SQL of one aggregate column and the shape of its result.
fn aggregate(
    backend: Backend,
    column: &AggregateColumn,
    cast: NumericCast,
) -> Result<(String, Shape), StoreError> {
    let function = column.function;
    let Some(path) = &column.field else {
        return if function == AggregateFunction::Count {
            Ok(("COUNT(*)".to_owned(), Shape::Integer))
        } else {
            Err(invalid(format!(
                "the aggregate column '{}' ({function:?}) needs a field; only Count works \
                 without one",
                column.alias
            )))
        };
    };
    let field = Field::resolve(path)?;
    let kind = field.kind;
    let reject = |supported: &str| {
        invalid(format!(
            "{function:?} (column '{}') does not apply to {}; it applies to {supported}",
            column.alias,
            field.describe()
        ))
    };
    Ok(match function {
        AggregateFunction::Count => (
            format!("COUNT({})", field.presence(backend)),
            Shape::Integer,
        ),
        AggregateFunction::Sum | AggregateFunction::Avg => {
            if !is_numeric(kind) {
                return Err(reject("Integer and Double attributes"));
            }
            let typed = field.aggregated(backend, cast);
            if function == AggregateFunction::Avg {
                (format!("AVG({typed})"), Shape::Float)
            } else {
                (format!("SUM({typed})"), shape(kind))
            }
        }
        AggregateFunction::Min | AggregateFunction::Max => {
            if !is_ordered(kind) {
                return Err(reject("Integer, Double, String and DateTime attributes"));
            }
            let name = if function == AggregateFunction::Min {
                "MIN"
            } else {
                "MAX"
            };
            (
                format!("{name}({})", field.aggregated(backend, cast)),
                shape(kind),
            )
        }
    })
}

/// Turns the JSON array one aggregation row came back as into an
/// [`AggregateRow`]; `None` if it does not have one value per column.
pub(crate) fn aggregate_row(columns: &[(String, Shape)], text: &str) -> Option<AggregateRow> {
    let Ok(Value::Array(values)) = serde_json::from_str::<Value>(text) else {
        return None;
    };
    if values.len() != columns.len() {
        return None;
    }
    Some(
        columns
            .iter()
            .zip(values)
            .map(|((name, shape), value)| (name.clone(), convert(*shape, value)))
            .collect(),
    )
}

/// One aggregated value as JSON of its kind: the backends return booleans
/// as 0/1 (SQLite), integral numbers as decimals (`6.0`), averages with
/// many digits, and times with offsets (PostgreSQL).
fn convert(shape: Shape, value: Value) -> Value {
    match (shape, value) {
        (_, Value::Null) => Value::Null,
        (Shape::Integer, Value::Number(number)) => {
            if number.is_i64() || number.is_u64() {
                Value::Number(number)
            } else {
                match number.as_f64() {
                    // PostgreSQL's numeric sums can come back as `6.0`;
                    // below 2^53 such a float is exactly the integer.
                    #[allow(clippy::cast_possible_truncation)]
                    Some(float)
                        if float.fract() == 0.0 && float.abs() < 9_007_199_254_740_992.0 =>
                    {
                        Value::from(float as i64)
                    }
                    _ => Value::Number(number),
                }
            }
        }
        (Shape::Float, Value::Number(number)) => number
            .as_f64()
            .and_then(Number::from_f64)
            .map_or(Value::Number(number), Value::Number),
        (Shape::Boolean, Value::Number(number)) => Value::Bool(number.as_i64() != Some(0)),
        (Shape::DateTime, Value::String(text)) => match DateTime::parse_from_rfc3339(&text) {
            Ok(time) => Value::String(
                time.with_timezone(&Utc)
                    .trunc_subsecs(6)
                    .format(DATE_TIME_FORMAT)
                    .to_string(),
            ),
            Err(_) => Value::String(text),
        },
        (_, other) => other,
    }
}

/// The name and `CREATE INDEX` statement for an expression index on
/// `fields`, or why there cannot be one.
pub(crate) fn index_statement(
    backend: Backend,
    fields: &[PathRef],
) -> Result<(String, String), StoreError> {
    if fields.is_empty() || fields.len() > MAX_INDEX_FIELDS {
        return Err(invalid(format!(
            "an attribute index needs 1 to {MAX_INDEX_FIELDS} fields, got {}",
            fields.len()
        )));
    }
    let mut columns = vec!["tenant_id".to_owned(), "ck_type_id".to_owned()];
    for path in fields {
        let field = Field::resolve(path)?;
        if !is_scalar(field.kind) {
            return Err(invalid(format!(
                "cannot index {}; index String, Integer, Double, DateTime or Boolean attributes",
                field.describe()
            )));
        }
        columns.push(match field.target {
            Target::Column(_) => field.typed(backend),
            Target::Attribute(_) => format!("({})", field.typed(backend)),
        });
    }
    // Last, so that equal attribute values come in the tie-breaker order
    // of every query: a filtered page needs no sort step.
    columns.push("rt_id".to_owned());
    let columns = columns.join(", ");
    // The name depends only on what is indexed, so asking again (for any
    // type or tenant) finds the same index; no user text reaches it.
    let name = format!("entities_attr_{:016x}", fnv1a(columns.as_bytes()));
    let sql = format!("CREATE INDEX IF NOT EXISTS {name} ON entities ({columns})");
    Ok((name, sql))
}

/// 64-bit FNV-1a: tiny, and stable across Rust releases (unlike std's
/// `DefaultHasher`), so index names stay the same between versions.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        "meshtest".parse().expect("valid")
    }

    #[test]
    fn keys_are_validated() {
        for key in ["Name", "_x", "a1_B"] {
            assert!(validate_key(key).is_ok(), "{key}");
        }
        for key in ["", "1a", "a-b", "a.b", "a'b", "a}b", "ä", "a b"] {
            assert!(validate_key(key).is_err(), "{key}");
        }
    }

    #[test]
    fn like_escaping() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }

    #[test]
    fn index_names_are_stable_and_depend_on_the_expressions() {
        let name = PathRef::attribute(["Name"], ValueKind::String);
        let power = PathRef::attribute(["Power"], ValueKind::Integer);
        let (a, sql) =
            index_statement(Backend::Postgres, std::slice::from_ref(&name)).expect("index");
        assert_eq!(
            sql,
            format!(
                "CREATE INDEX IF NOT EXISTS {a} ON entities (tenant_id, ck_type_id, \
                 (((attributes #>> '{{Name}}') COLLATE \"C\")), rt_id)"
            )
        );
        let (b, _) =
            index_statement(Backend::Postgres, std::slice::from_ref(&name)).expect("index");
        let (c, _) = index_statement(Backend::Postgres, &[power]).expect("index");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn aggregate_values_are_converted_by_kind() {
        assert_eq!(convert(Shape::Integer, serde_json::json!(6.0)), 6);
        assert_eq!(convert(Shape::Float, serde_json::json!(2)), 2.0);
        assert_eq!(convert(Shape::Boolean, serde_json::json!(1)), true);
        assert_eq!(
            convert(
                Shape::DateTime,
                serde_json::json!("2024-05-01T14:00:00+02:00")
            ),
            "2024-05-01T12:00:00.000000Z"
        );
    }

    #[test]
    fn entity_statement_binds_values() {
        let query = EntityQuery {
            ck_type_ids: vec!["M/T".to_owned()],
            filter: Some(FilterExpr::Field(FieldFilter {
                field: PathRef::attribute(["Name"], ValueKind::String),
                operator: FilterOperator::Equals,
                value: Some(serde_json::json!("x'); DROP TABLE entities; --")),
                second_value: None,
            })),
            sort: vec![],
            limit: 10,
            offset: 0,
        };
        let statements = entity_statements(Backend::Sqlite, &tenant(), &query).expect("sql");
        let (count, count_params) = statements.count();
        assert_eq!(
            count,
            "SELECT COUNT(*) FROM entities WHERE tenant_id = $1 AND ck_type_id IN ($2) AND \
             json_extract(attributes, '$.Name') = $3"
        );
        assert_eq!(count_params.len(), 3);
        let page = statements.page;
        assert!(!page.sql.contains("DROP"));
        // Tenant, type, value and limit: the first page binds no offset.
        assert_eq!(page.params.len(), 4);
        assert!(!page.sql.contains("OFFSET"), "{}", page.sql);
        let next = EntityQuery {
            offset: 10,
            ..query
        };
        let page = entity_statements(Backend::Sqlite, &tenant(), &next)
            .expect("sql")
            .page;
        assert!(page.sql.ends_with("LIMIT $4 OFFSET $5"), "{}", page.sql);
        assert_eq!(page.params.len(), 5);
    }
}
