package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// Insert is a one-row INSERT that a write function may leave for the end of its
// batch (InsertLater): on PostgreSQL the rows a batch leaves are inserted with
// one statement per table when it commits, instead of one round trip to the
// server per row; on SQLite, which has no round trips, each is inserted at once.
type Insert struct {
	table string
	cols  []string // names
	types []string // PostgreSQL types: text, bigint, integer or boolean
	one   string   // the one-row statement
	many  string   // the statement that inserts arrays' worth (PostgreSQL)
}

// NewInsert describes an INSERT into table of the columns, each given as "name
// type" with type one of text, bigint, integer and boolean.
func NewInsert(table string, columns ...string) *Insert {
	ins := &Insert{table: table}
	var ph []string
	for i, c := range columns {
		name, typ, ok := strings.Cut(c, " ")
		switch {
		case !ok:
			panic("store: NewInsert: column " + c + " has no type")
		case typ != "text" && typ != "bigint" && typ != "integer" && typ != "boolean":
			panic("store: NewInsert: column " + c + ": unknown type")
		}
		ins.cols, ins.types = append(ins.cols, name), append(ins.types, typ)
		ph = append(ph, "$"+strconv.Itoa(i+1))
	}
	ins.one = "INSERT INTO " + table + " (" + strings.Join(ins.cols, ", ") + ") VALUES (" + strings.Join(ph, ", ") + ")"
	ins.many = ins.manyFrom(1)
	return ins
}

// manyFrom returns the statement that inserts arrays' worth, its parameters
// numbered from first.
func (ins *Insert) manyFrom(first int) string {
	arrays := make([]string, len(ins.cols))
	for i, typ := range ins.types {
		arrays[i] = "$" + strconv.Itoa(first+i) + "::" + typ + "[]"
	}
	return "INSERT INTO " + ins.table + " (" + strings.Join(ins.cols, ", ") + ") SELECT * FROM unnest(" + strings.Join(arrays, ", ") + ")"
}

// SQL returns the one-row statement, to Prepare.
func (ins *Insert) SQL() string { return ins.one }

// pendingRow is a row left for the end of the batch.
type pendingRow struct {
	ins  *Insert
	args []any
}

// InsertLater inserts one row (args in the Insert's column order) in tx. Inside a
// function run by UpdateSingleDeferred, on PostgreSQL, in the batch's first try
// (see commit), the row waits until the batch commits or Flush runs; anywhere
// else it is inserted at once. A row that waits cannot fail on its own: if
// inserting the batch's rows fails, the batch is run again with every row
// inserted at once, so that only the function whose row fails fails.
func (db *DB) InsertLater(ctx context.Context, tx *sql.Tx, ins *Insert, args ...any) error {
	if len(args) != len(ins.cols) {
		return fmt.Errorf("store: %d values for the %d columns of %s", len(args), len(ins.cols), ins.table)
	}
	if !db.deferNow {
		_, err := db.Exec(ctx, tx, ins.one, args...)
		return err
	}
	db.pending = append(db.pending, pendingRow{ins: ins, args: args})
	return nil
}

// Flush inserts the rows the batch's functions have left (InsertLater), so that
// what follows can read them. A function run by UpdateSingleDeferred calls it
// before reading a table whose rows a function of its batch may have left.
// Elsewhere it does nothing: the writer flushes before running any other kind of
// function, and before committing.
//
// The rows go to the server in one statement, whatever the number of tables:
// each table's INSERT … SELECT FROM unnest(…) is a data-modifying WITH of the
// last one's, so a batch pays one round trip for all it left.
func (db *DB) Flush(ctx context.Context, tx *sql.Tx) error {
	if len(db.pending) == 0 {
		return nil
	}
	rows := db.pending
	db.pending = db.pending[:0]
	var order []*Insert
	byIns := map[*Insert][]pendingRow{}
	for _, r := range rows {
		if _, ok := byIns[r.ins]; !ok {
			order = append(order, r.ins)
		}
		byIns[r.ins] = append(byIns[r.ins], r)
	}
	var args []any
	var tables []string
	for _, ins := range order {
		arrays, err := columnArrays(ins, byIns[ins])
		if err != nil {
			return err
		}
		args = append(args, arrays...)
		tables = append(tables, fmt.Sprintf("%d rows into %s", len(byIns[ins]), ins.table))
	}
	if _, err := tx.ExecContext(context.WithoutCancel(ctx), db.flushStatement(order), args...); err != nil {
		return fmt.Errorf("store: inserting %s: %w", strings.Join(tables, ", "), err)
	}
	return nil
}

// flushStatement returns the one statement that inserts the arrays of the
// tables in order, parameters numbered in that order. Statements are kept by
// the tables' names: a process has few combinations.
func (db *DB) flushStatement(order []*Insert) string {
	if len(order) == 1 {
		return order[0].many
	}
	names := make([]string, len(order))
	for i, ins := range order {
		names[i] = ins.table
	}
	key := strings.Join(names, ",")
	if q, ok := db.flushes[key]; ok {
		return q
	}
	var b strings.Builder
	first := 1
	for i, ins := range order {
		switch {
		case i == 0:
			b.WriteString("WITH ")
		case i < len(order)-1:
			b.WriteString(", ")
		}
		if i < len(order)-1 {
			fmt.Fprintf(&b, "t%d AS (%s)", i, ins.manyFrom(first))
		} else {
			b.WriteString(" " + ins.manyFrom(first))
		}
		first += len(ins.cols)
	}
	if db.flushes == nil {
		db.flushes = map[string]string{}
	}
	db.flushes[key] = b.String()
	return db.flushes[key]
}

// columnArrays turns rows into one array per column, as the many statement
// takes them.
func columnArrays(ins *Insert, rows []pendingRow) ([]any, error) {
	out := make([]any, len(ins.cols))
	for c, typ := range ins.types {
		var err error
		switch typ {
		case "text":
			col := make([]*string, len(rows))
			for i, r := range rows {
				if col[i], err = asText(r.args[c]); err != nil {
					break
				}
			}
			out[c] = col
		case "bigint", "integer":
			col := make([]*int64, len(rows))
			for i, r := range rows {
				if col[i], err = asInt(r.args[c]); err != nil {
					break
				}
			}
			out[c] = col
		case "boolean":
			col := make([]*bool, len(rows))
			for i, r := range rows {
				if col[i], err = asBool(r.args[c]); err != nil {
					break
				}
			}
			out[c] = col
		}
		if err != nil {
			return nil, fmt.Errorf("store: %s.%s: %w", ins.table, ins.cols[c], err)
		}
	}
	return out, nil
}

func asText(v any) (*string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return &v, nil
	case *string:
		return v, nil
	case sql.NullString:
		if !v.Valid {
			return nil, nil
		}
		return &v.String, nil
	}
	return nil, fmt.Errorf("a %T where text was declared", v)
}

func asInt(v any) (*int64, error) {
	var n int64
	switch v := v.(type) {
	case nil:
		return nil, nil
	case int:
		n = int64(v)
	case int32:
		n = int64(v)
	case int64:
		n = v
	case sql.NullInt64:
		if !v.Valid {
			return nil, nil
		}
		n = v.Int64
	default:
		return nil, fmt.Errorf("a %T where an integer was declared", v)
	}
	return &n, nil
}

func asBool(v any) (*bool, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case bool:
		return &v, nil
	}
	return nil, fmt.Errorf("a %T where a boolean was declared", v)
}
