-- The customer value job on a million customers (BENCHMARKS.md, "Analytics targets").
-- Keep in step with ../sqlite/0011_customer_values_speed.sql (a test compares the two).

-- The job sums each customer's purchases where they are stored: this index holds every
-- column it reads, in customer and date order, and only the orders that count.
CREATE INDEX orders_purchases ON orders (account_id, order_date, total)
    WHERE deleted_at IS NULL AND status <> 'cancelled';

-- A run writes a million rows and the next run deletes them, so every structure on the
-- table costs twice per customer and run: the (account_id, run_id) index served nothing
-- the key (run_id, account_id) does not, and the foreign keys ran a check against two
-- other tables per row written, for data that only the job writes, about accounts that
-- are never deleted (the recycle bin keeps them).
DROP INDEX customer_values_account;
ALTER TABLE customer_values DROP CONSTRAINT customer_values_run_id_fkey;
ALTER TABLE customer_values DROP CONSTRAINT customer_values_account_id_fkey;
