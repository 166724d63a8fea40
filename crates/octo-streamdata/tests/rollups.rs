//! Rollups on both backends: downsampling answered from a rollup equals the raw answer on
//! seeded random data, through late writes behind the watermark, a rewind, a freeze and both
//! kinds of unfreeze, and a backfill job; the maintenance pass applies retention.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use octo_store::aggregate_spec::ColumnRequest;
use octo_store::{AggregateFunction, Association, Store};
use octo_streamdata::rollup::{ROLLUP_ARCHIVE_TYPE, ROLLUP_OF_ROLE};
use octo_streamdata::{Span, Window};
use octo_test_support::both_backends;
use serde_json::{Map, Value, json};

mod common;

use common::{Fixture, SOURCES, base, entity, fixture};

const WORKER: &str = "test-worker";

/// A small seeded generator, so a failure reproduces.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The tenant `rollups` with the meter model and stream data enabled.
async fn rollups_fixture(store: Arc<dyn Store>) -> Fixture {
    let fixture = fixture(store, "rollups").await;
    fixture
        .service
        .enable(&fixture.tenant)
        .await
        .expect("enable");
    fixture
}

impl Fixture {
    async fn archive(&self, retention: Option<&str>) -> String {
        let mut attributes = json!({
            "Name": "meters",
            "TargetCkTypeId": "Test.Meters/Meter",
            "Columns": [
                {"AttributePath": "Power"}, {"AttributePath": "Pulses"},
                {"AttributePath": "Running"}, {"AttributePath": "NamePlate.Maker"}
            ],
            "State": "Inactive",
            "Kind": "TimeSeries",
        });
        if let Some(retention) = retention {
            attributes["RetentionPeriod"] = json!(retention);
        }
        let archive = entity(&self.tenant, octo_streamdata::RAW_ARCHIVE_TYPE, attributes);
        self.store.insert_entity(&archive).await.expect("archive");
        let id = archive.rt_id.to_string();
        self.service
            .activate(&self.tenant, &id)
            .await
            .expect("activate");
        id
    }

    /// What create_rollup_archive writes: the entity, its RollupOf link, then activation.
    async fn rollup(&self, archive: &str, interval: &str, retention: Option<&str>) -> String {
        let requested: Vec<(String, String)> = [
            ("Power", "Average"),
            ("Power", "Maximum"),
            ("Pulses", "Sum"),
            ("Running", "Count"),
            ("NamePlate.Maker", "Minimum"),
        ]
        .iter()
        .map(|(p, k)| ((*p).to_owned(), (*k).to_owned()))
        .collect();
        let (source, definition) = self
            .service
            .check_rollup_definition(&self.tenant, archive, interval, &requested)
            .await
            .expect("definition");
        let mut attributes = json!({
            "Name": format!("rollup {interval}"),
            "TargetCkTypeId": "Test.Meters/Meter",
            "Columns": [{"AttributePath": "Power"}],
            "Interval": interval,
            "Aggregations": definition.aggregations.iter().map(|a| json!({
                "AttributePath": a.attribute_path, "AggregationType": a.aggregation_type
            })).collect::<Vec<_>>(),
            "State": "Inactive",
        });
        if let Some(retention) = retention {
            attributes["RetentionPeriod"] = json!(retention);
        }
        let rollup = entity(&self.tenant, ROLLUP_ARCHIVE_TYPE, attributes);
        self.store.insert_entity(&rollup).await.expect("rollup");
        self.store
            .insert_association(&Association {
                tenant_id: self.tenant.clone(),
                role_id: ROLLUP_OF_ROLE.to_owned(),
                origin_rt_id: rollup.rt_id,
                origin_ck_type_id: ROLLUP_ARCHIVE_TYPE.to_owned(),
                target_rt_id: source.archive.entity.rt_id,
                target_ck_type_id: source.archive.entity.ck_type_id.clone(),
                created_at: Utc::now(),
            })
            .await
            .expect("RollupOf");
        let id = rollup.rt_id.to_string();
        self.service
            .activate_rollup(&self.tenant, &id)
            .await
            .expect("activate rollup");
        id
    }

    /// `count` random samples between `from` and `from + hours`, with some nulls.
    async fn write_random(
        &self,
        archive: &str,
        rng: &mut Lcg,
        from: DateTime<Utc>,
        hours: i64,
        count: usize,
    ) {
        let rows: Vec<Value> = (0..count)
            .map(|_| {
                let at = from + Duration::seconds(rng.below((hours * 3600) as u64) as i64);
                let mut values = Map::new();
                values.insert(
                    "Power".into(),
                    json!(rng.below(10_000) as f64 / 7.0 - 300.0),
                );
                if rng.below(5) > 0 {
                    values.insert("Pulses".into(), json!(rng.below(1000) as i64 - 200));
                }
                if rng.below(3) > 0 {
                    values.insert("Running".into(), json!(rng.below(2) == 0));
                }
                if rng.below(4) > 0 {
                    values.insert(
                        "NamePlate.Maker".into(),
                        json!(["acme", "Bosch", "zeta", "Ærø"][rng.below(4) as usize]),
                    );
                }
                json!({
                    "timestamp": at.to_rfc3339(),
                    "rtId": SOURCES[rng.below(3) as usize],
                    "values": values,
                })
            })
            .collect();
        self.service
            .write_rows(&self.tenant, archive, &rows)
            .await
            .expect("write");
    }

    async fn maintain(&self, now: DateTime<Utc>) -> octo_streamdata::MaintenanceReport {
        self.service.run_maintenance_once(WORKER, now).await
    }

    async fn watermark(&self, rollup: &str) -> Option<DateTime<Utc>> {
        let state = self
            .store
            .rollup_state(&self.tenant, &rollup.parse().expect("id"))
            .await
            .expect("state")
            .expect("control row");
        state
            .watermark
            .and_then(DateTime::<Utc>::from_timestamp_micros)
    }

    /// Every query shape against raw; returns how many were answered from the rollup.
    async fn check_equal(
        &self,
        archive: &str,
        rollup: &str,
        from: DateTime<Utc>,
        hours: i64,
    ) -> usize {
        let aggregations = vec![
            agg(AggregateFunction::Count, None),
            agg(AggregateFunction::Avg, Some("Power")),
            agg(AggregateFunction::Max, Some("Power")),
            agg(AggregateFunction::Min, Some("Power")),
            agg(AggregateFunction::Sum, Some("Power")),
            agg(AggregateFunction::Sum, Some("Pulses")),
            agg(AggregateFunction::Avg, Some("Pulses")),
            agg(AggregateFunction::Count, Some("Pulses")),
            agg(AggregateFunction::Count, Some("Running")),
            agg(AggregateFunction::Min, Some("NamePlate.Maker")),
            agg(AggregateFunction::Max, Some("NamePlate.Maker")),
        ];
        let mut used = 0;
        for (limit, sources) in [
            (hours, Vec::new()),
            (hours / 3, Vec::new()),
            (hours / 2, vec![SOURCES[1].to_owned()]),
            (7, Vec::new()),
            (1, vec![SOURCES[0].to_owned(), SOURCES[2].to_owned()]),
        ] {
            let span = Span {
                from,
                to: from + Duration::hours(hours),
                limit,
            };
            let window = Window {
                source_rt_ids: sources,
                ..Window::default()
            };
            let (planned, use_) = self
                .service
                .query_downsampling_planned(&self.tenant, archive, &aggregations, span, &window)
                .await
                .expect("planned");
            let raw = self
                .service
                .query_downsampling_raw(&self.tenant, archive, &aggregations, span, &window)
                .await
                .expect("raw");
            assert_same(&planned, &raw, &format!("limit {limit}"));
            if let Some(use_) = use_ {
                assert_eq!(use_.rollup_rt_id, rollup);
                used += 1;
            }
        }
        used
    }
}

fn agg(function: AggregateFunction, path: Option<&str>) -> ColumnRequest {
    ColumnRequest {
        function,
        attribute_path: path.map(str::to_owned),
        alias: None,
    }
}

/// Equal rows; floating-point cells to 1e-9 relative (sums added in another order).
fn assert_same(planned: &[Map<String, Value>], raw: &[Map<String, Value>], what: &str) {
    assert_eq!(
        planned.len(),
        raw.len(),
        "{what}: row counts\n{planned:?}\n{raw:?}"
    );
    for (p, r) in planned.iter().zip(raw) {
        assert_eq!(p.len(), r.len(), "{what}: {p:?} vs {r:?}");
        for (key, expected) in r {
            let got = &p[key];
            match (got, expected) {
                (Value::Number(a), Value::Number(b)) if a.is_f64() || b.is_f64() => {
                    let (a, b) = (a.as_f64().expect("f64"), b.as_f64().expect("f64"));
                    assert!(
                        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
                        "{what}: {key}: {a} vs {b} in {p:?}"
                    );
                }
                _ => assert_eq!(got, expected, "{what}: {key} in {p:?} vs {r:?}"),
            }
        }
    }
}

both_backends!(rollup_answers_equal_raw_downsampling_through_its_life);
async fn rollup_answers_equal_raw_downsampling_through_its_life(store: Arc<dyn Store>) {
    let f = rollups_fixture(store).await;
    let archive = f.archive(None).await;
    let rollup = f.rollup(&archive, "01:00:00", None).await;
    let mut rng = Lcg(0x5eed);
    f.write_random(&archive, &mut rng, base(), 72, 900).await;
    assert_eq!(
        f.watermark(&rollup).await,
        None,
        "nothing computed before maintenance"
    );

    // Maintenance two days in: the rollup covers the first 47 hours (a minute's lateness).
    let report = f.maintain(base() + Duration::days(2)).await;
    assert_eq!(report.rollups_maintained, 1);
    assert_eq!(
        f.watermark(&rollup).await,
        Some(base() + Duration::hours(47))
    );
    let used = f.check_equal(&archive, &rollup, base(), 72).await;
    assert!(
        used >= 3,
        "aligned multiples of the hour read the rollup ({used})"
    );

    // Late writes behind the watermark: answers stay right before and after maintenance.
    f.write_random(&archive, &mut rng, base() + Duration::hours(5), 20, 150)
        .await;
    let state = f
        .store
        .rollup_state(&f.tenant, &rollup.parse().expect("id"))
        .await
        .expect("state")
        .expect("row");
    assert!(!state.dirty.is_empty(), "late samples mark their buckets");
    f.check_equal(&archive, &rollup, base(), 72).await;
    let report = f.maintain(base() + Duration::days(2)).await;
    assert!(report.ranges_recomputed > 0);
    f.check_equal(&archive, &rollup, base(), 72).await;

    // Rewind: refused off the grid and past the watermark, then recomputed.
    let off = f
        .service
        .rewind_rollup(&f.tenant, &rollup, base() + Duration::minutes(90))
        .await
        .expect_err("not a boundary");
    assert!(
        off.to_string().contains("is not a bucket boundary"),
        "{off}"
    );
    let late = f
        .service
        .rewind_rollup(&f.tenant, &rollup, base() + Duration::days(3))
        .await
        .expect_err("after the watermark");
    assert!(
        late.to_string().contains("is after the watermark"),
        "{late}"
    );
    f.service
        .rewind_rollup(&f.tenant, &rollup, base() + Duration::hours(24))
        .await
        .expect("rewind");
    assert_eq!(
        f.watermark(&rollup).await,
        Some(base() + Duration::hours(24))
    );
    f.check_equal(&archive, &rollup, base(), 72).await;

    // Freeze: maintenance stops at `until`; unfreezing catches up from raw.
    f.service
        .freeze_rollup(&f.tenant, &rollup, base() + Duration::minutes(30 * 60 + 30))
        .await
        .expect("freeze");
    f.maintain(base() + Duration::days(5)).await;
    assert_eq!(
        f.watermark(&rollup).await,
        Some(base() + Duration::hours(30))
    );
    f.check_equal(&archive, &rollup, base(), 72).await;
    f.service
        .unfreeze_rollup(&f.tenant, &rollup, false, base() + Duration::days(5))
        .await
        .expect("unfreeze");
    f.maintain(base() + Duration::days(5)).await;
    assert_eq!(
        f.watermark(&rollup).await,
        Some(base() + Duration::hours(119))
    );
    assert!(f.check_equal(&archive, &rollup, base(), 72).await >= 3);

    // Unfreeze accepting gaps: the watermark jumps, the skipped span is read raw.
    f.write_random(&archive, &mut rng, base() + Duration::days(5), 48, 300)
        .await;
    f.service
        .freeze_rollup(&f.tenant, &rollup, base() + Duration::days(5))
        .await
        .expect("freeze");
    f.service
        .unfreeze_rollup(&f.tenant, &rollup, true, base() + Duration::days(8))
        .await
        .expect("unfreeze with gaps");
    assert_eq!(
        f.watermark(&rollup).await,
        Some(base() + Duration::hours(8 * 24 - 1))
    );
    f.check_equal(&archive, &rollup, base(), 8 * 24).await;

    // Backfill: a durable job recomputes everything from raw and closes the gap's buckets.
    let job = f
        .service
        .backfill_rollup(&f.tenant, &rollup)
        .await
        .expect("backfill")
        .expect("a job");
    assert_eq!(job.state, "Queued");
    let report = f.maintain(base() + Duration::days(8)).await;
    assert_eq!(report.jobs_run, 1);
    let jobs = f
        .service
        .recompute_jobs(&f.tenant, &archive)
        .await
        .expect("jobs");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, "Succeeded", "{jobs:?}");
    assert_eq!(
        f.service
            .recompute_jobs(&f.tenant, &rollup)
            .await
            .expect("jobs by rollup")
            .len(),
        1
    );
    assert!(f.check_equal(&archive, &rollup, base(), 8 * 24).await >= 3);

    // Value filters never read a rollup.
    let window = Window {
        filters: octo_streamdata::ConditionGroup::all(vec![octo_streamdata::Condition {
            attribute_path: "Power".into(),
            operator: octo_store::FilterOperator::GreaterThan,
            comparison_value: json!(0),
        }]),
        ..Window::default()
    };
    let (_, used) = f
        .service
        .query_downsampling_planned(
            &f.tenant,
            &archive,
            &[agg(AggregateFunction::Count, None)],
            Span {
                from: base(),
                to: base() + Duration::hours(72),
                limit: 72,
            },
            &window,
        )
        .await
        .expect("filtered");
    assert_eq!(used, None);
}

both_backends!(backfill_of_an_empty_archive_is_a_no_op);
async fn backfill_of_an_empty_archive_is_a_no_op(store: Arc<dyn Store>) {
    let f = rollups_fixture(store).await;
    let archive = f.archive(None).await;
    let rollup = f.rollup(&archive, "00:15:00", None).await;
    assert!(
        f.service
            .backfill_rollup(&f.tenant, &rollup)
            .await
            .expect("backfill")
            .is_none()
    );
    let report = f.maintain(base()).await;
    assert_eq!(report.jobs_run, 0);
    assert_eq!(f.watermark(&rollup).await, None);
    // A store recreated under the rollup (e.g. a restore) gets its rollup back, empty.
    f.store.drop_stream_store(&f.tenant).await.expect("damage");
    let report = f.service.enable(&f.tenant).await.expect("repair");
    assert!(report.repaired_archives.contains(&rollup), "{report:?}");
    assert!(
        f.store
            .rollup_state(&f.tenant, &rollup.parse().expect("id"))
            .await
            .expect("state")
            .is_some()
    );
    let missing = f
        .service
        .resolve_rollup(&f.tenant, "65a0000000000000000000ff")
        .await
        .expect_err("unknown");
    assert_eq!(
        missing.to_string(),
        "No rollup archive with rtId '65a0000000000000000000ff' found."
    );
}

both_backends!(maintenance_applies_retention_and_rollups_keep_history);
async fn maintenance_applies_retention_and_rollups_keep_history(store: Arc<dyn Store>) {
    let f = rollups_fixture(store).await;
    let archive = f.archive(Some("1.00:00:00")).await;
    let rollup = f.rollup(&archive, "01:00:00", Some("3.00:00:00")).await;
    let mut rng = Lcg(7);
    f.write_random(&archive, &mut rng, base(), 48, 200).await;
    let counted = |rows: &[Map<String, Value>]| -> i64 {
        rows.iter().map(|r| r["count"].as_i64().unwrap_or(0)).sum()
    };
    let span = Span {
        from: base(),
        to: base() + Duration::hours(48),
        limit: 48,
    };
    let count = [agg(AggregateFunction::Count, None)];
    // The first pass computes the rollup, then retention removes the first day of raw samples.
    let report = f.maintain(base() + Duration::hours(49)).await;
    assert!(report.samples_removed > 0, "{report:?}");
    let raw = f
        .service
        .query_downsampling_raw(&f.tenant, &archive, &count, span, &Window::default())
        .await
        .expect("raw");
    let (rolled, used) = f
        .service
        .query_downsampling_planned(&f.tenant, &archive, &count, span, &Window::default())
        .await
        .expect("rollup");
    assert_eq!(used.map(|u| u.rollup_rt_id), Some(rollup.clone()));
    assert_eq!(
        counted(&rolled),
        200,
        "the rollup keeps what retention removed"
    );
    assert!(counted(&raw) < 200);
    // The rollup's own retention removes its old buckets.
    let report = f.maintain(base() + Duration::days(4)).await;
    assert!(report.buckets_removed > 0, "{report:?}");
}
