-- Personal data: consent flags per person and channel, and the one exception to the
-- append-only audit log that erasing a person needs.
-- Keep in step with ../sqlite/0007_personal_data.sql (a test compares the two).

-- The current consent of a contact or an individual customer for one channel; its
-- history is in the record's events (action `consent_changed`). No row means no consent:
-- campaign sends need a recorded yes.
CREATE TABLE consents (
    entity TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'call', 'message')),
    granted BOOLEAN NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('web_form', 'phone', 'email', 'import', 'manual')),
    given_at TIMESTAMPTZ NOT NULL,
    recorded_by BIGINT REFERENCES users(id),
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (entity, record_id, channel)
);
-- The list filter "may e-mail = yes" and campaign audiences look up granted ids.
CREATE INDEX consents_granted ON consents (entity, channel, granted, record_id);

-- A change list with every old and new value null, the field names kept, in order.
CREATE FUNCTION events_redacted_changes(changes TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(
        json_agg(json_build_object('field', c.value ->> 'field', 'old', NULL, 'new', NULL) ORDER BY c.n),
        '[]'::json
    )::text
    FROM json_array_elements(changes::json) WITH ORDINALITY AS c(value, n)
$$;

-- Events stay append-only, except for one narrow update: after a person is erased (an
-- `erased` event of the record exists), the values in the record's older events may be
-- blanked. The update must set `summary` to '' and `changes` to
-- `events_redacted_changes(changes)`, and change nothing else. Deletes stay refused.
CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND NEW.id = OLD.id
        AND NEW.entity = OLD.entity
        AND NEW.record_id IS NOT DISTINCT FROM OLD.record_id
        AND NEW.account_id IS NOT DISTINCT FROM OLD.account_id
        AND NEW.action = OLD.action
        AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
        AND NEW.at = OLD.at
        AND NEW.source_ip IS NOT DISTINCT FROM OLD.source_ip
        AND OLD.action <> 'erased'
        AND NEW.summary = ''
        AND NEW.changes = events_redacted_changes(OLD.changes)
        AND EXISTS (SELECT 1 FROM events AS e WHERE e.entity = OLD.entity AND e.record_id = OLD.record_id AND e.action = 'erased')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'events are append-only';
END;
$$;
