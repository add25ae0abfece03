-- Orders (the purchase history analytics read) and the stored analytics results.
-- Keep in step with ../postgres/0002_orders.sql (a test compares the two).

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    order_date TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'completed',
    total BIGINT NOT NULL,
    currency TEXT,
    quantity BIGINT,
    notes TEXT,
    custom TEXT NOT NULL DEFAULT '{}',
    search_tokens TEXT NOT NULL DEFAULT '',
    contact_points TEXT NOT NULL DEFAULT '',
    owner_id INTEGER NOT NULL REFERENCES users(id),
    team_id INTEGER REFERENCES teams(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    updated_by INTEGER REFERENCES users(id),
    version BIGINT NOT NULL DEFAULT 1,
    deleted_at TEXT,
    deleted_by INTEGER REFERENCES users(id)
);
-- The customer 360 panel and the analytics read orders per customer in date order.
CREATE INDEX orders_account ON orders (account_id, order_date, id);
CREATE INDEX orders_name ON orders (name, id);
CREATE INDEX orders_order_date ON orders (order_date, id);
CREATE INDEX orders_status ON orders (status, id);
CREATE INDEX orders_total ON orders (total, id);
CREATE INDEX orders_created ON orders (created_at, id);
CREATE INDEX orders_updated ON orders (updated_at, id);
CREATE INDEX orders_owner ON orders (owner_id, id);
CREATE INDEX orders_team ON orders (team_id, id);
CREATE INDEX orders_deleted ON orders (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE VIRTUAL TABLE orders_fts USING fts5(search_tokens, content='orders', content_rowid='id', tokenize='unicode61', prefix='2 3');
CREATE VIRTUAL TABLE orders_trgm USING fts5(contact_points, content='orders', content_rowid='id', tokenize='trigram');
CREATE TRIGGER orders_index_insert AFTER INSERT ON orders BEGIN
    INSERT INTO orders_fts (rowid, search_tokens) VALUES (new.id, new.search_tokens);
    INSERT INTO orders_trgm (rowid, contact_points) VALUES (new.id, new.contact_points);
END;
CREATE TRIGGER orders_index_delete AFTER DELETE ON orders BEGIN
    INSERT INTO orders_fts (orders_fts, rowid, search_tokens) VALUES ('delete', old.id, old.search_tokens);
    INSERT INTO orders_trgm (orders_trgm, rowid, contact_points) VALUES ('delete', old.id, old.contact_points);
END;
CREATE TRIGGER orders_index_update AFTER UPDATE OF search_tokens, contact_points ON orders BEGIN
    INSERT INTO orders_fts (orders_fts, rowid, search_tokens) VALUES ('delete', old.id, old.search_tokens);
    INSERT INTO orders_trgm (orders_trgm, rowid, contact_points) VALUES ('delete', old.id, old.contact_points);
    INSERT INTO orders_fts (rowid, search_tokens) VALUES (new.id, new.search_tokens);
    INSERT INTO orders_trgm (rowid, contact_points) VALUES (new.id, new.contact_points);
END;

-- One computation of customer values. Its results count once `computed_at` is set, so
-- readers never see a run that is still being written.
CREATE TABLE analytics_runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    computed_at TEXT,
    as_of TEXT NOT NULL,
    parameters TEXT NOT NULL DEFAULT '{}',
    model TEXT NOT NULL DEFAULT '{}',
    customers BIGINT NOT NULL DEFAULT 0,
    purchases BIGINT NOT NULL DEFAULT 0,
    requested_by INTEGER REFERENCES users(id)
);
CREATE INDEX analytics_runs_computed ON analytics_runs (computed_at);

-- Per customer and run: RFM, ABC, CLV, P(alive) and lifecycle stage. Money in minor units.
CREATE TABLE customer_values (
    run_id INTEGER NOT NULL REFERENCES analytics_runs(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
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
);
CREATE INDEX customer_values_account ON customer_values (account_id, run_id);
CREATE INDEX customer_values_segment ON customer_values (run_id, segment);

-- Databases created before orders existed: a role's order rights start as its customer rights.
UPDATE roles SET grants = json_set(grants, '$.order', json(json_extract(grants, '$.account')))
WHERE json_extract(grants, '$.account') IS NOT NULL AND json_extract(grants, '$.order') IS NULL;
