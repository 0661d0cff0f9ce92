-- What a full cycle reads for every user (`scan_user_bases`), answered from indexes alone:
-- without them each page read the users' rows (with their whole SCIM resource) and the
-- links' rows (with the values last sent), most of a no-op cycle's time at 100,000 users.
CREATE INDEX users_scan_idx ON users (id, deleted_at, version);
CREATE INDEX provisioning_links_basis_idx
    ON provisioning_links (application_id, object_type, source_id, state, basis);
-- The application's assigned groups, read by every such query: without it each read every
-- assignment of the application (100,000 with every user assigned directly).
CREATE INDEX assignments_type_idx ON assignments (application_id, principal_type, principal_id);
