-- Personal data: consent flags per person and channel, and the one exception to the
-- append-only audit log that erasing a person needs.
-- Keep in step with ../postgres/0007_personal_data.sql (a test compares the two).

-- The current consent of a contact or an individual customer for one channel; its
-- history is in the record's events (action `consent_changed`). No row means no consent:
-- campaign sends need a recorded yes.
CREATE TABLE consents (
    entity TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'call', 'message')),
    granted BOOLEAN NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('web_form', 'phone', 'email', 'import', 'manual')),
    given_at TEXT NOT NULL,
    recorded_by INTEGER REFERENCES users(id),
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (entity, record_id, channel)
);
-- The list filter "may e-mail = yes" and campaign audiences look up granted ids.
CREATE INDEX consents_granted ON consents (entity, channel, granted, record_id);

-- Events stay append-only, except for one narrow update: after a person is erased (an
-- `erased` event of the record exists), the values in the record's older events may be
-- blanked. The update must set `summary` to '' and `changes` to the same list with every
-- old and new value null (the field names stay), and change nothing else. The expression
-- is repeated in crates/kehu-db/src/personal_data/redact.rs, which runs the update.
DROP TRIGGER events_no_update;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
WHEN NOT (
    new.id = old.id
    AND new.entity = old.entity
    AND new.record_id IS old.record_id
    AND new.account_id IS old.account_id
    AND new.action = old.action
    AND new.actor_id IS old.actor_id
    AND new.at = old.at
    AND new.source_ip IS old.source_ip
    AND old.action <> 'erased'
    AND new.summary = ''
    AND new.changes = (SELECT json_group_array(json_object('field', json_extract(c.value, '$.field'), 'old', NULL, 'new', NULL)) FROM json_each(old.changes) AS c)
    AND EXISTS (SELECT 1 FROM events AS e WHERE e.entity = old.entity AND e.record_id = old.record_id AND e.action = 'erased')
)
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
