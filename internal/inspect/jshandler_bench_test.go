package inspect

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// BenchmarkNodeHandlerCode measures what reading a Node.js handler's code costs on a 50 MB
// package, through a counting reader as the hook's ranged S3 reader is billed: 45 MiB of assets,
// 8,000 files under node_modules (never parsed), and a handler of either form tools emit:
//   - bundle: one 3 MiB esbuild-style CommonJS bundle (index.js);
//   - modules: tsc-style output, index.js requiring 40 package files of 20 KiB (src/*.js), each
//     requiring a package in node_modules (resolved, not parsed).
func BenchmarkNodeHandlerCode(b *testing.B) {
	pad := make([]byte, 45<<20)
	rand.Read(pad)
	base := []entry{{name: "assets/blob.bin", data: pad, mode: 0o644, store: true}}
	for i := range 8000 {
		base = append(base, entry{name: fmt.Sprintf("node_modules/dep%d/lib/f%d.js", i/20, i), data: []byte("module.exports = 1;\n"), mode: 0o644})
	}
	for i := range 400 {
		base = append(base, entry{name: fmt.Sprintf("node_modules/dep%d/package.json", i), data: []byte(`{"main":"lib/index.js"}`), mode: 0o644})
	}
	fn := func(i int) string {
		return fmt.Sprintf("function f%d(event, context) {\n  const x = { id: %d, items: [1, 2, 3].map((v) => v * %d), name: `f%d-${event.id}` };\n  if (x.items.length > 2) { return x; }\n  return null;\n}\n", i, i, i, i)
	}
	var bundle strings.Builder
	bundle.WriteString("\"use strict\";\nvar __defProp = Object.defineProperty;\nvar __export = (target, all) => { for (var name in all) __defProp(target, name, { get: all[name], enumerable: true }); };\nvar __toCommonJS = (mod) => mod;\nvar index_exports = {};\n__export(index_exports, { handler: () => handler });\nmodule.exports = __toCommonJS(index_exports);\n")
	for i := 0; bundle.Len() < 3<<20; i++ {
		bundle.WriteString(fn(i))
	}
	bundle.WriteString("var handler = async (event, context) => f1(event, context);\n")
	bundleZip := mkzip(b, append(base, entry{name: "index.js", data: []byte(bundle.String()), mode: 0o644})...)

	modules := append([]entry(nil), base...)
	var index strings.Builder
	for m := range 40 {
		var src strings.Builder
		fmt.Fprintf(&src, "\"use strict\";\nconst dep = require(\"dep%d\");\n", m)
		for i := 0; src.Len() < 20<<10; i++ {
			src.WriteString(fn(i))
		}
		fmt.Fprintf(&src, "exports.run = f0;\n")
		modules = append(modules, entry{name: fmt.Sprintf("src/m%d.js", m), data: []byte(src.String()), mode: 0o644})
		fmt.Fprintf(&index, "const m%d = require(\"./src/m%d\");\n", m, m)
	}
	index.WriteString("exports.handler = async (event, context) => m0.run(event, context);\n")
	modulesZip := mkzip(b, append(modules, entry{name: "index.js", data: []byte(index.String()), mode: 0o644})...)

	for _, c := range []struct {
		name string
		z    []byte
	}{{"bundle", bundleZip}, {"modules", modulesZip}} {
		b.Run(c.name, func(b *testing.B) {
			ch := checker()
			var read int64
			var calls int
			b.ReportAllocs()
			for b.Loop() {
				cr := &countingReaderAt{r: bytes.NewReader(c.z)}
				res, err := ch.Check(context.Background(), Function{Target: c.name, Runtime: "nodejs24.x", Handler: "index.handler",
					Code: Source{Name: c.name + ".zip", ReaderAt: cr, Size: int64(len(c.z))}})
				if err != nil || res.Status != result.Pass {
					b.Fatalf("%v %+v", err, res.Findings)
				}
				read, calls = cr.bytes, cr.calls
			}
			b.ReportMetric(float64(read), "bytes-read/op")
			b.ReportMetric(float64(calls), "reads/op")
			b.ReportMetric(float64(len(c.z)), "package-bytes")
		})
	}
}
