-- agentsync remote, migration 1: projects, members, artifacts with tombstones, append-only
-- history, locks, applied client batches, row-level security, and the functions clients call.
--
-- Runs unchanged on a stock Supabase project (SQL editor or migration tooling) and on plain
-- PostgreSQL 14+. On Supabase, PostgREST sets `request.jwt.claims` for each request; on a
-- direct connection there are no claims and the connecting role is trusted (it holds the
-- database credentials). Clients never write tables: every write goes through a function
-- below, which checks versions and locks in the same transaction that applies the change.

CREATE SCHEMA IF NOT EXISTS agentsync;

-- The roles a Supabase project has; created here (without login) when they are missing so
-- that the grants below run on plain PostgreSQL too.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        CREATE ROLE authenticated NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
        CREATE ROLE service_role NOLOGIN BYPASSRLS;
    END IF;
END
$$;

CREATE TABLE agentsync.projects (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'),
    -- The change counter. Every write locks this row and stamps its changes with the next
    -- values, so the order of numbers is the order of commits: a reader paging by `seq`
    -- can never skip a change that commits late.
    seq bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agentsync.members (
    project_id bigint NOT NULL REFERENCES agentsync.projects (id) ON DELETE CASCADE,
    user_id uuid NOT NULL,
    email text,
    role text NOT NULL DEFAULT 'writer' CHECK (role IN ('reader', 'writer', 'owner')),
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, user_id)
);

-- The current version of each artifact; a deletion is a tombstone (deleted, no content).
CREATE TABLE agentsync.artifacts (
    project_id bigint NOT NULL REFERENCES agentsync.projects (id) ON DELETE CASCADE,
    artifact_id text NOT NULL CHECK (length(artifact_id) BETWEEN 1 AND 200),
    path text NOT NULL CHECK (length(path) BETWEEN 1 AND 1000),
    version integer NOT NULL CHECK (version > 0),
    content text,
    hash text,
    deleted boolean NOT NULL DEFAULT false,
    author text NOT NULL,
    seq bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, artifact_id),
    CHECK (deleted OR content IS NOT NULL)
);
CREATE INDEX artifacts_feed ON agentsync.artifacts (project_id, seq);

-- Every version ever applied, with its content: read by merges and `log`, never altered.
CREATE TABLE agentsync.history (
    project_id bigint NOT NULL REFERENCES agentsync.projects (id) ON DELETE CASCADE,
    artifact_id text NOT NULL,
    version integer NOT NULL,
    path text NOT NULL,
    content text,
    hash text,
    deleted boolean NOT NULL,
    author text NOT NULL,
    seq bigint NOT NULL,
    client_id text,
    summary text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, artifact_id, version)
);

CREATE TABLE agentsync.locks (
    project_id bigint NOT NULL REFERENCES agentsync.projects (id) ON DELETE CASCADE,
    artifact_id text NOT NULL,
    holder text NOT NULL,
    acquired_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (project_id, artifact_id)
);

-- Lock events worth keeping: forced unlocks (who broke whose lock, when).
CREATE TABLE agentsync.lock_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES agentsync.projects (id) ON DELETE CASCADE,
    artifact_id text NOT NULL,
    event text NOT NULL,
    holder text NOT NULL,
    actor text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);

-- The answer to each applied batch, so a retried batch returns it and applies nothing twice.
CREATE TABLE agentsync.batches (
    project_id bigint NOT NULL REFERENCES agentsync.projects (id) ON DELETE CASCADE,
    client_id text NOT NULL,
    batch_id text NOT NULL,
    answer jsonb NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, client_id, batch_id)
);

-- History is append-only for everyone, table owners included.
CREATE FUNCTION agentsync.refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'agentsync history is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON agentsync.history
    FOR EACH ROW EXECUTE FUNCTION agentsync.refuse_history_change();

-- Who is calling: the JWT's claims when PostgREST set them, else nobody (a direct connection).
CREATE FUNCTION agentsync.claims() RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$$;

-- The caller's identity for authorship: the verified token's email (or subject) when there
-- is one, else the name the direct client gives.
CREATE FUNCTION agentsync.caller(p_claimed text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        nullif(agentsync.claims() ->> 'email', ''),
        nullif(agentsync.claims() ->> 'sub', ''),
        nullif(p_claimed, ''),
        session_user::text
    )
$$;

-- The project a caller may use: by name, created on the first write by a direct or service
-- caller (NULL when a read names a project that does not exist yet).
-- A user with a token must be a member (a writer or owner, to write).
CREATE FUNCTION agentsync.project_for(p_project text, p_write boolean) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_id bigint;
    v_role text := agentsync.claims() ->> 'role';
    v_user uuid := nullif(agentsync.claims() ->> 'sub', '')::uuid;
    v_member_role text;
BEGIN
    SELECT id INTO v_id FROM agentsync.projects WHERE name = p_project;
    IF v_role IS NULL OR v_role = 'service_role' THEN
        IF v_id IS NULL AND p_write THEN  -- reads never create a project
            INSERT INTO agentsync.projects (name) VALUES (p_project)
            ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id INTO v_id;
        END IF;
        RETURN v_id;
    END IF;
    IF v_role <> 'authenticated' OR v_user IS NULL THEN
        RAISE EXCEPTION 'agentsync: sign in first (role %)', coalesce(v_role, 'none')
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT role INTO v_member_role FROM agentsync.members WHERE project_id = v_id AND user_id = v_user;
    IF v_id IS NULL OR v_member_role IS NULL THEN
        RAISE EXCEPTION 'agentsync: not a member of project %', p_project USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_write AND v_member_role = 'reader' THEN
        RAISE EXCEPTION 'agentsync: read-only member of project %', p_project USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN v_id;
END
$$;

-- Apply a batch of changes. Each change: {"id", "path", "base" (the version it was based
-- on, 0 for new), "content" (null with "deleted": true for a deletion), "hash", "summary"}.
-- Each answer: {"id", "result": "applied", "version", "seq"} | {"id", "result": "conflict",
-- "remote": {...current row...}} | {"id", "result": "locked", "holder", "expires_at"}.
CREATE FUNCTION agentsync.push(p_project text, p_client text, p_batch text, p_author text, p_changes jsonb)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, true);
    v_author text := agentsync.caller(p_author);
    v_seq bigint;
    v_change jsonb;
    v_answers jsonb := '[]'::jsonb;
    v_answer jsonb;
    v_current agentsync.artifacts%ROWTYPE;
    v_lock agentsync.locks%ROWTYPE;
    v_base integer;
    v_deleted boolean;
BEGIN
    IF jsonb_typeof(p_changes) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'agentsync: changes must be a JSON array' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- One writer per project at a time: numbers are handed out in commit order.
    SELECT seq INTO v_seq FROM agentsync.projects WHERE id = v_project FOR UPDATE;
    SELECT answer INTO v_answer FROM agentsync.batches
        WHERE project_id = v_project AND client_id = p_client AND batch_id = p_batch;
    IF FOUND THEN
        RETURN v_answer || '{"replayed": true}'::jsonb;
    END IF;
    FOR v_change IN SELECT value FROM jsonb_array_elements(p_changes) LOOP
        v_base := coalesce((v_change ->> 'base')::integer, 0);
        v_deleted := coalesce((v_change ->> 'deleted')::boolean, false);
        SELECT * INTO v_current FROM agentsync.artifacts
            WHERE project_id = v_project AND artifact_id = v_change ->> 'id' FOR UPDATE;
        SELECT * INTO v_lock FROM agentsync.locks
            WHERE project_id = v_project AND artifact_id = v_change ->> 'id' AND expires_at > now()
              AND holder <> v_author;
        IF FOUND THEN
            v_answers := v_answers || jsonb_build_object('id', v_change ->> 'id', 'result', 'locked',
                'holder', v_lock.holder, 'expires_at', v_lock.expires_at);
            CONTINUE;
        END IF;
        IF coalesce(v_current.version, 0) <> v_base THEN
            v_answers := v_answers || jsonb_build_object('id', v_change ->> 'id', 'result', 'conflict',
                'remote', to_jsonb(v_current) - 'project_id');
            CONTINUE;
        END IF;
        v_seq := v_seq + 1;
        INSERT INTO agentsync.artifacts AS a (project_id, artifact_id, path, version, content, hash, deleted,
                                              author, seq, updated_at)
        VALUES (v_project, v_change ->> 'id', v_change ->> 'path', v_base + 1,
                CASE WHEN v_deleted THEN NULL ELSE v_change ->> 'content' END,
                CASE WHEN v_deleted THEN NULL ELSE v_change ->> 'hash' END,
                v_deleted, v_author, v_seq, now())
        ON CONFLICT (project_id, artifact_id) DO UPDATE
            SET path = excluded.path, version = excluded.version, content = excluded.content,
                hash = excluded.hash, deleted = excluded.deleted, author = excluded.author,
                seq = excluded.seq, updated_at = excluded.updated_at;
        INSERT INTO agentsync.history (project_id, artifact_id, version, path, content, hash, deleted, author,
                                       seq, client_id, summary)
        VALUES (v_project, v_change ->> 'id', v_base + 1, v_change ->> 'path',
                CASE WHEN v_deleted THEN NULL ELSE v_change ->> 'content' END,
                CASE WHEN v_deleted THEN NULL ELSE v_change ->> 'hash' END,
                v_deleted, v_author, v_seq, p_client, coalesce(v_change ->> 'summary', ''));
        v_answers := v_answers || jsonb_build_object('id', v_change ->> 'id', 'result', 'applied',
            'version', v_base + 1, 'seq', v_seq);
    END LOOP;
    UPDATE agentsync.projects SET seq = v_seq WHERE id = v_project;
    v_answer := jsonb_build_object('answers', v_answers, 'head', v_seq);
    INSERT INTO agentsync.batches (project_id, client_id, batch_id, answer)
        VALUES (v_project, p_client, p_batch, v_answer);
    RETURN v_answer;
END
$$;

-- A page of the change feed: current rows (tombstones included) changed after `p_after`,
-- in commit order. The next page starts after the last row's seq.
CREATE FUNCTION agentsync.pull(p_project text, p_after bigint, p_limit integer)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, false);
BEGIN
    RETURN jsonb_build_object(
        'head', coalesce((SELECT seq FROM agentsync.projects WHERE id = v_project), 0),
        'rows', coalesce((
            SELECT jsonb_agg(to_jsonb(page) - 'project_id' ORDER BY page.seq)
            FROM (
                SELECT * FROM agentsync.artifacts
                WHERE project_id = v_project AND seq > p_after
                ORDER BY seq
                LIMIT least(greatest(p_limit, 1), 5000)
            ) AS page
        ), '[]'::jsonb)
    );
END
$$;

-- The project's latest change number: the cheap check a watcher polls.
CREATE FUNCTION agentsync.head(p_project text)
RETURNS bigint LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
BEGIN
    RETURN coalesce((SELECT seq FROM agentsync.projects WHERE id = agentsync.project_for(p_project, false)), 0);
END
$$;

-- Take or renew a lease on one artifact. Answers {"result": "locked", "holder", "expires_at"}
-- when it is yours now, or {"result": "held", ...} with the other holder.
CREATE FUNCTION agentsync.lock(p_project text, p_artifact text, p_holder text, p_ttl_seconds integer)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, true);
    v_holder text := agentsync.caller(p_holder);
    v_lock agentsync.locks%ROWTYPE;
BEGIN
    PERFORM 1 FROM agentsync.projects WHERE id = v_project FOR UPDATE;
    SELECT * INTO v_lock FROM agentsync.locks WHERE project_id = v_project AND artifact_id = p_artifact;
    IF FOUND AND v_lock.expires_at > now() AND v_lock.holder <> v_holder THEN
        RETURN jsonb_build_object('result', 'held', 'holder', v_lock.holder, 'expires_at', v_lock.expires_at);
    END IF;
    INSERT INTO agentsync.locks (project_id, artifact_id, holder, expires_at)
    VALUES (v_project, p_artifact, v_holder, now() + make_interval(secs => greatest(p_ttl_seconds, 1)))
    ON CONFLICT (project_id, artifact_id) DO UPDATE
        SET holder = excluded.holder, acquired_at = now(), expires_at = excluded.expires_at
    RETURNING * INTO v_lock;
    RETURN jsonb_build_object('result', 'locked', 'holder', v_lock.holder, 'expires_at', v_lock.expires_at);
END
$$;

-- Release a lease: your own, or (p_force) anyone's, which is recorded.
CREATE FUNCTION agentsync.unlock(p_project text, p_artifact text, p_holder text, p_force boolean)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, true);
    v_actor text := agentsync.caller(p_holder);
    v_lock agentsync.locks%ROWTYPE;
BEGIN
    SELECT * INTO v_lock FROM agentsync.locks WHERE project_id = v_project AND artifact_id = p_artifact FOR UPDATE;
    IF NOT FOUND OR v_lock.expires_at <= now() THEN
        DELETE FROM agentsync.locks WHERE project_id = v_project AND artifact_id = p_artifact;
        RETURN jsonb_build_object('result', 'not_locked');
    END IF;
    IF v_lock.holder <> v_actor AND NOT p_force THEN
        RETURN jsonb_build_object('result', 'held', 'holder', v_lock.holder, 'expires_at', v_lock.expires_at);
    END IF;
    DELETE FROM agentsync.locks WHERE project_id = v_project AND artifact_id = p_artifact;
    IF v_lock.holder <> v_actor THEN
        INSERT INTO agentsync.lock_events (project_id, artifact_id, event, holder, actor)
        VALUES (v_project, p_artifact, 'forced_unlock', v_lock.holder, v_actor);
    END IF;
    RETURN jsonb_build_object('result', 'unlocked', 'holder', v_lock.holder,
                              'forced', v_lock.holder <> v_actor);
END
$$;

CREATE FUNCTION agentsync.locks(p_project text)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, false);
BEGIN
    RETURN coalesce((
        SELECT jsonb_agg(jsonb_build_object('id', artifact_id, 'holder', holder, 'acquired_at', acquired_at,
                                            'expires_at', expires_at) ORDER BY artifact_id)
        FROM agentsync.locks WHERE project_id = v_project AND expires_at > now()
    ), '[]'::jsonb);
END
$$;

CREATE FUNCTION agentsync.history(p_project text, p_artifact text, p_limit integer)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_project bigint := agentsync.project_for(p_project, false);
BEGIN
    RETURN coalesce((
        SELECT jsonb_agg(to_jsonb(h) - 'project_id' ORDER BY h.version DESC)
        FROM (SELECT * FROM agentsync.history WHERE project_id = v_project AND artifact_id = p_artifact
              ORDER BY version DESC LIMIT least(greatest(p_limit, 1), 1000)) AS h
    ), '[]'::jsonb);
END
$$;

-- Membership is managed by direct or service callers, and by a project's owners.
CREATE FUNCTION agentsync.add_member(p_project text, p_user uuid, p_email text, p_role text)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_role text := agentsync.claims() ->> 'role';
    v_project bigint;
BEGIN
    IF v_role IS NOT NULL AND v_role <> 'service_role' THEN
        v_project := agentsync.project_for(p_project, true);
        IF NOT EXISTS (SELECT 1 FROM agentsync.members WHERE project_id = v_project
                       AND user_id = nullif(agentsync.claims() ->> 'sub', '')::uuid AND role = 'owner') THEN
            RAISE EXCEPTION 'agentsync: only an owner of % can manage members', p_project
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSE
        v_project := agentsync.project_for(p_project, true);
    END IF;
    INSERT INTO agentsync.members (project_id, user_id, email, role) VALUES (v_project, p_user, p_email, p_role)
    ON CONFLICT (project_id, user_id) DO UPDATE SET email = excluded.email, role = excluded.role;
    RETURN jsonb_build_object('result', 'member', 'role', p_role);
END
$$;

CREATE FUNCTION agentsync.remove_member(p_project text, p_user uuid)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
DECLARE
    v_role text := agentsync.claims() ->> 'role';
    v_project bigint := agentsync.project_for(p_project, true);
BEGIN
    IF v_role IS NOT NULL AND v_role <> 'service_role' AND NOT EXISTS (
        SELECT 1 FROM agentsync.members WHERE project_id = v_project
        AND user_id = nullif(agentsync.claims() ->> 'sub', '')::uuid AND role = 'owner') THEN
        RAISE EXCEPTION 'agentsync: only an owner of % can manage members', p_project
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM agentsync.members WHERE project_id = v_project AND user_id = p_user;
    RETURN jsonb_build_object('result', 'removed');
END
$$;

-- Row-level security: members read their projects' rows; nobody writes tables directly.
ALTER TABLE agentsync.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE agentsync.members ENABLE ROW LEVEL SECURITY;
ALTER TABLE agentsync.artifacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE agentsync.history ENABLE ROW LEVEL SECURITY;
ALTER TABLE agentsync.locks ENABLE ROW LEVEL SECURITY;
ALTER TABLE agentsync.lock_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE agentsync.batches ENABLE ROW LEVEL SECURITY;

CREATE FUNCTION agentsync.is_member(p_project bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = agentsync, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM agentsync.members
                   WHERE project_id = p_project AND user_id = nullif(agentsync.claims() ->> 'sub', '')::uuid)
$$;

CREATE POLICY members_read ON agentsync.projects FOR SELECT TO authenticated USING (agentsync.is_member(id));
CREATE POLICY members_read ON agentsync.members FOR SELECT TO authenticated USING (agentsync.is_member(project_id));
CREATE POLICY members_read ON agentsync.artifacts FOR SELECT TO authenticated USING (agentsync.is_member(project_id));
CREATE POLICY members_read ON agentsync.history FOR SELECT TO authenticated USING (agentsync.is_member(project_id));
CREATE POLICY members_read ON agentsync.locks FOR SELECT TO authenticated USING (agentsync.is_member(project_id));

REVOKE ALL ON ALL TABLES IN SCHEMA agentsync FROM PUBLIC, anon, authenticated;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA agentsync FROM PUBLIC, anon;
GRANT USAGE ON SCHEMA agentsync TO authenticated, service_role;
GRANT SELECT ON agentsync.projects, agentsync.members, agentsync.artifacts, agentsync.history, agentsync.locks
    TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA agentsync TO service_role;
GRANT EXECUTE ON FUNCTION agentsync.push(text, text, text, text, jsonb), agentsync.pull(text, bigint, integer),
    agentsync.head(text), agentsync.lock(text, text, text, integer), agentsync.unlock(text, text, text, boolean),
    agentsync.locks(text), agentsync.history(text, text, integer), agentsync.add_member(text, uuid, text, text),
    agentsync.remove_member(text, uuid) TO authenticated, service_role;
-- Policies call these as the querying role.
GRANT EXECUTE ON FUNCTION agentsync.is_member(bigint), agentsync.claims() TO authenticated;

-- Recorded here too, so that a database set up by pasting these files into an SQL editor is
-- one `agentsync remote migrate` recognises.
CREATE TABLE IF NOT EXISTS agentsync.schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO agentsync.schema_migrations (version, name) VALUES (1, 'core') ON CONFLICT (version) DO NOTHING;
