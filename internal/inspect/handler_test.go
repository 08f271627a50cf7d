package inspect

import (
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
