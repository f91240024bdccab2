-- agentsync remote, migration 6: the project's audit trail as one query.
-- Every change the remote applied is a row of the append-only history: who (for a user
-- token, the token's email, never what the client claimed), when, which version, the
-- content's hash and a short summary. `audit` pages it newest first, filtered by author and
-- time, without contents. Members read their own projects only (`project_for`).

CREATE INDEX IF NOT EXISTS history_feed ON agentsync.history (project_id, seq);

CREATE FUNCTION agentsync.audit(p_project text, p_author text, p_since timestamptz, p_limit integer)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, false);
BEGIN
    RETURN coalesce((
        SELECT jsonb_agg(to_jsonb(h) ORDER BY h.seq DESC)
        FROM (SELECT artifact_id, version, path, hash, deleted, author, seq, summary, created_at
              FROM agentsync.history
              WHERE project_id = v_project
                AND (p_author IS NULL OR author = p_author)
                AND (p_since IS NULL OR created_at >= p_since)
              ORDER BY seq DESC
              LIMIT least(greatest(p_limit, 1), 10000)) AS h
    ), '[]'::jsonb);
END
$$;

REVOKE ALL ON FUNCTION agentsync.audit(text, text, timestamptz, integer) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION agentsync.audit(text, text, timestamptz, integer) TO authenticated, service_role;

-- Recorded here too, so that a database set up by pasting these files into an SQL editor is
-- one `agentsync remote migrate` recognises.
CREATE TABLE IF NOT EXISTS agentsync.schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO agentsync.schema_migrations (version, name) VALUES (6, 'audit') ON CONFLICT (version) DO NOTHING;
