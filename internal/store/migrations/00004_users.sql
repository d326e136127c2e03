-- People who sign in to the web UI, and their sessions.
--
-- A user has one role: admin or compliance (the lender's staff), agency_manager or
-- collector (an agency's staff, agency_id set), or regulator (read-only, every
-- lender and agency). Passwords are argon2id PHC strings (internal/secret); a
-- session is known by a keyed hash of its token, never the token itself.

-- +goose Up
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    agency_id     TEXT REFERENCES agencies (id),
    lang          TEXT NOT NULL DEFAULT '',   -- '' (the browser's Accept-Language), 'zh' or 'en'
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    disabled_at   BIGINT
);

CREATE TABLE sessions (
    hash       TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- +goose Down
DROP TABLE sessions;
DROP TABLE users;
