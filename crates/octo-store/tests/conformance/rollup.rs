//! Rollups: tables of per-interval partial aggregates maintained behind a watermark. Merged
//! rollup buckets must equal downsampling of the raw samples, also after late writes, when
//! several maintainers race, after a rewind and around skipped spans.

use std::sync::Arc;

use octo_ids::OctoObjectId;
use octo_store::{
    AggregateFunction as Agg, ArchiveTable, RewindOutcome, RollupQuery, RollupRange, RollupTable,
    Store, StoreError, StreamAggregate, StreamAggregation, StreamBuckets, StreamColumn,
    StreamColumnKind, StreamSample, StreamSelection, StreamValue,
};

use super::create_tenant;

/// 2024-05-01T00:00:00Z in microseconds.
const BASE: i64 = 1_714_521_600_000_000;
const MINUTE: i64 = 60_000_000;
const INTERVAL: i64 = 10 * MINUTE;
const DAY: i64 = 24 * 60 * MINUTE;
const SOURCES: [&str; 3] = [
    "65a000000000000000000001",
    "65a000000000000000000002",
    "65a000000000000000000003",
];

/// A small seeded generator, so a failure reproduces.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

async fn ready(store: &Arc<dyn Store>, name: &str) -> RollupTable {
    let tenant = create_tenant(store, name).await;
    store.init_stream_store(&tenant).await.expect("init");
    let source = ArchiveTable {
        tenant_id: tenant,
        archive_id: OctoObjectId::new(),
        columns: vec![
            StreamColumn {
                name: "power".to_owned(),
                kind: StreamColumnKind::Double,
            },
            StreamColumn {
                name: "pulses".to_owned(),
                kind: StreamColumnKind::Integer,
            },
            StreamColumn {
                name: "on".to_owned(),
                kind: StreamColumnKind::Boolean,
            },
            StreamColumn {
                name: "state".to_owned(),
                kind: StreamColumnKind::Text,
            },
        ],
    };
    store.create_archive_table(&source).await.expect("archive");
    let rollup = RollupTable {
        source,
        rollup_id: OctoObjectId::new(),
        interval: INTERVAL,
        columns: vec![0, 1, 2, 3],
    };
    store.create_rollup(&rollup).await.expect("rollup");
    // Creating again is a no-op.
    store.create_rollup(&rollup).await.expect("again");
    rollup
}

/// `count` samples in `[from, from + span)`, with nulls, written and marked as a service would.
async fn write(
    store: &Arc<dyn Store>,
    rollup: &RollupTable,
    rng: &mut Lcg,
    from: i64,
    span: i64,
    count: usize,
) {
    let samples: Vec<StreamSample> = (0..count)
        .map(|_| {
            let pulses = rng.below(500) as i64 - 100;
            StreamSample {
                time: from + rng.below(span as u64) as i64,
                source: SOURCES[rng.below(3) as usize].to_owned(),
                values: vec![
                    StreamValue::Double(rng.below(100_000) as f64 / 3.0 - 1000.0),
                    if rng.below(5) == 0 {
                        StreamValue::Null
                    } else {
                        StreamValue::Integer(pulses)
                    },
                    if rng.below(3) == 0 {
                        StreamValue::Null
                    } else {
                        StreamValue::Boolean(pulses % 2 == 0)
                    },
                    StreamValue::Text(["a", "B", "zz", "é"][rng.below(4) as usize].to_owned()),
                ],
            }
        })
        .collect();
    store
        .write_samples(&rollup.source, &samples)
        .await
        .expect("write");
    let times: Vec<i64> = samples.iter().map(|s| s.time).collect();
    store
        .mark_rollups_dirty(&rollup.source.tenant_id, &rollup.source.archive_id, &times)
        .await
        .expect("mark");
}

async fn catch_up(store: &Arc<dyn Store>, rollup: &RollupTable, target: i64) {
    for _ in 0..1000 {
        let progress = store
            .advance_rollup(rollup, target, 7)
            .await
            .expect("advance");
        if progress.caught_up {
            return;
        }
    }
    panic!("maintenance did not catch up");
}

fn aggregates() -> Vec<StreamAggregate> {
    let a = |function, column| StreamAggregate { function, column };
    vec![
        a(Agg::Count, None),
        a(Agg::Count, Some(0)),
        a(Agg::Sum, Some(0)),
        a(Agg::Avg, Some(0)),
        a(Agg::Min, Some(0)),
        a(Agg::Max, Some(0)),
        a(Agg::Count, Some(1)),
        a(Agg::Sum, Some(1)),
        a(Agg::Avg, Some(1)),
        a(Agg::Min, Some(1)),
        a(Agg::Max, Some(1)),
        a(Agg::Count, Some(2)),
        a(Agg::Min, Some(3)),
        a(Agg::Max, Some(3)),
    ]
}

/// Merged rollup buckets over `[from, to)` equal raw downsampling, for several widths and
/// source subsets.
async fn assert_matches_raw(store: &Arc<dyn Store>, rollup: &RollupTable, from: i64, to: i64) {
    for (width, sources) in [
        (INTERVAL, vec![]),
        (3 * INTERVAL, vec![SOURCES[1].to_owned()]),
        (
            12 * INTERVAL,
            vec![SOURCES[0].to_owned(), SOURCES[2].to_owned()],
        ),
        (to - from, vec![]),
    ] {
        let rolled = store
            .query_rollup(
                rollup,
                &RollupQuery {
                    from,
                    to,
                    origin: from,
                    width,
                    sources: sources.clone(),
                    aggregates: aggregates(),
                },
            )
            .await
            .expect("rollup query");
        let raw = store
            .aggregate_samples(
                &rollup.source,
                &StreamAggregation {
                    selection: StreamSelection {
                        from: Some(from),
                        to: Some(to),
                        sources,
                        filters: octo_store::StreamFilterExpr::default(),
                    },
                    group_by: Vec::new(),
                    buckets: Some(StreamBuckets {
                        origin: from,
                        width,
                    }),
                    aggregates: aggregates(),
                },
            )
            .await
            .expect("raw query");
        assert_eq!(rolled.len(), raw.len(), "width {width}: bucket counts");
        for (r, w) in rolled.iter().zip(&raw) {
            for (a, b) in r.iter().zip(w) {
                match (a, b) {
                    (StreamValue::Double(a), StreamValue::Double(b)) => assert!(
                        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
                        "width {width}: {a} vs {b} in {r:?} / {w:?}"
                    ),
                    _ => assert_eq!(a, b, "width {width}: {r:?} / {w:?}"),
                }
            }
        }
    }
}

pub async fn rollups_merge_exactly_like_raw_downsampling(store: Arc<dyn Store>) {
    let rollup = ready(&store, "rollmerge").await;
    let mut rng = Lcg(42);
    write(&store, &rollup, &mut rng, BASE, DAY, 600).await;
    let state = store
        .rollup_state(&rollup.source.tenant_id, &rollup.rollup_id)
        .await
        .expect("state")
        .expect("row");
    assert_eq!(state.watermark, None);
    assert!(state.dirty.is_empty(), "nothing computed, nothing dirty");
    catch_up(&store, &rollup, BASE + DAY).await;
    let state = store
        .rollup_state(&rollup.source.tenant_id, &rollup.rollup_id)
        .await
        .expect("state")
        .expect("row");
    assert_eq!(state.watermark, Some(BASE + DAY));
    assert_matches_raw(&store, &rollup, BASE, BASE + DAY).await;

    // Late samples behind the watermark mark their buckets; maintenance recomputes them.
    write(
        &store,
        &rollup,
        &mut rng,
        BASE + 3 * 60 * MINUTE,
        5 * 60 * MINUTE,
        200,
    )
    .await;
    let state = store
        .rollup_state(&rollup.source.tenant_id, &rollup.rollup_id)
        .await
        .expect("state")
        .expect("row");
    assert!(!state.dirty.is_empty());
    assert!(
        state
            .dirty
            .iter()
            .all(|r| r.from % INTERVAL == 0 && r.to % INTERVAL == 0)
    );
    let progress = store
        .advance_rollup(&rollup, BASE + DAY, 1000)
        .await
        .expect("advance");
    assert!(progress.recomputed > 0);
    assert_matches_raw(&store, &rollup, BASE, BASE + DAY).await;

    // Rewind: only to a boundary at or before the watermark.
    assert!(matches!(
        store.rewind_rollup(&rollup, BASE + 5 * MINUTE).await,
        Err(StoreError::InvalidQuery { .. })
    ));
    assert_eq!(
        store
            .rewind_rollup(&rollup, BASE + 2 * DAY)
            .await
            .expect("rewind"),
        RewindOutcome::BeyondWatermark {
            watermark: Some(BASE + DAY)
        }
    );
    assert_eq!(
        store
            .rewind_rollup(&rollup, BASE + 12 * 60 * MINUTE)
            .await
            .expect("rewind"),
        RewindOutcome::Rewound
    );
    let after = store
        .query_rollup(
            &rollup,
            &RollupQuery {
                from: BASE + 12 * 60 * MINUTE,
                to: BASE + DAY,
                origin: BASE,
                width: INTERVAL,
                sources: Vec::new(),
                aggregates: aggregates(),
            },
        )
        .await
        .expect("query");
    assert!(after.is_empty(), "buckets after the new watermark are gone");
    catch_up(&store, &rollup, BASE + DAY).await;
    assert_matches_raw(&store, &rollup, BASE, BASE + DAY).await;

    // A freeze caps the watermark; unfreezing with a skip records the gap.
    write(&store, &rollup, &mut rng, BASE + DAY, DAY, 100).await;
    assert!(
        store
            .freeze_rollup(
                &rollup.source.tenant_id,
                &rollup.rollup_id,
                Some(BASE + DAY + 65 * MINUTE)
            )
            .await
            .expect("freeze")
    );
    catch_up(&store, &rollup, BASE + 2 * DAY).await;
    let state = store
        .rollup_state(&rollup.source.tenant_id, &rollup.rollup_id)
        .await
        .expect("state")
        .expect("row");
    assert_eq!(state.watermark, Some(BASE + DAY + 60 * MINUTE));
    assert!(
        store
            .unfreeze_rollup(&rollup, Some(BASE + 2 * DAY))
            .await
            .expect("unfreeze")
    );
    let state = store
        .rollup_state(&rollup.source.tenant_id, &rollup.rollup_id)
        .await
        .expect("state")
        .expect("row");
    assert_eq!(state.frozen_until, None);
    assert_eq!(state.watermark, Some(BASE + 2 * DAY));
    assert_eq!(
        state.gaps,
        vec![RollupRange {
            from: BASE + DAY + 60 * MINUTE,
            to: BASE + 2 * DAY
        }]
    );
    // A rollup without a state row: unfreezing finds nothing, rewinding names it.
    let unknown = RollupTable {
        rollup_id: OctoObjectId::new(),
        ..rollup.clone()
    };
    assert!(
        !store
            .unfreeze_rollup(&unknown, None)
            .await
            .expect("unfreeze an unknown rollup")
    );
    match store.rewind_rollup(&unknown, BASE).await {
        Err(StoreError::NotFound { what }) => {
            assert!(what.contains(&unknown.rollup_id.to_string()), "{what}");
        }
        other => panic!("rewinding an unknown rollup: {other:?}"),
    }
    // The rollup's own retention removes whole buckets only.
    let removed = store
        .delete_rollup_buckets_before(&rollup, BASE + 60 * MINUTE + 1)
        .await
        .expect("retention");
    assert!(removed > 0);
    // Dropping the tenant's store drops the rollup's state with it.
    assert!(
        store
            .drop_stream_store(&rollup.source.tenant_id)
            .await
            .expect("drop")
    );
    assert_eq!(
        store
            .rollup_state(&rollup.source.tenant_id, &rollup.rollup_id)
            .await
            .expect("state"),
        None
    );
}

pub async fn concurrent_rollup_maintenance_never_counts_twice(store: Arc<dyn Store>) {
    let rollup = ready(&store, "rollrace").await;
    let mut rng = Lcg(9);
    write(&store, &rollup, &mut rng, BASE, DAY, 400).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let store = Arc::clone(&store);
        let rollup = rollup.clone();
        tasks.spawn(async move {
            for _ in 0..2000 {
                let progress = store
                    .advance_rollup(&rollup, BASE + DAY, 3)
                    .await
                    .expect("advance");
                if progress.caught_up {
                    return;
                }
                tokio::task::yield_now().await;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task");
    }
    catch_up(&store, &rollup, BASE + DAY).await;
    assert_matches_raw(&store, &rollup, BASE, BASE + DAY).await;
}

pub async fn rollups_refuse_what_cannot_run(store: Arc<dyn Store>) {
    let rollup = ready(&store, "rollrefuse").await;
    let mut bad = rollup.clone();
    bad.rollup_id = OctoObjectId::new();
    bad.source.columns[0].name = "Power; DROP".to_owned();
    assert!(matches!(
        store.create_rollup(&bad).await,
        Err(StoreError::InvalidQuery { .. })
    ));
    let mut narrow = rollup.clone();
    narrow.columns = vec![1];
    let refused = store
        .query_rollup(
            &narrow,
            &RollupQuery {
                from: BASE,
                to: BASE + DAY,
                origin: BASE,
                width: INTERVAL,
                sources: Vec::new(),
                aggregates: vec![StreamAggregate {
                    function: Agg::Max,
                    column: Some(0),
                }],
            },
        )
        .await;
    assert!(matches!(refused, Err(StoreError::InvalidQuery { .. })));
    let misaligned = store
        .query_rollup(
            &rollup,
            &RollupQuery {
                from: BASE + MINUTE,
                to: BASE + DAY,
                origin: BASE + MINUTE,
                width: INTERVAL,
                sources: Vec::new(),
                aggregates: vec![StreamAggregate {
                    function: Agg::Count,
                    column: None,
                }],
            },
        )
        .await;
    assert!(matches!(misaligned, Err(StoreError::InvalidQuery { .. })));
    // An empty source: maintenance has nothing to start from.
    let progress = store
        .advance_rollup(&rollup, BASE + DAY, 10)
        .await
        .expect("advance");
    assert!(progress.claimed && progress.caught_up);
    assert_eq!(progress.watermark, None);
    assert_eq!(
        store.rewind_rollup(&rollup, BASE).await.expect("rewind"),
        RewindOutcome::BeyondWatermark { watermark: None }
    );
    assert!(
        store
            .drop_rollup(&rollup.source.tenant_id, &rollup.rollup_id)
            .await
            .expect("drop")
    );
    assert!(!store.rollup_table_exists(&rollup).await.expect("exists"));
    assert!(matches!(
        store.advance_rollup(&rollup, BASE + DAY, 10).await,
        Err(StoreError::NotFound { .. })
    ));
}
