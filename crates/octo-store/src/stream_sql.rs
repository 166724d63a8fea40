//! [`StreamStore`] for both backends: the SQL of archive tables.
//!
//! Queries are written once ([`Layout`] knows the few spellings that differ)
//! and bound with parameters; the only text spliced into SQL are identifiers
//! this module generates from a tenant id (lowercase letters, digits, `-`,
//! `_`), an archive id (hex) and checked column names, always quoted.
//! Writes differ: PostgreSQL streams a batch with one `COPY` (atomic as one
//! statement), SQLite inserts it in one `BEGIN IMMEDIATE` transaction.

use async_trait::async_trait;
use sqlx::postgres::PgPoolCopyExt;
use sqlx::{Arguments, Database, Decode, Executor, Pool, Postgres, Row, Sqlite, Type};

use octo_ids::TenantId;

use crate::error::StoreError;
use crate::query::{AggregateFunction, FilterOperator};
use crate::query_sql::Param;
use crate::sql_store::{SqlStore, arguments, classify};
use crate::store::Backend;
use crate::stream::{
    ArchiveTable, MAX_STREAM_FILTER_CONDITIONS, MAX_STREAM_FILTER_DEPTH, MAX_STREAM_FILTER_VALUES,
    StreamAggregation, StreamColumnKind, StreamFilter, StreamFilterExpr, StreamGroupKey,
    StreamRowsQuery, StreamSample, StreamSelection, StreamStats, StreamStore, StreamValue,
};

/// Microseconds per day: PostgreSQL partitions cover one UTC day each.
const DAY_MICROS: i64 = 86_400_000_000;
/// Partitions made when an archive is activated: yesterday to a week ahead,
/// so ordinary writes never wait for DDL.
const DAYS_BEHIND: i64 = 1;
const DAYS_AHEAD: i64 = 7;
/// SQLite binds at most 32 766 parameters per statement; stay well below.
const SQLITE_MAX_PARAMS: usize = 30_000;
/// COPY data is sent in pieces of about this size.
const COPY_CHUNK: usize = 1 << 20;

/// `"ident"`, with any `"` doubled (none of ours contain one, but quoting is
/// what makes an identifier safe, not the hope that it is clean).
pub(crate) fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Column names become part of SQL identifiers, so only a small alphabet is
/// allowed.
pub(crate) fn check_column_names(table: &ArchiveTable) -> Result<(), StoreError> {
    for column in &table.columns {
        let name = &column.name;
        let ok = !name.is_empty()
            && name.len() <= 48
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            return Err(StoreError::invalid_query(format!(
                "the archive column name '{name}' is not usable: use 1 to 48 lowercase letters, \
                 digits and '_', starting with a letter"
            )));
        }
    }
    Ok(())
}

pub(crate) fn value_column(name: &str) -> String {
    quote(&format!("v_{name}"))
}

/// What differs between the backends' SQL for archive tables.
#[derive(Clone, Copy)]
pub(crate) struct Layout(pub(crate) Backend);

impl Layout {
    pub(crate) fn schema(tenant_id: &TenantId) -> String {
        format!("streamdata_{tenant_id}")
    }

    /// The unquoted table name (SQLite) or name within the schema (PostgreSQL).
    fn table_name(self, table: &ArchiveTable) -> String {
        match self.0 {
            Backend::Postgres => format!("a_{}", table.archive_id),
            Backend::Sqlite => format!("{}__{}", Self::schema(&table.tenant_id), table.archive_id),
        }
    }

    /// The quoted, qualified table name to use in statements.
    pub(crate) fn table_ref(self, table: &ArchiveTable) -> String {
        match self.0 {
            Backend::Postgres => format!(
                "{}.{}",
                quote(&Self::schema(&table.tenant_id)),
                quote(&self.table_name(table))
            ),
            Backend::Sqlite => quote(&self.table_name(table)),
        }
    }

    pub(crate) fn column_type(self, kind: StreamColumnKind) -> &'static str {
        match (self.0, kind) {
            (Backend::Postgres, StreamColumnKind::Integer) => "BIGINT",
            (Backend::Sqlite, StreamColumnKind::Integer) => "INTEGER",
            (Backend::Postgres, StreamColumnKind::Double) => "DOUBLE PRECISION",
            (Backend::Sqlite, StreamColumnKind::Double) => "REAL",
            (Backend::Postgres, StreamColumnKind::Boolean) => "BOOLEAN",
            // STRICT tables accept INTEGER; sqlx reads 0/1 back as bool.
            (Backend::Sqlite, StreamColumnKind::Boolean) => "INTEGER",
            // Byte order, as in Rust and SQLite, for min, max and sorting.
            (Backend::Postgres, StreamColumnKind::Text) => "TEXT COLLATE \"C\"",
            (Backend::Sqlite, StreamColumnKind::Text) => "TEXT",
        }
    }

    /// The aggregate expression and the kind of its result.
    fn aggregate(
        self,
        table: &ArchiveTable,
        function: AggregateFunction,
        column: Option<usize>,
    ) -> Result<(String, StreamColumnKind), StoreError> {
        let Some(index) = column else {
            return match function {
                AggregateFunction::Count => Ok(("COUNT(*)".to_owned(), StreamColumnKind::Integer)),
                other => Err(StoreError::invalid_query(format!(
                    "{other:?} needs a column; only count may omit it"
                ))),
            };
        };
        let col = column_at(table, index)?;
        let name = value_column(&col.name);
        let pg = self.0 == Backend::Postgres;
        let refuse = |needs: &str| {
            StoreError::invalid_query(format!(
                "{function:?} of column '{}' is not possible; it needs {needs}",
                col.name
            ))
        };
        Ok(match function {
            AggregateFunction::Count => (format!("COUNT({name})"), StreamColumnKind::Integer),
            AggregateFunction::Sum => match col.kind {
                // PostgreSQL sums BIGINT into NUMERIC; bring it back.
                StreamColumnKind::Integer if pg => (
                    format!("CAST(SUM({name}) AS BIGINT)"),
                    StreamColumnKind::Integer,
                ),
                StreamColumnKind::Integer => (format!("SUM({name})"), StreamColumnKind::Integer),
                StreamColumnKind::Double => (format!("SUM({name})"), StreamColumnKind::Double),
                _ => return Err(refuse("a numeric column")),
            },
            AggregateFunction::Avg => match col.kind {
                StreamColumnKind::Integer | StreamColumnKind::Double if pg => (
                    format!("CAST(AVG({name}) AS DOUBLE PRECISION)"),
                    StreamColumnKind::Double,
                ),
                StreamColumnKind::Integer | StreamColumnKind::Double => {
                    (format!("AVG({name})"), StreamColumnKind::Double)
                }
                _ => return Err(refuse("a numeric column")),
            },
            AggregateFunction::Min | AggregateFunction::Max => {
                if col.kind == StreamColumnKind::Boolean {
                    return Err(refuse("a numeric or text column"));
                }
                let sql = if function == AggregateFunction::Min {
                    "MIN"
                } else {
                    "MAX"
                };
                (format!("{sql}({name})"), col.kind)
            }
        })
    }
}

pub(crate) fn column_at(
    table: &ArchiveTable,
    index: usize,
) -> Result<&crate::stream::StreamColumn, StoreError> {
    table.columns.get(index).ok_or_else(|| {
        StoreError::invalid_query(format!(
            "column {index} does not exist; the archive has {} column(s)",
            table.columns.len()
        ))
    })
}

/// A value bound for a column of `kind`; integers are accepted for doubles.
fn bind_value(
    table: &ArchiveTable,
    index: usize,
    value: &StreamValue,
) -> Result<Option<Param>, StoreError> {
    let column = column_at(table, index)?;
    let param = match (column.kind, value) {
        (_, StreamValue::Null) => return Ok(None),
        (StreamColumnKind::Integer, StreamValue::Integer(i)) => Param::Int(*i),
        (StreamColumnKind::Double, StreamValue::Double(f)) if f.is_finite() => Param::Float(*f),
        #[allow(clippy::cast_precision_loss)] // the caller passed an integer for a double column
        (StreamColumnKind::Double, StreamValue::Integer(i)) => Param::Float(*i as f64),
        (StreamColumnKind::Boolean, StreamValue::Boolean(b)) => Param::Bool(*b),
        (StreamColumnKind::Text, StreamValue::Text(t)) => Param::Text(t.clone()),
        (kind, value) => {
            return Err(StoreError::invalid_query(format!(
                "column '{}' holds {kind:?} values; {value:?} does not fit",
                column.name
            )));
        }
    };
    Ok(Some(param))
}

/// SQL text plus its parameters, numbered `$1…` in push order.
#[derive(Default)]
pub(crate) struct Built {
    pub(crate) sql: String,
    pub(crate) params: Vec<Param>,
}

impl Built {
    pub(crate) fn param(&mut self, param: Param) -> String {
        self.params.push(param);
        format!("${}", self.params.len())
    }

    /// ` WHERE …` for a selection (or nothing).
    fn selection(&mut self, table: &ArchiveTable, sel: &StreamSelection) -> Result<(), StoreError> {
        let mut parts = Vec::new();
        if let Some(from) = sel.from {
            parts.push(format!("t >= {}", self.param(Param::Int(from))));
        }
        if let Some(to) = sel.to {
            parts.push(format!("t < {}", self.param(Param::Int(to))));
        }
        if !sel.sources.is_empty() {
            let list: Vec<String> = sel
                .sources
                .iter()
                .map(|s| self.param(Param::Text(s.clone())))
                .collect();
            parts.push(format!("source IN ({})", list.join(", ")));
        }
        if !sel.filters.is_empty() {
            check_filter_size(&sel.filters)?;
            parts.push(self.filter_expr(table, &sel.filters)?);
        }
        if !parts.is_empty() {
            self.sql.push_str(" WHERE ");
            self.sql.push_str(&parts.join(" AND "));
        }
        Ok(())
    }

    /// A filter tree as one parenthesised SQL condition. An empty And is `1 = 1` and an
    /// empty Or `1 = 0`, the identities of the two operators, so a tree means the same in
    /// SQL as in [`StreamFilterExpr`]'s documentation. With only AND / OR (no NOT), SQL's
    /// "unknown" for a null operand behaves as false in a WHERE clause, which is the
    /// documented rule.
    fn filter_expr(
        &mut self,
        table: &ArchiveTable,
        expr: &StreamFilterExpr,
    ) -> Result<String, StoreError> {
        let (parts, joiner, empty) = match expr {
            StreamFilterExpr::Condition(filter) => return self.filter(table, filter),
            StreamFilterExpr::And(parts) => (parts, " AND ", "1 = 1"),
            StreamFilterExpr::Or(parts) => (parts, " OR ", "1 = 0"),
        };
        if parts.is_empty() {
            return Ok(empty.to_owned());
        }
        let sql = parts
            .iter()
            .map(|part| self.filter_expr(table, part))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(format!("({})", sql.join(joiner)))
    }

    fn filter(
        &mut self,
        table: &ArchiveTable,
        filter: &StreamFilter,
    ) -> Result<String, StoreError> {
        let column = column_at(table, filter.column)?;
        let name = value_column(&column.name);
        let op = filter.operator;
        let mut operands = Vec::new();
        for value in &filter.values {
            match bind_value(table, filter.column, value)? {
                Some(param) => operands.push(self.param(param)),
                None => {
                    return Err(StoreError::invalid_query(format!(
                        "a {op:?} filter on '{}' cannot compare with null; use IsNull or IsNotNull",
                        column.name
                    )));
                }
            }
        }
        let single = |operands: &[String]| -> Result<String, StoreError> {
            match operands {
                [one] => Ok(one.clone()),
                _ => Err(StoreError::invalid_query(format!(
                    "a {op:?} filter on '{}' needs exactly one value, got {}",
                    column.name,
                    operands.len()
                ))),
            }
        };
        let comparison = |sql_op: &str| -> Result<String, StoreError> {
            if column.kind == StreamColumnKind::Boolean && sql_op != "=" && sql_op != "<>" {
                return Err(StoreError::invalid_query(format!(
                    "'{}' is boolean; only Equals and NotEquals apply",
                    column.name
                )));
            }
            Ok(format!("{name} {sql_op} {}", single(&operands)?))
        };
        match op {
            FilterOperator::Equals => comparison("="),
            // NotEquals keeps nulls out, as SQL does; say IsNull to get them.
            FilterOperator::NotEquals => comparison("<>"),
            FilterOperator::GreaterThan => comparison(">"),
            FilterOperator::GreaterThanOrEqual => comparison(">="),
            FilterOperator::LessThan => comparison("<"),
            FilterOperator::LessThanOrEqual => comparison("<="),
            FilterOperator::In | FilterOperator::NotIn if operands.is_empty() => {
                Err(StoreError::invalid_query(format!(
                    "an {op:?} filter on '{}' needs at least one value",
                    column.name
                )))
            }
            FilterOperator::In => Ok(format!("{name} IN ({})", operands.join(", "))),
            FilterOperator::NotIn => Ok(format!("{name} NOT IN ({})", operands.join(", "))),
            FilterOperator::IsNull | FilterOperator::IsNotNull if !operands.is_empty() => {
                Err(StoreError::invalid_query(format!(
                    "an {op:?} filter on '{}' takes no value",
                    column.name
                )))
            }
            FilterOperator::IsNull => Ok(format!("{name} IS NULL")),
            FilterOperator::IsNotNull => Ok(format!("{name} IS NOT NULL")),
            other => Err(StoreError::invalid_query(format!(
                "the {other:?} operator does not apply to stream data; use Equals, NotEquals, \
                 GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual, In, NotIn, IsNull \
                 or IsNotNull"
            ))),
        }
    }
}

/// Refuses a filter tree deeper, or with more conditions or values, than the limits in
/// [`crate::stream`], before any SQL is built (the recursion is bounded by the depth check).
fn check_filter_size(expr: &StreamFilterExpr) -> Result<(), StoreError> {
    fn walk(
        expr: &StreamFilterExpr,
        depth: usize,
        conditions: &mut usize,
        values: &mut usize,
    ) -> Result<(), StoreError> {
        match expr {
            StreamFilterExpr::Condition(filter) => {
                *conditions += 1;
                *values += filter.values.len();
                Ok(())
            }
            StreamFilterExpr::And(parts) | StreamFilterExpr::Or(parts) => {
                if depth > MAX_STREAM_FILTER_DEPTH {
                    return Err(StoreError::invalid_query(format!(
                        "the stream filter nests And/Or groups more than \
                         {MAX_STREAM_FILTER_DEPTH} levels deep; flatten it"
                    )));
                }
                parts
                    .iter()
                    .try_for_each(|part| walk(part, depth + 1, conditions, values))
            }
        }
    }
    let (mut conditions, mut values) = (0, 0);
    walk(expr, 1, &mut conditions, &mut values)?;
    if conditions > MAX_STREAM_FILTER_CONDITIONS {
        return Err(StoreError::invalid_query(format!(
            "the stream filter has {conditions} conditions; at most \
             {MAX_STREAM_FILTER_CONDITIONS} are allowed"
        )));
    }
    if values > MAX_STREAM_FILTER_VALUES {
        return Err(StoreError::invalid_query(format!(
            "the stream filter compares with {values} values; at most \
             {MAX_STREAM_FILTER_VALUES} are allowed"
        )));
    }
    Ok(())
}

/// The SELECT for raw samples, and the kinds of the value columns it returns
/// after `t` and `source`.
fn rows_statement(
    layout: Layout,
    table: &ArchiveTable,
    query: &StreamRowsQuery,
) -> Result<(Built, Vec<StreamColumnKind>), StoreError> {
    check_column_names(table)?;
    if query.limit == 0 {
        return Err(StoreError::invalid_query("limit must be greater than 0"));
    }
    let mut kinds = Vec::new();
    let mut select = vec!["t".to_owned(), "source".to_owned()];
    for &index in &query.columns {
        let column = column_at(table, index)?;
        select.push(value_column(&column.name));
        kinds.push(column.kind);
    }
    let mut built = Built {
        sql: format!(
            "SELECT {} FROM {}",
            select.join(", "),
            layout.table_ref(table)
        ),
        params: Vec::new(),
    };
    built.selection(table, &query.selection)?;
    let direction = if query.descending { "DESC" } else { "ASC" };
    let limit = built.param(Param::Int(i64::from(query.limit)));
    built.sql.push_str(&format!(
        " ORDER BY t {direction}, source {direction} LIMIT {limit}"
    ));
    Ok((built, kinds))
}

/// The SELECT for an aggregation and the kind of each result column.
fn aggregation_statement(
    layout: Layout,
    table: &ArchiveTable,
    query: &StreamAggregation,
) -> Result<(Built, Vec<StreamColumnKind>), StoreError> {
    check_column_names(table)?;
    if query.aggregates.is_empty() {
        return Err(StoreError::invalid_query(
            "an aggregation needs at least one aggregate",
        ));
    }
    let mut built = Built::default();
    let mut select = Vec::new();
    let mut kinds = Vec::new();
    if let Some(buckets) = query.buckets {
        if buckets.width < 1 {
            return Err(StoreError::invalid_query(
                "the bucket width must be at least 1 µs",
            ));
        }
        // Integer division truncates toward zero, which is floor only for
        // times at or after the origin: the selection must start there.
        if query.selection.from != Some(buckets.origin) {
            return Err(StoreError::invalid_query(
                "buckets must start where the selection starts ('from')",
            ));
        }
        let origin = built.param(Param::Int(buckets.origin));
        let width = built.param(Param::Int(buckets.width));
        select.push(format!("{origin} + ((t - {origin}) / {width}) * {width}"));
        kinds.push(StreamColumnKind::Integer);
    }
    for key in &query.group_by {
        match key {
            StreamGroupKey::Source => {
                select.push("source".to_owned());
                kinds.push(StreamColumnKind::Text);
            }
            StreamGroupKey::Column(index) => {
                let column = column_at(table, *index)?;
                select.push(value_column(&column.name));
                kinds.push(column.kind);
            }
        }
    }
    let keys = select.len();
    for aggregate in &query.aggregates {
        let (sql, kind) = layout.aggregate(table, aggregate.function, aggregate.column)?;
        select.push(sql);
        kinds.push(kind);
    }
    built.sql = format!(
        "SELECT {} FROM {}",
        select.join(", "),
        layout.table_ref(table)
    );
    built.selection(table, &query.selection)?;
    if keys > 0 {
        let ordinals: Vec<String> = (1..=keys).map(|n| n.to_string()).collect();
        let ordered: Vec<String> = (1..=keys).map(|n| format!("{n} ASC NULLS LAST")).collect();
        built.sql.push_str(&format!(
            " GROUP BY {} ORDER BY {}",
            ordinals.join(", "),
            ordered.join(", ")
        ));
    }
    Ok((built, kinds))
}

/// Reads cell `index` of `row` as a value of `kind`.
fn decode<'r, DB>(
    row: &'r DB::Row,
    index: usize,
    kind: StreamColumnKind,
) -> Result<StreamValue, sqlx::Error>
where
    DB: Database,
    usize: sqlx::ColumnIndex<DB::Row>,
    Option<i64>: Decode<'r, DB> + Type<DB>,
    Option<f64>: Decode<'r, DB> + Type<DB>,
    Option<bool>: Decode<'r, DB> + Type<DB>,
    Option<String>: Decode<'r, DB> + Type<DB>,
{
    Ok(match kind {
        StreamColumnKind::Integer => row
            .try_get::<Option<i64>, _>(index)?
            .map_or(StreamValue::Null, StreamValue::Integer),
        StreamColumnKind::Double => row
            .try_get::<Option<f64>, _>(index)?
            .map_or(StreamValue::Null, StreamValue::Double),
        StreamColumnKind::Boolean => row
            .try_get::<Option<bool>, _>(index)?
            .map_or(StreamValue::Null, StreamValue::Boolean),
        StreamColumnKind::Text => row
            .try_get::<Option<String>, _>(index)?
            .map_or(StreamValue::Null, StreamValue::Text),
    })
}

/// Checks a batch against the table before anything is written, so a bad
/// sample is reported by its position and nothing reaches the database.
fn check_samples(table: &ArchiveTable, samples: &[StreamSample]) -> Result<(), StoreError> {
    check_column_names(table)?;
    for (position, sample) in samples.iter().enumerate() {
        if sample.values.len() != table.columns.len() {
            return Err(StoreError::invalid_query(format!(
                "sample {position} has {} value(s) but the archive has {} column(s)",
                sample.values.len(),
                table.columns.len()
            )));
        }
        for (index, value) in sample.values.iter().enumerate() {
            bind_value(table, index, value).map_err(|err| match err {
                StoreError::InvalidQuery { reason } => {
                    StoreError::invalid_query(format!("sample {position}: {reason}"))
                }
                other => other,
            })?;
        }
    }
    Ok(())
}

/// The generic runners shared by both backends.
pub(crate) async fn fetch_cells<DB>(
    pool: &Pool<DB>,
    location: &str,
    built: &Built,
    kinds: &[StreamColumnKind],
    operation: impl Fn() -> String,
) -> Result<Vec<Vec<StreamValue>>, StoreError>
where
    DB: Database,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + Type<DB>,
    for<'q> f64: sqlx::Encode<'q, DB> + Type<DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + Type<DB>,
    for<'q> crate::timestamp::SqlTime: sqlx::Encode<'q, DB> + Type<DB>,
    for<'q> sqlx::types::Json<serde_json::Value>: sqlx::Encode<'q, DB> + Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'r> Option<i64>: Decode<'r, DB> + Type<DB>,
    for<'r> Option<f64>: Decode<'r, DB> + Type<DB>,
    for<'r> Option<bool>: Decode<'r, DB> + Type<DB>,
    for<'r> Option<String>: Decode<'r, DB> + Type<DB>,
    Backend: From<BackendOf<DB>>,
{
    let backend = Backend::from(BackendOf(std::marker::PhantomData));
    let rows = sqlx::query_with::<DB, _>(&built.sql, arguments::<DB>(&built.params)?)
        .fetch_all(pool)
        .await
        .map_err(|err| classify(backend, location, err, &operation))?;
    rows.iter()
        .map(|row| {
            kinds
                .iter()
                .enumerate()
                .map(|(index, kind)| decode::<DB>(row, index, *kind))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|err| classify(backend, location, err, &operation))
        })
        .collect()
}

/// Names the backend of a sqlx database type for error messages.
pub(crate) struct BackendOf<DB>(std::marker::PhantomData<DB>);

impl From<BackendOf<Sqlite>> for Backend {
    fn from(_: BackendOf<Sqlite>) -> Self {
        Backend::Sqlite
    }
}

impl From<BackendOf<Postgres>> for Backend {
    fn from(_: BackendOf<Postgres>) -> Self {
        Backend::Postgres
    }
}

fn samples_from_cells(cells: Vec<Vec<StreamValue>>) -> Result<Vec<StreamSample>, StoreError> {
    cells
        .into_iter()
        .map(|mut row| {
            let rest = row.split_off(2.min(row.len()));
            match row.as_slice() {
                [StreamValue::Integer(time), StreamValue::Text(source)] => Ok(StreamSample {
                    time: *time,
                    source: source.clone(),
                    values: rest,
                }),
                _ => Err(StoreError::Corrupt {
                    what: "a stream sample's time or source".to_owned(),
                    reason: "it is null".to_owned(),
                }),
            }
        })
        .collect()
}

pub(crate) fn count_u64(count: i64) -> u64 {
    u64::try_from(count).unwrap_or_default()
}

// --- PostgreSQL -----------------------------------------------------------------

impl SqlStore<Postgres> {
    fn pg_fail<'a>(
        &'a self,
        operation: impl Fn() -> String + 'a,
    ) -> impl FnOnce(sqlx::Error) -> StoreError + 'a {
        move |err| classify(Backend::Postgres, self.location(), err, operation)
    }

    async fn tenant_exists(&self, tenant_id: &TenantId) -> Result<bool, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tenants WHERE tenant_id = $1")
            .bind(tenant_id.as_str())
            .fetch_one(self.pool())
            .await
            .map_err(self.pg_fail(|| format!("read tenant '{tenant_id}'")))?;
        Ok(count > 0)
    }

    /// Runs a DDL statement that may race with the same statement elsewhere:
    /// "already exists" (a table, schema or its row type) means the other
    /// one won, which is what we wanted.
    async fn pg_ddl(&self, sql: &str, operation: impl Fn() -> String) -> Result<(), StoreError> {
        match sqlx::query(sql).execute(self.pool()).await {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_database_error()
                    .and_then(|db| db.code())
                    .is_some_and(|code| matches!(&*code, "42P07" | "42P06" | "23505")) =>
            {
                Ok(())
            }
            Err(err) => Err(classify(Backend::Postgres, self.location(), err, operation)),
        }
    }

    fn partition_name(table: &ArchiveTable, day: i64) -> String {
        format!("a_{}_d{day}", table.archive_id)
    }

    async fn ensure_partitions(
        &self,
        table: &ArchiveTable,
        days: impl IntoIterator<Item = i64>,
    ) -> Result<(), StoreError> {
        let layout = Layout(Backend::Postgres);
        let parent = layout.table_ref(table);
        let schema = quote(&Layout::schema(&table.tenant_id));
        for day in days {
            let from = day.saturating_mul(DAY_MICROS);
            let to = from.saturating_add(DAY_MICROS);
            let sql = format!(
                "CREATE TABLE IF NOT EXISTS {schema}.{} PARTITION OF {parent} \
                 FOR VALUES FROM ({from}) TO ({to})",
                quote(&Self::partition_name(table, day))
            );
            self.pg_ddl(&sql, || {
                format!("create a partition of archive {}", table.archive_id)
            })
            .await?;
        }
        Ok(())
    }
}

fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

#[async_trait]
impl StreamStore for SqlStore<Postgres> {
    async fn init_stream_store(&self, tenant_id: &TenantId) -> Result<(), StoreError> {
        if !self.tenant_exists(tenant_id).await? {
            return Err(StoreError::tenant_not_found(tenant_id));
        }
        let schema = Layout::schema(tenant_id);
        let op = || format!("initialise the archive runtime store of tenant '{tenant_id}'");
        self.pg_ddl(
            &format!("CREATE SCHEMA IF NOT EXISTS {}", quote(&schema)),
            op,
        )
        .await?;
        sqlx::query(
            "INSERT INTO stream_stores (tenant_id, schema_name) VALUES ($1, $2) \
             ON CONFLICT (tenant_id) DO UPDATE SET schema_name = EXCLUDED.schema_name",
        )
        .bind(tenant_id.as_str())
        .bind(&schema)
        .execute(self.pool())
        .await
        .map_err(self.pg_fail(op))?;
        Ok(())
    }

    async fn stream_store_exists(&self, tenant_id: &TenantId) -> Result<bool, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM stream_stores s JOIN pg_namespace n ON n.nspname = s.schema_name \
             WHERE s.tenant_id = $1",
        )
        .bind(tenant_id.as_str())
        .fetch_one(self.pool())
        .await
        .map_err(
            self.pg_fail(|| format!("read the archive runtime store of tenant '{tenant_id}'")),
        )?;
        Ok(count > 0)
    }

    async fn drop_stream_store(&self, tenant_id: &TenantId) -> Result<bool, StoreError> {
        let op = || format!("drop the archive runtime store of tenant '{tenant_id}'");
        sqlx::query(&format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            quote(&Layout::schema(tenant_id))
        ))
        .execute(self.pool())
        .await
        .map_err(self.pg_fail(op))?;
        // Rollup state goes with the tables it describes.
        for control in ["stream_rollup_ranges", "stream_rollups"] {
            sqlx::query(&format!("DELETE FROM {control} WHERE tenant_id = $1"))
                .bind(tenant_id.as_str())
                .execute(self.pool())
                .await
                .map_err(self.pg_fail(op))?;
        }
        let result = sqlx::query("DELETE FROM stream_stores WHERE tenant_id = $1")
            .bind(tenant_id.as_str())
            .execute(self.pool())
            .await
            .map_err(self.pg_fail(op))?;
        Ok(result.rows_affected() > 0)
    }

    async fn create_archive_table(&self, table: &ArchiveTable) -> Result<(), StoreError> {
        check_column_names(table)?;
        let tenant_id = &table.tenant_id;
        if !self.stream_store_exists(tenant_id).await? {
            return Err(StoreError::NotFound {
                what: format!("The archive runtime store of tenant '{tenant_id}'"),
            });
        }
        let layout = Layout(Backend::Postgres);
        let mut columns = vec![
            "t BIGINT NOT NULL".to_owned(),
            "source TEXT COLLATE \"C\" NOT NULL".to_owned(),
        ];
        for column in &table.columns {
            columns.push(format!(
                "{} {}",
                value_column(&column.name),
                layout.column_type(column.kind)
            ));
        }
        let op = || format!("create the table of archive {}", table.archive_id);
        self.pg_ddl(
            &format!(
                "CREATE TABLE IF NOT EXISTS {} ({}) PARTITION BY RANGE (t)",
                layout.table_ref(table),
                columns.join(", ")
            ),
            op,
        )
        .await?;
        self.pg_ddl(
            &format!(
                "CREATE INDEX IF NOT EXISTS {} ON {} (source, t)",
                quote(&format!("a_{}_source_t", table.archive_id)),
                layout.table_ref(table)
            ),
            op,
        )
        .await?;
        let today = now_micros().div_euclid(DAY_MICROS);
        self.ensure_partitions(table, today - DAYS_BEHIND..=today + DAYS_AHEAD)
            .await
    }

    async fn archive_table_exists(&self, table: &ArchiveTable) -> Result<bool, StoreError> {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(Layout(Backend::Postgres).table_ref(table))
            .fetch_one(self.pool())
            .await
            .map_err(
                self.pg_fail(|| format!("look up the table of archive {}", table.archive_id)),
            )?;
        Ok(exists)
    }

    async fn drop_archive_table(&self, table: &ArchiveTable) -> Result<bool, StoreError> {
        let existed = self.archive_table_exists(table).await?;
        sqlx::query(&format!(
            "DROP TABLE IF EXISTS {} CASCADE",
            Layout(Backend::Postgres).table_ref(table)
        ))
        .execute(self.pool())
        .await
        .map_err(self.pg_fail(|| format!("drop the table of archive {}", table.archive_id)))?;
        Ok(existed)
    }

    async fn write_samples(
        &self,
        table: &ArchiveTable,
        samples: &[StreamSample],
    ) -> Result<u64, StoreError> {
        check_samples(table, samples)?;
        if samples.is_empty() {
            return Ok(0);
        }
        let mut days: Vec<i64> = samples
            .iter()
            .map(|s| s.time.div_euclid(DAY_MICROS))
            .collect();
        days.sort_unstable();
        days.dedup();
        self.ensure_partitions(table, days).await?;
        let layout = Layout(Backend::Postgres);
        let mut names = vec!["t".to_owned(), "source".to_owned()];
        names.extend(table.columns.iter().map(|c| value_column(&c.name)));
        let statement = format!(
            "COPY {} ({}) FROM STDIN",
            layout.table_ref(table),
            names.join(", ")
        );
        let op = || {
            format!(
                "write {} sample(s) to archive {}",
                samples.len(),
                table.archive_id
            )
        };
        let mut copy = self
            .pool()
            .copy_in_raw(&statement)
            .await
            .map_err(self.pg_fail(op))?;
        let mut buffer = Vec::with_capacity(COPY_CHUNK + 4096);
        for (position, sample) in samples.iter().enumerate() {
            copy_line(&mut buffer, sample);
            let last = position + 1 == samples.len();
            if (buffer.len() >= COPY_CHUNK || last)
                && let Err(err) = copy.send(std::mem::take(&mut buffer)).await
            {
                // Aborting rolls the whole COPY back; its own error is less
                // telling than the one that made us stop.
                let _ = copy.abort("write failed").await;
                return Err(classify(Backend::Postgres, self.location(), err, op));
            }
        }
        copy.finish().await.map_err(self.pg_fail(op))
    }

    async fn query_samples(
        &self,
        table: &ArchiveTable,
        query: &StreamRowsQuery,
    ) -> Result<Vec<StreamSample>, StoreError> {
        let (built, mut kinds) = rows_statement(Layout(Backend::Postgres), table, query)?;
        kinds.splice(0..0, [StreamColumnKind::Integer, StreamColumnKind::Text]);
        let cells = fetch_cells(self.pool(), self.location(), &built, &kinds, || {
            format!("query archive {}", table.archive_id)
        })
        .await?;
        samples_from_cells(cells)
    }

    async fn aggregate_samples(
        &self,
        table: &ArchiveTable,
        query: &StreamAggregation,
    ) -> Result<Vec<Vec<StreamValue>>, StoreError> {
        let (built, kinds) = aggregation_statement(Layout(Backend::Postgres), table, query)?;
        fetch_cells(self.pool(), self.location(), &built, &kinds, || {
            format!("aggregate archive {}", table.archive_id)
        })
        .await
    }

    async fn archive_stats(&self, table: &ArchiveTable) -> Result<StreamStats, StoreError> {
        if !self.archive_table_exists(table).await? {
            return Ok(StreamStats {
                table_exists: false,
                record_count: 0,
                size_bytes: 0,
                first_time: None,
                last_time: None,
            });
        }
        let layout = Layout(Backend::Postgres);
        let op = || format!("read the statistics of archive {}", table.archive_id);
        let (count, first, last): (i64, Option<i64>, Option<i64>) = sqlx::query_as(&format!(
            "SELECT COUNT(*), MIN(t), MAX(t) FROM {}",
            layout.table_ref(table)
        ))
        .fetch_one(self.pool())
        .await
        .map_err(self.pg_fail(op))?;
        let size: i64 = sqlx::query_scalar(
            "SELECT (COALESCE(SUM(pg_total_relation_size(inhrelid)), 0) \
             + pg_total_relation_size($1::regclass))::BIGINT \
             FROM pg_inherits WHERE inhparent = $1::regclass",
        )
        .bind(layout.table_ref(table))
        .fetch_one(self.pool())
        .await
        .map_err(self.pg_fail(op))?;
        Ok(StreamStats {
            table_exists: true,
            record_count: count_u64(count),
            size_bytes: count_u64(size),
            first_time: first,
            last_time: last,
        })
    }

    async fn delete_samples_before(
        &self,
        table: &ArchiveTable,
        cutoff: i64,
    ) -> Result<u64, StoreError> {
        let layout = Layout(Backend::Postgres);
        let op = || format!("apply the retention of archive {}", table.archive_id);
        let partitions: Vec<String> = sqlx::query_scalar(
            "SELECT c.relname::TEXT FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = $1::regclass",
        )
        .bind(layout.table_ref(table))
        .fetch_all(self.pool())
        .await
        .map_err(self.pg_fail(op))?;
        let prefix = format!("a_{}_d", table.archive_id);
        let schema = quote(&Layout::schema(&table.tenant_id));
        let mut removed = 0;
        for name in partitions {
            let Some(day) = name
                .strip_prefix(&prefix)
                .and_then(|d| d.parse::<i64>().ok())
            else {
                continue;
            };
            // A partition wholly before the cutoff goes at once: dropping a
            // table is cheap and leaves no dead rows to vacuum.
            if day.saturating_add(1).saturating_mul(DAY_MICROS) <= cutoff {
                let qualified = format!("{schema}.{}", quote(&name));
                let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {qualified}"))
                    .fetch_one(self.pool())
                    .await
                    .map_err(self.pg_fail(op))?;
                sqlx::query(&format!("DROP TABLE IF EXISTS {qualified}"))
                    .execute(self.pool())
                    .await
                    .map_err(self.pg_fail(op))?;
                removed += count_u64(count);
            }
        }
        let result = sqlx::query(&format!(
            "DELETE FROM {} WHERE t < $1",
            layout.table_ref(table)
        ))
        .bind(cutoff)
        .execute(self.pool())
        .await
        .map_err(self.pg_fail(op))?;
        Ok(removed + result.rows_affected())
    }
}

/// One sample as a line of COPY's text format.
fn copy_line(buffer: &mut Vec<u8>, sample: &StreamSample) {
    use std::io::Write;
    // Writing to a Vec cannot fail.
    let _ = write!(buffer, "{}\t", sample.time);
    copy_text(buffer, &sample.source);
    for value in &sample.values {
        buffer.push(b'\t');
        match value {
            StreamValue::Null => buffer.extend_from_slice(b"\\N"),
            StreamValue::Integer(i) => {
                let _ = write!(buffer, "{i}");
            }
            StreamValue::Double(f) => {
                let _ = write!(buffer, "{f:?}");
            }
            StreamValue::Boolean(b) => buffer.push(if *b { b't' } else { b'f' }),
            StreamValue::Text(t) => copy_text(buffer, t),
        }
    }
    buffer.push(b'\n');
}

/// Text with COPY's escapes for backslash, tab, newline and carriage return.
fn copy_text(buffer: &mut Vec<u8>, text: &str) {
    for byte in text.bytes() {
        match byte {
            b'\\' => buffer.extend_from_slice(b"\\\\"),
            b'\t' => buffer.extend_from_slice(b"\\t"),
            b'\n' => buffer.extend_from_slice(b"\\n"),
            b'\r' => buffer.extend_from_slice(b"\\r"),
            other => buffer.push(other),
        }
    }
}

// --- SQLite ---------------------------------------------------------------------

impl SqlStore<Sqlite> {
    fn lite_fail<'a>(
        &'a self,
        operation: impl Fn() -> String + 'a,
    ) -> impl FnOnce(sqlx::Error) -> StoreError + 'a {
        move |err| classify(Backend::Sqlite, self.location(), err, operation)
    }

    /// The archive tables of the tenant (names start with the tenant prefix).
    async fn tenant_tables(&self, tenant_id: &TenantId) -> Result<Vec<String>, StoreError> {
        let prefix = format!("{}__", Layout::schema(tenant_id));
        sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND substr(name, 1, length($1)) = $1",
        )
        .bind(prefix)
        .fetch_all(self.pool())
        .await
        .map_err(self.lite_fail(|| format!("list the archive tables of tenant '{tenant_id}'")))
    }
}

#[async_trait]
impl StreamStore for SqlStore<Sqlite> {
    async fn init_stream_store(&self, tenant_id: &TenantId) -> Result<(), StoreError> {
        let op = || format!("initialise the archive runtime store of tenant '{tenant_id}'");
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tenants WHERE tenant_id = $1")
            .bind(tenant_id.as_str())
            .fetch_one(self.pool())
            .await
            .map_err(self.lite_fail(op))?;
        if count == 0 {
            return Err(StoreError::tenant_not_found(tenant_id));
        }
        sqlx::query(
            "INSERT INTO stream_stores (tenant_id, schema_name) VALUES ($1, $2) \
             ON CONFLICT (tenant_id) DO UPDATE SET schema_name = excluded.schema_name",
        )
        .bind(tenant_id.as_str())
        .bind(Layout::schema(tenant_id))
        .execute(self.pool())
        .await
        .map_err(self.lite_fail(op))?;
        Ok(())
    }

    async fn stream_store_exists(&self, tenant_id: &TenantId) -> Result<bool, StoreError> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM stream_stores WHERE tenant_id = $1")
                .bind(tenant_id.as_str())
                .fetch_one(self.pool())
                .await
                .map_err(self.lite_fail(|| {
                    format!("read the archive runtime store of tenant '{tenant_id}'")
                }))?;
        Ok(count > 0)
    }

    async fn drop_stream_store(&self, tenant_id: &TenantId) -> Result<bool, StoreError> {
        let op = || format!("drop the archive runtime store of tenant '{tenant_id}'");
        for name in self.tenant_tables(tenant_id).await? {
            sqlx::query(&format!("DROP TABLE IF EXISTS {}", quote(&name)))
                .execute(self.pool())
                .await
                .map_err(self.lite_fail(op))?;
        }
        // Rollup state goes with the tables it describes.
        for control in ["stream_rollup_ranges", "stream_rollups"] {
            sqlx::query(&format!("DELETE FROM {control} WHERE tenant_id = $1"))
                .bind(tenant_id.as_str())
                .execute(self.pool())
                .await
                .map_err(self.lite_fail(op))?;
        }
        let result = sqlx::query("DELETE FROM stream_stores WHERE tenant_id = $1")
            .bind(tenant_id.as_str())
            .execute(self.pool())
            .await
            .map_err(self.lite_fail(op))?;
        Ok(result.rows_affected() > 0)
    }

    async fn create_archive_table(&self, table: &ArchiveTable) -> Result<(), StoreError> {
        check_column_names(table)?;
        let tenant_id = &table.tenant_id;
        if !self.stream_store_exists(tenant_id).await? {
            return Err(StoreError::NotFound {
                what: format!("The archive runtime store of tenant '{tenant_id}'"),
            });
        }
        let layout = Layout(Backend::Sqlite);
        let mut columns = vec![
            "t INTEGER NOT NULL".to_owned(),
            "source TEXT NOT NULL".to_owned(),
        ];
        for column in &table.columns {
            columns.push(format!(
                "{} {}",
                value_column(&column.name),
                layout.column_type(column.kind)
            ));
        }
        let name = layout.table_name(table);
        let op = || format!("create the table of archive {}", table.archive_id);
        for sql in [
            format!(
                "CREATE TABLE IF NOT EXISTS {} ({}) STRICT",
                quote(&name),
                columns.join(", ")
            ),
            format!(
                "CREATE INDEX IF NOT EXISTS {} ON {} (source, t)",
                quote(&format!("{name}_source_t")),
                quote(&name)
            ),
            // SQLite has no partitions; an index on the time serves range
            // queries over all sources and retention.
            format!(
                "CREATE INDEX IF NOT EXISTS {} ON {} (t)",
                quote(&format!("{name}_t")),
                quote(&name)
            ),
        ] {
            sqlx::query(&sql)
                .execute(self.pool())
                .await
                .map_err(self.lite_fail(op))?;
        }
        Ok(())
    }

    async fn archive_table_exists(&self, table: &ArchiveTable) -> Result<bool, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
        )
        .bind(Layout(Backend::Sqlite).table_name(table))
        .fetch_one(self.pool())
        .await
        .map_err(self.lite_fail(|| format!("look up the table of archive {}", table.archive_id)))?;
        Ok(count > 0)
    }

    async fn drop_archive_table(&self, table: &ArchiveTable) -> Result<bool, StoreError> {
        let existed = self.archive_table_exists(table).await?;
        sqlx::query(&format!(
            "DROP TABLE IF EXISTS {}",
            Layout(Backend::Sqlite).table_ref(table)
        ))
        .execute(self.pool())
        .await
        .map_err(self.lite_fail(|| format!("drop the table of archive {}", table.archive_id)))?;
        Ok(existed)
    }

    async fn write_samples(
        &self,
        table: &ArchiveTable,
        samples: &[StreamSample],
    ) -> Result<u64, StoreError> {
        check_samples(table, samples)?;
        if samples.is_empty() {
            return Ok(0);
        }
        let layout = Layout(Backend::Sqlite);
        let op = || {
            format!(
                "write {} sample(s) to archive {}",
                samples.len(),
                table.archive_id
            )
        };
        let mut names = vec!["t".to_owned(), "source".to_owned()];
        names.extend(table.columns.iter().map(|c| value_column(&c.name)));
        let per_row = names.len();
        let rows_per_statement = (SQLITE_MAX_PARAMS / per_row).max(1);
        let _turn = self.bulk_write_turn().await;
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(self.lite_fail(op))?;
        for chunk in samples.chunks(rows_per_statement) {
            let mut sql = format!(
                "INSERT INTO {} ({}) VALUES ",
                layout.table_ref(table),
                names.join(", ")
            );
            let mut args = sqlx::sqlite::SqliteArguments::default();
            let mut n = 0;
            for (row, sample) in chunk.iter().enumerate() {
                if row > 0 {
                    sql.push_str(", ");
                }
                let placeholders: Vec<String> =
                    (0..per_row).map(|i| format!("${}", n + i + 1)).collect();
                n += per_row;
                sql.push('(');
                sql.push_str(&placeholders.join(", "));
                sql.push(')');
                let bind_err = |err: sqlx::error::BoxDynError| StoreError::Database {
                    operation: op(),
                    cause: err.to_string(),
                };
                args.add(sample.time).map_err(bind_err)?;
                args.add(sample.source.clone()).map_err(bind_err)?;
                for (index, value) in sample.values.iter().enumerate() {
                    match bind_value(table, index, value)? {
                        None => args.add(Option::<i64>::None),
                        Some(Param::Int(i)) => args.add(i),
                        Some(Param::Float(f)) => args.add(f),
                        Some(Param::Bool(b)) => args.add(b),
                        Some(Param::Text(t)) => args.add(t),
                        Some(_) => args.add(Option::<i64>::None),
                    }
                    .map_err(bind_err)?;
                }
            }
            sqlx::query_with(&sql, args)
                .execute(&mut *tx)
                .await
                .map_err(self.lite_fail(op))?;
        }
        tx.commit().await.map_err(self.lite_fail(op))?;
        Ok(samples.len() as u64)
    }

    async fn query_samples(
        &self,
        table: &ArchiveTable,
        query: &StreamRowsQuery,
    ) -> Result<Vec<StreamSample>, StoreError> {
        let (built, mut kinds) = rows_statement(Layout(Backend::Sqlite), table, query)?;
        kinds.splice(0..0, [StreamColumnKind::Integer, StreamColumnKind::Text]);
        let cells = fetch_cells(self.pool(), self.location(), &built, &kinds, || {
            format!("query archive {}", table.archive_id)
        })
        .await?;
        samples_from_cells(cells)
    }

    async fn aggregate_samples(
        &self,
        table: &ArchiveTable,
        query: &StreamAggregation,
    ) -> Result<Vec<Vec<StreamValue>>, StoreError> {
        let (built, kinds) = aggregation_statement(Layout(Backend::Sqlite), table, query)?;
        fetch_cells(self.pool(), self.location(), &built, &kinds, || {
            format!("aggregate archive {}", table.archive_id)
        })
        .await
    }

    async fn archive_stats(&self, table: &ArchiveTable) -> Result<StreamStats, StoreError> {
        if !self.archive_table_exists(table).await? {
            return Ok(StreamStats {
                table_exists: false,
                record_count: 0,
                size_bytes: 0,
                first_time: None,
                last_time: None,
            });
        }
        let layout = Layout(Backend::Sqlite);
        let op = || format!("read the statistics of archive {}", table.archive_id);
        let (count, first, last): (i64, Option<i64>, Option<i64>) = sqlx::query_as(&format!(
            "SELECT COUNT(*), MIN(t), MAX(t) FROM {}",
            layout.table_ref(table)
        ))
        .fetch_one(self.pool())
        .await
        .map_err(self.lite_fail(op))?;
        // dbstat counts the pages of the table and its indexes.
        let size: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN \
             (SELECT name FROM sqlite_master WHERE tbl_name = $1)",
        )
        .bind(layout.table_name(table))
        .fetch_one(self.pool())
        .await
        .map_err(self.lite_fail(op))?;
        Ok(StreamStats {
            table_exists: true,
            record_count: count_u64(count),
            size_bytes: count_u64(size),
            first_time: first,
            last_time: last,
        })
    }

    async fn delete_samples_before(
        &self,
        table: &ArchiveTable,
        cutoff: i64,
    ) -> Result<u64, StoreError> {
        let result = sqlx::query(&format!(
            "DELETE FROM {} WHERE t < $1",
            Layout(Backend::Sqlite).table_ref(table)
        ))
        .bind(cutoff)
        .execute(self.pool())
        .await
        .map_err(
            self.lite_fail(|| format!("apply the retention of archive {}", table.archive_id)),
        )?;
        Ok(result.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_the_separators() {
        let mut buffer = Vec::new();
        copy_text(&mut buffer, "a\tb\nc\\d\re");
        assert_eq!(buffer, b"a\\tb\\nc\\\\d\\re");
    }

    #[test]
    fn quote_doubles_quotes() {
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}
