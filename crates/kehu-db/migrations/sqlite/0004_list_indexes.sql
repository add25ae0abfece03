-- Covering indexes for customer list pages (see crates/kehu-db/src/records/plan.rs).
--
-- A list page walks its sort column's index and tests the scope and picklist filters on
-- the index entries, so these indexes carry those columns; only live records are
-- listed, so they leave the recycle bin out. `accounts_owner_*` serve "my customers"
-- (a sales rep's scope) in each order. They replace the plain (sort, id) indexes.
DROP INDEX accounts_name;
DROP INDEX accounts_created;
DROP INDEX accounts_updated;
CREATE INDEX accounts_list_created_at ON accounts (created_at, id, owner_id, team_id, level, lifecycle_status, province, industry) WHERE deleted_at IS NULL;
CREATE INDEX accounts_list_updated_at ON accounts (updated_at, id, owner_id, team_id, level, lifecycle_status, province, industry) WHERE deleted_at IS NULL;
CREATE INDEX accounts_list_name ON accounts (name, id, owner_id, team_id, level, lifecycle_status, province, industry) WHERE deleted_at IS NULL;
CREATE INDEX accounts_owner_created_at ON accounts (owner_id, created_at, id, level, lifecycle_status, province, industry) WHERE deleted_at IS NULL;
CREATE INDEX accounts_owner_updated_at ON accounts (owner_id, updated_at, id, level, lifecycle_status, province, industry) WHERE deleted_at IS NULL;
CREATE INDEX accounts_owner_name ON accounts (owner_id, name, id, level, lifecycle_status, province, industry) WHERE deleted_at IS NULL;
-- Names begin with the city, so one province's customers cluster in name order: its
-- own index gives them in that order.
DROP INDEX accounts_province;
CREATE INDEX accounts_province ON accounts (province, name, id);
