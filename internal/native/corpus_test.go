package native_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// entry is one file of a package built for a test.
type entry struct {
	name string
	data []byte
	mode os.FileMode
}

// deflated caches compressed entry data: the same real files (a 16 MB libvips) go into many
// test packages, and compressing them once keeps the corpus fast under -race.
var deflated sync.Map // *byte (first byte of the data) + length -> []byte

type blobKey struct {
	p *byte
	n int
}

func deflate(t testing.TB, data []byte) []byte {
	if len(data) == 0 {
		return nil
	}
	key := blobKey{&data[0], len(data)}
	if b, ok := deflated.Load(key); ok {
		return b.([]byte)
	}
	var buf bytes.Buffer
	level := flate.DefaultCompression
	if len(data) > 1<<20 {
		level = flate.BestSpeed // the multi-megabyte libvips and esbuild binaries: keeps -race fast
	}
	w, err := flate.NewWriter(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	deflated.Store(key, buf.Bytes())
	return buf.Bytes()
}

func zipOf(t testing.TB, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		comp := deflate(t, e.data)
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(e.data),
			CompressedSize64: uint64(len(comp)), UncompressedSize64: uint64(len(e.data))}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h.SetMode(mode)
		if len(e.data) == 0 {
			h.Method = zip.Store
		}
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(comp); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// debTree returns Debian's extension modules (arch amd64 or arm64) under prefix, with each
// package's __init__.py, as pip install --target lays them out.
func debTree(t testing.TB, arch, prefix string, rels ...string) []entry {
	t.Helper()
	var out []entry
	seen := map[string]bool{}
	for _, rel := range rels {
		if dir := filepath.Dir(rel); dir != "." && !seen[dir] {
			seen[dir] = true
			out = append(out, entry{name: prefix + dir + "/__init__.py", data: []byte("from ._x import *\n")})
		}
		out = append(out, entry{name: prefix + rel, data: debModule(t, arch, rel), mode: 0o755})
	}
	return out
}

// debName renames a module path to the other architecture's triplet (Debian names both).
func debName(rel, arch string) string {
	if arch == "arm64" {
		return strings.ReplaceAll(rel, "x86_64-linux-gnu", "aarch64-linux-gnu")
	}
	return rel
}

// goodDeb are Debian's modules that need at most GLIBC_2.17 (all but _cffi_backend, 2.34).
var goodDeb = []string{
	"yaml/_yaml.cpython-311-x86_64-linux-gnu.so", "markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so",
	"msgpack/_cmsgpack.cpython-311-x86_64-linux-gnu.so", "psutil/_psutil_linux.cpython-311-x86_64-linux-gnu.so",
	"psutil/_psutil_posix.cpython-311-x86_64-linux-gnu.so", "ujson.cpython-311-x86_64-linux-gnu.so",
	"regex/_regex.cpython-311-x86_64-linux-gnu.so", "simplejson/_speedups.cpython-311-x86_64-linux-gnu.so",
	"bcrypt/_bcrypt.abi3.so", "nacl/_sodium.abi3.so",
}

func goodDebFor(arch string) []string {
	var out []string
	for _, r := range goodDeb {
		out = append(out, debName(r, arch))
	}
	return out
}

func wheel(dist string, tags ...string) entry {
	var b strings.Builder
	b.WriteString("Wheel-Version: 1.0\nGenerator: bdist_wheel (0.42.0)\nRoot-Is-Purelib: false\n")
	for _, tg := range tags {
		b.WriteString("Tag: " + tg + "\n")
	}
	return entry{name: dist + "-1.0.dist-info/WHEEL", data: []byte(b.String())}
}

// npmTree returns a packed npm package's files under prefix/node_modules/<name>/.
func npmTree(t testing.TB, prefix, name, tgz string) []entry {
	t.Helper()
	files := npmPackage(t, tgz)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []entry
	for _, n := range names {
		f := files[n]
		out = append(out, entry{name: prefix + "node_modules/" + name + "/" + n, data: f.data, mode: f.mode | 0o644})
	}
	return out
}

func file(name, text string) entry { return entry{name: name, data: []byte(text)} }

var (
	pyApp   = file("app.py", "def handler(event, context):\n    return 1\n")
	nodeApp = file("index.js", "exports.handler = async () => 1;\n")
)

func cat(parts ...[]entry) []entry {
	var out []entry
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// corpusCase is one package with native code and what the native and extension rules must say.
type corpusCase struct {
	name          string
	runtime, arch string
	code          []entry
	layers        [][]entry
	env           map[string]string
	// want maps each rule expected to fire to a path its finding must name (a substring); an
	// empty map means no native or extension finding at all.
	want map[result.RuleID]string
	// warn: the wanted findings are warnings (the package's loader does not load the build
	// at require, so init does not fail), not errors.
	warn bool
}

func runCase(t *testing.T, tc corpusCase) result.Result {
	t.Helper()
	handler := "app.handler"
	if strings.HasPrefix(tc.runtime, "nodejs") {
		handler = "index.handler"
	}
	fn := inspect.Function{Target: tc.name, Runtime: tc.runtime, Handler: handler, Architecture: tc.arch, Env: tc.env}
	z := zipOf(t, tc.code)
	fn.Code = inspect.Source{Name: tc.name + ".zip", ReaderAt: bytes.NewReader(z), Size: int64(len(z))}
	for i, l := range tc.layers {
		lz := zipOf(t, l)
		fn.Layers = append(fn.Layers, inspect.Source{Name: fmt.Sprintf("layer%d.zip", i+1), ReaderAt: bytes.NewReader(lz), Size: int64(len(lz))})
	}
	c := inspect.New(inspect.Options{Now: func() time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }})
	res, err := c.Check(context.Background(), fn)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	return res
}

func nativeFindings(res result.Result) []result.Finding {
	var out []result.Finding
	for _, f := range res.Findings {
		if strings.HasPrefix(string(f.Rule), "native-") || strings.HasPrefix(string(f.Rule), "extension-") {
			out = append(out, f)
		}
	}
	return out
}

func checkCase(t *testing.T, tc corpusCase) {
	t.Helper()
	res := runCase(t, tc)
	got := nativeFindings(res)
	for _, id := range []result.RuleID{result.NativeArchMismatch, result.NativeGlibc} {
		if strings.HasPrefix(tc.runtime, "python") || strings.HasPrefix(tc.runtime, "nodejs") {
			if !slices.Contains(res.Evaluated, id) {
				t.Errorf("%s not evaluated", id)
			}
		}
	}
	seen := map[result.RuleID]bool{}
	for _, f := range got {
		t.Logf("%s %s %s: %s | fix: %s", f.Severity, f.Rule, f.Path, f.Message, f.Remediation)
		seen[f.Rule] = true
		want, ok := tc.want[f.Rule]
		if !ok {
			t.Errorf("unexpected %s (%s) at %s: %s", f.Rule, f.Severity, f.Path, f.Message)
			continue
		}
		if !strings.Contains(f.Path, want) {
			t.Errorf("%s names %q, want a path containing %q: %s", f.Rule, f.Path, want, f.Message)
		}
		if f.Rule != result.NativeUnchecked {
			if want := map[bool]result.Severity{false: result.Error, true: result.Warning}[tc.warn]; f.Severity != want {
				t.Errorf("%s is a %s, want %s: %s", f.Rule, f.Severity, want, f.Message)
			}
			if f.Remediation == "" {
				t.Errorf("%s has no remediation", f.Rule)
			}
			// Each message names the function's runtime or architecture.
			if !strings.Contains(f.Message, tc.runtime) && !strings.Contains(f.Message, tc.arch) && !strings.Contains(f.Message, "Amazon Linux") {
				t.Errorf("%s does not say what the function is: %s", f.Rule, f.Message)
			}
		}
	}
	for id := range tc.want {
		if !seen[id] {
			t.Errorf("%s did not fire; findings: %v", id, got)
		}
	}
}
