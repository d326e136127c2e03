-- A worklist lists an agency's open cases in id order, a page at a time: with
-- this index it reads just that page, where cases_agency alone made it read
-- every case the agency ever held and sort the open ones. (A collector's
-- worklist is found by cases_collector.)

-- +goose Up
CREATE INDEX cases_agency_open ON cases (agency_id, status, id);

-- +goose Down
DROP INDEX cases_agency_open;
