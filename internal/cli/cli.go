// Package cli holds fairdebt's command-line interface: one cobra command per
// operational tool, wired to the core packages.
package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/fairdebt/fairdebt/internal/policy"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // something went wrong, or a lint found problems
	exitInput   = 2 // the input or the command line is invalid
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func inputError(err error) error { return &exitError{exitInput, err} }

// Main runs the fairdebt command line and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "fairdebt: %v\n", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// Cobra's own errors are about the command line: unknown command or flag.
	return exitInput
}

type app struct {
	stdin    io.Reader
	packFile string
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	a := &app{stdin: stdin}
	root := &cobra.Command{
		Use:   "fairdebt",
		Short: "Lawful debt collection: every contact passes the compliance gate",
		Long: `fairdebt decides whether a proposed collection contact (a call, a message, a
visit) is lawful under a jurisdiction's rule pack, and explains every denial with the
rule, its legal citation and a reason in Chinese and English.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&a.packFile, "pack-file", "",
		"load a custom rule pack (YAML) in addition to the built-in ones; it may extend one of them")
	root.AddCommand(a.checkCommand(), a.rulesCommand(), a.serveCommand(stdout, stderr), a.screenCommand(), a.benchCommand(stdout, stderr), a.planCommand(),
		a.auditCommand(stderr), a.userCommand(stdout, stderr), a.evidenceCommand(stdout, stderr))
	return root
}

// registry returns the built-in packs plus the --pack-file pack, if any.
func (a *app) registry() (*policy.Registry, *policy.Pack, error) {
	reg, err := policy.Builtin()
	if err != nil {
		return nil, nil, fmt.Errorf("built-in packs: %w", err)
	}
	if a.packFile == "" {
		return reg, nil, nil
	}
	return loadPackFile(reg, a.packFile)
}

func loadPackFile(reg *policy.Registry, file string) (*policy.Registry, *policy.Pack, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, inputError(fileError(err))
	}
	reg, p, err := reg.WithPack(file, data)
	if err != nil {
		return nil, nil, inputError(err)
	}
	return reg, p, nil
}

// fileError quotes the file name in an error so the message stays on one line.
func fileError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s %q: %w", pe.Op, pe.Path, pe.Err)
	}
	return err
}
