package safeio

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadFile refuses what is not a regular file, without blocking, and what is over the cap,
// without reading it.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.json")
	os.WriteFile(small, []byte(`{"a": 1}`), 0o644)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sparse := filepath.Join(dir, "sparse")
	f, _ := os.Create(sparse)
	if err := f.Truncate(10 << 30); err != nil { // 10 GB, no blocks
		t.Fatal(err)
	}
	f.Close()
	for _, tc := range []struct {
		name, path string
		want       error
		msg        string
	}{
		{"regular", small, nil, ""},
		{"fifo", fifo, ErrNotRegular, "a named pipe (FIFO)"},
		{"device", "/dev/zero", ErrNotRegular, "a character device"},
		{"directory", dir, ErrNotRegular, "a directory"},
		{"over the cap", sparse, ErrTooLarge, "10737418240 bytes, at most 1048576"},
		{"missing", filepath.Join(dir, "nope"), os.ErrNotExist, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := ReadFile(tc.path, 1<<20)
				done <- err
			}()
			select {
			case err := <-done:
				if tc.want == nil {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), tc.path) {
					t.Errorf("got %v, want %v naming the path and %q", err, tc.want, tc.msg)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("blocked")
			}
		})
	}
	if _, err := Stat(fifo); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Stat(fifo): %v", err)
	}
	if _, err := Stat(dir); err != nil {
		t.Errorf("Stat(dir): %v", err)
	}
}
