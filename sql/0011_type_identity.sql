-- agentsync remote, migration 11: an artifact's identity is (type, id).
-- Two artifacts of different types may share an id (a plan, a story and a runbook all called
-- INFRA-015); within a type an id stays unique. Artifacts, history, locks and lock events get an
-- `artifact_type` column and are keyed by (project, type, id); every function takes and answers
-- the type beside the id.
--
-- Rows written before this migration keep every column and version; their type is not known
-- to the database (clients derive it from their config), so it is '' until the first change
-- that continues such an artifact names it: a change of (type, id) whose base is the legacy
-- row's version (any base above 0) or whose path is the legacy row's path adopts the row, its
-- history and its lease, which from then on carry that type. Until then, a client reading the
-- row gives it the type its path has; `history` of (type, id) includes the untyped versions
-- of that id while no row of that type exists. Filling in that one column, once, is the only
-- change history ever admits outside `purge`.

LOCK TABLE agentsync.projects, agentsync.artifacts, agentsync.history, agentsync.locks IN EXCLUSIVE MODE;

-- 1. The tables ----------------------------------------------------------------------------

-- A type: what a client's config or a file's `type:` names (no ':', which separates TYPE:ID).
ALTER TABLE agentsync.artifacts ADD COLUMN artifact_type text NOT NULL DEFAULT ''
    CONSTRAINT artifacts_type_check CHECK (length(artifact_type) <= 100 AND artifact_type !~ '[\x01-\x1f\x7f:/\\]');
ALTER TABLE agentsync.artifacts DROP CONSTRAINT artifacts_pkey,
    ADD CONSTRAINT artifacts_pkey PRIMARY KEY (project_id, artifact_type, artifact_id);
ALTER TABLE agentsync.history ADD COLUMN artifact_type text NOT NULL DEFAULT '';
ALTER TABLE agentsync.history DROP CONSTRAINT history_pkey,
    ADD CONSTRAINT history_pkey PRIMARY KEY (project_id, artifact_type, artifact_id, version);
ALTER TABLE agentsync.locks ADD COLUMN artifact_type text NOT NULL DEFAULT '';
ALTER TABLE agentsync.locks DROP CONSTRAINT locks_pkey,
    ADD CONSTRAINT locks_pkey PRIMARY KEY (project_id, artifact_type, artifact_id);
ALTER TABLE agentsync.lock_events ADD COLUMN artifact_type text NOT NULL DEFAULT '';

-- History and lock events stay append-only; purge (as agentsync_purger) may rewrite them, and
-- anyone may fill in the type of a version written before types were recorded, and nothing else.
CREATE OR REPLACE FUNCTION agentsync.refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME IN ('history', 'lock_events') AND current_user = 'agentsync_purger' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'history' THEN  -- (only history has the column)
        IF OLD.artifact_type = '' AND NEW.artifact_type <> ''
                AND to_jsonb(NEW) - 'artifact_type' = to_jsonb(OLD) - 'artifact_type' THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'agentsync % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
REVOKE ALL ON FUNCTION agentsync.refuse_history_change() FROM PUBLIC;

-- 2. What push accepts ---------------------------------------------------------------------

-- Why a change's type is not one (NULL when it is, or when the change is no object: change_problem
-- says so). Checked before change_problem's rules.
CREATE FUNCTION agentsync.type_problem(p_change jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN jsonb_typeof(p_change) IS DISTINCT FROM 'object' THEN NULL
        WHEN jsonb_typeof(p_change -> 'type') IS DISTINCT FROM 'string'
             OR length(p_change ->> 'type') NOT BETWEEN 1 AND 100 THEN 'the type must be a string of 1 to 100 characters'
        WHEN (p_change ->> 'type') ~ '[\x01-\x1f\x7f:/\\]'
            THEN 'the type has a colon, a slash, a backslash or a control character'
    END
$$;
REVOKE ALL ON FUNCTION agentsync.type_problem(jsonb) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION agentsync.type_problem(jsonb) TO authenticated, service_role;

-- The text of one version: from history, else (rows older than migration 3) the row itself.
DROP FUNCTION agentsync.content_of(bigint, text, integer);
CREATE FUNCTION agentsync.content_of(p_project bigint, p_type text, p_artifact text, p_version integer)
RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
    SELECT coalesce(
        (SELECT content FROM agentsync.artifacts WHERE project_id = p_project AND artifact_type = p_type
           AND artifact_id = p_artifact AND version = p_version),
        (SELECT content FROM agentsync.history WHERE project_id = p_project AND artifact_type = p_type
           AND artifact_id = p_artifact AND version = p_version))
$$;
REVOKE ALL ON FUNCTION agentsync.content_of(bigint, text, text, integer) FROM PUBLIC, anon, authenticated;

-- Untyped rows (written before this migration) that the changes of a batch continue take their
-- types: the row, its history and its lease. One change per id adopts (the one on the row's path
-- first); a change whose (type, id) has a row already adopts nothing.
CREATE FUNCTION agentsync.adopt_untyped(p_project bigint, p_changes jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_type text;
    v_id text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM agentsync.artifacts WHERE project_id = p_project AND artifact_type = '') THEN
        RETURN;
    END IF;
    FOR v_type, v_id IN
        SELECT DISTINCT ON (e.value ->> 'id') e.value ->> 'type', e.value ->> 'id'
        FROM jsonb_array_elements(p_changes) WITH ORDINALITY AS e(value, ord)
        JOIN agentsync.artifacts l
          ON l.project_id = p_project AND l.artifact_type = '' AND l.artifact_id = e.value ->> 'id'
        WHERE (coalesce((e.value ->> 'base')::integer, 0) > 0 OR e.value ->> 'path' = l.path)
          AND NOT EXISTS (SELECT 1 FROM agentsync.artifacts a WHERE a.project_id = p_project
                          AND a.artifact_type = e.value ->> 'type' AND a.artifact_id = e.value ->> 'id')
        ORDER BY e.value ->> 'id', (e.value ->> 'path' = l.path) DESC, e.ord
    LOOP
        UPDATE agentsync.artifacts SET artifact_type = v_type
            WHERE project_id = p_project AND artifact_type = '' AND artifact_id = v_id;
        UPDATE agentsync.history SET artifact_type = v_type
            WHERE project_id = p_project AND artifact_type = '' AND artifact_id = v_id;
        DELETE FROM agentsync.locks l WHERE l.project_id = p_project AND l.artifact_type = '' AND l.artifact_id = v_id
            AND EXISTS (SELECT 1 FROM agentsync.locks t WHERE t.project_id = p_project AND t.artifact_type = v_type
                        AND t.artifact_id = v_id);
        UPDATE agentsync.locks SET artifact_type = v_type
            WHERE project_id = p_project AND artifact_type = '' AND artifact_id = v_id;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION agentsync.adopt_untyped(bigint, jsonb) FROM PUBLIC, anon, authenticated;

-- Push as in migration 9, each change naming its type beside its id.
CREATE OR REPLACE FUNCTION agentsync.push(p_project text, p_client text, p_batch text, p_author text, p_changes jsonb)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, true);
    v_author text := agentsync.caller(p_author);
    v_seq bigint;
    v_answer jsonb;
    v_answers jsonb;
    v_applied bigint;
    v_bad_id text;
    v_problem text;
BEGIN
    IF jsonb_typeof(p_changes) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'agentsync: changes must be a JSON array' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT seq INTO v_seq FROM agentsync.projects WHERE id = v_project FOR UPDATE;
    SELECT answer INTO v_answer FROM agentsync.batches
        WHERE project_id = v_project AND client_id = p_client AND batch_id = p_batch;
    IF FOUND THEN
        RETURN v_answer || '{"replayed": true}'::jsonb;
    END IF;
    SELECT c.id, c.problem INTO v_bad_id, v_problem
    FROM (SELECT e.ord, coalesce(e.value ->> 'type', '') || ':' || (e.value ->> 'id') AS id,
                 coalesce(agentsync.type_problem(e.value), agentsync.change_problem(e.value)) AS problem
          FROM jsonb_array_elements(p_changes) WITH ORDINALITY AS e(value, ord)) AS c
    WHERE c.problem IS NOT NULL ORDER BY c.ord LIMIT 1;
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION 'agentsync: refused artifact %: %; nothing of this push was applied',
            coalesce('"' || left(regexp_replace(v_bad_id, '[\x01-\x1f\x7f]', '?', 'g'), 80) || '"', '(no id)'),
            v_problem USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF (SELECT count(*) <> count(DISTINCT (value ->> 'type', value ->> 'id')) FROM jsonb_array_elements(p_changes)) THEN
        RAISE EXCEPTION 'agentsync: a batch names an artifact more than once' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM agentsync.adopt_untyped(v_project, p_changes);

    WITH input AS (
        SELECT c.ord,
               c.value ->> 'type' AS type,
               c.value ->> 'id' AS id,
               c.value ->> 'path' AS path,
               coalesce((c.value ->> 'base')::integer, 0) AS base,
               coalesce((c.value ->> 'deleted')::boolean, false) AS deleted,
               c.value ->> 'content' AS content,
               c.value ->> 'hash' AS hash,
               coalesce(c.value ->> 'summary', '') AS summary,
               (c.value ->> 'version')::integer AS requested
        FROM jsonb_array_elements(p_changes) WITH ORDINALITY AS c(value, ord)
    ),
    classified AS (
        SELECT i.*, cur AS current_row, cur.version AS current_version, l.holder, l.expires_at,
               CASE WHEN l.holder IS NOT NULL THEN 'locked'
                    WHEN coalesce(cur.version, 0) <> i.base THEN 'conflict'
                    ELSE 'applied' END AS result,
               CASE WHEN cur.artifact_id IS NULL THEN greatest(1, least(coalesce(i.requested, 1), 1000000))
                    ELSE i.base + 1 END AS new_version
        FROM input i
        LEFT JOIN agentsync.artifacts cur
               ON cur.project_id = v_project AND cur.artifact_type = i.type AND cur.artifact_id = i.id
        LEFT JOIN LATERAL (  -- a lease on the artifact, or one taken on its id before types were recorded
            SELECT k.holder, k.expires_at FROM agentsync.locks k
            WHERE k.project_id = v_project AND k.artifact_type IN (i.type, '') AND k.artifact_id = i.id
              AND k.expires_at > now() AND k.holder <> v_author
            LIMIT 1) l ON true
    ),
    numbered AS (  -- each applied change gets a number of its own, above the head
        SELECT c.*, v_seq + row_number() OVER (ORDER BY c.ord) AS new_seq FROM classified c WHERE c.result = 'applied'
    ),
    upserted AS (
        INSERT INTO agentsync.artifacts AS a (project_id, artifact_type, artifact_id, path, version, content, hash,
                                              deleted, author, seq, updated_at)
        SELECT v_project, n.type, n.id, n.path, n.new_version, NULL,
               CASE WHEN n.deleted THEN NULL ELSE n.hash END, n.deleted, v_author, n.new_seq, now()
        FROM numbered n
        ON CONFLICT (project_id, artifact_type, artifact_id) DO UPDATE
            SET path = excluded.path, version = excluded.version, content = excluded.content, hash = excluded.hash,
                deleted = excluded.deleted, author = excluded.author, seq = excluded.seq,
                updated_at = excluded.updated_at
        RETURNING 1
    ),
    recorded AS (
        INSERT INTO agentsync.history (project_id, artifact_type, artifact_id, version, path, content, hash, deleted,
                                       author, seq, client_id, summary)
        SELECT v_project, n.type, n.id, n.new_version, n.path, CASE WHEN n.deleted THEN NULL ELSE n.content END,
               CASE WHEN n.deleted THEN NULL ELSE n.hash END, n.deleted, v_author, n.new_seq, p_client, n.summary
        FROM numbered n
        RETURNING 1
    )
    SELECT coalesce(jsonb_agg(
               CASE c.result
                   WHEN 'applied' THEN jsonb_build_object('type', c.type, 'id', c.id, 'result', 'applied',
                                                          'version', n.new_version, 'seq', n.new_seq)
                   WHEN 'locked' THEN jsonb_build_object('type', c.type, 'id', c.id, 'result', 'locked',
                                                         'holder', c.holder, 'expires_at', c.expires_at)
                   ELSE jsonb_build_object('type', c.type, 'id', c.id, 'result', 'conflict',
                                           'remote', (to_jsonb(c.current_row) - 'project_id') || jsonb_build_object(
                                               'content', agentsync.content_of(v_project, c.type, c.id,
                                                                               c.current_version)))
               END ORDER BY c.ord), '[]'::jsonb),
           count(n.new_seq)  -- (the INSERTs above run to completion whether or not they are read)
    INTO v_answers, v_applied
    FROM classified c LEFT JOIN numbered n ON n.ord = c.ord;

    v_seq := v_seq + v_applied;
    UPDATE agentsync.projects SET seq = v_seq WHERE id = v_project;
    v_answer := jsonb_build_object('answers', v_answers, 'head', v_seq);
    INSERT INTO agentsync.batches (project_id, client_id, batch_id, answer) VALUES (v_project, p_client, p_batch, v_answer);
    RETURN v_answer;
END
$$;

-- 3. Reads ---------------------------------------------------------------------------------

-- The feed as rows, texts from history, each with its type.
DROP FUNCTION agentsync.pull_rows(text, bigint, integer);
CREATE FUNCTION agentsync.pull_rows(p_project text, p_after bigint, p_limit integer)
RETURNS TABLE (artifact_type text, artifact_id text, path text, version integer, content text, hash text,
               deleted boolean, author text, seq bigint, updated_at timestamptz, head bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, false);
BEGIN
    RETURN QUERY
        SELECT a.artifact_type, a.artifact_id, a.path, a.version, coalesce(a.content, h.content), a.hash, a.deleted,
               a.author, a.seq, a.updated_at, (SELECT p.seq FROM agentsync.projects p WHERE p.id = v_project)
        FROM agentsync.artifacts a
        LEFT JOIN agentsync.history h
               ON h.project_id = a.project_id AND h.artifact_type = a.artifact_type AND h.artifact_id = a.artifact_id
              AND h.version = a.version
        WHERE a.project_id = v_project AND a.seq > p_after
        ORDER BY a.seq
        LIMIT least(greatest(p_limit, 1), 5000);
END
$$;
REVOKE ALL ON FUNCTION agentsync.pull_rows(text, bigint, integer) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION agentsync.pull_rows(text, bigint, integer) TO authenticated, service_role;

DROP FUNCTION agentsync.history(text, text, integer);
CREATE FUNCTION agentsync.history(p_project text, p_type text, p_artifact text, p_limit integer)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, false);
    v_untyped boolean := NOT EXISTS (SELECT 1 FROM agentsync.artifacts WHERE project_id = v_project
                                     AND artifact_type = p_type AND artifact_id = p_artifact);
BEGIN
    RETURN coalesce((
        SELECT jsonb_agg(to_jsonb(h) - 'project_id' ORDER BY h.version DESC)
        FROM (SELECT * FROM agentsync.history WHERE project_id = v_project AND artifact_id = p_artifact
                AND (artifact_type = p_type OR (v_untyped AND artifact_type = ''))
              ORDER BY version DESC LIMIT least(greatest(p_limit, 1), 1000)) AS h
    ), '[]'::jsonb);
END
$$;

CREATE OR REPLACE FUNCTION agentsync.audit(p_project text, p_author text, p_since timestamptz, p_limit integer)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, false);
BEGIN
    RETURN coalesce((
        SELECT jsonb_agg(to_jsonb(h) ORDER BY h.seq DESC)
        FROM (SELECT artifact_type, artifact_id, version, path, hash, deleted, author, seq, summary, created_at
              FROM agentsync.history
              WHERE project_id = v_project
                AND (p_author IS NULL OR author = p_author)
                AND (p_since IS NULL OR created_at >= p_since)
              ORDER BY seq DESC
              LIMIT least(greatest(p_limit, 1), 10000)) AS h
    ), '[]'::jsonb);
END
$$;

-- 4. Locks ---------------------------------------------------------------------------------

DROP FUNCTION agentsync.lock(text, text, text, integer);
CREATE FUNCTION agentsync.lock(p_project text, p_type text, p_artifact text, p_holder text, p_ttl_seconds integer)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, true);
    v_holder text := agentsync.caller(p_holder);
    v_lock agentsync.locks%ROWTYPE;
BEGIN
    IF coalesce(p_type, '') = '' OR p_type ~ '[\x01-\x1f\x7f:/\\]' OR length(p_type) > 100 THEN
        RAISE EXCEPTION 'agentsync: a lock names the artifact''s type (1 to 100 characters, no colon)'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM 1 FROM agentsync.projects WHERE id = v_project FOR UPDATE;
    SELECT * INTO v_lock FROM agentsync.locks
        WHERE project_id = v_project AND artifact_type = p_type AND artifact_id = p_artifact;
    IF FOUND AND v_lock.expires_at > now() AND v_lock.holder <> v_holder THEN
        RETURN jsonb_build_object('result', 'held', 'holder', v_lock.holder, 'expires_at', v_lock.expires_at);
    END IF;
    INSERT INTO agentsync.locks (project_id, artifact_type, artifact_id, holder, expires_at)
    VALUES (v_project, p_type, p_artifact, v_holder, now() + make_interval(secs => greatest(p_ttl_seconds, 1)))
    ON CONFLICT (project_id, artifact_type, artifact_id) DO UPDATE
        SET holder = excluded.holder, acquired_at = now(), expires_at = excluded.expires_at
    RETURNING * INTO v_lock;
    RETURN jsonb_build_object('result', 'locked', 'holder', v_lock.holder, 'expires_at', v_lock.expires_at);
END
$$;

DROP FUNCTION agentsync.unlock(text, text, text, boolean);
CREATE FUNCTION agentsync.unlock(p_project text, p_type text, p_artifact text, p_holder text, p_force boolean)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, true);
    v_actor text := agentsync.caller(p_holder);
    v_lock agentsync.locks%ROWTYPE;
BEGIN
    SELECT * INTO v_lock FROM agentsync.locks
        WHERE project_id = v_project AND artifact_type = p_type AND artifact_id = p_artifact FOR UPDATE;
    IF NOT FOUND OR v_lock.expires_at <= now() THEN
        DELETE FROM agentsync.locks WHERE project_id = v_project AND artifact_type = p_type AND artifact_id = p_artifact;
        RETURN jsonb_build_object('result', 'not_locked');
    END IF;
    IF v_lock.holder <> v_actor AND NOT p_force THEN
        RETURN jsonb_build_object('result', 'held', 'holder', v_lock.holder, 'expires_at', v_lock.expires_at);
    END IF;
    DELETE FROM agentsync.locks WHERE project_id = v_project AND artifact_type = p_type AND artifact_id = p_artifact;
    IF v_lock.holder <> v_actor THEN
        INSERT INTO agentsync.lock_events (project_id, artifact_type, artifact_id, event, holder, actor)
        VALUES (v_project, p_type, p_artifact, 'forced_unlock', v_lock.holder, v_actor);
    END IF;
    RETURN jsonb_build_object('result', 'unlocked', 'holder', v_lock.holder,
                              'forced', v_lock.holder <> v_actor);
END
$$;

CREATE OR REPLACE FUNCTION agentsync.locks(p_project text)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, false);
BEGIN
    RETURN coalesce((
        SELECT jsonb_agg(jsonb_build_object('type', artifact_type, 'id', artifact_id, 'holder', holder,
                                            'acquired_at', acquired_at, 'expires_at', expires_at)
                         ORDER BY artifact_type, artifact_id)
        FROM agentsync.locks WHERE project_id = v_project AND expires_at > now()
    ), '[]'::jsonb);
END
$$;

REVOKE ALL ON FUNCTION agentsync.history(text, text, text, integer), agentsync.lock(text, text, text, text, integer),
    agentsync.unlock(text, text, text, text, boolean) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION agentsync.history(text, text, text, integer), agentsync.lock(text, text, text, text, integer),
    agentsync.unlock(text, text, text, text, boolean) TO authenticated, service_role;

-- 5. Purge: versions are matched on (type, id) ----------------------------------------------

-- As in migration 9. It belongs to agentsync_purger, so restating it needs membership in that role
-- (granted for this section only, as migration 9 does), and the owner hand-over is repeated.
GRANT CREATE ON SCHEMA agentsync TO agentsync_purger;
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('GRANT agentsync_purger TO %I', current_user);
    END IF;
END
$$;
CREATE OR REPLACE FUNCTION agentsync.purge(p_project text, p_author text, p_dry_run boolean)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_kind text := agentsync.caller_kind();
    v_project bigint;
    v_pseudonym text := 'erased-' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 12);
    v_removed integer;
    v_kept integer;
    v_artifacts integer;
    v_locks integer;
    v_events integer;
    v_members integer;
    v_report jsonb;
BEGIN
    IF v_kind = 'user' THEN
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
            ON a.project_id = h.project_id AND a.artifact_type = h.artifact_type AND a.artifact_id = h.artifact_id
           AND a.version = h.version
        WHERE h.project_id = v_project AND h.author = p_author;
    SELECT count(*) INTO v_artifacts FROM agentsync.artifacts WHERE project_id = v_project AND author = p_author;
    SELECT count(*) INTO v_locks FROM agentsync.locks WHERE project_id = v_project AND holder = p_author;
    SELECT count(*) INTO v_events FROM agentsync.lock_events
        WHERE project_id = v_project AND p_author IN (holder, actor);
    SELECT count(*) INTO v_members FROM agentsync.members WHERE project_id = v_project AND email = p_author;
    v_report := jsonb_build_object(
        'project', p_project, 'author', p_author, 'dry_run', p_dry_run,
        'replaced_by', CASE WHEN p_dry_run THEN NULL ELSE v_pseudonym END,
        'history_contents_removed', v_removed, 'current_versions_kept', v_kept,
        'artifacts_reattributed', v_artifacts, 'locks_released', v_locks,
        'lock_events_anonymised', v_events, 'memberships_anonymised', v_members
    );
    IF NOT p_dry_run THEN
        UPDATE agentsync.history h
            SET content = CASE WHEN EXISTS (SELECT 1 FROM agentsync.artifacts a WHERE a.project_id = h.project_id
                                            AND a.artifact_type = h.artifact_type AND a.artifact_id = h.artifact_id
                                            AND a.version = h.version)
                               THEN h.content END,
                author = v_pseudonym, client_id = NULL, summary = ''
            WHERE h.project_id = v_project AND h.author = p_author;
        UPDATE agentsync.artifacts SET author = v_pseudonym WHERE project_id = v_project AND author = p_author;
        DELETE FROM agentsync.locks WHERE project_id = v_project AND holder = p_author;
        UPDATE agentsync.lock_events
            SET holder = CASE WHEN holder = p_author THEN v_pseudonym ELSE holder END,
                actor = CASE WHEN actor = p_author THEN v_pseudonym ELSE actor END
            WHERE project_id = v_project AND p_author IN (holder, actor);
        UPDATE agentsync.members SET email = NULL WHERE project_id = v_project AND email = p_author;
        INSERT INTO agentsync.purges (project_id, replaced_by, actor, report)
        VALUES (v_project, v_pseudonym, CASE v_kind WHEN 'service' THEN 'service_role' ELSE session_user::text END,
                v_report - 'author');
    END IF;
    RETURN v_report;
END
$$;

DO $$
DECLARE
    v_member boolean := NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user);
BEGIN
    ALTER FUNCTION agentsync.purge(text, text, boolean) OWNER TO agentsync_purger;
    REVOKE ALL ON FUNCTION agentsync.purge(text, text, boolean) FROM PUBLIC, anon, authenticated;
    GRANT EXECUTE ON FUNCTION agentsync.purge(text, text, boolean) TO service_role;
    EXECUTE format('GRANT EXECUTE ON FUNCTION agentsync.purge(text, text, boolean) TO %s',
                   (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'agentsync'));
    IF v_member THEN
        EXECUTE format('REVOKE agentsync_purger FROM %I', current_user);
    END IF;
END
$$;
REVOKE CREATE ON SCHEMA agentsync FROM agentsync_purger;

-- Recorded here too, so that a database set up by pasting these files into an SQL editor is
-- one `agentsync remote migrate` recognises.
CREATE TABLE IF NOT EXISTS agentsync.schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO agentsync.schema_migrations (version, name) VALUES (11, 'type_identity') ON CONFLICT (version) DO NOTHING;
