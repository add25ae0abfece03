-- Permissions: team managers, record shares, an append-only audit log.
-- Keep in step with ../postgres/0003_permissions.sql (a test compares the two).

-- A team's manager sees and edits the records of the team and its sub-teams.
-- (A table of its own rather than a column of `teams`: one row per managed team.)
CREATE TABLE team_managers (
    team_id INTEGER PRIMARY KEY REFERENCES teams(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE
);
CREATE INDEX team_managers_user ON team_managers (user_id);

-- A record shared with one user or one team (its members and sub-teams' members).
CREATE TABLE record_shares (
    id INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
    team_id INTEGER REFERENCES teams(id) ON DELETE CASCADE,
    access TEXT NOT NULL CHECK (access IN ('read', 'write')),
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    CHECK ((user_id IS NULL) <> (team_id IS NULL))
);
-- Lookups by sharee (the visibility predicate) and by record (the record's share list).
CREATE UNIQUE INDEX record_shares_user ON record_shares (entity, user_id, record_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX record_shares_team ON record_shares (entity, team_id, record_id) WHERE team_id IS NOT NULL;
CREATE INDEX record_shares_record ON record_shares (entity, record_id);

-- The audit log is append-only, also for someone with a database connection.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

-- Audit searches by action and time.
CREATE INDEX events_action ON events (action, id);
CREATE INDEX events_at ON events (at);
