-- A user's account that is new or replaced (a new target id) changes what their reports'
-- manager reference resolves to, while the reports themselves do not change: their basis is
-- cleared so that the next cycle maps them again and sends the new reference.
CREATE TRIGGER provisioning_links_new_manager_account
AFTER INSERT ON provisioning_links
WHEN NEW.object_type = 'user'
BEGIN
    UPDATE provisioning_links SET basis = NULL
    WHERE application_id = NEW.application_id AND object_type = 'user' AND basis IS NOT NULL
      AND source_id IN (SELECT id FROM users WHERE manager_id = NEW.source_id);
END;

CREATE TRIGGER provisioning_links_replaced_manager_account
AFTER UPDATE OF target_id ON provisioning_links
WHEN NEW.object_type = 'user' AND NEW.target_id IS NOT OLD.target_id
BEGIN
    UPDATE provisioning_links SET basis = NULL
    WHERE application_id = NEW.application_id AND object_type = 'user' AND basis IS NOT NULL
      AND source_id IN (SELECT id FROM users WHERE manager_id = NEW.source_id);
END;
