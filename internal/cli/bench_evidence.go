package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/fairdebt/fairdebt/internal/evidence/export"
)

// The evidence analyser's targets on a 2-core machine, for a 200 MB export.
const (
	benchEvidenceRate = 50  // MB/s
	benchEvidenceRSS  = 200 // MB of peak resident memory
)

func (a *app) benchEvidenceCommand(stdout, stderr io.Writer) *cobra.Command {
	var size int64
	var format string
	var runs int
	var keep bool
	cmd := &cobra.Command{
		Use:   "evidence [--mb 200] [--format sms-xml|calls-xml|csv] [--runs 3]",
		Short: "Measure `evidence analyze` on a generated export: throughput and peak memory",
		Long: `evidence generates a synthetic phone export of the given size (SMS Backup & Restore
messages by default), then runs "fairdebt evidence analyze" on it in a child process,
as a borrower would, --runs times, and prints each run's wall time, throughput and peak
resident memory (the child's maximum RSS), then the medians against the targets: at
least 50 MB/s and under 200 MB.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var f export.Format
			switch format {
			case "sms-xml":
				f = export.FormatSMSXML
			case "calls-xml":
				f = export.FormatCallXML
			case "csv":
				f = export.FormatCSV
			default:
				return inputError(fmt.Errorf("--format %q: want sms-xml, calls-xml or csv", format))
			}
			if size < 1 || runs < 1 {
				return inputError(errors.New("--mb and --runs must be at least 1"))
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			dir, err := os.MkdirTemp("", "fairdebt-bench-evidence-")
			if err != nil {
				return err
			}
			if !keep {
				defer os.RemoveAll(dir)
			}
			path := filepath.Join(dir, "export."+map[string]string{"sms-xml": "xml", "calls-xml": "xml", "csv": "csv"}[format])
			fmt.Fprintf(stderr, "generating %d MB of %s in %s\n", size, format, path)
			file, err := os.Create(path)
			if err != nil {
				return err
			}
			w := bufio.NewWriterSize(file, 1<<20)
			n, err := export.Generate(w, export.GenOptions{Format: f, Bytes: size << 20, Seed: 1})
			if err == nil {
				err = w.Flush()
			}
			if cerr := file.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			args := []string{"evidence", "analyze", path, "--quiet", "--out", filepath.Join(dir, "out")}
			for _, c := range export.DefaultCollectors {
				args = append(args, "--collector", c)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%-4s %10s %10s %12s\n", "run", "seconds", "MB/s", "peak RSS MB")
			var rates, rss []float64
			for i := range runs {
				child := exec.Command(exe, args...)
				child.Stderr = stderr
				var summary strings.Builder
				child.Stdout = &summary
				start := time.Now()
				if err := child.Run(); err != nil {
					return fmt.Errorf("run %d: %v", i+1, err)
				}
				secs := time.Since(start).Seconds()
				ru, ok := child.ProcessState.SysUsage().(*syscall.Rusage)
				if !ok {
					return errors.New("no resource usage for the child on this system")
				}
				mb := float64(n) / (1 << 20)
				rates = append(rates, mb/secs)
				rss = append(rss, float64(ru.Maxrss)/1024) // Linux reports KiB
				fmt.Fprintf(out, "%-4d %10.2f %10.1f %12.1f\n", i+1, secs, mb/secs, rss[i])
				if i == 0 {
					fmt.Fprintf(stderr, "%s", summary.String())
				}
			}
			rate, peak := median(rates), median(rss)
			fmt.Fprintf(out, "median: %.1f MB/s (target ≥ %d: %s), peak RSS %.1f MB (target < %d: %s), export %.1f MB %s\n",
				rate, benchEvidenceRate, verdict(rate >= benchEvidenceRate), peak, benchEvidenceRSS, verdict(peak < benchEvidenceRSS),
				float64(n)/(1<<20), format)
			return nil
		},
	}
	cmd.Flags().Int64Var(&size, "mb", 200, "size of the generated export, in MiB")
	cmd.Flags().StringVar(&format, "format", "sms-xml", "export format: sms-xml, calls-xml or csv")
	cmd.Flags().IntVar(&runs, "runs", 3, "how many times to run the analysis")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the generated export and the outputs (the directory is printed)")
	return cmd
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "missed"
}
