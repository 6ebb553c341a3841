-- Pushes are claims: every distinct record is kept with what became of it. The key includes
-- the card, so a forged copy of a busiSeq cannot shadow the genuine push that follows it.
CREATE TABLE push_records (
    push_key     TEXT PRIMARY KEY,       -- busiSeq|regStatus|cardField|cardValue
    busi_seq     TEXT NOT NULL,
    reg_status   TEXT NOT NULL,
    card_field   TEXT NOT NULL,
    card_value   TEXT NOT NULL,
    body         TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    disposition  TEXT NOT NULL,          -- applied | adopted | quarantined
    reason       TEXT                    -- why quarantined
);
INSERT INTO push_records (push_key, busi_seq, reg_status, card_field, card_value, body, received_at, disposition)
    SELECT busi_seq || '|' || reg_status || '||', busi_seq, reg_status, '', '', body, received_at, 'applied' FROM pushes;
DROP TABLE pushes;
ALTER TABLE push_records RENAME TO pushes;
CREATE INDEX pushes_busi ON pushes (busi_seq);
CREATE INDEX pushes_disposition ON pushes (disposition, received_at);

-- How a registration's state was confirmed: confirmed | contradicted | not_checked | not_needed
ALTER TABLE registrations ADD COLUMN confirmation TEXT;

-- Success (or unreadable) claims waiting for 23A23. Leased by one instance at a time.
CREATE TABLE confirmations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    busi_seq        TEXT NOT NULL,
    claim           TEXT NOT NULL,       -- success | unknown
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner     TEXT,
    created_at      INTEGER NOT NULL,
    done_at         INTEGER,
    outcome         TEXT,                -- registered | disputed | pending
    last_error      TEXT
);
CREATE INDEX confirmations_due ON confirmations (done_at, next_attempt_at);
CREATE INDEX confirmations_busi ON confirmations (busi_seq);

-- The outbox is the webhook event log.
ALTER TABLE outbox ADD COLUMN event_id TEXT;
ALTER TABLE outbox ADD COLUMN event_type TEXT NOT NULL DEFAULT 'registration.result';
ALTER TABLE outbox ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN failed_at INTEGER;
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
UPDATE outbox SET event_id = 'msg_legacy_' || id, created_at = next_attempt_at WHERE event_id IS NULL;
CREATE UNIQUE INDEX outbox_event ON outbox (event_id);

-- Every delivery attempt of every event.
CREATE TABLE deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id   INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    http_status INTEGER,
    error       TEXT,
    answer      TEXT,
    latency_ms  INTEGER NOT NULL
);
CREATE INDEX deliveries_event ON deliveries (outbox_id, id);
