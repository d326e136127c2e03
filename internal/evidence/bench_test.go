package evidence

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/evidence/export"
	"github.com/fairdebt/fairdebt/internal/screen"
)

// BenchmarkAnalyze measures the analysis of a generated export: reading,
// identifying collection traffic, screening and the replay through the gate
// (the outputs are not written). The 200 MB figure, with peak memory, comes
// from `fairdebt bench evidence`.
func BenchmarkAnalyze(b *testing.B) {
	var collectors []Collector
	for _, n := range export.DefaultCollectors {
		collectors = append(collectors, Collector{Number: n})
	}
	pack := mustPack(b, "cn")
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range []export.Format{export.FormatSMSXML, export.FormatCallXML, export.FormatCSV} {
		b.Run(f.String(), func(b *testing.B) {
			var data bytes.Buffer
			if _, err := export.Generate(&data, export.GenOptions{Format: f, Bytes: 256 << 10, Seed: 1}); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(data.Len()))
			for b.Loop() {
				a, err := New(Config{Pack: pack, Screener: screen.Default(), Location: loc, Collectors: collectors})
				if err != nil {
					b.Fatal(err)
				}
				src, _ := a.AddSource(Source{File: "x", Role: Owner})
				rd, err := export.Open(bytes.NewReader(data.Bytes()), "x", export.Options{})
				if err != nil {
					b.Fatal(err)
				}
				for {
					r, err := rd.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					a.Add(src, r)
				}
				if res := a.Result(); len(res.Findings) == 0 {
					b.Fatal("no findings in a generated export")
				}
			}
		})
	}
}
