-- File transfers: upload reservations and downloadable files, shared by all
-- replicas on the same database and data volume. The same layout as
-- migrations/postgres/0002_transfers.sql.
--
-- Keyed by tenant_id first like every table. Not a foreign key to tenants:
-- a transfer may outlive its tenant until the sweeper purges it. Transfer
-- ids are unique across tenants (128 random bits), so the lookup index
-- below lets a request find a transfer by id alone.

CREATE TABLE transfers (
    tenant_id    TEXT NOT NULL,
    transfer_id  TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('upload', 'download')),
    file_name    TEXT NOT NULL,
    state        TEXT NOT NULL
                 CHECK (state IN ('reserved', 'complete', 'cancelled', 'expired')),
    size_bytes   INTEGER,
    sha256       TEXT,
    session_id   TEXT,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    completed_at TEXT,
    PRIMARY KEY (tenant_id, transfer_id)
) STRICT;

CREATE UNIQUE INDEX transfers_by_id ON transfers (transfer_id);
-- The sweeper's scan for expired transfers.
CREATE INDEX transfers_by_expiry ON transfers (tenant_id, expires_at);
