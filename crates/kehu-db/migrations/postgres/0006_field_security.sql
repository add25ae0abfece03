-- Field-level security: per role, entity and field, a field is hidden or read-only.
-- Fields without a row are editable. Keep in step with ../sqlite/0006_field_security.sql
-- (a test compares the two).
CREATE TABLE field_security (
    role_id BIGINT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    entity TEXT NOT NULL,
    field TEXT NOT NULL,
    access TEXT NOT NULL CHECK (access IN ('hidden', 'read_only')),
    PRIMARY KEY (role_id, entity, field)
);

-- Signed-in users' resolved permissions include their field rules, cached under the
-- auth epoch (0005): a change applies to the very next request.
CREATE TRIGGER field_security_auth_epoch AFTER INSERT OR UPDATE OR DELETE ON field_security
    FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_epoch();
