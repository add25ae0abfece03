-- Order lines and the administrators' analytics settings.
-- Keep in step with ../postgres/0008_analytics_settings.sql (a test compares the two).

-- Optional lines of an order: when an order has lines, its total is their sum (checked
-- by the API before anything is written). Money in minor units.
CREATE TABLE order_lines (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    product TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_price BIGINT NOT NULL,
    amount BIGINT NOT NULL
);
CREATE INDEX order_lines_order ON order_lines (order_id, position);

-- One row: the settings the customer value job and the analytics pages use (RFM
-- classes, segment display names, ABC thresholds, lifecycle rules) as JSON, so that a
-- new setting needs no migration. No row means the defaults.
CREATE TABLE analytics_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    settings TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    version BIGINT NOT NULL DEFAULT 1
);

-- The customer list's `lifecycle_stage` filter reads one stage of the latest run.
CREATE INDEX customer_values_lifecycle ON customer_values (run_id, lifecycle, account_id);
