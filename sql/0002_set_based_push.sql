-- agentsync remote, migration 2: push applies a batch with set operations instead of a loop
-- (10,000 changes: ~3 s -> well under 1 s). Same answers, same guarantees: the project's
-- counter row is locked first, so numbers are handed out in commit order; version and lease
-- checks happen in the statement that applies the changes.

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
               coalesce(c.value ->> 'summary', '') AS summary
        FROM jsonb_array_elements(p_changes) WITH ORDINALITY AS c(value, ord)
    ),
    classified AS (
        SELECT i.*, cur AS current_row, cur.version AS current_version, l.holder, l.expires_at,
               CASE WHEN l.holder IS NOT NULL THEN 'locked'
                    WHEN coalesce(cur.version, 0) <> i.base THEN 'conflict'
                    ELSE 'applied' END AS result
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
        SELECT v_project, n.id, n.path, n.base + 1, CASE WHEN n.deleted THEN NULL ELSE n.content END,
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
        SELECT v_project, n.id, n.base + 1, n.path, CASE WHEN n.deleted THEN NULL ELSE n.content END,
               CASE WHEN n.deleted THEN NULL ELSE n.hash END, n.deleted, v_author, n.new_seq, p_client, n.summary
        FROM numbered n
        RETURNING 1
    )
    SELECT coalesce(jsonb_agg(
               CASE c.result
                   WHEN 'applied' THEN jsonb_build_object('id', c.id, 'result', 'applied', 'version', c.base + 1,
                                                          'seq', n.new_seq)
                   WHEN 'locked' THEN jsonb_build_object('id', c.id, 'result', 'locked', 'holder', c.holder,
                                                         'expires_at', c.expires_at)
                   ELSE jsonb_build_object('id', c.id, 'result', 'conflict',
                                           'remote', to_jsonb(c.current_row) - 'project_id')
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

-- Artifact texts are a few kB of Markdown: stored uncompressed, a push of 10,000 spends a
-- third less time in the database (pglz is the only compression some builds offer).
ALTER TABLE agentsync.artifacts ALTER COLUMN content SET STORAGE EXTERNAL;
ALTER TABLE agentsync.history ALTER COLUMN content SET STORAGE EXTERNAL;

-- Recorded here too, so that a database set up by pasting these files into an SQL editor is
-- one `agentsync remote migrate` recognises.
CREATE TABLE IF NOT EXISTS agentsync.schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO agentsync.schema_migrations (version, name) VALUES (2, 'set_based_push') ON CONFLICT (version) DO NOTHING;
