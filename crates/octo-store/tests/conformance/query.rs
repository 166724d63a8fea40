//! Conformance cases for entity queries, aggregations and attribute
//! indexes: every operator on every kind it applies to, nulls, sorting,
//! paging, grouping and the errors for requests that cannot run.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use octo_ids::{OctoObjectId, TenantId};
use octo_store::{
    AggregateColumn, AggregateFunction, AggregateRow, AggregationQuery, AttributePath, EntityQuery,
    FieldFilter, FilterExpr, FilterOperator as Op, PathRef, RtEntity, SortDirection, SortKey,
    Store, StoreError, SystemAttribute, ValueKind,
};

use super::{create_tenant, entity};

const METER: &str = "Industry.Energy/Meter";
const SMART_METER: &str = "Industry.Energy/SmartMeter";

fn meter_types() -> Vec<String> {
    vec![METER.to_owned(), SMART_METER.to_owned()]
}

/// An attribute path written with dots, e.g. `NamePlate.ManufacturerName`.
fn attr(path: &str, kind: ValueKind) -> PathRef {
    PathRef::attribute(path.split('.'), kind)
}

fn system(attribute: SystemAttribute) -> PathRef {
    PathRef::system(attribute)
}

fn cond(field: PathRef, operator: Op, value: Value) -> FilterExpr {
    FilterExpr::Field(FieldFilter {
        field,
        operator,
        value: Some(value),
        second_value: None,
    })
}

fn between(field: PathRef, low: Value, high: Value) -> FilterExpr {
    FilterExpr::Field(FieldFilter {
        field,
        operator: Op::Between,
        value: Some(low),
        second_value: Some(high),
    })
}

fn null_check(field: PathRef, operator: Op) -> FilterExpr {
    FilterExpr::Field(FieldFilter {
        field,
        operator,
        value: None,
        second_value: None,
    })
}

fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("valid time")
        .with_timezone(&Utc)
}

/// The meters of one tenant (plus a tree and another tenant's meter that
/// no query may return), keyed by their `Name`.
struct Meters {
    tenant: TenantId,
    entities: Vec<RtEntity>,
}

impl Meters {
    fn id(&self, name: &str) -> OctoObjectId {
        self.entities
            .iter()
            .find(|e| e.attributes["Name"] == name)
            .map(|e| e.rt_id)
            .expect("known name")
    }
}

async fn meters(store: &Arc<dyn Store>) -> Meters {
    let tenant = create_tenant(store, "meshtest").await;
    let rows = [
        (
            METER,
            json!({
                "Name": "Alpha", "Power": 10, "Voltage": 230.5, "Active": true,
                "InstalledAt": "2024-01-01T00:00:00.000000Z", "Status": "On",
                "Tags": ["a", "b"], "Counts": [1, 2],
                "NamePlate": { "ManufacturerName": "ACME", "Serial": "X1" },
                "Note": "50% off_now"
            }),
        ),
        (
            METER,
            json!({
                "Name": "beta", "Power": 20, "Voltage": 110.0, "Active": false,
                "InstalledAt": "2024-06-01T12:00:00.000000Z", "Status": "Off",
                "Tags": ["c"], "Counts": [3],
                "NamePlate": { "ManufacturerName": "Globex" },
                "Note": "5000 off now"
            }),
        ),
        (
            METER,
            json!({
                "Name": "Gamma", "Power": null, "Voltage": 400, "Active": true,
                "Status": "On", "Tags": [], "Counts": [],
                "NamePlate": { "ManufacturerName": null },
                "Note": "a_b"
            }),
        ),
        (
            SMART_METER,
            json!({
                "Name": "alpha2", "Power": -5, "Active": null,
                "InstalledAt": "2023-12-31T23:59:59.999999Z", "Status": "Off",
                "Tags": ["A", "bb"], "Counts": [10, 20],
                "NamePlate": { "ManufacturerName": "acme" },
                "Note": "100%"
            }),
        ),
        (METER, json!({ "Name": "Delta", "Power": 10 })),
    ];
    let mut entities = Vec::new();
    for (n, (ck_type_id, attributes)) in rows.into_iter().enumerate() {
        let mut e = entity(&tenant, ck_type_id, attributes);
        e.rt_creation_date_time = time("2024-03-01T00:00:00.000000Z")
            + chrono::Duration::days(i64::try_from(n).expect("small"));
        if n == 0 {
            e.rt_well_known_name = Some("main-meter".to_owned());
        }
        store.insert_entity(&e).await.expect("insert meter");
        entities.push(e);
    }
    // Matches many filters, but is of another type / tenant.
    let tree = entity(
        &tenant,
        "Basic/Tree",
        json!({ "Name": "Alpha", "Power": 10 }),
    );
    store.insert_entity(&tree).await.expect("insert tree");
    let other = create_tenant(store, "other").await;
    let foreign = entity(&other, METER, json!({ "Name": "Alpha", "Power": 10 }));
    store.insert_entity(&foreign).await.expect("insert foreign");
    Meters { tenant, entities }
}

fn query(filter: Option<FilterExpr>, sort: Vec<SortKey>) -> EntityQuery {
    EntityQuery {
        ck_type_ids: meter_types(),
        filter,
        sort,
        limit: 100,
        offset: 0,
    }
}

fn names_of(entities: &[RtEntity]) -> Vec<String> {
    entities
        .iter()
        .map(|e| e.attributes["Name"].as_str().expect("name").to_owned())
        .collect()
}

/// The names of the meters matching `filter`, in byte order.
async fn try_names(
    store: &Arc<dyn Store>,
    meters: &Meters,
    filter: FilterExpr,
) -> Result<Vec<String>, StoreError> {
    let sort = vec![SortKey {
        field: attr("Name", ValueKind::String),
        direction: SortDirection::Asc,
    }];
    let page = store
        .query_entities(&meters.tenant, &query(Some(filter), sort))
        .await?;
    assert_eq!(page.total_count, page.entities.len() as u64);
    Ok(names_of(&page.entities))
}

async fn names(store: &Arc<dyn Store>, meters: &Meters, filter: FilterExpr) -> Vec<String> {
    let description = format!("{filter:?}");
    try_names(store, meters, filter)
        .await
        .unwrap_or_else(|err| panic!("{description}: {err}"))
}

async fn invalid(store: &Arc<dyn Store>, meters: &Meters, filter: FilterExpr) -> String {
    let description = format!("{filter:?}");
    match try_names(store, meters, filter).await {
        Err(err @ StoreError::InvalidQuery { .. }) => err.to_string(),
        other => panic!("{description}: expected InvalidQuery, got {other:?}"),
    }
}

// --- Filters -------------------------------------------------------------------

pub async fn query_filters_strings(store: Arc<dyn Store>) {
    let m = meters(&store).await;
    let name = || attr("Name", ValueKind::String);
    let note = || attr("Note", ValueKind::String);
    let status = || attr("Status", ValueKind::String);

    // Scoped to the tenant and the types: the tree and the other tenant's
    // "Alpha" never show up.
    assert_eq!(
        names(&store, &m, cond(name(), Op::Equals, json!("Alpha"))).await,
        ["Alpha"]
    );
    assert_eq!(
        names(&store, &m, cond(status(), Op::NotEquals, json!("On"))).await,
        ["alpha2", "beta"],
        "NotEquals skips the meter without a Status"
    );
    assert_eq!(
        names(&store, &m, cond(name(), Op::Contains, json!("lph"))).await,
        ["Alpha", "alpha2"]
    );
    assert_eq!(
        names(&store, &m, cond(name(), Op::Contains, json!("ALPH"))).await,
        Vec::<String>::new(),
        "Contains is case-sensitive"
    );
    // LIKE wildcards in the value are plain characters.
    assert_eq!(
        names(&store, &m, cond(note(), Op::Contains, json!("50%"))).await,
        ["Alpha"]
    );
    assert_eq!(
        names(&store, &m, cond(note(), Op::Contains, json!("_"))).await,
        ["Alpha", "Gamma"]
    );
    assert_eq!(
        names(&store, &m, cond(note(), Op::EndsWith, json!("0%"))).await,
        ["alpha2"]
    );
    assert_eq!(
        names(&store, &m, cond(note(), Op::StartsWith, json!("5"))).await,
        ["Alpha", "beta"]
    );
    assert_eq!(
        names(&store, &m, cond(note(), Op::StartsWith, json!("a_"))).await,
        ["Gamma"]
    );
    assert_eq!(
        names(&store, &m, cond(name(), Op::StartsWith, json!("a"))).await,
        ["alpha2"]
    );
    assert_eq!(
        names(&store, &m, cond(name(), Op::EndsWith, json!("a"))).await,
        ["Alpha", "Delta", "Gamma", "beta"]
    );
    assert_eq!(
        names(&store, &m, cond(note(), Op::EndsWith, json!(""))).await,
        ["Alpha", "Gamma", "alpha2", "beta"],
        "the empty suffix matches every value, not nulls"
    );
    assert_eq!(
        names(&store, &m, cond(note(), Op::Contains, json!("")))
            .await
            .len(),
        4
    );

    // Like: the pattern's own wildcards, case-insensitive.
    assert_eq!(
        names(&store, &m, cond(name(), Op::Like, json!("ALPHA%"))).await,
        ["Alpha", "alpha2"]
    );
    assert_eq!(
        names(&store, &m, cond(name(), Op::Like, json!("_eta"))).await,
        ["beta"]
    );
    assert_eq!(
        names(&store, &m, cond(note(), Op::Like, json!("%\\%"))).await,
        ["alpha2"],
        "\\ escapes"
    );
    let msg = invalid(&store, &m, cond(note(), Op::Like, json!("50\\"))).await;
    assert!(msg.contains("escape character"), "{msg}");

    // Regex: case-sensitive, unanchored unless anchored.
    assert_eq!(
        names(&store, &m, cond(name(), Op::Regex, json!("^[A-Z]"))).await,
        ["Alpha", "Delta", "Gamma"]
    );
    assert_eq!(
        names(&store, &m, cond(name(), Op::Regex, json!("a[0-9]"))).await,
        ["alpha2"]
    );
    let msg = invalid(&store, &m, cond(name(), Op::Regex, json!("(unclosed"))).await;
    assert!(
        msg.contains("pattern") || msg.contains("regular expression"),
        "{msg}"
    );

    // Ordering is byte order: upper case before lower case.
    assert_eq!(
        names(&store, &m, cond(name(), Op::GreaterThan, json!("Delta"))).await,
        ["Gamma", "alpha2", "beta"]
    );
    assert_eq!(
        names(
            &store,
            &m,
            cond(name(), Op::GreaterThanOrEqual, json!("Delta"))
        )
        .await,
        ["Delta", "Gamma", "alpha2", "beta"]
    );
    assert_eq!(
        names(&store, &m, cond(name(), Op::LessThan, json!("Delta"))).await,
        ["Alpha"]
    );
    assert_eq!(
        names(
            &store,
            &m,
            cond(name(), Op::LessThanOrEqual, json!("Delta"))
        )
        .await,
        ["Alpha", "Delta"]
    );
    assert_eq!(
        names(&store, &m, between(name(), json!("Delta"), json!("alpha2"))).await,
        ["Delta", "Gamma", "alpha2"],
        "Between includes both bounds"
    );
    assert!(
        names(&store, &m, between(name(), json!("z"), json!("a")))
            .await
            .is_empty()
    );

    assert_eq!(
        names(
            &store,
            &m,
            cond(name(), Op::In, json!(["beta", "Gamma", "nope"]))
        )
        .await,
        ["Gamma", "beta"]
    );
    assert!(
        names(&store, &m, cond(name(), Op::In, json!([])))
            .await
            .is_empty(),
        "In [] matches nothing"
    );
    assert_eq!(
        names(&store, &m, cond(status(), Op::NotIn, json!(["On"]))).await,
        ["alpha2", "beta"]
    );
    assert_eq!(
        names(&store, &m, cond(status(), Op::NotIn, json!([]))).await,
        ["Alpha", "Gamma", "alpha2", "beta"],
        "NotIn [] matches every non-null value"
    );
    assert_eq!(
        names(&store, &m, null_check(status(), Op::IsNull)).await,
        ["Delta"]
    );
    assert_eq!(
        names(&store, &m, null_check(status(), Op::IsNotNull))
            .await
            .len(),
        4
    );
    // Equals null is IsNull.
    assert_eq!(
        names(&store, &m, cond(status(), Op::Equals, Value::Null)).await,
        ["Delta"]
    );
    assert_eq!(
        names(&store, &m, cond(status(), Op::NotEquals, Value::Null))
            .await
            .len(),
        4
    );

    // Wrong value types name the field.
    let msg = invalid(&store, &m, cond(name(), Op::Equals, json!(5))).await;
    assert!(
        msg.contains("'Name' (String)") && msg.contains("a number"),
        "{msg}"
    );
    let msg = invalid(&store, &m, cond(name(), Op::In, json!("Alpha"))).await;
    assert!(msg.contains("JSON array"), "{msg}");
    let msg = invalid(&store, &m, cond(name(), Op::In, json!(["Alpha", null]))).await;
    assert!(msg.contains("null"), "{msg}");
    let msg = invalid(&store, &m, cond(name(), Op::AnyEq, json!("Alpha"))).await;
    assert!(
        msg.contains("AnyEq") && msg.contains("'Name' (String)"),
        "{msg}"
    );
    let msg = invalid(&store, &m, cond(name(), Op::GreaterThan, Value::Null)).await;
    assert!(msg.contains("needs a value"), "{msg}");
}

pub async fn query_filters_numbers(store: Arc<dyn Store>) {
    let m = meters(&store).await;
    let power = || attr("Power", ValueKind::Integer);
    let voltage = || attr("Voltage", ValueKind::Double);

    assert_eq!(
        names(&store, &m, cond(power(), Op::Equals, json!(10))).await,
        ["Alpha", "Delta"]
    );
    assert_eq!(
        names(&store, &m, cond(power(), Op::Equals, json!(10.0))).await,
        ["Alpha", "Delta"]
    );
    assert_eq!(
        names(&store, &m, cond(power(), Op::NotEquals, json!(10))).await,
        ["alpha2", "beta"],
        "null Power (Gamma) never matches NotEquals"
    );
    // Numeric, not text, order: -5 < 10 < 20, 9 < 10.
    assert_eq!(
        names(&store, &m, cond(power(), Op::GreaterThan, json!(9))).await,
        ["Alpha", "Delta", "beta"]
    );
    assert_eq!(
        names(&store, &m, cond(power(), Op::GreaterThan, json!(9.5))).await,
        ["Alpha", "Delta", "beta"]
    );
    assert_eq!(
        names(&store, &m, cond(power(), Op::GreaterThanOrEqual, json!(20))).await,
        ["beta"]
    );
    assert_eq!(
        names(&store, &m, cond(power(), Op::LessThan, json!(10))).await,
        ["alpha2"]
    );
    assert_eq!(
        names(&store, &m, cond(power(), Op::LessThanOrEqual, json!(10))).await,
        ["Alpha", "Delta", "alpha2"]
    );
    assert_eq!(
        names(&store, &m, between(power(), json!(10), json!(20))).await,
        ["Alpha", "Delta", "beta"]
    );
    assert_eq!(
        names(&store, &m, between(power(), json!(-5), json!(-5))).await,
        ["alpha2"]
    );
    assert_eq!(
        names(&store, &m, cond(power(), Op::In, json!([-5, 20]))).await,
        ["alpha2", "beta"]
    );
    assert_eq!(
        names(&store, &m, cond(power(), Op::NotIn, json!([10]))).await,
        ["alpha2", "beta"]
    );
    assert_eq!(
        names(&store, &m, null_check(power(), Op::IsNull)).await,
        ["Gamma"],
        "explicit null"
    );
    assert_eq!(
        names(&store, &m, null_check(power(), Op::IsNotNull))
            .await
            .len(),
        4
    );

    assert_eq!(
        names(&store, &m, cond(voltage(), Op::GreaterThan, json!(200))).await,
        ["Alpha", "Gamma"]
    );
    assert_eq!(
        names(&store, &m, cond(voltage(), Op::Equals, json!(110))).await,
        ["beta"],
        "110 = 110.0"
    );
    assert_eq!(
        names(&store, &m, cond(voltage(), Op::Equals, json!(230.5))).await,
        ["Alpha"]
    );
    assert_eq!(
        names(&store, &m, between(voltage(), json!(110.0), json!(230.5))).await,
        ["Alpha", "beta"]
    );
    assert_eq!(
        names(&store, &m, null_check(voltage(), Op::IsNull)).await,
        ["Delta", "alpha2"],
        "absent"
    );

    let msg = invalid(&store, &m, cond(power(), Op::Equals, json!("10"))).await;
    assert!(
        msg.contains("'Power' (Integer)") && msg.contains("a string"),
        "{msg}"
    );
    let msg = invalid(&store, &m, cond(power(), Op::Contains, json!("1"))).await;
    assert!(
        msg.contains("Contains") && msg.contains("'Power' (Integer)"),
        "{msg}"
    );
    let msg = invalid(&store, &m, cond(voltage(), Op::Like, json!("1%"))).await;
    assert!(msg.contains("Like"), "{msg}");
    let msg = invalid(&store, &m, between(power(), json!(1), Value::Null)).await;
    assert!(msg.contains("second value"), "{msg}");
}

pub async fn query_filters_booleans_and_date_times(store: Arc<dyn Store>) {
    let m = meters(&store).await;
    let active = || attr("Active", ValueKind::Boolean);
    let installed = || attr("InstalledAt", ValueKind::DateTime);

    assert_eq!(
        names(&store, &m, cond(active(), Op::Equals, json!(true))).await,
        ["Alpha", "Gamma"]
    );
    assert_eq!(
        names(&store, &m, cond(active(), Op::Equals, json!(false))).await,
        ["beta"]
    );
    assert_eq!(
        names(&store, &m, cond(active(), Op::NotEquals, json!(true))).await,
        ["beta"]
    );
    assert_eq!(
        names(&store, &m, cond(active(), Op::In, json!([false]))).await,
        ["beta"]
    );
    assert_eq!(
        names(&store, &m, null_check(active(), Op::IsNull)).await,
        ["Delta", "alpha2"]
    );
    let msg = invalid(&store, &m, cond(active(), Op::Equals, json!("true"))).await;
    assert!(
        msg.contains("'Active' (Boolean)") && msg.contains("a boolean"),
        "{msg}"
    );
    let msg = invalid(&store, &m, cond(active(), Op::GreaterThan, json!(true))).await;
    assert!(msg.contains("does not apply"), "{msg}");

    // Filter times are normalized to the stored UTC form first.
    assert_eq!(
        names(
            &store,
            &m,
            cond(installed(), Op::Equals, json!("2024-01-01T01:00:00+01:00"))
        )
        .await,
        ["Alpha"]
    );
    assert_eq!(
        names(
            &store,
            &m,
            cond(installed(), Op::GreaterThan, json!("2024-01-01T00:00:00Z"))
        )
        .await,
        ["beta"]
    );
    assert_eq!(
        names(
            &store,
            &m,
            cond(
                installed(),
                Op::GreaterThanOrEqual,
                json!("2024-01-01T00:00:00Z")
            )
        )
        .await,
        ["Alpha", "beta"]
    );
    assert_eq!(
        names(
            &store,
            &m,
            cond(installed(), Op::LessThan, json!("2024-01-01T00:00:00Z"))
        )
        .await,
        ["alpha2"],
        "one microsecond earlier"
    );
    assert_eq!(
        names(
            &store,
            &m,
            between(
                installed(),
                json!("2023-12-31T23:59:59.999999Z"),
                json!("2024-01-01T00:00:00Z")
            )
        )
        .await,
        ["Alpha", "alpha2"]
    );
    assert_eq!(
        names(
            &store,
            &m,
            cond(installed(), Op::In, json!(["2024-06-01T12:00:00Z"]))
        )
        .await,
        ["beta"]
    );
    assert_eq!(
        names(&store, &m, null_check(installed(), Op::IsNull)).await,
        ["Delta", "Gamma"]
    );
    let msg = invalid(
        &store,
        &m,
        cond(installed(), Op::GreaterThan, json!("yesterday")),
    )
    .await;
    assert!(
        msg.contains("'yesterday'") && msg.contains("RFC 3339"),
        "{msg}"
    );
    let msg = invalid(
        &store,
        &m,
        cond(installed(), Op::GreaterThan, json!(1_700_000_000)),
    )
    .await;
    assert!(msg.contains("'InstalledAt' (DateTime)"), "{msg}");
}

pub async fn query_filters_arrays_records_and_json(store: Arc<dyn Store>) {
    let m = meters(&store).await;
    let tags = || attr("Tags", ValueKind::StringArray);
    let counts = || attr("Counts", ValueKind::IntegerArray);
    let maker = || attr("NamePlate.ManufacturerName", ValueKind::String);
    let plate = || attr("NamePlate", ValueKind::Json);

    assert_eq!(
        names(&store, &m, cond(tags(), Op::AnyEq, json!("b"))).await,
        ["Alpha"]
    );
    assert_eq!(
        names(&store, &m, cond(tags(), Op::AnyEq, json!("B"))).await,
        Vec::<String>::new()
    );
    assert_eq!(
        names(&store, &m, cond(tags(), Op::AnyLike, json!("B%"))).await,
        ["Alpha", "alpha2"]
    );
    assert_eq!(
        names(&store, &m, cond(tags(), Op::AnyLike, json!("%"))).await,
        ["Alpha", "alpha2", "beta"],
        "[] has no element"
    );
    assert_eq!(
        names(&store, &m, cond(counts(), Op::AnyEq, json!(20))).await,
        ["alpha2"]
    );
    assert_eq!(
        names(&store, &m, cond(counts(), Op::AnyEq, json!(2.0))).await,
        ["Alpha"]
    );
    assert_eq!(
        names(&store, &m, cond(tags(), Op::Equals, json!(["c"]))).await,
        ["beta"]
    );
    assert_eq!(
        names(&store, &m, cond(tags(), Op::Equals, json!([]))).await,
        ["Gamma"]
    );
    assert_eq!(
        names(&store, &m, null_check(tags(), Op::IsNull)).await,
        ["Delta"]
    );
    let msg = invalid(&store, &m, cond(tags(), Op::Equals, json!("c"))).await;
    assert!(msg.contains("AnyEq"), "{msg}");
    let msg = invalid(&store, &m, cond(counts(), Op::AnyEq, json!("1"))).await;
    assert!(msg.contains("a number"), "{msg}");
    let msg = invalid(&store, &m, cond(counts(), Op::AnyLike, json!("1%"))).await;
    assert!(msg.contains("AnyLike"), "{msg}");
    let msg = invalid(&store, &m, cond(tags(), Op::Contains, json!("a"))).await;
    assert!(msg.contains("Contains"), "{msg}");

    // A nested record path.
    assert_eq!(
        names(&store, &m, cond(maker(), Op::Equals, json!("ACME"))).await,
        ["Alpha"]
    );
    assert_eq!(
        names(&store, &m, cond(maker(), Op::Like, json!("acme"))).await,
        ["Alpha", "alpha2"]
    );
    assert_eq!(
        names(&store, &m, null_check(maker(), Op::IsNull)).await,
        ["Delta", "Gamma"],
        "a null value and a missing record are both null"
    );
    assert_eq!(
        names(
            &store,
            &m,
            null_check(attr("NamePlate.Serial", ValueKind::String), Op::IsNotNull)
        )
        .await,
        ["Alpha"]
    );

    // A whole record as JSON.
    assert_eq!(
        names(
            &store,
            &m,
            cond(plate(), Op::Equals, json!({ "ManufacturerName": "Globex" }))
        )
        .await,
        ["beta"]
    );
    assert_eq!(
        names(
            &store,
            &m,
            cond(
                plate(),
                Op::NotEquals,
                json!({ "ManufacturerName": "Globex" })
            )
        )
        .await,
        ["Alpha", "Gamma", "alpha2"]
    );
    assert_eq!(
        names(&store, &m, null_check(plate(), Op::IsNull)).await,
        ["Delta"]
    );
    let msg = invalid(&store, &m, cond(plate(), Op::GreaterThan, json!({}))).await;
    assert!(msg.contains("'NamePlate' (Json)"), "{msg}");
}

pub async fn query_filters_system_attributes(store: Arc<dyn Store>) {
    let m = meters(&store).await;
    let alpha = m.id("Alpha");
    assert_eq!(
        names(
            &store,
            &m,
            cond(
                system(SystemAttribute::RtId),
                Op::Equals,
                json!(alpha.to_string())
            )
        )
        .await,
        ["Alpha"]
    );
    assert_eq!(
        names(
            &store,
            &m,
            cond(
                system(SystemAttribute::RtId),
                Op::In,
                json!([alpha.to_string(), m.id("beta").to_string()])
            )
        )
        .await,
        ["Alpha", "beta"]
    );
    assert_eq!(
        names(
            &store,
            &m,
            cond(
                system(SystemAttribute::RtWellKnownName),
                Op::Equals,
                json!("main-meter")
            )
        )
        .await,
        ["Alpha"]
    );
    assert_eq!(
        names(
            &store,
            &m,
            cond(
                system(SystemAttribute::RtWellKnownName),
                Op::StartsWith,
                json!("main")
            )
        )
        .await,
        ["Alpha"]
    );
    assert_eq!(
        names(
            &store,
            &m,
            null_check(system(SystemAttribute::RtWellKnownName), Op::IsNull)
        )
        .await
        .len(),
        4
    );
    assert_eq!(
        names(
            &store,
            &m,
            cond(
                system(SystemAttribute::CkTypeId),
                Op::Equals,
                json!(SMART_METER)
            )
        )
        .await,
        ["alpha2"]
    );
    assert_eq!(
        names(
            &store,
            &m,
            cond(system(SystemAttribute::RtState), Op::Equals, json!(0))
        )
        .await
        .len(),
        5
    );
    // Creation times are 2024-03-01 plus the row number in days.
    assert_eq!(
        names(
            &store,
            &m,
            cond(
                system(SystemAttribute::RtCreationDateTime),
                Op::GreaterThanOrEqual,
                json!("2024-03-04T00:00:00Z")
            )
        )
        .await,
        ["Delta", "alpha2"]
    );
    assert_eq!(
        names(
            &store,
            &m,
            cond(
                system(SystemAttribute::RtCreationDateTime),
                Op::Equals,
                json!("2024-03-01T01:00:00+01:00")
            )
        )
        .await,
        ["Alpha"]
    );
    assert_eq!(
        names(
            &store,
            &m,
            between(
                system(SystemAttribute::RtCreationDateTime),
                json!("2024-03-02T00:00:00Z"),
                json!("2024-03-03T00:00:00Z")
            )
        )
        .await,
        ["Gamma", "beta"]
    );
    // A system attribute's own kind wins over the one passed.
    let mut version = system(SystemAttribute::RtVersion);
    version.kind = ValueKind::String;
    store
        .update_entity(
            &m.tenant,
            &m.id("beta"),
            None,
            json!({ "Name": "beta" }),
            None,
        )
        .await
        .expect("update");
    assert_eq!(
        names(&store, &m, cond(version.clone(), Op::GreaterThan, json!(1))).await,
        ["beta"]
    );
    let msg = invalid(&store, &m, cond(version, Op::Equals, json!("2"))).await;
    assert!(msg.contains("'rtVersion' (Integer)"), "{msg}");
    let msg = invalid(
        &store,
        &m,
        cond(
            system(SystemAttribute::RtCreationDateTime),
            Op::Contains,
            json!("2024"),
        ),
    )
    .await;
    assert!(msg.contains("'rtCreationDateTime' (DateTime)"), "{msg}");
}

pub async fn query_combines_filters_with_and_or(store: Arc<dyn Store>) {
    let m = meters(&store).await;
    let power = || attr("Power", ValueKind::Integer);
    let name = || attr("Name", ValueKind::String);
    let active = || attr("Active", ValueKind::Boolean);

    let filter = FilterExpr::And(vec![
        cond(power(), Op::GreaterThanOrEqual, json!(10)),
        FilterExpr::Or(vec![
            cond(name(), Op::StartsWith, json!("b")),
            cond(active(), Op::Equals, json!(true)),
        ]),
    ]);
    assert_eq!(names(&store, &m, filter).await, ["Alpha", "beta"]);
    let filter = FilterExpr::Or(vec![
        FilterExpr::And(vec![
            cond(power(), Op::Equals, json!(10)),
            null_check(active(), Op::IsNull),
        ]),
        null_check(power(), Op::IsNull),
    ]);
    assert_eq!(names(&store, &m, filter).await, ["Delta", "Gamma"]);
    assert_eq!(
        names(&store, &m, FilterExpr::And(vec![])).await.len(),
        5,
        "And [] is everything"
    );
    assert!(
        names(&store, &m, FilterExpr::Or(vec![])).await.is_empty(),
        "Or [] is nothing"
    );
    assert_eq!(
        names(
            &store,
            &m,
            FilterExpr::And(vec![
                FilterExpr::Or(vec![]),
                cond(name(), Op::Equals, json!("Alpha"))
            ])
        )
        .await,
        Vec::<String>::new()
    );

    // "Not equal, or null" spelled out.
    let filter = FilterExpr::Or(vec![
        cond(power(), Op::NotEquals, json!(10)),
        null_check(power(), Op::IsNull),
    ]);
    assert_eq!(names(&store, &m, filter).await, ["Gamma", "alpha2", "beta"]);

    let mut deep = cond(name(), Op::Equals, json!("Alpha"));
    for _ in 0..20 {
        deep = FilterExpr::And(vec![deep]);
    }
    let msg = invalid(&store, &m, deep).await;
    assert!(msg.contains("levels deep"), "{msg}");
    // One invalid part rejects the whole filter.
    let msg = invalid(
        &store,
        &m,
        FilterExpr::Or(vec![
            cond(name(), Op::Equals, json!("Alpha")),
            cond(power(), Op::Equals, json!("x")),
        ]),
    )
    .await;
    assert!(msg.contains("'Power'"), "{msg}");
}

pub async fn query_rejects_invalid_keys(store: Arc<dyn Store>) {
    let m = meters(&store).await;
    for key in [
        "a-b",
        "",
        "1st",
        "x'); DROP TABLE entities; --",
        "a}b",
        "Zähler",
        "a.b c",
    ] {
        let field = PathRef {
            path: AttributePath::Attribute(vec!["NamePlate".to_owned(), key.to_owned()]),
            kind: ValueKind::String,
        };
        let msg = invalid(&store, &m, cond(field.clone(), Op::Equals, json!("x"))).await;
        assert!(msg.contains(&format!("'{key}'")), "{msg}");

        let sort = vec![SortKey {
            field: field.clone(),
            direction: SortDirection::Asc,
        }];
        let err = store
            .query_entities(&m.tenant, &query(None, sort))
            .await
            .expect_err("invalid sort");
        assert!(matches!(err, StoreError::InvalidQuery { .. }), "{err:?}");

        let err = store
            .aggregate_entities(
                &m.tenant,
                &AggregationQuery {
                    ck_type_ids: meter_types(),
                    filter: None,
                    group_by: vec![field.clone()],
                    columns: vec![],
                },
            )
            .await
            .expect_err("invalid group");
        assert!(matches!(err, StoreError::InvalidQuery { .. }), "{err:?}");

        let err = store
            .ensure_attribute_index(&m.tenant, METER, &[field])
            .await
            .expect_err("invalid index");
        assert!(matches!(err, StoreError::InvalidQuery { .. }), "{err:?}");
    }
    let empty = PathRef {
        path: AttributePath::Attribute(vec![]),
        kind: ValueKind::String,
    };
    let msg = invalid(&store, &m, null_check(empty, Op::IsNull)).await;
    assert!(msg.contains("at least one key"), "{msg}");
    // The table is still there.
    assert_eq!(
        store.count_entities(&m.tenant, &[]).await.expect("count"),
        6
    );
}

// --- Sorting and paging ----------------------------------------------------------

async fn sorted(
    store: &Arc<dyn Store>,
    m: &Meters,
    keys: &[(PathRef, SortDirection)],
) -> Vec<String> {
    let sort = keys
        .iter()
        .map(|(field, direction)| SortKey {
            field: field.clone(),
            direction: *direction,
        })
        .collect();
    let page = store
        .query_entities(&m.tenant, &query(None, sort))
        .await
        .expect("query");
    names_of(&page.entities)
}

pub async fn query_sorts_by_kind_and_pages(store: Arc<dyn Store>) {
    use SortDirection::{Asc, Desc};
    let m = meters(&store).await;
    let name = attr("Name", ValueKind::String);
    let power = attr("Power", ValueKind::Integer);
    let voltage = attr("Voltage", ValueKind::Double);
    let active = attr("Active", ValueKind::Boolean);
    let installed = attr("InstalledAt", ValueKind::DateTime);

    assert_eq!(
        sorted(&store, &m, &[(name.clone(), Asc)]).await,
        ["Alpha", "Delta", "Gamma", "alpha2", "beta"]
    );
    assert_eq!(
        sorted(&store, &m, &[(name.clone(), Desc)]).await,
        ["beta", "alpha2", "Gamma", "Delta", "Alpha"]
    );
    // Numbers sort numerically (text order would put -5 and 10 before 20
    // and 9 after), nulls last ascending and first descending; equal
    // values fall back to rtId.
    let (first, second) = if m.id("Alpha") < m.id("Delta") {
        ("Alpha", "Delta")
    } else {
        ("Delta", "Alpha")
    };
    assert_eq!(
        sorted(&store, &m, &[(power.clone(), Asc)]).await,
        ["alpha2", first, second, "beta", "Gamma"]
    );
    assert_eq!(
        sorted(&store, &m, &[(power.clone(), Desc)]).await,
        ["Gamma", "beta", first, second, "alpha2"]
    );
    assert_eq!(
        sorted(&store, &m, &[(power.clone(), Asc), (name.clone(), Desc)]).await,
        ["alpha2", "Delta", "Alpha", "beta", "Gamma"]
    );
    assert_eq!(
        sorted(&store, &m, &[(voltage.clone(), Desc), (name.clone(), Asc)]).await,
        ["Delta", "alpha2", "Gamma", "Alpha", "beta"]
    );
    // false before true, nulls last.
    assert_eq!(
        sorted(&store, &m, &[(active.clone(), Asc), (name.clone(), Asc)]).await,
        ["beta", "Alpha", "Gamma", "Delta", "alpha2"]
    );
    assert_eq!(
        sorted(&store, &m, &[(installed.clone(), Asc), (name.clone(), Asc)]).await,
        ["alpha2", "Alpha", "beta", "Delta", "Gamma"]
    );
    assert_eq!(
        sorted(
            &store,
            &m,
            &[(system(SystemAttribute::RtCreationDateTime), Desc)]
        )
        .await,
        ["Delta", "alpha2", "Gamma", "beta", "Alpha"]
    );
    let mut by_id: Vec<(OctoObjectId, String)> = m
        .entities
        .iter()
        .map(|e| {
            (
                e.rt_id,
                e.attributes["Name"].as_str().expect("name").to_owned(),
            )
        })
        .collect();
    by_id.sort();
    assert_eq!(
        sorted(&store, &m, &[]).await,
        by_id.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>(),
        "rtId by default"
    );
    assert_eq!(
        sorted(&store, &m, &[(system(SystemAttribute::RtId), Desc)]).await,
        by_id
            .iter()
            .rev()
            .map(|(_, n)| n.clone())
            .collect::<Vec<_>>()
    );

    // A Double attribute holding 1000 sorts after 400 (not as text).
    let big = entity(&m.tenant, METER, json!({ "Name": "Zeta", "Voltage": 1000 }));
    store.insert_entity(&big).await.expect("insert");
    assert_eq!(
        sorted(&store, &m, &[(voltage.clone(), Asc)]).await[..4],
        ["beta", "Alpha", "Gamma", "Zeta"]
    );

    // Paging with a filter: total_count counts all matches.
    let filter = cond(power.clone(), Op::IsNotNull, Value::Null);
    let mut paged = Vec::new();
    for page in 0..3 {
        let mut q = query(
            Some(filter.clone()),
            vec![SortKey {
                field: power.clone(),
                direction: Desc,
            }],
        );
        q.limit = 2;
        q.offset = page * 2;
        let result = store.query_entities(&m.tenant, &q).await.expect("page");
        assert_eq!(result.total_count, 4);
        paged.extend(names_of(&result.entities));
    }
    assert_eq!(paged, ["beta", first, second, "alpha2"]);
    let mut q = query(Some(filter.clone()), vec![]);
    q.limit = 0;
    let result = store.query_entities(&m.tenant, &q).await.expect("limit 0");
    assert_eq!((result.total_count, result.entities.len()), (4, 0));
    q.limit = 10;
    q.offset = 10;
    let result = store
        .query_entities(&m.tenant, &q)
        .await
        .expect("past the end");
    assert_eq!((result.total_count, result.entities.len()), (4, 0));
    // All types when none are given; the other tenant still never.
    let mut q = query(Some(cond(name.clone(), Op::Equals, json!("Alpha"))), vec![]);
    q.ck_type_ids = vec![];
    assert_eq!(
        store
            .query_entities(&m.tenant, &q)
            .await
            .expect("all types")
            .total_count,
        2
    );
    q.ck_type_ids = vec!["Basic/Unknown".to_owned()];
    assert_eq!(
        store
            .query_entities(&m.tenant, &q)
            .await
            .expect("unknown type")
            .total_count,
        0
    );

    // Records, arrays and JSON cannot be sorted by.
    let sort = vec![SortKey {
        field: attr("Tags", ValueKind::StringArray),
        direction: Asc,
    }];
    let err = store
        .query_entities(&m.tenant, &query(None, sort))
        .await
        .expect_err("array sort");
    assert!(
        err.to_string()
            .contains("cannot sort by 'Tags' (StringArray)"),
        "{err}"
    );

    // Entities come back whole.
    let q = query(Some(cond(name, Op::Equals, json!("Alpha"))), vec![]);
    let page = store.query_entities(&m.tenant, &q).await.expect("query");
    let mut expected = m.entities[0].clone();
    let got = page.entities[0].clone();
    expected.attributes = got.attributes.clone();
    assert_eq!(got, expected);
    assert_eq!(got.attributes["NamePlate"]["ManufacturerName"], "ACME");
}

// --- Aggregations ---------------------------------------------------------------

fn column(function: AggregateFunction, field: Option<PathRef>, alias: &str) -> AggregateColumn {
    AggregateColumn {
        function,
        field,
        alias: alias.to_owned(),
    }
}

fn aggregation(
    filter: Option<FilterExpr>,
    group_by: Vec<PathRef>,
    columns: Vec<AggregateColumn>,
) -> AggregationQuery {
    AggregationQuery {
        ck_type_ids: meter_types(),
        filter,
        group_by,
        columns,
    }
}

fn row(value: Value) -> AggregateRow {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// Compares rows, with floats within a relative 1e-9 (PostgreSQL averages
/// in `numeric`, SQLite in doubles).
fn assert_rows(got: &[AggregateRow], expected: &[AggregateRow]) {
    let close = |a: &Value, b: &Value| match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().expect("f64"), y.as_f64().expect("f64"));
            (x - y).abs() <= 1e-9 * x.abs().max(1.0)
        }
        _ => a == b,
    };
    assert_eq!(got.len(), expected.len(), "{got:?} vs {expected:?}");
    for (g, e) in got.iter().zip(expected) {
        let g_keys: Vec<&String> = g.keys().collect();
        let e_keys: Vec<&String> = e.keys().collect();
        assert_eq!(g_keys, e_keys, "{got:?} vs {expected:?}");
        for (key, value) in e {
            assert!(
                close(&g[key], value),
                "{key}: {} vs {value} in {got:?}",
                g[key]
            );
            // Integers stay integers, floats floats.
            assert_eq!(
                g[key].is_f64(),
                value.is_f64(),
                "{key}: {} vs {value}",
                g[key]
            );
        }
    }
}

pub async fn aggregate_scalar_and_empty_set(store: Arc<dyn Store>) {
    use AggregateFunction::{Avg, Count, Max, Min, Sum};
    let m = meters(&store).await;
    let power = || Some(attr("Power", ValueKind::Integer));
    let voltage = || Some(attr("Voltage", ValueKind::Double));
    let name = || Some(attr("Name", ValueKind::String));
    let installed = || Some(attr("InstalledAt", ValueKind::DateTime));
    let columns = vec![
        column(Count, None, "rows"),
        column(Count, power(), "powered"),
        column(Sum, power(), "totalPower"),
        column(Avg, power(), "avgPower"),
        column(Min, power(), "minPower"),
        column(Max, power(), "maxPower"),
        column(Sum, voltage(), "totalVoltage"),
        column(Avg, voltage(), "avgVoltage"),
        column(Min, voltage(), "minVoltage"),
        column(Min, name(), "firstName"),
        column(Max, name(), "lastName"),
        column(Min, installed(), "firstInstalled"),
        column(
            Max,
            Some(system(SystemAttribute::RtCreationDateTime)),
            "lastCreated",
        ),
        column(Max, Some(system(SystemAttribute::RtVersion)), "maxVersion"),
        column(Count, Some(attr("NamePlate", ValueKind::Json)), "withPlate"),
    ];
    let rows = store
        .aggregate_entities(&m.tenant, &aggregation(None, vec![], columns.clone()))
        .await
        .expect("aggregate");
    assert_rows(
        &rows,
        &[row(json!({
            "rows": 5, "powered": 4, "totalPower": 35, "avgPower": 8.75, "minPower": -5, "maxPower": 20,
            "totalVoltage": 740.5, "avgVoltage": 740.5 / 3.0, "minVoltage": 110.0,
            "firstName": "Alpha", "lastName": "beta",
            "firstInstalled": "2023-12-31T23:59:59.999999Z", "lastCreated": "2024-03-05T00:00:00.000000Z",
            "maxVersion": 1, "withPlate": 4,
        }))],
    );
    // An integral average is still a float.
    let rows = store
        .aggregate_entities(
            &m.tenant,
            &aggregation(
                Some(cond(
                    attr("Power", ValueKind::Integer),
                    Op::Equals,
                    json!(10),
                )),
                vec![],
                vec![column(Avg, power(), "avg"), column(Sum, voltage(), "v")],
            ),
        )
        .await
        .expect("aggregate");
    assert_rows(&rows, &[row(json!({ "avg": 10.0, "v": 230.5 }))]);

    // An empty set: one row, counts 0, the rest null.
    let nothing = Some(cond(
        attr("Name", ValueKind::String),
        Op::Equals,
        json!("nobody"),
    ));
    let rows = store
        .aggregate_entities(&m.tenant, &aggregation(nothing.clone(), vec![], columns))
        .await
        .expect("aggregate");
    assert_rows(
        &rows,
        &[row(json!({
            "rows": 0, "powered": 0, "totalPower": null, "avgPower": null, "minPower": null, "maxPower": null,
            "totalVoltage": null, "avgVoltage": null, "minVoltage": null, "firstName": null, "lastName": null,
            "firstInstalled": null, "lastCreated": null, "maxVersion": null, "withPlate": 0,
        }))],
    );
    // Grouped, an empty set has no groups.
    let rows = store
        .aggregate_entities(
            &m.tenant,
            &aggregation(
                nothing,
                vec![attr("Status", ValueKind::String)],
                vec![column(Count, None, "n")],
            ),
        )
        .await
        .expect("aggregate");
    assert!(rows.is_empty(), "{rows:?}");

    // Requests that do not fit.
    for (columns, needle) in [
        (
            vec![column(Sum, name(), "s")],
            "Sum (column 's') does not apply to 'Name' (String)",
        ),
        (
            vec![column(Avg, Some(attr("Active", ValueKind::Boolean)), "a")],
            "does not apply",
        ),
        (
            vec![column(Min, Some(attr("Tags", ValueKind::StringArray)), "t")],
            "does not apply",
        ),
        (vec![column(Sum, None, "s")], "needs a field"),
        (
            vec![column(Count, None, "n"), column(Count, None, "n")],
            "'n' appears twice",
        ),
        (vec![column(Count, None, "")], "non-empty alias"),
        (vec![], "at least one column"),
    ] {
        let err = store
            .aggregate_entities(&m.tenant, &aggregation(None, vec![], columns))
            .await
            .expect_err("invalid");
        assert!(matches!(err, StoreError::InvalidQuery { .. }), "{err:?}");
        assert!(
            err.to_string().contains(needle),
            "{err} should contain {needle}"
        );
    }
}

/// A value of another type than its attribute's (written before a model changed the type) is
/// skipped by sum, avg, min and max, as filters skip it, and never fails the aggregation.
pub async fn aggregate_skips_values_of_another_type(store: Arc<dyn Store>) {
    use AggregateFunction::{Avg, Count, Max, Min, Sum};
    let m = meters(&store).await;
    let power = || Some(attr("Power", ValueKind::Integer));
    let voltage = || Some(attr("Voltage", ValueKind::Double));
    let columns = || {
        vec![
            column(Count, None, "rows"),
            column(Sum, power(), "totalPower"),
            column(Avg, power(), "avgPower"),
            column(Min, power(), "minPower"),
            column(Max, voltage(), "maxVoltage"),
        ]
    };
    let expected = |rows: i64| {
        row(json!({
            "rows": rows, "totalPower": 35, "avgPower": 8.75, "minPower": -5, "maxVoltage": 400.0,
        }))
    };
    let before = store
        .aggregate_entities(&m.tenant, &aggregation(None, vec![], columns()))
        .await
        .expect("aggregate");
    assert_rows(&before, &[expected(5)]);

    for attributes in [
        json!({ "Name": "Stale", "Power": "lots", "Voltage": true }),
        json!({ "Name": "Odd", "Power": { "value": 3 }, "Voltage": [1, 2] }),
    ] {
        store
            .insert_entity(&entity(&m.tenant, METER, attributes))
            .await
            .expect("insert mistyped meter");
    }
    let after = store
        .aggregate_entities(&m.tenant, &aggregation(None, vec![], columns()))
        .await
        .expect("aggregate with mistyped values");
    assert_rows(&after, &[expected(7)]);
    // Grouped the same way: the mistyped rows form their own groups with null aggregates.
    let grouped = store
        .aggregate_entities(
            &m.tenant,
            &aggregation(
                Some(cond(
                    attr("Name", ValueKind::String),
                    Op::In,
                    json!(["Stale", "Odd", "Delta"]),
                )),
                vec![attr("Name", ValueKind::String)],
                vec![
                    column(Sum, power(), "totalPower"),
                    column(Avg, voltage(), "avgVoltage"),
                ],
            ),
        )
        .await
        .expect("grouped aggregate with mistyped values");
    assert_rows(
        &grouped,
        &[
            row(json!({ "Name": "Delta", "totalPower": 10, "avgVoltage": null })),
            row(json!({ "Name": "Odd", "totalPower": null, "avgVoltage": null })),
            row(json!({ "Name": "Stale", "totalPower": null, "avgVoltage": null })),
        ],
    );
}

pub async fn aggregate_grouped(store: Arc<dyn Store>) {
    use AggregateFunction::{Avg, Count, Max, Sum};
    let m = meters(&store).await;
    let power = || Some(attr("Power", ValueKind::Integer));

    // Booleans come back as booleans, the null group last.
    let rows = store
        .aggregate_entities(
            &m.tenant,
            &aggregation(
                None,
                vec![attr("Active", ValueKind::Boolean)],
                vec![column(Count, None, "n"), column(Sum, power(), "power")],
            ),
        )
        .await
        .expect("aggregate");
    assert_rows(
        &rows,
        &[
            row(json!({ "Active": false, "n": 1, "power": 20 })),
            row(json!({ "Active": true, "n": 2, "power": 10 })),
            row(json!({ "Active": null, "n": 2, "power": 5 })),
        ],
    );

    // Two keys, a nested path as key, ordered by the keys in order.
    let rows = store
        .aggregate_entities(
            &m.tenant,
            &aggregation(
                None,
                vec![
                    attr("Status", ValueKind::String),
                    attr("NamePlate.ManufacturerName", ValueKind::String),
                ],
                vec![
                    column(Count, None, "n"),
                    column(Max, Some(attr("Name", ValueKind::String)), "name"),
                ],
            ),
        )
        .await
        .expect("aggregate");
    assert_rows(
        &rows,
        &[
            row(
                json!({ "Status": "Off", "NamePlate.ManufacturerName": "Globex", "n": 1, "name": "beta" }),
            ),
            row(
                json!({ "Status": "Off", "NamePlate.ManufacturerName": "acme", "n": 1, "name": "alpha2" }),
            ),
            row(
                json!({ "Status": "On", "NamePlate.ManufacturerName": "ACME", "n": 1, "name": "Alpha" }),
            ),
            row(
                json!({ "Status": "On", "NamePlate.ManufacturerName": null, "n": 1, "name": "Gamma" }),
            ),
            row(
                json!({ "Status": null, "NamePlate.ManufacturerName": null, "n": 1, "name": "Delta" }),
            ),
        ],
    );

    // Numbers as numbers; a filter; group keys only (distinct values).
    let rows = store
        .aggregate_entities(
            &m.tenant,
            &aggregation(
                Some(cond(
                    attr("Power", ValueKind::Integer),
                    Op::IsNotNull,
                    Value::Null,
                )),
                vec![attr("Power", ValueKind::Integer)],
                vec![column(Avg, Some(attr("Voltage", ValueKind::Double)), "v")],
            ),
        )
        .await
        .expect("aggregate");
    assert_rows(
        &rows,
        &[
            row(json!({ "Power": -5, "v": null })),
            row(json!({ "Power": 10, "v": 230.5 })),
            row(json!({ "Power": 20, "v": 110.0 })),
        ],
    );
    let rows = store
        .aggregate_entities(
            &m.tenant,
            &aggregation(None, vec![attr("Voltage", ValueKind::Double)], vec![]),
        )
        .await
        .expect("aggregate");
    assert_rows(
        &rows,
        &[
            row(json!({ "Voltage": 110.0 })),
            row(json!({ "Voltage": 230.5 })),
            row(json!({ "Voltage": 400.0 })),
            row(json!({ "Voltage": null })),
        ],
    );

    // System attributes by their camelCase names; times in the UTC form.
    let rows = store
        .aggregate_entities(
            &m.tenant,
            &aggregation(
                None,
                vec![
                    system(SystemAttribute::CkTypeId),
                    system(SystemAttribute::RtWellKnownName),
                ],
                vec![column(Count, None, "n")],
            ),
        )
        .await
        .expect("aggregate");
    assert_rows(
        &rows,
        &[
            row(json!({ "ckTypeId": METER, "rtWellKnownName": "main-meter", "n": 1 })),
            row(json!({ "ckTypeId": METER, "rtWellKnownName": null, "n": 3 })),
            row(json!({ "ckTypeId": SMART_METER, "rtWellKnownName": null, "n": 1 })),
        ],
    );
    let rows = store
        .aggregate_entities(
            &m.tenant,
            &aggregation(
                Some(cond(
                    attr("Name", ValueKind::String),
                    Op::Equals,
                    json!("Alpha"),
                )),
                vec![
                    system(SystemAttribute::RtCreationDateTime),
                    attr("InstalledAt", ValueKind::DateTime),
                ],
                vec![],
            ),
        )
        .await
        .expect("aggregate");
    assert_rows(
        &rows,
        &[row(json!({
            "rtCreationDateTime": "2024-03-01T00:00:00.000000Z",
            "InstalledAt": "2024-01-01T00:00:00.000000Z",
        }))],
    );

    for (group_by, columns, needle) in [
        (
            vec![attr("Tags", ValueKind::StringArray)],
            vec![],
            "cannot group by 'Tags' (StringArray)",
        ),
        (
            vec![attr("NamePlate", ValueKind::Json)],
            vec![],
            "cannot group by",
        ),
        (
            vec![attr("Status", ValueKind::String)],
            vec![column(Count, None, "Status")],
            "'Status' appears twice",
        ),
    ] {
        let err = store
            .aggregate_entities(&m.tenant, &aggregation(None, group_by, columns))
            .await
            .expect_err("invalid");
        assert!(
            err.to_string().contains(needle),
            "{err} should contain {needle}"
        );
    }
}

// --- Indexes ---------------------------------------------------------------------

pub async fn attribute_index_is_idempotent_and_queries_still_work(store: Arc<dyn Store>) {
    let m = meters(&store).await;
    let fields = [
        attr("NamePlate.ManufacturerName", ValueKind::String),
        attr("Power", ValueKind::Integer),
    ];
    for _ in 0..2 {
        store
            .ensure_attribute_index(&m.tenant, METER, &fields)
            .await
            .expect("index");
    }
    // Another type asking for the same index finds it.
    store
        .ensure_attribute_index(&m.tenant, SMART_METER, &fields)
        .await
        .expect("index");
    for field in [
        attr("Voltage", ValueKind::Double),
        attr("Active", ValueKind::Boolean),
        attr("InstalledAt", ValueKind::DateTime),
        system(SystemAttribute::RtWellKnownName),
        system(SystemAttribute::RtCreationDateTime),
    ] {
        store
            .ensure_attribute_index(&m.tenant, METER, &[field])
            .await
            .expect("index");
    }
    let filter = FilterExpr::And(vec![
        cond(fields[0].clone(), Op::Equals, json!("ACME")),
        cond(fields[1].clone(), Op::GreaterThanOrEqual, json!(10)),
    ]);
    assert_eq!(names(&store, &m, filter).await, ["Alpha"]);
    assert_eq!(
        names(
            &store,
            &m,
            cond(fields[0].clone(), Op::StartsWith, json!("ac"))
        )
        .await,
        ["alpha2"]
    );
    assert_eq!(
        names(
            &store,
            &m,
            cond(attr("Active", ValueKind::Boolean), Op::Equals, json!(false))
        )
        .await,
        ["beta"]
    );

    for (fields, needle) in [
        (vec![], "1 to 8 fields"),
        (vec![attr("Power", ValueKind::Integer); 9], "1 to 8 fields"),
        (
            vec![attr("NamePlate", ValueKind::Json)],
            "cannot index 'NamePlate' (Json)",
        ),
        (vec![attr("Tags", ValueKind::StringArray)], "cannot index"),
    ] {
        let err = store
            .ensure_attribute_index(&m.tenant, METER, &fields)
            .await
            .expect_err("invalid");
        assert!(matches!(err, StoreError::InvalidQuery { .. }), "{err:?}");
        assert!(
            err.to_string().contains(needle),
            "{err} should contain {needle}"
        );
    }
}
