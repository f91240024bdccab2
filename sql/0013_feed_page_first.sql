-- agentsync remote, migration 13: a feed page costs the same wherever it starts.
-- pull_rows joined every artifact after the cursor with its history row, then sorted and cut the
-- page: PostgreSQL planned the join over all the remaining rows (a hash join, then a sort), so each
-- page cost time in proportion to what was still to come and a first pull of N rows cost N^2 / page
-- (20,000 rows in pages of 2,000: 0.6 s for the first page, 0.04 s for the last). The page is now
-- cut first (the feed index, artifacts_feed, gives it in order) and only its rows are joined:
-- about 0.07 s per page wherever it starts. Same columns, same rows, same order.

CREATE OR REPLACE FUNCTION agentsync.pull_rows(p_project text, p_after bigint, p_limit integer)
RETURNS TABLE (artifact_type text, artifact_id text, path text, version integer, content text, hash text,
               deleted boolean, author text, seq bigint, updated_at timestamptz, head bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, false);
BEGIN
    RETURN QUERY
        SELECT a.artifact_type, a.artifact_id, a.path, a.version, coalesce(a.content, h.content), a.hash, a.deleted,
               a.author, a.seq, a.updated_at, (SELECT p.seq FROM agentsync.projects p WHERE p.id = v_project)
        FROM (SELECT * FROM agentsync.artifacts x
              WHERE x.project_id = v_project AND x.seq > p_after
              ORDER BY x.seq
              LIMIT least(greatest(p_limit, 1), 5000)) AS a
        LEFT JOIN agentsync.history h
               ON h.project_id = a.project_id AND h.artifact_type = a.artifact_type AND h.artifact_id = a.artifact_id
              AND h.version = a.version
        ORDER BY a.seq;
END
$$;
