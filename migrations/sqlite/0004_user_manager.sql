-- Each user's manager (the enterprise extension's manager.value), for direct-report lists.
-- A virtual generated column: SQLite derives it from the stored resource, so every write
-- path (portal, SCIM, import) keeps it right without binding it, and users stored before
-- this migration need no backfill. The index is what answers "who reports to X".
ALTER TABLE users ADD COLUMN manager_id TEXT GENERATED ALWAYS AS (
    json_extract(resource, '$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".manager.value')
) VIRTUAL;
CREATE INDEX users_manager_idx ON users (manager_id, display_name COLLATE NOCASE, id)
    WHERE manager_id IS NOT NULL;
