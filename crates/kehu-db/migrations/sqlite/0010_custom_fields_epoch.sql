-- Custom field definitions advance `auth_epoch` too: every list request needs them, and
-- servers keep them beside the signed-in users' permissions, cached under the epoch each
-- request reads anyway (kehu-web's auth). Keep in step with ../postgres/0010_custom_fields_epoch.sql.
CREATE TRIGGER custom_field_defs_insert_auth_epoch AFTER INSERT ON custom_field_defs BEGIN
    UPDATE auth_epoch SET value = value + 1;
END;
CREATE TRIGGER custom_field_defs_update_auth_epoch AFTER UPDATE ON custom_field_defs BEGIN
    UPDATE auth_epoch SET value = value + 1;
END;
CREATE TRIGGER custom_field_defs_delete_auth_epoch AFTER DELETE ON custom_field_defs BEGIN
    UPDATE auth_epoch SET value = value + 1;
END;
