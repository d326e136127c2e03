package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/fairdebt/fairdebt/internal/policy"
)

func (a *app) checkCommand() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "check [--file REQUEST.json]",
		Short: "Decide one proposed contact: read a JSON request, print the JSON decision",
		Long: `check reads one JSON request (pack, now, debtor, parties, optouts, history,
attempt) from standard input or --file and prints one JSON decision: whether the
attempt is allowed, every violated rule with its category, citation and reason,
the obligations of the contact, and the earliest time the same attempt would pass.

Exit status: 0 when a decision was printed (allowed or not); 2 when the request is
invalid, with nothing on standard output and a one-line error on standard error.
The request format is documented in the README.`,
		Example: `  fairdebt check < examples/call-at-night.json
  fairdebt check --file examples/emergency-contact-collect.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			reg, _, err := a.registry()
			if err != nil {
				return err
			}
			data, err := readInput(a.stdin, file)
			if err != nil {
				return err
			}
			req, err := policy.DecodeRequest(data, reg)
			if err != nil {
				return inputError(err)
			}
			d := policy.Evaluate(req.Pack, &req.Snapshot, &req.Attempt)
			return writeJSON(cmd.OutOrStdout(), d)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "read the request from this file instead of standard input")
	return cmd
}

// readInput reads a request from file, or from stdin when file is empty or "-",
// refusing anything larger than a request may be.
func readInput(stdin io.Reader, file string) ([]byte, error) {
	r := stdin
	if file != "" && file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, inputError(fileError(err))
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, policy.MaxRequestBytes+1))
	if err != nil {
		return nil, inputError(fmt.Errorf("reading the request: %w", err))
	}
	if len(data) > policy.MaxRequestBytes {
		return nil, inputError(fmt.Errorf("request: larger than %d bytes", policy.MaxRequestBytes))
	}
	return data, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
