-- Stream data: rollups, per-interval partial aggregates of an archive.
--
-- The rollup rows live in one table per rollup
-- (`streamdata_<tenant>__r_<rollupRtId>`), created when the rollup is
-- created: their columns come from the rollup's definition. This is their
-- runtime state: the watermark (end of the last computed bucket, NULL before
-- the first computation) and the freeze, changed only in the (write-locked)
-- transaction that changes the rows they describe.
CREATE TABLE stream_rollups (
    tenant_id    TEXT NOT NULL,
    rollup_id    TEXT NOT NULL,
    archive_id   TEXT NOT NULL,
    interval_us  INTEGER NOT NULL,
    watermark    INTEGER,
    frozen_until INTEGER,
    PRIMARY KEY (tenant_id, rollup_id)
) STRICT;
CREATE INDEX stream_rollups_by_archive ON stream_rollups (tenant_id, archive_id);

-- Spans of a rollup behind its watermark: `dirty` (samples were written
-- there after the buckets were computed; maintenance recomputes them) and
-- `gap` (an unfreeze skipped them; queries read the raw samples there).
CREATE TABLE stream_rollup_ranges (
    tenant_id TEXT NOT NULL,
    rollup_id TEXT NOT NULL,
    kind      TEXT NOT NULL,
    from_t    INTEGER NOT NULL,
    to_t      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, rollup_id, kind, from_t)
) STRICT;
