-- agentsync remote, migration 9: the database enforces what clients rely on.
-- 1. The change feed is provably complete: every row of a project has a seq of its own
--    (UNIQUE), and the project's counter never moves backwards.
-- 2. `push` refuses a change no client could pull (bad id, unsafe path, missing or oversized
--    content, a frontmatter `id:` other than the change's id): the whole batch, one clear line.
-- 3. Identity: a session without a token is trusted only when its login role already holds
--    the database (superuser, the agentsync schema's owner, a member of service_role); claims
--    (`request.jwt.claims`, which any session can set) count only on such a session, i.e. as
--    PostgREST sets them. Anyone else is refused by every function.
-- 4. History and lock events are append-only for every role, table owners included; `purge`
--    alone may rewrite them, as a NOLOGIN role nobody can become. Each purge is recorded.

-- 1. The feed ------------------------------------------------------------------------------

-- Keep writers out while the feed is checked and renumbered (readers go on; same lock order
-- as push: the project first).
LOCK TABLE agentsync.projects, agentsync.artifacts IN EXCLUSIVE MODE;

-- Rows written straight into the table may share a seq. A page boundary between two of them
-- loses one, so from the first shared number on, a project's rows are renumbered above its
-- head in their old order (clients then pull them again, which is harmless).
WITH shared AS (
    SELECT project_id, min(seq) AS first_shared
    FROM (SELECT project_id, seq FROM agentsync.artifacts GROUP BY project_id, seq HAVING count(*) > 1) AS d
    GROUP BY project_id
),
top AS (
    SELECT s.project_id, s.first_shared,
           greatest(p.seq, (SELECT max(a.seq) FROM agentsync.artifacts a WHERE a.project_id = s.project_id)) AS head
    FROM shared s JOIN agentsync.projects p ON p.id = s.project_id
),
renumbered AS (
    SELECT a.project_id, a.artifact_id,
           t.head + row_number() OVER (PARTITION BY a.project_id ORDER BY a.seq, a.updated_at, a.artifact_id) AS seq
    FROM agentsync.artifacts a JOIN top t ON t.project_id = a.project_id
    WHERE a.seq >= t.first_shared
)
UPDATE agentsync.artifacts a SET seq = r.seq
FROM renumbered r WHERE a.project_id = r.project_id AND a.artifact_id = r.artifact_id;

-- A head below its rows (written directly) is raised to them: rows above the head would be
-- pulled, then the cursor set back to the head.
UPDATE agentsync.projects p SET seq = m.top
FROM (SELECT project_id, max(seq) AS top FROM agentsync.artifacts GROUP BY project_id) AS m
WHERE p.id = m.project_id AND p.seq < m.top;

ALTER TABLE agentsync.artifacts ADD CONSTRAINT artifacts_project_seq_unique UNIQUE (project_id, seq);
DROP INDEX IF EXISTS agentsync.artifacts_feed;  -- the constraint's index serves the feed
ALTER TABLE agentsync.projects ADD CONSTRAINT projects_seq_not_negative CHECK (seq >= 0);

-- A counter that moved backwards would hide every later change below clients' cursors.
CREATE FUNCTION agentsync.refuse_seq_decrease() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'agentsync: the change counter of project % cannot move backwards (% -> %)',
        OLD.name, OLD.seq, NEW.seq USING ERRCODE = 'check_violation';
END
$$;
REVOKE ALL ON FUNCTION agentsync.refuse_seq_decrease() FROM PUBLIC;
CREATE TRIGGER projects_seq_forward BEFORE UPDATE OF seq ON agentsync.projects
    FOR EACH ROW WHEN (NEW.seq < OLD.seq) EXECUTE FUNCTION agentsync.refuse_seq_decrease();

-- 3. Identity ------------------------------------------------------------------------------

-- Whether the session's login role may act without a token (and may set claims for one): it
-- is a superuser, owns the agentsync schema (or is a member of its owner), or may become
-- service_role. PostgREST's `authenticator` is a member of service_role; a role that is
-- merely a member of `authenticated` is not. `session_user` is the login role, whatever
-- SET ROLE or a SECURITY DEFINER function changed since.
CREATE FUNCTION agentsync.session_trusted() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = session_user AND rolsuper)
        OR pg_has_role(session_user, (SELECT nspowner FROM pg_namespace WHERE nspname = 'agentsync'), 'MEMBER')
        OR pg_has_role(session_user, 'service_role', 'MEMBER')
$$;

-- Who is calling: 'direct' (a trusted session, no token), 'service' (the service role's key)
-- or 'user' (a signed-in user: role authenticated with a uuid `sub`); anyone else is refused.
CREATE FUNCTION agentsync.caller_kind() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_claims jsonb := agentsync.claims();
    v_role text := v_claims ->> 'role';
BEGIN
    IF NOT agentsync.session_trusted() THEN
        RAISE EXCEPTION 'agentsync: role % may not use agentsync directly: connect as the schema''s owner or a '
            'member of service_role, or go through the API with a signed-in token', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF v_claims = '{}'::jsonb THEN
        RETURN 'direct';
    ELSIF v_role = 'service_role' THEN
        RETURN 'service';
    ELSIF v_role = 'authenticated' AND coalesce(v_claims ->> 'sub', '')
            ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RETURN 'user';
    END IF;
    RAISE EXCEPTION 'agentsync: sign in first (role %)', coalesce(v_role, 'none')
        USING ERRCODE = 'insufficient_privilege';
END
$$;

-- The author of a write: a user's is the token's email (or subject), never what the client
-- claims; direct and service callers name it.
CREATE OR REPLACE FUNCTION agentsync.caller(p_claimed text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE agentsync.caller_kind()
        WHEN 'user' THEN coalesce(nullif(agentsync.claims() ->> 'email', ''), agentsync.claims() ->> 'sub')
        ELSE coalesce(nullif(p_claimed, ''), session_user::text)
    END
$$;

-- Whether the signed-in user owns the project.
CREATE FUNCTION agentsync.is_owner(p_project bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM agentsync.members WHERE project_id = p_project AND role = 'owner'
                   AND user_id = nullif(agentsync.claims() ->> 'sub', '')::uuid)
$$;

-- The project a caller may use: by name, created on the first write by a direct or service
-- caller (NULL when a read names a project that does not exist yet). A user must be a member
-- (a writer or owner, to write).
CREATE OR REPLACE FUNCTION agentsync.project_for(p_project text, p_write boolean) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_kind text := agentsync.caller_kind();
    v_id bigint;
    v_member_role text;
BEGIN
    SELECT id INTO v_id FROM agentsync.projects WHERE name = p_project;
    IF v_kind <> 'user' THEN
        IF v_id IS NULL AND p_write THEN  -- reads never create a project
            INSERT INTO agentsync.projects (name) VALUES (p_project)
            ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id INTO v_id;
        END IF;
        RETURN v_id;
    END IF;
    SELECT role INTO v_member_role FROM agentsync.members
        WHERE project_id = v_id AND user_id = (agentsync.claims() ->> 'sub')::uuid;
    IF v_id IS NULL OR v_member_role IS NULL THEN
        RAISE EXCEPTION 'agentsync: not a member of project %', p_project USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_write AND v_member_role = 'reader' THEN
        RAISE EXCEPTION 'agentsync: read-only member of project %', p_project USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN v_id;
END
$$;

-- Row-level security reads claims too: they count only on a trusted session (else a role
-- that is a member of `authenticated` could name any user's `sub` and read their projects).
CREATE OR REPLACE FUNCTION agentsync.is_member(p_project bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
    SELECT agentsync.session_trusted() AND EXISTS (
        SELECT 1 FROM agentsync.members
        WHERE project_id = p_project AND user_id = nullif(agentsync.claims() ->> 'sub', '')::uuid)
$$;

-- Membership is managed by direct or service callers, and by a project's owners.
CREATE OR REPLACE FUNCTION agentsync.add_member(p_project text, p_user uuid, p_email text, p_role text)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, true);
BEGIN
    IF agentsync.caller_kind() = 'user' AND NOT agentsync.is_owner(v_project) THEN
        RAISE EXCEPTION 'agentsync: only an owner of % can manage members', p_project
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO agentsync.members (project_id, user_id, email, role) VALUES (v_project, p_user, p_email, p_role)
    ON CONFLICT (project_id, user_id) DO UPDATE SET email = excluded.email, role = excluded.role;
    RETURN jsonb_build_object('result', 'member', 'role', p_role);
END
$$;

CREATE OR REPLACE FUNCTION agentsync.remove_member(p_project text, p_user uuid)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, true);
BEGIN
    IF agentsync.caller_kind() = 'user' AND NOT agentsync.is_owner(v_project) THEN
        RAISE EXCEPTION 'agentsync: only an owner of % can manage members', p_project
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM agentsync.members WHERE project_id = v_project AND user_id = p_user;
    RETURN jsonb_build_object('result', 'removed');
END
$$;

CREATE OR REPLACE FUNCTION agentsync.retire_client(p_project text, p_client text)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, false);
    v_removed integer;
BEGIN
    IF agentsync.caller_kind() = 'user' AND NOT agentsync.is_owner(v_project) THEN
        RAISE EXCEPTION 'agentsync: only an owner of % can retire clients', p_project
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM agentsync.clients WHERE project_id = v_project AND client_id = p_client;
    GET DIAGNOSTICS v_removed = ROW_COUNT;
    RETURN jsonb_build_object('retired', v_removed > 0);
END
$$;

-- A clone's user is the token's (as for authorship), else the name the caller gives.
CREATE OR REPLACE FUNCTION agentsync.register_client(p_project text, p_client text, p_user text, p_host text,
                                                     p_version text, p_cursor bigint)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, false);
    v_user text := agentsync.caller(p_user);
BEGIN
    IF v_project IS NULL THEN
        RETURN jsonb_build_object('registered', false);  -- nothing pushed yet: no project to join
    END IF;
    INSERT INTO agentsync.clients AS c (project_id, client_id, user_name, host, agent_version, cursor)
    VALUES (v_project, p_client, v_user, left(coalesce(p_host, ''), 200), left(coalesce(p_version, ''), 50),
            coalesce(p_cursor, 0))
    ON CONFLICT (project_id, client_id) DO UPDATE
        SET user_name = excluded.user_name, host = excluded.host, agent_version = excluded.agent_version,
            cursor = excluded.cursor, last_sync = now();
    RETURN jsonb_build_object('registered', true);
END
$$;

CREATE OR REPLACE FUNCTION agentsync.schema_version() RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
BEGIN
    PERFORM agentsync.caller_kind();
    RETURN (SELECT coalesce(max(version), 0) FROM agentsync.schema_migrations);
END
$$;

REVOKE ALL ON FUNCTION agentsync.session_trusted(), agentsync.caller_kind(), agentsync.is_owner(bigint)
    FROM PUBLIC, anon, authenticated;

-- 2. What push accepts ---------------------------------------------------------------------

-- The largest artifact text the remote stores, in bytes. Clients refuse files over their own
-- `max_file_size` (2 MiB by default); this cap keeps one writer from filling the database.
CREATE FUNCTION agentsync.max_content_bytes() RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT 10 * 1024 * 1024
$$;

-- The frontmatter of a text, from its opening line to just before its closing one, located
-- as clients do (an opening `---` line, then the first `---` or `...` line); NULL when there
-- is none. Regular expressions run on the short block only, not on the whole text.
CREATE FUNCTION agentsync.frontmatter_of(p_content text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_text text := CASE WHEN starts_with(p_content, chr(65279)) THEN substr(p_content, 2) ELSE p_content END;
    v_end integer;
    v_dots integer;
    v_line text;
BEGIN
    IF NOT starts_with(v_text, '---')
            OR NOT (starts_with(v_text, E'---\n') OR left(v_text, 300) ~ '^---[ \t]*\r?\n') THEN
        RETURN NULL;
    END IF;
    -- Usually the first line that starts with --- or ... is the closing one.
    v_end := strpos(v_text, E'\n---');
    v_dots := strpos(v_text, E'\n...');
    IF v_end = 0 OR (v_dots > 0 AND v_dots < v_end) THEN
        v_end := v_dots;
    END IF;
    v_line := substr(v_text, v_end + 1, 300);
    IF v_end > 0 AND (left(v_line, 4) IN (E'---\n', E'...\n') OR v_line ~ '^(?:---|\.\.\.)[ \t]*\r?\n'
                      OR (v_line ~ '^(?:---|\.\.\.)[ \t]*\r?$' AND substr(v_text, v_end + 301, 1) = '')) THEN
        RETURN left(v_text, v_end);
    END IF;
    -- Else (a line like `----` came first) the first closing line, the slower way.
    RETURN E'---\n' || substring(substr(v_text, strpos(v_text, E'\n') + 1)
                                 FROM '(?w)\A(.*?)^(?:---|\.\.\.)[ \t]*\r?$');
END
$$;

-- A YAML value as clients read an id: unquoted; NULL for an empty or null one (the client
-- then takes the id from the file name) and for forms this cheap reading cannot settle
-- (block scalars, anchors, tags, escapes).
CREATE FUNCTION agentsync.yaml_id(p_value text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IN ('', '~', 'null', 'Null', 'NULL') THEN NULL ELSE v END
    FROM (SELECT btrim(CASE
              WHEN r ~ '^"[^"\\]*"([ \t]+#.*)?$' THEN substring(r FROM '^"([^"\\]*)"')
              WHEN r ~ '^''(?:[^'']|'''')*''([ \t]+#.*)?$'
                  THEN replace(substring(r FROM '^''((?:[^'']|'''')*)'''), '''''', '''')
              WHEN r ~ '^[^"''|>&*!{\[#%@`]' THEN regexp_replace(r, '[ \t]+#.*$', '')
              ELSE '' END) AS v
          FROM (SELECT btrim(coalesce(p_value, ''), E' \t\r') AS r) AS raw) AS unquoted
$$;

-- Why no client could pull this change (NULL when it is fine). The rules are the client's:
-- ids as agentsync/artifact.py accepts them, paths a safe relative .md path in the work tree.
-- Usual ids and paths pass one expression each; only the others are examined rule by rule
-- (about 25 us a change of 2 kB: a push of 10,000 takes ~0.27 s longer).
CREATE FUNCTION agentsync.change_problem(p_change jsonb) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
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
    ELSIF v_path !~ '^[A-Za-z0-9_][A-Za-z0-9_. -]*(?:/[A-Za-z0-9_][A-Za-z0-9_. -]*)*\.md$' THEN
        IF v_path ~ '[\x01-\x1f\x7f\\]' THEN
            RETURN 'the path has a backslash or a control character';
        ELSIF v_path ~ '^/' THEN
            RETURN 'the path must be relative to the repository';
        ELSIF v_path ~ '(^|/)\.{0,2}(/|$)' THEN
            RETURN 'the path has an empty, "." or ".." segment';
        ELSIF lower(split_part(v_path, '/', 1)) IN ('.git', '.agentsync') THEN
            RETURN 'the path is inside .git or .agentsync';
        ELSIF v_path !~ '\.md$' THEN
            RETURN 'the path must end in .md';
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

REVOKE ALL ON FUNCTION agentsync.max_content_bytes(), agentsync.frontmatter_of(text), agentsync.yaml_id(text),
    agentsync.change_problem(jsonb) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION agentsync.max_content_bytes(), agentsync.change_problem(jsonb)
    TO authenticated, service_role;  -- so a client can ask before it pushes

-- Push as in migration 3, with every change checked first: one refused change refuses the
-- batch (nothing applied), naming the artifact and the reason.
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
    FROM (SELECT e.ord, e.value ->> 'id' AS id, agentsync.change_problem(e.value) AS problem
          FROM jsonb_array_elements(p_changes) WITH ORDINALITY AS e(value, ord)) AS c
    WHERE c.problem IS NOT NULL ORDER BY c.ord LIMIT 1;
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION 'agentsync: refused artifact %: %; nothing of this push was applied',
            coalesce('"' || left(regexp_replace(v_bad_id, '[\x01-\x1f\x7f]', '?', 'g'), 80) || '"', '(no id)'),
            v_problem USING ERRCODE = 'invalid_parameter_value';
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
               CASE WHEN cur.artifact_id IS NULL THEN greatest(1, least(coalesce(i.requested, 1), 1000000))
                    ELSE i.base + 1 END AS new_version
        FROM input i
        LEFT JOIN agentsync.artifacts cur ON cur.project_id = v_project AND cur.artifact_id = i.id
        LEFT JOIN agentsync.locks l ON l.project_id = v_project AND l.artifact_id = i.id
                                    AND l.expires_at > now() AND l.holder <> v_author
    ),
    numbered AS (  -- each applied change gets a number of its own, above the head
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

-- 4. Append-only history, lock events and purge records -------------------------------------

-- The one role that may rewrite history: purge runs as it (SECURITY DEFINER). It cannot log
-- in and nobody is granted it, so no session can become it, and no setting turns the
-- rewrite on. (A table owner can still drop the triggers: that is DDL, not a write.)
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'agentsync_purger') THEN
        CREATE ROLE agentsync_purger NOLOGIN NOINHERIT;
    ELSIF (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'agentsync_purger') THEN
        ALTER ROLE agentsync_purger NOLOGIN;  -- a role of that name made by someone else
    END IF;
END
$$;

-- Each purge, kept: when, by whom, the pseudonym and what it did (never the erased name).
CREATE TABLE agentsync.purges (
    project_id bigint NOT NULL REFERENCES agentsync.projects (id) ON DELETE CASCADE,
    replaced_by text NOT NULL,
    actor text NOT NULL,
    report jsonb NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE agentsync.purges ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON agentsync.purges FROM PUBLIC, anon, authenticated;
GRANT SELECT ON agentsync.purges TO service_role;

-- Updates only from purge (as agentsync_purger); deletes and truncates from nobody.
CREATE OR REPLACE FUNCTION agentsync.refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME IN ('history', 'lock_events') AND current_user = 'agentsync_purger' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'agentsync % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
REVOKE ALL ON FUNCTION agentsync.refuse_history_change() FROM PUBLIC;
CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON agentsync.history
    FOR EACH STATEMENT EXECUTE FUNCTION agentsync.refuse_history_change();
CREATE TRIGGER lock_events_append_only BEFORE UPDATE OR DELETE ON agentsync.lock_events
    FOR EACH ROW EXECUTE FUNCTION agentsync.refuse_history_change();
CREATE TRIGGER lock_events_no_truncate BEFORE TRUNCATE ON agentsync.lock_events
    FOR EACH STATEMENT EXECUTE FUNCTION agentsync.refuse_history_change();
CREATE TRIGGER purges_append_only BEFORE UPDATE OR DELETE ON agentsync.purges
    FOR EACH ROW EXECUTE FUNCTION agentsync.refuse_history_change();
CREATE TRIGGER purges_no_truncate BEFORE TRUNCATE ON agentsync.purges
    FOR EACH STATEMENT EXECUTE FUNCTION agentsync.refuse_history_change();

-- Purge as in migration 7, without the setting (any session could make it) and recorded.
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
            ON a.project_id = h.project_id AND a.artifact_id = h.artifact_id AND a.version = h.version
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
                                            AND a.artifact_id = h.artifact_id AND a.version = h.version)
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

-- Just what purge needs, as agentsync_purger (row-level security is on for these tables:
-- its policies let it see and change every row; FOR UPDATE on projects needs UPDATE).
GRANT USAGE ON SCHEMA agentsync TO agentsync_purger;
GRANT SELECT, UPDATE (seq) ON agentsync.projects TO agentsync_purger;
GRANT SELECT, UPDATE (content, author, client_id, summary) ON agentsync.history TO agentsync_purger;
GRANT SELECT, UPDATE (author) ON agentsync.artifacts TO agentsync_purger;
GRANT SELECT, DELETE ON agentsync.locks TO agentsync_purger;
GRANT SELECT, UPDATE (holder, actor) ON agentsync.lock_events TO agentsync_purger;
GRANT SELECT, UPDATE (email) ON agentsync.members TO agentsync_purger;
GRANT INSERT ON agentsync.purges TO agentsync_purger;
GRANT EXECUTE ON FUNCTION agentsync.caller_kind() TO agentsync_purger;
CREATE POLICY purger_all ON agentsync.projects FOR ALL TO agentsync_purger USING (true) WITH CHECK (true);
CREATE POLICY purger_all ON agentsync.history FOR ALL TO agentsync_purger USING (true) WITH CHECK (true);
CREATE POLICY purger_all ON agentsync.artifacts FOR ALL TO agentsync_purger USING (true) WITH CHECK (true);
CREATE POLICY purger_all ON agentsync.locks FOR ALL TO agentsync_purger USING (true) WITH CHECK (true);
CREATE POLICY purger_all ON agentsync.lock_events FOR ALL TO agentsync_purger USING (true) WITH CHECK (true);
CREATE POLICY purger_all ON agentsync.members FOR ALL TO agentsync_purger USING (true) WITH CHECK (true);
CREATE POLICY purger_all ON agentsync.purges FOR ALL TO agentsync_purger USING (true) WITH CHECK (true);

-- Hand purge to agentsync_purger. Changing an owner needs membership in the new owner and
-- its CREATE on the schema: both are granted for this block only. The schema's owner (a
-- direct caller) keeps the right to call purge, as before. (A later migration that
-- restates purge does the same.)
GRANT CREATE ON SCHEMA agentsync TO agentsync_purger;
DO $$
DECLARE
    v_member boolean := NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user);
BEGIN
    IF v_member THEN
        EXECUTE format('GRANT agentsync_purger TO %I', current_user);
    END IF;
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
INSERT INTO agentsync.schema_migrations (version, name) VALUES (9, 'hardening') ON CONFLICT (version) DO NOTHING;
