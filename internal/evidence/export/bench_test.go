package export

import (
	"bytes"
	"io"
	"sync"
	"testing"
)

var (
	benchOnce sync.Once
	benchData map[Format][]byte
)

// benchInput is a generated file of 2 MiB: large enough for steady throughput,
// small enough for the CI's one pass of 200 iterations (the reference decoder
// reads about 30 MB/s).
func benchInput(b *testing.B, f Format) []byte {
	benchOnce.Do(func() {
		benchData = map[Format][]byte{}
		for _, f := range []Format{FormatSMSXML, FormatCallXML, FormatCSV} {
			var buf bytes.Buffer
			if _, err := Generate(&buf, GenOptions{Format: f, Bytes: 2 << 20, Seed: 1}); err != nil {
				panic(err)
			}
			benchData[f] = buf.Bytes()
		}
	})
	return benchData[f]
}

func benchRead(b *testing.B, f Format) {
	data := benchInput(b, f)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rd, err := Open(bytes.NewReader(data), "bench", Options{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkReadSMSXML(b *testing.B)  { benchRead(b, FormatSMSXML) }
func BenchmarkReadCallXML(b *testing.B) { benchRead(b, FormatCallXML) }
func BenchmarkReadCSV(b *testing.B)     { benchRead(b, FormatCSV) }

// benchStdlib reads with the reference decoder built on encoding/xml.
func benchStdlib(b *testing.B, f Format) {
	data := benchInput(b, f)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := refDecode(data, "bench"); !ok {
			b.Fatal("encoding/xml does not read the file")
		}
	}
}

func BenchmarkReadSMSXMLStdlib(b *testing.B)  { benchStdlib(b, FormatSMSXML) }
func BenchmarkReadCallXMLStdlib(b *testing.B) { benchStdlib(b, FormatCallXML) }
