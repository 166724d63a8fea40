//! Conformance cases for whole-tenant writes: runtime batches (all or
//! nothing, insert-only vs upsert) and snapshots read page by page and
//! restored in one transaction.

use std::sync::Arc;

use serde_json::json;

use octo_store::{
    Association, BatchReport, Direction, EntityWriteMode, RtEntity, SnapshotCounts, SnapshotSink,
    SnapshotSource, Store, StoreError, StoredCkModel,
};

use super::{association, ck_model, create_tenant, entity, populate, tenant_record};

pub async fn runtime_batches_are_all_or_nothing(store: Arc<dyn Store>) {
    let tenant = create_tenant(&store, "batch").await;
    let a = entity(&tenant, "Basic/Tree", json!({ "name": "a" }));
    let b = entity(&tenant, "Basic/TreeNode", json!({ "name": "b" }));
    let link = association("System/ParentChild", &b, &a);
    let report = store
        .write_runtime_batch(
            &tenant,
            &[a.clone(), b.clone()],
            std::slice::from_ref(&link),
            EntityWriteMode::InsertOnly,
        )
        .await
        .expect("first batch");
    assert_eq!(
        report,
        BatchReport {
            entities_inserted: 2,
            entities_updated: 0,
            associations_inserted: 1,
            associations_unchanged: 0,
        }
    );

    // Insert-only with one existing id: nothing of the batch is written.
    let c = entity(&tenant, "Basic/Tree", json!({ "name": "c" }));
    let err = store
        .write_runtime_batch(
            &tenant,
            &[c.clone(), a.clone()],
            &[],
            EntityWriteMode::InsertOnly,
        )
        .await
        .expect_err("duplicate");
    assert!(matches!(err, StoreError::Duplicate { .. }), "{err}");
    assert!(
        store
            .get_entity(&tenant, &c.rt_id)
            .await
            .expect("get")
            .is_none()
    );

    // An association to a missing entity rolls back the entities before it.
    let stray = entity(&tenant, "Basic/Tree", json!({}));
    let err = store
        .write_runtime_batch(
            &tenant,
            std::slice::from_ref(&c),
            &[association("System/ParentChild", &c, &stray)],
            EntityWriteMode::InsertOnly,
        )
        .await
        .expect_err("missing end");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    assert!(
        store
            .get_entity(&tenant, &c.rt_id)
            .await
            .expect("get")
            .is_none()
    );

    // Upsert overwrites attributes, raises the version, keeps the creation time.
    let mut changed = a.clone();
    changed.attributes = json!({ "name": "a2" });
    let report = store
        .write_runtime_batch(
            &tenant,
            &[changed, c.clone()],
            std::slice::from_ref(&link),
            EntityWriteMode::Upsert,
        )
        .await
        .expect("upsert");
    assert_eq!(
        report,
        BatchReport {
            entities_inserted: 1,
            entities_updated: 1,
            associations_inserted: 0,
            associations_unchanged: 1,
        }
    );
    let read = store
        .get_entity(&tenant, &a.rt_id)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(read.attributes, json!({ "name": "a2" }));
    assert_eq!(read.rt_version, 2);
    assert_eq!(read.rt_creation_date_time, a.rt_creation_date_time);

    // Upsert onto an entity of another type is refused, nothing written.
    let mut retyped = a.clone();
    retyped.ck_type_id = "Basic/TreeNode".to_owned();
    let d = entity(&tenant, "Basic/Tree", json!({}));
    let err = store
        .write_runtime_batch(&tenant, &[d.clone(), retyped], &[], EntityWriteMode::Upsert)
        .await
        .expect_err("type clash");
    assert!(err.to_string().contains("of another type"), "{err}");
    assert!(
        store
            .get_entity(&tenant, &d.rt_id)
            .await
            .expect("get")
            .is_none()
    );

    let missing = "nosuchtenant".parse().expect("tenant id");
    let err = store
        .write_runtime_batch(&missing, &[], &[], EntityWriteMode::Upsert)
        .await
        .expect_err("no tenant");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}

/// Collects a snapshot in memory (a test stands in for a dump file).
#[derive(Default)]
struct Collected {
    models: Vec<StoredCkModel>,
    entities: Vec<RtEntity>,
    associations: Vec<Association>,
    entity_pages: usize,
    fail_on_entities: bool,
}

impl SnapshotSink for Collected {
    fn ck_models(&mut self, page: &[StoredCkModel]) -> Result<(), StoreError> {
        self.models.extend_from_slice(page);
        Ok(())
    }
    fn entities(&mut self, page: &[RtEntity]) -> Result<(), StoreError> {
        self.entity_pages += 1;
        self.entities.extend_from_slice(page);
        Ok(())
    }
    fn associations(&mut self, page: &[Association]) -> Result<(), StoreError> {
        self.associations.extend_from_slice(page);
        Ok(())
    }
}

impl SnapshotSource for Collected {
    fn next_ck_models(&mut self) -> Result<Option<Vec<StoredCkModel>>, StoreError> {
        Ok((!self.models.is_empty()).then(|| std::mem::take(&mut self.models)))
    }
    fn next_entities(&mut self) -> Result<Option<Vec<RtEntity>>, StoreError> {
        if self.fail_on_entities {
            return Err(StoreError::Aborted {
                reason: "the archive is truncated".to_owned(),
            });
        }
        // Two pages, to cover more than one call.
        if self.entities.is_empty() {
            return Ok(None);
        }
        let half = self.entities.len().div_ceil(2);
        Ok(Some(self.entities.drain(..half).collect()))
    }
    fn next_associations(&mut self) -> Result<Option<Vec<Association>>, StoreError> {
        Ok((!self.associations.is_empty()).then(|| std::mem::take(&mut self.associations)))
    }
}

pub async fn snapshots_are_read_in_pages_and_restored_in_one_transaction(store: Arc<dyn Store>) {
    let (tenant, parent, child, _) = populate(&store, "source").await;
    // More entities than one page, to cross the keyset boundary.
    let extra: Vec<RtEntity> = (0..(octo_store::SNAPSHOT_PAGE + 5))
        .map(|i| entity(&tenant, "Basic/Tree", json!({ "n": i })))
        .collect();
    store
        .write_runtime_batch(&tenant, &extra, &[], EntityWriteMode::InsertOnly)
        .await
        .expect("extra entities");
    let mut snapshot = Collected::default();
    let counts = store
        .read_tenant_snapshot(&tenant, &mut snapshot)
        .await
        .expect("snapshot");
    let expected = SnapshotCounts {
        ck_models: 1,
        entities: u64::from(octo_store::SNAPSHOT_PAGE) + 7,
        associations: 1,
    };
    assert_eq!(counts, expected);
    assert_eq!(snapshot.entity_pages, 2);
    assert!(
        snapshot
            .entities
            .windows(2)
            .all(|pair| pair[0].rt_id.to_string() < pair[1].rt_id.to_string())
    );

    // Restore into a new tenant: same rows, under the new tenant id.
    let target = tenant_record("copy");
    let restored = store
        .restore_tenant_snapshot(&target, &mut snapshot)
        .await
        .expect("restore");
    assert_eq!(restored, expected);
    let copy = &target.tenant_id;
    let read_parent = store
        .get_entity(copy, &parent.rt_id)
        .await
        .expect("get")
        .expect("restored");
    assert_eq!(read_parent.attributes, parent.attributes);
    assert_eq!(read_parent.rt_version, parent.rt_version);
    assert_eq!(
        read_parent.rt_creation_date_time,
        parent.rt_creation_date_time
    );
    let links = store
        .list_associations(copy, &child.rt_id, Direction::Outbound, None)
        .await
        .expect("links");
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].target_rt_id, parent.rt_id);
    assert_eq!(store.list_ck_models(copy).await.expect("models").len(), 1);

    // A source failing halfway leaves the existing tenant exactly as it was.
    let mut failing = Collected {
        models: vec![ck_model(copy, "Other-1.0.0")],
        fail_on_entities: true,
        ..Collected::default()
    };
    let err = store
        .restore_tenant_snapshot(&target, &mut failing)
        .await
        .expect_err("aborted");
    assert_eq!(err.to_string(), "the archive is truncated");
    assert_eq!(
        store.count_entities(copy, &[]).await.expect("count"),
        expected.entities
    );
    let models = store.list_ck_models(copy).await.expect("models");
    assert_eq!(models.len(), 1);
    assert_eq!(models[0].model_name, "Basic");

    // And a source failing for a tenant that did not exist leaves no tenant.
    let fresh = tenant_record("never");
    let mut failing = Collected {
        fail_on_entities: true,
        ..Collected::default()
    };
    assert!(
        store
            .restore_tenant_snapshot(&fresh, &mut failing)
            .await
            .is_err()
    );
    assert!(
        store
            .get_tenant(&fresh.tenant_id)
            .await
            .expect("get")
            .is_none()
    );

    let missing = "nosuchtenant".parse().expect("tenant id");
    let err = store
        .read_tenant_snapshot(&missing, &mut Collected::default())
        .await
        .expect_err("no tenant");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}
