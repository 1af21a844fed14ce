-- Idempotent POSTs. (Per-learner reads walk the existing unique keys: progress (user_id, lesson_id) and
-- enrollments (user_id, course_id).)

-- One row per (user, Idempotency-Key): the request's fingerprint and the answer first given, kept for 24 hours.
-- The row is written in the same transaction as the request's own writes, so a stored answer always matches
-- what was committed. An expired key may be used again (the claim takes it over).
CREATE TABLE idempotency_keys (
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key          text        NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    request_hash text        NOT NULL,
    status       integer     CHECK (status BETWEEN 200 AND 299),
    body         text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);
-- For a periodic `DELETE FROM idempotency_keys WHERE expires_at < now()` (see migrations/README.md).
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);
