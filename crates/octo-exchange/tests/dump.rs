//! Tenant dumps against the store on both backends: dump → restore into a fresh tenant is
//! equal; an archive whose part does not match its checksum, or that is truncated, is refused
//! before anything in the target changes.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use chrono::{SubsecRound, Utc};
use octo_exchange::{ExchangeError, Progress, dump_tenant, restore_tenant};
use octo_ids::{OctoObjectId, TenantId};
use octo_store::{
    Association, CkModelState, Direction, RtEntity, Store, StoredCkModel, TenantRecord,
};
use octo_test_support::both_backends;
use serde_json::{Value, json};

async fn tenant(store: &Arc<dyn Store>, id: &str) -> TenantId {
    let tenant: TenantId = id.parse().expect("tenant id");
    store
        .create_tenant(&TenantRecord {
            tenant_id: tenant.clone(),
            parent_tenant_id: None,
            database_name: id.to_owned(),
            created_at: Utc::now().trunc_subsecs(6),
        })
        .await
        .expect("tenant");
    tenant
}

fn entity(tenant: &TenantId, i: usize) -> RtEntity {
    let now = Utc::now().trunc_subsecs(6);
    RtEntity {
        tenant_id: tenant.clone(),
        rt_id: OctoObjectId::new(),
        ck_type_id: if i.is_multiple_of(2) {
            "Basic/Tree"
        } else {
            "Basic/TreeNode"
        }
        .to_owned(),
        rt_well_known_name: (i == 0).then(|| "root".to_owned()),
        rt_version: 1 + i as u64 % 3,
        rt_creation_date_time: now,
        rt_changed_date_time: now,
        rt_state: 0,
        attributes: json!({
            "Name": format!("node {i}"),
            "Weight": i as f64 + 0.5,
            "Count": i,
            "Big": 9_007_199_254_740_993_i64,
            "Tags": ["a", "b"],
            "Plate": {"Manufacturer": "ACME", "Nested": {"Deep": true}},
            "Empty": {},
        }),
    }
}

async fn populate(store: &Arc<dyn Store>, id: &str, count: usize) -> TenantId {
    let tenant = tenant(store, id).await;
    store
        .put_ck_model(&StoredCkModel {
            tenant_id: tenant.clone(),
            model_name: "Basic".to_owned(),
            model_id: "Basic-2.0.2".parse().expect("model id"),
            state: CkModelState::Available,
            state_reason: None,
            service_managed: false,
            document: json!({"modelId": "Basic-2.0.2", "types": [{"typeId": "Tree"}], "n": 1.25}),
            updated_at: Utc::now().trunc_subsecs(6),
        })
        .await
        .expect("model");
    let entities: Vec<RtEntity> = (0..count).map(|i| entity(&tenant, i)).collect();
    let links: Vec<Association> = entities
        .windows(2)
        .map(|pair| Association {
            tenant_id: tenant.clone(),
            role_id: "System/ParentChild".to_owned(),
            origin_rt_id: pair[1].rt_id,
            origin_ck_type_id: pair[1].ck_type_id.clone(),
            target_rt_id: pair[0].rt_id,
            target_ck_type_id: pair[0].ck_type_id.clone(),
            created_at: Utc::now().trunc_subsecs(6),
        })
        .collect();
    store
        .write_runtime_batch(
            &tenant,
            &entities,
            &links,
            octo_store::EntityWriteMode::InsertOnly,
        )
        .await
        .expect("data");
    tenant
}

/// Everything of a tenant, without the tenant id.
async fn contents(store: &Arc<dyn Store>, tenant: &TenantId) -> Vec<Value> {
    let mut out = Vec::new();
    for model in store.list_ck_models(tenant).await.expect("models") {
        let mut row = serde_json::to_value(&model).expect("json");
        row["tenantId"] = Value::Null;
        out.push(row);
    }
    for entity in store
        .list_entities(tenant, &[], 10_000, 0)
        .await
        .expect("entities")
    {
        for link in store
            .list_associations(tenant, &entity.rt_id, Direction::Outbound, None)
            .await
            .expect("links")
        {
            let mut row = serde_json::to_value(&link).expect("json");
            row["tenantId"] = Value::Null;
            out.push(row);
        }
        let mut row = serde_json::to_value(&entity).expect("json");
        row["tenantId"] = Value::Null;
        out.push(row);
    }
    out
}

/// The archive's entries as (name, bytes).
fn entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(path).expect("open");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    archive
        .entries()
        .expect("entries")
        .map(|entry| {
            let mut entry = entry.expect("entry");
            let name = entry.path().expect("name").to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).expect("read");
            (name, bytes)
        })
        .collect()
}

fn pack(path: &Path, entries: &[(String, Vec<u8>)]) {
    let file = std::fs::File::create(path).expect("create");
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::fast(),
    ));
    for (name, bytes) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, bytes.as_slice())
            .expect("append");
    }
    tar.into_inner()
        .expect("tar")
        .finish()
        .expect("gzip")
        .flush()
        .expect("flush");
}

both_backends!(dump_then_restore_reproduces_the_tenant_and_refuses_corrupt_archives);
async fn dump_then_restore_reproduces_the_tenant_and_refuses_corrupt_archives(
    store: Arc<dyn Store>,
) {
    // More than one snapshot page of entities.
    let count = octo_store::SNAPSHOT_PAGE as usize + 20;
    let source = populate(&store, "source", count).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("source-dump.tar.gz");
    let progress = Progress::default();
    let report = dump_tenant(store.as_ref(), &source, &archive, None, &progress)
        .await
        .expect("dump");
    // One model, `count` entities, `count - 1` associations.
    assert_eq!(progress.get(), (2 * count as u64, None));
    assert_eq!(report.manifest.counts.entities, count as u64);
    assert_eq!(report.manifest.counts.associations, count as u64 - 1);
    assert_eq!(report.manifest.counts.ck_models, 1);
    assert_eq!(
        report.size_bytes,
        std::fs::metadata(&archive).expect("size").len()
    );
    let names: Vec<String> = entries(&archive)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(
        names,
        [
            "manifest.json",
            "source/ckModels.bson",
            "source/entities.bson",
            "source/associations.bson"
        ]
    );
    // The work folder is gone.
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);

    let copy: TenantId = "copy".parse().expect("tenant");
    let progress = Progress::default();
    let restored = restore_tenant(store.as_ref(), &archive, &copy, None, &progress)
        .await
        .expect("restore");
    assert_eq!(progress.get(), (2 * count as u64, Some(2 * count as u64)));
    assert_eq!(restored.source_tenant_id, "source");
    assert_eq!(restored.counts, report.manifest.counts);
    let expected = contents(&store, &source).await;
    assert_eq!(contents(&store, &copy).await, expected);
    // Restoring again over the copy replaces its data with the same.
    restore_tenant(store.as_ref(), &archive, &copy, None, &Progress::default())
        .await
        .expect("restore again");
    assert_eq!(contents(&store, &copy).await, expected);

    // A part changed in place (same size): its checksum no longer matches.
    let mut parts = entries(&archive);
    let entities = parts
        .iter_mut()
        .find(|(name, _)| name.ends_with("entities.bson"))
        .expect("entities part");
    let middle = entities.1.len() / 2;
    entities.1[middle] ^= 0x55;
    let tampered = dir.path().join("tampered.tar.gz");
    pack(&tampered, &parts);
    // Make the copy differ from the source first, to see that nothing is overwritten.
    store.clean_tenant(&copy).await.expect("clean");
    let before = contents(&store, &copy).await;
    let err = restore_tenant(store.as_ref(), &tampered, &copy, None, &Progress::default())
        .await
        .expect_err("checksum");
    assert!(matches!(err, ExchangeError::Archive(_)), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with(
            "The tenant dump was refused (nothing was changed): 'source/entities.bson' does not \
             match its checksum"
        ),
        "{message}"
    );
    assert_eq!(contents(&store, &copy).await, before);

    // Truncated, and a part missing from the archive: refused too.
    let bytes = std::fs::read(&archive).expect("read");
    let truncated = dir.path().join("truncated.tar.gz");
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).expect("write");
    let err = restore_tenant(
        store.as_ref(),
        &truncated,
        &copy,
        None,
        &Progress::default(),
    )
    .await
    .expect_err("truncated");
    assert!(matches!(err, ExchangeError::Archive(_)), "{err}");
    let mut parts = entries(&archive);
    parts.retain(|(name, _)| !name.ends_with("associations.bson"));
    let missing = dir.path().join("missing.tar.gz");
    pack(&missing, &parts);
    let err = restore_tenant(store.as_ref(), &missing, &copy, None, &Progress::default())
        .await
        .expect_err("missing part");
    assert!(
        err.to_string().contains(
            "'source/associations.bson' is listed in the manifest but missing from the archive."
        ),
        "{err}"
    );
    assert_eq!(contents(&store, &copy).await, before);
    // No work folders are left behind by refused restores either.
    let leftovers = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".octo-dump-work")
        })
        .count();
    assert_eq!(leftovers, 0);

    let missing_tenant: TenantId = "nosuchtenant".parse().expect("tenant");
    let err = dump_tenant(
        store.as_ref(),
        &missing_tenant,
        &dir.path().join("x.tar.gz"),
        None,
        &Progress::default(),
    )
    .await
    .expect_err("no tenant");
    assert_eq!(err.to_string(), "Tenant 'nosuchtenant' does not exist.");
    assert!(!dir.path().join("x.tar.gz").exists());
}
