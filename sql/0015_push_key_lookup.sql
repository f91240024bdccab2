-- agentsync remote, migration 15: a push batch costs the same however large its project has grown.
-- The push joined a batch's changes with the project's rows by key, and PostgreSQL planned that
-- join from its statistics, which lag behind a large push: after a first push of 10,000 rows they
-- said the table held 10,000 rows, all of another project, so the growing project was estimated
-- at 1 row and every batch read and hashed all of its rows (EXPLAIN ANALYZE, one batch of 600
-- into a project of 100,000 rows: 195 ms, 121 ms of it the hash of 100,000 rows; a push of
-- 100,000 cost the server 21x the CPU of a push of 10,000). Now each change's row is looked up
-- by its key, once per change: a lateral subquery with LIMIT 1 (the key is unique: no answer
-- changes) cannot become a hash join, and a generic plan does not plan for one project's
-- estimate, so it probes the key's index rather than another index on the project alone.
-- Otherwise the function is migration 11's, unchanged.

CREATE OR REPLACE FUNCTION agentsync.push(p_project text, p_client text, p_batch text, p_author text, p_changes jsonb)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp
    SET plan_cache_mode = force_generic_plan AS $$
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
        LEFT JOIN LATERAL (  -- one probe of the key's index per change (LIMIT 1: never a hash join)
            SELECT a.* FROM agentsync.artifacts a
            WHERE a.project_id = v_project AND a.artifact_type = i.type AND a.artifact_id = i.id
            LIMIT 1) cur ON true
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

