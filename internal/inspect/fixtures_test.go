package inspect

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// Binaries built once per test run from testdata, keyed by name.
var (
	buildOnce sync.Once
	builtDir  string
	buildErr  error
)

type buildSpec struct {
	name, pkg, goos, goarch, cgo string
}

var builds = []buildSpec{
	{"linux-amd64", "./testdata/hello", "linux", "amd64", "0"},
	{"linux-arm64", "./testdata/hello", "linux", "arm64", "0"},
	{"linux-386", "./testdata/hello", "linux", "386", "0"},
	{"freebsd-amd64", "./testdata/hello", "freebsd", "amd64", "0"},
	{"darwin-arm64", "./testdata/hello", "darwin", "arm64", "0"},
	{"windows-amd64", "./testdata/hello", "windows", "amd64", "0"},
	{"lib-archive", "./testdata/lib", "linux", "amd64", "0"},
	{"cgo-amd64", "./testdata/cgo", "linux", "amd64", "1"},
}

// binary returns the bytes of a binary built from testdata.
func goBinary(t testing.TB, name string) []byte {
	t.Helper()
	buildOnce.Do(func() {
		builtDir, buildErr = os.MkdirTemp("", "inspect-bins")
		if buildErr != nil {
			return
		}
		for _, b := range builds {
			cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(builtDir, b.name), b.pkg)
			cmd.Env = append(os.Environ(), "GOOS="+b.goos, "GOARCH="+b.goarch, "CGO_ENABLED="+b.cgo, "GOFLAGS=-buildvcs=false")
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = &buildError{b.name, string(out), err}
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatalf("build test binaries: %v", buildErr)
	}
	b, err := os.ReadFile(filepath.Join(builtDir, name))
	if err != nil {
		t.Fatalf("read built binary: %v", err)
	}
	return b
}

type buildError struct {
	name, out string
	err       error
}

func (e *buildError) Error() string { return e.name + ": " + e.err.Error() + "\n" + e.out }

func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

// entry describes one zip entry for mkzip.
type entry struct {
	name  string
	data  []byte
	mode  fs.FileMode // permission and type bits; 0 with creator unix means "no mode"
	msdos bool        // written by an MS-DOS/Windows tool: no Unix mode
	store bool
}

// mkzip writes a zip the way common tools do: Unix creator and mode unless told otherwise.
func mkzip(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.store {
			h.Method = zip.Store
		}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		switch {
		case e.msdos:
			h.CreatorVersion = 20 // MS-DOS, no Unix mode
			h.ExternalAttrs = 0x20
		case e.mode == 0:
			h.CreatorVersion = 3<<8 | 20 // Unix creator, empty mode
			h.ExternalAttrs = 0
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipSource(name string, b []byte) Source {
	return Source{Name: name, ReaderAt: bytes.NewReader(b), Size: int64(len(b))}
}

// fixedDay is the evaluation date of the tests, so lifecycle rules do not drift with the calendar.
var fixedDay = time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)

func checker() *Checker {
	return New(Options{Now: func() time.Time { return fixedDay }})
}

func run(t *testing.T, fn Function) result.Result {
	t.Helper()
	if fn.Target == "" {
		fn.Target = t.Name()
	}
	res, err := checker().Check(context.Background(), fn)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return res
}

func rules(res result.Result, sev result.Severity) []result.RuleID {
	var out []result.RuleID
	for _, f := range res.Findings {
		if sev == "" || f.Severity == sev {
			out = append(out, f.Rule)
		}
	}
	return out
}

// countingReaderAt counts bytes and calls, as a remote reader would be billed.
type countingReaderAt struct {
	r     io.ReaderAt
	mu    sync.Mutex
	calls int
	bytes int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	c.calls++
	c.bytes += int64(len(p))
	c.mu.Unlock()
	return c.r.ReadAt(p, off)
}
