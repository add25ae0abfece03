-- Full-text tables keyed for the way they are read (records/search_index.rs, stream.rs).
--
-- The search box shows the newest matches first, and FTS5 reads a list backwards at
-- several times the cost of reading it forwards (it re-parses every page it steps back
-- into). Each customer and contact is therefore indexed under keys that sort newest
-- first:
--
-- * `<table>_fts` (words) and `<table>_trgm` (phone numbers, codes): key `-id`, for
--   searches over everyone's records;
-- * `<table>_team_fts` and `<table>_team_trgm`: key `team_id << 32 | (4294967295 - id)`,
--   so that one team's records are one key range, newest first within it. A sales rep's
--   or a manager's search reads only their teams' ranges instead of stepping through
--   the matches of all teams (where "张伟 经理" meant walking 4,575 matches to find a
--   rep's six). The text carries a mark naming the owner (three private-use characters,
--   as in migration 12), which a rep's search requires inside the team's range.
--   Ids above 4,294,967,295 do not fit this key.
--
-- The tables are contentless (`content=''`): nothing reads their text back, and the
-- triggers give FTS5 the old text to delete. Word tables keep no positions
-- (`detail=none`; no query needs phrases) and no column sizes (no ranking).
--
-- E-mail addresses leave the trigram text (they are found by their words, see
-- kehu_search::contact_points), so the lines they added to `contact_points` are removed.

DROP TRIGGER accounts_index_insert;
DROP TRIGGER accounts_index_delete;
DROP TRIGGER accounts_index_update;
DROP TABLE accounts_fts;
DROP TABLE accounts_trgm;
DROP VIEW accounts_search;
DROP TRIGGER contacts_index_insert;
DROP TRIGGER contacts_index_delete;
DROP TRIGGER contacts_index_update;
DROP TABLE contacts_fts;
DROP TABLE contacts_trgm;
DROP VIEW contacts_search;

UPDATE accounts
SET contact_points = trim(replace(char(10) || contact_points || char(10), char(10) || lower(trim(email)) || char(10), char(10)), char(10))
WHERE email IS NOT NULL AND email <> '' AND contact_points <> '';
UPDATE contacts
SET contact_points = trim(replace(char(10) || contact_points || char(10), char(10) || lower(trim(email)) || char(10), char(10)), char(10))
WHERE email IS NOT NULL AND email <> '' AND contact_points <> '';

CREATE VIRTUAL TABLE accounts_fts USING fts5(search_tokens, content='', tokenize='unicode61', prefix='2 3', detail=none, columnsize=0);
CREATE VIRTUAL TABLE accounts_trgm USING fts5(contact_points, content='', tokenize='trigram', columnsize=0);
CREATE VIRTUAL TABLE accounts_team_fts USING fts5(search_tokens, content='', tokenize='unicode61', prefix='2 3', detail=none, columnsize=0);
CREATE VIRTUAL TABLE accounts_team_trgm USING fts5(contact_points, content='', tokenize='trigram', columnsize=0);
CREATE VIRTUAL TABLE contacts_fts USING fts5(search_tokens, content='', tokenize='unicode61', prefix='2 3', detail=none, columnsize=0);
CREATE VIRTUAL TABLE contacts_trgm USING fts5(contact_points, content='', tokenize='trigram', columnsize=0);
CREATE VIRTUAL TABLE contacts_team_fts USING fts5(search_tokens, content='', tokenize='unicode61', prefix='2 3', detail=none, columnsize=0);
CREATE VIRTUAL TABLE contacts_team_trgm USING fts5(contact_points, content='', tokenize='trigram', columnsize=0);

-- Filled in key order: FTS5 writes out what it has gathered whenever a key is lower
-- than the one before.
INSERT INTO accounts_fts (rowid, search_tokens) SELECT -id, search_tokens FROM accounts ORDER BY id DESC;
INSERT INTO accounts_trgm (rowid, contact_points) SELECT -id, contact_points FROM accounts ORDER BY id DESC;
INSERT INTO accounts_team_fts (rowid, search_tokens)
    SELECT (coalesce(team_id, 0) << 32) | (4294967295 - id) AS key, search_tokens || ' ' || char(63742, 57344 + owner_id / 6000, 57344 + owner_id % 6000)
    FROM accounts ORDER BY key;
INSERT INTO accounts_team_trgm (rowid, contact_points)
    SELECT (coalesce(team_id, 0) << 32) | (4294967295 - id) AS key, contact_points || char(10) || char(63742, 57344 + owner_id / 6000, 57344 + owner_id % 6000)
    FROM accounts ORDER BY key;
INSERT INTO contacts_fts (rowid, search_tokens) SELECT -id, search_tokens FROM contacts ORDER BY id DESC;
INSERT INTO contacts_trgm (rowid, contact_points) SELECT -id, contact_points FROM contacts ORDER BY id DESC;
INSERT INTO contacts_team_fts (rowid, search_tokens)
    SELECT (coalesce(team_id, 0) << 32) | (4294967295 - id) AS key, search_tokens || ' ' || char(63742, 57344 + owner_id / 6000, 57344 + owner_id % 6000)
    FROM contacts ORDER BY key;
INSERT INTO contacts_team_trgm (rowid, contact_points)
    SELECT (coalesce(team_id, 0) << 32) | (4294967295 - id) AS key, contact_points || char(10) || char(63742, 57344 + owner_id / 6000, 57344 + owner_id % 6000)
    FROM contacts ORDER BY key;

-- A record's entries change only with what they are made of: an update that rewrites
-- the same search text (every update does) costs no index work, and the newest-first
-- tables ignore owner and team changes. Each table is kept by exactly one of the two
-- update triggers, so an update of text and owner together deletes each entry once.
CREATE TRIGGER accounts_index_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO accounts_fts (rowid, search_tokens) VALUES (-new.id, new.search_tokens);
    INSERT INTO accounts_trgm (rowid, contact_points) VALUES (-new.id, new.contact_points);
    INSERT INTO accounts_team_fts (rowid, search_tokens) VALUES ((coalesce(new.team_id, 0) << 32) | (4294967295 - new.id), new.search_tokens || ' ' || char(63742, 57344 + new.owner_id / 6000, 57344 + new.owner_id % 6000));
    INSERT INTO accounts_team_trgm (rowid, contact_points) VALUES ((coalesce(new.team_id, 0) << 32) | (4294967295 - new.id), new.contact_points || char(10) || char(63742, 57344 + new.owner_id / 6000, 57344 + new.owner_id % 6000));
END;
CREATE TRIGGER accounts_index_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO accounts_fts (accounts_fts, rowid, search_tokens) VALUES ('delete', -old.id, old.search_tokens);
    INSERT INTO accounts_trgm (accounts_trgm, rowid, contact_points) VALUES ('delete', -old.id, old.contact_points);
    INSERT INTO accounts_team_fts (accounts_team_fts, rowid, search_tokens) VALUES ('delete', (coalesce(old.team_id, 0) << 32) | (4294967295 - old.id), old.search_tokens || ' ' || char(63742, 57344 + old.owner_id / 6000, 57344 + old.owner_id % 6000));
    INSERT INTO accounts_team_trgm (accounts_team_trgm, rowid, contact_points) VALUES ('delete', (coalesce(old.team_id, 0) << 32) | (4294967295 - old.id), old.contact_points || char(10) || char(63742, 57344 + old.owner_id / 6000, 57344 + old.owner_id % 6000));
END;
CREATE TRIGGER accounts_index_update AFTER UPDATE OF search_tokens, contact_points ON accounts
WHEN old.search_tokens IS NOT new.search_tokens OR old.contact_points IS NOT new.contact_points BEGIN
    INSERT INTO accounts_fts (accounts_fts, rowid, search_tokens) VALUES ('delete', -old.id, old.search_tokens);
    INSERT INTO accounts_trgm (accounts_trgm, rowid, contact_points) VALUES ('delete', -old.id, old.contact_points);
    INSERT INTO accounts_fts (rowid, search_tokens) VALUES (-new.id, new.search_tokens);
    INSERT INTO accounts_trgm (rowid, contact_points) VALUES (-new.id, new.contact_points);
END;
CREATE TRIGGER accounts_team_index_update AFTER UPDATE OF search_tokens, contact_points, owner_id, team_id ON accounts
WHEN old.search_tokens IS NOT new.search_tokens OR old.contact_points IS NOT new.contact_points
    OR old.owner_id IS NOT new.owner_id OR old.team_id IS NOT new.team_id BEGIN
    INSERT INTO accounts_team_fts (accounts_team_fts, rowid, search_tokens) VALUES ('delete', (coalesce(old.team_id, 0) << 32) | (4294967295 - old.id), old.search_tokens || ' ' || char(63742, 57344 + old.owner_id / 6000, 57344 + old.owner_id % 6000));
    INSERT INTO accounts_team_trgm (accounts_team_trgm, rowid, contact_points) VALUES ('delete', (coalesce(old.team_id, 0) << 32) | (4294967295 - old.id), old.contact_points || char(10) || char(63742, 57344 + old.owner_id / 6000, 57344 + old.owner_id % 6000));
    INSERT INTO accounts_team_fts (rowid, search_tokens) VALUES ((coalesce(new.team_id, 0) << 32) | (4294967295 - new.id), new.search_tokens || ' ' || char(63742, 57344 + new.owner_id / 6000, 57344 + new.owner_id % 6000));
    INSERT INTO accounts_team_trgm (rowid, contact_points) VALUES ((coalesce(new.team_id, 0) << 32) | (4294967295 - new.id), new.contact_points || char(10) || char(63742, 57344 + new.owner_id / 6000, 57344 + new.owner_id % 6000));
END;

CREATE TRIGGER contacts_index_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts (rowid, search_tokens) VALUES (-new.id, new.search_tokens);
    INSERT INTO contacts_trgm (rowid, contact_points) VALUES (-new.id, new.contact_points);
    INSERT INTO contacts_team_fts (rowid, search_tokens) VALUES ((coalesce(new.team_id, 0) << 32) | (4294967295 - new.id), new.search_tokens || ' ' || char(63742, 57344 + new.owner_id / 6000, 57344 + new.owner_id % 6000));
    INSERT INTO contacts_team_trgm (rowid, contact_points) VALUES ((coalesce(new.team_id, 0) << 32) | (4294967295 - new.id), new.contact_points || char(10) || char(63742, 57344 + new.owner_id / 6000, 57344 + new.owner_id % 6000));
END;
CREATE TRIGGER contacts_index_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, search_tokens) VALUES ('delete', -old.id, old.search_tokens);
    INSERT INTO contacts_trgm (contacts_trgm, rowid, contact_points) VALUES ('delete', -old.id, old.contact_points);
    INSERT INTO contacts_team_fts (contacts_team_fts, rowid, search_tokens) VALUES ('delete', (coalesce(old.team_id, 0) << 32) | (4294967295 - old.id), old.search_tokens || ' ' || char(63742, 57344 + old.owner_id / 6000, 57344 + old.owner_id % 6000));
    INSERT INTO contacts_team_trgm (contacts_team_trgm, rowid, contact_points) VALUES ('delete', (coalesce(old.team_id, 0) << 32) | (4294967295 - old.id), old.contact_points || char(10) || char(63742, 57344 + old.owner_id / 6000, 57344 + old.owner_id % 6000));
END;
CREATE TRIGGER contacts_index_update AFTER UPDATE OF search_tokens, contact_points ON contacts
WHEN old.search_tokens IS NOT new.search_tokens OR old.contact_points IS NOT new.contact_points BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, search_tokens) VALUES ('delete', -old.id, old.search_tokens);
    INSERT INTO contacts_trgm (contacts_trgm, rowid, contact_points) VALUES ('delete', -old.id, old.contact_points);
    INSERT INTO contacts_fts (rowid, search_tokens) VALUES (-new.id, new.search_tokens);
    INSERT INTO contacts_trgm (rowid, contact_points) VALUES (-new.id, new.contact_points);
END;
CREATE TRIGGER contacts_team_index_update AFTER UPDATE OF search_tokens, contact_points, owner_id, team_id ON contacts
WHEN old.search_tokens IS NOT new.search_tokens OR old.contact_points IS NOT new.contact_points
    OR old.owner_id IS NOT new.owner_id OR old.team_id IS NOT new.team_id BEGIN
    INSERT INTO contacts_team_fts (contacts_team_fts, rowid, search_tokens) VALUES ('delete', (coalesce(old.team_id, 0) << 32) | (4294967295 - old.id), old.search_tokens || ' ' || char(63742, 57344 + old.owner_id / 6000, 57344 + old.owner_id % 6000));
    INSERT INTO contacts_team_trgm (contacts_team_trgm, rowid, contact_points) VALUES ('delete', (coalesce(old.team_id, 0) << 32) | (4294967295 - old.id), old.contact_points || char(10) || char(63742, 57344 + old.owner_id / 6000, 57344 + old.owner_id % 6000));
    INSERT INTO contacts_team_fts (rowid, search_tokens) VALUES ((coalesce(new.team_id, 0) << 32) | (4294967295 - new.id), new.search_tokens || ' ' || char(63742, 57344 + new.owner_id / 6000, 57344 + new.owner_id % 6000));
    INSERT INTO contacts_team_trgm (rowid, contact_points) VALUES ((coalesce(new.team_id, 0) << 32) | (4294967295 - new.id), new.contact_points || char(10) || char(63742, 57344 + new.owner_id / 6000, 57344 + new.owner_id % 6000));
END;
