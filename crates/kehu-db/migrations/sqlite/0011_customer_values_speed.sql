-- The customer value job on a million customers (BENCHMARKS.md, "Analytics targets").
-- Keep in step with ../postgres/0011_customer_values_speed.sql (a test compares the two).

-- The job sums each customer's purchases where they are stored: this index holds every
-- column it reads, in customer and date order, and only the orders that count.
-- (Queries must spell `status <> 'cancelled'` as a literal for SQLite to use it.)
CREATE INDEX orders_purchases ON orders (account_id, order_date, total)
    WHERE deleted_at IS NULL AND status <> 'cancelled';

-- A run writes a million rows and the next run deletes them, so every structure on the
-- table costs twice per customer and run. Without a rowid the primary key is the table;
-- the (account_id, run_id) index served nothing the key (run_id, account_id) does not;
-- and the foreign keys checked two other tables per row written for data that only the
-- job writes, about accounts that are never deleted (the recycle bin keeps them).
CREATE TABLE customer_values_new (
    run_id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    first_order_date TEXT NOT NULL,
    last_order_date TEXT NOT NULL,
    recency_days BIGINT NOT NULL,
    frequency BIGINT NOT NULL,
    monetary BIGINT NOT NULL,
    r_score BIGINT NOT NULL,
    f_score BIGINT NOT NULL,
    m_score BIGINT NOT NULL,
    segment TEXT NOT NULL,
    abc_class TEXT NOT NULL,
    expected_purchases DOUBLE PRECISION,
    p_alive DOUBLE PRECISION,
    expected_avg_spend DOUBLE PRECISION,
    clv BIGINT,
    lifecycle TEXT NOT NULL,
    PRIMARY KEY (run_id, account_id)
) WITHOUT ROWID;
INSERT INTO customer_values_new SELECT run_id, account_id, first_order_date, last_order_date,
    recency_days, frequency, monetary, r_score, f_score, m_score, segment, abc_class,
    expected_purchases, p_alive, expected_avg_spend, clv, lifecycle FROM customer_values;
DROP TABLE customer_values;
ALTER TABLE customer_values_new RENAME TO customer_values;
CREATE INDEX customer_values_segment ON customer_values (run_id, segment);
-- The customer list's `lifecycle_stage` filter reads one stage of the latest run.
CREATE INDEX customer_values_lifecycle ON customer_values (run_id, lifecycle, account_id);
