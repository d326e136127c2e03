package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/fairdebt/fairdebt/internal/policy"
)

func (a *app) rulesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rule packs' rules, or validate a custom pack",
	}
	cmd.AddCommand(a.rulesListCommand(), a.rulesLintCommand())
	return cmd
}

func (a *app) rulesListCommand() *cobra.Command {
	var pack string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--pack P] [--json]",
		Short: "Print each pack's rules with their categories and citations",
		Example: `  fairdebt rules list --pack cn
  fairdebt rules list --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			reg, _, err := a.registry()
			if err != nil {
				return err
			}
			names := reg.Names()
			if pack != "" {
				if _, err := reg.Get(pack); err != nil {
					return inputError(err)
				}
				names = []string{pack}
			}
			type listing struct {
				Pack        string                  `json:"pack"`
				Title       policy.Reason           `json:"name"`
				Extends     string                  `json:"extends,omitempty"`
				Rules       []policy.RuleInfo       `json:"rules"`
				Obligations []policy.ObligationInfo `json:"obligations"`
			}
			var all []listing
			for _, n := range names {
				p, _ := reg.Get(n)
				all = append(all, listing{p.Name, p.Title, p.Extends, p.Rules(), p.Obligations()})
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), all)
			}
			w := cmd.OutOrStdout()
			for i, l := range all {
				if i > 0 {
					fmt.Fprintln(w)
				}
				ext := ""
				if l.Extends != "" {
					ext = ", extends " + l.Extends
				}
				fmt.Fprintf(w, "pack %s — %s / %s (%d rules%s)\n", l.Pack, l.Title.ZH, l.Title.EN, len(l.Rules), ext)
				printRules(w, l.Rules, l.Obligations)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&pack, "pack", "", "list only this pack")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return cmd
}

func printRules(w io.Writer, rules []policy.RuleInfo, obligations []policy.ObligationInfo) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tCATEGORY\tKIND\tCONF\tCITATION")
	for _, r := range rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Category, r.Kind, r.Confidence, r.Citation)
	}
	for _, o := range obligations {
		fmt.Fprintf(tw, "%s\t(obligation)\t%s\t%s\t%s\n", o.ID, o.Obligation, o.Confidence, o.Citation)
	}
	tw.Flush()
}

func (a *app) rulesLintCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "lint FILE",
		Short: "Validate a custom rule pack; print every problem with file:line:column",
		Long: `lint loads a custom rule pack as --pack-file would, against the built-in packs
it may extend, and reports every problem it finds (unknown keys, bad times, unknown
categories, kinds or channels, CEL conditions that do not type-check). Exit status
is 0 when the pack is valid and 1 when it is not.`,
		Example: "  fairdebt rules lint my-pack.yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, _, err := a.registry()
			if err != nil {
				return err
			}
			_, p, err := loadPackFile(reg, args[0])
			if err != nil {
				if le, ok := err.(*exitError); ok {
					le.code = exitFailure
				}
				return err
			}
			ext := ""
			if p.Extends != "" {
				ext = fmt.Sprintf(", extends %s", p.Extends)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok: pack %s%s, %d rules, %d obligations\n",
				args[0], p.Name, ext, len(p.Rules()), len(p.Obligations()))
			return nil
		},
	}
}
