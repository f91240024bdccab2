-- agentsync remote, migration 16: numbers for records named by number alone.
-- adr-tools and MADR name a decision `0010-use-postgres.md`: its id is the file name, with no
-- prefix before the number. `reserve_id` now takes the empty prefix for these: the next number
-- for the type, past every id of that type that starts with a number (tombstones included), so
-- two clones writing the tenth decision at once get 10 and 11. Other prefixes are unchanged.

ALTER TABLE agentsync.id_counters DROP CONSTRAINT IF EXISTS id_counters_prefix_check;
ALTER TABLE agentsync.id_counters ADD CONSTRAINT id_counters_prefix_check CHECK (length(prefix) <= 100);

-- The highest number an id of the type starts with (`0010-use-postgres`: 10).
CREATE FUNCTION agentsync.highest_unprefixed_number(p_project bigint, p_type text) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
    SELECT coalesce(max((regexp_match(a.artifact_id, '^([0-9]{1,18})(?:[^0-9]|$)'))[1]::bigint), 0)
    FROM agentsync.artifacts a
    WHERE a.project_id = p_project AND a.artifact_type = p_type AND a.artifact_id ~ '^[0-9]'
$$;

CREATE OR REPLACE FUNCTION agentsync.reserve_id(p_project text, p_type text, p_prefix text, p_floor bigint)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, true);
    v_floor bigint;
    v_number bigint;
BEGIN
    IF p_prefix IS NULL OR (p_prefix <> '' AND p_prefix !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$') THEN
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
    v_floor := greatest(v_floor, CASE WHEN p_prefix = '' THEN agentsync.highest_unprefixed_number(v_project, p_type)
                                      ELSE agentsync.highest_id_number(v_project, p_prefix) END);
    INSERT INTO agentsync.id_counters AS c (project_id, type, prefix, last)
    VALUES (v_project, p_type, p_prefix, v_floor + 1)
    ON CONFLICT (project_id, type, prefix) DO UPDATE SET last = greatest(c.last, v_floor) + 1
    RETURNING last INTO v_number;
    RETURN v_number;
END
$$;

REVOKE ALL ON FUNCTION agentsync.highest_unprefixed_number(bigint, text) FROM PUBLIC, anon, authenticated;
