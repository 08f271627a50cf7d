package zipread

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReader opens arbitrary bytes as an archive and reads the start of every entry, as the
// engine does. It must never panic, and every error must be a format error (the reader is memory).
func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.zip")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		z, err := NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		z.Overlap()
		for i := range z.File {
			z.File[i].UnixMode()
			e, err := z.Open(&z.File[i])
			if err != nil {
				continue
			}
			p := make([]byte, 256)
			e.ReadAt(p, 0)
			e.ReadAt(p, max(e.Size()-256, 0))
			if _, err := e.ReadAt(p, e.Size()); err != io.EOF {
				t.Fatalf("read at the declared end: got %v, want EOF", err)
			}
		}
	})
}
