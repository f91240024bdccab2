-- agentsync remote, migration 5: a notification for every committed change.
-- Watchers on a direct PostgreSQL connection `LISTEN agentsync_changes` and pull as soon as a
-- push commits, instead of waiting for their next head check. The payload is
-- {"project": NAME, "head": SEQ}: no content, no author. PostgreSQL delivers notifications
-- only when the pushing transaction commits, and in commit order; a listener compares the
-- head with its cursor and ignores its own pushes.
-- Any role that may connect can LISTEN on any channel: a project's name and change count
-- are visible to every database user (Supabase: to the direct connection's users, never
-- through the API). Over Supabase's API, watchers check the head instead.

CREATE FUNCTION agentsync.notify_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = agentsync, pg_temp AS $$
BEGIN
    PERFORM pg_notify('agentsync_changes', json_build_object('project', NEW.name, 'head', NEW.seq)::text);
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION agentsync.notify_change() FROM PUBLIC;

CREATE TRIGGER projects_notify_change
    AFTER UPDATE OF seq ON agentsync.projects
    FOR EACH ROW WHEN (NEW.seq > OLD.seq)
    EXECUTE FUNCTION agentsync.notify_change();

-- Recorded here too, so that a database set up by pasting these files into an SQL editor is
-- one `agentsync remote migrate` recognises.
CREATE TABLE IF NOT EXISTS agentsync.schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO agentsync.schema_migrations (version, name) VALUES (5, 'change_notify') ON CONFLICT (version) DO NOTHING;
