-- agentsync remote, migration 3: push, two changes.
-- A new artifact enters the remote at the version its file already states (a change may carry
-- "version"; at least 1), so pushing a repository whose files carry version numbers rewrites
-- none of them; every later change is still base + 1, applied only when base is the current
-- version. And an artifact's text is stored once, in its history row: the current-version row
-- keeps the rest (path, version, hash, author, seq), and readers take the text from history
-- (rows written before this migration keep theirs in place). A push writes half as much.

ALTER TABLE agentsync.artifacts DROP CONSTRAINT IF EXISTS artifacts_check;

-- The text of one version: from history, else (rows older than this migration) the row itself.
CREATE FUNCTION agentsync.content_of(p_project bigint, p_artifact text, p_version integer)
RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
    SELECT coalesce(
        (SELECT content FROM agentsync.artifacts WHERE project_id = p_project AND artifact_id = p_artifact
           AND version = p_version),
        (SELECT content FROM agentsync.history WHERE project_id = p_project AND artifact_id = p_artifact
           AND version = p_version))
$$;
REVOKE ALL ON FUNCTION agentsync.content_of(bigint, text, integer) FROM PUBLIC, anon, authenticated;

CREATE OR REPLACE FUNCTION agentsync.push(p_project text, p_client text, p_batch text, p_author text, p_changes jsonb)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, true);
    v_author text := agentsync.caller(p_author);
    v_seq bigint;
    v_answer jsonb;
    v_answers jsonb;
    v_applied bigint;
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
    IF (SELECT count(*) <> count(DISTINCT value ->> 'id') FROM jsonb_array_elements(p_changes)) THEN
        RAISE EXCEPTION 'agentsync: a batch names an artifact more than once' USING ERRCODE = 'invalid_parameter_value';
    END IF;

    WITH input AS (
        SELECT c.ord,
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
               -- A new artifact starts at the version its file states (so the file needs no
               -- rewrite); every later change is the next version.
               CASE WHEN cur.artifact_id IS NULL THEN greatest(1, least(coalesce(i.requested, 1), 1000000))
                    ELSE i.base + 1 END AS new_version
        FROM input i
        LEFT JOIN agentsync.artifacts cur ON cur.project_id = v_project AND cur.artifact_id = i.id
        LEFT JOIN agentsync.locks l ON l.project_id = v_project AND l.artifact_id = i.id
                                    AND l.expires_at > now() AND l.holder <> v_author
    ),
    numbered AS (
        SELECT c.*, v_seq + row_number() OVER (ORDER BY c.ord) AS new_seq FROM classified c WHERE c.result = 'applied'
    ),
    upserted AS (
        INSERT INTO agentsync.artifacts AS a (project_id, artifact_id, path, version, content, hash, deleted, author,
                                              seq, updated_at)
        SELECT v_project, n.id, n.path, n.new_version, NULL,
               CASE WHEN n.deleted THEN NULL ELSE n.hash END, n.deleted, v_author, n.new_seq, now()
        FROM numbered n
        ON CONFLICT (project_id, artifact_id) DO UPDATE
            SET path = excluded.path, version = excluded.version, content = excluded.content, hash = excluded.hash,
                deleted = excluded.deleted, author = excluded.author, seq = excluded.seq,
                updated_at = excluded.updated_at
        RETURNING 1
    ),
    recorded AS (
        INSERT INTO agentsync.history (project_id, artifact_id, version, path, content, hash, deleted, author, seq,
                                       client_id, summary)
        SELECT v_project, n.id, n.new_version, n.path, CASE WHEN n.deleted THEN NULL ELSE n.content END,
               CASE WHEN n.deleted THEN NULL ELSE n.hash END, n.deleted, v_author, n.new_seq, p_client, n.summary
        FROM numbered n
        RETURNING 1
    )
    SELECT coalesce(jsonb_agg(
               CASE c.result
                   WHEN 'applied' THEN jsonb_build_object('id', c.id, 'result', 'applied', 'version', n.new_version,
                                                          'seq', n.new_seq)
                   WHEN 'locked' THEN jsonb_build_object('id', c.id, 'result', 'locked', 'holder', c.holder,
                                                         'expires_at', c.expires_at)
                   ELSE jsonb_build_object('id', c.id, 'result', 'conflict',
                                           'remote', (to_jsonb(c.current_row) - 'project_id') || jsonb_build_object(
                                               'content', agentsync.content_of(v_project, c.id, c.current_version)))
               END ORDER BY c.ord), '[]'::jsonb),
           count(n.new_seq)  -- (the INSERTs above run to completion whether or not they are read)
    INTO v_answers, v_applied
    FROM classified c LEFT JOIN numbered n ON n.id = c.id;

    v_seq := v_seq + v_applied;
    UPDATE agentsync.projects SET seq = v_seq WHERE id = v_project;
    v_answer := jsonb_build_object('answers', v_answers, 'head', v_seq);
    INSERT INTO agentsync.batches (project_id, client_id, batch_id, answer) VALUES (v_project, p_client, p_batch, v_answer);
    RETURN v_answer;
END
$$;

-- Recorded here too, so that a database set up by pasting these files into an SQL editor is
-- one `agentsync remote migrate` recognises.
CREATE TABLE IF NOT EXISTS agentsync.schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO agentsync.schema_migrations (version, name) VALUES (3, 'push_text_once') ON CONFLICT (version) DO NOTHING;
