package store

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
)

// isForeignKeyViolation reports whether err is PostgreSQL's foreign_key_violation.
func isForeignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}

// Migration 18's composite keys: an attempt's case must have the attempt's
// borrower and agency, its party must be that borrower's, its contact method
// that party's; and the migration goes down to migration 17's schema and up.
func TestAttemptKeys(t *testing.T) {
	postgresOnly(t)
	ctx := context.Background()
	raw := rawPostgres(t, newDSN(t))
	sub, err := migrationsFor(goose.DialectPostgres)
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, raw, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 17); err != nil {
		t.Fatal(err)
	}
	seedCase(t, raw)
	execAll(t, raw,
		"INSERT INTO borrowers (id, lender_id, name, timezone, pack, created_at) VALUES ('P2', 'L', 'p2', 'UTC', 'cn', 0)",
		"INSERT INTO parties (id, borrower_id, role, name, relation, created_at) VALUES ('Q2', 'P2', 'debtor', 'q2', 'self', 0)",
		"INSERT INTO contact_methods (id, party_id, kind, value_enc, value_hash, masked, created_at) VALUES "+
			"('M', 'Q', 'phone', 'e', 'h1', '***', 0), ('M2', 'Q2', 'phone', 'e', 'h2', '***', 0)")
	insert := func(id, caseID, borrower, agency, party string, method any) error {
		_, err := raw.Exec(`INSERT INTO attempts (id, case_id, borrower_id, agency_id, party_id, party_role, contact_method_id,
			channel, purpose, at, pack, allowed, decision, message, collectors, caller_id_registered)
			VALUES ($1, $2, $3, $4, $5, 'debtor', $6, 'call', 'collect', 0, 'cn', TRUE, '{}', '', 1, TRUE)`,
			id, caseID, borrower, agency, party, method)
		return err
	}
	if err := insert("before", "C", "P", "A", "Q", "M"); err != nil {
		t.Fatal(err)
	}
	schema17, content := schemaOf(t, raw), contentOf(t, raw)
	if _, err := p.UpTo(ctx, 18); err != nil {
		t.Fatal(err)
	}
	if got := contentOf(t, raw); got != content {
		t.Errorf("rows after migrating up: %s, want %s", got, content)
	}

	for _, c := range []struct {
		what                            string
		caseID, borrower, agency, party string
		method                          any
		ok                              bool
	}{
		{"the case's borrower, agency, party and method", "C", "P", "A", "Q", "M", true},
		{"no contact method", "C", "P", "A", "Q", nil, true},
		{"another borrower than the case's", "C", "P2", "A", "Q2", nil, false},
		{"another agency than the case's", "C", "P", "B", "Q", nil, false},
		{"a party of another borrower", "C", "P", "A", "Q2", nil, false},
		{"a contact method of another party", "C", "P", "A", "Q", "M2", false},
		{"no such case", "X", "P", "A", "Q", nil, false},
		{"no such method", "C", "P", "A", "Q", "X", false},
	} {
		err := insert("a "+c.what, c.caseID, c.borrower, c.agency, c.party, c.method)
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: %v", c.what, err)
		case !c.ok && !isForeignKeyViolation(err):
			t.Errorf("%s: %v, want a foreign key violation", c.what, err)
		}
	}
	execAll(t, raw, "DELETE FROM attempts WHERE id <> 'before'")

	if _, err := p.DownTo(ctx, 17); err != nil {
		t.Fatal(err)
	}
	if got := schemaOf(t, raw); got != schema17 {
		t.Errorf("schema after going down:\n%s\nwant that of migration 17:\n%s", got, schema17)
	}
	if _, err := p.UpTo(ctx, 18); err != nil {
		t.Fatal(err)
	}
	if got := contentOf(t, raw); got != content {
		t.Errorf("rows after going up again: %s, want %s", got, content)
	}
}
