-- Admin-defined attributes of users and groups. Their values live in the SCIM resource under
-- Steward's extension (urn:ietf:params:scim:schemas:extension:steward:2.0:User / :Group).
CREATE TABLE custom_attributes (
    object_type  TEXT NOT NULL CHECK (object_type IN ('user', 'group')),
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,                -- lower(name): names are case-insensitive
    kind         TEXT NOT NULL CHECK (kind IN ('string', 'boolean', 'integer', 'dateTime', 'reference')),
    multi_valued INTEGER NOT NULL DEFAULT 0,
    description  TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    PRIMARY KEY (object_type, name_key)
);
