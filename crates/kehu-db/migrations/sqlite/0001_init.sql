-- Kehu schema, SQLite dialect. Keep in step with ../postgres/0001_init.sql
-- (a test compares the two). Timestamps are fixed-width RFC 3339 text in UTC.

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    parent_id INTEGER REFERENCES teams(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE roles (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    grants TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT NOT NULL,
    team_id INTEGER REFERENCES teams(id),
    locale TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);

CREATE TABLE login_throttle (
    login_key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    first_failure_at TEXT NOT NULL,
    locked_until TEXT
);

CREATE TABLE picklist_values (
    id INTEGER PRIMARY KEY,
    list TEXT NOT NULL,
    value TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    UNIQUE (list, value)
);

CREATE TABLE custom_field_defs (
    id INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    label_en TEXT NOT NULL,
    label_zh TEXT NOT NULL,
    kind TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '[]',
    position INTEGER NOT NULL DEFAULT 0,
    UNIQUE (entity, key)
);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'company',
    code TEXT,
    industry TEXT,
    level TEXT,
    category TEXT,
    source TEXT,
    province TEXT,
    city TEXT,
    address TEXT,
    phone TEXT,
    email TEXT,
    website TEXT,
    lifecycle_status TEXT NOT NULL DEFAULT 'potential',
    credit_limit BIGINT,
    currency TEXT,
    tags TEXT,
    description TEXT,
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
CREATE UNIQUE INDEX accounts_code ON accounts (code) WHERE code IS NOT NULL;
CREATE INDEX accounts_name ON accounts (name, id);
CREATE INDEX accounts_created ON accounts (created_at, id);
CREATE INDEX accounts_updated ON accounts (updated_at, id);
CREATE INDEX accounts_owner ON accounts (owner_id, id);
CREATE INDEX accounts_team ON accounts (team_id, id);
CREATE INDEX accounts_level ON accounts (level, id);
CREATE INDEX accounts_lifecycle ON accounts (lifecycle_status, id);
CREATE INDEX accounts_industry ON accounts (industry);
CREATE INDEX accounts_province ON accounts (province);
CREATE INDEX accounts_deleted ON accounts (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    title TEXT,
    department TEXT,
    mobile TEXT,
    phone TEXT,
    email TEXT,
    birthday TEXT,
    reports_to_id INTEGER REFERENCES contacts(id),
    assistant TEXT,
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
CREATE INDEX contacts_account ON contacts (account_id, id);
CREATE INDEX contacts_name ON contacts (name, id);
CREATE INDEX contacts_created ON contacts (created_at, id);
CREATE INDEX contacts_updated ON contacts (updated_at, id);
CREATE INDEX contacts_owner ON contacts (owner_id, id);
CREATE INDEX contacts_team ON contacts (team_id, id);
CREATE INDEX contacts_reports_to ON contacts (reports_to_id);
CREATE INDEX contacts_deleted ON contacts (deleted_at) WHERE deleted_at IS NOT NULL;

-- Full-text (search_tokens, filled in Rust) and trigram (contact_points) indexes,
-- kept in step with the tables by triggers.
CREATE VIRTUAL TABLE accounts_fts USING fts5(search_tokens, content='accounts', content_rowid='id', tokenize='unicode61', prefix='2 3');
CREATE VIRTUAL TABLE accounts_trgm USING fts5(contact_points, content='accounts', content_rowid='id', tokenize='trigram');
CREATE VIRTUAL TABLE contacts_fts USING fts5(search_tokens, content='contacts', content_rowid='id', tokenize='unicode61', prefix='2 3');
CREATE VIRTUAL TABLE contacts_trgm USING fts5(contact_points, content='contacts', content_rowid='id', tokenize='trigram');

CREATE TRIGGER accounts_index_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO accounts_fts (rowid, search_tokens) VALUES (new.id, new.search_tokens);
    INSERT INTO accounts_trgm (rowid, contact_points) VALUES (new.id, new.contact_points);
END;
CREATE TRIGGER accounts_index_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO accounts_fts (accounts_fts, rowid, search_tokens) VALUES ('delete', old.id, old.search_tokens);
    INSERT INTO accounts_trgm (accounts_trgm, rowid, contact_points) VALUES ('delete', old.id, old.contact_points);
END;
CREATE TRIGGER accounts_index_update AFTER UPDATE OF search_tokens, contact_points ON accounts BEGIN
    INSERT INTO accounts_fts (accounts_fts, rowid, search_tokens) VALUES ('delete', old.id, old.search_tokens);
    INSERT INTO accounts_trgm (accounts_trgm, rowid, contact_points) VALUES ('delete', old.id, old.contact_points);
    INSERT INTO accounts_fts (rowid, search_tokens) VALUES (new.id, new.search_tokens);
    INSERT INTO accounts_trgm (rowid, contact_points) VALUES (new.id, new.contact_points);
END;
CREATE TRIGGER contacts_index_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts (rowid, search_tokens) VALUES (new.id, new.search_tokens);
    INSERT INTO contacts_trgm (rowid, contact_points) VALUES (new.id, new.contact_points);
END;
CREATE TRIGGER contacts_index_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, search_tokens) VALUES ('delete', old.id, old.search_tokens);
    INSERT INTO contacts_trgm (contacts_trgm, rowid, contact_points) VALUES ('delete', old.id, old.contact_points);
END;
CREATE TRIGGER contacts_index_update AFTER UPDATE OF search_tokens, contact_points ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, search_tokens) VALUES ('delete', old.id, old.search_tokens);
    INSERT INTO contacts_trgm (contacts_trgm, rowid, contact_points) VALUES ('delete', old.id, old.contact_points);
    INSERT INTO contacts_fts (rowid, search_tokens) VALUES (new.id, new.search_tokens);
    INSERT INTO contacts_trgm (rowid, contact_points) VALUES (new.id, new.contact_points);
END;

-- One stream of events per record: the customer timeline and the audit log.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    record_id BIGINT,
    account_id BIGINT,
    action TEXT NOT NULL,
    actor_id INTEGER REFERENCES users(id),
    at TEXT NOT NULL,
    changes TEXT NOT NULL DEFAULT '[]',
    summary TEXT NOT NULL DEFAULT '',
    source_ip TEXT
);
CREATE INDEX events_record ON events (entity, record_id, id);
CREATE INDEX events_account ON events (account_id, id);
CREATE INDEX events_actor ON events (actor_id, id);

CREATE TABLE saved_filters (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    entity TEXT NOT NULL,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (user_id, entity, name)
);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    run_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 5,
    locked_until TEXT,
    last_error TEXT,
    done_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE done_at IS NULL;
