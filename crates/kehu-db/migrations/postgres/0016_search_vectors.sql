-- The words index tests a stored vector instead of `to_tsvector('simple', search_tokens)`.
-- With the expression index, every row a plan read past the index had its vector computed
-- again: a rep's search for a common word spent 80 of its 136 ms there, and a word that
-- most rows have made walking the newest rows first look too dear to the planner.
-- A larger statistics target lists more words with their real frequency, so that a name
-- outside the list (张伟) is estimated as the few hundred rows it is, not as one in a
-- thousand, which made the planner walk the newest rows for it (165 ms against 0.6 ms).
-- SQLite's full-text tables need nothing.

ALTER TABLE accounts ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', search_tokens)) STORED;
ALTER TABLE accounts ALTER COLUMN search_vector SET STATISTICS 1000;
DROP INDEX accounts_search;
CREATE INDEX accounts_search ON accounts USING GIN (search_vector);

ALTER TABLE contacts ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', search_tokens)) STORED;
ALTER TABLE contacts ALTER COLUMN search_vector SET STATISTICS 1000;
DROP INDEX contacts_search;
CREATE INDEX contacts_search ON contacts USING GIN (search_vector);

ALTER TABLE orders ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', search_tokens)) STORED;
ALTER TABLE orders ALTER COLUMN search_vector SET STATISTICS 1000;
DROP INDEX orders_search;
CREATE INDEX orders_search ON orders USING GIN (search_vector);

ANALYZE accounts (search_vector);
ANALYZE contacts (search_vector);
ANALYZE orders (search_vector);
