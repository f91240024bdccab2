-- agentsync remote, migration 7: erasure of one person's data from a project.
-- `purge` is the one sanctioned change to the append-only history, and only the service role
-- (or a direct connection, which owns the tables anyway) may call it. For every version the
-- person wrote, the content is removed and the author replaced by a random pseudonym;
-- versions that are an artifact's current one keep their content (the artifact must
-- remain: others build on it), with the author replaced. Their locks are released, and their
-- name in lock events and their email in memberships replaced. A dry run counts without
-- changing anything; either way the answer says exactly what (would be) done.

-- The history trigger lets an update through only inside `purge` (a transaction-local
-- setting no API request can make: each request is a transaction of its own).
CREATE OR REPLACE FUNCTION agentsync.refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('agentsync.purging', true) = 'on' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'agentsync history is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE FUNCTION agentsync.purge(p_project text, p_author text, p_dry_run boolean)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_role text := agentsync.claims() ->> 'role';
    v_project bigint;
    v_pseudonym text := 'erased-' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 12);
    v_removed integer;
    v_kept integer;
    v_artifacts integer;
    v_locks integer;
    v_events integer;
    v_members integer;
BEGIN
    IF v_role IS NOT NULL AND v_role <> 'service_role' THEN
        RAISE EXCEPTION 'agentsync: purge needs the service role (SUPABASE_SERVICE_ROLE_KEY) or a direct connection'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF coalesce(p_author, '') = '' THEN
        RAISE EXCEPTION 'agentsync: purge needs an author' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT id INTO v_project FROM agentsync.projects WHERE name = p_project FOR UPDATE;  -- no push meanwhile
    IF v_project IS NULL THEN
        RAISE EXCEPTION 'agentsync: no project %', p_project USING ERRCODE = 'no_data_found';
    END IF;
    SELECT count(*) FILTER (WHERE a.version IS NULL), count(*) FILTER (WHERE a.version IS NOT NULL)
        INTO v_removed, v_kept
        FROM agentsync.history h
        LEFT JOIN agentsync.artifacts a
            ON a.project_id = h.project_id AND a.artifact_id = h.artifact_id AND a.version = h.version
        WHERE h.project_id = v_project AND h.author = p_author;
    SELECT count(*) INTO v_artifacts FROM agentsync.artifacts WHERE project_id = v_project AND author = p_author;
    SELECT count(*) INTO v_locks FROM agentsync.locks WHERE project_id = v_project AND holder = p_author;
    SELECT count(*) INTO v_events FROM agentsync.lock_events
        WHERE project_id = v_project AND p_author IN (holder, actor);
    SELECT count(*) INTO v_members FROM agentsync.members WHERE project_id = v_project AND email = p_author;
    IF NOT p_dry_run THEN
        PERFORM set_config('agentsync.purging', 'on', true);
        UPDATE agentsync.history h
            SET content = CASE WHEN EXISTS (SELECT 1 FROM agentsync.artifacts a WHERE a.project_id = h.project_id
                                            AND a.artifact_id = h.artifact_id AND a.version = h.version)
                               THEN h.content END,
                author = v_pseudonym, client_id = NULL, summary = ''
            WHERE h.project_id = v_project AND h.author = p_author;
        PERFORM set_config('agentsync.purging', 'off', true);
        UPDATE agentsync.artifacts SET author = v_pseudonym WHERE project_id = v_project AND author = p_author;
        DELETE FROM agentsync.locks WHERE project_id = v_project AND holder = p_author;
        UPDATE agentsync.lock_events
            SET holder = CASE WHEN holder = p_author THEN v_pseudonym ELSE holder END,
                actor = CASE WHEN actor = p_author THEN v_pseudonym ELSE actor END
            WHERE project_id = v_project AND p_author IN (holder, actor);
        UPDATE agentsync.members SET email = NULL WHERE project_id = v_project AND email = p_author;
    END IF;
    RETURN jsonb_build_object(
        'project', p_project, 'author', p_author, 'dry_run', p_dry_run,
        'replaced_by', CASE WHEN p_dry_run THEN NULL ELSE v_pseudonym END,
        'history_contents_removed', v_removed, 'current_versions_kept', v_kept,
        'artifacts_reattributed', v_artifacts, 'locks_released', v_locks,
        'lock_events_anonymised', v_events, 'memberships_anonymised', v_members
    );
END
$$;

REVOKE ALL ON FUNCTION agentsync.purge(text, text, boolean) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION agentsync.purge(text, text, boolean) TO service_role;

-- Recorded here too, so that a database set up by pasting these files into an SQL editor is
-- one `agentsync remote migrate` recognises.
CREATE TABLE IF NOT EXISTS agentsync.schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO agentsync.schema_migrations (version, name) VALUES (7, 'purge') ON CONFLICT (version) DO NOTHING;
