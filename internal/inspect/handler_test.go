package inspect

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// TestHandlerResolution shows the cases of issue 9 through the whole engine: each package is what
// a tool writes, each verdict is Lambda's.
func TestHandlerResolution(t *testing.T) {
	js := []byte("exports.handler = async () => 1;\n")
	py := []byte("def handler(e, c): pass\n")
	amd := goBinary(t, "linux-amd64")
	tests := []struct {
		name   string
		fn     Function
		code   []byte
		layers [][]byte
		want   result.RuleID // "" means PASS with no finding of the handler rules
		sev    result.Severity
	}{
		{name: "Datadog absolute handler with the Datadog layer", fn: Function{Runtime: "nodejs22.x", Handler: "/opt/nodejs/node_modules/datadog-lambda-js/handler.handler"},
			code: mkzip(t, entry{name: "index.js", data: js, mode: 0o644}),
			layers: [][]byte{mkzip(t, entry{name: "nodejs/node_modules/datadog-lambda-js/handler.js", data: js, mode: 0o644},
				entry{name: "nodejs/node_modules/datadog-lambda-js/package.json", data: []byte(`{"name":"datadog-lambda-js","main":"dist/index.js"}`), mode: 0o644})}},
		{name: "Datadog absolute handler without its layer", fn: Function{Runtime: "nodejs22.x", Handler: "/opt/nodejs/node_modules/datadog-lambda-js/handler.handler"},
			code: mkzip(t, entry{name: "index.js", data: js, mode: 0o644}), want: result.HandlerMissing, sev: result.Error},
		{name: "first dot: index.handlers.main", fn: Function{Runtime: "nodejs22.x", Handler: "index.handlers.main"},
			code: mkzip(t, entry{name: "index.js", data: js, mode: 0o644})},
		{name: "first dot: app.v2.handler with app.v2.js", fn: Function{Runtime: "nodejs22.x", Handler: "app.v2.handler"},
			code: mkzip(t, entry{name: "app.v2.js", data: js, mode: 0o644}), want: result.HandlerMissing, sev: result.Error},
		{name: "Ruby class method form", fn: Function{Runtime: "ruby3.3", Handler: "source.LambdaFunctions::Handler.process"},
			code: mkzip(t, entry{name: "source.rb", data: []byte("module LambdaFunctions; class Handler; def self.process(event:, context:) end; end; end\n"), mode: 0o644})},
		{name: "Node handler path only in a layer's node_modules", fn: Function{Runtime: "nodejs22.x", Handler: "shared/lib.handler"},
			code:   mkzip(t, entry{name: "index.js", data: js, mode: 0o644}),
			layers: [][]byte{mkzip(t, entry{name: "nodejs/node_modules/shared/lib.js", data: js, mode: 0o644})}, want: result.HandlerMissing, sev: result.Error},
		{name: "Node bare module in a layer", fn: Function{Runtime: "nodejs22.x", Handler: "shared.handler"},
			code:   mkzip(t, entry{name: "README", data: js, mode: 0o644}),
			layers: [][]byte{mkzip(t, entry{name: "nodejs/node_modules/shared/index.js", data: js, mode: 0o644})}},
		{name: "bsdtar ./index.js", fn: Function{Runtime: "nodejs22.x", Handler: "index.handler"},
			code: mkzip(t, entry{name: "./", mode: fs.ModeDir | 0o755}, entry{name: "./index.js", data: js, mode: 0o644})},
		{name: "bsdtar ./bootstrap", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "./", mode: fs.ModeDir | 0o755}, entry{name: "./bootstrap", data: amd, mode: 0o755})},
		{name: "sourceless .pyc in a layer", fn: Function{Runtime: "python3.12", Handler: "shared.handler"},
			code:   mkzip(t, entry{name: "README", data: py, mode: 0o644}),
			layers: [][]byte{mkzip(t, entry{name: "python/shared.pyc", data: []byte("\xcb\x0d\x0d\x0a"), mode: 0o644})}},
		{name: "unreadable handler behind a symlinked folder", fn: Function{Runtime: "python3.12", Handler: "app.handler"},
			code: mkzip(t, entry{name: "app.py", data: []byte("src/app.py"), mode: fs.ModeSymlink | 0o777}, entry{name: "src/app.py", data: py, mode: 0o600}),
			want: result.HandlerNotReadable, sev: result.Error},
		{name: "handler-missing is a warning with an exec wrapper", fn: Function{Runtime: "nodejs22.x", Handler: "run.sh",
			Env: map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap"}},
			code:   mkzip(t, entry{name: "run.sh", data: []byte("#!/bin/sh\nexec node index.js\n"), mode: 0o755}),
			layers: [][]byte{mkzip(t, entry{name: "bootstrap", data: []byte("#!/bin/sh\nexec \"$@\"\n"), mode: 0o755})},
			want:   result.HandlerMissing, sev: result.Warning},
		{name: "path-duplicate: ./index.js and index.js are one path, the handler's", fn: Function{Runtime: "nodejs22.x", Handler: "index.handlers.main"},
			code: mkzip(t, entry{name: "./index.js", data: js, mode: 0o644}, entry{name: "index.js", data: js, mode: 0o644}), want: result.PathDuplicate, sev: result.Error},
		{name: "path-duplicate of another file is a warning", fn: Function{Runtime: "nodejs22.x", Handler: "index.handler"},
			code: mkzip(t, entry{name: "index.js", data: js, mode: 0o644}, entry{name: "./util.js", data: js, mode: 0o644}, entry{name: "util.js", data: js, mode: 0o644}),
			want: result.PathDuplicate, sev: result.Warning},
		{name: "Java class behind more JAR bytes than the check reads: info, not a failure", fn: Function{Runtime: "java21", Handler: "example.Handler::handleRequest"},
			code: mkzip(t, entry{name: "lib/big.jar", data: mkzip(t, entry{name: "blob", data: bytes.Repeat([]byte{1}, 9<<20), store: true}), mode: 0o644}),
			want: result.HandlerMissing, sev: result.Info},
		{name: "Java class in a JAR under lib/", fn: Function{Runtime: "java21", Handler: "example.Handler::handleRequest"},
			code: mkzip(t, entry{name: "lib/function.jar", data: mkzip(t, entry{name: "example/Handler.class", data: []byte("\xca\xfe\xba\xbe")}), mode: 0o644})},
		{name: ".NET assembly", fn: Function{Runtime: "dotnet8", Handler: "MyFunction::MyFunction.Function::FunctionHandler"},
			code: mkzip(t, entry{name: "MyFunction.dll", data: []byte("MZ"), mode: 0o644})},
		{name: ".NET assembly missing", fn: Function{Runtime: "dotnet8", Handler: "Lambda::MyFunction.Function::FunctionHandler"},
			code: mkzip(t, entry{name: "MyFunction.dll", data: []byte("MZ"), mode: 0o644}), want: result.HandlerMissing, sev: result.Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := tt.fn
			fn.Code = zipSource("code.zip", tt.code)
			for i, l := range tt.layers {
				fn.Layers = append(fn.Layers, zipSource("layer"+string(rune('1'+i))+".zip", l))
			}
			res := packageFindings(run(t, fn))
			if tt.want == "" {
				if len(res.Findings) != 0 {
					t.Fatalf("want no package finding, got %+v", res.Findings)
				}
				return
			}
			for _, f := range res.Findings {
				if f.Rule == tt.want && f.Severity == tt.sev {
					return
				}
			}
			t.Fatalf("want %s (%s), got %+v", tt.want, tt.sev, res.Findings)
		})
	}
}

// packageFindings drops the runtime lifecycle findings, which move with the calendar and are not
// about the package.
func packageFindings(res result.Result) result.Result {
	var keep []result.Finding
	for _, f := range res.Findings {
		if !strings.HasPrefix(string(f.Rule), "runtime-") {
			keep = append(keep, f)
		}
	}
	res.Findings = keep
	return res
}

func TestExtractedName(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"./bootstrap", "bootstrap", true},
		{"./", "", false},
		{".", "", false},
		{"./src/./app.py", "src/app.py", true},
		{"src//app.py", "src/app.py", true},
		{"dir/", "dir", true},
		{"../evil", "../evil", true},
		{"/abs/x", "/abs/x", true},
		{`bin\bootstrap`, `bin\bootstrap`, true},
	} {
		got, ok := extractedName(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("extractedName(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// hostZip writes entries whose creator byte is host (10 NTFS, 14 VFAT, 19 OS X) with a Unix mode
// in the high bits, as some Windows and macOS tools do.
func hostZip(t *testing.T, host byte, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(e.mode)
		h.CreatorVersion = uint16(host)<<8 | 20
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestWrapperAndModeRules shows each exec-wrapper-*, path-not-traversable and mode-foreign-host
// rule firing on the package that provokes it and quiet on its fix.
func TestWrapperAndModeRules(t *testing.T) {
	amd := goBinary(t, "linux-amd64")
	arm := goBinary(t, "linux-arm64")
	cgo := goBinary(t, "cgo-amd64")
	js := []byte("exports.handler = async () => 1;\n")
	exe := fs.FileMode(0o755)
	wrap := func(w string) map[string]string { return map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": w} }
	node := func(w string) Function {
		return Function{Runtime: "nodejs22.x", Handler: "index.handler", Env: wrap(w)}
	}
	idx := entry{name: "index.js", data: js, mode: 0o644}
	script := []byte("#!/bin/bash\nexec \"$@\"\n")
	tests := []struct {
		name   string
		fn     Function
		code   []byte
		layers [][]byte
		want   result.RuleID // "" means no package finding at all
		sev    result.Severity
	}{
		{name: "exec-wrapper-missing", fn: node("/opt/otel-instrument"), code: mkzip(t, idx), want: result.ExecWrapperMissing, sev: result.Error},
		{name: "exec-wrapper-missing quiet: layer provides it", fn: node("/opt/otel-instrument"), code: mkzip(t, idx),
			layers: [][]byte{mkzip(t, entry{name: "otel-instrument", data: script, mode: exe})}},
		{name: "exec-wrapper-missing quiet: script in the package", fn: node("/var/task/wrapper.sh"),
			code: mkzip(t, idx, entry{name: "wrapper.sh", data: script, mode: exe})},
		{name: "exec-wrapper-missing: dangling link", fn: node("/var/task/wrapper"),
			code: mkzip(t, idx, entry{name: "wrapper", data: []byte("bin/nothing"), mode: fs.ModeSymlink | 0o777}), want: result.ExecWrapperMissing, sev: result.Error},
		{name: "exec-wrapper-missing: warning with an unreadable layer", fn: func() Function {
			f := node("/opt/wrapper")
			f.Layers = []Source{{Name: "arn:aws:lambda:us-east-1:1:layer:x:1"}}
			return f
		}(), code: mkzip(t, idx), want: result.ExecWrapperMissing, sev: result.Warning},
		{name: "exec-wrapper ignored on provided.al2023", fn: Function{Runtime: "provided.al2023", Env: wrap("/opt/nothing")},
			code: mkzip(t, entry{name: "bootstrap", data: amd, mode: exe})},
		{name: "exec-wrapper-not-executable: 0644", fn: node("/opt/wrapper"), code: mkzip(t, idx),
			layers: [][]byte{mkzip(t, entry{name: "wrapper", data: script, mode: 0o644})}, want: result.ExecWrapperNotExecutable, sev: result.Error},
		{name: "exec-wrapper-not-executable: Windows zip", fn: node("/opt/wrapper"), code: mkzip(t, idx),
			layers: [][]byte{mkzip(t, entry{name: "wrapper", data: script, msdos: true})}, want: result.ExecWrapperNotExecutable, sev: result.Error},
		{name: "exec-wrapper-not-linux: Mach-O", fn: node("/opt/wrapper"), code: mkzip(t, idx),
			layers: [][]byte{mkzip(t, entry{name: "wrapper", data: goBinary(t, "darwin-arm64"), mode: exe})}, want: result.ExecWrapperNotLinux, sev: result.Error},
		{name: "exec-wrapper-arch-mismatch", fn: node("/opt/wrapper"), code: mkzip(t, idx),
			layers: [][]byte{mkzip(t, entry{name: "wrapper", data: arm, mode: exe})}, want: result.ExecWrapperArchMismatch, sev: result.Error},
		{name: "exec-wrapper-arch-mismatch quiet: ELF of the function's arch", fn: node("/opt/wrapper"), code: mkzip(t, idx),
			layers: [][]byte{mkzip(t, entry{name: "wrapper", data: amd, mode: exe})}},
		{name: "exec-wrapper-interpreter: musl", fn: node("/opt/wrapper"), code: mkzip(t, idx),
			layers: [][]byte{mkzip(t, entry{name: "wrapper", data: withInterp(t, cgo, "/lib/ld-musl-x86_64.so.1"), mode: exe})}, want: result.ExecWrapperInterpreter, sev: result.Error},
		{name: "exec-wrapper-glibc: cgo wrapper on nodejs18.x (AL2)", fn: Function{Runtime: "nodejs18.x", Handler: "index.handler", Env: wrap("/opt/wrapper")}, code: mkzip(t, idx),
			layers: [][]byte{mkzip(t, entry{name: "wrapper", data: cgo, mode: exe})}, want: result.ExecWrapperGlibc, sev: result.Error},
		{name: "exec-wrapper-script-crlf", fn: node("/opt/wrapper"), code: mkzip(t, idx),
			layers: [][]byte{mkzip(t, entry{name: "wrapper", data: []byte("#!/bin/bash\r\nexec \"$@\"\r\n"), mode: exe})}, want: result.ExecWrapperScriptCRLF, sev: result.Error},
		{name: "path-not-traversable: bootstrap under a 0700 folder", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bin/", mode: fs.ModeDir | 0o700}, entry{name: "bin/app", data: amd, mode: exe},
				entry{name: "bootstrap", data: []byte("bin/app"), mode: fs.ModeSymlink | 0o777}), want: result.PathNotTraversable, sev: result.Error},
		{name: "path-not-traversable quiet: 0755 folder", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bin/", mode: fs.ModeDir | 0o755}, entry{name: "bin/app", data: amd, mode: exe},
				entry{name: "bootstrap", data: []byte("bin/app"), mode: fs.ModeSymlink | 0o777})},
		{name: "path-not-traversable: handler under a 0700 folder", fn: Function{Runtime: "python3.13", Handler: "src/app.handler"},
			code: mkzip(t, entry{name: "src/", mode: fs.ModeDir | 0o700}, entry{name: "src/app.py", data: []byte("def handler(e, c): pass\n"), mode: 0o644}),
			want: result.PathNotTraversable, sev: result.Error},
		{name: "path-not-traversable: wrapper under a 0750 folder", fn: node("/opt/bin/wrapper"), code: mkzip(t, idx),
			layers: [][]byte{mkzip(t, entry{name: "bin/", mode: fs.ModeDir | 0o750}, entry{name: "bin/wrapper", data: script, mode: exe})},
			want:   result.PathNotTraversable, sev: result.Error},
		{name: "mode-foreign-host: NTFS bootstrap 0755", fn: Function{Runtime: "provided.al2023"},
			code: hostZip(t, 10, entry{name: "bootstrap", data: amd, mode: exe}), want: result.ModeForeignHost, sev: result.Warning},
		{name: "mode-foreign-host: OS X handler 0600 is a warning, not handler-not-readable", fn: Function{Runtime: "python3.13", Handler: "app.handler"},
			code: hostZip(t, 19, entry{name: "app.py", data: []byte("def handler(e, c): pass\n"), mode: 0o600}), want: result.ModeForeignHost, sev: result.Warning},
		{name: "mode-foreign-host quiet: Unix creator", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: amd, mode: exe})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := tt.fn
			fn.Code = zipSource("code.zip", tt.code)
			for i, l := range tt.layers {
				fn.Layers = append(fn.Layers, zipSource(fmt.Sprintf("layer%d.zip", i+1), l))
			}
			res := packageFindings(run(t, fn))
			if tt.want == "" {
				if len(res.Findings) != 0 {
					t.Fatalf("want no package finding, got %+v", res.Findings)
				}
				return
			}
			for _, f := range res.Findings {
				if f.Rule == tt.want && f.Severity == tt.sev {
					if f.Severity == result.Warning && res.Status != result.Pass {
						t.Fatalf("a warning must not fail the function: %+v", res.Findings)
					}
					return
				}
			}
			t.Fatalf("want %s (%s), got %+v", tt.want, tt.sev, res.Findings)
		})
	}
}

// FuzzHandlerView runs the handler resolvers and the wrapper checks over arbitrary package bytes
// through the engine's view (symlinks, ./ names, folders, JARs inside the zip): no panic, no error
// for in-memory bytes, and a status consistent with the findings.
func FuzzHandlerView(f *testing.F) {
	js := []byte("exports.handler = 1")
	f.Add(mkzip(f, entry{name: "./index.js", data: js, mode: 0o644}, entry{name: "package.json", data: []byte(`{"type":"module","main":"x"}`), mode: 0o644}), uint8(0), "index.handler", "/opt/w")
	f.Add(mkzip(f, entry{name: "lib/app.jar", data: mkzip(f, entry{name: "a/B.class", data: []byte("x")}), mode: 0o644}), uint8(3), "a.B::h", "")
	f.Add(mkzip(f, entry{name: "src", data: []byte("../../opt"), mode: fs.ModeSymlink | 0o777}), uint8(1), "src/app.handler", "src/w")
	f.Add(mkzip(f, entry{name: "d/", mode: fs.ModeDir | 0o700}, entry{name: "d/x.rb", data: js, mode: 0o600}), uint8(2), "d/x.A::B.c", "/var/task/d/x.rb")
	rts := []string{"nodejs22.x", "python3.13", "ruby3.4", "java21", "dotnet10", "nodejs24.x"}
	f.Fuzz(func(t *testing.T, b []byte, rt uint8, h, wrapper string) {
		fn := Function{Target: "fuzz", Runtime: rts[int(rt)%len(rts)], Handler: h, Code: zipSource("fuzz.zip", b),
			Layers: []Source{zipSource("layer.zip", b)}, Env: map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": wrapper}}
		res, err := checker().Check(context.Background(), fn)
		if err != nil {
			t.Fatalf("Check returned an error for in-memory bytes: %v", err)
		}
		if (res.Status == result.Fail) != res.HasErrors() {
			t.Fatalf("status %s disagrees with findings %+v", res.Status, res.Findings)
		}
	})
}
