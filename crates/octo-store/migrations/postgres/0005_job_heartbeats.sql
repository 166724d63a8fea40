-- Long-running jobs (tenant dumps, restores, runtime-model imports and
-- exports) report that their worker is alive and how far they got. A running
-- job is stale when its last heartbeat (or its start, before the first one)
-- is older than the requeue cutoff.
ALTER TABLE import_jobs ADD COLUMN heartbeat_at TIMESTAMPTZ;
ALTER TABLE import_jobs ADD COLUMN progress JSONB;
