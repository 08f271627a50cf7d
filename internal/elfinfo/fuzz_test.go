package elfinfo

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, and since the reader is memory,
// every error must be a format error.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*-x86_64*")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := Parse(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("non-format error from memory: %v", err)
			}
			return
		}
		info.MaxGlibc()
		info.MachineName()
	})
}
