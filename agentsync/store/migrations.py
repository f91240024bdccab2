"""The mirror's migrations, in order: each a script of SQL statements that runs once
(``agentsync.store.schema.migrate``), the comment above it saying what it changes and why."""

from __future__ import annotations

from agentsync.store.triggers import (
    BASE_TRIGGERS,
    COMPARE_TRIGGERS,
    FTS_TRIGGERS,
    KEPT_TEXT_TRIGGERS,
    STAT_TRIGGERS,
)

MIGRATIONS: list[str] = [
    # 1: artifacts, full-text search, problems from the last scan, key/value metadata
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE artifacts (
        pk INTEGER PRIMARY KEY,            -- stable rowid for the full-text index
        id TEXT NOT NULL UNIQUE,           -- frontmatter id, else derived from the file name
        path TEXT NOT NULL UNIQUE,         -- repository-relative, with /
        type TEXT NOT NULL,
        title TEXT NOT NULL,
        status TEXT,
        version INTEGER NOT NULL DEFAULT 0,
        layout TEXT NOT NULL,              -- frontmatter | agent | plain
        hash TEXT NOT NULL,                -- sha256 of the file's bytes
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,         -- -1: modified while mirrored, re-read next scan
        mirrored_at TEXT NOT NULL,
        -- Large columns last: reading the ones above never walks a file's overflow pages.
        fields TEXT NOT NULL DEFAULT '{}', -- all frontmatter keys as JSON
        content TEXT NOT NULL              -- the file's exact text
    );
    CREATE INDEX artifacts_type_status ON artifacts(type, status);
    CREATE VIRTUAL TABLE artifacts_fts USING fts5(
        title, content, content='artifacts', content_rowid='pk'
    );
    """
    + FTS_TRIGGERS
    + """
    CREATE TABLE problems (
        path TEXT PRIMARY KEY,
        line INTEGER,
        message TEXT NOT NULL,
        seen_at TEXT NOT NULL
    );
    """,
    # 2: the file's hash apart from the content's, and the git fields' values at HEAD.
    # The table is rebuilt (rowids kept, so the full-text index stays valid) to place
    # disk_hash before the large columns: export reads it for every row.
    """
    CREATE TABLE artifacts_v2 (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        title TEXT NOT NULL,
        status TEXT,
        version INTEGER NOT NULL DEFAULT 0,
        layout TEXT NOT NULL,
        hash TEXT NOT NULL,                -- sha256 of the content below
        disk_hash TEXT NOT NULL,           -- sha256 of the work-tree file when last mirrored or written;
                                           -- differs from hash while the mirror holds content not yet in the file
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        mirrored_at TEXT NOT NULL,
        fields TEXT NOT NULL DEFAULT '{}',
        content TEXT NOT NULL
    );
    INSERT INTO artifacts_v2(pk, id, path, type, title, status, version, layout, hash, disk_hash, size, mtime_ns,
                             mirrored_at, fields, content)
    SELECT pk, id, path, type, title, status, version, layout, hash, hash, size, mtime_ns, mirrored_at, fields, content
    FROM artifacts;
    DROP TABLE artifacts;
    ALTER TABLE artifacts_v2 RENAME TO artifacts;
    CREATE INDEX artifacts_type_status ON artifacts(type, status);
    """
    + FTS_TRIGGERS
    + """
    -- Artifact files in HEAD's tree (meta 'git_head' names the commit) and their git fields.
    CREATE TABLE git_heads (
        path TEXT PRIMARY KEY,             -- relative to the agentsync root, with /
        blob TEXT NOT NULL,                -- git blob id at HEAD
        id TEXT,                           -- artifact id at HEAD; NULL if it did not parse
        fields TEXT NOT NULL DEFAULT '{}'  -- the git fields' values at HEAD, as JSON
    );
    CREATE INDEX git_heads_id ON git_heads(id);
    """,
    # 3: sync state: what was last agreed with the remote, the remote's rows, recorded conflicts
    """
    CREATE TABLE sync_base (
        id TEXT PRIMARY KEY,               -- artifact id
        path TEXT NOT NULL,
        version INTEGER NOT NULL,          -- the remote version last agreed
        hash TEXT,                         -- sha256 of the file as agreed; NULL for a tombstone
        deleted INTEGER NOT NULL DEFAULT 0,
        content TEXT                       -- the agreed text (the base of a three-way merge)
    );
    CREATE TABLE remote_rows (
        id TEXT PRIMARY KEY,               -- the remote's current row per artifact, as fetched
        path TEXT NOT NULL,
        version INTEGER NOT NULL,
        hash TEXT,
        deleted INTEGER NOT NULL DEFAULT 0,
        author TEXT NOT NULL,
        seq INTEGER NOT NULL,
        updated_at TEXT,
        content TEXT
    );
    CREATE TABLE conflicts (
        id TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        kind TEXT NOT NULL,                -- push | pull | deleted_here | deleted_there
        remote_version INTEGER NOT NULL,
        remote_author TEXT,
        message TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    );
    -- A batch is written here before it is sent and removed with its answer applied, so a
    -- batch whose answer was lost (or a crash) is resent with the same id: applied once.
    CREATE TABLE outbox (
        batch_id TEXT PRIMARY KEY,
        changes TEXT NOT NULL,             -- JSON list of changes, as sent
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    """,
    # 4: what a merge conflict was made of, so that `resolve` can take either side and `diff`
    # can show all three. (kind: push | merge | ...; the file holds the markers meanwhile.)
    """
    ALTER TABLE conflicts ADD COLUMN base TEXT;         -- the common version's text (NULL: none)
    ALTER TABLE conflicts ADD COLUMN ours TEXT;         -- the work-tree file before the merge
    ALTER TABLE conflicts ADD COLUMN theirs TEXT;       -- the remote's text, Git's fields kept
    ALTER TABLE conflicts ADD COLUMN theirs_hash TEXT;  -- its hash: sync_base once resolved
    """,
    # 5: what a conflict strategy overrode, sent as the summary of the artifact's next push
    # (the remote keeps it in its history) and removed once that push is accepted.
    """
    CREATE TABLE notes (
        id TEXT PRIMARY KEY,
        summary TEXT NOT NULL
    );
    """,
    # 6: every sync operation this clone ran (push, pull, fetch): what, when, how it went, how
    # long it took, and how much it moved; `agentsync stats` reads it. Errors are one line, as
    # shown to the user (URLs without passwords; never keys, tokens or contents).
    """
    CREATE TABLE operations (
        seq INTEGER PRIMARY KEY,
        operation TEXT NOT NULL,           -- push | pull | fetch
        started_at TEXT NOT NULL,          -- ISO 8601, UTC
        duration_ms INTEGER NOT NULL,
        result TEXT NOT NULL,              -- ok | partial | error
        pushed INTEGER NOT NULL DEFAULT 0,
        pulled INTEGER NOT NULL DEFAULT 0,
        conflicts INTEGER NOT NULL DEFAULT 0,
        error TEXT
    );
    """,
    # 7: credentials recorded by older versions are scrubbed (a password in a URL's query was
    # kept in the remote's identity and in error lines), in the mirror (secure_delete: the old
    # bytes are zeroed, not left in free pages) and in the text files beside it (the log,
    # watcher.json, watch.out). `agentsync_*` are Python functions `migrate` registers.
    """
    PRAGMA secure_delete = ON;
    UPDATE meta SET value = agentsync_redact_identity(value) WHERE key = 'remote_identity';
    UPDATE operations SET error = agentsync_redact(error) WHERE error IS NOT NULL;
    UPDATE outbox SET last_error = agentsync_redact(last_error) WHERE last_error IS NOT NULL;
    SELECT agentsync_scrub_state_files();
    """,
    # 8: remote rows this clone refused to apply (a bad id or path, no content, too large, not
    # readable, a git field smuggled in): the reason, for `status` and `doctor`. The cursor moves
    # past them; a newer version of the artifact replaces its entry.
    """
    CREATE TABLE quarantine (
        id TEXT PRIMARY KEY,               -- the row's artifact id, as the remote gave it
        version INTEGER NOT NULL,
        path TEXT NOT NULL,
        author TEXT NOT NULL,
        reason TEXT NOT NULL,              -- one line: why it was refused
        seq INTEGER NOT NULL,
        recorded_at TEXT NOT NULL
    );
    """,
    # 9: the full-text index as sqlite-utils and Datasette recognise it: both look for the
    # table's name double-quoted (or bracketed) in `content=`, so `content='artifacts'` left
    # their search unconfigured. Same name, columns and rowids: the triggers and agentsync's own
    # search keep working; the index is rebuilt once from the rows.
    """
    DROP TABLE artifacts_fts;
    CREATE VIRTUAL TABLE artifacts_fts USING fts5(
        title, content, content="artifacts", content_rowid="pk"
    );
    INSERT INTO artifacts_fts(artifacts_fts) VALUES ('rebuild');
    """,
    # 10: identity is (type, id): two artifacts of different types may share an id. ``artifacts``
    # is rebuilt (rowids kept, so the full-text index stays valid) with ``key`` = TYPE:ID unique in
    # place of a unique id; the sync state's ``id`` columns become that key (the type taken from the
    # artifact with that id, else the type the path has today, else '' for a remote row of a type
    # not known here). The git_heads table is rebuilt by the next refresh with keys.
    """
    CREATE TABLE artifacts_v10 (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL,                  -- unique within its type
        path TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        key TEXT GENERATED ALWAYS AS (type || ':' || id) VIRTUAL,  -- the identity, TYPE:ID
        title TEXT NOT NULL,
        status TEXT,
        version INTEGER NOT NULL DEFAULT 0,
        layout TEXT NOT NULL,
        hash TEXT NOT NULL,
        disk_hash TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        mirrored_at TEXT NOT NULL,
        fields TEXT NOT NULL DEFAULT '{}',
        content TEXT NOT NULL
    );
    """
    + "".join(
        f"""
    ALTER TABLE {table} RENAME COLUMN id TO key;
    UPDATE {table} SET key = char(1) || key;
    UPDATE {table} SET key = coalesce((SELECT a.type FROM artifacts a WHERE a.id = substr({table}.key, 2)),
                                      agentsync_type_of({path}), '') || ':' || substr(key, 2);
    """
        for table, path in (  # notes first: its path is sync_base's, read before that table changes
            ("notes", "(SELECT s.path FROM sync_base s WHERE s.id = substr(notes.key, 2))"),
            ("sync_base", "path"),
            ("remote_rows", "path"),
            ("conflicts", "path"),
            ("quarantine", "path"),
        )
    )
    + """
    -- A batch waiting in the outbox names its changes by key too (resent as it was, with its type).
    UPDATE outbox SET changes = (
        SELECT json_group_array(json_remove(json_set(c.value, '$.key',
                   coalesce((SELECT a.type FROM artifacts a WHERE a.id = json_extract(c.value, '$.id')),
                            agentsync_type_of(json_extract(c.value, '$.path')), '')
                   || ':' || json_extract(c.value, '$.id')), '$.id'))
        FROM json_each(outbox.changes) AS c
    );
    INSERT INTO artifacts_v10(pk, id, path, type, title, status, version, layout, hash, disk_hash, size, mtime_ns,
                              mirrored_at, fields, content)
    SELECT pk, id, path, type, title, status, version, layout, hash, disk_hash, size, mtime_ns, mirrored_at, fields,
           content
    FROM artifacts;
    DROP TABLE artifacts;
    ALTER TABLE artifacts_v10 RENAME TO artifacts;
    CREATE UNIQUE INDEX artifacts_key ON artifacts(key);
    CREATE INDEX artifacts_id ON artifacts(id);
    CREATE INDEX artifacts_type_status ON artifacts(type, status);
    """
    + FTS_TRIGGERS
    + """
    DELETE FROM git_heads;
    DELETE FROM meta WHERE key = 'git_head';
    """,
    # 11: the scanner's stat cache (every row's path, size and mtime_ns) is read from this index
    # alone: a pass over the table would read each row's page, which holds the file's text too.
    """
    CREATE INDEX artifacts_stat ON artifacts(path, size, mtime_ns);
    """,
    # 12: the full-text index holds up to 4 MiB of new terms in memory before it writes them out as a
    # segment (FTS5's default: 1 MiB), so a large fill or rebuild writes fewer, larger segments and merges
    # them less (store/fill.py keeps a first mirror's batches in memory up to this size). An FTS5 option,
    # kept in artifacts_fts_config: a migration that recreates the table must set it again.
    """
    INSERT INTO artifacts_fts(artifacts_fts, rank) VALUES ('hashsize', 4194304);
    """,
    # 13: `status` answers from indexes. Each HEAD row keeps its blob's sha256, so a file with HEAD's
    # bytes is known to have HEAD's git-field values without parsing either side's JSON (the table is
    # rebuilt by the next refresh, hashes included). What a push would send and what a pull would
    # apply are merges of indexes read in key order: no lookup per key, no row read whose page holds
    # an agreed text or an artifact's (store/heads.py, store/sync_state.py).
    """
    ALTER TABLE git_heads ADD COLUMN hash TEXT;  -- sha256 of the blob's bytes; NULL: unknown
    DELETE FROM meta WHERE key = 'git_head';
    DROP INDEX git_heads_id;
    CREATE INDEX git_heads_id ON git_heads(id, hash, path);
    CREATE INDEX artifacts_sync ON artifacts(key, hash, path);
    CREATE INDEX sync_base_agreed ON sync_base(key, hash, path, deleted);
    CREATE INDEX sync_base_versions ON sync_base(key, version);
    CREATE INDEX remote_rows_fetched ON remote_rows(key, version);
    """,
    # 14: the stat generation (store.artifacts.stat_generation), so a scan can trust the sizes and
    # mtimes its folder listings recorded while no row's stat has changed since.
    """
    CREATE TABLE stat_generation (value INTEGER NOT NULL);
    INSERT INTO stat_generation(value) VALUES (random());
    """
    + STAT_TRIGGERS,
    # 15: an agreed text equal to the artifact's mirrored one is kept once (BASE_TRIGGERS): a push or
    # pull of 10,000 artifacts writes their texts into the mirror once less, and the mirror is a third
    # smaller. The copies already kept are dropped here.
    BASE_TRIGGERS
    + """
    UPDATE sync_base SET content = NULL WHERE deleted = 0 AND content IS NOT NULL
    AND EXISTS (SELECT 1 FROM artifacts a WHERE a.key = sync_base.key AND a.hash = sync_base.hash);
    """,
    # 16: the comparison generation (store.reports.compare_generation), so `status` can keep what the
    # comparisons of artifacts, HEAD and the sync state found while none of their rows has changed.
    """
    CREATE TABLE compare_generation (value INTEGER NOT NULL);
    INSERT INTO compare_generation(value) VALUES (random());
    """
    + COMPARE_TRIGGERS,
    # 17: a status shown in a fenced code block is no field of its file (formats.base.places_of).
    # Each text holding a fence is parsed again at the next scan (its stat and hash as no file has), and HEAD's
    # git-field values are read again, with the rule that took a fenced example for the status.
    """
    UPDATE artifacts SET mtime_ns = -1, disk_hash = '' WHERE instr(content, '```') > 0 OR instr(content, '~~~') > 0;
    DELETE FROM meta WHERE key = 'git_head';
    """,
    # 18: a queued batch keeps each text once: by key and hash, the text itself only once the artifact's
    # row no longer holds it (KEPT_TEXT_TRIGGERS). A push of 10,000 wrote their 38 MB into the outbox
    # (and the log, and the file) only to delete them with the answers. Older batches keep theirs inline.
    """
    CREATE TABLE outbox_texts (
        batch_id TEXT NOT NULL REFERENCES outbox(batch_id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        hash TEXT NOT NULL,
        content TEXT,                      -- NULL: the artifact's row with this key and hash holds it
        PRIMARY KEY (batch_id, key)
    );
    CREATE INDEX outbox_texts_kept ON outbox_texts(key, hash);
    """
    + KEPT_TEXT_TRIGGERS,
    # 19: a status line below bold-labelled ones after the first heading is a field (formats.agent:
    # Spec Kit's `**Created**: ...`, then `**Status**: Draft`). Each text that was mirrored as plain
    # Markdown and has such a label is parsed again at the next scan, and HEAD's values read again.
    """
    UPDATE artifacts SET mtime_ns = -1, disk_hash = '' WHERE layout = 'plain' AND instr(lower(content), '**status') > 0;
    DELETE FROM meta WHERE key = 'git_head';
    """,
    # 20: Agent OS's metadata quote (`> Spec: Title`, `> Status: Planning`) gives a title and a status
    # (formats.agent), and a status section whose value starts in bold (BMAD's `**COMPLETED** ✅ - QA
    # passed`) is that bold phrase (formats.base.emphasised). Each text that may read otherwise now is
    # parsed again at the next scan, and HEAD's values read again.
    """
    UPDATE artifacts SET mtime_ns = -1, disk_hash = ''
    WHERE layout NOT IN ('frontmatter', 'yaml') AND (
        (instr(content, char(10) || '>') > 0
         AND (instr(lower(content), 'status') > 0 OR instr(lower(content), 'spec') > 0))
        OR (layout IN ('agent', 'nygard') AND (instr(content, '**') > 0 OR instr(content, '__') > 0)));
    DELETE FROM meta WHERE key = 'git_head';
    """,
    # 21: a "## Status: done" heading under the first one is a status (formats.agent: BMAD stories), and a
    # frontmatter `version:` that is no whole number is the document's own (`version: '1.0'`), no error.
    # Each text that may read otherwise now is parsed again at the next scan, and HEAD's values read again.
    """
    UPDATE artifacts SET mtime_ns = -1, disk_hash = ''
    WHERE layout IN ('plain', 'agent') AND instr(lower(content), '## status') > 0;
    DELETE FROM meta WHERE key = 'git_head';
    """,
    # 22: each agreed row remembers HEAD's text of its artifact when it was agreed (sync.restored): a file
    # that goes back to exactly that text while HEAD still has it was put back by Git (`git stash`,
    # `checkout`, `reset`), which is no edit to push over a teammate's version. Rows agreed before: unknown.
    """
    ALTER TABLE sync_base ADD COLUMN head_hash TEXT;  -- sha256 of HEAD's file then; '': HEAD had none; NULL: unknown
    """,
    # 23: a title is the first heading outside fenced code blocks, indented up to three spaces (a shell
    # comment in a fence was a title); MADR 2's `* Status:` bullets count only above the first heading of
    # level three or deeper; a `## Status` section's first line loses its list marker and its own label
    # (formats.base). Each text that may read otherwise now is parsed again at the next scan, and HEAD's
    # values are read again.
    """
    UPDATE artifacts SET mtime_ns = -1, disk_hash = ''
    WHERE instr(content, '```') > 0 OR instr(content, '~~~') > 0
        OR substr(content, 1, 2) = ' #' OR substr(content, 1, 3) = '  #' OR substr(content, 1, 4) = '   #'
        OR instr(content, char(10) || ' #') > 0 OR instr(content, char(10) || '  #') > 0
        OR instr(content, char(10) || '   #') > 0
        OR (layout NOT IN ('frontmatter', 'yaml') AND instr(lower(content), 'status') > 0);
    DELETE FROM meta WHERE key = 'git_head';
    """,
]
