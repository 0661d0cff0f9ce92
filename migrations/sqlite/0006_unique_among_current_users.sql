-- userName and externalId are unique among current users only: a user in the recycle bin is
-- gone for SCIM clients (RFC 7644 §3.6: a deleted resource is not counted in conflicts), so an
-- HR system may create the same person again. Restoring then refuses if the name is taken.
DROP INDEX users_user_name_key;
CREATE UNIQUE INDEX users_user_name_key ON users (user_name_key) WHERE deleted_at IS NULL;
DROP INDEX users_external_id_key;
CREATE UNIQUE INDEX users_external_id_key ON users (external_id)
    WHERE external_id IS NOT NULL AND deleted_at IS NULL;
