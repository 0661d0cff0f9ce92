-- What a user's last run was based on (directory version, application version, assignment):
-- a cycle that finds the same basis knows nothing can have changed and skips mapping the user.
ALTER TABLE provisioning_links ADD COLUMN basis TEXT;
