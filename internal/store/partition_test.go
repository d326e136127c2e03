package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
)

// rawPostgres opens a plain connection pool on the PostgreSQL database at dsn,
// without migrating it: each statement commits on its own.
func rawPostgres(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// execAll runs statements on db, failing the test on the first error.
func execAll(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// seedCase writes what an attempt refers to: lender L, agencies A and B,
// borrower P, debt D, case C (placed with A), case CB (placed with B) and party
// Q, P's.
func seedCase(t *testing.T, db *sql.DB) {
	t.Helper()
	execAll(t, db,
		"INSERT INTO lenders (id, name, created_at) VALUES ('L', 'lender', 0)",
		"INSERT INTO agencies (id, name, approved, created_at) VALUES ('A', 'a', TRUE, 0), ('B', 'b', TRUE, 0)",
		"INSERT INTO borrowers (id, lender_id, name, timezone, pack, created_at) VALUES ('P', 'L', 'p', 'UTC', 'cn', 0)",
		"INSERT INTO debts (id, borrower_id, lender_id, currency, principal, fees, created_at) VALUES ('D', 'P', 'L', 'CNY', 1, 0, 0)",
		"INSERT INTO cases (id, debt_id, borrower_id, agency_id, status, created_at, updated_at) VALUES ('C', 'D', 'P', 'A', 'open', 0, 0), ('CB', 'D', 'P', 'B', 'closed', 0, 0)",
		"INSERT INTO parties (id, borrower_id, role, name, relation, created_at) VALUES ('Q', 'P', 'debtor', 'q', 'self', 0)")
}

// insertAttempt records attempt id at time at by agency (A on case C, B on
// case CB), with an idempotency key unless key is "".
func insertAttempt(db *sql.DB, id, agency string, at time.Time, key string) error {
	caseID := "C"
	if agency != "A" {
		caseID += agency
	}
	_, err := db.Exec(`INSERT INTO attempts (id, case_id, borrower_id, agency_id, party_id, party_role, channel, purpose, at, pack,
		allowed, decision, message, collectors, caller_id_registered, idempotency_key)
		VALUES ($1, $5, 'P', $2, 'Q', 'debtor', 'call', 'collect', $3, 'cn', TRUE, '{}', '', 1, TRUE, NULLIF($4, ''))`,
		id, agency, at.UnixMilli(), key, caseID)
	return err
}

func insertLeaf(db *sql.DB, idx int64, at time.Time) error {
	_, err := db.Exec("INSERT INTO audit_leaves (idx, data, hashes, created_at) VALUES ($1, $2, 'h', $3)",
		idx, fmt.Sprint("leaf ", idx), at.UnixMilli())
	return err
}

// isDuplicate reports whether err is PostgreSQL's unique_violation.
func isDuplicate(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// partitionsOf lists table's partitions by name.
func partitionsOf(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = $1::regclass ORDER BY 1", table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// wantPartitions is table's partitions after EnsurePartitions at each of nows.
func wantPartitions(table string, nows ...time.Time) []string {
	want := []string{table + "_default"}
	for _, now := range nows {
		for _, m := range partitionMonths(now) {
			if name := monthPartition(table, m); !slices.Contains(want, name) {
				want = append(want, name)
			}
		}
	}
	slices.Sort(want)
	return want
}

// partitionOf returns the partition holding the row of table that where picks.
func partitionOf(t *testing.T, db *sql.DB, table, where string) string {
	t.Helper()
	var name string
	if err := db.QueryRow("SELECT tableoid::regclass::text FROM " + table + " WHERE " + where).Scan(&name); err != nil {
		t.Fatalf("%s WHERE %s: %v", table, where, err)
	}
	return name
}

func TestPartitionMonths(t *testing.T) {
	// 07:59 on 1 January in Shanghai is still 31 December in UTC: months are
	// UTC months, in Unix milliseconds.
	now := time.Date(2031, 1, 1, 7, 59, 0, 0, time.FixedZone("CST", 8*3600))
	var got []string
	for _, m := range partitionMonths(now) {
		got = append(got, fmt.Sprintf("%s %d", monthPartition("attempts", m), m.UnixMilli()))
	}
	want := []string{"attempts_y2030m12 1922313600000", "attempts_y2031m01 1924992000000",
		"attempts_y2031m02 1927670400000", "attempts_y2031m03 1930089600000"}
	if !slices.Equal(got, want) {
		t.Errorf("months %q, want %q", got, want)
	}
}

// On PostgreSQL, attempts and audit_leaves are partitioned by month: opening
// the database makes this month's partition and the next ones, a row goes to
// its month's partition, and a row of a month without one to the DEFAULT
// partition.
func TestPartitionedTables(t *testing.T) {
	postgresOnly(t)
	dsn := newDSN(t)
	db, err := openAt(t, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw := rawPostgres(t, dsn)
	for _, p := range partitioned {
		var strategy, key string
		if err := raw.QueryRow(`SELECT p.partstrat, a.attname FROM pg_partitioned_table p
			JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
			WHERE p.partrelid = $1::regclass`, p.table).Scan(&strategy, &key); err != nil {
			t.Fatalf("%s is not partitioned: %v", p.table, err)
		}
		if strategy != "r" || key != p.key {
			t.Errorf("%s is partitioned %q by %s, want r by %s", p.table, strategy, key, p.key)
		}
		if got, want := partitionsOf(t, raw, p.table), wantPartitions(p.table, time.Now()); !slices.Equal(got, want) {
			t.Errorf("%s has partitions %q, want %q", p.table, got, want)
		}
	}
	seedCase(t, raw)
	now := time.Now()
	old := time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)
	if err := insertAttempt(raw, "now", "A", now, ""); err != nil {
		t.Fatal(err)
	}
	if err := insertAttempt(raw, "old", "A", old, ""); err != nil {
		t.Fatal(err)
	}
	if err := insertLeaf(raw, 0, old); err != nil {
		t.Fatal(err)
	}
	if err := insertLeaf(raw, 1, now); err != nil {
		t.Fatal(err)
	}
	month := partitionMonths(now)[0]
	for _, c := range []struct{ table, where, want string }{
		{"attempts", "id = 'now'", monthPartition("attempts", month)},
		{"attempts", "id = 'old'", "attempts_default"},
		{"audit_leaves", "idx = 1", monthPartition("audit_leaves", month)},
		{"audit_leaves", "idx = 0", "audit_leaves_default"},
	} {
		if got := partitionOf(t, raw, c.table, c.where); got != c.want {
			t.Errorf("%s WHERE %s is in %s, want %s", c.table, c.where, got, c.want)
		}
	}
}

// EnsurePartitions may run again and from several processes at once; a month
// with rows in the DEFAULT partition is skipped, and the rows stay there.
func TestEnsurePartitions(t *testing.T) {
	postgresOnly(t)
	dsn := newDSN(t)
	var dbs []*DB
	for range 4 {
		db, err := openAt(t, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs = append(dbs, db)
	}
	raw := rawPostgres(t, dsn)
	seedCase(t, raw)
	// A row of June 2035 before that month has a partition.
	june := time.Date(2035, 6, 10, 0, 0, 0, 0, time.UTC)
	if err := insertAttempt(raw, "early", "A", june, ""); err != nil {
		t.Fatal(err)
	}
	later := time.Date(2035, 5, 31, 23, 0, 0, 0, time.UTC)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 3*len(dbs))
	for _, db := range dbs {
		for range 3 {
			wg.Go(func() { errs <- db.EnsurePartitions(ctx, later) })
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	leaves := wantPartitions("audit_leaves", time.Now(), later)
	attempts := slices.DeleteFunc(wantPartitions("attempts", time.Now(), later), func(s string) bool { return s == "attempts_y2035m06" })
	if got := partitionsOf(t, raw, "attempts"); !slices.Equal(got, attempts) {
		t.Errorf("attempts has partitions %q, want %q (no June 2035: its row is in the default partition)", got, attempts)
	}
	if got := partitionsOf(t, raw, "audit_leaves"); !slices.Equal(got, leaves) {
		t.Errorf("audit_leaves has partitions %q, want %q", got, leaves)
	}
	if got := partitionOf(t, raw, "attempts", "id = 'early'"); got != "attempts_default" {
		t.Errorf("the row of June 2035 is in %s, want attempts_default", got)
	}
	// The month after June has its partition, and its rows go there.
	if err := insertAttempt(raw, "july", "A", june.AddDate(0, 1, 0), ""); err != nil {
		t.Fatal(err)
	}
	if got := partitionOf(t, raw, "attempts", "id = 'july'"); got != "attempts_y2035m07" {
		t.Errorf("a row of July 2035 is in %s", got)
	}
	if err := dbs[0].EnsurePartitions(ctx, later); err != nil {
		t.Errorf("again: %v", err)
	}
}

// On SQLite, migration 16 is empty and EnsurePartitions does nothing.
func TestPartitionsSQLite(t *testing.T) {
	sqliteOnly(t)
	db := open(t)
	if err := db.EnsurePartitions(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	var version int64
	if err := db.R.QueryRow("SELECT MAX(version_id) FROM goose_db_version").Scan(&version); err != nil || version < 16 {
		t.Fatalf("migrated to version %d (%v), want 16 or later", version, err)
	}
	var schema string
	if err := db.R.QueryRow("SELECT sql FROM sqlite_master WHERE name = 'attempts'").Scan(&schema); err != nil ||
		!strings.Contains(schema, "id                   TEXT PRIMARY KEY") {
		t.Errorf("attempts is %q (%v), want the table of migration 1", schema, err)
	}
}

// The ids of attempts and audit leaves, and the idempotency keys of an
// agency's attempts, stay unique across partitions, whatever writes them.
func TestPartitionedUniqueness(t *testing.T) {
	postgresOnly(t)
	dsn := newDSN(t)
	db, err := openAt(t, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw := rawPostgres(t, dsn)
	seedCase(t, raw)
	now := time.Now()
	old := time.Date(2019, 3, 1, 0, 0, 0, 0, time.UTC)
	next := partitionMonths(now)[1]
	ok := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
	dup := func(what string, err error) {
		t.Helper()
		if !isDuplicate(err) {
			t.Errorf("%s: %v, want a unique violation", what, err)
		}
	}
	ok("a1 now", insertAttempt(raw, "a1", "A", now, "k1"))
	dup("a1 again in 2019", insertAttempt(raw, "a1", "A", old, ""))
	dup("a1 again next month", insertAttempt(raw, "a1", "A", next, ""))
	dup("A's key k1 again in 2019", insertAttempt(raw, "a2", "A", old, "k1"))
	ok("B's key k1", insertAttempt(raw, "a3", "B", old, "k1"))
	ok("no key", insertAttempt(raw, "a4", "A", old, ""))
	ok("no key again", insertAttempt(raw, "a5", "A", next, ""))

	// An update that moves a row to another partition keeps its keys taken;
	// one that changes them frees the old ones.
	_, err = raw.Exec("UPDATE attempts SET at = $1 WHERE id = 'a1'", old.UnixMilli())
	ok("moving a1 to 2019", err)
	if got := partitionOf(t, raw, "attempts", "id = 'a1'"); got != "attempts_default" {
		t.Errorf("a1 moved to %s", got)
	}
	dup("a1 after it moved", insertAttempt(raw, "a1", "A", now, ""))
	dup("A's key k1 after a1 moved", insertAttempt(raw, "a6", "A", now, "k1"))
	_, err = raw.Exec("UPDATE attempts SET id = 'a7', idempotency_key = 'k7', at = $1 WHERE id = 'a1'", next.UnixMilli())
	ok("renaming a1", err)
	ok("a1 after renaming it", insertAttempt(raw, "a1", "A", now, "k1"))
	dup("a7", insertAttempt(raw, "a7", "A", old, ""))
	dup("A's key k7", insertAttempt(raw, "a8", "A", old, "k7"))
	_, err = raw.Exec("UPDATE attempts SET result = 'answered' WHERE id = 'a7'")
	ok("recording an outcome", err)
	_, err = raw.Exec("DELETE FROM attempts WHERE id = 'a7'")
	ok("deleting a7", err)
	ok("a7 after deleting it", insertAttempt(raw, "a7", "B", now, "k7"))

	ok("leaf 0 now", insertLeaf(raw, 0, now))
	dup("leaf 0 in 2019", insertLeaf(raw, 0, old))
	dup("leaf 0 next month", insertLeaf(raw, 0, next))
	ok("leaf 1 in 2019", insertLeaf(raw, 1, old))
	_, err = raw.Exec("UPDATE audit_leaves SET idx = 2, created_at = $1 WHERE idx = 1", next.UnixMilli())
	ok("moving leaf 1 to 2", err)
	ok("leaf 1 again", insertLeaf(raw, 1, now))
	dup("leaf 2", insertLeaf(raw, 2, now))

	// A second transaction writing a key the first has written waits for it,
	// and fails once it commits.
	tx, err := raw.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT INTO attempts (id, case_id, borrower_id, agency_id, party_id, party_role, channel, purpose, at, pack,
		allowed, decision, message, collectors, caller_id_registered) VALUES
		('race', 'C', 'P', 'A', 'Q', 'debtor', 'call', 'collect', $1, 'cn', TRUE, '{}', '', 1, TRUE)`, now.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	second := make(chan error, 1)
	go func() { second <- insertAttempt(raw, "race", "A", old, "") }()
	select {
	case err := <-second:
		t.Fatalf("the second insert did not wait for the first transaction: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	dup("the racing insert", <-second)

	// The side tables hold exactly the keys of the rows.
	var stray int
	if err := raw.QueryRow(`SELECT
		(SELECT COUNT(*) FROM attempts a FULL JOIN attempts_unique u USING (id)
			WHERE a.id IS NULL OR u.id IS NULL OR a.agency_id <> u.agency_id OR a.idempotency_key IS DISTINCT FROM u.idempotency_key) +
		(SELECT COUNT(*) FROM audit_leaves l FULL JOIN audit_leaves_unique u USING (idx) WHERE l.idx IS NULL OR u.idx IS NULL)`).
		Scan(&stray); err != nil || stray != 0 {
		t.Errorf("%d keys differ between the tables and their side tables (%v)", stray, err)
	}
}

// schemaOf describes the tables migration 16 changes: columns, constraints,
// indexes and triggers, and the tables and functions it adds.
func schemaOf(t *testing.T, db *sql.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || COALESCE(column_default, '')
			FROM information_schema.columns WHERE table_name IN ('attempts', 'audit_leaves') ORDER BY table_name, ordinal_position`,
		`SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
			WHERE conrelid IN ('attempts'::regclass, 'audit_leaves'::regclass) ORDER BY 1`,
		`SELECT indexdef FROM pg_indexes WHERE tablename IN ('attempts', 'audit_leaves') ORDER BY 1`,
		`SELECT tgrelid::regclass::text || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1`,
		`SELECT relname || ' ' || relkind::text FROM pg_class WHERE relnamespace = 'public'::regnamespace
			AND relname ~ '^(attempts|audit_leaves)' ORDER BY 1`,
		`SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			b.WriteString(s + "\n")
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// contentOf digests every row of attempts and of audit_leaves.
func contentOf(t *testing.T, db *sql.DB) string {
	t.Helper()
	var a, l string
	if err := db.QueryRow(`SELECT (SELECT COUNT(*) || ' ' || COALESCE(md5(string_agg(t::text, '|' ORDER BY id)), '') FROM attempts t),
		(SELECT COUNT(*) || ' ' || COALESCE(md5(string_agg(t::text, '|' ORDER BY idx)), '') FROM audit_leaves t)`).Scan(&a, &l); err != nil {
		t.Fatal(err)
	}
	return a + " " + l
}

// Migration 16 keeps the rows already written (in the DEFAULT partition) and
// their uniqueness, and goes down to the schema of migration 15 and up again.
func TestMigrationPartitions(t *testing.T) {
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
	if _, err := p.UpTo(ctx, 15); err != nil {
		t.Fatal(err)
	}
	seedCase(t, raw)
	now := time.Now()
	times := []time.Time{time.Date(2019, 12, 31, 23, 59, 59, 0, time.UTC), now, time.Date(2031, 7, 1, 0, 0, 0, 0, time.UTC)}
	for i, at := range times {
		if err := insertAttempt(raw, fmt.Sprint("a", i), "A", at, fmt.Sprint("k", i)); err != nil {
			t.Fatal(err)
		}
		if err := insertAttempt(raw, fmt.Sprint("n", i), "B", at, ""); err != nil {
			t.Fatal(err)
		}
		if err := insertLeaf(raw, int64(i), at); err != nil {
			t.Fatal(err)
		}
	}
	execAll(t, raw, "UPDATE attempts SET result = 'answered', result_at = at + 1, decision_leaf = 0, actor = 'user:x' WHERE id = 'a1'")
	schema15, content := schemaOf(t, raw), contentOf(t, raw)

	if _, err := p.UpTo(ctx, 16); err != nil {
		t.Fatal(err)
	}
	if got := contentOf(t, raw); got != content {
		t.Errorf("rows after migrating up: %s, want %s", got, content)
	}
	for _, table := range []string{"attempts", "audit_leaves"} {
		var elsewhere int
		if err := raw.QueryRow("SELECT COUNT(*) FROM " + table + " WHERE tableoid <> '" + table + "_default'::regclass").Scan(&elsewhere); err != nil || elsewhere != 0 {
			t.Errorf("%d rows of %s outside its default partition (%v)", elsewhere, table, err)
		}
	}
	if !isDuplicate(insertAttempt(raw, "a0", "A", now, "")) || !isDuplicate(insertAttempt(raw, "x", "A", now, "k2")) ||
		!isDuplicate(insertLeaf(raw, 2, now)) {
		t.Error("the keys of the rows migrated are not taken")
	}
	// This month's rows are in the default partition: its partition is not
	// made, the next months' are.
	if err := ensurePartitions(ctx, raw, now); err != nil {
		t.Fatal(err)
	}
	month := partitionMonths(now)[0]
	for _, table := range []string{"attempts", "audit_leaves"} {
		want := slices.DeleteFunc(wantPartitions(table, now), func(s string) bool { return s == monthPartition(table, month) })
		if got := partitionsOf(t, raw, table); !slices.Equal(got, want) {
			t.Errorf("%s has partitions %q, want %q", table, got, want)
		}
	}
	if err := insertAttempt(raw, "next", "A", partitionMonths(now)[1], ""); err != nil {
		t.Fatal(err)
	}
	execAll(t, raw, "DELETE FROM attempts WHERE id = 'next'")

	if _, err := p.DownTo(ctx, 15); err != nil {
		t.Fatal(err)
	}
	if got := schemaOf(t, raw); got != schema15 {
		t.Errorf("schema after going down:\n%s\nwant that of migration 15:\n%s", got, schema15)
	}
	if got := contentOf(t, raw); got != content {
		t.Errorf("rows after going down: %s, want %s", got, content)
	}
	if _, err := p.UpTo(ctx, 16); err != nil {
		t.Fatal(err)
	}
	if got := contentOf(t, raw); got != content {
		t.Errorf("rows after going up again: %s, want %s", got, content)
	}
	if !isDuplicate(insertAttempt(raw, "a2", "A", now, "")) {
		t.Error("an id taken before going down and up is free")
	}
}

// The hot queries on attempts and audit_leaves stay indexed: with sequential
// scans priced out, none of their plans reads a partition from end to end.
// (The queries are the collection service's and the audit log's.)
func TestPartitionedQueriesUseIndexes(t *testing.T) {
	postgresOnly(t)
	dsn := newDSN(t)
	db, err := openAt(t, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw := rawPostgres(t, dsn)
	ctx := context.Background()
	c, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixMilli()
	for _, q := range []struct {
		query string
		args  []any
	}{
		{"SELECT * FROM attempts WHERE id = $1", []any{"a"}},
		{"UPDATE attempts SET result = $1, result_at = $2, outcome_leaf = $3 WHERE id = $4", []any{"answered", now, 1, "a"}},
		{"SELECT decision_leaf, outcome_leaf FROM attempts WHERE id = $1", []any{"a"}},
		{"SELECT id FROM attempts WHERE agency_id = $1 AND idempotency_key = $2", []any{"A", "k"}},
		{"SELECT id, at, party_id, party_role, channel, result FROM attempts WHERE borrower_id = $1 AND allowed AND at >= $2 ORDER BY at, id",
			[]any{"P", now - 7*24*3600*1000}},
		{"SELECT id, at FROM attempts WHERE borrower_id = $1 AND allowed AND at < $2 AND party_role = 'debtor' ORDER BY at DESC, id DESC LIMIT $3",
			[]any{"P", now, 10}},
		{"SELECT * FROM attempts WHERE borrower_id = $1 AND case_id = $2 ORDER BY at DESC, id DESC LIMIT $3", []any{"P", "C", 100}},
		{"SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_leaves", nil},
		{"SELECT idx, hashes FROM audit_leaves WHERE idx IN ($1, $2, $3)", []any{1, 5, 9}},
		{"SELECT idx, hashes FROM audit_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx", []any{256, 512}},
		{"SELECT data FROM audit_leaves WHERE idx = $1", []any{7}},
		{"SELECT idx, data FROM audit_leaves WHERE idx < $1 ORDER BY idx", []any{100}},
	} {
		rows, err := c.QueryContext(ctx, "EXPLAIN "+q.query, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", q.query, err)
		}
		var plan strings.Builder
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(line + "\n")
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(plan.String(), "Seq Scan") {
			t.Errorf("%s reads a whole partition:\n%s", q.query, plan.String())
		}
	}
}
