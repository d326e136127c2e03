-- Third parties. A person who proved their number (a one-time code) and objected
-- has its keyed hash in suppressions: the gate treats every non-debtor party with
-- that number, on any case, now or later, as one who objected. The number itself
-- is not stored.
--
-- Their reports of a call or message: when, from which number (sealed, and
-- masked for display), what was said (sealed), the recorded attempt it matched,
-- if any, and the agencies holding cases with the number. A report that matched
-- no attempt is flagged as suspected off-system contact.

-- +goose Up
CREATE TABLE suppressions (
    hash       TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);

CREATE TABLE third_party_reports (
    id              TEXT PRIMARY KEY,
    hash            TEXT NOT NULL,
    called_at       BIGINT NOT NULL,
    from_enc        TEXT NOT NULL DEFAULT '',
    from_masked     TEXT NOT NULL DEFAULT '',
    said_enc        TEXT NOT NULL DEFAULT '',
    matched_attempt TEXT NOT NULL DEFAULT '',
    agencies        TEXT NOT NULL DEFAULT '',   -- comma-separated agency ids
    flagged         BOOLEAN NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX third_party_reports_flagged ON third_party_reports (flagged, created_at);

-- +goose Down
DROP TABLE third_party_reports;
DROP TABLE suppressions;
