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
CREATE TRIGGER users_insert_auth_epoch AFTER INSERT ON users BEGIN
    UPDATE auth_epoch SET value = value + 1;
END;
CREATE TRIGGER users_update_auth_epoch AFTER UPDATE ON users BEGIN
    UPDATE auth_epoch SET value = value + 1;
END;
CREATE TRIGGER users_delete_auth_epoch AFTER DELETE ON users BEGIN
    UPDATE auth_epoch SET value = value + 1;
END;
CREATE TRIGGER roles_insert_auth_epoch AFTER INSERT ON roles BEGIN
    UPDATE auth_epoch SET value = value + 1;
END;
CREATE TRIGGER roles_update_auth_epoch AFTER UPDATE ON roles BEGIN
    UPDATE auth_epoch SET value = value + 1;
END;
CREATE TRIGGER roles_delete_auth_epoch AFTER DELETE ON roles BEGIN
    UPDATE auth_epoch SET value = value + 1;
END;
CREATE TRIGGER user_roles_insert_auth_epoch AFTER INSERT ON user_roles BEGIN
    UPDATE auth_epoch SET value = value + 1;
END;
CREATE TRIGGER user_roles_update_auth_epoch AFTER UPDATE ON user_roles BEGIN
    UPDATE auth_epoch SET value = value + 1;
END;
CREATE TRIGGER user_roles_delete_auth_epoch AFTER DELETE ON user_roles BEGIN
    UPDATE auth_epoch SET value = value + 1;
END;
CREATE TRIGGER teams_insert_auth_epoch AFTER INSERT ON teams BEGIN
    UPDATE auth_epoch SET value = value + 1;
END;
CREATE TRIGGER teams_update_auth_epoch AFTER UPDATE ON teams BEGIN
    UPDATE auth_epoch SET value = value + 1;
END;
CREATE TRIGGER teams_delete_auth_epoch AFTER DELETE ON teams BEGIN
    UPDATE auth_epoch SET value = value + 1;
END;
CREATE TRIGGER team_managers_insert_auth_epoch AFTER INSERT ON team_managers BEGIN
    UPDATE auth_epoch SET value = value + 1;
END;
CREATE TRIGGER team_managers_update_auth_epoch AFTER UPDATE ON team_managers BEGIN
    UPDATE auth_epoch SET value = value + 1;
END;
CREATE TRIGGER team_managers_delete_auth_epoch AFTER DELETE ON team_managers BEGIN
    UPDATE auth_epoch SET value = value + 1;
END;
