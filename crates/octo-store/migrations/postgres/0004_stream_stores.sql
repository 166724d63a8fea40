-- Stream data: which tenants have an initialised archive runtime store.
--
-- The samples themselves live in one table per archive in the tenant's own
-- schema (`streamdata_<tenant>`), created by `enable_stream_data` and archive
-- activation, not by migrations: their columns come from each archive's
-- definition. A row here without its schema (or the reverse) is a
-- half-initialised store, which `enable_stream_data` repairs.
CREATE TABLE stream_stores (
    tenant_id   TEXT COLLATE "C" NOT NULL,
    schema_name TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id)
);
