-- A case may be assigned to one collector of its agency, whose worklist it is then
-- on; a collector sees only the cases assigned to them.

-- +goose Up
ALTER TABLE cases ADD COLUMN collector_id TEXT REFERENCES users (id);
CREATE INDEX cases_collector ON cases (collector_id, status);

-- +goose Down
DROP INDEX cases_collector;
ALTER TABLE cases DROP COLUMN collector_id;
