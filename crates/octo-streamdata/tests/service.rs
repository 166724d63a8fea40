//! The stream-data service on both backends: the four-stage cascade (stage 3 by damaging the
//! store under the service), enabling and repairing, the archive life cycle, all-or-nothing
//! writes, queries against an in-memory evaluation, statistics and retention.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use octo_ids::{OctoObjectId, TenantId};
use octo_store::aggregate_spec::ColumnRequest;
use octo_store::{AggregateFunction, Backend, FilterOperator, Store};
use octo_streamdata::{Condition, ConditionGroup, SimpleQuery, Span, StreamDataError, Window};
use octo_test_support::{both_backends, run_on_database};
use serde_json::{Value, json};

mod common;

use common::{Fixture, SOURCES, base, entity, fixture};

impl Fixture {
    async fn archive(&self, columns: &[&str], retention: Option<&str>) -> String {
        let mut archive = entity(
            &self.tenant,
            octo_streamdata::RAW_ARCHIVE_TYPE,
            json!({
                "TargetCkTypeId": "Test.Meters/Meter",
                "Columns": columns.iter().map(|c| json!({"AttributePath": c})).collect::<Vec<_>>(),
                "State": "Inactive",
                "Kind": "TimeSeries",
            }),
        );
        archive.attributes["Name"] = json!(format!("archive-{}", archive.rt_id));
        if let Some(retention) = retention {
            archive.attributes["RetentionPeriod"] = json!(retention);
        }
        self.store
            .insert_entity(&archive)
            .await
            .expect("archive entity");
        archive.rt_id.to_string()
    }

    async fn active_archive(&self) -> String {
        self.service.enable(&self.tenant).await.expect("enable");
        let id = self
            .archive(
                &[
                    "Power",
                    "Pulses",
                    "Running",
                    "Mode",
                    "NamePlate.Maker",
                    "Seen",
                ],
                None,
            )
            .await;
        let archive = self
            .service
            .activate(&self.tenant, &id)
            .await
            .expect("activate");
        assert_eq!(archive.status.to_string(), "Activated");
        id
    }
}

fn row(minutes: i64, source: usize, values: Value) -> Value {
    json!({
        "timestamp": (base() + Duration::minutes(minutes)).to_rfc3339(),
        "rtId": SOURCES[source],
        "values": values,
    })
}

fn count() -> ColumnRequest {
    ColumnRequest {
        function: AggregateFunction::Count,
        attribute_path: None,
        alias: None,
    }
}

fn column(function: AggregateFunction, path: &str) -> ColumnRequest {
    ColumnRequest {
        function,
        attribute_path: Some(path.to_owned()),
        alias: None,
    }
}

/// Opens a store on `url` and a raw connection beside it, to damage the store under the service.
async fn with_raw<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(Arc<dyn Store>, RawSql) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    run_on_database(backend, move |url| async move {
        let store = octo_store::open(&url).await.expect("store");
        let raw = match backend {
            Backend::Sqlite => {
                RawSql::Sqlite(sqlx::SqlitePool::connect(&url).await.expect("raw sqlite"))
            }
            Backend::Postgres => {
                RawSql::Postgres(sqlx::PgPool::connect(&url).await.expect("raw postgres"))
            }
        };
        body(store, raw.clone()).await;
        raw.close().await;
    })
    .await;
}

#[derive(Clone)]
enum RawSql {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl RawSql {
    /// Damages the tenant's archive runtime store the way an operator's mistake would: the
    /// PostgreSQL schema is dropped, the SQLite registry row deleted.
    async fn damage(&self, tenant: &TenantId) {
        match self {
            Self::Postgres(pool) => {
                sqlx::query(&format!("DROP SCHEMA \"streamdata_{tenant}\" CASCADE"))
                    .execute(pool)
                    .await
                    .expect("drop schema");
            }
            Self::Sqlite(pool) => {
                sqlx::query("DELETE FROM stream_stores WHERE tenant_id = $1")
                    .bind(tenant.as_str())
                    .execute(pool)
                    .await
                    .expect("delete registry row");
            }
        }
    }

    async fn close(&self) {
        match self {
            Self::Sqlite(pool) => pool.close().await,
            Self::Postgres(pool) => pool.close().await,
        }
    }
}

async fn cascade_names_each_stage(backend: Backend) {
    with_raw(backend, move |store, raw| async move {
        let f = fixture(store, "cascade").await;
        let missing: TenantId = "nosuch".parse().expect("tenant");
        let id = OctoObjectId::new().to_string();
        let stage1 = f.service.resolve(&missing, &id).await.expect_err("stage 1");
        assert_eq!(stage1.to_string(), "Tenant 'nosuch' not found");
        let stage2 = f
            .service
            .resolve(&f.tenant, &id)
            .await
            .expect_err("stage 2");
        assert_eq!(
            stage2.to_string(),
            "Stream data not enabled for tenant 'cascade'. Run enable_stream_data first."
        );
        let archive = f.active_archive().await;
        let stage4 = f
            .service
            .resolve(&f.tenant, &id)
            .await
            .expect_err("stage 4");
        assert_eq!(
            stage4.to_string(),
            format!("Archive not found: '{id}'. Verify with get_archive_storage_stats.")
        );
        f.service
            .write_rows(&f.tenant, &archive, &[row(0, 0, json!({"Power": 1.0}))])
            .await
            .expect("write");
        raw.damage(&f.tenant).await;
        let stage3 = f
            .service
            .resolve(&f.tenant, &archive)
            .await
            .expect_err("stage 3");
        assert!(
            matches!(stage3, StreamDataError::StoreNotInitialised(_)),
            "{stage3}"
        );
        assert!(
            stage3.to_string().starts_with(
                "Archive runtime store not initialised for tenant 'cascade'. Run \
                 enable_stream_data again to repair it"
            ),
            "{stage3}"
        );
        // Repair: enabling again recreates the store and the archive's (empty) table.
        let report = f.service.enable(&f.tenant).await.expect("repair");
        assert!(report.changed);
        if backend == Backend::Postgres {
            assert_eq!(report.repaired_archives, vec![archive.clone()]);
        }
        f.service
            .write_rows(&f.tenant, &archive, &[row(1, 0, json!({"Power": 2.0}))])
            .await
            .expect("write after repair");
        let stats = f
            .service
            .storage_stats(&f.tenant, std::slice::from_ref(&archive))
            .await
            .expect("stats");
        assert_eq!(stats[0].health, "Healthy");
        // A second enable is a no-op.
        let again = f.service.enable(&f.tenant).await.expect("enable again");
        assert!(!again.changed);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cascade_names_each_stage_sqlite() {
    cascade_names_each_stage(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cascade_names_each_stage_postgres() {
    cascade_names_each_stage(Backend::Postgres).await;
}

both_backends!(archive_life_cycle_and_failed_activation);
async fn archive_life_cycle_and_failed_activation(store: Arc<dyn Store>) {
    let f = fixture(store, "lifecycle").await;
    f.service.enable(&f.tenant).await.expect("enable");
    // A column that does not exist: activation fails and says why.
    let id = f.archive(&["Power", "Colour"], None).await;
    let err = f.service.activate(&f.tenant, &id).await.expect_err("fails");
    assert!(
        err.to_string()
            .contains("'Colour' is not an attribute path"),
        "{err}"
    );
    assert!(
        err.to_string().contains("retry_archive_activation"),
        "{err}"
    );
    let (archive, _) = f.service.archive(&f.tenant, &id).await.expect("archive");
    assert_eq!(archive.status.to_string(), "Failed");
    assert!(archive.last_error.is_some());
    let err = f
        .service
        .activate(&f.tenant, &id)
        .await
        .expect_err("failed");
    assert!(
        err.to_string().contains("run retry_archive_activation"),
        "{err}"
    );
    // Fix the columns, retry.
    let mut attributes = archive.entity.attributes.clone();
    attributes["Columns"] = json!([{"AttributePath": "Power"}]);
    f.store
        .update_entity(&f.tenant, &archive.entity.rt_id, None, attributes, None)
        .await
        .expect("fix");
    let retried = f
        .service
        .retry_activation(&f.tenant, &id)
        .await
        .expect("retry");
    assert_eq!(retried.status.to_string(), "Activated");
    assert_eq!(retried.last_error, None);
    // Activating again is a no-op.
    f.service.activate(&f.tenant, &id).await.expect("again");
    let written = f
        .service
        .write_rows(&f.tenant, &id, &[row(0, 0, json!({"Power": 1.5}))])
        .await
        .expect("write");
    assert_eq!(written, 1);
    // Disabled: writes refused, queries still answer.
    let disabled = f
        .service
        .disable_archive(&f.tenant, &id)
        .await
        .expect("disable");
    assert_eq!(disabled.status.to_string(), "Disabled");
    let err = f
        .service
        .write_rows(&f.tenant, &id, &[row(1, 0, json!({"Power": 2.5}))])
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("run enable_archive"), "{err}");
    let rows = f
        .service
        .query_aggregation(&f.tenant, &id, &[count()], None, &Window::default())
        .await
        .expect("query while disabled");
    assert_eq!(rows[0]["count"], json!(1));
    let stats = f
        .service
        .storage_stats(&f.tenant, std::slice::from_ref(&id))
        .await
        .expect("stats");
    assert_eq!(stats[0].health, "Disabled");
    f.service
        .enable_archive(&f.tenant, &id)
        .await
        .expect("enable archive");
    f.service
        .write_rows(&f.tenant, &id, &[row(1, 0, json!({"Power": 2.5}))])
        .await
        .expect("write again");
    // Delete: table and entity gone.
    f.service
        .delete_archive(&f.tenant, &id)
        .await
        .expect("delete");
    let err = f.service.resolve(&f.tenant, &id).await.expect_err("gone");
    assert!(matches!(err, StreamDataError::ArchiveNotFound(_)), "{err}");
    let stats = f
        .service
        .storage_stats(&f.tenant, std::slice::from_ref(&id))
        .await
        .expect("stats");
    assert_eq!(stats[0].health, "NotFound");
    assert!(!stats[0].table_exists);
    // Disabling stream data with deleteData removes the store.
    let (changed, deleted) = f.service.disable(&f.tenant, true).await.expect("disable");
    assert!(changed && deleted);
    assert!(
        !f.store
            .stream_store_exists(&f.tenant)
            .await
            .expect("exists")
    );
}

both_backends!(writes_are_checked_converted_and_all_or_nothing);
async fn writes_are_checked_converted_and_all_or_nothing(store: Arc<dyn Store>) {
    let f = fixture(store, "writes").await;
    let id = f.active_archive().await;
    let good = vec![
        row(
            0,
            0,
            json!({"Power": 1.5, "Pulses": "42", "Running": true, "Mode": 1,
                   "NamePlate.Maker": "ACME", "Seen": "2026-01-02T03:04:05+01:00"}),
        ),
        row(1, 1, json!({"Power": 2, "mode": "auto"})),
    ];
    let mut bad = good.clone();
    bad.push(row(2, 2, json!({"Power": "lots"})));
    let err = f
        .service
        .write_rows(&f.tenant, &id, &bad)
        .await
        .expect_err("bad row");
    assert_eq!(err.to_string(), "Row 2: 'Power' must be a finite number.");
    for (rows, expected) in [
        (
            vec![json!({"rtId": SOURCES[0], "values": {}})],
            "Row 0: timestamp is missing",
        ),
        (
            vec![row(0, 0, json!({"Colour": 1}))],
            "Row 0: 'Colour' is not a column of this archive",
        ),
        (
            vec![row(0, 0, json!({"Mode": "Broken"}))],
            "Row 0: 'Mode' must be one of Auto, Manual",
        ),
        (
            vec![json!({"timestamp": "2026-01-01T00:00:00Z", "rtId": "xyz"})],
            "Row 0: rtId: Invalid OctoObjectId",
        ),
    ] {
        let err = f
            .service
            .write_rows(&f.tenant, &id, &rows)
            .await
            .expect_err("bad");
        assert!(err.to_string().starts_with(expected), "{err}");
    }
    let empty = f
        .service
        .storage_stats(&f.tenant, std::slice::from_ref(&id))
        .await
        .expect("stats");
    assert_eq!(
        empty[0].record_count, 0,
        "nothing of the bad batches landed"
    );
    assert_eq!(
        f.service
            .write_rows(&f.tenant, &id, &good)
            .await
            .expect("good"),
        2
    );
    let result = f
        .service
        .query_simple(
            &f.tenant,
            &id,
            &SimpleQuery {
                column_paths: vec![
                    "power".into(),
                    "Pulses".into(),
                    "Mode".into(),
                    "Seen".into(),
                ],
                ..SimpleQuery::default()
            },
        )
        .await
        .expect("query");
    assert_eq!(result.total_count, 2);
    let first = &result.rows[0];
    assert_eq!(first.rt_id, SOURCES[0]);
    assert_eq!(first.timestamp, "2026-03-01T00:00:00.000000Z");
    assert_eq!(
        Value::Object(first.values.clone()),
        json!({"Power": 1.5, "Pulses": 42, "Mode": "Manual", "Seen": "2026-01-02T02:04:05.000000Z"})
    );
    assert_eq!(result.rows[1].values["Mode"], json!("Auto"));
    assert_eq!(result.rows[1].values["Pulses"], Value::Null);
}

both_backends!(queries_check_their_input_with_the_shared_messages);
async fn queries_check_their_input_with_the_shared_messages(store: Arc<dyn Store>) {
    let f = fixture(store, "checks").await;
    let id = f.active_archive().await;
    let window = Window::default();
    let err = f
        .service
        .query_aggregation(&f.tenant, &id, &[], None, &window)
        .await
        .expect_err("no columns");
    assert!(
        err.to_string()
            .starts_with("Aggregation requires at least one column")
    );
    let err = f
        .service
        .query_aggregation(
            &f.tenant,
            &id,
            &[
                column(AggregateFunction::Avg, "Power"),
                column(AggregateFunction::Avg, "power"),
            ],
            None,
            &window,
        )
        .await
        .expect_err("dup alias");
    assert!(
        err.to_string()
            .starts_with("Aggregation alias 'avg_power' is not unique"),
        "{err}"
    );
    let err = f
        .service
        .query_aggregation(
            &f.tenant,
            &id,
            &[count()],
            Some(&[Some("rtId".into()), Some("RTID".into())]),
            &window,
        )
        .await
        .expect_err("dup group");
    assert!(
        err.to_string()
            .starts_with("groupBy paths must be non-empty / contain no duplicates"),
        "{err}"
    );
    let err = f
        .service
        .query_aggregation(
            &f.tenant,
            &id,
            &[column(AggregateFunction::Sum, "Mode")],
            None,
            &window,
        )
        .await
        .expect_err("sum of enum");
    assert!(
        err.to_string().contains("sum of 'Mode' is not possible"),
        "{err}"
    );
    let err = f
        .service
        .query_downsampling(
            &f.tenant,
            &id,
            &[count()],
            Span {
                from: base(),
                to: base(),
                limit: 10,
            },
            &window,
        )
        .await
        .expect_err("empty window");
    assert!(
        err.to_string().starts_with("Invalid time window: from ("),
        "{err}"
    );
    let err = f
        .service
        .query_downsampling(
            &f.tenant,
            &id,
            &[count()],
            Span {
                from: base(),
                to: base() + Duration::hours(1),
                limit: 0,
            },
            &window,
        )
        .await
        .expect_err("limit");
    assert_eq!(err.to_string(), "limit must be > 0.");
    let err = f
        .service
        .query_simple(&f.tenant, &id, &SimpleQuery::default())
        .await
        .expect_err("no columns");
    assert_eq!(
        err.to_string(),
        "columnPaths must contain at least one path."
    );
    let paths = f
        .service
        .available_paths(&f.tenant, "Test.Meters/Meter", Some(2))
        .await
        .expect("paths");
    let names: Vec<&str> = paths.iter().map(|p| p.path.as_str()).collect();
    assert!(
        names.contains(&"Power") && names.contains(&"NamePlate.Maker"),
        "{names:?}"
    );
    assert!(paths.iter().any(|p| p.path == "Tags" && p.is_array));
    let shallow = f
        .service
        .available_paths(&f.tenant, "Test.Meters/Meter", Some(1))
        .await
        .expect("paths");
    assert!(!shallow.iter().any(|p| p.path == "NamePlate.Maker"));
}

/// A small deterministic generator (xorshift), so the comparison below covers many shapes
/// without a second property-test framework run per backend.
struct Rng(u64);

impl Rng {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

both_backends!(downsampling_and_grouping_match_an_in_memory_evaluation);
async fn downsampling_and_grouping_match_an_in_memory_evaluation(store: Arc<dyn Store>) {
    let f = fixture(store, "downsample").await;
    let id = f.active_archive().await;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut samples = Vec::new();
    for minute in 0..(3 * 24 * 60) {
        if rng.next(3) == 0 {
            continue;
        }
        let source = rng.next(3) as usize;
        let power = rng.next(200) as f64 / 4.0;
        samples.push((minute as i64, source, power));
    }
    let rows: Vec<Value> = samples
        .iter()
        .map(|(m, s, p)| row(*m, *s, json!({"Power": p, "Pulses": *m % 7})))
        .collect();
    f.service
        .write_rows(&f.tenant, &id, &rows)
        .await
        .expect("write");
    for (from_min, to_min, limit, source) in [
        (0, 3 * 24 * 60, 100, None),
        (17, 1_000, 7, Some(1)),
        (600, 601, 5, None),
        (30, 3_000, 1, Some(2)),
    ] {
        let from = base() + Duration::minutes(from_min);
        let to = base() + Duration::minutes(to_min);
        let window = Window {
            source_rt_ids: source
                .map(|s: usize| SOURCES[s].to_owned())
                .into_iter()
                .collect(),
            filters: ConditionGroup::all(vec![Condition {
                attribute_path: "Pulses".into(),
                operator: FilterOperator::LessThan,
                comparison_value: json!(5),
            }]),
            ..Window::default()
        };
        let got = f
            .service
            .query_downsampling(
                &f.tenant,
                &id,
                &[
                    count(),
                    column(AggregateFunction::Avg, "Power"),
                    column(AggregateFunction::Max, "Power"),
                ],
                Span { from, to, limit },
                &window,
            )
            .await
            .expect("downsample");
        assert!(got.len() as i64 <= limit);
        let width = ((to_min - from_min) * 60_000_000 + limit - 1) / limit;
        let mut expected: std::collections::BTreeMap<i64, Vec<f64>> = Default::default();
        for (m, s, p) in &samples {
            if *m < from_min || *m >= to_min || source.is_some_and(|x| x != *s) || m % 7 >= 5 {
                continue;
            }
            let bucket = ((m - from_min) * 60_000_000) / width;
            expected.entry(bucket).or_default().push(*p);
        }
        assert_eq!(got.len(), expected.len());
        for (row, (bucket, powers)) in got.iter().zip(&expected) {
            let start = from + Duration::microseconds(bucket * width);
            assert_eq!(
                row["bucketStart"],
                json!(start.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
            );
            assert_eq!(row["count"], json!(powers.len()));
            let avg = powers.iter().sum::<f64>() / powers.len() as f64;
            let got_avg = row["avg_Power"].as_f64().expect("avg");
            assert!((got_avg - avg).abs() < 1e-9, "{got_avg} vs {avg}");
            let max = powers.iter().copied().fold(f64::MIN, f64::max);
            assert_eq!(row["max_Power"], json!(max));
        }
    }
    // Grouping by source: one row per source, in id order.
    let grouped = f
        .service
        .query_aggregation(
            &f.tenant,
            &id,
            &[count(), column(AggregateFunction::Sum, "Power")],
            Some(&[Some("rtId".into())]),
            &Window::default(),
        )
        .await
        .expect("group");
    assert_eq!(grouped.len(), 3);
    for (index, group) in grouped.iter().enumerate() {
        let mine: Vec<f64> = samples
            .iter()
            .filter(|(_, s, _)| *s == index)
            .map(|(_, _, p)| *p)
            .collect();
        assert_eq!(group["rtId"], json!(SOURCES[index]));
        assert_eq!(group["count"], json!(mine.len()));
        let sum = group["sum_Power"].as_f64().expect("sum");
        assert!((sum - mine.iter().sum::<f64>()).abs() < 1e-6);
    }
}

both_backends!(retention_removes_samples_older_than_the_period);
async fn retention_removes_samples_older_than_the_period(store: Arc<dyn Store>) {
    let f = fixture(store, "retention").await;
    f.service.enable(&f.tenant).await.expect("enable");
    let kept = f.archive(&["Power"], Some("1.00:00:00")).await;
    let forever = f.archive(&["Power"], None).await;
    for id in [&kept, &forever] {
        f.service.activate(&f.tenant, id).await.expect("activate");
        let rows: Vec<Value> = (0..48)
            .map(|h| row(h * 60, 0, json!({"Power": h})))
            .collect();
        f.service
            .write_rows(&f.tenant, id, &rows)
            .await
            .expect("write");
    }
    // "Now" is 36 hours after the first sample: the first 12 hours are older than a day.
    let now = base() + Duration::hours(36);
    let removed = f
        .service
        .apply_retention(&f.tenant, now)
        .await
        .expect("retention");
    assert_eq!(removed, 12);
    let stats = f
        .service
        .storage_stats(&f.tenant, &[kept.clone(), forever.clone()])
        .await
        .expect("stats");
    assert_eq!(stats[0].record_count, 36);
    assert_eq!(
        stats[0].first_timestamp.as_deref(),
        Some("2026-03-01T12:00:00.000000Z")
    );
    assert_eq!(stats[1].record_count, 48);
    assert!(stats[0].size_bytes > 0);
    assert!(
        f.service
            .storage_stats(&f.tenant, &[])
            .await
            .expect("empty")
            .is_empty()
    );
}

both_backends!(ingestion_writes_good_batches_and_names_the_lines_of_bad_ones);
async fn ingestion_writes_good_batches_and_names_the_lines_of_bad_ones(store: Arc<dyn Store>) {
    use octo_streamdata::{IngestFormat, RejectedBatch};
    let f = fixture(store, "ingest").await;
    let id = f.active_archive().await;
    // 25 NDJSON lines in batches of 10: line 14 is bad, so lines 11–20 are not written; a blank
    // line 5 is skipped.
    let mut body = String::new();
    for line in 1..=25_i64 {
        match line {
            5 => body.push('\n'),
            14 => {
                body.push_str("{\"timestamp\": \"soon\", \"rtId\": \"65a000000000000000000001\"}\n")
            }
            _ => body.push_str(&format!(
                "{}\n",
                row(line, (line % 3) as usize, json!({"Power": line}))
            )),
        }
    }
    let mut ingestion = f
        .service
        .start_ingestion(&f.tenant, &id, IngestFormat::Ndjson)
        .await
        .expect("start")
        .with_batch_rows(10);
    // Chunks that cut lines in the middle.
    for chunk in body.as_bytes().chunks(37) {
        ingestion.feed(chunk).await.expect("feed");
    }
    let report = ingestion.finish().await.expect("finish");
    assert_eq!(report.rows_accepted, 14, "{report:?}");
    assert_eq!(report.rows_rejected, 10, "{report:?}");
    assert_eq!(report.batches_written, 2);
    assert_eq!(report.batches_rejected, 1);
    assert_eq!(
        report.rejected_batches,
        vec![RejectedBatch {
            first_line: 12,
            last_line: 21,
            rows: 10
        }]
    );
    assert_eq!(report.errors.len(), 1);
    assert!(
        report.errors[0].starts_with("Line 14: timestamp 'soon' is not an RFC 3339"),
        "{:?}",
        report.errors
    );
    let stats = f
        .service
        .storage_stats(&f.tenant, std::slice::from_ref(&id))
        .await
        .expect("stats");
    assert_eq!(stats[0].record_count, 14);
    // Exactly the lines of the written batches landed.
    let result = f
        .service
        .query_simple(
            &f.tenant,
            &id,
            &SimpleQuery {
                column_paths: vec!["Power".into()],
                ..SimpleQuery::default()
            },
        )
        .await
        .expect("query");
    let powers: Vec<i64> = result
        .rows
        .iter()
        .filter_map(|r| r.values["Power"].as_f64())
        .map(|p| p as i64)
        .collect();
    let expected: Vec<i64> = (1..=25)
        .filter(|l| *l != 5 && !(12..=21).contains(l))
        .collect();
    assert_eq!(powers, expected);

    // A JSON array with a row error on line 3 and an unclosed array: nothing written.
    let mut ingestion = f
        .service
        .start_ingestion(&f.tenant, &id, IngestFormat::JsonArray)
        .await
        .expect("start");
    let array = format!(
        "[\n{},\n{{\"timestamp\": \"2026-03-01T00:00:00Z\", \"rtId\": \"{}\", \"values\": {{\"Colour\": 1}}}}\n",
        row(100, 0, json!({"Power": 1})),
        SOURCES[0]
    );
    ingestion.feed(array.as_bytes()).await.expect("feed");
    let report = ingestion.finish().await.expect("finish");
    assert_eq!(report.rows_accepted, 0);
    assert_eq!(report.rows_rejected, 2);
    assert_eq!(report.errors.len(), 2, "{report:?}");
    assert!(
        report.errors[0].starts_with("Line 3: 'Colour' is not a column"),
        "{report:?}"
    );
    assert!(
        report.errors[1].starts_with("Line 4: the body ended before"),
        "{report:?}"
    );
    // Cascade and state errors come before any byte is read.
    let err = f
        .service
        .start_ingestion(&f.tenant, "65a0000000000000000000ff", IngestFormat::Ndjson)
        .await
        .expect_err("missing");
    assert!(matches!(err, StreamDataError::ArchiveNotFound(_)), "{err}");
}

both_backends!(files_round_trip_as_csv_and_ndjson);
async fn files_round_trip_as_csv_and_ndjson(store: Arc<dyn Store>) {
    use octo_streamdata::files::{ArchiveFileFormat, EXPORT_PAGE};
    let f = fixture(store, "files").await;
    let source = f.active_archive().await;
    // More than a page, with many samples sharing timestamps (three sources per minute) and
    // nulls, texts with commas and quotes, enums and date-times.
    let total = EXPORT_PAGE as i64 + 2_345;
    let rows: Vec<Value> = (0..total)
        .map(|i| {
            let values = match i % 4 {
                0 => json!({"Power": i as f64 / 4.0, "Pulses": i, "Running": true, "Mode": "Auto"}),
                1 => json!({"Power": -1.5, "NamePlate.Maker": "ACME, \"Ltd\"\nNorth"}),
                2 => json!({"Seen": "2026-01-02T03:04:05Z", "Mode": "Manual", "Running": false}),
                _ => json!({}),
            };
            row(i / 3, (i % 3) as usize, values)
        })
        .collect();
    for chunk in rows.chunks(5_000) {
        f.service
            .write_rows(&f.tenant, &source, chunk)
            .await
            .expect("written");
    }
    let everything = |id: String| {
        let service = f.service.clone();
        let tenant = f.tenant.clone();
        async move {
            let mut all = Vec::new();
            let mut from = None;
            loop {
                let page = service
                    .query_simple(
                        &tenant,
                        &id,
                        &SimpleQuery {
                            column_paths: vec![
                                "Power".into(),
                                "Pulses".into(),
                                "Running".into(),
                                "Mode".into(),
                                "NamePlate.Maker".into(),
                                "Seen".into(),
                            ],
                            window: Window {
                                from,
                                ..Window::default()
                            },
                            limit: Some(10_000),
                            ..SimpleQuery::default()
                        },
                    )
                    .await
                    .expect("query");
                let n = page.rows.len();
                let last = page.rows.last().map(|r| r.timestamp.clone());
                all.extend(
                    page.rows
                        .into_iter()
                        .map(|r| json!([r.timestamp, r.rt_id, Value::Object(r.values)])),
                );
                if n < 10_000 {
                    break;
                }
                // Continue after the last full timestamp: drop it and read it again.
                let last = last.expect("a row");
                while all.last().is_some_and(|r| r[0] == json!(last)) {
                    all.pop();
                }
                from = Some(
                    DateTime::parse_from_rfc3339(&last)
                        .expect("time")
                        .with_timezone(&Utc),
                );
            }
            all.sort_by_key(|r| r.to_string());
            all
        }
    };
    let original = everything(source.clone()).await;
    assert_eq!(original.len(), total as usize);
    let dir = std::env::temp_dir().join(format!("octo-files-{}", OctoObjectId::new()));
    std::fs::create_dir_all(&dir).expect("dir");
    for format in [ArchiveFileFormat::Csv, ArchiveFileFormat::Ndjson] {
        let file = dir.join(format!("export.{}", format.as_str().to_lowercase()));
        let exported = f
            .service
            .export_to_file(&f.tenant, &source, &Window::default(), None, format, &file)
            .await
            .expect("export");
        assert_eq!(exported.rows, total as u64);
        if format == ArchiveFileFormat::Csv {
            let text = std::fs::read_to_string(&file).expect("file");
            assert!(
                text.starts_with(
                    "timestamp,sourceRtId,Power,Pulses,Running,Mode,NamePlate.Maker,Seen\n"
                ),
                "{}",
                &text[..200]
            );
        }
        let copy = f
            .archive(
                &[
                    "Power",
                    "Pulses",
                    "Running",
                    "Mode",
                    "NamePlate.Maker",
                    "Seen",
                ],
                None,
            )
            .await;
        f.service
            .activate(&f.tenant, &copy)
            .await
            .expect("activate");
        let report = f
            .service
            .import_from_file(&f.tenant, &copy, format, &file)
            .await
            .expect("import");
        assert_eq!(report.error_count, 0, "{format:?}: {report:?}");
        assert_eq!(report.rows_accepted, total as u64);
        assert_eq!(everything(copy).await, original, "{format:?}");
    }
    // A window and chosen columns.
    let file = dir.join("window.csv");
    let window = Window {
        from: Some(base() + Duration::minutes(10)),
        to: Some(base() + Duration::minutes(20)),
        ..Window::default()
    };
    let exported = f
        .service
        .export_to_file(
            &f.tenant,
            &source,
            &window,
            Some(&["power".to_owned()]),
            ArchiveFileFormat::Csv,
            &file,
        )
        .await
        .expect("export");
    assert_eq!(exported.rows, 30);
    let text = std::fs::read_to_string(&file).expect("file");
    assert_eq!(text.lines().count(), 31);
    assert!(text.starts_with("timestamp,sourceRtId,Power\n"));
    // A bad CSV record is named by its line.
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "timestamp,sourceRtId,Power\n2026-03-01T00:00:00Z,{},1\n2026-03-01T00:01:00Z,{},many\n",
            SOURCES[0], SOURCES[1]
        ),
    )
    .expect("file");
    let report = f
        .service
        .import_from_file(&f.tenant, &source, ArchiveFileFormat::Csv, &bad)
        .await
        .expect("import");
    assert_eq!(report.rows_accepted, 0);
    assert_eq!(
        report.errors,
        vec!["Line 3: 'Power' must be a finite number.".to_owned()]
    );
    std::fs::remove_dir_all(&dir).ok();
}
