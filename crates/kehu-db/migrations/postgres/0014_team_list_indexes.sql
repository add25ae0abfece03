-- A manager's customer list reads its page per part of their scope (their own records,
-- each team under them, records shared with them: kehu-db/src/records/walk.rs), so each
-- part needs a covering index in each list order, like `accounts_owner_*` for a sales
-- rep. The `(owner_id, id)` and `(team_id, id)` indexes of live records (migration 9)
-- serve the lists in id order and carry the filter columns too; search still finds
-- them by name.
CREATE INDEX accounts_team_created_at ON accounts (team_id, created_at, id, owner_id, level, lifecycle_status, province, industry) WHERE deleted_at IS NULL;
CREATE INDEX accounts_team_updated_at ON accounts (team_id, updated_at, id, owner_id, level, lifecycle_status, province, industry) WHERE deleted_at IS NULL;
CREATE INDEX accounts_team_name ON accounts (team_id, name, id, owner_id, level, lifecycle_status, province, industry) WHERE deleted_at IS NULL;
-- A team's customers of one province in name order (see FILTER_INDEXES_IN_SORT_ORDER).
CREATE INDEX accounts_team_province ON accounts (team_id, province, name, id) WHERE deleted_at IS NULL;
DROP INDEX accounts_live_owner;
DROP INDEX accounts_live_team;
CREATE INDEX accounts_live_owner ON accounts (owner_id, id, level, lifecycle_status, province, industry) WHERE deleted_at IS NULL;
CREATE INDEX accounts_live_team ON accounts (team_id, id, owner_id, level, lifecycle_status, province, industry) WHERE deleted_at IS NULL;
