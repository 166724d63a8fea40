-- Tenants, Construction Kit models, import jobs, runtime entities and
-- associations; the same layout as migrations/postgres/0001_initial.sql.
--
-- Every table's primary key and every index start with tenant_id (the
-- PostgreSQL schema needs that for distribution by tenant; keeping SQLite
-- identical keeps the SQL shared). STRICT tables reject values of the wrong
-- type. Timestamps are fixed-width UTC text ('2024-05-01T12:00:00.000000Z'),
-- so text order is time order; documents are JSON text; booleans 0/1.

CREATE TABLE tenants (
    tenant_id        TEXT NOT NULL,
    -- Not a foreign key: a parent may be deleted before its children.
    parent_tenant_id TEXT,
    database_name    TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (tenant_id)
) STRICT;

-- One loaded version per model name.
CREATE TABLE ck_models (
    tenant_id       TEXT NOT NULL REFERENCES tenants (tenant_id),
    model_name      TEXT NOT NULL,
    model_id        TEXT NOT NULL,
    state           TEXT NOT NULL
                    CHECK (state IN ('importing', 'available', 'resolve_failed')),
    state_reason    TEXT,
    service_managed INTEGER NOT NULL CHECK (service_managed IN (0, 1)),
    document        TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, model_name)
) STRICT;

CREATE TABLE import_jobs (
    tenant_id   TEXT NOT NULL REFERENCES tenants (tenant_id),
    job_id      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    state       TEXT NOT NULL
                CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
    error       TEXT,
    result      TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    claimed_by  TEXT,
    created_at  TEXT NOT NULL,
    started_at  TEXT,
    finished_at TEXT,
    PRIMARY KEY (tenant_id, job_id)
) STRICT;

-- A tenant's jobs, newest first.
CREATE INDEX import_jobs_by_creation ON import_jobs (tenant_id, created_at);
-- Only unfinished jobs, for claiming and finding stale running ones.
CREATE INDEX import_jobs_unfinished ON import_jobs (tenant_id, created_at)
    WHERE state IN ('queued', 'running');

CREATE TABLE entities (
    tenant_id             TEXT NOT NULL REFERENCES tenants (tenant_id),
    rt_id                 TEXT NOT NULL,
    -- Runtime form 'Model/Type'.
    ck_type_id            TEXT NOT NULL,
    rt_well_known_name    TEXT,
    rt_version            INTEGER NOT NULL,
    rt_creation_date_time TEXT NOT NULL,
    rt_changed_date_time  TEXT NOT NULL,
    rt_state              INTEGER NOT NULL,
    attributes            TEXT NOT NULL,
    PRIMARY KEY (tenant_id, rt_id)
) STRICT;

-- Lists and counts of one type, paged by rt_id.
CREATE INDEX entities_by_type ON entities (tenant_id, ck_type_id, rt_id);

CREATE TABLE associations (
    tenant_id         TEXT NOT NULL,
    origin_rt_id      TEXT NOT NULL,
    -- Runtime form, e.g. 'System/ParentChild'.
    role_id           TEXT NOT NULL,
    target_rt_id      TEXT NOT NULL,
    origin_ck_type_id TEXT NOT NULL,
    target_ck_type_id TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    -- Also serves outbound lookups (origin, optionally role).
    PRIMARY KEY (tenant_id, origin_rt_id, role_id, target_rt_id),
    -- Both ends must exist; deleting an entity removes its associations.
    FOREIGN KEY (tenant_id, origin_rt_id) REFERENCES entities (tenant_id, rt_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, target_rt_id) REFERENCES entities (tenant_id, rt_id) ON DELETE CASCADE
) STRICT;

-- Inbound lookups (target, optionally role).
CREATE INDEX associations_inbound ON associations (tenant_id, target_rt_id, role_id, origin_rt_id);
