//! A property test of entity queries and aggregations: random entities
//! (one attribute of each kind, each absent, null or set) and random
//! filters, sorts, pages and aggregations run through the store and
//! through a plain in-memory evaluation written here from the documented
//! semantics; both must agree.
//!
//! Values come from small alphabets and ranges so that equality, LIKE
//! wildcards (`%` and `_` are in the string alphabet) and ties happen often.
//! One database serves the whole run: each case cleans the tenant first.

use std::cmp::Ordering;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};

use octo_ids::TenantId;
use octo_store::{
    AggregateColumn, AggregateFunction as Agg, AggregateRow, AggregationQuery, EntityQuery,
    FieldFilter, FilterExpr, FilterOperator as Op, PathRef, RtEntity, SortDirection, SortKey,
    Store, SystemAttribute, ValueKind,
};

use super::{create_tenant, entity};

const TYPES: [&str; 3] = ["Prop/One", "Prop/Two", "Prop/Other"];

/// Stored DateTime values, in the fixed UTC form; neighbours one
/// microsecond apart make ordering mistakes visible.
const INSTANTS: [&str; 4] = [
    "2024-01-01T00:00:00.000000Z",
    "2024-01-01T00:00:00.000001Z",
    "2024-06-30T23:59:59.999999Z",
    "2025-01-01T12:00:00.000000Z",
];

/// Patterns that mean the same in PostgreSQL's and Rust's regex syntax.
const REGEXES: [&str; 8] = ["^a", "b$", "a.", "[AB]", "^$", "a|B", "%", "_b"];

/// An attribute value: absent, JSON null, or a value.
#[derive(Debug, Clone)]
enum Slot<T> {
    Absent,
    Null,
    Val(T),
}

fn slot<T: std::fmt::Debug + Clone + 'static>(
    value: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Slot<T>> {
    prop_oneof![
        1 => Just(Slot::Absent),
        1 => Just(Slot::Null),
        4 => value.prop_map(Slot::Val),
    ]
    .boxed()
}

#[derive(Debug, Clone)]
struct GenEntity {
    ck_type: usize,
    well_known_name: Option<String>,
    s: Slot<String>,
    i: Slot<i64>,
    d: Slot<f64>,
    b: Slot<bool>,
    t: Slot<String>,
    a: Slot<Vec<String>>,
    /// The record `R`, itself holding the string `k`.
    r: Slot<Slot<String>>,
}

fn text() -> impl Strategy<Value = String> {
    "[abAB%_]{0,3}"
}

fn half() -> impl Strategy<Value = f64> {
    (-6_i32..=6).prop_map(|n| f64::from(n) / 2.0)
}

fn gen_entity() -> impl Strategy<Value = GenEntity> {
    (
        prop_oneof![4 => 0_usize..2, 1 => Just(2_usize)],
        proptest::option::of(select(vec!["a", "B", "c_"])),
        slot(text()),
        slot(-3_i64..=3),
        slot(half()),
        slot(any::<bool>()),
        slot(select(INSTANTS.to_vec()).prop_map(str::to_owned)),
        slot(proptest::collection::vec(text(), 0..3)),
        slot(slot(text())),
    )
        .prop_map(
            |(ck_type, well_known_name, s, i, d, b, t, a, r)| GenEntity {
                ck_type,
                well_known_name: well_known_name.map(str::to_owned),
                s,
                i,
                d,
                b,
                t,
                a,
                r,
            },
        )
}

impl GenEntity {
    fn attributes(&self) -> Value {
        fn put<T>(
            map: &mut Map<String, Value>,
            key: &str,
            slot: &Slot<T>,
            f: impl Fn(&T) -> Value,
        ) {
            match slot {
                Slot::Absent => {}
                Slot::Null => {
                    map.insert(key.to_owned(), Value::Null);
                }
                Slot::Val(value) => {
                    map.insert(key.to_owned(), f(value));
                }
            }
        }
        let mut map = Map::new();
        put(&mut map, "S", &self.s, |v| json!(v));
        put(&mut map, "I", &self.i, |v| json!(v));
        put(&mut map, "D", &self.d, |v| json!(v));
        put(&mut map, "B", &self.b, |v| json!(v));
        put(&mut map, "T", &self.t, |v| json!(v));
        put(&mut map, "A", &self.a, |v| json!(v));
        put(&mut map, "R", &self.r, |inner| {
            let mut record = Map::new();
            put(&mut record, "k", inner, |v| json!(v));
            Value::Object(record)
        });
        Value::Object(map)
    }
}

/// The fields queries use.
#[derive(Debug, Clone, Copy, PartialEq)]
enum F {
    S,
    I,
    D,
    B,
    T,
    A,
    Rk,
    Wkn,
}

const FILTER_FIELDS: [F; 8] = [F::S, F::I, F::D, F::B, F::T, F::A, F::Rk, F::Wkn];
const SCALAR_FIELDS: [F; 7] = [F::S, F::I, F::D, F::B, F::T, F::Rk, F::Wkn];

impl F {
    fn path(self) -> PathRef {
        match self {
            F::S => PathRef::attribute(["S"], ValueKind::String),
            F::I => PathRef::attribute(["I"], ValueKind::Integer),
            F::D => PathRef::attribute(["D"], ValueKind::Double),
            F::B => PathRef::attribute(["B"], ValueKind::Boolean),
            F::T => PathRef::attribute(["T"], ValueKind::DateTime),
            F::A => PathRef::attribute(["A"], ValueKind::StringArray),
            F::Rk => PathRef::attribute(["R", "k"], ValueKind::String),
            F::Wkn => PathRef::system(SystemAttribute::RtWellKnownName),
        }
    }

    fn label(self) -> &'static str {
        match self {
            F::S => "S",
            F::I => "I",
            F::D => "D",
            F::B => "B",
            F::T => "T",
            F::A => "A",
            F::Rk => "R.k",
            F::Wkn => "rtWellKnownName",
        }
    }

    fn from_path(path: &PathRef) -> Self {
        FILTER_FIELDS
            .into_iter()
            .find(|f| f.path() == *path)
            .expect("a generated path")
    }

    /// Filter values for this field.
    fn value(self) -> BoxedStrategy<Value> {
        match self {
            F::S | F::Rk | F::Wkn | F::A => text().prop_map(Value::from).boxed(),
            F::I => prop_oneof![
                (-4_i64..=4).prop_map(Value::from),
                half().prop_map(Value::from),
            ]
            .boxed(),
            F::D => prop_oneof![
                half().prop_map(Value::from),
                (-3_i64..=3).prop_map(Value::from)
            ]
            .boxed(),
            F::B => any::<bool>().prop_map(Value::from).boxed(),
            // The same instants, sometimes spelled with another offset.
            F::T => (select(INSTANTS.to_vec()), any::<bool>())
                .prop_map(|(instant, shifted)| {
                    let time = DateTime::parse_from_rfc3339(instant).expect("valid");
                    if shifted {
                        let offset = FixedOffset::east_opt(2 * 3600).expect("valid");
                        Value::from(
                            time.with_timezone(&offset)
                                .to_rfc3339_opts(SecondsFormat::AutoSi, false),
                        )
                    } else {
                        Value::from(instant)
                    }
                })
                .boxed(),
        }
    }

    fn operators(self) -> Vec<Op> {
        let ordered = vec![
            Op::Equals,
            Op::NotEquals,
            Op::GreaterThan,
            Op::GreaterThanOrEqual,
            Op::LessThan,
            Op::LessThanOrEqual,
            Op::Between,
            Op::In,
            Op::NotIn,
            Op::IsNull,
            Op::IsNotNull,
        ];
        match self {
            F::S | F::Rk | F::Wkn => {
                let mut ops = ordered;
                ops.extend([
                    Op::Contains,
                    Op::StartsWith,
                    Op::EndsWith,
                    Op::Like,
                    Op::Regex,
                ]);
                ops
            }
            F::I | F::D | F::T => ordered,
            F::B => vec![
                Op::Equals,
                Op::NotEquals,
                Op::In,
                Op::NotIn,
                Op::IsNull,
                Op::IsNotNull,
            ],
            F::A => vec![Op::AnyEq, Op::AnyLike, Op::IsNull, Op::IsNotNull],
        }
    }
}

fn leaf(field: F) -> BoxedStrategy<FilterExpr> {
    let value = field.value();
    (
        select(field.operators()),
        value.clone(),
        value.clone(),
        proptest::collection::vec(value, 0..3),
        select(REGEXES.to_vec()),
    )
        .prop_map(move |(operator, first, second, list, regex)| {
            let (value, second_value) = match operator {
                Op::Between => (Some(first), Some(second)),
                Op::In | Op::NotIn => (Some(Value::Array(list)), None),
                Op::IsNull | Op::IsNotNull => (None, None),
                Op::Regex => (Some(Value::from(regex)), None),
                _ => (Some(first), None),
            };
            FilterExpr::Field(FieldFilter {
                field: field.path(),
                operator,
                value,
                second_value,
            })
        })
        .boxed()
}

fn filter() -> impl Strategy<Value = FilterExpr> {
    select(FILTER_FIELDS.to_vec())
        .prop_flat_map(leaf)
        .prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(FilterExpr::And),
                proptest::collection::vec(inner, 0..3).prop_map(FilterExpr::Or),
            ]
        })
}

fn types(only_first: bool) -> Vec<String> {
    let n = if only_first { 1 } else { 2 };
    TYPES[..n].iter().map(|t| (*t).to_owned()).collect()
}

fn entity_query() -> impl Strategy<Value = EntityQuery> {
    (
        any::<bool>(),
        proptest::option::of(filter()),
        proptest::collection::vec((select(SCALAR_FIELDS.to_vec()), any::<bool>()), 0..3),
        0_u32..8,
        0_u32..5,
    )
        .prop_map(|(only_first, filter, sort, limit, offset)| EntityQuery {
            ck_type_ids: types(only_first),
            filter,
            sort: sort
                .into_iter()
                .map(|(field, asc)| SortKey {
                    field: field.path(),
                    direction: if asc {
                        SortDirection::Asc
                    } else {
                        SortDirection::Desc
                    },
                })
                .collect(),
            limit,
            offset,
        })
}

/// Every aggregate column that fits its field.
fn all_columns() -> Vec<AggregateColumn> {
    let column = |function, field: Option<F>| (function, field);
    [
        column(Agg::Count, None),
        column(Agg::Count, Some(F::S)),
        column(Agg::Count, Some(F::A)),
        column(Agg::Sum, Some(F::I)),
        column(Agg::Sum, Some(F::D)),
        column(Agg::Avg, Some(F::I)),
        column(Agg::Avg, Some(F::D)),
        column(Agg::Min, Some(F::I)),
        column(Agg::Max, Some(F::I)),
        column(Agg::Min, Some(F::D)),
        column(Agg::Max, Some(F::D)),
        column(Agg::Min, Some(F::S)),
        column(Agg::Max, Some(F::Rk)),
        column(Agg::Min, Some(F::T)),
        column(Agg::Max, Some(F::T)),
    ]
    .into_iter()
    .enumerate()
    .map(|(n, (function, field))| AggregateColumn {
        function,
        field: field.map(F::path),
        alias: format!("c{n}"),
    })
    .collect()
}

fn aggregation_query() -> impl Strategy<Value = AggregationQuery> {
    (
        any::<bool>(),
        proptest::option::of(filter()),
        subsequence(SCALAR_FIELDS.to_vec(), 0..=2),
        subsequence(all_columns(), 1..=4),
    )
        .prop_map(|(only_first, filter, group_by, columns)| AggregationQuery {
            ck_type_ids: types(only_first),
            filter,
            group_by: group_by.into_iter().map(F::path).collect(),
            columns,
        })
}

#[derive(Debug, Clone)]
struct Scenario {
    entities: Vec<GenEntity>,
    queries: Vec<EntityQuery>,
    aggregations: Vec<AggregationQuery>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        proptest::collection::vec(gen_entity(), 0..12),
        proptest::collection::vec(entity_query(), 3),
        proptest::collection::vec(aggregation_query(), 2),
    )
        .prop_map(|(entities, queries, aggregations)| Scenario {
            entities,
            queries,
            aggregations,
        })
}

// --- The model ------------------------------------------------------------------

/// A value as the documented semantics see it.
#[derive(Debug, Clone, PartialEq)]
enum M {
    Null,
    S(String),
    N(f64),
    B(bool),
    A(Vec<String>),
}

struct Stored {
    generated: GenEntity,
    entity: RtEntity,
}

fn get(e: &GenEntity, field: F) -> M {
    fn of<T>(slot: &Slot<T>, f: impl Fn(&T) -> M) -> M {
        match slot {
            Slot::Val(v) => f(v),
            _ => M::Null,
        }
    }
    match field {
        F::S => of(&e.s, |v| M::S(v.clone())),
        #[allow(clippy::cast_precision_loss)]
        F::I => of(&e.i, |v| M::N(*v as f64)),
        F::D => of(&e.d, |v| M::N(*v)),
        F::B => of(&e.b, |v| M::B(*v)),
        F::T => of(&e.t, |v| M::S(v.clone())),
        F::A => of(&e.a, |v| M::A(v.clone())),
        F::Rk => of(&e.r, |inner| of(inner, |v| M::S(v.clone()))),
        F::Wkn => e.well_known_name.clone().map_or(M::Null, M::S),
    }
}

/// A filter value as the model compares it; times in the stored form.
fn model_value(field: F, value: &Value) -> M {
    match (field, value) {
        (F::T, Value::String(text)) => M::S(
            DateTime::parse_from_rfc3339(text)
                .expect("generated time")
                .with_timezone(&Utc)
                .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                .to_string(),
        ),
        (_, Value::String(text)) => M::S(text.clone()),
        (_, Value::Number(n)) => M::N(n.as_f64().expect("number")),
        (_, Value::Bool(b)) => M::B(*b),
        other => panic!("unexpected filter value {other:?}"),
    }
}

fn compare(a: &M, b: &M) -> Option<Ordering> {
    match (a, b) {
        (M::S(x), M::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (M::N(x), M::N(y)) => x.partial_cmp(y),
        (M::B(x), M::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// SQL LIKE: `%`, `_`, `\` escapes; ASCII case-insensitive when asked.
fn like(text: &str, pattern: &str, ignore_case: bool) -> bool {
    let text: Vec<char> = text.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    let eq = |a: char, b: char| {
        if ignore_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    fn go(t: &[char], p: &[char], eq: &dyn Fn(char, char) -> bool) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('%') => (0..=t.len()).any(|skip| go(&t[skip..], &p[1..], eq)),
            Some('_') => !t.is_empty() && go(&t[1..], &p[1..], eq),
            Some('\\') if p.len() > 1 => {
                !t.is_empty() && eq(t[0], p[1]) && go(&t[1..], &p[2..], eq)
            }
            Some(c) => !t.is_empty() && eq(t[0], *c) && go(&t[1..], &p[1..], eq),
        }
    }
    go(&text, &pattern, &eq)
}

fn matches(e: &GenEntity, filter: &FilterExpr) -> bool {
    match filter {
        FilterExpr::And(parts) => parts.iter().all(|p| matches(e, p)),
        FilterExpr::Or(parts) => parts.iter().any(|p| matches(e, p)),
        FilterExpr::Field(f) => field_matches(e, f),
    }
}

fn field_matches(e: &GenEntity, f: &FieldFilter) -> bool {
    let field = F::from_path(&f.field);
    let actual = get(e, field);
    let value = || model_value(field, f.value.as_ref().expect("a value"));
    let text = || match &actual {
        M::S(s) => Some(s.clone()),
        _ => None,
    };
    let pattern = || {
        f.value
            .as_ref()
            .and_then(Value::as_str)
            .expect("a string")
            .to_owned()
    };
    let is = |ord: &[Ordering]| compare(&actual, &value()).is_some_and(|o| ord.contains(&o));
    let list = || -> Vec<M> {
        f.value
            .as_ref()
            .and_then(Value::as_array)
            .expect("an array")
            .iter()
            .map(|v| model_value(field, v))
            .collect()
    };
    let equal = |x: &M| compare(&actual, x) == Some(Ordering::Equal);
    match f.operator {
        Op::IsNull => actual == M::Null,
        Op::IsNotNull => actual != M::Null,
        Op::Equals => is(&[Ordering::Equal]),
        Op::NotEquals => actual != M::Null && !is(&[Ordering::Equal]),
        Op::GreaterThan => is(&[Ordering::Greater]),
        Op::GreaterThanOrEqual => is(&[Ordering::Greater, Ordering::Equal]),
        Op::LessThan => is(&[Ordering::Less]),
        Op::LessThanOrEqual => is(&[Ordering::Less, Ordering::Equal]),
        Op::Between => {
            let high = model_value(field, f.second_value.as_ref().expect("upper bound"));
            is(&[Ordering::Greater, Ordering::Equal])
                && compare(&actual, &high).is_some_and(|o| o != Ordering::Greater)
        }
        Op::In => list().iter().any(equal),
        Op::NotIn => actual != M::Null && !list().iter().any(equal),
        Op::Contains => text().is_some_and(|t| t.contains(&pattern())),
        Op::StartsWith => text().is_some_and(|t| t.starts_with(&pattern())),
        Op::EndsWith => text().is_some_and(|t| t.ends_with(&pattern())),
        Op::Like => text().is_some_and(|t| like(&t, &pattern(), true)),
        Op::Regex => {
            text().is_some_and(|t| regex::Regex::new(&pattern()).expect("valid").is_match(&t))
        }
        Op::AnyEq => match &actual {
            M::A(items) => items.contains(&pattern()),
            _ => false,
        },
        Op::AnyLike => match &actual {
            M::A(items) => items.iter().any(|item| like(item, &pattern(), true)),
            _ => false,
        },
    }
}

/// Nulls last.
fn ascending(a: &M, b: &M) -> Ordering {
    match (a, b) {
        (M::Null, M::Null) => Ordering::Equal,
        (M::Null, _) => Ordering::Greater,
        (_, M::Null) => Ordering::Less,
        _ => compare(a, b).expect("comparable"),
    }
}

fn selected<'a>(
    stored: &'a [Stored],
    ck_type_ids: &[String],
    filter: Option<&FilterExpr>,
) -> Vec<&'a Stored> {
    stored
        .iter()
        .filter(|s| ck_type_ids.contains(&s.entity.ck_type_id))
        .filter(|s| filter.is_none_or(|f| matches(&s.generated, f)))
        .collect()
}

fn model_page(stored: &[Stored], query: &EntityQuery) -> (u64, Vec<String>) {
    let mut hits = selected(stored, &query.ck_type_ids, query.filter.as_ref());
    hits.sort_by(|x, y| {
        for key in &query.sort {
            let field = F::from_path(&key.field);
            let (a, b) = (get(&x.generated, field), get(&y.generated, field));
            // Descending reverses everything, so nulls come first.
            let order = match key.direction {
                SortDirection::Asc => ascending(&a, &b),
                SortDirection::Desc => ascending(&a, &b).reverse(),
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        x.entity.rt_id.to_string().cmp(&y.entity.rt_id.to_string())
    });
    let total = hits.len() as u64;
    let page = hits
        .into_iter()
        .skip(query.offset as usize)
        .take(query.limit as usize)
        .map(|s| s.entity.rt_id.to_string())
        .collect();
    (total, page)
}

fn json_of(field: F, value: &M) -> Value {
    match value {
        M::Null => Value::Null,
        #[allow(clippy::cast_possible_truncation)]
        M::N(n) if field == F::I => Value::from(*n as i64),
        M::N(n) => Value::from(*n),
        M::S(s) => Value::from(s.clone()),
        M::B(b) => Value::from(*b),
        M::A(items) => Value::from(items.clone()),
    }
}

fn model_aggregate(stored: &[Stored], query: &AggregationQuery) -> Vec<AggregateRow> {
    let hits = selected(stored, &query.ck_type_ids, query.filter.as_ref());
    let keys: Vec<F> = query.group_by.iter().map(F::from_path).collect();
    let key_of = |s: &Stored| -> Vec<M> { keys.iter().map(|f| get(&s.generated, *f)).collect() };
    let order = |a: &Vec<M>, b: &Vec<M>| {
        a.iter()
            .zip(b)
            .map(|(x, y)| ascending(x, y))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    };
    let mut groups: Vec<(Vec<M>, Vec<&Stored>)> = Vec::new();
    if keys.is_empty() {
        groups.push((vec![], hits));
    } else {
        let mut sorted = hits;
        sorted.sort_by(|x, y| order(&key_of(x), &key_of(y)));
        for s in sorted {
            let key = key_of(s);
            match groups.last_mut() {
                Some((last, members)) if order(last, &key) == Ordering::Equal => members.push(s),
                _ => groups.push((key, vec![s])),
            }
        }
    }
    groups
        .into_iter()
        .map(|(key, members)| {
            let mut row = AggregateRow::new();
            for (field, value) in keys.iter().zip(&key) {
                row.insert(field.label().to_owned(), json_of(*field, value));
            }
            for column in &query.columns {
                let field = column.field.as_ref().map(F::from_path);
                let values: Vec<M> = match field {
                    Some(f) => members
                        .iter()
                        .map(|s| get(&s.generated, f))
                        .filter(|v| *v != M::Null)
                        .collect(),
                    None => vec![],
                };
                let numbers = || {
                    values.iter().map(|v| match v {
                        M::N(n) => *n,
                        other => panic!("not a number: {other:?}"),
                    })
                };
                let result = match column.function {
                    Agg::Count if field.is_none() => Value::from(members.len()),
                    Agg::Count => Value::from(values.len()),
                    _ if values.is_empty() => Value::Null,
                    Agg::Sum => json_of(field.expect("field"), &M::N(numbers().sum())),
                    #[allow(clippy::cast_precision_loss)]
                    Agg::Avg => Value::from(numbers().sum::<f64>() / values.len() as f64),
                    Agg::Min | Agg::Max => {
                        let mut sorted = values.clone();
                        sorted.sort_by(ascending);
                        let pick = if column.function == Agg::Min {
                            sorted.first()
                        } else {
                            sorted.last()
                        };
                        json_of(field.expect("field"), pick.expect("non-empty"))
                    }
                };
                row.insert(column.alias.clone(), result);
            }
            row
        })
        .collect()
}

fn same_value(got: &Value, expected: &Value) -> bool {
    match (got, expected) {
        (Value::Number(g), Value::Number(e)) => {
            if g.is_f64() != e.is_f64() {
                return false;
            }
            let (g, e) = (g.as_f64().expect("f64"), e.as_f64().expect("f64"));
            (g - e).abs() <= 1e-9 * e.abs().max(1.0)
        }
        _ => got == expected,
    }
}

async fn check(store: &Arc<dyn Store>, tenant: &TenantId, scenario: &Scenario) {
    store.clean_tenant(tenant).await.expect("clean");
    let mut stored = Vec::new();
    for generated in &scenario.entities {
        let entity = entity(tenant, TYPES[generated.ck_type], generated.attributes());
        let mut entity = entity;
        entity
            .rt_well_known_name
            .clone_from(&generated.well_known_name);
        store.insert_entity(&entity).await.expect("insert");
        stored.push(Stored {
            generated: generated.clone(),
            entity,
        });
    }
    for query in &scenario.queries {
        let page = store
            .query_entities(tenant, query)
            .await
            .unwrap_or_else(|err| panic!("{query:?}: {err}"));
        let got: Vec<String> = page.entities.iter().map(|e| e.rt_id.to_string()).collect();
        let (total, expected) = model_page(&stored, query);
        assert_eq!((page.total_count, &got), (total, &expected), "{query:#?}");
    }
    for aggregation in &scenario.aggregations {
        let got = store
            .aggregate_entities(tenant, aggregation)
            .await
            .unwrap_or_else(|err| panic!("{aggregation:?}: {err}"));
        let expected = model_aggregate(&stored, aggregation);
        let same = got.len() == expected.len()
            && got.iter().zip(&expected).all(|(g, e)| {
                g.keys().eq(e.keys()) && e.iter().all(|(key, value)| same_value(&g[key], value))
            });
        assert!(
            same,
            "{aggregation:#?}\n got: {}\n expected: {}",
            Value::from(
                got.clone()
                    .into_iter()
                    .map(Value::Object)
                    .collect::<Vec<_>>()
            ),
            Value::from(expected.into_iter().map(Value::Object).collect::<Vec<_>>())
        );
    }
}

pub async fn query_and_aggregate_match_an_in_memory_model(store: Arc<dyn Store>) {
    let tenant = create_tenant(&store, "proptest").await;
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        // Each shrink step runs against the database; a few hundred give a
        // small counterexample without running for minutes.
        max_shrink_iters: 300,
        ..Config::default()
    });
    // proptest drives a synchronous closure; the store is async, so each
    // case blocks this worker thread on the runtime (multi-threaded in
    // every harness).
    let result = tokio::task::block_in_place(|| {
        runner.run(&scenario(), |scenario| {
            handle.block_on(check(&store, &tenant, &scenario));
            Ok(())
        })
    });
    if let Err(err) = result {
        panic!("the store and the model disagree: {err}");
    }
}
