package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fairdebt/fairdebt/internal/screen"
)

// maxScreenLine bounds one message on stdin.
const maxScreenLine = 1 << 20

func (a *app) screenCommand() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "screen [--file MESSAGES.txt]",
		Short: "Screen messages for prohibited or sensitive content",
		Long: `screen reads one message per line on stdin (or --file) and writes one JSON object per
line, in the same order: the text, its language (zh, en, or "" with no letters), the
categories found and the spans (rune offsets into the text) with the rule that fired:

  {"text": "...", "lang": "zh", "categories": ["insult"],
   "spans": [{"category": "insult", "start": 3, "end": 5, "rule": "zh.insult.labels"}]}

Categories: threat_violence, threat_exposure, false_legal, false_authority,
guarantor_claim, insult, debt_disclosure (lawful toward the debtor only),
induce_borrowing, unauthorized_fee.`,
		Example: `  echo '你这个老赖，再不还钱就爆你通讯录' | fairdebt screen
  fairdebt screen eval internal/screen/testdata/corpus/heldout.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := a.stdin
			if file != "" && file != "-" {
				f, err := os.Open(file)
				if err != nil {
					return inputError(fileError(err))
				}
				defer f.Close()
				in = f
			}
			s := screen.Default()
			out := bufio.NewWriter(cmd.OutOrStdout())
			defer out.Flush()
			enc := json.NewEncoder(out)
			enc.SetEscapeHTML(false)
			sc := bufio.NewScanner(in)
			sc.Buffer(make([]byte, 64<<10), maxScreenLine)
			for sc.Scan() {
				line := strings.TrimSuffix(sc.Text(), "\r")
				if err := enc.Encode(s.Screen(line).Document(line)); err != nil {
					return err
				}
			}
			if err := sc.Err(); err != nil {
				if errors.Is(err, bufio.ErrTooLong) {
					return inputError(fmt.Errorf("a line is longer than %d bytes", maxScreenLine))
				}
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "read messages from this file instead of stdin")
	cmd.AddCommand(a.screenEvalCommand())
	return cmd
}

func (a *app) screenEvalCommand() *cobra.Command {
	var mistakes bool
	cmd := &cobra.Command{
		Use:   "eval CORPUS.jsonl...",
		Short: "Measure the screener on a labelled corpus: per-category and overall precision and recall",
		Long: `eval screens every message of one or more labelled corpora (JSON lines with id, text,
categories and lawful) and prints, for each category, true and false positives, false
negatives, precision, recall and F1, then the same for harmful (any category but
debt_disclosure) versus lawful, and the share of lawful messages wrongly flagged.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			var examples []screen.Example
			for _, file := range files {
				ex, err := ReadCorpus(file)
				if err != nil {
					return inputError(err)
				}
				examples = append(examples, ex...)
			}
			r, err := screen.Default().Evaluate(examples)
			if err != nil {
				return inputError(err)
			}
			w := cmd.OutOrStdout()
			r.Print(w)
			if mistakes {
				r.SortMistakes()
				for _, m := range r.Mistakes {
					fmt.Fprintf(w, "%s\twant %v\tgot %v\t%s\n", m.ID, m.Want, m.Got, m.Text)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&mistakes, "mistakes", false, "also list every message with a wrong category set")
	return cmd
}

// ReadCorpus reads a labelled corpus: one JSON object per line, blank lines skipped.
func ReadCorpus(file string) ([]screen.Example, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fileError(err)
	}
	defer f.Close()
	var out []screen.Example
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), maxScreenLine)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var ex screen.Example
		dec := json.NewDecoder(strings.NewReader(text))
		if err := dec.Decode(&ex); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", file, line, err)
		}
		if ex.ID == "" {
			return nil, fmt.Errorf("%s:%d: no id", file, line)
		}
		out = append(out, ex)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return out, nil
}
