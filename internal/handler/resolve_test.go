package handler

import (
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
)

type resolveCase struct {
	name    string
	rt      string
	handler string
	files   []string
	env     map[string]string
	opaque  string // a prefix whose content is unknown (an unreadable layer)
	want    Verdict
	file    string // the file loaded (Found) or the error type (otherwise)
}

func family(rt string) runtimes.Family {
	for _, f := range []runtimes.Family{runtimes.FamilyNode, runtimes.FamilyPython, runtimes.FamilyRuby, runtimes.FamilyJava, runtimes.FamilyDotnet} {
		if len(rt) >= len(f) && rt[:len(f)] == string(f) {
			return f
		}
	}
	return runtimes.FamilyProvided
}

func runCases(t *testing.T, cases []resolveCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := newFS(c.files...)
			fsys.opaque = c.opaque
			r, err := Resolve(fsys, Runtime{Name: c.rt, Family: family(c.rt), Arch: "x86_64", Env: c.env}, c.handler)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if r.Verdict != c.want {
				t.Fatalf("verdict %v, want %v (%+v)", r.Verdict, c.want, r)
			}
			switch {
			case c.want == Found && r.File != c.file:
				t.Errorf("loads %s, want %s", r.File, c.file)
			case (c.want == NotFound || c.want == Malformed) && c.file != "" && r.ErrorType != c.file:
				t.Errorf("error type %s, want %s (%s)", r.ErrorType, c.file, r.Message)
			}
		})
	}
}

const js = "module.exports.handler = async () => 1;"

func TestNode(t *testing.T) { runCases(t, nodeCases) }

// nodeCases are checked against the resolver here and against the Node.js runtime interface
// client itself in TestNodeOracle.
var nodeCases = []resolveCase{
	{name: "index.handler loads index.js", rt: "nodejs22.x", handler: "index.handler",
		files: []string{"/var/task/index.js=" + js}, want: Found, file: "/var/task/index.js"},
	{name: "first dot: index.handlers.main is module index", rt: "nodejs22.x", handler: "index.handlers.main",
		files: []string{"/var/task/index.js=" + js}, want: Found, file: "/var/task/index.js"},
	{name: "first dot: app.v2.handler loads app, not app.v2.js", rt: "nodejs22.x", handler: "app.v2.handler",
		files: []string{"/var/task/app.v2.js=" + js}, want: NotFound, file: "Runtime.ImportModuleError"},
	{name: "Datadog absolute handler into a layer", rt: "nodejs22.x", handler: "/opt/nodejs/node_modules/datadog-lambda-js/handler.handler",
		files: []string{"/var/task/index.js=" + js, "/opt/nodejs/node_modules/datadog-lambda-js/handler.js=" + js,
			"/opt/nodejs/node_modules/datadog-lambda-js/package.json={\"name\":\"datadog-lambda-js\"}"},
		want: Found, file: "/opt/nodejs/node_modules/datadog-lambda-js/handler.js"},
	{name: "Datadog absolute handler without the layer", rt: "nodejs22.x", handler: "/opt/nodejs/node_modules/datadog-lambda-js/handler.handler",
		files: []string{"/var/task/index.js=" + js}, want: NotFound, file: "Runtime.ImportModuleError"},
	{name: "Datadog handler with an unreadable layer is undecided", rt: "nodejs22.x", handler: "/opt/nodejs/node_modules/datadog-lambda-js/handler.handler",
		files: []string{"/var/task/index.js=" + js}, opaque: "/opt/", want: Undecided},
	{name: "path only in a layer's node_modules fails", rt: "nodejs22.x", handler: "shared/lib.handler",
		files: []string{"/opt/nodejs/node_modules/shared/lib.js=" + js}, want: NotFound, file: "Runtime.ImportModuleError"},
	{name: "bare module in a layer's node_modules via NODE_PATH", rt: "nodejs22.x", handler: "shared.handler",
		files: []string{"/opt/nodejs/node_modules/shared/index.js=" + js}, want: Found, file: "/opt/nodejs/node_modules/shared/index.js"},
	{name: "bare module in the versioned layer folder", rt: "nodejs20.x", handler: "shared.handler",
		files: []string{"/opt/nodejs/node20/node_modules/shared.js=" + js}, want: Found, file: "/opt/nodejs/node20/node_modules/shared.js"},
	{name: "bare module in another version's layer folder fails", rt: "nodejs22.x", handler: "shared.handler",
		files: []string{"/opt/nodejs/node20/node_modules/shared.js=" + js}, want: NotFound},
	{name: "bare module in /var/task/node_modules", rt: "nodejs22.x", handler: "mypkg.handler",
		files: []string{"/var/task/node_modules/mypkg/package.json={\"main\":\"lib/main.js\"}", "/var/task/node_modules/mypkg/lib/main.js=" + js},
		want:  Found, file: "/var/task/node_modules/mypkg/lib/main.js"},
	{name: "dist/index.handler falls back to a root index.js through NODE_PATH", rt: "nodejs22.x", handler: "dist/index.handler",
		files: []string{"/var/task/index.js=" + js}, want: Found, file: "/var/task/index.js"},
	{name: "a function's own NODE_PATH replaces the default", rt: "nodejs22.x", handler: "shared.handler",
		env:   map[string]string{"NODE_PATH": "/opt/custom"},
		files: []string{"/opt/nodejs/node_modules/shared.js=" + js}, want: NotFound},
	{name: "extension-less index", rt: "nodejs22.x", handler: "index.handler",
		files: []string{"/var/task/index=" + js}, want: Found, file: "/var/task/index"},
	{name: ".mjs", rt: "nodejs22.x", handler: "index.handler",
		files: []string{"/var/task/index.mjs=export const handler = 1"}, want: Found, file: "/var/task/index.mjs"},
	{name: ".cjs", rt: "nodejs22.x", handler: "index.handler",
		files: []string{"/var/task/index.cjs=" + js}, want: Found, file: "/var/task/index.cjs"},
	{name: "type module .js is imported", rt: "nodejs22.x", handler: "src/app.handler",
		files: []string{"/var/task/package.json={\"type\":\"module\"}", "/var/task/src/app.js=export const handler = 1"}, want: Found, file: "/var/task/src/app.js"},
	{name: ".js beats .mjs", rt: "nodejs22.x", handler: "index.handler",
		files: []string{"/var/task/index.js=" + js, "/var/task/index.mjs=x"}, want: Found, file: "/var/task/index.js"},
	{name: "directory with index.js", rt: "nodejs22.x", handler: "app.handler",
		files: []string{"/var/task/app/index.js=" + js}, want: Found, file: "/var/task/app/index.js"},
	{name: "directory and app.js: require picks app.js", rt: "nodejs22.x", handler: "app.handler",
		files: []string{"/var/task/app/util.js=x", "/var/task/app.js=" + js}, want: Found, file: "/var/task/app.js"},
	{name: "directory and app.mjs: require of the directory fails", rt: "nodejs22.x", handler: "app.handler",
		files: []string{"/var/task/app/util.js=x", "/var/task/app.mjs=x"}, want: NotFound, file: "Runtime.ImportModuleError"},
	{name: "x.h/x.h loads the root x.js (indexOf quirk)", rt: "nodejs22.x", handler: "x.h/x.h",
		files: []string{"/var/task/x.js=" + js}, want: Found, file: "/var/task/x.js"},
	{name: ".. is a malformed handler", rt: "nodejs22.x", handler: "../x/index.handler",
		files: []string{"/var/task/index.js=" + js}, want: Malformed, file: "Runtime.MalformedHandlerName"},
	{name: "no dot is a malformed handler", rt: "nodejs22.x", handler: "index",
		files: []string{"/var/task/index.js=" + js}, want: Malformed, file: "Runtime.MalformedHandlerName"},
	{name: "core module name", rt: "nodejs22.x", handler: "http.handler",
		files: []string{"/var/task/index.js=" + js}, want: NotFound, file: "Runtime.HandlerNotFound"},
	{name: "own file shadows a core module name", rt: "nodejs22.x", handler: "http.handler",
		files: []string{"/var/task/http.js=" + js}, want: Found, file: "/var/task/http.js"},
	{name: "nested path", rt: "nodejs20.x", handler: "src/handlers/api.main",
		files: []string{"/var/task/src/handlers/api.js=" + js}, want: Found, file: "/var/task/src/handlers/api.js"},
	{name: "nodejs24: directory and app.js cannot be imported", rt: "nodejs24.x", handler: "app.handler",
		files: []string{"/var/task/app/util.js=x", "/var/task/app.js=" + js}, want: NotFound, file: "Error"},
	{name: "nodejs24: index.mjs", rt: "nodejs24.x", handler: "index.handler",
		files: []string{"/var/task/index.mjs=x"}, want: Found, file: "/var/task/index.mjs"},
	{name: "nodejs24: Datadog", rt: "nodejs24.x", handler: "/opt/nodejs/node_modules/datadog-lambda-js/handler.handler",
		files: []string{"/opt/nodejs/node_modules/datadog-lambda-js/handler.js=" + js}, want: Found, file: "/opt/nodejs/node_modules/datadog-lambda-js/handler.js"},
}

func TestPython(t *testing.T) { runCases(t, pythonCases) }

const py = "def handler(e, c): pass"

// pythonCases are checked against the resolver here and against CPython in TestPythonOracle.
var pythonCases = []resolveCase{
	{name: "app.handler", rt: "python3.13", handler: "app.handler", files: []string{"/var/task/app.py=" + py}, want: Found, file: "/var/task/app.py"},
	{name: "rsplit: pkg.mod.handler loads pkg/mod.py", rt: "python3.13", handler: "pkg.mod.handler",
		files: []string{"/var/task/pkg/__init__.py=", "/var/task/pkg/mod.py=" + py}, want: Found, file: "/var/task/pkg/mod.py"},
	{name: "slash path without __init__ (namespace package)", rt: "python3.13", handler: "src/app.handler",
		files: []string{"/var/task/src/app.py=" + py}, want: Found, file: "/var/task/src/app.py"},
	{name: "mod.Cls.method imports module mod.Cls", rt: "python3.12", handler: "app.Handler.run",
		files: []string{"/var/task/app.py=" + py}, want: NotFound, file: "Runtime.ImportModuleError"},
	{name: "package __init__ as handler module", rt: "python3.12", handler: "api.handler",
		files: []string{"/var/task/api/__init__.py=" + py}, want: Found, file: "/var/task/api/__init__.py"},
	{name: "extension module with the runtime's tag", rt: "python3.12", handler: "fast.handler",
		files: []string{"/var/task/fast.cpython-312-x86_64-linux-gnu.so=ELF"}, want: Found, file: "/var/task/fast.cpython-312-x86_64-linux-gnu.so"},
	{name: "extension module for another version", rt: "python3.12", handler: "fast.handler",
		files: []string{"/var/task/fast.cpython-311-x86_64-linux-gnu.so=ELF"}, want: NotFound},
	{name: "plain .so", rt: "python3.12", handler: "fast.handler", files: []string{"/var/task/fast.so=ELF"}, want: Found, file: "/var/task/fast.so"},
	{name: ".so beats .py", rt: "python3.12", handler: "fast.handler",
		files: []string{"/var/task/fast.so=ELF", "/var/task/fast.py=" + py}, want: Found, file: "/var/task/fast.so"},
	{name: "sourceless .pyc", rt: "python3.12", handler: "app.handler", files: []string{"/var/task/app.pyc=x"}, want: Found, file: "/var/task/app.pyc"},
	{name: "sourceless .pyc in a layer", rt: "python3.12", handler: "shared.handler", files: []string{"/opt/python/shared.pyc=x"}, want: Found, file: "/opt/python/shared.pyc"},
	{name: ".pyc only in __pycache__ does not import", rt: "python3.12", handler: "app.handler",
		files: []string{"/var/task/__pycache__/app.cpython-312.pyc=x"}, want: NotFound},
	{name: "module in /opt/python", rt: "python3.13", handler: "shared.handler", files: []string{"/opt/python/shared.py=" + py}, want: Found, file: "/opt/python/shared.py"},
	{name: "site-packages of the runtime's version first", rt: "python3.13", handler: "shared.handler",
		files: []string{"/opt/python/shared.py=" + py, "/opt/python/lib/python3.13/site-packages/shared.py=" + py},
		want:  Found, file: "/opt/python/lib/python3.13/site-packages/shared.py"},
	{name: "site-packages of another version is not searched", rt: "python3.13", handler: "shared.handler",
		files: []string{"/opt/python/lib/python3.12/site-packages/shared.py=" + py}, want: NotFound},
	{name: "/var/task shadows a layer", rt: "python3.13", handler: "shared.handler",
		files: []string{"/var/task/shared.py=" + py, "/opt/python/shared.py=" + py}, want: Found, file: "/var/task/shared.py"},
	{name: "regular package in /var/task hides a layer's submodule", rt: "python3.13", handler: "pkg.mod.handler",
		files: []string{"/var/task/pkg/__init__.py=", "/opt/python/pkg/mod.py=" + py}, want: NotFound},
	{name: "namespace package spans /var/task and a layer", rt: "python3.13", handler: "pkg.mod.handler",
		files: []string{"/var/task/pkg/other.py=", "/opt/python/pkg/mod.py=" + py}, want: Found, file: "/opt/python/pkg/mod.py"},
	{name: "module is not a package", rt: "python3.13", handler: "app.sub.handler",
		files: []string{"/var/task/app.py=" + py}, want: NotFound, file: "Runtime.ImportModuleError"},
	{name: "dot in a folder name", rt: "python3.13", handler: "my.dir/app.handler",
		files: []string{"/var/task/my.dir/app.py=" + py}, want: NotFound},
	{name: "no dot", rt: "python3.13", handler: "handler", files: []string{"/var/task/app.py=" + py}, want: Malformed, file: "Runtime.MalformedHandlerName"},
	{name: "built-in module", rt: "python3.13", handler: "sys.handler", files: []string{"/var/task/sys.py=" + py}, want: NotFound, file: "Runtime.BuiltInModuleConflict"},
	{name: "leading slash", rt: "python3.13", handler: "/var/task/app.handler", files: []string{"/var/task/app.py=" + py}, want: NotFound},
	{name: "PYTHONPATH folder", rt: "python3.13", handler: "app.handler", env: map[string]string{"PYTHONPATH": "/var/task/src"},
		files: []string{"/var/task/src/app.py=" + py}, want: Found, file: "/var/task/src/app.py"},
	{name: "unreadable layer", rt: "python3.13", handler: "shared.handler", opaque: "/opt/", want: Undecided},
}

func TestRuby(t *testing.T) {
	rb := "def handler(event:, context:) end"
	runCases(t, []resolveCase{
		{name: "file.method", rt: "ruby3.3", handler: "function.handler", files: []string{"/var/task/function.rb=" + rb}, want: Found, file: "/var/task/function.rb"},
		{name: "class method form from AWS's Ruby handler page", rt: "ruby3.3", handler: "source.LambdaFunctions::Handler.process",
			files: []string{"/var/task/source.rb=" + rb}, want: Found, file: "/var/task/source.rb"},
		{name: "nested file", rt: "ruby3.4", handler: "lib/app.handler", files: []string{"/var/task/lib/app.rb=" + rb}, want: Found, file: "/var/task/lib/app.rb"},
		{name: "layer ruby/lib", rt: "ruby3.3", handler: "shared.handler", files: []string{"/opt/ruby/lib/shared.rb=" + rb}, want: Found, file: "/opt/ruby/lib/shared.rb"},
		{name: "gem in vendor/bundle", rt: "ruby3.3", handler: "mygem.handler",
			files: []string{"/var/task/vendor/bundle/ruby/3.3.0/gems/mygem-1.0/lib/mygem.rb=" + rb}, want: Found, file: "/var/task/vendor/bundle/ruby/3.3.0/gems/mygem-1.0/lib/mygem.rb"},
		{name: "missing file", rt: "ruby3.3", handler: "function.handler", files: []string{"/var/task/app.rb=" + rb}, want: NotFound, file: "Init<LoadError>"},
		{name: "four parts", rt: "ruby3.3", handler: "a.B.c.d", files: []string{"/var/task/a.rb=" + rb}, want: Malformed, file: "Init<ArgumentError>"},
		{name: "one part", rt: "ruby3.3", handler: "function", files: []string{"/var/task/function.rb=" + rb}, want: Malformed},
	})
}

func TestDotnet(t *testing.T) {
	runCases(t, []resolveCase{
		{name: "class library", rt: "dotnet8", handler: "MyFunction::MyFunction.Function::FunctionHandler",
			files: []string{"/var/task/MyFunction.dll=MZ"}, want: Found, file: "/var/task/MyFunction.dll"},
		{name: "assembly missing", rt: "dotnet8", handler: "Lambda::MyFunction.Function::FunctionHandler",
			files: []string{"/var/task/MyFunction.dll=MZ"}, want: NotFound, file: "LambdaValidationException"},
		{name: "two parts", rt: "dotnet8", handler: "MyFunction::Handler", files: []string{"/var/task/MyFunction.dll=MZ"}, want: Malformed, file: "LambdaValidationException"},
		{name: "empty type", rt: "dotnet8", handler: "MyFunction:: ::Run", files: []string{"/var/task/MyFunction.dll=MZ"}, want: Malformed},
		{name: "method given by signature with ::", rt: "dotnet8", handler: "MyFunction::MyFunction.Function::System.String Run(Ns::X)",
			files: []string{"/var/task/MyFunction.dll=MZ"}, want: Found, file: "/var/task/MyFunction.dll"},
		{name: "executable assembly", rt: "dotnet8", handler: "MyApp", files: []string{"/var/task/MyApp.dll=MZ"}, want: Found, file: "/var/task/MyApp.dll"},
		{name: "executable assembly missing", rt: "dotnet8", handler: "MyApp", files: []string{"/var/task/Other.dll=MZ"}, want: NotFound, file: "Runtime.ExitError"},
	})
}
