package inspect

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// BenchmarkHandlerResolution measures what resolving a handler costs on packages as large as
// Lambda allows, read through a counting reader as the hook's ranged S3 reader would be billed:
//   - node: 8,000 files under node_modules and ~50 MB of assets; the handler resolves through a
//     package.json "type" lookup and a bare module in node_modules;
//   - java: 40 dependency JARs of 1 MiB in lib/ (deflated in the package, so reading a JAR's
//     directory means inflating it) and the function's own small JAR, named last: JARs are opened
//     smallest first, so the class is found in the first one read;
//   - java-missing: the same without the class: the check reads JARs up to its 8 MiB bound and
//     gives up (an info finding, never a failure).
func BenchmarkHandlerResolution(b *testing.B) {
	pad := make([]byte, 50<<20)
	rand.Read(pad)
	var node []entry
	node = append(node, entry{name: "assets/blob.bin", data: pad, mode: 0o644, store: true})
	for i := range 8000 {
		node = append(node, entry{name: fmt.Sprintf("node_modules/dep%d/lib/f%d.js", i/20, i), data: []byte("module.exports = 1;\n"), mode: 0o644})
	}
	node = append(node,
		entry{name: "package.json", data: []byte(`{"name":"fn","type":"commonjs"}`), mode: 0o644},
		entry{name: "node_modules/router/package.json", data: []byte(`{"main":"dist/main.js"}`), mode: 0o644},
		entry{name: "node_modules/router/dist/main.js", data: []byte("exports.handler = async () => 1;\n"), mode: 0o644})
	nodeZip := mkzip(b, node...)

	var java []entry
	for i := range 40 {
		blob := make([]byte, 1<<20)
		rand.Read(blob)
		java = append(java, entry{name: fmt.Sprintf("lib/dep%02d.jar", i), data: mkzip(b, entry{name: fmt.Sprintf("org/dep%d/Blob.bin", i), data: blob, store: true}), mode: 0o644})
	}
	javaMissing := mkzip(b, java...)
	java = append(java, entry{name: "lib/zz-function.jar", data: mkzip(b, entry{name: "example/Handler.class", data: []byte("\xca\xfe\xba\xbe")}), mode: 0o644})
	javaZip := mkzip(b, java...)

	for _, c := range []struct {
		name, runtime, handler string
		z                      []byte
	}{
		{"node", "nodejs24.x", "router.handler", nodeZip},
		{"java", "java21", "example.Handler::handleRequest", javaZip},
		{"java-missing", "java21", "example.Handler::handleRequest", javaMissing},
	} {
		b.Run(c.name, func(b *testing.B) {
			ch := checker()
			var read int64
			var calls int
			b.ReportAllocs()
			for b.Loop() {
				cr := &countingReaderAt{r: bytes.NewReader(c.z)}
				res, err := ch.Check(context.Background(), Function{Target: c.name, Runtime: c.runtime, Handler: c.handler,
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
