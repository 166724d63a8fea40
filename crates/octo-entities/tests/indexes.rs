//! A CK type's `indexes` become real database indexes that queries use.

use std::sync::Arc;

use chrono::Utc;
use octo_ck_service::CkService;
use octo_entities::filter::{Condition, Criteria};
use octo_entities::{AttributeUpdate, Entities};
use octo_ids::TenantId;
use octo_store::{
    AttributePath, EntityQuery, FieldFilter, FilterExpr, FilterOperator, PathRef, SqliteStore,
    Store, TenantRecord, ValueKind,
};
use serde_json::json;

const MODEL: &str = "modelId: Test.Indexed-1.0.0
dependencies:
  - System-[2.0,3.0)
attributes:
  - id: Tag
    valueType: String
types:
  - typeId: Sensor
    derivedFromCkTypeId: ${System}/Entity
    attributes:
      - id: ${this}/Tag
        name: Tag
    indexes:
      - indexType: Ascending
        fields:
          - attributePaths: [Tag]
";

#[tokio::test]
async fn declared_indexes_are_created_and_used() {
    let dir = std::env::temp_dir().join(format!("octo-entities-index-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}/index.db", dir.display());
    let sqlite = Arc::new(SqliteStore::open(&url).await.expect("store"));
    let store: Arc<dyn Store> = sqlite.clone();
    let tenant: TenantId = "plant7".parse().expect("tenant");
    store
        .create_tenant(&TenantRecord {
            tenant_id: tenant.clone(),
            parent_tenant_id: None,
            database_name: "plant7".into(),
            created_at: Utc::now(),
        })
        .await
        .expect("tenant");
    let ck = Arc::new(CkService::new(Arc::clone(&store), Vec::new()));
    ck.prepare_tenant(&tenant).await.expect("system model");
    let model = octo_ck::source::load_document(MODEL, "indexed.yaml").expect("model");
    ck.enqueue(&tenant, model).await.expect("enqueued");
    while ck.run_next_job("t").await.expect("job") {}
    let entities = Entities::new(ck);
    for n in 0..200 {
        entities
            .create(
                &tenant,
                "Test.Indexed/Sensor",
                &[AttributeUpdate {
                    attribute_path: "Tag".into(),
                    value: json!(format!("T-{n}")),
                }],
                None,
            )
            .await
            .expect("created");
    }
    let criteria = Criteria {
        conditions: vec![Condition {
            attribute_path: "Tag".into(),
            operator: FilterOperator::Equals,
            value: Some(json!("T-7")),
            second_value: None,
        }],
        ..Criteria::default()
    };
    let found = entities
        .query(
            &tenant,
            "Test.Indexed/Sensor",
            Some(&criteria),
            &[],
            &[],
            None,
            None,
        )
        .await
        .expect("query");
    assert_eq!(found.total_count, 1);
    let plan = sqlite
        .explain_query_entities(
            &tenant,
            &EntityQuery {
                ck_type_ids: vec!["Test.Indexed/Sensor".into()],
                filter: Some(FilterExpr::Field(FieldFilter {
                    field: PathRef {
                        path: AttributePath::Attribute(vec!["Tag".into()]),
                        kind: ValueKind::String,
                    },
                    operator: FilterOperator::Equals,
                    value: Some(json!("T-7")),
                    second_value: None,
                })),
                sort: Vec::new(),
                limit: 10,
                offset: 0,
            },
        )
        .await
        .expect("plan");
    assert!(
        plan.iter().any(|line| line.contains("entities_attr_")),
        "the declared index is used: {plan:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
