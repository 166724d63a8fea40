//! Stream data: the tenant's archive runtime store, archive tables, batch
//! writes, retention and statistics, and a property test of every query kind
//! (raw rows, aggregation, grouping, downsampling) with random And / Or filter
//! trees against an in-memory evaluation written here from the documented
//! semantics.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::subsequence;
use proptest::test_runner::{Config, TestRunner};

use octo_ids::{OctoObjectId, TenantId};
use octo_store::{
    AggregateFunction as Agg, ArchiveTable, FilterOperator as Op, MAX_STREAM_FILTER_CONDITIONS,
    MAX_STREAM_FILTER_DEPTH, MAX_STREAM_FILTER_VALUES, Store, StoreError, StreamAggregate,
    StreamAggregation, StreamBuckets, StreamColumn, StreamColumnKind, StreamFilter,
    StreamFilterExpr, StreamGroupKey, StreamRowsQuery, StreamSample, StreamSelection, StreamValue,
};

use super::create_tenant;

/// 2024-05-01T00:00:00Z in microseconds.
const BASE: i64 = 1_714_521_600_000_000;
const MINUTE: i64 = 60_000_000;
const SOURCES: [&str; 3] = [
    "65a000000000000000000001",
    "65a000000000000000000002",
    "65a000000000000000000003",
];

fn table(tenant_id: &TenantId) -> ArchiveTable {
    ArchiveTable {
        tenant_id: tenant_id.clone(),
        archive_id: OctoObjectId::new(),
        columns: vec![
            StreamColumn {
                name: "power".to_owned(),
                kind: StreamColumnKind::Double,
            },
            StreamColumn {
                name: "count".to_owned(),
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
    }
}

fn sample(time: i64, source: usize, power: f64, count: i64) -> StreamSample {
    StreamSample {
        time,
        source: SOURCES[source].to_owned(),
        values: vec![
            StreamValue::Double(power),
            StreamValue::Integer(count),
            StreamValue::Boolean(count % 2 == 0),
            StreamValue::Text(format!("s{count}")),
        ],
    }
}

async fn ready(store: &Arc<dyn Store>, name: &str) -> ArchiveTable {
    let tenant = create_tenant(store, name).await;
    store.init_stream_store(&tenant).await.expect("init");
    let table = table(&tenant);
    store.create_archive_table(&table).await.expect("create");
    table
}

fn all_rows(limit: u32) -> StreamRowsQuery {
    StreamRowsQuery {
        selection: StreamSelection::default(),
        columns: vec![0, 1, 2, 3],
        descending: false,
        limit,
    }
}

pub async fn stream_store_is_idempotent_repairable_and_tenant_checked(store: Arc<dyn Store>) {
    let missing: TenantId = "nosuchtenant".parse().expect("valid");
    assert!(matches!(
        store.init_stream_store(&missing).await,
        Err(StoreError::NotFound { .. })
    ));
    let tenant = create_tenant(&store, "streams").await;
    assert!(!store.stream_store_exists(&tenant).await.expect("exists"));
    let table = table(&tenant);
    assert!(
        matches!(
            store.create_archive_table(&table).await,
            Err(StoreError::NotFound { .. })
        ),
        "an archive table needs an initialised store"
    );
    store.init_stream_store(&tenant).await.expect("init");
    store.init_stream_store(&tenant).await.expect("init again");
    assert!(store.stream_store_exists(&tenant).await.expect("exists"));
    store.create_archive_table(&table).await.expect("create");
    store
        .create_archive_table(&table)
        .await
        .expect("create again");
    assert!(store.archive_table_exists(&table).await.expect("exists"));
    assert!(store.drop_stream_store(&tenant).await.expect("drop"));
    assert!(!store.stream_store_exists(&tenant).await.expect("exists"));
    assert!(!store.archive_table_exists(&table).await.expect("exists"));
    assert!(!store.drop_stream_store(&tenant).await.expect("drop again"));
    store.init_stream_store(&tenant).await.expect("repair");
    assert!(store.stream_store_exists(&tenant).await.expect("exists"));
}

pub async fn archive_writes_are_all_or_nothing_and_stats_describe_them(store: Arc<dyn Store>) {
    let table = ready(&store, "streamwrites").await;
    let empty = store.archive_stats(&table).await.expect("stats");
    assert!(empty.table_exists);
    assert_eq!(empty.record_count, 0);
    assert_eq!(empty.first_time, None);
    let good: Vec<StreamSample> = (0..500)
        .map(|i| sample(BASE + i * MINUTE * 7, (i % 3) as usize, i as f64 * 0.5, i))
        .collect();
    assert_eq!(
        store.write_samples(&table, &good).await.expect("write"),
        500
    );
    let mut bad = good.clone();
    bad.push(StreamSample {
        time: BASE,
        source: SOURCES[0].to_owned(),
        values: vec![
            StreamValue::Text("not a number".to_owned()),
            StreamValue::Null,
            StreamValue::Null,
            StreamValue::Null,
        ],
    });
    let err = store.write_samples(&table, &bad).await.expect_err("bad");
    assert!(
        err.to_string().contains("sample 500"),
        "names the bad sample: {err}"
    );
    let stats = store.archive_stats(&table).await.expect("stats");
    assert_eq!(stats.record_count, 500, "the bad batch wrote nothing");
    assert_eq!(stats.first_time, Some(BASE));
    assert_eq!(stats.last_time, Some(BASE + 499 * MINUTE * 7));
    assert!(stats.size_bytes > 0);
    // Text with every COPY separator survives the round trip.
    let tricky = StreamSample {
        time: BASE - 1,
        source: SOURCES[1].to_owned(),
        values: vec![
            StreamValue::Null,
            StreamValue::Integer(i64::MIN),
            StreamValue::Null,
            StreamValue::Text("tab\tnew\nline\\back\rcr \\N".to_owned()),
        ],
    };
    store
        .write_samples(&table, std::slice::from_ref(&tricky))
        .await
        .expect("write tricky");
    let first = store
        .query_samples(&table, &all_rows(1))
        .await
        .expect("query");
    assert_eq!(first, vec![tricky]);
    assert!(store.drop_archive_table(&table).await.expect("drop"));
    let gone = store.archive_stats(&table).await.expect("stats");
    assert!(!gone.table_exists);
    assert!(!store.drop_archive_table(&table).await.expect("drop again"));
}

pub async fn archive_retention_removes_old_samples_only(store: Arc<dyn Store>) {
    let table = ready(&store, "streamretention").await;
    let day = 86_400_000_000;
    // Five days, 24 samples a day.
    let samples: Vec<StreamSample> = (0..120)
        .map(|i| sample(BASE + i * day / 24, 0, 1.0, i))
        .collect();
    store.write_samples(&table, &samples).await.expect("write");
    // Cut in the middle of the third day: two whole days go (partitions on
    // PostgreSQL) and half of the third row by row.
    let cutoff = BASE + 2 * day + day / 2;
    let removed = store
        .delete_samples_before(&table, cutoff)
        .await
        .expect("retention");
    assert_eq!(removed, 60);
    let stats = store.archive_stats(&table).await.expect("stats");
    assert_eq!(stats.record_count, 60);
    assert_eq!(stats.first_time, Some(cutoff));
    // Writing into a day whose partition was dropped still works.
    store
        .write_samples(&table, &[sample(BASE, 0, 2.0, 1)])
        .await
        .expect("write again");
    assert_eq!(
        store
            .archive_stats(&table)
            .await
            .expect("stats")
            .record_count,
        61
    );
}

pub async fn stream_queries_reject_what_cannot_run(store: Arc<dyn Store>) {
    let table = ready(&store, "streamrejects").await;
    fn invalid<T>(result: Result<T, StoreError>) -> bool {
        matches!(result, Err(StoreError::InvalidQuery { .. }))
    }
    assert!(invalid(store.query_samples(&table, &all_rows(0)).await));
    let mut unknown = all_rows(5);
    unknown.columns = vec![9];
    assert!(invalid(store.query_samples(&table, &unknown).await));
    let mut like = all_rows(5);
    like.selection.filters = StreamFilterExpr::all(vec![StreamFilter {
        column: 3,
        operator: Op::Regex,
        values: vec![StreamValue::Text("x".to_owned())],
    }]);
    assert!(invalid(store.query_samples(&table, &like).await));
    // The same refusal deep inside an Or tree.
    like.selection.filters = StreamFilterExpr::Or(vec![
        StreamFilterExpr::Condition(count_is(1)),
        StreamFilterExpr::And(vec![like.selection.filters.clone()]),
    ]);
    assert!(invalid(store.query_samples(&table, &like).await));
    let sum_text = StreamAggregation {
        selection: StreamSelection::default(),
        group_by: vec![],
        buckets: None,
        aggregates: vec![StreamAggregate {
            function: Agg::Sum,
            column: Some(3),
        }],
    };
    assert!(invalid(store.aggregate_samples(&table, &sum_text).await));
    let mut bad_name = table.clone();
    bad_name.columns[0].name = "x\"; DROP TABLE tenants; --".to_owned();
    assert!(invalid(store.create_archive_table(&bad_name).await));
}

fn count_is(value: i64) -> StreamFilter {
    StreamFilter {
        column: 1,
        operator: Op::Equals,
        values: vec![StreamValue::Integer(value)],
    }
}

/// Depth, condition and value limits, and the documented meaning of empty groups.
pub async fn stream_filter_trees_have_limits_and_empty_group_rules(store: Arc<dyn Store>) {
    let table = ready(&store, "streamtrees").await;
    let samples: Vec<StreamSample> = (0..10).map(|i| sample(BASE + i, 0, 1.0, i)).collect();
    store.write_samples(&table, &samples).await.expect("write");
    let count = |filters: StreamFilterExpr| {
        let store = store.clone();
        let table = table.clone();
        async move {
            let mut query = all_rows(100);
            query.selection.filters = filters;
            store
                .query_samples(&table, &query)
                .await
                .map(|rows| rows.len())
        }
    };
    let invalid = |result: Result<usize, StoreError>, needle: &str| match result {
        Err(StoreError::InvalidQuery { reason, .. }) => {
            assert!(reason.contains(needle), "{reason}");
        }
        other => panic!("expected a refusal naming '{needle}', got {other:?}"),
    };
    // Empty And: no condition; empty Or: no alternative holds.
    assert_eq!(count(StreamFilterExpr::And(vec![])).await.expect("and"), 10);
    assert_eq!(count(StreamFilterExpr::Or(vec![])).await.expect("or"), 0);
    assert_eq!(
        count(StreamFilterExpr::Or(vec![
            StreamFilterExpr::Condition(count_is(1)),
            StreamFilterExpr::Or(vec![]),
            StreamFilterExpr::Condition(count_is(7)),
        ]))
        .await
        .expect("or"),
        2
    );
    // Exactly at the depth limit runs; one level more is refused.
    let nest = |levels: usize| {
        let mut expr = StreamFilterExpr::Or(vec![StreamFilterExpr::Condition(count_is(3))]);
        for level in 1..levels {
            expr = if level % 2 == 0 {
                StreamFilterExpr::Or(vec![expr])
            } else {
                StreamFilterExpr::And(vec![expr])
            };
        }
        expr
    };
    assert_eq!(count(nest(MAX_STREAM_FILTER_DEPTH)).await.expect("deep"), 1);
    invalid(
        count(nest(MAX_STREAM_FILTER_DEPTH + 1)).await,
        "levels deep",
    );
    let many = |n: usize| {
        StreamFilterExpr::Or(
            (0..n as i64)
                .map(count_is)
                .map(StreamFilterExpr::Condition)
                .collect(),
        )
    };
    assert_eq!(
        count(many(MAX_STREAM_FILTER_CONDITIONS))
            .await
            .expect("many"),
        10
    );
    invalid(
        count(many(MAX_STREAM_FILTER_CONDITIONS + 1)).await,
        "conditions",
    );
    let values = |n: usize| {
        StreamFilterExpr::all(vec![StreamFilter {
            column: 1,
            operator: Op::In,
            values: (0..n as i64).map(StreamValue::Integer).collect(),
        }])
    };
    assert_eq!(
        count(values(MAX_STREAM_FILTER_VALUES))
            .await
            .expect("values"),
        10
    );
    invalid(count(values(MAX_STREAM_FILTER_VALUES + 1)).await, "values");
}

// --- The property test ------------------------------------------------------

#[derive(Debug, Clone)]
struct GenSample {
    minute: i64,
    micro: i64,
    source: usize,
    power: Option<i64>,
    count: Option<i64>,
    on: Option<bool>,
    state: Option<String>,
}

impl GenSample {
    fn time(&self) -> i64 {
        BASE + self.minute * MINUTE + self.micro
    }

    fn sample(&self) -> StreamSample {
        StreamSample {
            time: self.time(),
            source: SOURCES[self.source].to_owned(),
            values: vec![
                self.power
                    .map_or(StreamValue::Null, |p| StreamValue::Double(p as f64 / 2.0)),
                self.count.map_or(StreamValue::Null, StreamValue::Integer),
                self.on.map_or(StreamValue::Null, StreamValue::Boolean),
                self.state
                    .clone()
                    .map_or(StreamValue::Null, StreamValue::Text),
            ],
        }
    }
}

fn gen_sample() -> impl Strategy<Value = GenSample> {
    (
        0..(3 * 24 * 60i64),
        prop_oneof![Just(0i64), 0..3i64],
        0..3usize,
        proptest::option::weighted(0.8, -20..20i64),
        proptest::option::weighted(0.8, -5..5i64),
        proptest::option::weighted(0.8, any::<bool>()),
        proptest::option::weighted(0.8, "[abAB]{0,2}"),
    )
        .prop_map(
            |(minute, micro, source, power, count, on, state)| GenSample {
                minute,
                micro,
                source,
                power,
                count,
                on,
                state,
            },
        )
}

#[derive(Debug, Clone)]
enum Query {
    Rows(StreamRowsQuery),
    Aggregate(StreamAggregation),
}

fn gen_filter() -> impl Strategy<Value = StreamFilter> {
    let int_ops = proptest::sample::select(vec![
        Op::Equals,
        Op::NotEquals,
        Op::GreaterThan,
        Op::GreaterThanOrEqual,
        Op::LessThan,
        Op::LessThanOrEqual,
    ]);
    prop_oneof![
        (int_ops.clone(), -5..5i64).prop_map(|(operator, v)| StreamFilter {
            column: 1,
            operator,
            values: vec![StreamValue::Integer(v)],
        }),
        (int_ops, -10..10i64).prop_map(|(operator, v)| StreamFilter {
            column: 0,
            operator,
            values: vec![StreamValue::Double(v as f64)],
        }),
        any::<bool>().prop_map(|b| StreamFilter {
            column: 2,
            operator: Op::Equals,
            values: vec![StreamValue::Boolean(b)],
        }),
        proptest::collection::vec("[abAB]{0,2}", 1..3).prop_map(|v| StreamFilter {
            column: 3,
            operator: Op::In,
            values: v.into_iter().map(StreamValue::Text).collect(),
        }),
        (any::<bool>(), proptest::collection::vec(-5..5i64, 1..4)).prop_map(|(not, v)| {
            StreamFilter {
                column: 1,
                operator: if not { Op::NotIn } else { Op::In },
                values: v.into_iter().map(StreamValue::Integer).collect(),
            }
        }),
        proptest::collection::vec("[abAB]{0,2}", 1..3).prop_map(|v| StreamFilter {
            column: 3,
            operator: Op::NotIn,
            values: v.into_iter().map(StreamValue::Text).collect(),
        }),
        (0..4usize, any::<bool>()).prop_map(|(column, null)| StreamFilter {
            column,
            operator: if null { Op::IsNull } else { Op::IsNotNull },
            values: vec![],
        }),
    ]
}

/// Random trees of And / Or groups (empty ones included) over random conditions.
fn gen_tree() -> impl Strategy<Value = StreamFilterExpr> {
    let leaf = gen_filter().prop_map(StreamFilterExpr::Condition);
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(StreamFilterExpr::And),
            proptest::collection::vec(inner, 0..4).prop_map(StreamFilterExpr::Or),
        ]
    })
}

fn gen_selection() -> impl Strategy<Value = StreamSelection> {
    (
        proptest::option::of(0..(3 * 24 * 60i64)),
        proptest::option::of(0..(3 * 24 * 60i64)),
        subsequence(SOURCES.to_vec(), 0..=2),
        prop_oneof![
            1 => Just(StreamFilterExpr::default()),
            1 => proptest::collection::vec(gen_filter(), 1..3).prop_map(StreamFilterExpr::all),
            3 => gen_tree(),
        ],
    )
        .prop_map(|(from, to, sources, filters)| StreamSelection {
            from: from.map(|m| BASE + m * MINUTE),
            to: to.map(|m| BASE + m * MINUTE),
            sources: sources.into_iter().map(str::to_owned).collect(),
            filters,
        })
}

fn gen_aggregate() -> impl Strategy<Value = StreamAggregate> {
    prop_oneof![
        Just(StreamAggregate {
            function: Agg::Count,
            column: None
        }),
        (0..4usize).prop_map(|c| StreamAggregate {
            function: Agg::Count,
            column: Some(c)
        }),
        (
            proptest::sample::select(vec![Agg::Sum, Agg::Avg, Agg::Min, Agg::Max]),
            0..2usize
        )
            .prop_map(|(function, c)| StreamAggregate {
                function,
                column: Some(c)
            }),
        proptest::sample::select(vec![Agg::Min, Agg::Max]).prop_map(|function| StreamAggregate {
            function,
            column: Some(3)
        }),
    ]
}

fn gen_query() -> impl Strategy<Value = Query> {
    let keys = proptest::sample::select(vec![
        StreamGroupKey::Source,
        StreamGroupKey::Column(1),
        StreamGroupKey::Column(2),
        StreamGroupKey::Column(3),
    ]);
    prop_oneof![
        (
            gen_selection(),
            subsequence(vec![0usize, 1, 2, 3], 0..=4),
            any::<bool>(),
            1..50u32
        )
            .prop_map(|(selection, columns, descending, limit)| Query::Rows(
                StreamRowsQuery {
                    selection,
                    columns,
                    descending,
                    limit
                }
            )),
        (
            gen_selection(),
            proptest::collection::vec(gen_aggregate(), 1..4)
        )
            .prop_map(
                |(selection, aggregates)| Query::Aggregate(StreamAggregation {
                    selection,
                    group_by: vec![],
                    buckets: None,
                    aggregates
                })
            ),
        (
            gen_selection(),
            proptest::collection::vec(keys, 1..3),
            proptest::collection::vec(gen_aggregate(), 1..3)
        )
            .prop_map(|(selection, mut group_by, aggregates)| {
                group_by.dedup();
                Query::Aggregate(StreamAggregation {
                    selection,
                    group_by,
                    buckets: None,
                    aggregates,
                })
            }),
        (
            gen_selection(),
            0..(3 * 24 * 60i64),
            1..(3 * 24 * 60i64),
            1..30i64,
            proptest::collection::vec(gen_aggregate(), 1..3)
        )
            .prop_map(|(mut selection, from, span, limit, aggregates)| {
                let from = BASE + from * MINUTE;
                let to = from + span * MINUTE;
                selection.from = Some(from);
                selection.to = Some(to);
                // The width the stream-data layer asks for: equal buckets,
                // at most `limit` of them.
                let width = (to - from + limit - 1) / limit;
                Query::Aggregate(StreamAggregation {
                    selection,
                    group_by: vec![],
                    buckets: Some(StreamBuckets {
                        origin: from,
                        width,
                    }),
                    aggregates,
                })
            }),
    ]
}

fn scenario() -> impl Strategy<Value = (Vec<GenSample>, Vec<Query>)> {
    (
        proptest::collection::vec(gen_sample(), 0..60).prop_map(|mut samples| {
            // Time and source identify a sample, so the row order is total.
            samples.sort_by_key(|s| (s.time(), s.source));
            samples.dedup_by_key(|s| (s.time(), s.source));
            samples
        }),
        proptest::collection::vec(gen_query(), 1..6),
    )
}

// The in-memory model.

fn compare(a: &StreamValue, b: &StreamValue) -> Option<Ordering> {
    match (a, b) {
        (StreamValue::Integer(a), StreamValue::Integer(b)) => Some(a.cmp(b)),
        (StreamValue::Double(a), StreamValue::Double(b)) => a.partial_cmp(b),
        (StreamValue::Boolean(a), StreamValue::Boolean(b)) => Some(a.cmp(b)),
        (StreamValue::Text(a), StreamValue::Text(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
        _ => None,
    }
}

fn matches(sample: &StreamSample, selection: &StreamSelection) -> bool {
    if selection.from.is_some_and(|from| sample.time < from)
        || selection.to.is_some_and(|to| sample.time >= to)
        || (!selection.sources.is_empty() && !selection.sources.contains(&sample.source))
    {
        return false;
    }
    holds(sample, &selection.filters)
}

/// The documented meaning of a filter tree: And of nothing is true, Or of nothing false, and
/// a condition on a null value false except IsNull.
fn holds(sample: &StreamSample, expr: &StreamFilterExpr) -> bool {
    match expr {
        StreamFilterExpr::And(parts) => parts.iter().all(|part| holds(sample, part)),
        StreamFilterExpr::Or(parts) => parts.iter().any(|part| holds(sample, part)),
        StreamFilterExpr::Condition(filter) => condition_holds(sample, filter),
    }
}

fn condition_holds(sample: &StreamSample, filter: &StreamFilter) -> bool {
    let value = &sample.values[filter.column];
    let cmp = || compare(value, &filter.values[0]);
    match filter.operator {
        Op::IsNull => *value == StreamValue::Null,
        Op::IsNotNull => *value != StreamValue::Null,
        Op::Equals => cmp() == Some(Ordering::Equal),
        Op::NotEquals => cmp().is_some_and(|o| o != Ordering::Equal),
        Op::GreaterThan => cmp() == Some(Ordering::Greater),
        Op::GreaterThanOrEqual => cmp().is_some_and(|o| o != Ordering::Less),
        Op::LessThan => cmp() == Some(Ordering::Less),
        Op::LessThanOrEqual => cmp().is_some_and(|o| o != Ordering::Greater),
        Op::In => filter
            .values
            .iter()
            .any(|v| compare(value, v) == Some(Ordering::Equal)),
        Op::NotIn => {
            *value != StreamValue::Null
                && filter
                    .values
                    .iter()
                    .all(|v| compare(value, v).is_some_and(|o| o != Ordering::Equal))
        }
        other => panic!("not generated: {other:?}"),
    }
}

fn aggregate(samples: &[&StreamSample], aggregate: StreamAggregate) -> StreamValue {
    let values: Vec<&StreamValue> = match aggregate.column {
        None => return StreamValue::Integer(samples.len() as i64),
        Some(c) => samples
            .iter()
            .map(|s| &s.values[c])
            .filter(|v| **v != StreamValue::Null)
            .collect(),
    };
    if aggregate.function == Agg::Count {
        return StreamValue::Integer(values.len() as i64);
    }
    if values.is_empty() {
        return StreamValue::Null;
    }
    let float = |v: &StreamValue| match v {
        StreamValue::Integer(i) => *i as f64,
        StreamValue::Double(d) => *d,
        other => panic!("not numeric: {other:?}"),
    };
    match aggregate.function {
        Agg::Sum => match values[0] {
            StreamValue::Integer(_) => StreamValue::Integer(
                values
                    .iter()
                    .map(|v| match v {
                        StreamValue::Integer(i) => *i,
                        _ => 0,
                    })
                    .sum(),
            ),
            _ => StreamValue::Double(values.iter().map(|v| float(v)).sum()),
        },
        Agg::Avg => {
            StreamValue::Double(values.iter().map(|v| float(v)).sum::<f64>() / values.len() as f64)
        }
        Agg::Min => (*values
            .iter()
            .min_by(|a, b| compare(a, b).unwrap_or(Ordering::Equal))
            .expect("non-empty"))
        .clone(),
        Agg::Max => (*values
            .iter()
            .max_by(|a, b| compare(a, b).unwrap_or(Ordering::Equal))
            .expect("non-empty"))
        .clone(),
        Agg::Count => unreachable!("handled above"),
    }
}

/// Group keys order like the store's: values ascending, nulls last.
#[derive(Debug, Clone, PartialEq)]
struct Key(Vec<StreamValue>);

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.0.iter().zip(&other.0) {
            let o = match (a, b) {
                (StreamValue::Null, StreamValue::Null) => Ordering::Equal,
                (StreamValue::Null, _) => Ordering::Greater,
                (_, StreamValue::Null) => Ordering::Less,
                (a, b) => compare(a, b).unwrap_or(Ordering::Equal),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

fn expected_aggregation(
    samples: &[StreamSample],
    query: &StreamAggregation,
) -> Vec<Vec<StreamValue>> {
    let selected: Vec<&StreamSample> = samples
        .iter()
        .filter(|s| matches(s, &query.selection))
        .collect();
    if query.group_by.is_empty() && query.buckets.is_none() {
        return vec![
            query
                .aggregates
                .iter()
                .map(|a| aggregate(&selected, *a))
                .collect(),
        ];
    }
    let mut groups: BTreeMap<Key, Vec<&StreamSample>> = BTreeMap::new();
    for sample in selected {
        let mut key = Vec::new();
        if let Some(b) = query.buckets {
            key.push(StreamValue::Integer(
                b.origin + (sample.time - b.origin).div_euclid(b.width) * b.width,
            ));
        }
        for k in &query.group_by {
            key.push(match k {
                StreamGroupKey::Source => StreamValue::Text(sample.source.clone()),
                StreamGroupKey::Column(c) => sample.values[*c].clone(),
            });
        }
        groups.entry(Key(key)).or_default().push(sample);
    }
    groups
        .into_iter()
        .map(|(Key(mut key), members)| {
            key.extend(query.aggregates.iter().map(|a| aggregate(&members, *a)));
            key
        })
        .collect()
}

fn same_cell(a: &StreamValue, b: &StreamValue) -> bool {
    match (a, b) {
        (StreamValue::Double(a), StreamValue::Double(b)) => {
            (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
        }
        (a, b) => a == b,
    }
}

async fn check(
    store: &Arc<dyn Store>,
    table: &ArchiveTable,
    (samples, queries): &(Vec<GenSample>, Vec<Query>),
) {
    store.drop_archive_table(table).await.expect("drop");
    store.create_archive_table(table).await.expect("create");
    let samples: Vec<StreamSample> = samples.iter().map(GenSample::sample).collect();
    store.write_samples(table, &samples).await.expect("write");
    for query in queries {
        match query {
            Query::Rows(query) => {
                let got = store.query_samples(table, query).await.expect("query");
                let mut expected: Vec<StreamSample> = samples
                    .iter()
                    .filter(|s| matches(s, &query.selection))
                    .map(|s| StreamSample {
                        time: s.time,
                        source: s.source.clone(),
                        values: query.columns.iter().map(|c| s.values[*c].clone()).collect(),
                    })
                    .collect();
                if query.descending {
                    expected.reverse();
                }
                expected.truncate(query.limit as usize);
                assert_eq!(got, expected, "{query:#?}");
            }
            Query::Aggregate(query) => {
                let got = store
                    .aggregate_samples(table, query)
                    .await
                    .expect("aggregate");
                let expected = expected_aggregation(&samples, query);
                let same = got.len() == expected.len()
                    && got.iter().zip(&expected).all(|(g, e)| {
                        g.len() == e.len() && g.iter().zip(e).all(|(a, b)| same_cell(a, b))
                    });
                assert!(same, "{query:#?}\n got: {got:?}\n expected: {expected:?}");
            }
        }
    }
}

pub async fn stream_queries_match_an_in_memory_model(store: Arc<dyn Store>) {
    let table = ready(&store, "streamprop").await;
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..Config::default()
    });
    // proptest drives a synchronous closure; each case blocks this worker
    // thread on the (multi-threaded) runtime.
    let result = tokio::task::block_in_place(|| {
        runner.run(&scenario(), |scenario| {
            handle.block_on(check(&store, &table, &scenario));
            Ok(())
        })
    });
    if let Err(err) = result {
        panic!("the store and the model disagree: {err}");
    }
}
