-- Scope marks in the full-text indexes, so that a sales rep's or a manager's search
-- box reads only their own part of the matches (records/stream.rs, records/scope_marks.rs).
--
-- Each record's indexed text gains two tokens that name its owner and its team. A mark
-- is three characters from Unicode's private use area, which nothing a user types turns
-- into (queries keep letters, digits and a little punctuation): a kind (U+F8FE owner,
-- U+F8FF team) and the id in base 6000 (U+E000 + id / 6000, U+E000 + id % 6000), so that
-- it is one token for unicode61 (private use characters are token characters) and
-- exactly one trigram for the trigram tokenizer. A search of a rep's own records is then
-- `(what was typed) AND "<owner mark>"`: FTS5 intersects the two lists instead of
-- checking each match against the scope index, which for a common word meant reading
-- thousands of matches to find the rep's twenty.
--
-- The indexed text comes from views over the tables (FTS5 reads an external content
-- table through any table or view with the columns it indexes); the triggers feed and
-- remove the same expressions, and fire when the owner or the team changes too.

DROP TRIGGER accounts_index_insert;
DROP TRIGGER accounts_index_delete;
DROP TRIGGER accounts_index_update;
DROP TABLE accounts_fts;
DROP TABLE accounts_trgm;
CREATE VIEW accounts_search AS SELECT id,
    coalesce(search_tokens, '') || ' ' || char(63742, 57344 + owner_id / 6000, 57344 + owner_id % 6000) || ' ' || char(63743, 57344 + coalesce(team_id, 0) / 6000, 57344 + coalesce(team_id, 0) % 6000) AS search_tokens,
    coalesce(contact_points, '') || char(10) || char(63742, 57344 + owner_id / 6000, 57344 + owner_id % 6000) || char(10) || char(63743, 57344 + coalesce(team_id, 0) / 6000, 57344 + coalesce(team_id, 0) % 6000) AS contact_points
    FROM accounts;
CREATE VIRTUAL TABLE accounts_fts USING fts5(search_tokens, content='accounts_search', content_rowid='id', tokenize='unicode61', prefix='2 3');
CREATE VIRTUAL TABLE accounts_trgm USING fts5(contact_points, content='accounts_search', content_rowid='id', tokenize='trigram');
INSERT INTO accounts_fts (accounts_fts) VALUES ('rebuild');
INSERT INTO accounts_trgm (accounts_trgm) VALUES ('rebuild');
CREATE TRIGGER accounts_index_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO accounts_fts (rowid, search_tokens) VALUES (new.id, coalesce(new.search_tokens, '') || ' ' || char(63742, 57344 + new.owner_id / 6000, 57344 + new.owner_id % 6000) || ' ' || char(63743, 57344 + coalesce(new.team_id, 0) / 6000, 57344 + coalesce(new.team_id, 0) % 6000));
    INSERT INTO accounts_trgm (rowid, contact_points) VALUES (new.id, coalesce(new.contact_points, '') || char(10) || char(63742, 57344 + new.owner_id / 6000, 57344 + new.owner_id % 6000) || char(10) || char(63743, 57344 + coalesce(new.team_id, 0) / 6000, 57344 + coalesce(new.team_id, 0) % 6000));
END;
CREATE TRIGGER accounts_index_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO accounts_fts (accounts_fts, rowid, search_tokens) VALUES ('delete', old.id, coalesce(old.search_tokens, '') || ' ' || char(63742, 57344 + old.owner_id / 6000, 57344 + old.owner_id % 6000) || ' ' || char(63743, 57344 + coalesce(old.team_id, 0) / 6000, 57344 + coalesce(old.team_id, 0) % 6000));
    INSERT INTO accounts_trgm (accounts_trgm, rowid, contact_points) VALUES ('delete', old.id, coalesce(old.contact_points, '') || char(10) || char(63742, 57344 + old.owner_id / 6000, 57344 + old.owner_id % 6000) || char(10) || char(63743, 57344 + coalesce(old.team_id, 0) / 6000, 57344 + coalesce(old.team_id, 0) % 6000));
END;
CREATE TRIGGER accounts_index_update AFTER UPDATE OF search_tokens, contact_points, owner_id, team_id ON accounts BEGIN
    INSERT INTO accounts_fts (accounts_fts, rowid, search_tokens) VALUES ('delete', old.id, coalesce(old.search_tokens, '') || ' ' || char(63742, 57344 + old.owner_id / 6000, 57344 + old.owner_id % 6000) || ' ' || char(63743, 57344 + coalesce(old.team_id, 0) / 6000, 57344 + coalesce(old.team_id, 0) % 6000));
    INSERT INTO accounts_trgm (accounts_trgm, rowid, contact_points) VALUES ('delete', old.id, coalesce(old.contact_points, '') || char(10) || char(63742, 57344 + old.owner_id / 6000, 57344 + old.owner_id % 6000) || char(10) || char(63743, 57344 + coalesce(old.team_id, 0) / 6000, 57344 + coalesce(old.team_id, 0) % 6000));
    INSERT INTO accounts_fts (rowid, search_tokens) VALUES (new.id, coalesce(new.search_tokens, '') || ' ' || char(63742, 57344 + new.owner_id / 6000, 57344 + new.owner_id % 6000) || ' ' || char(63743, 57344 + coalesce(new.team_id, 0) / 6000, 57344 + coalesce(new.team_id, 0) % 6000));
    INSERT INTO accounts_trgm (rowid, contact_points) VALUES (new.id, coalesce(new.contact_points, '') || char(10) || char(63742, 57344 + new.owner_id / 6000, 57344 + new.owner_id % 6000) || char(10) || char(63743, 57344 + coalesce(new.team_id, 0) / 6000, 57344 + coalesce(new.team_id, 0) % 6000));
END;

DROP TRIGGER contacts_index_insert;
DROP TRIGGER contacts_index_delete;
DROP TRIGGER contacts_index_update;
DROP TABLE contacts_fts;
DROP TABLE contacts_trgm;
CREATE VIEW contacts_search AS SELECT id,
    coalesce(search_tokens, '') || ' ' || char(63742, 57344 + owner_id / 6000, 57344 + owner_id % 6000) || ' ' || char(63743, 57344 + coalesce(team_id, 0) / 6000, 57344 + coalesce(team_id, 0) % 6000) AS search_tokens,
    coalesce(contact_points, '') || char(10) || char(63742, 57344 + owner_id / 6000, 57344 + owner_id % 6000) || char(10) || char(63743, 57344 + coalesce(team_id, 0) / 6000, 57344 + coalesce(team_id, 0) % 6000) AS contact_points
    FROM contacts;
CREATE VIRTUAL TABLE contacts_fts USING fts5(search_tokens, content='contacts_search', content_rowid='id', tokenize='unicode61', prefix='2 3');
CREATE VIRTUAL TABLE contacts_trgm USING fts5(contact_points, content='contacts_search', content_rowid='id', tokenize='trigram');
INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild');
INSERT INTO contacts_trgm (contacts_trgm) VALUES ('rebuild');
CREATE TRIGGER contacts_index_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts (rowid, search_tokens) VALUES (new.id, coalesce(new.search_tokens, '') || ' ' || char(63742, 57344 + new.owner_id / 6000, 57344 + new.owner_id % 6000) || ' ' || char(63743, 57344 + coalesce(new.team_id, 0) / 6000, 57344 + coalesce(new.team_id, 0) % 6000));
    INSERT INTO contacts_trgm (rowid, contact_points) VALUES (new.id, coalesce(new.contact_points, '') || char(10) || char(63742, 57344 + new.owner_id / 6000, 57344 + new.owner_id % 6000) || char(10) || char(63743, 57344 + coalesce(new.team_id, 0) / 6000, 57344 + coalesce(new.team_id, 0) % 6000));
END;
CREATE TRIGGER contacts_index_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, search_tokens) VALUES ('delete', old.id, coalesce(old.search_tokens, '') || ' ' || char(63742, 57344 + old.owner_id / 6000, 57344 + old.owner_id % 6000) || ' ' || char(63743, 57344 + coalesce(old.team_id, 0) / 6000, 57344 + coalesce(old.team_id, 0) % 6000));
    INSERT INTO contacts_trgm (contacts_trgm, rowid, contact_points) VALUES ('delete', old.id, coalesce(old.contact_points, '') || char(10) || char(63742, 57344 + old.owner_id / 6000, 57344 + old.owner_id % 6000) || char(10) || char(63743, 57344 + coalesce(old.team_id, 0) / 6000, 57344 + coalesce(old.team_id, 0) % 6000));
END;
CREATE TRIGGER contacts_index_update AFTER UPDATE OF search_tokens, contact_points, owner_id, team_id ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, search_tokens) VALUES ('delete', old.id, coalesce(old.search_tokens, '') || ' ' || char(63742, 57344 + old.owner_id / 6000, 57344 + old.owner_id % 6000) || ' ' || char(63743, 57344 + coalesce(old.team_id, 0) / 6000, 57344 + coalesce(old.team_id, 0) % 6000));
    INSERT INTO contacts_trgm (contacts_trgm, rowid, contact_points) VALUES ('delete', old.id, coalesce(old.contact_points, '') || char(10) || char(63742, 57344 + old.owner_id / 6000, 57344 + old.owner_id % 6000) || char(10) || char(63743, 57344 + coalesce(old.team_id, 0) / 6000, 57344 + coalesce(old.team_id, 0) % 6000));
    INSERT INTO contacts_fts (rowid, search_tokens) VALUES (new.id, coalesce(new.search_tokens, '') || ' ' || char(63742, 57344 + new.owner_id / 6000, 57344 + new.owner_id % 6000) || ' ' || char(63743, 57344 + coalesce(new.team_id, 0) / 6000, 57344 + coalesce(new.team_id, 0) % 6000));
    INSERT INTO contacts_trgm (rowid, contact_points) VALUES (new.id, coalesce(new.contact_points, '') || char(10) || char(63742, 57344 + new.owner_id / 6000, 57344 + new.owner_id % 6000) || char(10) || char(63743, 57344 + coalesce(new.team_id, 0) / 6000, 57344 + coalesce(new.team_id, 0) % 6000));
END;
