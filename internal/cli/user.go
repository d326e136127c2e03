package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/secret"
)

// operator is the principal of the command line: whoever runs it holds the data
// directory, and so everything in it.
var operator = collection.Principal{Admin: true, Role: collection.RoleAdmin, Name: "cli"}

type userOptions struct {
	data, db, role, agency, lang string
	passwordStdin                bool
}

func (a *app) userCommand(stdout, stderr io.Writer) *cobra.Command {
	var o userOptions
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Add users of the web UI, reset their passwords, list them",
		Long: `user manages the people who sign in to fairdebt's web UI. Each has one role:

  admin           the lender's administrators: everything
  compliance      the lender's compliance staff
  agency_manager  runs an agency's team (--agency)
  collector       works the cases assigned to them (--agency)
  regulator       reads everything, of every lender and agency, and changes nothing

A password is read from standard input with --password-stdin (its first line), or
generated and printed once. Passwords are stored only as argon2id hashes, and never
logged. Resetting a password ends the user's sessions. The commands work on the
data directory of a running service too.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&o.data, "data", "./fairdebt-data", "data directory")
	cmd.PersistentFlags().StringVar(&o.db, "db", "", "database, as for serve: empty for SQLite in the data directory, a SQLite file path, or a postgres:// URL")

	add := &cobra.Command{
		Use:   "add USERNAME --role ROLE [--agency ID]",
		Short: "Add a user",
		Example: `  fairdebt user add wang.fang --role collector --agency AG-1
  printf '%s\n' "$PASSWORD" | fairdebt user add li.ming --role compliance --password-stdin`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd.Context(), o.data, o.db, stderr, func(s *collection.Service) error {
				password, generated, err := a.password(o.passwordStdin)
				if err != nil {
					return err
				}
				u, err := s.CreateUser(cmd.Context(), operator, collection.UserInput{Username: args[0], Role: o.role,
					AgencyID: o.agency, Lang: o.lang, Password: password})
				if err != nil {
					return userError(err)
				}
				fmt.Fprintf(stdout, "added %s (%s", u.Username, u.Role)
				if u.AgencyID != "" {
					fmt.Fprintf(stdout, ", agency %s", u.AgencyID)
				}
				fmt.Fprintln(stdout, ")")
				if generated {
					fmt.Fprintf(stdout, "password: %s\n(shown once: give it to %s over a safe channel)\n", password, u.Username)
				}
				return nil
			})
		},
	}
	add.Flags().StringVar(&o.role, "role", "", "role: "+strings.Join(collection.Roles, ", "))
	add.Flags().StringVar(&o.agency, "agency", "", "the agency of an agency_manager or collector")
	add.Flags().StringVar(&o.lang, "lang", "", "language of the UI: zh or en (default: the browser's)")
	add.Flags().BoolVar(&o.passwordStdin, "password-stdin", false, "read the password from standard input instead of generating one")
	_ = add.MarkFlagRequired("role")

	reset := &cobra.Command{
		Use:     "reset-password USERNAME",
		Short:   "Set a new password for a user and end their sessions",
		Example: `  fairdebt user reset-password wang.fang`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd.Context(), o.data, o.db, stderr, func(s *collection.Service) error {
				password, generated, err := a.password(o.passwordStdin)
				if err != nil {
					return err
				}
				if err := s.SetPassword(cmd.Context(), operator, args[0], password); err != nil {
					return userError(err)
				}
				fmt.Fprintf(stdout, "reset the password of %s; their sessions are ended\n", strings.ToLower(args[0]))
				if generated {
					fmt.Fprintf(stdout, "password: %s\n(shown once)\n", password)
				}
				return nil
			})
		},
	}
	reset.Flags().BoolVar(&o.passwordStdin, "password-stdin", false, "read the password from standard input instead of generating one")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withService(cmd.Context(), o.data, o.db, stderr, func(s *collection.Service) error {
				users, err := s.Users(cmd.Context(), operator)
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "USERNAME\tROLE\tAGENCY\tLANG\tCREATED\tSTATE")
				for _, u := range users {
					state := "active"
					if u.Disabled {
						state = "disabled"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Username, u.Role, dash(u.AgencyID), dash(u.Lang),
						u.CreatedAt.Format("2006-01-02"), state)
				}
				return w.Flush()
			})
		},
	}
	cmd.AddCommand(add, reset, list)
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// password returns the password from standard input, or a generated one.
func (a *app) password(fromStdin bool) (string, bool, error) {
	if !fromStdin {
		return generatePassword(), true, nil
	}
	line, err := bufio.NewReader(io.LimitReader(a.stdin, secret.MaxPasswordLen+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", false, inputError(errors.New("--password-stdin: standard input holds no password"))
	}
	return line, false, nil
}

// generatePassword returns 20 characters from an alphabet without look-alikes:
// about 100 bits.
func generatePassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	for i := range b {
		b[i] = alphabet[randIntn(len(alphabet))]
	}
	return string(b)
}

func randIntn(n int) int {
	// Rejection sampling over a byte keeps the choice uniform.
	limit := 256 - 256%n
	var c [1]byte
	for {
		if _, err := rand.Read(c[:]); err != nil {
			panic("cli: no randomness: " + err.Error())
		}
		if int(c[0]) < limit {
			return int(c[0]) % n
		}
	}
}

// userError marks the service's refusals of the input as input errors.
func userError(err error) error {
	if collection.IsKind(err, collection.Invalid) || collection.IsKind(err, collection.NotFound) || collection.IsKind(err, collection.Conflict) {
		return inputError(err)
	}
	return err
}

// withService opens the data directory's database and keys, runs f on a service
// over them, and closes them.
func withService(ctx context.Context, data, dbURL string, stderr io.Writer, f func(*collection.Service) error) error {
	if st, err := os.Stat(data); err != nil || !st.IsDir() {
		return inputError(fmt.Errorf("--data %q: not a data directory (run fairdebt serve --data %s once to create one)", data, data))
	}
	keys, created, err := secret.Load(data)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stderr, "generated a new key file %s; back it up\n", filepath.Join(data, secret.KeyFile))
	}
	db, err := openStore(ctx, dbURL, data)
	if err != nil {
		return err
	}
	defer db.Close()
	reg, err := policy.Builtin()
	if err != nil {
		return err
	}
	s, err := collection.New(collection.Config{DB: db, Keys: keys, Packs: reg, DefaultPack: "cn"})
	if err != nil {
		return err
	}
	return f(s)
}
