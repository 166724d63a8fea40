-- Stream data: which tenants have an initialised archive runtime store.
--
-- SQLite has no schemas, so each archive's table is named
-- `streamdata_<tenant>__<archive>`; this registry is what marks the tenant's
-- store as initialised. Archive tables are created on activation, not here:
-- their columns come from each archive's definition.
CREATE TABLE stream_stores (
    tenant_id   TEXT NOT NULL,
    schema_name TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (tenant_id)
) STRICT;
