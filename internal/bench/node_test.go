package bench

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// makeNodeHandlerPackage writes a 50 MB nodejs24.x package: 45 MiB of incompressible assets, 8,000
// small files in node_modules, and index.js as handler, either a 3 MiB esbuild-style bundle or
// tsc-style output requiring 40 package files of 20 KiB (each requiring a package).
func makeNodeHandlerPackage(b *testing.B, bundle bool) string {
	key := fmt.Sprintf("node-50MB-bundle-%v.zip", bundle)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, data []byte, method uint16) {
		h := &zip.FileHeader{Name: name, Method: method}
		h.SetMode(0o644)
		w, _ := zw.CreateHeader(h)
		w.Write(data)
	}
	fn := func(i int) string {
		return fmt.Sprintf("function f%d(event, context) {\n  const x = { id: %d, items: [1, 2, 3].map((v) => v * %d), name: `f%d-${event.id}` };\n  if (x.items.length > 2) { return x; }\n  return null;\n}\n", i, i, i, i)
	}
	if bundle {
		var s strings.Builder
		s.WriteString("\"use strict\";\nvar __defProp = Object.defineProperty;\nvar __export = (target, all) => { for (var name in all) __defProp(target, name, { get: all[name], enumerable: true }); };\nvar __toCommonJS = (mod) => mod;\nvar app_exports = {};\n__export(app_exports, { handler: () => handler });\nmodule.exports = __toCommonJS(app_exports);\n")
		for i := 0; s.Len() < 3<<20; i++ {
			s.WriteString(fn(i))
		}
		s.WriteString("var handler = async (event, context) => f1(event, context);\n")
		add("index.js", []byte(s.String()), zip.Deflate)
	} else {
		var index strings.Builder
		for m := range 40 {
			var s strings.Builder
			fmt.Fprintf(&s, "\"use strict\";\nconst dep = require(\"dep%d\");\n", m)
			for i := 0; s.Len() < 20<<10; i++ {
				s.WriteString(fn(i))
			}
			s.WriteString("exports.run = f0;\n")
			add(fmt.Sprintf("src/m%d.js", m), []byte(s.String()), zip.Deflate)
			fmt.Fprintf(&index, "const m%d = require(\"./src/m%d\");\n", m, m)
		}
		index.WriteString("exports.handler = async (event, context) => m0.run(event, context);\n")
		add("index.js", []byte(index.String()), zip.Deflate)
	}
	for i := range 8000 {
		add(fmt.Sprintf("node_modules/dep%d/lib/f%d.js", i/20, i), []byte("module.exports = 1;\n"), zip.Deflate)
	}
	for i := range 400 {
		add(fmt.Sprintf("node_modules/dep%d/package.json", i), []byte(`{"main":"lib/index.js"}`), zip.Deflate)
	}
	blob := make([]byte, 45<<20)
	rand.Read(blob)
	add("assets/blob.bin", blob, zip.Store)
	zw.Close()
	env.minio.Put(b, "bench", key, buf.Bytes())
	return key
}

// BenchmarkNodeHandlerRead: what checking a 50 MB Node.js package costs on the hook's path
// (ranged GETs against MinIO), now that the handler's module and the package files it imports
// are read and parsed. Figures per line: bytes-transferred/op, requests/op, peak-heap-MiB.
func BenchmarkNodeHandlerRead(b *testing.B) {
	setup(b)
	for _, bundle := range []bool{true, false} {
		key := makeNodeHandlerPackage(b, bundle)
		name := "node-50MB/tsc-40-modules"
		if bundle {
			name = "node-50MB/bundle-3MiB"
		}
		b.Run(name, func(b *testing.B) {
			var peak uint64
			t := &countingTransport{}
			c := client(t)
			var res result.Result
			for b.Loop() {
				if h := peakHeap(func() { res = checkRanged(b, c, key, "nodejs24.x", result.ArchX86) }); h > peak {
					peak = h
				}
			}
			for _, f := range res.Findings {
				if f.Severity == result.Error {
					b.Fatalf("finding on a good package: %s: %s", f.Rule, f.Message)
				}
			}
			n := float64(b.N)
			b.ReportMetric(float64(t.bytes.Load())/n, "bytes-transferred/op")
			b.ReportMetric(float64(t.requests.Load())/n, "requests/op")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
