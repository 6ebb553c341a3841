-- Registrations asked of OneLink (23A12) and what became of them.
CREATE TABLE registrations (
    busi_seq     TEXT PRIMARY KEY,
    card_field   TEXT NOT NULL,          -- msisdn | iccid | imsi
    card_value   TEXT NOT NULL,
    url_type     INTEGER NOT NULL,
    url          TEXT NOT NULL,
    state        TEXT NOT NULL,          -- pending | registered | failed
    reg_status   TEXT,
    reg_msg      TEXT,
    created_at   INTEGER NOT NULL,       -- Unix ms
    updated_at   INTEGER NOT NULL,
    settled_at   INTEGER,
    settled_by   TEXT                    -- push | reconcile
);
CREATE INDEX registrations_card ON registrations (card_field, card_value, created_at);
CREATE INDEX registrations_state ON registrations (state, created_at);

-- Every distinct push received, written before the platform gets its "ok".
CREATE TABLE pushes (
    busi_seq     TEXT PRIMARY KEY,
    reg_status   TEXT NOT NULL,
    body         TEXT NOT NULL,
    received_at  INTEGER NOT NULL
);

-- Results to forward to the business's own webhook, at least once.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    busi_seq        TEXT NOT NULL,
    payload         TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    delivered_at    INTEGER,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (delivered_at, next_attempt_at);

-- One row per verification or UAID validation: masked number, code, latency.
CREATE TABLE audits (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,           -- verify | uaid
    app_id      TEXT NOT NULL,
    phone_masked TEXT,
    client_ip   TEXT,
    code        TEXT NOT NULL,
    latency_ms  INTEGER NOT NULL
);
CREATE INDEX audits_at ON audits (at);
