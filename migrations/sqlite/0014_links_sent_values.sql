-- What was last sent for each target path (values of Redact() mappings as "[Redact]"), so a
-- provisioning log entry can show each modified property as old -> new without reading the
-- target.
ALTER TABLE provisioning_links ADD COLUMN sent TEXT NOT NULL DEFAULT '{}';
