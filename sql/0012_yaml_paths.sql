-- agentsync remote, migration 12: an artifact file may be YAML.
-- Formats read `*.yaml`/`*.yml` files whose top level is a mapping with an id (the agent CLI's
-- journeys, say) as artifacts; until now a push refused any path not ending in .md. The rules
-- are otherwise migration 9's, unchanged (agentsync/remotes/pushrules.py is their port).

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
    IF NOT (starts_with(v_content, '---') OR starts_with(v_content, chr(65279))) THEN
        RETURN NULL;  -- no frontmatter
    END IF;
    v_end := strpos(v_content, E'\n---');  -- usually the closing line: the block is the text before it
    IF starts_with(v_content, E'---\n') AND v_end > 0 AND substr(v_content, v_end + 4, 1) = E'\n' THEN
        v_block := left(v_content, v_end);
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
