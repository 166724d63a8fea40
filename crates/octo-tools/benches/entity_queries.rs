//! Entity query and aggregation benchmark on PostgreSQL: the tool path (`registry.call`, as the
//! MCP server runs it) against the equivalent hand-written SQL on the same database.
//!
//! Run it with `cargo xtask bench` (which makes sure PostgreSQL is up), or directly with
//! `cargo bench -p octo-tools --bench entity_queries -- [--entities N] [--iterations N]
//! [--lookups N]`. The entity count can also come from `OCTO_BENCH_ENTITIES`.
//!
//! What it does:
//! 1. A fresh database (`octo_test_<random>`, via `octo_test_support`, dropped at the end) on the
//!    server at `OCTO_TEST_POSTGRES_URL`, a platform on it and a bench CK model
//!    (`Bench.Metering/Meter`: `Site` String, `Power` Double, `Serial` String with a CK index).
//! 2. One meter created through `create_entity`, the rest bulk-inserted with
//!    `INSERT … SELECT … FROM generate_series` in the row shape the store writes (checked against
//!    the tool-created row), then `VACUUM ANALYZE`. Inserts are not measured.
//! 3. The first `query_entities` call (it creates the CK-declared index, `ensure_indexes`) is
//!    timed on its own and excluded; `ANALYZE` again; the plans of both lookups are printed.
//! 4. Warm-up, then interleaved timed iterations of (a) `query_entities_grouping` by `Site` with
//!    `count` and `avg` of `Power` vs. the same GROUP BY in SQL, and (b) `query_entities` with an
//!    `Equals` filter on the indexed `Serial` vs. the same indexed lookup in SQL (the page and
//!    the total count, as the tool returns). A third path, the `octo_store` call the tool makes,
//!    is timed for information (it shows whether overhead is in the tool layer or the SQL). All
//!    paths' results are compared, so a wrong answer fails the bench.
//! 5. A table: median and p90 of each path, their ratio (tool / SQL) and whether the target
//!    (≤ 1.3×) was met. Missing the target does not fail; an error does (non-zero exit).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use octo_store::{
    AggregateColumn, AggregateFunction, AggregationQuery, AttributePath, EntityQuery, FieldFilter,
    FilterExpr, FilterOperator, PathRef, PostgresStore, Store, ValueKind,
};
use octo_tools::{CallInfo, ToolRegistry};
use serde_json::{Value, json};

mod common;

/// The tenant the platform creates on start.
const TENANT: &str = "octosystem";
/// The bench type, in runtime form.
const TYPE: &str = "Bench.Metering/Meter";
/// Distinct `Site` values.
const SITES: u64 = 50;
/// Rows per bulk `INSERT`, so that progress shows.
const INSERT_CHUNK: u64 = 250_000;
/// The ratio tool path / hand-written SQL the issue asks for.
const TARGET_RATIO: f64 = 1.3;
/// `query_entities`' default page size, which the hand-written lookup uses too.
const PAGE: i64 = 100;

const DEFAULT_ENTITIES: u64 = 1_000_000;
const DEFAULT_ITERATIONS: usize = 10;
const DEFAULT_LOOKUPS: usize = 200;

/// The bench model: meters on ~50 sites with a power reading and a unique, indexed serial.
const MODEL: &str = "modelId: Bench.Metering-1.0.0
dependencies:
  - System-[2.0,3.0)
attributes:
  - id: Site
    valueType: String
  - id: Power
    valueType: Double
  - id: Serial
    valueType: String
types:
  - typeId: Meter
    derivedFromCkTypeId: ${System}/Entity
    attributes:
      - id: ${this}/Site
        name: Site
      - id: ${this}/Power
        name: Power
      - id: ${this}/Serial
        name: Serial
    indexes:
      - indexType: Ascending
        fields:
          - attributePaths: [Serial]
";

/// Bulk rows `$3..=$4` in the shape the store writes: a 24-hex-digit id (seconds then a
/// counter, like an ObjectId), version 1, state 0, attributes keyed by attribute name with the
/// stored forms (String as text, Double as a JSON number).
const BULK_INSERT: &str = "INSERT INTO entities (tenant_id, rt_id, ck_type_id, \
     rt_well_known_name, rt_version, rt_creation_date_time, rt_changed_date_time, rt_state, \
     attributes) \
     SELECT $1, to_hex(extract(epoch FROM now())::int) || lpad(to_hex(i), 16, '0'), $2, NULL, \
     1, now(), now(), 0, jsonb_build_object( \
        'Site', 'Site-' || lpad((i % 50)::text, 2, '0'), \
        'Power', (((i * 7919) % 100000) / 100.0)::float8, \
        'Serial', 'SN-' || lpad(i::text, 8, '0')) \
     FROM generate_series($3::bigint, $4::bigint) AS i";

/// The hand-written aggregation: what one would write for "average power per site".
const HAND_GROUPING: &str = "SELECT attributes ->> 'Site' AS site, COUNT(*) AS count, \
     AVG((attributes ->> 'Power')::numeric)::float8 AS avg_power \
     FROM entities WHERE tenant_id = $1 AND ck_type_id = $2 \
     GROUP BY 1 ORDER BY 1";

/// The hand-written lookup: one page and the total count, in one statement. The expression is
/// the indexed one (`attributes ->> 'Serial'` would not match the expression index).
const HAND_LOOKUP: &str = "SELECT rt_id, ck_type_id, rt_well_known_name, rt_version, \
     rt_creation_date_time, rt_changed_date_time, rt_state, attributes, COUNT(*) OVER () \
     FROM entities WHERE tenant_id = $1 AND ck_type_id = $2 \
     AND (attributes #>> '{Serial}') COLLATE \"C\" = $3 \
     ORDER BY rt_id LIMIT $4";

type LookupRow = (
    String,
    String,
    Option<String>,
    i64,
    DateTime<Utc>,
    DateTime<Utc>,
    i32,
    Value,
    i64,
);

/// What to run, from the command line (after `--`).
#[derive(Debug, Clone, Copy, clap::Parser)]
#[command(
    name = "entity_queries",
    about = "Entity grouping and an indexed lookup: tool path vs. hand-written SQL on PostgreSQL"
)]
struct Config {
    /// Entities to load.
    #[arg(long, env = "OCTO_BENCH_ENTITIES", default_value_t = DEFAULT_ENTITIES, value_parser = common::number::<u64>)]
    entities: u64,
    /// Timed iterations of the aggregation, per path.
    #[arg(long, default_value_t = DEFAULT_ITERATIONS, value_parser = common::number::<usize>)]
    iterations: usize,
    /// Timed indexed lookups, per path.
    #[arg(long, default_value_t = DEFAULT_LOOKUPS, value_parser = common::number::<usize>)]
    lookups: usize,
    /// Passed by `cargo bench` to every bench binary; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() {
    let config = <Config as clap::Parser>::parse();
    assert!(
        config.entities >= SITES,
        "--entities must be at least {SITES}"
    );
    assert!(
        config.iterations > 0 && config.lookups > 0,
        "--iterations and --lookups must be positive"
    );
    common::run_on_fresh_database(move |url| run(url, config));
}

async fn run(url: String, config: Config) {
    let started = Instant::now();
    let tenant: octo_ids::TenantId = TENANT.parse().expect("tenant id");
    let store = Arc::new(
        PostgresStore::connect(&url)
            .await
            .expect("open the bench store"),
    );
    let dyn_store: Arc<dyn Store> = store.clone();
    let platform = octo_tools::test_platform_on(dyn_store).await;
    let model = octo_ck::source::load_document(MODEL, "bench.yaml").expect("bench model parses");
    platform
        .ck
        .enqueue(&tenant, model)
        .await
        .expect("bench model enqueued");
    while platform.ck.run_next_job("bench").await.expect("import job") {}
    let status = platform.ck.status(&tenant).await.expect("library status");
    assert!(
        status
            .iter()
            .all(|m| m.model_state == octo_store::CkModelState::Available),
        "bench model not available: {status:?}"
    );
    let registry = Arc::new(octo_tools::standard_registry(&platform).expect("tool registry"));
    let pool = store.pool().clone();

    // Entity 0 through the tool, the rest in bulk; then check both have the same shape.
    let first = call(
        &registry,
        "create_entity",
        json!({"ckTypeId": TYPE, "entityData": [
            {"attributePath": "Site", "value": "Site-00"},
            {"attributePath": "Power", "value": 0.0},
            {"attributePath": "Serial", "value": serial(0)}
        ]}),
    )
    .await;
    let first_id = first["rtId"].as_str().expect("created rtId").to_owned();
    let load = Instant::now();
    let mut from = 1;
    while from < config.entities {
        let to = (from + INSERT_CHUNK - 1).min(config.entities - 1);
        sqlx::query(BULK_INSERT)
            .bind(TENANT)
            .bind(TYPE)
            .bind(i64::try_from(from).expect("row number"))
            .bind(i64::try_from(to).expect("row number"))
            .execute(&pool)
            .await
            .expect("bulk insert");
        println!(
            "  inserted {} / {} entities ({:.1}s)",
            to + 1,
            config.entities,
            load.elapsed().as_secs_f64()
        );
        from = to + 1;
    }
    check_row_shape(&pool, &first_id).await;
    sqlx::raw_sql("VACUUM ANALYZE entities")
        .execute(&pool)
        .await
        .expect("vacuum analyze");
    let load_time = load.elapsed();
    println!(
        "loaded {} entities in {:.1}s (bulk SQL + VACUUM ANALYZE; not measured below)",
        config.entities,
        load_time.as_secs_f64()
    );

    // The first query of the type creates the CK index; not part of the timings.
    let lookup_args = |n: u64| {
        json!({"ckTypeId": TYPE, "filters": {"fields": [
            {"attributePath": "Serial", "operator": "Equals", "value": serial(n)}
        ]}})
    };
    let index_start = Instant::now();
    let out = call(&registry, "query_entities", lookup_args(1)).await;
    let index_time = index_start.elapsed();
    assert_eq!(out["totalCount"], json!(1), "{out}");
    println!(
        "first query_entities call (creates the CK index on Serial): {:.1}s, excluded",
        index_time.as_secs_f64()
    );
    sqlx::raw_sql("ANALYZE entities")
        .execute(&pool)
        .await
        .expect("analyze");
    let index_used = print_plans(&store, &tenant, &pool).await;

    // (a) grouping + avg.
    let grouping_args = json!({
        "ckTypeId": TYPE,
        "groupByAttributePaths": ["Site"],
        "aggregations": [{"function": "count"}, {"function": "avg", "attributePath": "Power"}]
    });
    let grouping_query = AggregationQuery {
        ck_type_ids: vec![TYPE.to_owned()],
        filter: None,
        group_by: vec![attribute("Site", ValueKind::String)],
        columns: vec![
            AggregateColumn {
                function: AggregateFunction::Count,
                field: None,
                alias: "count".to_owned(),
            },
            AggregateColumn {
                function: AggregateFunction::Avg,
                field: Some(attribute("Power", ValueKind::Double)),
                alias: "avg_Power".to_owned(),
            },
        ],
    };
    let tool_grouping = async || {
        let out = call(&registry, "query_entities_grouping", grouping_args.clone()).await;
        grouping_from_rows(
            out["rows"]
                .as_array()
                .expect("grouping rows")
                .iter()
                .filter_map(Value::as_object),
        )
    };
    let store_grouping = async || {
        let rows = store
            .aggregate_entities(&tenant, &grouping_query)
            .await
            .expect("store grouping");
        grouping_from_rows(rows.iter())
    };
    let hand_grouping = async || {
        sqlx::query_as::<_, (Option<String>, i64, Option<f64>)>(HAND_GROUPING)
            .bind(TENANT)
            .bind(TYPE)
            .fetch_all(&pool)
            .await
            .expect("hand-written grouping")
            .into_iter()
            .map(|(site, count, avg)| (site.unwrap_or_default(), (count, avg.unwrap_or(f64::NAN))))
            .collect::<BTreeMap<_, _>>()
    };
    println!(
        "\n(a) grouping: {} iterations per path, interleaved, after 2 warm-ups",
        config.iterations
    );
    let mut grouping = Timings::default();
    for i in 0..config.iterations + 2 {
        let (mut tool, mut direct, mut hand) = (None, None, None);
        // Rotate the order, so that no path always finds another's warm cache.
        for slot in 0..3 {
            let t = Instant::now();
            match (i + slot) % 3 {
                0 => tool = Some((tool_grouping().await, t.elapsed())),
                1 => direct = Some((store_grouping().await, t.elapsed())),
                _ => hand = Some((hand_grouping().await, t.elapsed())),
            }
        }
        let (tool, direct, hand) = (
            tool.expect("tool ran"),
            direct.expect("store ran"),
            hand.expect("SQL ran"),
        );
        compare_groupings(&tool.0, &hand.0, config.entities);
        compare_groupings(&direct.0, &hand.0, config.entities);
        if i >= 2 {
            grouping.push(tool.1, direct.1, hand.1);
        }
    }

    // (b) indexed lookup.
    let warmups = 20.min(config.lookups);
    println!(
        "(b) lookup: {} iterations per path, interleaved, after {warmups} warm-ups",
        config.lookups
    );
    let mut lookup = Timings::default();
    for i in 0..config.lookups + warmups {
        let n = (i as u64 * 7919 + 13) % config.entities;
        let (mut tool, mut direct, mut hand) = (None, None, None);
        for slot in 0..3 {
            let t = Instant::now();
            match (i + slot) % 3 {
                0 => {
                    let out = call(&registry, "query_entities", lookup_args(n)).await;
                    tool = Some((out, t.elapsed()));
                }
                1 => {
                    let page = store
                        .query_entities(&tenant, &lookup_query(n))
                        .await
                        .expect("store lookup");
                    direct = Some((page, t.elapsed()));
                }
                _ => {
                    let rows = sqlx::query_as::<_, LookupRow>(HAND_LOOKUP)
                        .bind(TENANT)
                        .bind(TYPE)
                        .bind(serial(n))
                        .bind(PAGE)
                        .fetch_all(&pool)
                        .await
                        .expect("hand-written lookup");
                    hand = Some((rows, t.elapsed()));
                }
            }
        }
        let ((out, tool_time), (page, store_time), (rows, hand_time)) = (
            tool.expect("tool ran"),
            direct.expect("store ran"),
            hand.expect("SQL ran"),
        );
        let what = serial(n);
        assert_eq!(out["totalCount"], json!(1), "tool lookup of {what}: {out}");
        assert_eq!(page.total_count, 1, "store lookup of {what}");
        assert_eq!(rows.len(), 1, "hand lookup of {what}");
        assert_eq!(rows[0].8, 1, "hand count of {what}");
        let id = rows[0].0.as_str();
        assert_eq!(out["entities"][0]["rtId"].as_str(), Some(id), "{what}");
        assert_eq!(page.entities[0].rt_id.to_string(), id, "{what}");
        assert_eq!(
            out["entities"][0]["attributes"]["Serial"], rows[0].7["Serial"],
            "same attributes"
        );
        if i >= warmups {
            lookup.push(tool_time, store_time, hand_time);
        }
    }
    let rows = [
        grouping.row("query_entities_grouping (Site; count, avg Power)"),
        lookup.row("query_entities (Equals on indexed Serial)"),
    ];

    print_table(config, &rows, index_used);
    println!(
        "\nbench total {:.1}s (load {:.1}s, index creation {:.1}s)",
        started.elapsed().as_secs_f64(),
        load_time.as_secs_f64(),
        index_time.as_secs_f64()
    );
    drop(registry);
    drop(platform);
    store.close().await;
}

/// `SN-00000042`.
fn serial(n: u64) -> String {
    format!("SN-{n:08}")
}

/// Calls a tool for the bench tenant, failing the bench unless it succeeds.
async fn call(registry: &Arc<ToolRegistry>, name: &str, mut arguments: Value) -> Value {
    arguments["tenantId"] = json!(TENANT);
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    let out = registry
        .call(name, Some(arguments), CallInfo::default())
        .await
        .unwrap_or_else(|_| panic!("the tool {name} exists"))
        .into_json();
    assert_eq!(out["isSuccess"], json!(true), "{name} failed: {out}");
    out
}

/// The bulk rows must look like the tool-written one: same attribute keys and JSON types, same
/// version, state, id length and well-known name.
async fn check_row_shape(pool: &sqlx::PgPool, tool_id: &str) {
    let shapes: Vec<(String, String)> = sqlx::query_as(
        "SELECT rt_id, concat_ws(' ', \
           (SELECT string_agg(key || ':' || jsonb_typeof(value), ',' ORDER BY key) \
            FROM jsonb_each(attributes)), \
           rt_version, rt_state, length(rt_id), rt_well_known_name IS NULL) \
         FROM entities WHERE tenant_id = $1 AND ck_type_id = $2 \
         AND (rt_id = $3 OR attributes @> jsonb_build_object('Serial', $4::text))",
    )
    .bind(TENANT)
    .bind(TYPE)
    .bind(tool_id)
    .bind(serial(1))
    .fetch_all(pool)
    .await
    .expect("row shapes");
    assert!(
        shapes.len() == 2 && shapes[0].1 == shapes[1].1,
        "bulk rows differ from the tool-written row: {shapes:?}"
    );
    println!("row shape (tool-written = bulk): {}", shapes[0].1);
}

/// Prints the plans of both lookups; whether both use the CK index on Serial.
async fn print_plans(
    store: &PostgresStore,
    tenant: &octo_ids::TenantId,
    pool: &sqlx::PgPool,
) -> bool {
    let tool_plan = store
        .explain_query_entities(tenant, &lookup_query(42))
        .await
        .expect("explain the tool's lookup")
        .join("\n    ");
    let hand_plan: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {HAND_LOOKUP}"))
        .bind(TENANT)
        .bind(TYPE)
        .bind(serial(42))
        .bind(PAGE)
        .fetch_all(pool)
        .await
        .expect("explain the hand-written lookup");
    let hand_plan = hand_plan.join("\n    ");
    println!("plan of the tool's lookup (page statement):\n    {tool_plan}");
    println!("plan of the hand-written lookup:\n    {hand_plan}");
    let used = tool_plan.contains("entities_attr_") && hand_plan.contains("entities_attr_");
    println!(
        "CK index on Serial used by both: {}",
        if used { "yes" } else { "NO" }
    );
    used
}

/// An attribute of the bench type, as the store takes it.
fn attribute(name: &str, kind: ValueKind) -> PathRef {
    PathRef {
        path: AttributePath::Attribute(vec![name.to_owned()]),
        kind,
    }
}

/// The store query `query_entities` builds for the lookup of `serial(n)` (default page size).
fn lookup_query(n: u64) -> EntityQuery {
    EntityQuery {
        ck_type_ids: vec![TYPE.to_owned()],
        filter: Some(FilterExpr::Field(FieldFilter {
            field: attribute("Serial", ValueKind::String),
            operator: FilterOperator::Equals,
            value: Some(json!(serial(n))),
            second_value: None,
        })),
        sort: Vec::new(),
        limit: u32::try_from(PAGE).expect("page size"),
        offset: 0,
    }
}

/// `Site -> (count, avg Power)` from aggregate rows (the tool's or the store's).
fn grouping_from_rows<'a>(
    rows: impl Iterator<Item = &'a serde_json::Map<String, Value>>,
) -> BTreeMap<String, (i64, f64)> {
    rows.map(|row| {
        (
            row["Site"].as_str().unwrap_or_default().to_owned(),
            (
                row["count"].as_i64().expect("count"),
                row["avg_Power"].as_f64().unwrap_or(f64::NAN),
            ),
        )
    })
    .collect()
}

fn compare_groupings(
    tool: &BTreeMap<String, (i64, f64)>,
    hand: &BTreeMap<String, (i64, f64)>,
    entities: u64,
) {
    assert_eq!(tool.len(), SITES as usize, "one group per site: {tool:?}");
    let total: i64 = tool.values().map(|(count, _)| count).sum();
    assert_eq!(u64::try_from(total).ok(), Some(entities), "counts add up");
    for (site, (count, avg)) in tool {
        let (hand_count, hand_avg) = hand.get(site).copied().unwrap_or((-1, f64::NAN));
        assert_eq!(*count, hand_count, "count of {site}");
        assert!(
            (avg - hand_avg).abs() <= 1e-9 * avg.abs().max(1.0),
            "avg of {site}: tool {avg}, SQL {hand_avg}"
        );
    }
}

/// The timed iterations of one operation, per path.
#[derive(Default)]
struct Timings {
    tool: Vec<Duration>,
    store: Vec<Duration>,
    hand: Vec<Duration>,
}

impl Timings {
    fn push(&mut self, tool: Duration, store: Duration, hand: Duration) {
        self.tool.push(tool);
        self.store.push(store);
        self.hand.push(hand);
    }

    fn row(&self, operation: &'static str) -> Row {
        Row {
            operation,
            tool: common::median_p90(&self.tool),
            store: common::median_p90(&self.store),
            hand: common::median_p90(&self.hand),
        }
    }
}

/// One line of the result table: median and p90 of each path.
struct Row {
    operation: &'static str,
    tool: (Duration, Duration),
    store: (Duration, Duration),
    hand: (Duration, Duration),
}

impl Row {
    fn ratio(&self) -> f64 {
        self.tool.0.as_secs_f64() / self.hand.0.as_secs_f64()
    }
}

fn ms(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

fn print_table(config: Config, rows: &[Row], index_used: bool) {
    println!(
        "\nResults: {} entities on PostgreSQL; ratio = tool median / SQL median. \
         tool = registry.call as the MCP server runs it; store = the octo_store call the tool \
         makes (information only); SQL = hand-written SQL on the same pool.",
        config.entities
    );
    let header = [
        "operation",
        "tool median / p90",
        "store median / p90",
        "SQL median / p90",
        "ratio",
        "target",
        "met",
    ];
    let lines: Vec<[String; 7]> = rows
        .iter()
        .map(|row| {
            let ratio = row.ratio();
            [
                row.operation.to_owned(),
                format!("{} / {}", ms(row.tool.0), ms(row.tool.1)),
                format!("{} / {}", ms(row.store.0), ms(row.store.1)),
                format!("{} / {}", ms(row.hand.0), ms(row.hand.1)),
                format!("{ratio:.2}x"),
                format!("<= {TARGET_RATIO}x"),
                if ratio <= TARGET_RATIO { "yes" } else { "NO" }.to_owned(),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            lines
                .iter()
                .map(|line| line[c].chars().count())
                .chain(std::iter::once(header[c].len()))
                .max()
                .unwrap_or_default()
        })
        .collect();
    let print = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("| {} |", padded.join(" | "));
    };
    print(&header.map(str::to_owned));
    print(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>());
    for line in &lines {
        print(line);
    }
    let met = rows
        .iter()
        .filter(|row| row.ratio() <= TARGET_RATIO)
        .count();
    println!(
        "target met by {met} of {} operations{}",
        rows.len(),
        if index_used {
            ""
        } else {
            "; WARNING: the lookups did not use the CK index"
        }
    );
}
