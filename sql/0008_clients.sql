-- agentsync remote, migration 8: the clones of a project, and the schema's version.
-- Each clone registers itself now and then (on a push or pull, at most every few minutes):
-- its id, who uses it (for a user token: the token's email), host, agentsync version, when
-- it last synced and its cursor. `clients` lists them for members; `retire_client` (owners,
-- the service role or a direct connection) removes one that is gone. `schema_version` lets
-- a client check the remote's migrations through the API too.

CREATE TABLE agentsync.clients (
    project_id bigint NOT NULL REFERENCES agentsync.projects (id) ON DELETE CASCADE,
    client_id text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 100),
    user_name text NOT NULL,
    host text NOT NULL DEFAULT '' CHECK (length(host) <= 200),
    agent_version text NOT NULL DEFAULT '' CHECK (length(agent_version) <= 50),
    cursor bigint NOT NULL DEFAULT 0,
    registered_at timestamptz NOT NULL DEFAULT now(),
    last_sync timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, client_id)
);
ALTER TABLE agentsync.clients ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_read ON agentsync.clients FOR SELECT TO authenticated USING (agentsync.is_member(project_id));
REVOKE ALL ON agentsync.clients FROM PUBLIC, anon, authenticated;
GRANT SELECT ON agentsync.clients TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON agentsync.clients TO service_role;

CREATE FUNCTION agentsync.register_client(p_project text, p_client text, p_user text, p_host text,
                                          p_version text, p_cursor bigint)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, false);
    v_user text := coalesce(nullif(agentsync.claims() ->> 'email', ''), p_user);  -- the token's, if any
BEGIN
    IF v_project IS NULL THEN
        RETURN jsonb_build_object('registered', false);  -- nothing pushed yet: no project to join
    END IF;
    INSERT INTO agentsync.clients AS c (project_id, client_id, user_name, host, agent_version, cursor)
    VALUES (v_project, p_client, v_user, left(coalesce(p_host, ''), 200), left(coalesce(p_version, ''), 50),
            coalesce(p_cursor, 0))
    ON CONFLICT (project_id, client_id) DO UPDATE
        SET user_name = excluded.user_name, host = excluded.host, agent_version = excluded.agent_version,
            cursor = excluded.cursor, last_sync = now();
    RETURN jsonb_build_object('registered', true);
END
$$;

CREATE FUNCTION agentsync.clients(p_project text)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, false);
BEGIN
    RETURN coalesce((
        SELECT jsonb_agg(to_jsonb(c) - 'project_id' || jsonb_build_object(
                   'lag', greatest((SELECT seq FROM agentsync.projects WHERE id = v_project) - c.cursor, 0))
               ORDER BY c.last_sync DESC)
        FROM agentsync.clients c WHERE c.project_id = v_project
    ), '[]'::jsonb);
END
$$;

CREATE FUNCTION agentsync.retire_client(p_project text, p_client text)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_role text := agentsync.claims() ->> 'role';
    v_project bigint := agentsync.project_for(p_project, false);
    v_removed integer;
BEGIN
    IF v_role = 'authenticated' AND NOT EXISTS (
        SELECT 1 FROM agentsync.members WHERE project_id = v_project
        AND user_id = nullif(agentsync.claims() ->> 'sub', '')::uuid AND role = 'owner') THEN
        RAISE EXCEPTION 'agentsync: only an owner of % can retire clients', p_project
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM agentsync.clients WHERE project_id = v_project AND client_id = p_client;
    GET DIAGNOSTICS v_removed = ROW_COUNT;
    RETURN jsonb_build_object('retired', v_removed > 0);
END
$$;

CREATE FUNCTION agentsync.schema_version() RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
    SELECT coalesce(max(version), 0) FROM agentsync.schema_migrations
$$;

REVOKE ALL ON FUNCTION agentsync.register_client(text, text, text, text, text, bigint), agentsync.clients(text),
    agentsync.retire_client(text, text), agentsync.schema_version() FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION agentsync.register_client(text, text, text, text, text, bigint), agentsync.clients(text),
    agentsync.retire_client(text, text), agentsync.schema_version() TO authenticated, service_role;

-- Recorded here too, so that a database set up by pasting these files into an SQL editor is
-- one `agentsync remote migrate` recognises.
CREATE TABLE IF NOT EXISTS agentsync.schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO agentsync.schema_migrations (version, name) VALUES (8, 'clients') ON CONFLICT (version) DO NOTHING;
