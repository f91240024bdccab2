-- agentsync remote, migration 14: checking a pushed change costs what its frontmatter costs, not
-- what its whole text does. change_problem tested the text's start with starts_with() and the
-- character after the closing `---` with substr(): on PostgreSQL 16 both count every character
-- of an in-memory (untoasted) text first (text_substring), so each change's check read its whole
-- content twice, character by character: 0.065 s of the 0.115 s a batch of 600 changes of ~4 kB
-- took (a third of a push's server time). left() stops at the characters it is asked for, and
-- the character after `---` is read from the text up to it. Same rules, same answers
-- (agentsync/remotes/pushrules.py is their port, unchanged).

CREATE OR REPLACE FUNCTION agentsync.change_problem(p_change jsonb) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_id text := p_change ->> 'id';
    v_path text := p_change ->> 'path';
    v_content text;
    v_end integer;
    v_block text;
    v_first text;
    v_last text;
    v_stated text;
BEGIN
    IF jsonb_typeof(p_change) IS DISTINCT FROM 'object' THEN
        RETURN 'a change must be a JSON object';
    ELSIF jsonb_typeof(p_change -> 'id') IS DISTINCT FROM 'string' OR length(v_id) NOT BETWEEN 1 AND 200 THEN
        RETURN 'the id must be a string of 1 to 200 characters';
    ELSIF v_id !~ '^[A-Za-z0-9][A-Za-z0-9._-]*$' THEN
        IF v_id ~ '[\x01-\x1f\x7f/\\]' THEN
            RETURN 'the id has a slash, a backslash or a control character';
        ELSIF v_id IN ('.', '..') OR v_id ~ '^\s|\s$' THEN
            RETURN 'the id is "." or "..", or starts or ends with white space';
        END IF;
    END IF;
    IF jsonb_typeof(p_change -> 'path') IS DISTINCT FROM 'string' OR length(v_path) NOT BETWEEN 1 AND 1000 THEN
        RETURN 'the path must be a string of 1 to 1000 characters';
    ELSIF v_path !~ '^[A-Za-z0-9_][A-Za-z0-9_. -]*(?:/[A-Za-z0-9_][A-Za-z0-9_. -]*)*\.(?:md|ya?ml)$' THEN
        IF v_path ~ '[\x01-\x1f\x7f\\]' THEN
            RETURN 'the path has a backslash or a control character';
        ELSIF v_path ~ '^/' THEN
            RETURN 'the path must be relative to the repository';
        ELSIF v_path ~ '(^|/)\.{0,2}(/|$)' THEN
            RETURN 'the path has an empty, "." or ".." segment';
        ELSIF lower(split_part(v_path, '/', 1)) IN ('.git', '.agentsync') THEN
            RETURN 'the path is inside .git or .agentsync';
        ELSIF v_path !~ '\.(?:md|ya?ml)$' THEN
            RETURN 'the path must end in .md, .yaml or .yml';
        END IF;
    END IF;
    IF octet_length(v_path) > 255
            AND EXISTS (SELECT 1 FROM unnest(string_to_array(v_path, '/')) AS s WHERE octet_length(s) > 255) THEN
        RETURN 'a path segment is longer than 255 bytes';
    ELSIF coalesce((p_change ->> 'deleted')::boolean, false) THEN
        RETURN NULL;  -- a deletion carries no content
    ELSIF jsonb_typeof(p_change -> 'content') IS DISTINCT FROM 'string' THEN
        RETURN 'a change that is not a deletion must carry its content';
    END IF;
    v_content := p_change ->> 'content';
    IF octet_length(v_content) > agentsync.max_content_bytes() THEN
        RETURN format('the content is %s bytes, over the remote''s limit of %s', octet_length(v_content),
                      agentsync.max_content_bytes());
    END IF;
    -- The frontmatter's `id:` (its first and last, should a text carry two) must be the change's.
    IF NOT (v_content LIKE '---%' OR v_content LIKE chr(65279) || '%') THEN
        RETURN NULL;  -- no frontmatter
    END IF;
    v_end := strpos(v_content, E'\n---');  -- usually the closing line: the block is the text before it
    IF v_content LIKE E'---\n%' AND v_end > 0 AND strpos(v_content, E'\n---\n') = v_end THEN
        v_block := split_part(v_content, E'\n---', 1) || E'\n';  -- left(v_content, v_end), read up to there only
        IF strpos(v_block, E'\n...') > 0 THEN
            v_block := NULL;  -- a `...` line may close it first
        END IF;
    END IF;
    v_block := coalesce(v_block, agentsync.frontmatter_of(v_content)) || E'\n';
    IF v_block IS NULL OR (strpos(v_block, E'\nid') = 0 AND strpos(v_block, E'\n''id') = 0
                           AND strpos(v_block, E'\n"id') = 0) THEN
        RETURN NULL;  -- no frontmatter, or no id in it
    ELSIF strpos(v_block, E'\nid: ' || v_id || E'\n') > 0 AND strpos(v_block, E'\n''id') = 0
            AND strpos(v_block, E'\n"id') = 0 AND length(replace(v_block, E'\nid', '')) = length(v_block) - 3 THEN
        RETURN NULL;  -- the usual `id: ID` line, and no other
    END IF;
    v_first := agentsync.yaml_id(substring(v_block FROM '\n(?:id|''id''|"id")[ \t]*:([ \t][^\n]*)?\n'));
    v_last := agentsync.yaml_id(substring(v_block FROM '^.*\n(?:id|''id''|"id")[ \t]*:([ \t][^\n]*)?\n'));
    v_stated := CASE WHEN v_first <> v_id THEN v_first WHEN v_last <> v_id THEN v_last END;
    IF v_stated IS NOT NULL THEN
        RETURN format('its frontmatter says id: %s', left(regexp_replace(v_stated, '[\x01-\x1f\x7f]', '?', 'g'), 80));
    END IF;
    RETURN NULL;
END
$$;
