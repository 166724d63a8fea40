//! The domain crates without MCP: open a store, give a tenant a Construction Kit model, create
//! entities checked against it, and query them in the database.
//!
//! `cargo run -p octo-examples --example domain_without_mcp` (an in-memory SQLite store; pass a
//! `postgres://…` or `sqlite://…` URL as the first argument to use a real one).

use std::sync::Arc;

use chrono::Utc;
use octo_ck_service::CkService;
use octo_entities::filter::{Condition, Criteria};
use octo_entities::{AttributeUpdate, Entities};
use octo_ids::TenantId;
use octo_store::{FilterOperator, TenantRecord};
use serde_json::json;

/// A CK model in the YAML format of docs/ck-model-format.md.
const MODEL: &str = "modelId: Example.Plant-1.0.0
dependencies:
  - System-[2.0,3.0)
attributes:
  - id: Power
    valueType: Double
  - id: Site
    valueType: String
types:
  - typeId: Meter
    derivedFromCkTypeId: ${System}/Entity
    attributes:
      - id: ${this}/Power
        name: Power
      - id: ${this}/Site
        name: Site
";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sqlite::memory:".to_owned());
    let store = octo_store::open(&url).await?;
    let tenant: TenantId = "plant7".parse()?;
    if store.get_tenant(&tenant).await?.is_none() {
        store
            .create_tenant(&TenantRecord {
                tenant_id: tenant.clone(),
                parent_tenant_id: None,
                database_name: "plant7".into(),
                created_at: Utc::now(),
            })
            .await?;
    }

    // The CK service installs models through import jobs; run the queue here instead of a
    // background worker.
    let ck = Arc::new(CkService::new(Arc::clone(&store), Vec::new()));
    ck.prepare_tenant(&tenant).await?;
    ck.enqueue(
        &tenant,
        octo_ck::source::load_document(MODEL, "plant.yaml")?,
    )
    .await?;
    while ck.run_next_job("example").await? {}

    let entities = Entities::new(ck);
    let north = Criteria {
        conditions: vec![Condition {
            attribute_path: "Site".into(),
            operator: FilterOperator::Equals,
            value: Some(json!("North")),
            second_value: None,
        }],
        ..Criteria::default()
    };
    // Against a persistent database earlier runs left meters behind; count from here.
    let before = entities
        .query(
            &tenant,
            "Example.Plant/Meter",
            Some(&north),
            &[],
            &[],
            None,
            None,
        )
        .await?
        .total_count;
    for (site, power) in [("North", 12.5), ("North", 7.0), ("South", 3.25)] {
        let created = entities
            .create(
                &tenant,
                "Example.Plant/Meter",
                &[
                    AttributeUpdate {
                        attribute_path: "Site".into(),
                        value: json!(site),
                    },
                    AttributeUpdate {
                        attribute_path: "Power".into(),
                        value: json!(power),
                    },
                ],
                None,
            )
            .await?;
        println!("created {} ({site}, {power} kW)", created.rt_id);
    }
    // A value of the wrong type is refused with a message naming the attribute.
    if let Err(error) = entities
        .create(
            &tenant,
            "Example.Plant/Meter",
            &[AttributeUpdate {
                attribute_path: "Power".into(),
                value: json!("lots"),
            }],
            None,
        )
        .await
    {
        println!("refused: {error}");
    }

    let found = entities
        .query(
            &tenant,
            "Example.Plant/Meter",
            Some(&north),
            &[],
            &[],
            None,
            None,
        )
        .await?;
    println!("{} meters in North", found.total_count);
    if found.total_count != before + 2 {
        return Err(format!("expected {} meters in North", before + 2).into());
    }
    Ok(())
}
