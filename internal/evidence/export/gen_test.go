package export

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func generated(t *testing.T, g GenOptions) []byte {
	t.Helper()
	var b bytes.Buffer
	n, err := Generate(&b, g)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(b.Len()) {
		t.Fatalf("Generate says it wrote %d bytes, it wrote %d", n, b.Len())
	}
	return b.Bytes()
}

func TestGenerateDeterministic(t *testing.T) {
	for _, f := range []Format{FormatSMSXML, FormatCallXML, FormatCSV} {
		g := GenOptions{Format: f, Bytes: 256 << 10, Seed: 42}
		a, b := generated(t, g), generated(t, g)
		if !bytes.Equal(a, b) {
			t.Errorf("%v: two files for one seed differ", f)
		}
		g.Seed = 43
		if c := generated(t, g); bytes.Equal(a, c) {
			t.Errorf("%v: two seeds give one file", f)
		}
		if d := len(a) - 256<<10; d < -2<<10 || d > 2<<10 {
			t.Errorf("%v: %d bytes, want about %d", f, len(a), 256<<10)
		}
	}
	if _, err := Generate(&bytes.Buffer{}, GenOptions{Format: 9}); err == nil {
		t.Error("Generate accepts format 9")
	}
}

// TestGenerateContent checks that a generated file has what the analysis
// needs to be tested on: collection records, abusive ones, some at night,
// days with many calls, and synthetic numbers and names only.
func TestGenerateContent(t *testing.T) {
	fake := regexp.MustCompile(`^(\+861380000\d{4}|\+120255501\d\d)$`)
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, cst)
	for _, f := range []Format{FormatSMSXML, FormatCallXML, FormatCSV} {
		t.Run(f.String(), func(t *testing.T) {
			data := generated(t, GenOptions{Format: f, Bytes: 1 << 20, Seed: 5, Start: start})
			_, items, fatal, err := readAll(t, bytes.NewReader(data), "gen", len(data), Options{})
			if err != nil || fatal != nil {
				t.Fatal(err, fatal)
			}
			collectors := map[string]bool{}
			for _, c := range DefaultCollectors {
				collectors[c] = true
			}
			var n, coll, abusive, night, nightOrdinary int
			perDay := map[string]int{}
			var last time.Time
			for _, it := range items {
				if it.Err != "" {
					t.Fatalf("error in a generated file: %s", it.Err)
				}
				r := it.Rec
				n++
				if !fake.MatchString(r.Number) {
					t.Fatalf("number %q is not in a fictitious range", r.Number)
				}
				if r.Name != "" && !strings.HasPrefix(r.Name, "Synthetic Friend ") {
					t.Fatalf("name %q", r.Name)
				}
				if r.At.Before(last) || r.At.Before(start) {
					t.Fatalf("record at %v after %v (start %v)", r.At, last, start)
				}
				last = r.At
				h := r.At.In(cst).Hour()
				isNight := h >= 22 || h < 8
				if !collectors[r.Number] {
					if isNight {
						nightOrdinary++
					}
					continue
				}
				coll++
				if isNight {
					night++
				}
				if slices.Contains(genAbuse, r.Text) {
					abusive++
				}
				perDay[r.Number+r.At.In(cst).Format(" 2006-01-02")]++
			}
			busiest := 0
			for _, c := range perDay {
				busiest = max(busiest, c)
			}
			t.Logf("%d records, %d from collectors (%d abusive, %d at night), at most %d a day from a collector, %v to %v",
				n, coll, abusive, night, busiest, start, last)
			if share := float64(coll) / float64(n); share < 0.15 || share > 0.4 {
				t.Errorf("collectors' share is %.2f, want about 0.2 and more for the busy days", share)
			}
			if night < coll/20 || night > coll/2 {
				t.Errorf("%d of %d collection records at night", night, coll)
			}
			if nightOrdinary > 0 {
				t.Errorf("%d ordinary records at night", nightOrdinary)
			}
			if f != FormatCallXML && (abusive < coll/10 || abusive > coll/3) {
				t.Errorf("%d of %d collection messages abusive", abusive, coll)
			}
			if busiest < 10 {
				t.Errorf("at most %d records a day from one collector, want a day with many", busiest)
			}
			if months := last.Sub(start).Hours() / 24 / 30; months < 3 || months > 8 {
				t.Errorf("the records span %.1f months", months)
			}
			s := string(data)
			if f != FormatCSV {
				for _, want := range []string{"&amp;", "&#10;", "&#55357;&#56832;", "😀", "&quot;", "&lt;", fmt.Sprintf(` count="%d" `, n)} {
					if f == FormatCallXML && want != fmt.Sprintf(` count="%d" `, n) {
						continue
					}
					if !strings.Contains(s, want) {
						t.Errorf("the file has no %s", want)
					}
				}
			}
			if f == FormatSMSXML && !strings.Contains(s, "<mms ") {
				t.Error("no MMS")
			}
		})
	}
}

func TestGenerateOptions(t *testing.T) {
	data := generated(t, GenOptions{Format: FormatCSV, Bytes: 64 << 10, Seed: 1, Collectors: []string{"+12025550199"}, CollectionShare: 0.5})
	_, items, fatal, err := readAll(t, bytes.NewReader(data), "gen", len(data), Options{})
	if err != nil || fatal != nil {
		t.Fatal(err, fatal)
	}
	coll := 0
	for _, it := range items {
		if it.Rec.Number == "+12025550199" {
			coll++
		}
		if slices.Contains(DefaultCollectors, it.Rec.Number) {
			t.Fatalf("a default collector in %v", it)
		}
	}
	if share := float64(coll) / float64(len(items)); share < 0.4 || share > 0.75 {
		t.Errorf("collector's share %.2f, want about 0.5", share)
	}
	// An empty file is still a valid one.
	for _, f := range []Format{FormatSMSXML, FormatCallXML, FormatCSV} {
		data := generated(t, GenOptions{Format: f, Seed: 1})
		_, items, fatal, err := readAll(t, bytes.NewReader(data), "gen", len(data), Options{})
		if err != nil || fatal != nil || len(items) != 0 {
			t.Errorf("%v with no size: %v %v %d records", f, err, fatal, len(items))
		}
	}
}

// A large file is a long history at a phone's pace, not five months of
// thousands of records a day.
func TestGenerateLargeKeepsAPhonesPace(t *testing.T) {
	data := generated(t, GenOptions{Format: FormatCSV, Bytes: 12 << 20, Seed: 3})
	rd, err := Open(bytes.NewReader(data), "big.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	perDay := map[string]int{}
	for {
		r, err := rd.Next()
		if err != nil {
			break
		}
		perDay[r.At.UTC().Format(time.DateOnly)]++
	}
	busiest := 0
	for _, n := range perDay {
		busiest = max(busiest, n)
	}
	// About 150 a day at the least gap, plus a collector's busy day.
	if busiest > 300 || len(perDay) < 365 {
		t.Errorf("%d days, at most %d records on one", len(perDay), busiest)
	}
}
