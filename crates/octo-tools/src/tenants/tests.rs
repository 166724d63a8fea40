//! Tenant tools through the registry. Every case runs twice, on a fresh SQLite and on a fresh
//! PostgreSQL store (`both_backends!`).

use std::sync::Arc;

use octo_store::Store;
use octo_test_support::both_backends;
use serde_json::json;

use crate::test_support::{call, call_at, error};
use crate::{ToolRegistry, test_platform_on};

async fn registry(store: Arc<dyn Store>) -> Arc<ToolRegistry> {
    let platform = test_platform_on(store).await;
    Arc::new(crate::standard_registry(&platform).expect("registry"))
}

both_backends!(the_system_tenant_is_listed_from_the_start);
async fn the_system_tenant_is_listed_from_the_start(store: Arc<dyn Store>) {
    let registry = registry(store).await;
    let out = call(&registry, "get_tenants", json!({})).await;
    assert_eq!(out["isSuccess"], json!(true), "{out}");
    assert_eq!(out["totalCount"], json!(1));
    assert_eq!(out["tenants"][0]["tenantId"], json!("octosystem"));
}

both_backends!(create_then_list_children);
async fn create_then_list_children(store: Arc<dyn Store>) {
    let registry = registry(store).await;
    let out = call(
        &registry,
        "create_tenant",
        json!({"childTenantId": "Plant7"}),
    )
    .await;
    assert_eq!(out["isSuccess"], json!(true), "{out}");
    assert_eq!(out["createdTenantId"], json!("plant7"));
    assert_eq!(out["parentTenantId"], json!("octosystem"));
    assert_eq!(out["tenantId"], json!("plant7"));
    let children = call(&registry, "get_tenants", json!({"tenantId": "octosystem"})).await;
    assert_eq!(children["totalCount"], json!(1), "{children}");
    assert_eq!(
        children["message"],
        json!("Found 1 child tenant(s) under 'octosystem'.")
    );
    let again = call(
        &registry,
        "create_tenant",
        json!({"childTenantId": "plant7"}),
    )
    .await;
    assert_eq!(error(&again), "Tenant 'plant7' already exists.");
}

both_backends!(an_invalid_tenant_id_is_explained);
async fn an_invalid_tenant_id_is_explained(store: Arc<dyn Store>) {
    let registry = registry(store).await;
    let out = call(
        &registry,
        "create_tenant",
        json!({"childTenantId": "7 plants"}),
    )
    .await;
    assert!(error(&out).starts_with("Invalid TenantId"), "{out}");
}

both_backends!(delete_refuses_without_confirm_and_deletes_with_it);
async fn delete_refuses_without_confirm_and_deletes_with_it(store: Arc<dyn Store>) {
    let registry = registry(store).await;
    call(
        &registry,
        "create_tenant",
        json!({"childTenantId": "plant7"}),
    )
    .await;
    let refused = call(&registry, "delete_tenant", json!({"tenantId": "plant7"})).await;
    assert!(
        error(&refused).starts_with("Refusing to delete 'plant7' without confirm=true."),
        "{refused}"
    );
    let still_there = call(&registry, "get_tenants", json!({})).await;
    assert_eq!(still_there["totalCount"], json!(2));
    let deleted = call(
        &registry,
        "delete_tenant",
        json!({"tenantId": "plant7", "confirm": true}),
    )
    .await;
    assert_eq!(deleted["isSuccess"], json!(true), "{deleted}");
    assert_eq!(deleted["deletedTenantId"], json!("plant7"));
    let gone = call(
        &registry,
        "delete_tenant",
        json!({"tenantId": "plant7", "confirm": true}),
    )
    .await;
    assert!(
        error(&gone).starts_with("Tenant 'plant7' not found"),
        "{gone}"
    );
    assert_eq!(gone["tenantId"], json!("plant7"));
}

both_backends!(the_system_tenant_cannot_be_deleted_or_cleaned);
async fn the_system_tenant_cannot_be_deleted_or_cleaned(store: Arc<dyn Store>) {
    let registry = registry(store).await;
    for tool in ["delete_tenant", "clean_tenant"] {
        let out = call(
            &registry,
            tool,
            json!({"tenantId": "octosystem", "confirm": true}),
        )
        .await;
        assert!(
            error(&out).contains("cannot be deleted or cleaned"),
            "{out}"
        );
    }
}

both_backends!(clean_keeps_the_tenant);
async fn clean_keeps_the_tenant(store: Arc<dyn Store>) {
    let registry = registry(store).await;
    call(
        &registry,
        "create_tenant",
        json!({"childTenantId": "plant7"}),
    )
    .await;
    let refused = call(
        &registry,
        "clean_tenant",
        json!({"childTenantId": "plant7"}),
    )
    .await;
    assert!(
        error(&refused).starts_with("Refusing to clean 'plant7' without confirm=true."),
        "{refused}"
    );
    let cleaned = call(
        &registry,
        "clean_tenant",
        json!({"childTenantId": "plant7", "confirm": true}),
    )
    .await;
    assert_eq!(cleaned["isSuccess"], json!(true), "{cleaned}");
    assert_eq!(cleaned["entitiesDeleted"], json!(0));
    let listed = call(&registry, "get_tenants", json!({})).await;
    assert_eq!(listed["totalCount"], json!(2));
}

both_backends!(no_tenant_at_all_is_no_tenant_could_be_resolved);
async fn no_tenant_at_all_is_no_tenant_could_be_resolved(store: Arc<dyn Store>) {
    let registry = registry(store).await;
    let out = call(&registry, "clean_tenant", json!({"confirm": true})).await;
    assert!(
        error(&out).starts_with("No tenant could be resolved"),
        "{out}"
    );
}

both_backends!(the_parameter_wins_over_the_url_tenant);
async fn the_parameter_wins_over_the_url_tenant(store: Arc<dyn Store>) {
    let registry = registry(store).await;
    call(
        &registry,
        "create_tenant",
        json!({"childTenantId": "alpha"}),
    )
    .await;
    call(&registry, "create_tenant", json!({"childTenantId": "beta"})).await;
    let out = call_at(
        &registry,
        "clean_tenant",
        json!({"tenantId": "beta", "confirm": true}),
        Some("alpha"),
    )
    .await;
    assert_eq!(out["tenantId"], json!("beta"), "{out}");
    let from_url = call_at(
        &registry,
        "clean_tenant",
        json!({"confirm": true}),
        Some("alpha"),
    )
    .await;
    assert_eq!(from_url["tenantId"], json!("alpha"), "{from_url}");
}
