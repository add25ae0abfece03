-- The owner and team indexes cover live records only, and are named so that a search
-- page can ask for them (see kehu-db/src/records/stream.rs): a sales rep's search walks
-- the full-text matches newest first and checks each one against their own
-- `(owner_id, id)` entries instead of reading the record. Recycle-bin lists find deleted
-- records through `*_deleted`.
DROP INDEX accounts_owner;
DROP INDEX accounts_team;
DROP INDEX contacts_owner;
DROP INDEX contacts_team;
CREATE INDEX accounts_live_owner ON accounts (owner_id, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_live_team ON accounts (team_id, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_live_owner ON contacts (owner_id, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_live_team ON contacts (team_id, id) WHERE deleted_at IS NULL;
