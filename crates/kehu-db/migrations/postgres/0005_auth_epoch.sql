-- A counter that changes whenever anything a user's permissions are derived from
-- changes: users, their roles, role grants, the team tree and team managers. Servers
-- cache each signed-in user's resolved permissions under the counter's value and read
-- the counter with the credential, so a cached permission set is never used after a
-- change, on any server (see crates/kehu-web/src/auth/extract.rs).
CREATE TABLE auth_epoch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO auth_epoch (id, value) VALUES (1, 1);
CREATE FUNCTION bump_auth_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE auth_epoch SET value = value + 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER users_auth_epoch AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_epoch();
CREATE TRIGGER roles_auth_epoch AFTER INSERT OR UPDATE OR DELETE ON roles
    FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_epoch();
CREATE TRIGGER user_roles_auth_epoch AFTER INSERT OR UPDATE OR DELETE ON user_roles
    FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_epoch();
CREATE TRIGGER teams_auth_epoch AFTER INSERT OR UPDATE OR DELETE ON teams
    FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_epoch();
CREATE TRIGGER team_managers_auth_epoch AFTER INSERT OR UPDATE OR DELETE ON team_managers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_epoch();
