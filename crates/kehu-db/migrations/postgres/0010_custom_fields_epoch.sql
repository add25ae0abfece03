-- Custom field definitions advance `auth_epoch` too: every list request needs them, and
-- servers keep them beside the signed-in users' permissions, cached under the epoch each
-- request reads anyway (kehu-web's auth). Keep in step with ../sqlite/0010_custom_fields_epoch.sql.
CREATE TRIGGER custom_field_defs_auth_epoch AFTER INSERT OR UPDATE OR DELETE ON custom_field_defs
    FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_epoch();
