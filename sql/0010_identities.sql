-- agentsync remote, migration 10: identities that cannot clash.
--
-- 1. The database's own identity: one generated value, made once when this migration runs.
--    A clone records it the first time it syncs and refuses a database with another one (a
--    local server's folder moved, another server at the same URL, a restored copy of another
--    project's database) instead of mixing two remotes' versions and cursors.
-- 2. Artifact ids reserved by the remote: `reserve_id` hands out the next number for a
--    (project, type, prefix), one past the highest it ever handed out, the highest the caller
--    knows (`p_floor`) and the highest an artifact of the project uses. The counter row is
--    locked by the statement that moves it, so two clones asking at once get two numbers.

CREATE TABLE agentsync.database_identity (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    id text NOT NULL DEFAULT gen_random_uuid()::text,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO agentsync.database_identity DEFAULT VALUES ON CONFLICT DO NOTHING;
ALTER TABLE agentsync.database_identity ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON agentsync.database_identity FROM PUBLIC, anon, authenticated;
GRANT SELECT ON agentsync.database_identity TO service_role;

CREATE FUNCTION agentsync.database_id() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
BEGIN
    PERFORM agentsync.caller_kind();  -- refuses an untrusted session, as every function does
    RETURN (SELECT id FROM agentsync.database_identity);
END
$$;

CREATE TABLE agentsync.id_counters (
    project_id bigint NOT NULL REFERENCES agentsync.projects (id) ON DELETE CASCADE,
    type text NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
    prefix text NOT NULL CHECK (length(prefix) BETWEEN 1 AND 100),
    last bigint NOT NULL CHECK (last > 0),
    PRIMARY KEY (project_id, type, prefix)
);
ALTER TABLE agentsync.id_counters ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_read ON agentsync.id_counters FOR SELECT TO authenticated
    USING (agentsync.is_member(project_id));
REVOKE ALL ON agentsync.id_counters FROM PUBLIC, anon, authenticated;
GRANT SELECT ON agentsync.id_counters TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON agentsync.id_counters TO service_role;

-- The highest number an artifact id `PREFIX-NNNN…` of the project uses (any case, tombstones
-- included: a deleted artifact's id is not handed out again).
CREATE FUNCTION agentsync.highest_id_number(p_project bigint, p_prefix text) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
    SELECT coalesce(max((regexp_match(substr(a.artifact_id, length(p_prefix) + 2), '^([0-9]{1,18})(?:[^0-9]|$)'))[1]
                        ::bigint), 0)
    FROM agentsync.artifacts a
    WHERE a.project_id = p_project AND lower(left(a.artifact_id, length(p_prefix) + 1)) = lower(p_prefix || '-')
$$;

CREATE FUNCTION agentsync.reserve_id(p_project text, p_type text, p_prefix text, p_floor bigint)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, true);
    v_floor bigint;
    v_number bigint;
BEGIN
    IF p_prefix IS NULL OR p_prefix !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' THEN
        RAISE EXCEPTION 'agentsync: id prefix % is not letters, digits, ''.'', ''_'' and ''-''', p_prefix
            USING ERRCODE = 'check_violation';
    END IF;
    IF p_type IS NULL OR length(p_type) NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'agentsync: artifact type % is empty or too long', p_type USING ERRCODE = 'check_violation';
    END IF;
    v_floor := greatest(coalesce(p_floor, 0), 0);
    -- Serialise with pushes of the project (they lock its counter row too), so an artifact
    -- pushed a moment ago is seen by the highest-number look below.
    PERFORM 1 FROM agentsync.projects WHERE id = v_project FOR UPDATE;
    v_floor := greatest(v_floor, agentsync.highest_id_number(v_project, p_prefix));
    INSERT INTO agentsync.id_counters AS c (project_id, type, prefix, last)
    VALUES (v_project, p_type, p_prefix, v_floor + 1)
    ON CONFLICT (project_id, type, prefix) DO UPDATE SET last = greatest(c.last, v_floor) + 1
    RETURNING last INTO v_number;
    RETURN v_number;
END
$$;

REVOKE ALL ON FUNCTION agentsync.database_id(), agentsync.reserve_id(text, text, text, bigint),
    agentsync.highest_id_number(bigint, text) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION agentsync.database_id(), agentsync.reserve_id(text, text, text, bigint)
    TO authenticated, service_role;

-- Recorded here too, so that a database set up by pasting these files into an SQL editor is
-- one `agentsync remote migrate` recognises.
CREATE TABLE IF NOT EXISTS agentsync.schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO agentsync.schema_migrations (version, name) VALUES (10, 'identities') ON CONFLICT (version) DO NOTHING;
