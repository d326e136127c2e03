package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"golang.org/x/mod/sumdb/note"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fairdebt/fairdebt/internal/audit"
	"github.com/fairdebt/fairdebt/internal/store"
)

func (a *app) auditCommand(stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify the tamper-evident audit log, its receipts and exports",
		Long: `Every decision and outcome fairdebt records is a leaf of an append-only Merkle tree
(RFC 6962), with checkpoints of the tree signed by the key in DATA/audit.key. The
verifier key, DATA/audit.pub, is public: give it to whoever checks receipts and
exports. Exit status: 0 verified, 1 tampering or a bad signature found, 2 bad input.`,
	}
	cmd.AddCommand(a.auditVerifyCommand(stderr), a.auditVerifyReceiptCommand(), a.auditExportCommand(), a.auditVerifyExportCommand(stderr))
	return cmd
}

// tamperExit turns a *audit.TamperError into exit status 1.
func tamperExit(err error) error {
	var te *audit.TamperError
	if errors.As(err, &te) {
		return &exitError{exitFailure, fmt.Errorf("TAMPERED: %w", err)}
	}
	return err
}

// verifierKey reads a verifier key given as the key itself (as serve logs it:
// the name, fairdebt/audit, and the base64 key both may hold '/') or as a file
// holding it.
func verifierKey(s string) (string, error) {
	if _, err := note.NewVerifier(s); err == nil {
		return s, nil
	}
	data, err := os.ReadFile(s)
	if err != nil {
		return "", inputError(fmt.Errorf("--key: neither a verifier key (name+hash+key) nor a readable file: %w", err))
	}
	return strings.TrimSpace(string(data)), nil
}

// requiredVerifierKey reads the --key of the offline commands, which have no data
// directory to find it in.
func requiredVerifierKey(key string) (string, error) {
	if key == "" {
		return "", inputError(errors.New("--key is required: the log's verifier key, or a file holding it"))
	}
	return verifierKey(key)
}

// openAuditLog opens the database of a data directory, read-only, for the audit
// commands.
func openAuditLog(ctx context.Context, dataDir, dbPath string) (*audit.Log, func(), error) {
	if dbPath == "" {
		dbPath = filepath.Join(dataDir, "fairdebt.db")
	}
	open := store.OpenSQLiteReadOnly
	if store.IsPostgres(dbPath) {
		open = store.OpenPostgresReadOnly
	} else if _, err := os.Stat(dbPath); err != nil {
		return nil, nil, inputError(fmt.Errorf("no database at %s (--data or --db): %w", dbPath, err))
	}
	// Read-only: the service may be running and writing beside us.
	db, err := open(ctx, dbPath)
	if err != nil {
		return nil, nil, err
	}
	l, err := audit.New(ctx, db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return l, func() { db.Close() }, nil
}

// progressPrinter reports progress on a terminal, now and then.
func progressPrinter(w io.Writer, what string) func(done, total int64) {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return func(done, total int64) {
		pct := 100.0
		if total > 0 {
			pct = 100 * float64(done) / float64(total)
		}
		fmt.Fprintf(w, "\r%s: %d of %d leaves (%.0f%%)", what, done, total, pct)
		if done >= total {
			fmt.Fprintln(w)
		}
	}
}

func (a *app) auditVerifyCommand(stderr io.Writer) *cobra.Command {
	var data, dbPath, key string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Recompute the whole tree from the stored leaves and check every hash and checkpoint",
		Long: `verify reads every leaf of the audit log in DATA's database, recomputes the Merkle
tree, and checks it against every stored hash and every signed checkpoint (signature
and root). It names the first bad leaf on any mismatch: a leaf edited, deleted,
reordered or inserted, a stored hash edited or missing, or leaves rewritten together
with their hashes (which only the signed checkpoints reveal). It may run while the
service runs.`,
		Example: `  fairdebt audit verify --data ./fairdebt-data
  fairdebt audit verify --data ./fairdebt-data --key audit.pub`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if key == "" {
				key = filepath.Join(data, audit.VerifierKeyFile)
			}
			vkey, err := verifierKey(key)
			if err != nil {
				return err
			}
			l, closeDB, err := openAuditLog(cmd.Context(), data, dbPath)
			if err != nil {
				return err
			}
			defer closeDB()
			rep, err := l.Verify(cmd.Context(), vkey, progressPrinter(stderr, "verifying"))
			if err != nil {
				return tamperExit(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %d leaves, %d stored hashes and %d signed checkpoints verified\n", rep.Leaves, rep.Hashes, rep.Checkpoints)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "./fairdebt-data", "data directory")
	cmd.Flags().StringVar(&dbPath, "db", "", "SQLite database file (default DATA/fairdebt.db), or a postgres:// URL")
	cmd.Flags().StringVar(&key, "key", "", "verifier key, or a file holding it (default DATA/audit.pub)")
	return cmd
}

func (a *app) auditVerifyReceiptCommand() *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:   "verify-receipt FILE",
		Short: "Check a receipt offline: the signed checkpoint and the leaf's inclusion proof",
		Long: `verify-receipt checks, with no database and no network, a receipt as served by
GET /v1/attempts/{id}/receipts (one receipt, or the list) or /v1/audit/entries/{i}:
that the checkpoint is signed by the key given, and that the leaf is in the tree
the checkpoint signs. It prints what each receipt records. "-" reads stdin.`,
		Example: `  fairdebt audit verify-receipt receipt.json --key audit.pub`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			vkey, err := requiredVerifierKey(key)
			if err != nil {
				return err
			}
			var raw []byte
			if args[0] == "-" {
				raw, err = io.ReadAll(a.stdin)
			} else {
				raw, err = os.ReadFile(args[0])
			}
			if err != nil {
				return inputError(err)
			}
			var receipts []audit.Receipt
			if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
				err = json.Unmarshal(t, &receipts)
			} else {
				var r audit.Receipt
				err = json.Unmarshal(t, &r)
				receipts = []audit.Receipt{r}
			}
			if err != nil || len(receipts) == 0 {
				return inputError(fmt.Errorf("%s: not a receipt (%v)", args[0], err))
			}
			out := cmd.OutOrStdout()
			for _, r := range receipts {
				e, c, err := audit.VerifyReceipt(r, vkey)
				if err != nil {
					return &exitError{exitFailure, fmt.Errorf("receipt for leaf %d does NOT verify: %w", r.Index, err)}
				}
				fmt.Fprintf(out, "ok: leaf %d of %s (signed tree of %d leaves): %s at %s by %s, %s\n",
					r.Index, c.Origin, c.Size, e.Type, e.At.Format(time.RFC3339), e.Actor, describe(e))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "verifier key, or a file holding it (DATA/audit.pub of the deployment)")
	return cmd
}

// describe summarises an event's subject and facts in one line.
func describe(e audit.Event) string {
	var parts []string
	for _, k := range sortedKeys(e.Subject) {
		parts = append(parts, k+"="+e.Subject[k])
	}
	facts := map[string]string{}
	for k, v := range e.Facts {
		facts[k] = fmt.Sprint(v)
	}
	for _, k := range sortedKeys(facts) {
		parts = append(parts, k+"="+facts[k])
	}
	return strings.Join(parts, " ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (a *app) auditExportCommand() *cobra.Command {
	var data, dbPath, out string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write every leaf and signed checkpoint to a file, for a regulator",
		Long: `export writes the audit log as one consistent snapshot (JSON Lines: a header,
the signed checkpoints, then the leaves in order) for verification elsewhere with
'fairdebt audit verify-export' and the verifier key. Leaves hold no clear-text
personal data. The file is written beside OUT and renamed into place when complete.`,
		Example: `  fairdebt audit export --data ./fairdebt-data --out audit-2026-11.jsonl`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return inputError(errors.New("--out is required"))
			}
			l, closeDB, err := openAuditLog(cmd.Context(), data, dbPath)
			if err != nil {
				return err
			}
			defer closeDB()
			if st, err := os.Stat(filepath.Dir(out)); err != nil || !st.IsDir() {
				return inputError(fmt.Errorf("--out: %s is not a directory one can write to", filepath.Dir(out)))
			}
			var n int64
			if err := writeAtomic(out, func(w io.Writer) error {
				var err error
				n, err = l.Export(cmd.Context(), w, time.Now())
				return err
			}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "exported %d leaves to %s\n", n, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "./fairdebt-data", "data directory")
	cmd.Flags().StringVar(&dbPath, "db", "", "SQLite database file (default DATA/fairdebt.db), or a postgres:// URL")
	cmd.Flags().StringVar(&out, "out", "", "file to write")
	return cmd
}

func (a *app) auditVerifyExportCommand(stderr io.Writer) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:   "verify-export FILE",
		Short: "Check an export offline against the verifier key",
		Long: `verify-export recomputes the tree from an export's leaves and checks every signed
checkpoint in it: its signature under the key given and its root at its size. It
needs no database and no network.`,
		Example: `  fairdebt audit verify-export audit-2026-11.jsonl --key audit.pub`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			vkey, err := requiredVerifierKey(key)
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return inputError(err)
			}
			defer f.Close()
			rep, err := audit.VerifyExport(f, vkey, progressPrinter(stderr, "verifying"))
			if err != nil {
				var te *audit.TamperError
				if errors.As(err, &te) {
					return tamperExit(err)
				}
				return inputError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %d leaves and %d signed checkpoints verified\n", rep.Leaves, rep.Checkpoints)
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "verifier key, or a file holding it")
	return cmd
}
