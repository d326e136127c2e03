-- The times of day a borrower said are inconvenient for them ("09:00-17:30",
-- comma-separated, in their own time zone): the gate's rule packs that honour
-- them (us: FDCPA §1692c(a)(1)) allow no contact then.

-- +goose Up
ALTER TABLE borrowers ADD COLUMN inconvenient TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE borrowers DROP COLUMN inconvenient;
