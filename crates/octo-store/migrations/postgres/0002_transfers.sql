-- File transfers: upload reservations and downloadable files, shared by all
-- replicas on the same database and data volume.
--
-- Keyed by tenant_id first like every table. Not a foreign key to tenants:
-- a transfer may outlive its tenant until the sweeper purges it. Transfer
-- ids are unique across tenants (128 random bits); the lookup index below
-- lets a request find a transfer by id alone. (Under Citus a unique index
-- without the distribution column would have to become a plain one.)

CREATE TABLE transfers (
    tenant_id    TEXT COLLATE "C" NOT NULL,
    transfer_id  TEXT COLLATE "C" NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('upload', 'download')),
    file_name    TEXT NOT NULL,
    state        TEXT NOT NULL
                 CHECK (state IN ('reserved', 'complete', 'cancelled', 'expired')),
    size_bytes   BIGINT,
    sha256       TEXT,
    session_id   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    completed_at TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, transfer_id)
);

CREATE UNIQUE INDEX transfers_by_id ON transfers (transfer_id);
-- The sweeper's scan for expired transfers.
CREATE INDEX transfers_by_expiry ON transfers (tenant_id, expires_at);
