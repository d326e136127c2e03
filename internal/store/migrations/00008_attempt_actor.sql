-- Who asked for each attempt: "user:<username>" for someone signed in to the web
-- UI, an API token's name for a dialer or another system. Agency KPIs count each
-- collector's own attempts by it. Attempts recorded before this column have ''.

-- +goose Up
ALTER TABLE attempts ADD COLUMN actor TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE attempts DROP COLUMN actor;
