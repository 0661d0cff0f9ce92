-- Enterprise applications: an instance of a gallery entry with its own name, provisioning
-- mode, settings and credentials. Credentials are stored encrypted with the installation's
-- secret key (XChaCha20-Poly1305), never in clear.
CREATE TABLE applications (
    id                TEXT PRIMARY KEY NOT NULL,
    gallery_id        TEXT NOT NULL,
    name              TEXT NOT NULL,
    provisioning_mode TEXT NOT NULL DEFAULT 'manual' CHECK (provisioning_mode IN ('manual', 'automatic')),
    settings          TEXT NOT NULL DEFAULT '{}',   -- JSON: scope, deletion threshold, cycle, ...
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX applications_name_idx ON applications (name COLLATE NOCASE, id);

CREATE TABLE application_credentials (
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    field          TEXT NOT NULL,
    -- The value: plain text for non-secret fields (a URL, a user name), base64 of
    -- nonce || ciphertext for secrets.
    value          TEXT NOT NULL,
    encrypted      INTEGER NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (application_id, field)
);
