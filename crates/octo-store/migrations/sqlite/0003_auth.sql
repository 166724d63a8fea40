-- MCP sessions and the login state tied to them, shared by all replicas so a
-- restart keeps a client's session and its login. The same layout as
-- migrations/postgres/0003_auth.sql.
--
-- mcp_sessions is keyed by the session id (a session belongs to no tenant:
-- one session may log in to several). Login state is keyed by tenant first,
-- then session; a second index finds a session's rows for DELETE and the
-- idle purge. Tokens and device codes are stored sealed (encrypted with the
-- server's key, bound to tenant and session).

CREATE TABLE mcp_sessions (
    session_id   TEXT NOT NULL,
    state        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    PRIMARY KEY (session_id)
) STRICT;

CREATE INDEX mcp_sessions_by_last_seen ON mcp_sessions (last_seen_at);

CREATE TABLE auth_tokens (
    tenant_id           TEXT NOT NULL,
    session_id          TEXT NOT NULL,
    sealed              TEXT NOT NULL,
    access_expires_at   TEXT NOT NULL,
    version             INTEGER NOT NULL,
    refresh_lease_until TEXT,
    updated_at          TEXT NOT NULL,
    PRIMARY KEY (tenant_id, session_id)
) STRICT;

CREATE INDEX auth_tokens_by_session ON auth_tokens (session_id);

CREATE TABLE auth_device_flows (
    session_id    TEXT NOT NULL,
    tenant_id     TEXT NOT NULL,
    sealed        TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    interval_secs INTEGER NOT NULL,
    next_poll_at  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (session_id)
) STRICT;
