-- E-mail addresses leave the trigram text `contact_points` (they are found by their
-- words, see kehu_search::contact_points); the lines they added are removed. SQLite's
-- migration 15 also re-keys its full-text tables; PostgreSQL's GIN indexes need nothing.

UPDATE accounts
SET contact_points = btrim(replace(E'\n' || contact_points || E'\n', E'\n' || lower(btrim(email)) || E'\n', E'\n'), E'\n')
WHERE email IS NOT NULL AND email <> '' AND contact_points <> '';
UPDATE contacts
SET contact_points = btrim(replace(E'\n' || contact_points || E'\n', E'\n' || lower(btrim(email)) || E'\n', E'\n'), E'\n')
WHERE email IS NOT NULL AND email <> '' AND contact_points <> '';
