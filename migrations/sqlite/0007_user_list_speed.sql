-- The users page over 100,000+ users.
--
-- Search by any part of userName, display name or email: a trigram full-text index answers
-- substring matches of three characters or more without reading every row (shorter terms
-- fall back to LIKE). It indexes the columns of `users` itself (external content), kept in
-- step by triggers.
CREATE VIRTUAL TABLE users_search USING fts5(
    user_name_key, display_name, email,
    content = 'users', content_rowid = 'rowid', tokenize = 'trigram'
);
INSERT INTO users_search (rowid, user_name_key, display_name, email)
    SELECT rowid, user_name_key, display_name, email FROM users;
CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, user_name_key, display_name, email)
        VALUES (new.rowid, new.user_name_key, new.display_name, new.email);
END;
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, user_name_key, display_name, email)
        VALUES ('delete', old.rowid, old.user_name_key, old.display_name, old.email);
END;
-- Most updates (a manager, a department) leave the searched columns as they were.
CREATE TRIGGER users_search_update AFTER UPDATE OF user_name_key, display_name, email ON users
WHEN old.user_name_key IS NOT new.user_name_key OR old.display_name IS NOT new.display_name
    OR old.email IS NOT new.email
BEGIN
    INSERT INTO users_search (users_search, rowid, user_name_key, display_name, email)
        VALUES ('delete', old.rowid, old.user_name_key, old.display_name, old.email);
    INSERT INTO users_search (rowid, user_name_key, display_name, email)
        VALUES (new.rowid, new.user_name_key, new.display_name, new.email);
END;

-- Pages of current users in each order walk an index of current users only, so deep pages
-- and the total need no table reads to skip recycle-bin rows.
DROP INDEX users_display_name_idx;
CREATE INDEX users_display_name_idx ON users (display_name COLLATE NOCASE, id) WHERE deleted_at IS NULL;
DROP INDEX users_family_name_idx;
CREATE INDEX users_family_name_idx ON users (family_name COLLATE NOCASE, id) WHERE deleted_at IS NULL;
CREATE INDEX users_current_user_name_idx ON users (user_name_key, id) WHERE deleted_at IS NULL;
CREATE INDEX users_current_updated_idx ON users (updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX users_current_email_idx ON users (email, id) WHERE deleted_at IS NULL;
CREATE INDEX users_current_created_idx ON users (created_at, id) WHERE deleted_at IS NULL;
DROP INDEX users_created_idx;
-- Only the recycle bin is looked up by deleted_at. A full index on it misled the planner into
-- reading every current user and sorting them, for every page.
DROP INDEX users_deleted_idx;
CREATE INDEX users_deleted_idx ON users (deleted_at) WHERE deleted_at IS NOT NULL;
