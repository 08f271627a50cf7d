package native_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

type countingReaderAt struct {
	r            io.ReaderAt
	calls, bytes atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.calls.Add(1)
	c.bytes.Add(int64(len(p)))
	return c.r.ReadAt(p, off)
}

// scatteredModules is a Python package of n extension modules, each in its own package and
// followed by gap bytes of incompressible data, so no two heads can share a read. withWheels
// groups them four to a distribution with a manylinux WHEEL.
func scatteredModules(t testing.TB, n, gap int, withWheels bool) []entry {
	mods := goodDebFor("amd64")
	pad := make([]byte, gap)
	rand.Read(pad)
	out := []entry{pyApp}
	for i := 0; i < n; i++ {
		rel := mods[i%len(mods)]
		pkg := fmt.Sprintf("pkg%03d", i)
		if withWheels {
			dist := fmt.Sprintf("pkg%03d", i-i%4)
			if i%4 == 0 {
				out = append(out, wheel(dist, "cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64"))
			}
			pkg = fmt.Sprintf("%s/sub%d", dist, i%4)
		}
		base := rel[strings.LastIndexByte(rel, '/')+1:]
		out = append(out, file(pkg+"/__init__.py", ""), entry{name: pkg + "/" + base, data: debModule(t, "amd64", rel), mode: 0o755})
		out = append(out, entry{name: pkg + "/data.bin", data: pad})
	}
	return out
}

func checkCounted(t *testing.T, runtime string, code []entry) (result.Result, *countingReaderAt) {
	t.Helper()
	z := zipOf(t, code)
	cr := &countingReaderAt{r: bytes.NewReader(z)}
	fn := inspect.Function{Target: "budget", Runtime: runtime, Handler: "app.handler", Architecture: "x86_64",
		Code: inspect.Source{Name: "budget.zip", ReaderAt: cr, Size: int64(len(z))}}
	res, err := inspect.New(inspect.Options{}).Check(context.Background(), fn)
	if err != nil {
		t.Fatal(err)
	}
	return res, cr
}

// TestBudgetExceeded: 60 modules 300 KiB apart cannot all be read within 6 requests and 3 MiB.
// The check reads what it can, stays within the budget, and says which files it did not check.
func TestBudgetExceeded(t *testing.T) {
	res, cr := checkCounted(t, "python3.11", scatteredModules(t, 60, 300<<10, false))
	var notes []result.Finding
	for _, f := range nativeFindings(res) {
		if f.Rule != result.NativeUnchecked {
			t.Errorf("unexpected %s: %s", f.Rule, f.Message)
			continue
		}
		notes = append(notes, f)
	}
	if len(notes) != 1 || notes[0].Severity != result.Warning || !strings.Contains(notes[0].Message, "not read") {
		t.Fatalf("want one native-unchecked warning, got %+v", notes)
	}
	if res.Status != result.Pass {
		t.Errorf("status %s: the note must not fail the function", res.Status)
	}
	// The tail and central directory read, then at most 6 ranged reads.
	if calls, n := cr.calls.Load(), cr.bytes.Load(); calls > 8 || n > 4<<20 {
		t.Errorf("%d reads, %d bytes; want at most 8 and 4 MiB", calls, n)
	}
	t.Logf("%d reads, %d bytes; %s", cr.calls.Load(), cr.bytes.Load(), notes[0].Message)
}

// TestBudgetWheelsDecide: the same package with a WHEEL per distribution needs no module bytes:
// the tags decide, and the WHEEL files (a few hundred bytes each) are all the reading.
func TestBudgetWheelsDecide(t *testing.T) {
	res, cr := checkCounted(t, "python3.11", scatteredModules(t, 20, 300<<10, true))
	if got := nativeFindings(res); len(got) != 0 {
		t.Errorf("findings: %+v", got)
	}
	if calls := cr.calls.Load(); calls > 8 {
		t.Errorf("%d reads", calls)
	}
}

// TestBudgetLocalFile: a local zip (the CLI) has no read budget: every module is read and checked.
func TestBudgetLocalFile(t *testing.T) {
	z := zipOf(t, scatteredModules(t, 60, 300<<10, false))
	p := t.TempDir() + "/fn.zip"
	if err := writeFile(p, z); err != nil {
		t.Fatal(err)
	}
	src, closer, err := inspect.OpenPath(p)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	res, err := inspect.New(inspect.Options{}).Check(context.Background(), inspect.Function{Target: "local", Runtime: "python3.11", Handler: "app.handler", Code: src})
	if err != nil {
		t.Fatal(err)
	}
	if got := nativeFindings(res); len(got) != 0 {
		t.Errorf("findings: %+v", got)
	}
}

// TestDirectorySource: an unpacked directory (the CLI, sam build output) is read from disk: the
// heads come from the files themselves.
func TestDirectorySource(t *testing.T) {
	dir := t.TempDir()
	for _, e := range cat([]entry{pyApp}, debTree(t, "amd64", "", "bcrypt/_bcrypt.abi3.so", "_cffi_backend.cpython-311-x86_64-linux-gnu.so")) {
		p := filepath.Join(dir, filepath.FromSlash(e.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, e.data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	src, closer, err := inspect.OpenPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	for _, tc := range []struct {
		runtime, arch string
		want          result.RuleID
		path          string
	}{
		{"python3.11", "x86_64", result.NativeGlibc, "_cffi_backend"},
		{"python3.11", "arm64", result.NativeArchMismatch, "bcrypt/_bcrypt.abi3.so"},
	} {
		res, err := inspect.New(inspect.Options{}).Check(context.Background(), inspect.Function{Target: "dir", Runtime: tc.runtime, Architecture: tc.arch, Handler: "app.handler", Code: src})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range res.FindingsFor(tc.want) {
			found = found || strings.Contains(f.Path, tc.path)
		}
		if !found {
			t.Errorf("%s %s: no %s naming %s in %+v", tc.runtime, tc.arch, tc.want, tc.path, nativeFindings(res))
		}
	}
}
