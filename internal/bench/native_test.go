package bench

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/rangeread"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
)

// debModules returns Debian 12's amd64 python3 extension modules (downloaded by make
// native-cache into .cache/native) that load on python3.11 x86_64: name -> bytes.
func debModules(b *testing.B) map[string][]byte {
	root := filepath.Join("..", "..", ".cache", "native", "deb", "root-amd64", "usr", "lib", "python3", "dist-packages")
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".so") || strings.Contains(p, "_cffi_backend") {
			return nil
		}
		data, err := os.ReadFile(p)
		out[filepath.Base(p)] = data
		return err
	})
	if err != nil || len(out) == 0 {
		b.Skipf("native test files not downloaded (make native-cache): %v", err)
	}
	return out
}

// makePythonPackage writes a package of about size bytes with n extension modules in six
// distributions, laid out as `pip install --target` and a sorting zipper produce it: each
// distribution's dist-info (with its WHEEL when wheels is set), then its subpackages (an
// __init__.py, a helper module and an extension module each), then its data files.
func makePythonPackage(b *testing.B, size, n int, wheels bool) string {
	key := fmt.Sprintf("python-%dMB-%d-modules-wheels-%v.zip", size/1_000_000, n, wheels)
	mods := debModules(b)
	var names []string
	for k := range mods {
		names = append(names, k)
	}
	slices.Sort(names) // the same layout on every run
	var buf bytes.Buffer
	buf.Grow(size + 1<<20)
	zw := zip.NewWriter(&buf)
	put := func(name string, data []byte, method uint16) {
		h := &zip.FileHeader{Name: name, Method: method}
		h.SetMode(0o644)
		w, _ := zw.CreateHeader(h)
		w.Write(data)
	}
	put("app.py", []byte("import yaml\ndef handler(e, c):\n    return 1\n"), zip.Deflate)
	const dists = 6
	helper := bytes.Repeat([]byte("def f(x):\n    return x * 2  # helper code\n"), 200)
	chunk := make([]byte, 1<<20)
	for d := 0; d < dists; d++ {
		dist := fmt.Sprintf("vendor%d", d)
		put(dist+"-1.0.dist-info/METADATA", []byte("Metadata-Version: 2.1\nName: "+dist+"\nVersion: 1.0\n"), zip.Deflate)
		put(dist+"-1.0.dist-info/RECORD", bytes.Repeat([]byte(dist+"/x.py,sha256=abc,123\n"), 50), zip.Deflate)
		if wheels {
			put(dist+"-1.0.dist-info/WHEEL", []byte("Wheel-Version: 1.0\nGenerator: bdist_wheel (0.42.0)\nRoot-Is-Purelib: false\nTag: cp311-cp311-manylinux_2_17_x86_64\nTag: cp311-cp311-manylinux2014_x86_64\n"), zip.Deflate)
		}
		put(dist+"/__init__.py", []byte("\n"), zip.Deflate)
		for m := d; m < n; m += dists {
			sub := fmt.Sprintf("%s/sub%03d", dist, m)
			mod := names[m%len(names)]
			put(sub+"/__init__.py", []byte("from . import helpers\n"), zip.Deflate)
			put(sub+"/helpers.py", helper, zip.Deflate)
			put(sub+"/"+mod, mods[mod], zip.Deflate)
		}
		// Data files (models, fonts, tables): incompressible, to reach the package size.
		for written := 0; buf.Len() < size*(d+1)/dists; written++ {
			h := &zip.FileHeader{Name: fmt.Sprintf("%s/data/blob-%03d.bin", dist, written), Method: zip.Store}
			h.SetMode(0o644)
			w, _ := zw.CreateHeader(h)
			for i := 0; i < 4; i++ {
				rand.Read(chunk)
				w.Write(chunk)
			}
		}
	}
	zw.Close()
	env.minio.Put(b, "bench", key, buf.Bytes())
	return key
}

// nodeAddons returns real addon builds from the loader-oracle corpus (make native-corpus):
// bufferutil 4.1.0's prebuilds/<tuple>/bufferutil.node per tuple.
func nodeAddons(b *testing.B) map[string][]byte {
	root := filepath.Join("..", "..", ".cache", "native", "trees", "x64", "bufferutil@4.1.0", "node_modules")
	out := map[string][]byte{}
	for _, tuple := range []string{"linux-x64", "darwin-arm64", "darwin-x64", "win32-x64"} {
		data, err := os.ReadFile(filepath.Join(root, "bufferutil", "prebuilds", tuple, "bufferutil.node"))
		if err != nil {
			b.Skipf("corpus trees not installed (make native-corpus): %v", err)
		}
		out[tuple] = data
	}
	ngb, err := os.ReadFile(filepath.Join(root, "node-gyp-build", "node-gyp-build.js"))
	if err != nil {
		b.Skipf("corpus trees not installed (make native-corpus): %v", err)
	}
	out["node-gyp-build.js"] = ngb
	return out
}

// makeNodePackage writes a Node.js package of about size bytes with n native modules: six
// scopes, each with its prebuildify packages (package.json, a node-gyp-build index.js,
// prebuilds/{linux-x64,darwin-arm64,darwin-x64,win32-x64}/) followed by a large asset package,
// as npm lays node_modules out by name.
func makeNodePackage(b *testing.B, size, n int) string {
	key := fmt.Sprintf("nodejs-%dMB-%d-modules.zip", size/1_000_000, n)
	addons := nodeAddons(b)
	var buf bytes.Buffer
	buf.Grow(size + 1<<20)
	zw := zip.NewWriter(&buf)
	put := func(name string, data []byte, method uint16) {
		h := &zip.FileHeader{Name: name, Method: method}
		h.SetMode(0o644)
		w, _ := zw.CreateHeader(h)
		w.Write(data)
	}
	const scopes = 6
	tuples := []string{"linux-x64", "darwin-arm64", "darwin-x64", "win32-x64"}
	pkgs := (n + len(tuples) - 1) / len(tuples)
	var deps []string
	for i := 0; i < pkgs; i++ {
		deps = append(deps, fmt.Sprintf("%q: \"1.0.0\"", fmt.Sprintf("@vendor%d/native%03d", i%scopes, i)))
	}
	put("index.js", []byte("exports.handler = async () => 1;\n"), zip.Deflate)
	put("package.json", []byte("{\"name\": \"fn\", \"dependencies\": {"+strings.Join(deps, ", ")+"}}\n"), zip.Deflate)
	put("node_modules/node-gyp-build/package.json", []byte(`{"name":"node-gyp-build","main":"index.js"}`), zip.Deflate)
	put("node_modules/node-gyp-build/node-gyp-build.js", addons["node-gyp-build.js"], zip.Deflate)
	chunk := make([]byte, 1<<20)
	written := 0
	for sc := 0; sc < scopes; sc++ {
		for i := sc; i < pkgs; i += scopes {
			dir := fmt.Sprintf("node_modules/@vendor%d/native%03d/", sc, i)
			put(dir+"index.js", []byte("module.exports = require('node-gyp-build')(__dirname)\n"), zip.Deflate)
			put(dir+"package.json", []byte(fmt.Sprintf(`{"name":"@vendor%d/native%03d","version":"1.0.0","main":"index.js"}`, sc, i)), zip.Deflate)
			for _, tuple := range tuples {
				if written < n {
					put(dir+"prebuilds/"+tuple+"/node.napi.node", addons[tuple], zip.Deflate)
					written++
				}
			}
		}
		// An asset package (fonts, models): incompressible, to reach the package size.
		for k := 0; buf.Len() < size*(sc+1)/scopes; k++ {
			h := &zip.FileHeader{Name: fmt.Sprintf("node_modules/@vendor%d/zz-assets/blob-%03d.bin", sc, k), Method: zip.Store}
			h.SetMode(0o644)
			w, _ := zw.CreateHeader(h)
			for i := 0; i < 4; i++ {
				rand.Read(chunk)
				w.Write(chunk)
			}
		}
	}
	zw.Close()
	env.minio.Put(b, "bench", key, buf.Bytes())
	return key
}

// checkRanged checks one function on the hook's code path and returns its result.
func checkRanged(b *testing.B, c *s3.Client, key, runtime, arch string) result.Result {
	ctx := context.Background()
	r, err := s3read.Open(ctx, c, "bench", key, "", rangeread.Options{})
	if err != nil {
		b.Fatal(err)
	}
	handler := "app.handler"
	if strings.HasPrefix(runtime, "nodejs") {
		handler = "index.handler"
	}
	res, err := inspect.New(inspect.Options{}).Check(ctx, inspect.Function{Target: key, Runtime: runtime, Handler: handler,
		Architecture: arch, Code: inspect.Source{Name: key, ReaderAt: r, Size: r.Size()}})
	if err != nil {
		b.Fatalf("check: %v", err)
	}
	return res
}

// unchecked counts the native files a result says were not read.
func unchecked(res result.Result) int {
	n := 0
	for _, f := range res.FindingsFor(result.NativeUnchecked) {
		var k int
		if _, err := fmt.Sscanf(f.Message, "%d native files were not read", &k); err == nil {
			n += k
		}
	}
	return n
}

// BenchmarkNativeRead: the native-code checks of a 50 MB Python package with 150 extension
// modules, on the hook's path (ranged GETs against MinIO), with and without WHEEL files, of a
// 50 MB Node.js package with 150 prebuilt addons (their loaders' package.json and entry modules
// read in the same rounds), beside a 50 MB custom-runtime package. Figures per line: bytes-transferred/op, requests/op,
// unchecked-files/op (native files the read budget did not cover), peak-heap-MiB.
func BenchmarkNativeRead(b *testing.B) {
	setup(b)
	pkgs := []struct{ name, key, runtime, arch string }{
		{"python-50MB-150-modules/wheels", makePythonPackage(b, 50_000_000, 150, true), "python3.11", result.ArchX86},
		{"python-50MB-150-modules/no-wheels", makePythonPackage(b, 50_000_000, 150, false), "python3.11", result.ArchX86},
		{"nodejs-50MB-150-addons/prebuildify", makeNodePackage(b, 50_000_000, 150), "nodejs22.x", result.ArchX86},
		{"provided.al2023-50MB/bootstrap-last", makePackage(b, 50_000_000, true), "provided.al2023", result.ArchARM},
	}
	for _, p := range pkgs {
		b.Run(p.name, func(b *testing.B) {
			var peak uint64
			t := &countingTransport{}
			c := client(t)
			var res result.Result
			for b.Loop() {
				if h := peakHeap(func() { res = checkRanged(b, c, p.key, p.runtime, p.arch) }); h > peak {
					peak = h
				}
			}
			var errs []string
			for _, f := range res.Findings {
				if f.Severity == result.Error {
					errs = append(errs, string(f.Rule)+": "+f.Message)
				}
			}
			if len(errs) > 0 {
				b.Fatalf("findings on a good package: %v", errs)
			}
			n := float64(b.N)
			b.ReportMetric(float64(t.bytes.Load())/n, "bytes-transferred/op")
			b.ReportMetric(float64(t.requests.Load())/n, "requests/op")
			b.ReportMetric(float64(unchecked(res)), "unchecked-files/op")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
