//! [`RollupStore`] for both backends: the SQL of rollup tables and their control rows.
//!
//! The statements are written once and stamped out for each backend by `rollup_store!`, since
//! they differ only in names ([`Layout`]), the row lock and PostgreSQL's casts of sums back
//! from NUMERIC. As in `stream_sql`, the only text spliced into SQL are identifiers generated
//! from a tenant id, object ids and checked column names, always quoted; every value is bound.
//!
//! Rollup table `r_<rollupId>` (PostgreSQL, in the tenant's stream-data schema) or
//! `streamdata_<tenant>__r_<rollupId>` (SQLite): `bucket` (µs, start of the bucket), `source`,
//! `n` (samples), then per aggregated column `x`: `c_x` (values), `s_x` (sum; numeric columns),
//! `lo_x` and `hi_x` (min and max; all but boolean columns). Primary key `(source, bucket)`.

use async_trait::async_trait;
use sqlx::{Postgres, Sqlite};

use octo_ids::{OctoObjectId, TenantId};

use crate::error::StoreError;
use crate::query::AggregateFunction;
use crate::query_sql::Param;
use crate::rollup::{
    RewindOutcome, RollupProgress, RollupQuery, RollupRange, RollupState, RollupStore, RollupTable,
};
use crate::sql_store::{Dialect, SqlStore, classify};
use crate::store::Backend;
use crate::stream::{StreamColumnKind, StreamValue};
use crate::stream_sql::{Built, Layout, check_column_names, column_at, fetch_cells, quote};

/// The kinds of `stream_rollup_ranges` rows.
const DIRTY: &str = "dirty";
const GAP: &str = "gap";
/// Dirty ranges recomputed per maintenance step at most; the rest wait for the next step.
const DIRTY_PER_STEP: i64 = 100;

/// `floor(t / interval) * interval` for any sign of `t` (SQL's `%` truncates toward zero).
fn floor_to(t: i64, interval: i64) -> i64 {
    t - t.rem_euclid(interval)
}

impl Layout {
    fn rollup_table_name(self, tenant_id: &TenantId, rollup_id: &OctoObjectId) -> String {
        match self.0 {
            Backend::Postgres => format!("r_{rollup_id}"),
            Backend::Sqlite => format!("{}__r_{rollup_id}", Self::schema(tenant_id)),
        }
    }

    fn rollup_ref(self, tenant_id: &TenantId, rollup_id: &OctoObjectId) -> String {
        match self.0 {
            Backend::Postgres => format!(
                "{}.{}",
                quote(&Self::schema(tenant_id)),
                quote(&self.rollup_table_name(tenant_id, rollup_id))
            ),
            Backend::Sqlite => quote(&self.rollup_table_name(tenant_id, rollup_id)),
        }
    }

    /// A sum as the column's kind: PostgreSQL sums BIGINT into NUMERIC.
    fn int_sum(self, expression: &str) -> String {
        match self.0 {
            Backend::Postgres => format!("CAST(SUM({expression}) AS BIGINT)"),
            Backend::Sqlite => format!("SUM({expression})"),
        }
    }
}

/// One aggregated column's partial aggregates: (rollup column, SQL over the raw column, type).
struct Part {
    name: String,
    raw: String,
    sql_type: &'static str,
}

/// The rollup's checked columns and the partial-aggregate columns they become.
fn parts(layout: Layout, rollup: &RollupTable) -> Result<Vec<Part>, StoreError> {
    check_column_names(&rollup.source)?;
    if rollup.interval < 1 {
        return Err(StoreError::invalid_query(
            "the rollup interval must be at least 1 µs",
        ));
    }
    let integer = layout.column_type(StreamColumnKind::Integer);
    let mut out = vec![Part {
        name: "n".to_owned(),
        raw: "COUNT(*)".to_owned(),
        sql_type: integer,
    }];
    let mut seen = std::collections::BTreeSet::new();
    for &index in &rollup.columns {
        let column = column_at(&rollup.source, index)?;
        if !seen.insert(index) {
            continue;
        }
        let raw = quote(&format!("v_{}", column.name));
        let kind_type = layout.column_type(column.kind);
        out.push(Part {
            name: format!("c_{}", column.name),
            raw: format!("COUNT({raw})"),
            sql_type: integer,
        });
        if column.kind.is_numeric() {
            out.push(Part {
                name: format!("s_{}", column.name),
                raw: if column.kind == StreamColumnKind::Integer {
                    layout.int_sum(&raw)
                } else {
                    format!("SUM({raw})")
                },
                sql_type: kind_type,
            });
        }
        if column.kind != StreamColumnKind::Boolean {
            out.push(Part {
                name: format!("lo_{}", column.name),
                raw: format!("MIN({raw})"),
                sql_type: kind_type,
            });
            out.push(Part {
                name: format!("hi_{}", column.name),
                raw: format!("MAX({raw})"),
                sql_type: kind_type,
            });
        }
    }
    Ok(out)
}

/// `DELETE` then `INSERT … SELECT … GROUP BY` of the buckets in `[$1, $2)`; `$3` is the
/// interval. The upsert makes a repeated computation of a bucket replace, never add.
fn recompute_statements(
    layout: Layout,
    rollup: &RollupTable,
) -> Result<(String, String), StoreError> {
    let parts = parts(layout, rollup)?;
    let target = layout.rollup_ref(&rollup.source.tenant_id, &rollup.rollup_id);
    let names: Vec<String> = parts.iter().map(|p| quote(&p.name)).collect();
    let raws: Vec<&str> = parts.iter().map(|p| p.raw.as_str()).collect();
    let updates: Vec<String> = names
        .iter()
        .map(|n| format!("{n} = excluded.{n}"))
        .collect();
    let delete = format!("DELETE FROM {target} WHERE bucket >= $1 AND bucket < $2");
    let insert = format!(
        "INSERT INTO {target} (bucket, source, {}) \
         SELECT t - (((t % $3) + $3) % $3), source, {} FROM {} \
         WHERE t >= $1 AND t < $2 GROUP BY 1, 2 \
         ON CONFLICT (source, bucket) DO UPDATE SET {}",
        names.join(", "),
        raws.join(", "),
        layout.table_ref(&rollup.source),
        updates.join(", ")
    );
    Ok((delete, insert))
}

/// The merge of rollup rows into result buckets, and the kinds of its result columns.
fn query_statement(
    layout: Layout,
    rollup: &RollupTable,
    query: &RollupQuery,
) -> Result<(Built, Vec<StreamColumnKind>), StoreError> {
    parts(layout, rollup)?;
    let interval = rollup.interval;
    let aligned = |t: i64| t.rem_euclid(interval) == 0;
    if query.width < interval
        || query.width % interval != 0
        || !aligned(query.origin)
        || !aligned(query.from)
        || !aligned(query.to)
        || query.from < query.origin
    {
        return Err(StoreError::invalid_query(
            "a rollup query's origin, range and bucket width must be multiples of the rollup \
             interval, starting at or after the origin",
        ));
    }
    if query.aggregates.is_empty() {
        return Err(StoreError::invalid_query(
            "an aggregation needs at least one aggregate",
        ));
    }
    let pg = layout.0 == Backend::Postgres;
    let mut built = Built::default();
    let origin = built.param(Param::Int(query.origin));
    let width = built.param(Param::Int(query.width));
    let mut select = vec![format!(
        "{origin} + ((bucket - {origin}) / {width}) * {width}"
    )];
    let mut kinds = vec![StreamColumnKind::Integer];
    for aggregate in &query.aggregates {
        let Some(index) = aggregate.column else {
            if aggregate.function != AggregateFunction::Count {
                return Err(StoreError::invalid_query(format!(
                    "{:?} needs a column; only count may omit it",
                    aggregate.function
                )));
            }
            select.push(layout.int_sum("n"));
            kinds.push(StreamColumnKind::Integer);
            continue;
        };
        let column = column_at(&rollup.source, index)?;
        if !rollup.columns.contains(&index) {
            return Err(StoreError::invalid_query(format!(
                "the rollup does not aggregate column '{}'",
                column.name
            )));
        }
        let name = &column.name;
        let c = quote(&format!("c_{name}"));
        let s = quote(&format!("s_{name}"));
        let refuse = |needs: &str| {
            StoreError::invalid_query(format!(
                "{:?} of column '{name}' is not possible; it needs {needs}",
                aggregate.function
            ))
        };
        let (sql, kind) = match aggregate.function {
            AggregateFunction::Count => (layout.int_sum(&c), StreamColumnKind::Integer),
            AggregateFunction::Sum => match column.kind {
                StreamColumnKind::Integer => (layout.int_sum(&s), StreamColumnKind::Integer),
                StreamColumnKind::Double => (format!("SUM({s})"), StreamColumnKind::Double),
                _ => return Err(refuse("a numeric column")),
            },
            AggregateFunction::Avg => match column.kind {
                // NUMERIC division, as PostgreSQL's own AVG of integers.
                StreamColumnKind::Integer if pg => (
                    format!(
                        "CAST(CAST(SUM({s}) AS NUMERIC) / NULLIF(SUM({c}), 0) AS DOUBLE PRECISION)"
                    ),
                    StreamColumnKind::Double,
                ),
                StreamColumnKind::Integer | StreamColumnKind::Double => {
                    let real = if pg { "DOUBLE PRECISION" } else { "REAL" };
                    (
                        format!("CAST(SUM({s}) AS {real}) / CAST(NULLIF(SUM({c}), 0) AS {real})"),
                        StreamColumnKind::Double,
                    )
                }
                _ => return Err(refuse("a numeric column")),
            },
            AggregateFunction::Min | AggregateFunction::Max => {
                if column.kind == StreamColumnKind::Boolean {
                    return Err(refuse("a numeric or text column"));
                }
                let (sql_fn, part) = if aggregate.function == AggregateFunction::Min {
                    ("MIN", "lo")
                } else {
                    ("MAX", "hi")
                };
                (
                    format!("{sql_fn}({})", quote(&format!("{part}_{name}"))),
                    column.kind,
                )
            }
        };
        select.push(sql);
        kinds.push(kind);
    }
    let from = built.param(Param::Int(query.from));
    let to = built.param(Param::Int(query.to));
    let mut sql = format!(
        "SELECT {} FROM {} WHERE bucket >= {from} AND bucket < {to}",
        select.join(", "),
        layout.rollup_ref(&rollup.source.tenant_id, &rollup.rollup_id)
    );
    if !query.sources.is_empty() {
        let list: Vec<String> = query
            .sources
            .iter()
            .map(|s| built.param(Param::Text(s.clone())))
            .collect();
        sql.push_str(&format!(" AND source IN ({})", list.join(", ")));
    }
    sql.push_str(" GROUP BY 1 ORDER BY 1");
    built.sql = sql;
    Ok((built, kinds))
}

/// Consecutive buckets of the sorted, distinct `buckets` as ranges.
fn coalesce(buckets: &[i64], interval: i64) -> Vec<RollupRange> {
    let mut out: Vec<RollupRange> = Vec::new();
    for &bucket in buckets {
        match out.last_mut() {
            Some(last) if last.to == bucket => last.to = bucket + interval,
            _ => out.push(RollupRange {
                from: bucket,
                to: bucket + interval,
            }),
        }
    }
    out
}

/// Control row: source archive, interval, watermark, frozen-until.
type ControlRow = (String, i64, Option<i64>, Option<i64>);

macro_rules! rollup_store {
    ($db:ty, $backend:expr, $wait_lock:expr) => {
        impl SqlStore<$db> {
            fn rollup_fail<'a>(
                &'a self,
                operation: impl Fn() -> String + 'a,
            ) -> impl Fn(sqlx::Error) -> StoreError + 'a {
                move |err| classify($backend, self.location(), err, &operation)
            }

            /// On SQLite, which has one writer, the turn behind this process's bulk writes
            /// (rather than running into the busy timeout); nothing to wait for on PostgreSQL.
            async fn sqlite_write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
                if $backend == Backend::Sqlite {
                    Some(self.bulk_write_turn().await)
                } else {
                    None
                }
            }

            /// Begins a write transaction and reads the rollup's watermark with its state row
            /// locked, waiting for a computation that holds it (see the module documentation
            /// of `crate::rollup`). The outer `None`: the rollup has no state row.
            async fn lock_rollup_watermark(
                &self,
                rollup: &RollupTable,
                fail: &(impl Fn(sqlx::Error) -> StoreError + Sync),
            ) -> Result<(sqlx::Transaction<'static, $db>, Option<Option<i64>>), StoreError> {
                let mut tx = self
                    .pool()
                    .begin_with(<$db as Dialect>::BEGIN_WRITE)
                    .await
                    .map_err(fail)?;
                let row: Option<(Option<i64>,)> = sqlx::query_as(&format!(
                    "SELECT watermark FROM stream_rollups WHERE tenant_id = $1 AND rollup_id = $2{}",
                    $wait_lock
                ))
                .bind(rollup.source.tenant_id.as_str())
                .bind(rollup.rollup_id.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(fail)?;
                Ok((tx, row.map(|(watermark,)| watermark)))
            }
        }

        #[async_trait]
        impl RollupStore for SqlStore<$db> {
            async fn create_rollup(&self, rollup: &RollupTable) -> Result<(), StoreError> {
                let layout = Layout($backend);
                let parts = parts(layout, rollup)?;
                let tenant_id = &rollup.source.tenant_id;
                if !crate::StreamStore::stream_store_exists(self, tenant_id).await? {
                    return Err(StoreError::NotFound {
                        what: format!("The archive runtime store of tenant '{tenant_id}'"),
                    });
                }
                let op = || format!("create the table of rollup {}", rollup.rollup_id);
                let fail = self.rollup_fail(op);
                let mut columns = vec![
                    format!("bucket {} NOT NULL", layout.column_type(StreamColumnKind::Integer)),
                    format!("source {} NOT NULL", layout.column_type(StreamColumnKind::Text)),
                ];
                for part in &parts {
                    let not_null = if part.name == "n" || part.name.starts_with("c_") {
                        " NOT NULL"
                    } else {
                        ""
                    };
                    columns.push(format!("{} {}{not_null}", quote(&part.name), part.sql_type));
                }
                columns.push("PRIMARY KEY (source, bucket)".to_owned());
                let table = layout.rollup_ref(tenant_id, &rollup.rollup_id);
                let strict = if $backend == Backend::Sqlite { " STRICT" } else { "" };
                let index = quote(&format!(
                    "{}_bucket",
                    layout.rollup_table_name(tenant_id, &rollup.rollup_id)
                ));
                for sql in [
                    format!(
                        "CREATE TABLE IF NOT EXISTS {table} ({}){strict}",
                        columns.join(", ")
                    ),
                    // Queries over all sources read a range of buckets.
                    format!("CREATE INDEX IF NOT EXISTS {index} ON {table} (bucket)"),
                ] {
                    match sqlx::query(&sql).execute(self.pool()).await {
                        Ok(_) => {}
                        // Another replica created it first (PostgreSQL reports a race on
                        // the catalog as a duplicate).
                        Err(err)
                            if err
                                .as_database_error()
                                .and_then(|db| db.code())
                                .is_some_and(|code| {
                                    matches!(&*code, "42P07" | "42P06" | "23505")
                                }) => {}
                        Err(err) => return Err(fail(err)),
                    }
                }
                sqlx::query(
                    "INSERT INTO stream_rollups (tenant_id, rollup_id, archive_id, interval_us) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, rollup_id) DO NOTHING",
                )
                .bind(tenant_id.as_str())
                .bind(rollup.rollup_id.to_string())
                .bind(rollup.source.archive_id.to_string())
                .bind(rollup.interval)
                .execute(self.pool())
                .await
                .map_err(&fail)?;
                Ok(())
            }

            async fn drop_rollup(
                &self,
                tenant_id: &TenantId,
                rollup_id: &OctoObjectId,
            ) -> Result<bool, StoreError> {
                let layout = Layout($backend);
                let fail = self.rollup_fail(|| format!("drop rollup {rollup_id}"));
                let mut tx = self
                    .pool()
                    .begin_with(<$db as Dialect>::BEGIN_WRITE)
                    .await
                    .map_err(&fail)?;
                sqlx::query(&format!(
                    "DROP TABLE IF EXISTS {}",
                    layout.rollup_ref(tenant_id, rollup_id)
                ))
                .execute(&mut *tx)
                .await
                .map_err(&fail)?;
                sqlx::query("DELETE FROM stream_rollup_ranges WHERE tenant_id = $1 AND rollup_id = $2")
                    .bind(tenant_id.as_str())
                    .bind(rollup_id.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(&fail)?;
                let removed =
                    sqlx::query("DELETE FROM stream_rollups WHERE tenant_id = $1 AND rollup_id = $2")
                        .bind(tenant_id.as_str())
                        .bind(rollup_id.to_string())
                        .execute(&mut *tx)
                        .await
                        .map_err(&fail)?;
                tx.commit().await.map_err(&fail)?;
                Ok(removed.rows_affected() > 0)
            }

            async fn rollup_table_exists(&self, rollup: &RollupTable) -> Result<bool, StoreError> {
                let layout = Layout($backend);
                let tenant_id = &rollup.source.tenant_id;
                let fail =
                    self.rollup_fail(|| format!("look up the table of rollup {}", rollup.rollup_id));
                let exists: bool = if $backend == Backend::Postgres {
                    sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
                        .bind(layout.rollup_ref(tenant_id, &rollup.rollup_id))
                        .fetch_one(self.pool())
                        .await
                        .map_err(&fail)?
                } else {
                    let count: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
                    )
                    .bind(layout.rollup_table_name(tenant_id, &rollup.rollup_id))
                    .fetch_one(self.pool())
                    .await
                    .map_err(&fail)?;
                    count > 0
                };
                Ok(exists)
            }

            async fn rollup_state(
                &self,
                tenant_id: &TenantId,
                rollup_id: &OctoObjectId,
            ) -> Result<Option<RollupState>, StoreError> {
                let fail = self.rollup_fail(|| format!("read the state of rollup {rollup_id}"));
                let row: Option<ControlRow> = sqlx::query_as(
                    "SELECT archive_id, interval_us, watermark, frozen_until FROM stream_rollups \
                     WHERE tenant_id = $1 AND rollup_id = $2",
                )
                .bind(tenant_id.as_str())
                .bind(rollup_id.to_string())
                .fetch_optional(self.pool())
                .await
                .map_err(&fail)?;
                let Some((archive_id, interval, watermark, frozen_until)) = row else {
                    return Ok(None);
                };
                let ranges: Vec<(String, i64, i64)> = sqlx::query_as(
                    "SELECT kind, from_t, to_t FROM stream_rollup_ranges \
                     WHERE tenant_id = $1 AND rollup_id = $2 ORDER BY from_t",
                )
                .bind(tenant_id.as_str())
                .bind(rollup_id.to_string())
                .fetch_all(self.pool())
                .await
                .map_err(&fail)?;
                let archive_id = archive_id.parse().map_err(|_| StoreError::Corrupt {
                    what: format!("the source archive of rollup {rollup_id}"),
                    reason: format!("'{archive_id}' is not an object id"),
                })?;
                let pick = |kind: &str| {
                    ranges
                        .iter()
                        .filter(|(k, _, _)| k == kind)
                        .map(|(_, from, to)| RollupRange { from: *from, to: *to })
                        .collect()
                };
                Ok(Some(RollupState {
                    rollup_id: *rollup_id,
                    archive_id,
                    interval,
                    watermark,
                    frozen_until,
                    dirty: pick(DIRTY),
                    gaps: pick(GAP),
                }))
            }

            async fn advance_rollup(
                &self,
                rollup: &RollupTable,
                target_end: i64,
                max_buckets: i64,
            ) -> Result<RollupProgress, StoreError> {
                let layout = Layout($backend);
                let (delete, insert) = recompute_statements(layout, rollup)?;
                let tenant = rollup.source.tenant_id.as_str();
                let id = rollup.rollup_id.to_string();
                let interval = rollup.interval;
                let fail = self.rollup_fail(|| format!("maintain rollup {}", rollup.rollup_id));
                let _turn = self.sqlite_write_turn().await;
                let mut tx = self
                    .pool()
                    .begin_with(<$db as Dialect>::BEGIN_WRITE)
                    .await
                    .map_err(&fail)?;
                // The claim: another replica holding this row is computing it; skip it.
                let row: Option<ControlRow> = sqlx::query_as(&format!(
                    "SELECT archive_id, interval_us, watermark, frozen_until FROM stream_rollups \
                     WHERE tenant_id = $1 AND rollup_id = $2{}",
                    <$db as Dialect>::CLAIM_LOCK
                ))
                .bind(tenant)
                .bind(&id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(&fail)?;
                let Some((_, stored_interval, watermark, frozen_until)) = row else {
                    drop(tx);
                    return match self.rollup_state(&rollup.source.tenant_id, &rollup.rollup_id).await? {
                        Some(state) => Ok(RollupProgress {
                            claimed: false,
                            recomputed: 0,
                            watermark: state.watermark,
                            caught_up: false,
                        }),
                        None => Err(StoreError::NotFound {
                            what: format!("Rollup '{}'", rollup.rollup_id),
                        }),
                    };
                };
                if stored_interval != interval {
                    return Err(StoreError::invalid_query(format!(
                        "rollup {} was created with an interval of {stored_interval} µs, not \
                         {interval} µs",
                        rollup.rollup_id
                    )));
                }
                let dirty: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT from_t, to_t FROM stream_rollup_ranges WHERE tenant_id = $1 \
                     AND rollup_id = $2 AND kind = $3 ORDER BY from_t LIMIT $4",
                )
                .bind(tenant)
                .bind(&id)
                .bind(DIRTY)
                .bind(DIRTY_PER_STEP)
                .fetch_all(&mut *tx)
                .await
                .map_err(&fail)?;
                let mut recomputed = 0;
                for (from, to) in &dirty {
                    for sql in [&delete, &insert] {
                        sqlx::query(sql)
                            .bind(*from)
                            .bind(*to)
                            .bind(interval)
                            .execute(&mut *tx)
                            .await
                            .map_err(&fail)?;
                    }
                    sqlx::query(
                        "DELETE FROM stream_rollup_ranges WHERE tenant_id = $1 AND rollup_id = $2 \
                         AND kind = $3 AND from_t = $4",
                    )
                    .bind(tenant)
                    .bind(&id)
                    .bind(DIRTY)
                    .bind(*from)
                    .execute(&mut *tx)
                    .await
                    .map_err(&fail)?;
                    recomputed += 1;
                }
                let start = match watermark {
                    Some(watermark) => Some(watermark),
                    None => {
                        let first: Option<i64> = sqlx::query_scalar(&format!(
                            "SELECT MIN(t) FROM {}",
                            layout.table_ref(&rollup.source)
                        ))
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(&fail)?;
                        first.map(|t| floor_to(t, interval))
                    }
                };
                let Some(start) = start else {
                    // No samples yet: nothing to compute, nothing to start from.
                    tx.commit().await.map_err(&fail)?;
                    return Ok(RollupProgress {
                        claimed: true,
                        recomputed,
                        watermark: None,
                        caught_up: true,
                    });
                };
                let mut cap = floor_to(target_end, interval);
                if let Some(until) = frozen_until {
                    cap = cap.min(floor_to(until, interval));
                }
                let end = cap.min(start.saturating_add(max_buckets.max(1).saturating_mul(interval)));
                let new_watermark = if end > start {
                    for sql in [&delete, &insert] {
                        sqlx::query(sql)
                            .bind(start)
                            .bind(end)
                            .bind(interval)
                            .execute(&mut *tx)
                            .await
                            .map_err(&fail)?;
                    }
                    end
                } else {
                    start
                };
                if Some(new_watermark) != watermark {
                    sqlx::query(
                        "UPDATE stream_rollups SET watermark = $3 WHERE tenant_id = $1 \
                         AND rollup_id = $2",
                    )
                    .bind(tenant)
                    .bind(&id)
                    .bind(new_watermark)
                    .execute(&mut *tx)
                    .await
                    .map_err(&fail)?;
                }
                tx.commit().await.map_err(&fail)?;
                Ok(RollupProgress {
                    claimed: true,
                    recomputed,
                    watermark: Some(new_watermark),
                    caught_up: new_watermark >= cap && dirty.len() < DIRTY_PER_STEP as usize,
                })
            }

            async fn mark_rollups_dirty(
                &self,
                tenant_id: &TenantId,
                archive_id: &OctoObjectId,
                times: &[i64],
            ) -> Result<u64, StoreError> {
                if times.is_empty() {
                    return Ok(0);
                }
                let fail = self.rollup_fail(|| {
                    format!("mark the rollups of archive {archive_id} for recomputation")
                });
                // Most archives have no rollup: spare their writes a write transaction. A rollup
                // created meanwhile has no watermark yet, so it has nothing to mark.
                let rollups: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM stream_rollups WHERE tenant_id = $1 AND archive_id = $2",
                )
                .bind(tenant_id.as_str())
                .bind(archive_id.to_string())
                .fetch_one(self.pool())
                .await
                .map_err(&fail)?;
                if rollups == 0 {
                    return Ok(0);
                }
                let _turn = self.sqlite_write_turn().await;
                let mut tx = self
                    .pool()
                    .begin_with(<$db as Dialect>::BEGIN_WRITE)
                    .await
                    .map_err(&fail)?;
                // Waits for a running computation (see the module documentation of
                // `crate::rollup`): afterwards the watermark read here is the one that counts.
                let rollups: Vec<(String, i64, Option<i64>)> = sqlx::query_as(&format!(
                    "SELECT rollup_id, interval_us, watermark FROM stream_rollups \
                     WHERE tenant_id = $1 AND archive_id = $2{}",
                    $wait_lock
                ))
                .bind(tenant_id.as_str())
                .bind(archive_id.to_string())
                .fetch_all(&mut *tx)
                .await
                .map_err(&fail)?;
                let mut marked = 0;
                for (rollup_id, interval, watermark) in rollups {
                    let (Some(watermark), true) = (watermark, interval > 0) else {
                        continue;
                    };
                    let mut buckets: Vec<i64> = times
                        .iter()
                        .map(|t| floor_to(*t, interval))
                        .filter(|b| *b < watermark)
                        .collect();
                    buckets.sort_unstable();
                    buckets.dedup();
                    for range in coalesce(&buckets, interval) {
                        sqlx::query(
                            "INSERT INTO stream_rollup_ranges (tenant_id, rollup_id, kind, from_t, to_t) \
                             VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (tenant_id, rollup_id, kind, from_t) DO UPDATE SET \
                             to_t = CASE WHEN excluded.to_t > stream_rollup_ranges.to_t \
                             THEN excluded.to_t ELSE stream_rollup_ranges.to_t END",
                        )
                        .bind(tenant_id.as_str())
                        .bind(&rollup_id)
                        .bind(DIRTY)
                        .bind(range.from)
                        .bind(range.to)
                        .execute(&mut *tx)
                        .await
                        .map_err(&fail)?;
                        marked += 1;
                    }
                }
                tx.commit().await.map_err(&fail)?;
                Ok(marked)
            }

            async fn freeze_rollup(
                &self,
                tenant_id: &TenantId,
                rollup_id: &OctoObjectId,
                until: Option<i64>,
            ) -> Result<bool, StoreError> {
                let result = sqlx::query(
                    "UPDATE stream_rollups SET frozen_until = $3 WHERE tenant_id = $1 \
                     AND rollup_id = $2",
                )
                .bind(tenant_id.as_str())
                .bind(rollup_id.to_string())
                .bind(until)
                .execute(self.pool())
                .await
                .map_err(self.rollup_fail(|| format!("freeze rollup {rollup_id}")))?;
                Ok(result.rows_affected() > 0)
            }

            async fn unfreeze_rollup(
                &self,
                rollup: &RollupTable,
                skip_to: Option<i64>,
            ) -> Result<bool, StoreError> {
                let tenant = rollup.source.tenant_id.as_str();
                let id = rollup.rollup_id.to_string();
                let fail = self.rollup_fail(|| format!("unfreeze rollup {}", rollup.rollup_id));
                let (mut tx, Some(watermark)) = self.lock_rollup_watermark(rollup, &fail).await?
                else {
                    return Ok(false);
                };
                let mut new_watermark = watermark;
                if let Some(to) = skip_to {
                    let to = floor_to(to, rollup.interval);
                    // Nothing computed yet: everything before `to` is the gap.
                    let from = watermark.unwrap_or(i64::MIN);
                    if to > from {
                        sqlx::query(
                            "INSERT INTO stream_rollup_ranges (tenant_id, rollup_id, kind, from_t, to_t) \
                             VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (tenant_id, rollup_id, kind, from_t) DO UPDATE SET to_t = excluded.to_t",
                        )
                        .bind(tenant)
                        .bind(&id)
                        .bind(GAP)
                        .bind(from)
                        .bind(to)
                        .execute(&mut *tx)
                        .await
                        .map_err(&fail)?;
                        new_watermark = Some(to);
                    }
                }
                sqlx::query(
                    "UPDATE stream_rollups SET frozen_until = NULL, watermark = $3 \
                     WHERE tenant_id = $1 AND rollup_id = $2",
                )
                .bind(tenant)
                .bind(&id)
                .bind(new_watermark)
                .execute(&mut *tx)
                .await
                .map_err(&fail)?;
                tx.commit().await.map_err(&fail)?;
                Ok(true)
            }

            async fn rewind_rollup(
                &self,
                rollup: &RollupTable,
                to: i64,
            ) -> Result<RewindOutcome, StoreError> {
                let layout = Layout($backend);
                parts(layout, rollup)?;
                if to.rem_euclid(rollup.interval) != 0 {
                    return Err(StoreError::invalid_query(
                        "a rollup can only be rewound to a bucket boundary",
                    ));
                }
                let tenant = rollup.source.tenant_id.as_str();
                let id = rollup.rollup_id.to_string();
                let fail = self.rollup_fail(|| format!("rewind rollup {}", rollup.rollup_id));
                let (mut tx, Some(watermark)) = self.lock_rollup_watermark(rollup, &fail).await?
                else {
                    return Err(StoreError::NotFound {
                        what: format!("Rollup '{}'", rollup.rollup_id),
                    });
                };
                match watermark {
                    Some(watermark) if to <= watermark => {}
                    _ => return Ok(RewindOutcome::BeyondWatermark { watermark }),
                }
                sqlx::query(&format!(
                    "DELETE FROM {} WHERE bucket >= $1",
                    layout.rollup_ref(&rollup.source.tenant_id, &rollup.rollup_id)
                ))
                .bind(to)
                .execute(&mut *tx)
                .await
                .map_err(&fail)?;
                sqlx::query(
                    "DELETE FROM stream_rollup_ranges WHERE tenant_id = $1 AND rollup_id = $2 \
                     AND from_t >= $3",
                )
                .bind(tenant)
                .bind(&id)
                .bind(to)
                .execute(&mut *tx)
                .await
                .map_err(&fail)?;
                sqlx::query(
                    "UPDATE stream_rollup_ranges SET to_t = $3 WHERE tenant_id = $1 \
                     AND rollup_id = $2 AND to_t > $3",
                )
                .bind(tenant)
                .bind(&id)
                .bind(to)
                .execute(&mut *tx)
                .await
                .map_err(&fail)?;
                sqlx::query(
                    "UPDATE stream_rollups SET watermark = $3 WHERE tenant_id = $1 AND rollup_id = $2",
                )
                .bind(tenant)
                .bind(&id)
                .bind(to)
                .execute(&mut *tx)
                .await
                .map_err(&fail)?;
                tx.commit().await.map_err(&fail)?;
                Ok(RewindOutcome::Rewound)
            }

            async fn query_rollup(
                &self,
                rollup: &RollupTable,
                query: &RollupQuery,
            ) -> Result<Vec<Vec<StreamValue>>, StoreError> {
                let (built, kinds) = query_statement(Layout($backend), rollup, query)?;
                fetch_cells(self.pool(), self.location(), &built, &kinds, || {
                    format!("query rollup {}", rollup.rollup_id)
                })
                .await
            }

            async fn delete_rollup_buckets_before(
                &self,
                rollup: &RollupTable,
                cutoff: i64,
            ) -> Result<u64, StoreError> {
                let layout = Layout($backend);
                parts(layout, rollup)?;
                let result = sqlx::query(&format!(
                    "DELETE FROM {} WHERE bucket <= $1 - $2",
                    layout.rollup_ref(&rollup.source.tenant_id, &rollup.rollup_id)
                ))
                .bind(cutoff)
                .bind(rollup.interval)
                .execute(self.pool())
                .await
                .map_err(
                    self.rollup_fail(|| format!("apply the retention of rollup {}", rollup.rollup_id)),
                )?;
                Ok(result.rows_affected())
            }
        }
    };
}

rollup_store!(Postgres, Backend::Postgres, " FOR UPDATE");
rollup_store!(Sqlite, Backend::Sqlite, "");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_is_floor_for_negative_times() {
        assert_eq!(floor_to(-1, 10), -10);
        assert_eq!(floor_to(25, 10), 20);
        assert_eq!(floor_to(-10, 10), -10);
    }

    #[test]
    fn consecutive_buckets_become_one_range() {
        assert_eq!(
            coalesce(&[0, 10, 20, 40], 10),
            vec![
                RollupRange { from: 0, to: 30 },
                RollupRange { from: 40, to: 50 }
            ]
        );
    }
}
