package cli

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/fairdebt/fairdebt/internal/evidence"
	"github.com/fairdebt/fairdebt/internal/evidence/export"
	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/screen"
)

func (a *app) evidenceCommand(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "evidence",
		Short: "Offline tools for a borrower's own evidence",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(a.evidenceAnalyzeCommand(stdout, stderr))
	return cmd
}

type analyzeOptions struct {
	thirdParty, designated, collectors []string
	collectorNames                     []string
	collectorsFile                     string
	pack, zone, lang, out              string
	quiet                              bool
	cpuprofile                         string
}

func (a *app) evidenceAnalyzeCommand(stdout, stderr io.Writer) *cobra.Command {
	var o analyzeOptions
	cmd := &cobra.Command{
		Use:   "analyze EXPORT... [flags]",
		Short: "Find unlawful collection contacts in a phone's exported calls and messages",
		Long: `analyze reads what a borrower's phone exported of its calls and messages, picks out
the debt collection contacts, and checks each one against a rule pack with the same
gate and content screener the collection service uses: calls in quiet hours, days over
the caps, calls too soon after a conversation (us), prohibited words (with the words
marked), and, from exports given by a friend or relative, contacts with them and what
was disclosed to them.

Exports (each file's format is recognised from its content):
  - SMS Backup & Restore (Android) messages: <smses><sms address date type body .../>
  - SMS Backup & Restore call log:          <calls><call number duration date type .../>
  - CSV with a header row: time,number,direction,kind,text[,duration][,outcome]
    (time as RFC 3339 or "YYYY-MM-DD HH:MM[:SS]" in --tz; direction in|out;
    kind call|sms; duration in seconds; outcome answered|missed|voicemail|rejected|blocked)

Collection contacts are the numbers given with --collector/--collectors, those the
phone saved under a name given with --collector-name, and numbers the phone has no name
for whose messages use collection vocabulary or are flagged by the screener (their calls
count too). Other numbers saved as contacts are left out. Files of any size are streamed; memory grows with the collection contacts
found, not with the files (the heap is kept near 150 MiB where it can be; GOMEMLIMIT
overrides that). A progress line is shown on a terminal.

Written to --out:
  report.html             the report: a timeline, each finding with its rule, citation
                          and place in the file, third parties, the input files' hashes
  findings.json           the same, as JSON
  manifest.sha256         the inputs' SHA-256, with their paths as given (check from the
                          same directory: sha256sum -c OUT/manifest.sha256)
  letters/*.txt           editable complaint letters to each lender and to the regulator,
                          and a police report draft when threats or false authority were found

A record that cannot be read is skipped and reported; a file that is damaged or cut
short is analysed up to that point, the outputs are still written, and the command
exits with status 1. Bad flags or unreadable files: status 2. Not legal advice.`,
		Example: `  fairdebt evidence analyze sms-20261124.xml calls-20261124.xml \
      --collector "+86 138 0000 0001=Synthetic Loan App" \
      --third-party colleague-sms.xml=colleague --pack cn --lang zh --out ./evidence`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runAnalyze(cmd, args, o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.thirdParty, "third-party", nil, "an export from someone with no part in the debt, as FILE[=LABEL] (e.g. friend-sms.xml=colleague); repeatable")
	f.StringArrayVar(&o.designated, "designated", nil, "an export from an emergency contact the borrower designated with consent, as FILE[=LABEL]; repeatable")
	f.StringArrayVar(&o.collectors, "collector", nil, "a collector's number, as NUMBER[=CREDITOR]; repeatable")
	f.StringArrayVar(&o.collectorNames, "collector-name", nil, "the name the phone saved a collector's numbers under, as NAME[=CREDITOR] (any case); repeatable")
	f.StringVar(&o.collectorsFile, "collectors", "", "a file of collectors' numbers, one per line as NUMBER[=CREDITOR] or NUMBER,CREDITOR; # starts a comment")
	f.StringVar(&o.pack, "pack", "cn", "rule pack: cn, us, us-ma, us-nyc (or one from --pack-file)")
	f.StringVar(&o.zone, "tz", "", "the borrower's time zone (IANA), where hours and days are counted (default Asia/Shanghai for cn, America/New_York otherwise)")
	f.StringVar(&o.lang, "lang", "", "language of the report and letters: zh or en (default zh for cn, en otherwise)")
	f.StringVar(&o.out, "out", "evidence-report", "directory to write the report, findings, manifest and letters to")
	f.BoolVar(&o.quiet, "quiet", false, "no progress line")
	f.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the analysis to this file")
	_ = f.MarkHidden("cpuprofile")
	return cmd
}

// exportArg is one file to read and whose it is.
type exportArg struct {
	path  string
	role  evidence.Role
	label string
}

func parseFileLabel(flag, v string, role evidence.Role) (exportArg, error) {
	path, label, _ := strings.Cut(v, "=")
	if path == "" {
		return exportArg{}, fmt.Errorf("--%s %q: want FILE[=LABEL]", flag, v)
	}
	if label == "" {
		label = filepath.Base(path)
	}
	return exportArg{path: path, role: role, label: label}, nil
}

// readCollectors parses --collector values and the --collectors file.
func readCollectors(values []string, file string) ([]evidence.Collector, error) {
	var out []evidence.Collector
	add := func(where, line string) error {
		num, label, ok := strings.Cut(line, "=")
		if !ok {
			num, label, _ = strings.Cut(line, ",")
		}
		num, label = strings.TrimSpace(num), strings.TrimSpace(label)
		if evidence.NumberKey(num) == "" {
			return fmt.Errorf("%s: %q is not a phone number", where, line)
		}
		out = append(out, evidence.Collector{Number: num, Label: label})
		return nil
	}
	for _, v := range values {
		if err := add("--collector", v); err != nil {
			return nil, err
		}
	}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fileError(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if j := strings.IndexByte(line, '#'); j >= 0 {
				line = line[:j]
			}
			if line = strings.TrimSpace(line); line == "" {
				continue
			}
			if err := add(fmt.Sprintf("%s:%d", file, i+1), line); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func (a *app) runAnalyze(cmd *cobra.Command, args []string, o analyzeOptions, stdout, stderr io.Writer) error {
	reg, _, err := a.registry()
	if err != nil {
		return err
	}
	pack, err := reg.Get(o.pack)
	if err != nil {
		return inputError(fmt.Errorf("--pack: %w", err))
	}
	cn := strings.HasPrefix(pack.Name, "cn")
	if o.zone == "" {
		o.zone = "America/New_York"
		if cn {
			o.zone = "Asia/Shanghai"
		}
	}
	loc, err := policy.LoadLocation(o.zone)
	if err != nil {
		return inputError(fmt.Errorf("--tz: %w", err))
	}
	switch o.lang {
	case "":
		o.lang = "en"
		if cn {
			o.lang = "zh"
		}
	case "zh", "en":
	default:
		return inputError(fmt.Errorf("--lang %q: want zh or en", o.lang))
	}
	collectors, err := readCollectors(o.collectors, o.collectorsFile)
	if err != nil {
		return inputError(err)
	}
	for _, v := range o.collectorNames {
		name, label, _ := strings.Cut(v, "=")
		if strings.TrimSpace(name) == "" {
			return inputError(fmt.Errorf("--collector-name %q: want NAME[=CREDITOR]", v))
		}
		collectors = append(collectors, evidence.Collector{Name: strings.TrimSpace(name), Label: strings.TrimSpace(label)})
	}
	var files []exportArg
	for _, p := range args {
		files = append(files, exportArg{path: p, role: evidence.Owner})
	}
	for _, group := range []struct {
		flag   string
		values []string
		role   evidence.Role
	}{{"third-party", o.thirdParty, evidence.ThirdParty}, {"designated", o.designated, evidence.Designated}} {
		for _, v := range group.values {
			e, err := parseFileLabel(group.flag, v, group.role)
			if err != nil {
				return inputError(err)
			}
			files = append(files, e)
		}
	}
	// Every file must open before any work is done.
	for _, f := range files {
		if st, err := os.Stat(f.path); err != nil {
			return inputError(fileError(err))
		} else if !st.Mode().IsRegular() {
			return inputError(fmt.Errorf("%s: not a regular file", f.path))
		}
	}
	an, err := evidence.New(evidence.Config{Pack: pack, Screener: screen.Default(), Location: loc, Collectors: collectors})
	if err != nil {
		return inputError(err)
	}
	// A soft limit keeps the heap, and so the peak memory, near what the
	// analysis holds rather than twice that (GOMEMLIMIT overrides it).
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(analyzeMemoryLimit))
	}
	stopProfile, err := startCPUProfile(o.cpuprofile)
	if err != nil {
		return err
	}
	defer stopProfile()
	progress := terminal(stderr) && !o.quiet
	var inputs []evidence.Input
	damaged := 0
	for _, f := range files {
		in, err := readExport(an, f, loc, progress, stderr)
		if err != nil {
			return err
		}
		if !in.Complete {
			damaged++
		}
		inputs = append(inputs, *in)
	}
	rep := &evidence.Report{Tool: toolVersion(), Generated: time.Now().In(loc), Lang: o.lang, Inputs: inputs, Result: an.Result()}
	letters, err := writeReport(o.out, rep)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d collection contacts, %d findings", collectionCount(rep), len(rep.Findings))
	for _, c := range evidence.Observable {
		if n := rep.ByCategory[c]; n > 0 {
			fmt.Fprintf(stdout, "; %s %d", c, n)
		}
	}
	fmt.Fprintf(stdout, "\nwritten to %s: report.html, findings.json, manifest.sha256", o.out)
	if letters > 0 {
		fmt.Fprintf(stdout, ", letters/ (%d)", letters)
	}
	fmt.Fprintln(stdout)
	if damaged > 0 {
		return &exitError{exitFailure, fmt.Errorf("%d export(s) damaged or cut short: analysed up to the damage (see report.html, inputs)", damaged)}
	}
	return nil
}

func collectionCount(r *evidence.Report) int {
	n := 0
	for _, s := range r.Sources {
		n += s.Collection
	}
	return n
}

// terminal reports whether w is a terminal.
func terminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func toolVersion() string {
	v := "fairdebt"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v += " " + bi.Main.Version
	}
	return v
}

// analyzeMemoryLimit is the analysis's soft memory limit (debug.SetMemoryLimit).
const analyzeMemoryLimit = 150 << 20

// maxErrorsKept bounds the record errors kept per file for the report.
const maxErrorsKept = 20

// hashingReader hashes and counts what is read through it.
type hashingReader struct {
	r io.Reader
	h hash.Hash
	n atomic.Int64 // read for the progress line while another goroutine reads
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n.Add(int64(n))
	return n, err
}

// readExport streams one file into the analyser, hashing every byte of it.
func readExport(an *evidence.Analyzer, f exportArg, loc *time.Location, progress bool, stderr io.Writer) (*evidence.Input, error) {
	file, err := os.Open(f.path)
	if err != nil {
		return nil, inputError(fileError(err))
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, err
	}
	hr := &hashingReader{r: file, h: sha256.New()}
	rd, err := export.Open(hr, f.path, export.Options{Location: loc})
	if err != nil {
		return nil, inputError(err)
	}
	label := f.label
	if f.role == evidence.Owner {
		label = ""
	}
	src, err := an.AddSource(evidence.Source{File: f.path, Role: f.role, Label: label})
	if err != nil {
		return nil, inputError(err)
	}
	in := &evidence.Input{File: f.path, Role: f.role.String(), Label: label, Format: rd.Format().String(), Complete: true}
	start, last := time.Now(), time.Now()
	// One goroutine parses (and hashes) while this one screens and
	// collects, in batches, in order.
	for b := range readBatches(rd) {
		for _, it := range b {
			if it.err == nil {
				in.Records++
				an.Add(src, it.r)
				continue
			}
			// Next returns io.EOF or a *ParseError, an I/O error being a
			// fatal one.
			pe, _ := it.err.(*export.ParseError)
			if pe == nil {
				pe = &export.ParseError{File: f.path, Msg: it.err.Error(), Fatal: true}
			}
			if pe.Fatal {
				in.Complete = false
			} else {
				in.Skipped++
			}
			if len(in.Errors) < maxErrorsKept {
				in.Errors = append(in.Errors, pe.Error())
			}
			fmt.Fprintf(stderr, "%s%s\n", clearLine(progress), pe)
		}
		if progress && time.Since(last) > 200*time.Millisecond {
			last = time.Now()
			showProgress(stderr, f.path, hr.n.Load(), st.Size(), start)
		}
	}
	// Hash the rest of a damaged file too: the manifest is of the file as it is.
	if _, err := io.Copy(io.Discard, bufio.NewReader(hr)); err != nil {
		return nil, err
	}
	in.Bytes = hr.n.Load()
	in.SHA256 = hex.EncodeToString(hr.h.Sum(nil))
	if progress {
		showProgress(stderr, f.path, in.Bytes, st.Size(), start)
		fmt.Fprintln(stderr)
	}
	return in, nil
}

// readItem is a record read, or the error in its place.
type readItem struct {
	r   export.Record
	err error
}

// readBatches reads rd to its end (io.EOF, or a fatal error, which is the last
// item) in a goroutine of its own and sends what it reads in batches.
func readBatches(rd *export.Reader) <-chan []readItem {
	const size = 512
	out := make(chan []readItem, 4)
	go func() {
		defer close(out)
		b := make([]readItem, 0, size)
		for {
			r, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			b = append(b, readItem{r, err})
			var pe *export.ParseError
			fatal := err != nil && (!errors.As(err, &pe) || pe.Fatal)
			if fatal {
				break
			}
			if len(b) == size {
				out <- b
				b = make([]readItem, 0, size)
			}
		}
		if len(b) > 0 {
			out <- b
		}
	}()
	return out
}

func clearLine(progress bool) string {
	if progress {
		return "\r\033[K"
	}
	return ""
}

func showProgress(w io.Writer, name string, done, total int64, start time.Time) {
	pct := 100.0
	if total > 0 {
		pct = min(100, 100*float64(done)/float64(total))
	}
	rate := float64(done) / 1e6 / max(time.Since(start).Seconds(), 1e-3)
	fmt.Fprintf(w, "\r\033[K%s: %.0f%% (%.1f of %.1f MB, %.0f MB/s)", filepath.Base(name), pct, float64(done)/1e6, float64(total)/1e6, rate)
}

// writeReport writes the outputs into dir, each file whole or not at all, and
// returns how many letters it wrote.
func writeReport(dir string, rep *evidence.Report) (int, error) {
	if err := os.MkdirAll(filepath.Join(dir, "letters"), 0o755); err != nil {
		return 0, inputError(fmt.Errorf("--out: %w", err))
	}
	text := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	files := map[string]func(io.Writer) error{
		"report.html":     func(w io.Writer) error { return evidence.WriteHTML(w, rep) },
		"findings.json":   func(w io.Writer) error { return evidence.WriteJSON(w, rep) },
		"manifest.sha256": text(evidence.Manifest(rep.Inputs)),
	}
	letters := evidence.Letters(rep)
	for _, l := range letters {
		files[filepath.Join("letters", l.Name)] = text(l.Text)
	}
	for name, write := range files {
		if err := writeAtomic(filepath.Join(dir, name), write); err != nil {
			return 0, err
		}
	}
	return len(letters), nil
}
