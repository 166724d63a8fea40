-- Tenants, Construction Kit models, import jobs, runtime entities and
-- associations.
--
-- Every table's primary key and every index start with tenant_id, so the
-- tables can later be distributed by tenant (Citus) with all of a tenant's
-- rows on one node. Ids are TEXT COLLATE "C": ordering is byte order, the
-- same as SQLite's and Rust's. Timestamps are TIMESTAMPTZ (microseconds),
-- documents JSONB.

CREATE TABLE tenants (
    tenant_id        TEXT COLLATE "C" NOT NULL,
    -- Not a foreign key: a parent may be deleted before its children.
    parent_tenant_id TEXT COLLATE "C",
    database_name    TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id)
);

-- One loaded version per model name.
CREATE TABLE ck_models (
    tenant_id       TEXT COLLATE "C" NOT NULL REFERENCES tenants (tenant_id),
    model_name      TEXT COLLATE "C" NOT NULL,
    model_id        TEXT NOT NULL,
    state           TEXT NOT NULL
                    CHECK (state IN ('importing', 'available', 'resolve_failed')),
    state_reason    TEXT,
    service_managed BOOLEAN NOT NULL,
    document        JSONB NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, model_name)
);

CREATE TABLE import_jobs (
    tenant_id   TEXT COLLATE "C" NOT NULL REFERENCES tenants (tenant_id),
    job_id      TEXT COLLATE "C" NOT NULL,
    kind        TEXT NOT NULL,
    payload     JSONB NOT NULL,
    state       TEXT NOT NULL
                CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
    error       TEXT,
    result      JSONB,
    attempts    BIGINT NOT NULL DEFAULT 0,
    claimed_by  TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    started_at  TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, job_id)
);

-- A tenant's jobs, newest first.
CREATE INDEX import_jobs_by_creation ON import_jobs (tenant_id, created_at);
-- Only unfinished jobs, so claiming the oldest queued job and finding stale
-- running ones scan a small index however many finished jobs accumulate.
CREATE INDEX import_jobs_unfinished ON import_jobs (tenant_id, created_at)
    WHERE state IN ('queued', 'running');

CREATE TABLE entities (
    tenant_id             TEXT COLLATE "C" NOT NULL REFERENCES tenants (tenant_id),
    rt_id                 TEXT COLLATE "C" NOT NULL,
    -- Runtime form 'Model/Type'.
    ck_type_id            TEXT COLLATE "C" NOT NULL,
    rt_well_known_name    TEXT,
    rt_version            BIGINT NOT NULL,
    rt_creation_date_time TIMESTAMPTZ NOT NULL,
    rt_changed_date_time  TIMESTAMPTZ NOT NULL,
    rt_state              INTEGER NOT NULL,
    attributes            JSONB NOT NULL,
    PRIMARY KEY (tenant_id, rt_id)
);

-- Lists and counts of one type, paged by rt_id.
CREATE INDEX entities_by_type ON entities (tenant_id, ck_type_id, rt_id);

CREATE TABLE associations (
    tenant_id         TEXT COLLATE "C" NOT NULL,
    origin_rt_id      TEXT COLLATE "C" NOT NULL,
    -- Runtime form, e.g. 'System/ParentChild'.
    role_id           TEXT COLLATE "C" NOT NULL,
    target_rt_id      TEXT COLLATE "C" NOT NULL,
    origin_ck_type_id TEXT NOT NULL,
    target_ck_type_id TEXT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    -- Also serves outbound lookups (origin, optionally role).
    PRIMARY KEY (tenant_id, origin_rt_id, role_id, target_rt_id),
    -- Both ends must exist; deleting an entity removes its associations.
    FOREIGN KEY (tenant_id, origin_rt_id) REFERENCES entities (tenant_id, rt_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, target_rt_id) REFERENCES entities (tenant_id, rt_id) ON DELETE CASCADE
);

-- Inbound lookups (target, optionally role).
CREATE INDEX associations_inbound ON associations (tenant_id, target_rt_id, role_id, origin_rt_id);
