"""The triggers the mirror's migrations create on ``artifacts`` (store.schema), named here so the
bulk fill (store.fill) can set aside those that would slow it, by name."""

# Give the stat generation a new random value with every change to the rows' stats (migration 14
# creates them): a counter could come back to a number it had (a mirror restored from a copy, then
# as many changes as it lost), a random 64-bit value does not. A migration that recreates the
# artifacts table must create these again and give the generation a new value.
STAT_TRIGGERS = """
    CREATE TRIGGER artifacts_stat_insert AFTER INSERT ON artifacts BEGIN
        UPDATE stat_generation SET value = random();
    END;
    CREATE TRIGGER artifacts_stat_delete AFTER DELETE ON artifacts BEGIN
        UPDATE stat_generation SET value = random();
    END;
    CREATE TRIGGER artifacts_stat_update AFTER UPDATE OF path, size, mtime_ns ON artifacts BEGIN
        UPDATE stat_generation SET value = random();
    END;
"""

# An agreed text the artifact's own row holds is kept once (migration 15): ``sync_base.content`` is
# NULL while ``artifacts`` holds the same key and hash, and store.sync_state reads it from there. Right
# before that row's text changes or the row goes, these copy the text into sync_base. A migration that
# rebuilds ``artifacts`` must first fill sync_base's NULL texts from it (an UPDATE from the old table).
BASE_TRIGGERS = """
    CREATE TRIGGER artifacts_base_update BEFORE UPDATE OF type, id, hash ON artifacts
    WHEN old.hash IS NOT new.hash OR old.type IS NOT new.type OR old.id IS NOT new.id BEGIN
        UPDATE sync_base SET content = old.content
        WHERE key = old.type || ':' || old.id AND hash = old.hash AND deleted = 0 AND content IS NULL;
    END;
    CREATE TRIGGER artifacts_base_delete BEFORE DELETE ON artifacts BEGIN
        UPDATE sync_base SET content = old.content
        WHERE key = old.type || ':' || old.id AND hash = old.hash AND deleted = 0 AND content IS NULL;
    END;
"""

# Migration 18 makes BASE_TRIGGERS keep a queued batch's texts too: ``outbox_texts.content`` is NULL
# while ``artifacts`` holds the same key and hash (a batch in the outbox names the text it sends by
# key and hash, store.outbox.enqueue), and is copied in right before that row's text changes or
# the row goes, as sync_base's is.
KEPT_TEXT_TRIGGERS = """
    DROP TRIGGER artifacts_base_update;
    DROP TRIGGER artifacts_base_delete;
    CREATE TRIGGER artifacts_base_update BEFORE UPDATE OF type, id, hash ON artifacts
    WHEN old.hash IS NOT new.hash OR old.type IS NOT new.type OR old.id IS NOT new.id BEGIN
        UPDATE sync_base SET content = old.content
        WHERE key = old.type || ':' || old.id AND hash = old.hash AND deleted = 0 AND content IS NULL;
        UPDATE outbox_texts SET content = old.content
        WHERE key = old.type || ':' || old.id AND hash = old.hash AND content IS NULL;
    END;
    CREATE TRIGGER artifacts_base_delete BEFORE DELETE ON artifacts BEGIN
        UPDATE sync_base SET content = old.content
        WHERE key = old.type || ':' || old.id AND hash = old.hash AND deleted = 0 AND content IS NULL;
        UPDATE outbox_texts SET content = old.content
        WHERE key = old.type || ':' || old.id AND hash = old.hash AND content IS NULL;
    END;
"""

# Keep the full-text index in step with the artifacts table (migrations 1 and 2 create them).
FTS_TRIGGERS = """
    -- During a bulk load (meta key 'fts_bulk' set inside the loading transaction) the
    -- triggers stand aside and the index is rebuilt once at the end: 3x faster.
    CREATE TRIGGER artifacts_fts_insert AFTER INSERT ON artifacts
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'fts_bulk') BEGIN
        INSERT INTO artifacts_fts(rowid, title, content) VALUES (new.pk, new.title, new.content);
    END;
    CREATE TRIGGER artifacts_fts_delete AFTER DELETE ON artifacts
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'fts_bulk') BEGIN
        INSERT INTO artifacts_fts(artifacts_fts, rowid, title, content)
        VALUES ('delete', old.pk, old.title, old.content);
    END;
    CREATE TRIGGER artifacts_fts_update AFTER UPDATE OF title, content ON artifacts
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'fts_bulk') BEGIN
        INSERT INTO artifacts_fts(artifacts_fts, rowid, title, content)
        VALUES ('delete', old.pk, old.title, old.content);
        INSERT INTO artifacts_fts(rowid, title, content) VALUES (new.pk, new.title, new.content);
    END;
"""

# Give the comparison generation (store.generations, migration 16) a new random value with every
# change to what the comparisons read of an artifact: its identity, path, bytes, layout, status,
# version or fields. An update that leaves those as they were (a scan recording a file's stat, a new
# title) keeps it. The other compared tables renew it from the store's functions (see store.generations).
_COMPARED_COLUMNS = ("type", "id", "path", "hash", "layout", "status", "version", "fields")
_RENEW = "UPDATE compare_generation SET value = random();"
COMPARE_TRIGGERS = f"""
    CREATE TRIGGER artifacts_compare_insert AFTER INSERT ON artifacts BEGIN {_RENEW} END;
    CREATE TRIGGER artifacts_compare_delete AFTER DELETE ON artifacts BEGIN {_RENEW} END;
    CREATE TRIGGER artifacts_compare_update AFTER UPDATE OF {", ".join(_COMPARED_COLUMNS)} ON artifacts
    WHEN {" OR ".join(f"old.{column} IS NOT new.{column}" for column in _COMPARED_COLUMNS)} BEGIN {_RENEW} END;
"""
