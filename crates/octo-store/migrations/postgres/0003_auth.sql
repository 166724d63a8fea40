-- MCP sessions and the login state tied to them, shared by all replicas so a
-- restart or another replica behind the load balancer keeps a client's
-- session and its login.
--
-- mcp_sessions is keyed by the session id (a session belongs to no tenant:
-- one session may log in to several). Login state is keyed by tenant first,
-- then session, like every tenant-scoped table; a second index finds a
-- session's rows for DELETE and the idle purge. Tokens and device codes are
-- stored sealed (encrypted with the server's key, bound to tenant and
-- session): this table never holds a usable secret.

CREATE TABLE mcp_sessions (
    session_id   TEXT COLLATE "C" NOT NULL,
    -- The client's initialize parameters, replayed to restore the session.
    state        JSONB NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (session_id)
);

-- The idle purge.
CREATE INDEX mcp_sessions_by_last_seen ON mcp_sessions (last_seen_at);

CREATE TABLE auth_tokens (
    tenant_id           TEXT COLLATE "C" NOT NULL,
    session_id          TEXT COLLATE "C" NOT NULL,
    sealed              TEXT NOT NULL,
    access_expires_at   TIMESTAMPTZ NOT NULL,
    -- Incremented on every change; a refresh writes only over the version
    -- it started from.
    version             BIGINT NOT NULL,
    -- While set and in the future, one replica is refreshing the tokens and
    -- the others wait for its result instead of spending the refresh token.
    refresh_lease_until TIMESTAMPTZ,
    updated_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, session_id)
);

CREATE INDEX auth_tokens_by_session ON auth_tokens (session_id);

-- At most one device authorization in progress per session.
CREATE TABLE auth_device_flows (
    session_id    TEXT COLLATE "C" NOT NULL,
    tenant_id     TEXT COLLATE "C" NOT NULL,
    sealed        TEXT NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    interval_secs BIGINT NOT NULL,
    next_poll_at  TIMESTAMPTZ NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (session_id)
);
