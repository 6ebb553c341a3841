-- Registrations asked of OneLink (23A12) and what became of them.
CREATE TABLE registrations (
    busi_seq     TEXT PRIMARY KEY,
    card_field   TEXT NOT NULL,          -- msisdn | iccid | imsi
    card_value   TEXT NOT NULL,
    url_type     BIGINT NOT NULL,
    url          TEXT NOT NULL,
    state        TEXT NOT NULL,          -- pending | registered | failed
    reg_status   TEXT,
    reg_msg      TEXT,
    created_at   BIGINT NOT NULL,       -- Unix ms
    updated_at   BIGINT NOT NULL,
    settled_at   BIGINT,
    settled_by   TEXT                    -- push | reconcile
);
CREATE INDEX registrations_card ON registrations (card_field, card_value, created_at);
CREATE INDEX registrations_state ON registrations (state, created_at);

-- Every distinct push received, written before the platform gets its "ok".
CREATE TABLE pushes (
    busi_seq     TEXT PRIMARY KEY,
    reg_status   TEXT NOT NULL,
    body         TEXT NOT NULL,
    received_at  BIGINT NOT NULL
);

-- Results to forward to the business's own webhook, at least once.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    busi_seq        TEXT NOT NULL,
    payload         TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    delivered_at    BIGINT,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (delivered_at, next_attempt_at);

-- One row per verification or UAID validation: masked number, code, latency.
CREATE TABLE audits (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    kind        TEXT NOT NULL,           -- verify | uaid
    app_id      TEXT NOT NULL,
    phone_masked TEXT,
    client_ip   TEXT,
    code        TEXT NOT NULL,
    latency_ms  BIGINT NOT NULL
);
CREATE INDEX audits_at ON audits (at);
