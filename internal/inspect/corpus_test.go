package inspect

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/handler"
	"github.com/bootstrap-guard/bootstrap-guard/internal/handler/handlertest"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
)

// The corpus: packages built the way real tools build them (the zip, bsdtar, python3, npm
// commands themselves; Go's archive/zip as Go tools and build-lambda-zip use it; the archiver
// library driven as aws-cdk's cdk-assets drives it), each with the verdict Lambda gives and the
// error a user would see. Node.js, Python and Java rows are also unpacked with Info-ZIP unzip and
// loaded by the runtime's own loader (handlertest); custom-runtime rows are unpacked and their
// bootstrap looked at as the kernel would. Both must agree with the row.

// cfile is one file of the folder a tool zips.
type cfile struct {
	name string
	data string
	bin  string      // a Go binary from testdata (goBinary) instead of data
	mode fs.FileMode // 0 means 0644
	link string      // a symbolic link to this target
	pyc  bool        // data is Python source, compiled to a sourceless .pyc by the local python3
}

// clayer is a layer: its folder and the tool that zips it ("" means zip -r).
type clayer struct {
	tool  string
	files []cfile
	dirs  map[string]fs.FileMode
}

type corpusRow struct {
	name    string
	tool    string
	rt      string
	handler string
	arch    string
	env     map[string]string
	files   []cfile
	dirs    map[string]fs.FileMode // folder modes, applied before zipping
	layers  []clayer
	want    string        // PASS, WARN (passes with a warning) or FAIL
	rule    result.RuleID // the first error (FAIL) or the warning (WARN)
	lambda  string        // what Lambda reports; empty for PASS
}

const (
	nodeOK  = "exports.handler = async () => \"ok\";\n"
	nodeESM = "export const handler = async () => \"ok\";\n"
	pyOK    = "def handler(event, context):\n    return 'ok'\n"
	rbOK    = "def handler(event:, context:)\n  'ok'\nend\n"
	shWrap  = "#!/bin/bash\nexec \"$@\"\n"
)

var (
	errImport     = "Runtime.ImportModuleError: Error: Cannot find module"
	errPyImport   = "Runtime.ImportModuleError: Unable to import module"
	errEntrypoint = "Runtime.InvalidEntrypoint: Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"
	errPerm       = "Runtime.InvalidEntrypoint: fork/exec /var/task/bootstrap: permission denied"
)

func corpusRows() []corpusRow {
	exe := fs.FileMode(0o755)
	dd := clayer{files: []cfile{
		{name: "nodejs/node_modules/datadog-lambda-js/package.json", data: `{"name":"datadog-lambda-js","version":"10.0.0","main":"dist/index.js"}`},
		{name: "nodejs/node_modules/datadog-lambda-js/dist/index.js", data: nodeOK},
		{name: "nodejs/node_modules/datadog-lambda-js/handler.js", data: "exports.handler = async () => \"ok\";\n"},
	}}
	lwa := clayer{files: []cfile{{name: "bootstrap", data: shWrap, mode: exe}}}
	jar := func(names ...string) string { return string(jarBytes(names...)) }
	rows := []corpusRow{
		// Custom runtimes (provided.al2023).
		{name: "go: zip -j bootstrap", tool: "zip -j", rt: "provided.al2023", files: []cfile{{name: "bootstrap", bin: "linux-amd64", mode: exe}}, want: "PASS"},
		{name: "go: zip of bin/hello/bootstrap keeps the folder", tool: "zip", rt: "provided.al2023",
			files: []cfile{{name: "bin/hello/bootstrap", bin: "linux-amd64", mode: exe}}, want: "FAIL", rule: result.BootstrapNested, lambda: errEntrypoint},
		{name: "go: bsdtar writes ./bootstrap", tool: "bsdtar", rt: "provided.al2023", arch: "arm64",
			files: []cfile{{name: "bootstrap", bin: "linux-arm64", mode: exe}}, want: "PASS"},
		{name: "go: zip -r -y keeps a bootstrap symlink", tool: "zip -r -y", rt: "provided.al2023",
			files: []cfile{{name: "hello", bin: "linux-amd64", mode: exe}, {name: "bootstrap", link: "hello"}}, want: "PASS"},
		{name: "go: zip -r follows the symlink", tool: "zip -r", rt: "provided.al2023",
			files: []cfile{{name: "hello", bin: "linux-amd64", mode: exe}, {name: "bootstrap", link: "hello"}}, want: "PASS"},
		{name: "go: archive/zip Create records no mode", tool: "go Create", rt: "provided.al2023",
			files: []cfile{{name: "bootstrap", bin: "linux-amd64", mode: exe}}, want: "FAIL", rule: result.BootstrapNotExecutable, lambda: errPerm},
		{name: "go: build-lambda-zip style", tool: "build-lambda-zip", rt: "provided.al2023", arch: "arm64",
			files: []cfile{{name: "bootstrap", bin: "linux-arm64", mode: exe}}, want: "PASS"},
		{name: "go: python zipfile.write keeps the mode", tool: "python write", rt: "provided.al2023",
			files: []cfile{{name: "bootstrap", bin: "linux-amd64", mode: exe}}, want: "PASS"},
		{name: "go: python writestr stores mode 0600", tool: "python writestr", rt: "provided.al2023",
			files: []cfile{{name: "bootstrap", bin: "linux-amd64", mode: exe}}, want: "FAIL", rule: result.BootstrapNotExecutable, lambda: errPerm},
		{name: "go: bootstrap left 0644", tool: "zip -j", rt: "provided.al2023",
			files: []cfile{{name: "bootstrap", bin: "linux-amd64", mode: 0o644}}, want: "FAIL", rule: result.BootstrapNotExecutable, lambda: errPerm},
		{name: "go: arm64 binary on an x86_64 function", tool: "zip -j", rt: "provided.al2023",
			files: []cfile{{name: "bootstrap", bin: "linux-arm64", mode: exe}}, want: "FAIL", rule: result.BootstrapArchMismatch, lambda: "Runtime.InvalidEntrypoint: fork/exec /var/task/bootstrap: exec format error"},
		{name: "go: macOS build", tool: "zip -j", rt: "provided.al2023", arch: "arm64",
			files: []cfile{{name: "bootstrap", bin: "darwin-arm64", mode: exe}}, want: "FAIL", rule: result.BootstrapNotLinux, lambda: "Runtime.InvalidEntrypoint: fork/exec /var/task/bootstrap: exec format error"},
		{name: "go: AWS_LAMBDA_EXEC_WRAPPER is ignored by provided.al2023", tool: "zip -j", rt: "provided.al2023",
			env: map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/missing"}, files: []cfile{{name: "bootstrap", bin: "linux-amd64", mode: exe}}, want: "PASS"},
		{name: "shell: LF script bootstrap", tool: "zip -j", rt: "provided.al2023",
			files: []cfile{{name: "bootstrap", data: "#!/bin/sh\nexec ./app\n", mode: exe}, {name: "app", bin: "linux-amd64", mode: exe}}, want: "PASS"},
		{name: "shell: CRLF script bootstrap", tool: "zip -j", rt: "provided.al2023",
			files: []cfile{{name: "bootstrap", data: "#!/bin/sh\r\nexec ./app\r\n", mode: exe}}, want: "FAIL", rule: result.BootstrapScriptCRLF, lambda: "/bin/sh^M: bad interpreter: No such file or directory"},
		{name: "custom runtime bootstrap in a layer", tool: "zip -r", rt: "provided.al2023",
			files:  []cfile{{name: "function.sh", data: "handler () { echo ok; }\n", mode: exe}},
			layers: []clayer{{tool: "zip -j", files: []cfile{{name: "bootstrap", bin: "linux-amd64", mode: exe}}}}, want: "PASS"},
		{name: "go: CDK asset zip (archiver, as cdk-assets zips)", tool: "cdk archiver", rt: "provided.al2023",
			files: []cfile{{name: "bootstrap", bin: "linux-amd64", mode: exe}}, want: "PASS"},
		{name: "go: bsdtar with a 0700 folder above the real binary", tool: "bsdtar", rt: "provided.al2023",
			files: []cfile{{name: "bin/app", bin: "linux-amd64", mode: exe}, {name: "bootstrap", link: "bin/app"}},
			dirs:  map[string]fs.FileMode{"bin": 0o700}, want: "FAIL", rule: result.PathNotTraversable, lambda: "Runtime.InvalidEntrypoint: fork/exec /var/task/bootstrap: permission denied"},
		{name: "go: python make_archive", tool: "python make_archive", rt: "provided.al2023",
			files: []cfile{{name: "bootstrap", bin: "linux-amd64", mode: exe}}, want: "PASS"},
		{name: "go: Unix mode under an NTFS creator", tool: "go NTFS creator", rt: "provided.al2023",
			files: []cfile{{name: "bootstrap", bin: "linux-amd64", mode: exe}}, want: "WARN", rule: result.ModeForeignHost},

		// Node.js.
		{name: "node: zip -r index.js", tool: "zip -r", rt: "nodejs22.x", handler: "index.handler", files: []cfile{{name: "index.js", data: nodeOK}}, want: "PASS"},
		{name: "node: bsdtar ./index.js", tool: "bsdtar", rt: "nodejs24.x", handler: "index.handler", files: []cfile{{name: "index.js", data: nodeOK}}, want: "PASS"},
		{name: "node: index.mjs", tool: "zip -r", rt: "nodejs22.x", handler: "index.handler", files: []cfile{{name: "index.mjs", data: nodeESM}}, want: "PASS"},
		{name: "node: type module package", tool: "zip -r", rt: "nodejs22.x", handler: "src/app.handler",
			files: []cfile{{name: "package.json", data: `{"type":"module"}`}, {name: "src/app.js", data: nodeESM}}, want: "PASS"},
		{name: "node: index.cjs", tool: "zip -r", rt: "nodejs24.x", handler: "index.handler", files: []cfile{{name: "index.cjs", data: nodeOK}}, want: "PASS"},
		{name: "node: first dot, app.v2.js", tool: "zip -r", rt: "nodejs22.x", handler: "app.v2.handler",
			files: []cfile{{name: "app.v2.js", data: nodeOK}}, want: "FAIL", rule: result.HandlerMissing, lambda: errImport + " 'app'"},
		{name: "node: first dot, index.handlers.main", tool: "zip -r", rt: "nodejs22.x", handler: "index.handlers.main",
			files: []cfile{{name: "index.js", data: "exports.handlers = { main: async () => \"ok\" };\n"}}, want: "PASS"},
		{name: "node: Datadog handler with the Datadog layer", tool: "zip -r", rt: "nodejs22.x", handler: "/opt/nodejs/node_modules/datadog-lambda-js/handler.handler",
			env: map[string]string{"DD_LAMBDA_HANDLER": "index.handler"}, files: []cfile{{name: "index.js", data: nodeOK}}, layers: []clayer{dd}, want: "PASS"},
		{name: "node: Datadog handler without the layer", tool: "zip -r", rt: "nodejs22.x", handler: "/opt/nodejs/node_modules/datadog-lambda-js/handler.handler",
			files: []cfile{{name: "index.js", data: nodeOK}}, want: "FAIL", rule: result.HandlerMissing, lambda: errImport + " 'handler'"},
		{name: "node: handler path only in a layer's node_modules", tool: "zip -r", rt: "nodejs22.x", handler: "shared/lib.handler",
			files: []cfile{{name: "index.js", data: nodeOK}}, layers: []clayer{{files: []cfile{{name: "nodejs/node_modules/shared/lib.js", data: nodeOK}}}},
			want: "FAIL", rule: result.HandlerMissing, lambda: errImport + " 'lib'"},
		{name: "node: bare module from a layer through NODE_PATH", tool: "zip -r", rt: "nodejs22.x", handler: "shared.handler",
			files: []cfile{{name: "README.md", data: "x"}}, layers: []clayer{{tool: "bsdtar", files: []cfile{{name: "nodejs/node_modules/shared/index.js", data: nodeOK}}}}, want: "PASS"},
		{name: "node: bare module from the versioned layer folder", tool: "zip -r", rt: "nodejs20.x", handler: "shared.handler",
			files: []cfile{{name: "README.md", data: "x"}}, layers: []clayer{{files: []cfile{{name: "nodejs/node20/node_modules/shared.js", data: nodeOK}}}}, want: "PASS"},
		{name: "node: tsc output zipped from the project root", tool: "zip -r", rt: "nodejs22.x", handler: "index.handler",
			files: []cfile{{name: "dist/index.js", data: nodeOK}, {name: "package.json", data: `{"name":"fn"}`}}, want: "FAIL", rule: result.HandlerMissing, lambda: errImport + " 'index'"},
		{name: "node: tsc output, handler names dist/", tool: "zip -r", rt: "nodejs22.x", handler: "dist/index.handler",
			files: []cfile{{name: "dist/index.js", data: nodeOK}, {name: "package.json", data: `{"name":"fn"}`}}, want: "PASS"},
		{name: "node: npm install + zip -r", tool: "npm+zip", rt: "nodejs22.x", handler: "index.handler",
			files: []cfile{{name: "index.js", data: "const isNumber = require(\"is-number\");\nexports.handler = async () => (isNumber(5) ? \"ok\" : \"no\");\n"}}, want: "PASS"},
		{name: "node: extension-less index", tool: "zip -r", rt: "nodejs22.x", handler: "index.handler", files: []cfile{{name: "index", data: nodeOK}}, want: "PASS"},
		{name: "node: CDK asset zip (archiver, as cdk-assets zips)", tool: "cdk archiver", rt: "nodejs22.x", handler: "index.handler", files: []cfile{{name: "index.js", data: nodeOK}}, want: "PASS"},
		{name: "node: Go Create (no mode) is readable", tool: "go Create", rt: "nodejs22.x", handler: "index.handler", files: []cfile{{name: "index.js", data: nodeOK}}, want: "PASS"},
		{name: "node: handler file 0600", tool: "zip -r", rt: "nodejs22.x", handler: "index.handler",
			files: []cfile{{name: "index.js", data: nodeOK, mode: 0o600}}, want: "FAIL", rule: result.HandlerNotReadable, lambda: "Runtime.ImportModuleError: Error: EACCES: permission denied"},
		{name: "node: src folder 0700", tool: "zip -r", rt: "nodejs22.x", handler: "src/index.handler",
			files: []cfile{{name: "src/index.js", data: nodeOK}}, dirs: map[string]fs.FileMode{"src": 0o700},
			want: "FAIL", rule: result.PathNotTraversable, lambda: "Runtime.ImportModuleError: Error: EACCES: permission denied"},
		{name: "node: Lambda Web Adapter (run.sh, /opt/bootstrap wrapper)", tool: "zip -r", rt: "nodejs22.x", handler: "run.sh",
			env:    map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap", "AWS_LWA_PORT": "8080"},
			files:  []cfile{{name: "run.sh", data: "#!/bin/bash\nexec node index.js\n", mode: exe}, {name: "index.js", data: "require('http').createServer().listen(8080);\n"}},
			layers: []clayer{lwa}, want: "WARN", rule: result.HandlerMissing},
		{name: "node: Lambda Web Adapter without its layer", tool: "zip -r", rt: "nodejs22.x", handler: "run.sh",
			env:   map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap"},
			files: []cfile{{name: "run.sh", data: "#!/bin/bash\nexec node index.js\n", mode: exe}},
			want:  "FAIL", rule: result.ExecWrapperMissing, lambda: "/opt/bootstrap: does not exist (Runtime.ExitError)"},
		{name: "node: wrapper script with CRLF", tool: "zip -r", rt: "nodejs22.x", handler: "index.handler",
			env: map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/wrapper"}, files: []cfile{{name: "index.js", data: nodeOK}},
			layers: []clayer{{files: []cfile{{name: "wrapper", data: "#!/bin/bash\r\nexec \"$@\"\r\n", mode: exe}}}},
			want:   "FAIL", rule: result.ExecWrapperScriptCRLF, lambda: "/bin/bash^M: bad interpreter (Runtime.ExitError)"},
		{name: "node: wrapper written by zipfile.writestr (0600)", tool: "zip -r", rt: "nodejs22.x", handler: "index.handler",
			env: map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/wrapper"}, files: []cfile{{name: "index.js", data: nodeOK}},
			layers: []clayer{{tool: "python writestr", files: []cfile{{name: "wrapper", data: shWrap, mode: exe}}}},
			want:   "FAIL", rule: result.ExecWrapperNotExecutable, lambda: "/opt/wrapper: is not an executable (Runtime.ExitError)"},
		{name: "node: wrapper in the package", tool: "zip -r", rt: "nodejs24.x", handler: "index.handler",
			env:   map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/var/task/wrapper.sh"},
			files: []cfile{{name: "index.js", data: nodeOK}, {name: "wrapper.sh", data: shWrap, mode: exe}}, want: "PASS"},
		{name: "node: Lambda Web Adapter x86_64 layer on an arm64 function", tool: "zip -r", rt: "nodejs22.x", handler: "run.sh", arch: "arm64",
			env:    map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap"},
			files:  []cfile{{name: "run.sh", data: "#!/bin/bash\nexec node index.js\n", mode: exe}},
			layers: []clayer{{tool: "zip -j", files: []cfile{{name: "bootstrap", bin: "linux-amd64", mode: exe}}}},
			want:   "FAIL", rule: result.ExecWrapperArchMismatch, lambda: "/opt/bootstrap: cannot execute binary file: Exec format error (Runtime.ExitError)"},
		{name: "node: Lambda Web Adapter arm64 layer on an arm64 function", tool: "zip -r", rt: "nodejs24.x", handler: "run.sh", arch: "arm64",
			env:    map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap"},
			files:  []cfile{{name: "run.sh", data: "#!/bin/bash\nexec node index.js\n", mode: exe}},
			layers: []clayer{{tool: "zip -j", files: []cfile{{name: "bootstrap", bin: "linux-arm64", mode: exe}}}},
			want:   "WARN", rule: result.HandlerMissing},
		{name: "node: ./index.handler", tool: "zip -r", rt: "nodejs22.x", handler: "./index.handler", files: []cfile{{name: "index.js", data: nodeOK}}, want: "PASS"},
		{name: "node: handler names a folder with index.js", tool: "zip -r", rt: "nodejs22.x", handler: "api.handler",
			files: []cfile{{name: "api/index.js", data: nodeOK}}, want: "PASS"},
		{name: "node: bare module in the package's node_modules", tool: "npm+zip", rt: "nodejs22.x", handler: "mylib.handler",
			files: []cfile{{name: "node_modules/mylib/package.json", data: `{"name":"mylib","main":"lib/main.js"}`}, {name: "node_modules/mylib/lib/main.js", data: nodeOK}}, want: "PASS"},
		{name: "node: bsdtar with a folder and an app.js", tool: "bsdtar", rt: "nodejs22.x", handler: "app.handler",
			files: []cfile{{name: "app.js", data: nodeOK}, {name: "app/util.js", data: "exports.x = 1;\n"}}, want: "PASS"},

		// Python.
		{name: "python: zip -r lambda_function.py", tool: "zip -r", rt: "python3.13", handler: "lambda_function.lambda_handler",
			files: []cfile{{name: "lambda_function.py", data: "def lambda_handler(event, context):\n    return 'ok'\n"}}, want: "PASS"},
		{name: "python: bsdtar ./app.py", tool: "bsdtar", rt: "python3.12", handler: "app.handler", files: []cfile{{name: "app.py", data: pyOK}}, want: "PASS"},
		{name: "python: pip install -t . layout", tool: "zip -r", rt: "python3.13", handler: "src/app.handler",
			files: []cfile{{name: "src/app.py", data: "import requestslike\n" + pyOK}, {name: "requestslike/__init__.py", data: ""}}, want: "PASS"},
		{name: "python: handler misses the src/ folder", tool: "zip -r", rt: "python3.13", handler: "app.handler",
			files: []cfile{{name: "src/app.py", data: pyOK}}, want: "FAIL", rule: result.HandlerMissing, lambda: errPyImport + " 'app': No module named 'app'"},
		{name: "python: layer python/", tool: "zip -r", rt: "python3.13", handler: "shared.handler",
			files: []cfile{{name: "README.md", data: "x"}}, layers: []clayer{{files: []cfile{{name: "python/shared.py", data: pyOK}}}}, want: "PASS"},
		{name: "python: layer site-packages of the runtime's version", tool: "zip -r", rt: "python3.13", handler: "shared.handler",
			files: []cfile{{name: "README.md", data: "x"}}, layers: []clayer{{tool: "python make_archive", files: []cfile{{name: "python/lib/python3.13/site-packages/shared.py", data: pyOK}}}}, want: "PASS"},
		{name: "python: layer site-packages of another version", tool: "zip -r", rt: "python3.13", handler: "shared.handler",
			files: []cfile{{name: "README.md", data: "x"}}, layers: []clayer{{files: []cfile{{name: "python/lib/python3.12/site-packages/shared.py", data: pyOK}}}},
			want: "FAIL", rule: result.HandlerMissing, lambda: errPyImport + " 'shared': No module named 'shared'"},
		{name: "python: sourceless .pyc in a layer", tool: "zip -r", rt: "python3.11", handler: "shared.handler",
			files: []cfile{{name: "README.md", data: "x"}}, layers: []clayer{{files: []cfile{{name: "python/shared.pyc", data: pyOK, pyc: true}}}}, want: "PASS"},
		{name: "python: dot in a folder name", tool: "zip -r", rt: "python3.13", handler: "my.dir/app.handler",
			files: []cfile{{name: "my.dir/app.py", data: pyOK}}, want: "FAIL", rule: result.HandlerMissing, lambda: errPyImport + " 'my.dir/app': No module named 'my'"},
		{name: "python: make_archive", tool: "python make_archive", rt: "python3.13", handler: "app.handler", files: []cfile{{name: "app.py", data: pyOK}}, want: "PASS"},
		// zipfile.writestr(name, data) stores mode 0600 (CPython Lib/zipfile: ZipInfo.external_attr
		// = 0o600 << 16 for a name given as a string): the runtime's user cannot read the file.
		{name: "python: writestr stores mode 0600", tool: "python writestr", rt: "python3.12", handler: "app.handler", files: []cfile{{name: "app.py", data: pyOK}},
			want: "FAIL", rule: result.HandlerNotReadable, lambda: "Runtime.ImportModuleError: Unable to import module 'app': [Errno 13] Permission denied"},
		{name: "python: handler without a dot", tool: "zip -r", rt: "python3.13", handler: "lambda_function",
			files: []cfile{{name: "lambda_function.py", data: pyOK}}, want: "FAIL", rule: result.HandlerMissing, lambda: "Runtime.MalformedHandlerName: Bad handler 'lambda_function'"},
		{name: "python: package with __init__", tool: "bsdtar", rt: "python3.13", handler: "api.handlers.main.handler",
			files: []cfile{{name: "api/__init__.py", data: ""}, {name: "api/handlers/__init__.py", data: ""}, {name: "api/handlers/main.py", data: pyOK}}, want: "PASS"},
		{name: "python: OpenTelemetry-style wrapper from a layer", tool: "zip -r", rt: "python3.13", handler: "app.handler",
			env: map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-instrument"}, files: []cfile{{name: "app.py", data: pyOK}},
			layers: []clayer{{files: []cfile{{name: "otel-instrument", data: shWrap, mode: exe}}}}, want: "PASS"},
		{name: "python: wrapper layer not attached", tool: "zip -r", rt: "python3.12", handler: "app.handler",
			env: map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-instrument"}, files: []cfile{{name: "app.py", data: pyOK}},
			want: "FAIL", rule: result.ExecWrapperMissing, lambda: "/opt/otel-instrument: does not exist (Runtime.ExitError)"},
		{name: "python: handler with a leading ./", tool: "zip -r", rt: "python3.13", handler: "./app.handler", files: []cfile{{name: "app.py", data: pyOK}},
			want: "FAIL", rule: result.HandlerMissing, lambda: "TypeError: the 'package' argument is required to perform a relative import for '..app'"},
		{name: "python: CDK asset zip (archiver, as cdk-assets zips)", tool: "cdk archiver", rt: "python3.12", handler: "app.handler", files: []cfile{{name: "app.py", data: pyOK}}, want: "PASS"},

		// Ruby.
		{name: "ruby: zip -r function.rb", tool: "zip -r", rt: "ruby3.4", handler: "function.handler", files: []cfile{{name: "function.rb", data: rbOK}}, want: "PASS"},
		{name: "ruby: class method form", tool: "zip -r", rt: "ruby3.4", handler: "source.LambdaFunctions::Handler.process",
			files: []cfile{{name: "source.rb", data: "module LambdaFunctions\n  class Handler\n    def self.process(event:, context:) 'ok' end\n  end\nend\n"}}, want: "PASS"},
		{name: "ruby: bsdtar ./lambda_function.rb", tool: "bsdtar", rt: "ruby3.4", handler: "lambda_function.lambda_handler", files: []cfile{{name: "lambda_function.rb", data: rbOK}}, want: "PASS"},
		{name: "ruby: handler names a file that is not there", tool: "zip -r", rt: "ruby3.4", handler: "lambda_function.handler",
			files: []cfile{{name: "app.rb", data: rbOK}}, want: "FAIL", rule: result.HandlerMissing, lambda: "Init<LoadError>: cannot load such file -- lambda_function"},
		{name: "ruby: bundle install --deployment layout", tool: "zip -r", rt: "ruby3.4", handler: "app.handler",
			files: []cfile{{name: "app.rb", data: rbOK}, {name: "vendor/bundle/ruby/3.4.0/gems/json-2.7.0/lib/json.rb", data: "module JSON; end\n"}}, want: "PASS"},
		{name: "ruby: layer ruby/lib", tool: "zip -r", rt: "ruby3.4", handler: "shared.handler",
			files: []cfile{{name: "README.md", data: "x"}}, layers: []clayer{{files: []cfile{{name: "ruby/lib/shared.rb", data: rbOK}}}}, want: "PASS"},
		{name: "ruby: file in lib/", tool: "zip -r", rt: "ruby3.4", handler: "lib/app.handler", files: []cfile{{name: "lib/app.rb", data: rbOK}}, want: "PASS"},
		{name: "ruby: four-part handler", tool: "zip -r", rt: "ruby3.4", handler: "app.Mod.Class.handler",
			files: []cfile{{name: "app.rb", data: rbOK}}, want: "FAIL", rule: result.HandlerMissing, lambda: "Init<ArgumentError>: Invalid handler"},

		// Java.
		{name: "java: Gradle buildZip (classes at the root, lib/*.jar)", tool: "zip -r", rt: "java21", handler: "example.Handler::handleRequest",
			files: []cfile{{name: "example/Handler.class", data: "\xca\xfe\xba\xbe"}, {name: "lib/aws-lambda-java-core-1.2.3.jar", data: jar("com/amazonaws/services/lambda/runtime/Context.class")}}, want: "PASS"},
		{name: "java: shaded JAR uploaded as the package", tool: "go Create", rt: "java21", handler: "example.Handler",
			files: []cfile{{name: "META-INF/MANIFEST.MF", data: "Manifest-Version: 1.0\n"}, {name: "example/Handler.class", data: "\xca\xfe\xba\xbe"}}, want: "PASS"},
		{name: "java: lib/function.jar (Maven assembly)", tool: "zip -r", rt: "java17", handler: "example.Handler::handleRequest",
			files: []cfile{{name: "lib/function.jar", data: jar("example/Handler.class")}, {name: "lib/dep.jar", data: jar("org/dep/X.class")}}, want: "PASS"},
		{name: "java: class name wrong", tool: "zip -r", rt: "java21", handler: "example.Handlr::handleRequest",
			files: []cfile{{name: "lib/function.jar", data: jar("example/Handler.class")}}, want: "FAIL", rule: result.HandlerMissing, lambda: "java.lang.ClassNotFoundException: Class not found: example.Handlr (every invoke)"},
		{name: "java: classes/ folder is not on the class path", tool: "zip -r", rt: "java21", handler: "example.Handler::handleRequest",
			files: []cfile{{name: "classes/example/Handler.class", data: "\xca\xfe\xba\xbe"}}, want: "FAIL", rule: result.HandlerMissing, lambda: "java.lang.ClassNotFoundException: Class not found: example.Handler (every invoke)"},
		{name: "java: exec wrapper from a layer", tool: "zip -r", rt: "java21", handler: "example.Handler::handleRequest",
			env:   map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/wrapper"},
			files: []cfile{{name: "example/Handler.class", data: "\xca\xfe\xba\xbe"}}, layers: []clayer{{files: []cfile{{name: "wrapper", data: shWrap, mode: exe}}}}, want: "PASS"},
		{name: "java: handler class from a layer's java/lib", tool: "zip -r", rt: "java21", handler: "example.Handler::handleRequest",
			files: []cfile{{name: "config.properties", data: "x=1"}}, layers: []clayer{{files: []cfile{{name: "java/lib/function.jar", data: jar("example/Handler.class")}}}}, want: "PASS"},

		// .NET.
		{name: "dotnet: dotnet lambda package output", tool: "zip -r", rt: "dotnet10", handler: "MyFunction::MyFunction.Function::FunctionHandler",
			files: []cfile{{name: "MyFunction.dll", data: "MZ"}, {name: "MyFunction.deps.json", data: "{}"}, {name: "MyFunction.runtimeconfig.json", data: "{}"}, {name: "Amazon.Lambda.Core.dll", data: "MZ"}}, want: "PASS"},
		{name: "dotnet: assembly name wrong", tool: "zip -r", rt: "dotnet10", handler: "Lambda::MyFunction.Function::FunctionHandler",
			files: []cfile{{name: "MyFunction.dll", data: "MZ"}, {name: "MyFunction.deps.json", data: "{}"}}, want: "FAIL", rule: result.HandlerMissing,
			lambda: "LambdaValidationException: Could not find the specified handler assembly with the file name 'Lambda, Culture=neutral, PublicKeyToken=null'"},
		{name: "dotnet: bsdtar ./MyFunction.dll", tool: "bsdtar", rt: "dotnet10", handler: "MyFunction::MyFunction.Function::FunctionHandler",
			files: []cfile{{name: "MyFunction.dll", data: "MZ"}, {name: "MyFunction.deps.json", data: "{}"}}, want: "PASS"},
		{name: "dotnet: publish folder zipped with its parent", tool: "zip -r", rt: "dotnet10", handler: "MyFunction::MyFunction.Function::FunctionHandler",
			files: []cfile{{name: "publish/MyFunction.dll", data: "MZ"}}, want: "FAIL", rule: result.HandlerMissing,
			lambda: "LambdaValidationException: Could not find the specified handler assembly with the file name 'MyFunction, Culture=neutral, PublicKeyToken=null'"},
		{name: "dotnet: executable assembly (top-level statements)", tool: "zip -r", rt: "dotnet10", handler: "MyApp",
			files: []cfile{{name: "MyApp.dll", data: "MZ"}, {name: "MyApp.runtimeconfig.json", data: "{}"}}, want: "PASS"},
	}
	return rows
}

// jarBytes is a JAR as java.util.zip writes it: no Unix modes.
func jarBytes(names ...string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, _ := zw.Create(n)
		w.Write([]byte("\xca\xfe\xba\xbe"))
	}
	zw.Close()
	return buf.Bytes()
}

// TestCorpus checks every package of the corpus and compares the verdict and first rule with
// Lambda's, then asks the oracles (corpusOracle, bootstrapOracle).
func TestCorpus(t *testing.T) {
	rows := corpusRows()
	perRuntime := map[runtimes.Family]int{}
	cat := runtimes.Default()
	for _, r := range rows {
		rt, ok := cat.Lookup(r.rt)
		if !ok {
			t.Fatalf("%s: runtime %s not in the catalogue", r.name, r.rt)
		}
		perRuntime[rt.Family]++
	}
	if len(rows) < 60 {
		t.Fatalf("corpus has %d packages, want at least 60", len(rows))
	}
	t.Logf("corpus: %d packages: %v", len(rows), perRuntime)
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel() // most of the time is spent in zip, unzip, node and python3 processes
			code := buildPackage(t, row.tool, row.files, row.dirs)
			fn := Function{Target: row.name, Runtime: row.rt, Handler: row.handler, Architecture: row.arch, Env: row.env,
				Code: zipSource("function.zip", code)}
			var layerZips [][]byte
			for i, l := range row.layers {
				tool := l.tool
				if tool == "" {
					tool = "zip -r"
				}
				lz := buildPackage(t, tool, l.files, l.dirs)
				layerZips = append(layerZips, lz)
				fn.Layers = append(fn.Layers, zipSource(fmt.Sprintf("layer%d.zip", i+1), lz))
			}
			res := packageFindings(run(t, fn))
			var errs, warns []result.Finding
			for _, f := range res.Findings {
				switch f.Severity {
				case result.Error:
					errs = append(errs, f)
				case result.Warning:
					warns = append(warns, f)
				}
			}
			switch row.want {
			case "PASS":
				if len(res.Findings) != 0 {
					t.Fatalf("Lambda runs it; the engine says %+v", res.Findings)
				}
			case "WARN":
				if len(errs) != 0 || !hasRule(warns, row.rule) {
					t.Fatalf("Lambda runs it; want a %s warning, the engine says %+v", row.rule, res.Findings)
				}
			case "FAIL":
				if len(errs) == 0 || errs[0].Rule != row.rule {
					t.Fatalf("Lambda fails with %q; want first error %s, the engine says %+v", row.lambda, row.rule, res.Findings)
				}
				if row.lambda == "" {
					t.Fatal("a FAIL row names the Lambda error")
				}
			default:
				t.Fatalf("bad want %q", row.want)
			}
			corpusOracle(t, row, code, layerZips)
		})
	}
}

func hasRule(fs []result.Finding, id result.RuleID) bool {
	for _, f := range fs {
		if f.Rule == id {
			return true
		}
	}
	return false
}

// bootstrapOracle unpacks a custom-runtime package with Info-ZIP unzip (function at task/, layers
// at opt/) and looks at what Lambda would exec, as the kernel would: task/bootstrap, else
// opt/bootstrap, links followed; a regular file with execute permission for others, under folders
// others may enter. Rows whose verdict rests on the file's content are left to the engine.
func bootstrapOracle(t *testing.T, row corpusRow, code []byte, layers [][]byte) {
	switch row.rule {
	case "", result.BootstrapNested, result.BootstrapNotExecutable, result.PathNotTraversable, result.BootstrapMissing:
	default:
		return
	}
	if _, err := exec.LookPath("unzip"); err != nil {
		t.Skip("oracle: unzip is not installed")
	}
	dir := t.TempDir()
	task, opt := filepath.Join(dir, "task"), filepath.Join(dir, "opt")
	unzipTo(t, code, task)
	for _, l := range layers {
		unzipTo(t, l, opt)
	}
	runs := false
	why := "no bootstrap at task/bootstrap or opt/bootstrap"
	for _, root := range []string{task, opt} {
		p := filepath.Join(root, "bootstrap")
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			continue
		}
		st, err := os.Stat(real)
		if err != nil || !st.Mode().IsRegular() {
			why = p + " is not a regular file"
			break
		}
		if st.Mode()&0o001 == 0 {
			why = fmt.Sprintf("%s has mode %04o after unzip", real, st.Mode().Perm())
			break
		}
		runs, why = true, ""
		for d := filepath.Dir(real); d != root && strings.HasPrefix(d, root); d = filepath.Dir(d) {
			if ds, err := os.Stat(d); err == nil && ds.Mode()&0o001 == 0 {
				runs, why = false, fmt.Sprintf("folder %s has mode %04o after unzip", d, ds.Mode().Perm())
			}
		}
		break
	}
	if runs != (row.want != "FAIL") {
		t.Fatalf("after unzip the bootstrap runs=%v (%s); the row says %s %s", runs, why, row.want, row.lambda)
	}
}

// corpusOracle unpacks a Node.js, Python or Java package with Info-ZIP unzip (function at task/,
// layers merged at opt/) and loads its handler with the runtime's own loader; a package whose
// verdict rests on the handler must load exactly when the row says Lambda runs it.
func corpusOracle(t *testing.T, row corpusRow, code []byte, layers [][]byte) {
	rt, _ := runtimes.Default().Lookup(row.rt)
	if rt.OSOnly() {
		bootstrapOracle(t, row, code, layers)
		return
	}
	if rt.Family != runtimes.FamilyNode && rt.Family != runtimes.FamilyPython && rt.Family != runtimes.FamilyJava {
		return
	}
	if row.env["AWS_LAMBDA_EXEC_WRAPPER"] != "" || (row.rule != "" && row.rule != result.HandlerMissing) {
		return // the verdict rests on the wrapper or on modes, which root in a test cannot feel
	}
	if _, err := exec.LookPath("unzip"); err != nil {
		t.Skip("oracle: unzip is not installed")
	}
	dir := t.TempDir()
	task, opt := filepath.Join(dir, "task"), filepath.Join(dir, "opt")
	unzipTo(t, code, task)
	for _, l := range layers {
		unzipTo(t, l, opt)
	}
	toHost := func(p string) string {
		switch {
		case p == handler.TaskRoot || strings.HasPrefix(p, handler.TaskRoot+"/"):
			return task + strings.TrimPrefix(p, handler.TaskRoot)
		case p == handler.OptRoot || strings.HasPrefix(p, handler.OptRoot+"/"):
			return opt + strings.TrimPrefix(p, handler.OptRoot)
		}
		return filepath.Join(dir, "elsewhere", p)
	}
	hrt := handler.Runtime{Name: row.rt, Family: rt.Family, Arch: row.arch, Env: row.env}
	var search []string
	for _, p := range handler.SearchPath(hrt) {
		search = append(search, toHost(p))
	}
	h := row.handler
	if strings.HasPrefix(h, "/") && rt.Family == runtimes.FamilyNode {
		h = toHost(h)
	}
	var got handlertest.Outcome
	var err error
	if rt.Family == runtimes.FamilyJava {
		cp, classes, jerr := javaCorpusOracle()
		if jerr != nil {
			t.Skipf("oracle: %v; the engine's verdict was checked", jerr)
		}
		realClasses(t, dir, classes)
		got, err = handlertest.RunJava(cp, task, filepath.Join(opt, "java"), row.handler)
		if err != nil {
			t.Fatalf("oracle: %v", err)
		}
		if got.OK != (row.want != "FAIL") {
			t.Fatalf("the JVM disagrees with the row: ok=%v %s %s (row: %s %s)", got.OK, got.Name, got.Message, row.want, row.lambda)
		}
		if !got.OK && !strings.HasPrefix(row.lambda, got.Name) {
			t.Errorf("the JVM fails with %s (%s); the row says %q", got.Name, got.Message, row.lambda)
		}
		return
	}
	if rt.Family == runtimes.FamilyNode {
		major := 0
		fmt.Sscanf(strings.TrimPrefix(row.rt, "nodejs"), "%d", &major)
		oracle, oerr := handlertest.NodeOracle(handlertest.NodeClientFor(major))
		if oerr != nil {
			t.Skipf("oracle: aws-lambda-ric unavailable (%v); the engine's verdict was checked", oerr)
		}
		got, err = handlertest.RunNode(oracle, task, h, search)
	} else {
		if v, verr := handlertest.PythonVersion(); verr != nil || "python"+v != row.rt {
			// The local CPython imports what any CPython imports, except version-tagged files.
			if strings.Contains(row.name, ".pyc") {
				t.Skipf("oracle: a .pyc loads only in the CPython that wrote it (local python%s, row %s)", v, row.rt)
			}
		}
		got, err = handlertest.RunPython(task, h, search)
	}
	if err != nil {
		t.Fatalf("oracle: %v", err)
	}
	if got.OK != (row.want != "FAIL") {
		t.Fatalf("the runtime's loader disagrees with the row: ok=%v %s %s (row: %s %s)", got.OK, got.Name, got.Message, row.want, row.lambda)
	}
	if !got.OK && !strings.HasPrefix(row.lambda, got.Name) {
		t.Errorf("the loader fails with %s (%s); the row says %q", got.Name, got.Message, row.lambda)
	}
}

func unzipTo(t *testing.T, z []byte, dir string) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	f := filepath.Join(t.TempDir(), "p.zip")
	if err := os.WriteFile(f, z, 0o644); err != nil {
		t.Fatal(err)
	}
	// -o: later layers overwrite earlier ones, as Lambda's /opt merge does.
	if out, err := exec.Command("unzip", "-q", "-o", f, "-d", dir).CombinedOutput(); err != nil {
		t.Fatalf("unzip: %v: %s", err, out)
	}
}

// buildPackage writes files into a folder and zips it with tool.
func buildPackage(t *testing.T, tool string, files []cfile, dirs map[string]fs.FileMode) []byte {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	os.MkdirAll(src, 0o755)
	var names []string
	for _, f := range files {
		p := filepath.Join(src, f.name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		names = append(names, f.name)
		switch {
		case f.link != "":
			if err := os.Symlink(f.link, p); err != nil {
				t.Fatal(err)
			}
			continue
		case f.pyc:
			if err := handlertest.CompilePyc(f.data, p); err != nil {
				t.Skipf("tool: %v", err)
			}
		case f.bin != "":
			if err := os.WriteFile(p, goBinary(t, f.bin), 0o644); err != nil {
				t.Fatal(err)
			}
		default:
			if err := os.WriteFile(p, []byte(f.data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		mode := f.mode
		if mode == 0 {
			mode = 0o644
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	for d, m := range dirs {
		if err := os.Chmod(filepath.Join(src, d), m); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(filepath.Dir(src), "out.zip")
	shell := func(name string, args ...string) {
		t.Helper()
		if _, err := exec.LookPath(name); err != nil {
			t.Skipf("tool: %s is not installed (make test installs it: apt-get install zip unzip libarchive-tools)", name)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = src
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v: %s", name, args, err, b)
		}
	}
	switch tool {
	case "zip -r":
		shell("zip", "-q", "-r", "-X", out, ".")
	case "zip -r -y":
		shell("zip", "-q", "-r", "-X", "-y", out, ".")
	case "zip -j":
		shell("zip", append([]string{"-q", "-j", "-X", out}, names...)...)
	case "zip":
		shell("zip", append([]string{"-q", "-X", out}, names...)...)
	case "bsdtar":
		shell("bsdtar", "-a", "-cf", out, ".")
	case "npm+zip":
		if err := npmInstall(src); err != nil {
			t.Skipf("tool: npm install is-number failed (%v)", err)
		}
		shell("zip", "-q", "-r", "-X", out, ".")
	case "python write", "python writestr", "python make_archive":
		shell("python3", "-c", pythonZipper, strings.TrimPrefix(tool, "python "), out)
	case "cdk archiver":
		if err := npmCache(); err != nil {
			t.Skipf("tool: npm install archiver failed (%v)", err)
		}
		script := filepath.Join(filepath.Dir(src), "cdkzip.js")
		os.WriteFile(script, []byte(cdkZipper), 0o644)
		shell("node", script, filepath.Join(npmDir, "node_modules", "archiver"), src, out)
	case "go Create", "build-lambda-zip", "go NTFS creator":
		return goZip(t, tool, src)
	default:
		t.Fatalf("unknown tool %q", tool)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pythonZipper zips the current folder as Python build scripts do: ZipFile.write (the file's
// mode is recorded), ZipFile.writestr (mode 0600), or shutil.make_archive.
const pythonZipper = `import os, shutil, sys, zipfile
how, out = sys.argv[1], sys.argv[2]
if how == "make_archive":
    shutil.make_archive(out[:-4], "zip", root_dir=".")
    sys.exit(0)
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for root, dirs, files in os.walk("."):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            arc = os.path.relpath(p, ".")
            if how == "write":
                z.write(p, arc)
            else:
                with open(p, "rb") as fh:
                    z.writestr(arc, fh.read())
`

// goZip zips src with Go's archive/zip the way Go-based tools do.
func goZip(t *testing.T, tool, src string) []byte {
	t.Helper()
	var paths []string
	filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != src {
			paths = append(paths, p)
		}
		return err
	})
	sort.Strings(paths)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range paths {
		rel, _ := filepath.Rel(src, p)
		rel = filepath.ToSlash(rel)
		info, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if info.IsDir() {
			continue
		}
		var w interface{ Write([]byte) (int, error) }
		switch tool {
		case "go Create": // zip.Writer.Create: no mode, MS-DOS creator
			if info.IsDir() {
				continue
			}
			w, err = zw.Create(rel)
		default:
			h := &zip.FileHeader{Name: rel, Method: zip.Deflate}
			h.SetMode(info.Mode())
			if tool == "go NTFS creator" {
				h.CreatorVersion = 10<<8 | 20
			}
			w, err = zw.CreateHeader(h)
		}
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			w.Write([]byte(target))
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(b)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var (
	npmOnce sync.Once
	npmDir  string
	npmErr  error
)

// npmInstall copies node_modules with is-number (a real npm package) into src, installing it once
// into .cache/npm-corpus.
func npmInstall(src string) error {
	if err := npmCache(); err != nil {
		return err
	}
	dst := filepath.Join(src, "node_modules", "is-number")
	os.MkdirAll(filepath.Dir(dst), 0o755)
	return exec.Command("cp", "-r", filepath.Join(npmDir, "node_modules", "is-number"), dst).Run()
}

// npmCache installs, once, the npm packages the corpus uses: is-number (a dependency to ship) and
// archiver (the library aws-cdk's asset zipping uses).
func npmCache() error {
	npmOnce.Do(func() {
		root, err := handlertest.RepoRoot()
		if err != nil {
			npmErr = err
			return
		}
		npmDir = filepath.Join(root, ".cache", "npm-corpus")
		if _, err := os.Stat(filepath.Join(npmDir, "node_modules", "archiver", "package.json")); err == nil {
			return
		}
		os.MkdirAll(npmDir, 0o755)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", npmDir, "--no-audit", "--no-fund", "--no-package-lock", "is-number@7.0.0", "archiver@5.3.2")
		if out, err := cmd.CombinedOutput(); err != nil {
			npmErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	return npmErr
}

// cdkZipper zips a folder the way aws-cdk's cdk-assets does (packages/cdk-assets/lib/private/
// archive.ts, zipDirectory): every file below it, dot files included, symlinks followed, no folder
// entries, sorted, each appended with archiver with the date 1980-01-01 and its stat mode.
const cdkZipper = `const archiver = require(process.argv[2]);
const fs = require("fs"), path = require("path");
const [dir, out] = process.argv.slice(3);
function walk(rel) {
  const full = path.join(dir, rel);
  if (fs.statSync(full).isDirectory()) return fs.readdirSync(full).sort().flatMap(n => walk(rel ? rel + "/" + n : n));
  return [rel];
}
(async () => {
  const output = fs.createWriteStream(out);
  const archive = archiver("zip");
  archive.on("warning", e => { throw e; });
  archive.on("error", e => { throw e; });
  archive.pipe(output);
  for (const file of walk("").sort()) {
    const full = path.join(dir, file);
    archive.append(fs.readFileSync(full), { name: file, date: new Date("1980-01-01T00:00:00.000Z"), mode: fs.statSync(full).mode });
  }
  output.once("close", () => process.exit(0));
  await archive.finalize();
})();
`

var (
	javaOnce    sync.Once
	javaCP      string
	javaClasses map[string][]byte
	javaErr     error
)

// javaCorpusOracle compiles, once, the corpus's handler class and the JVM-side loader (into
// .cache/java-oracle).
func javaCorpusOracle() (string, map[string][]byte, error) {
	javaOnce.Do(func() {
		root, err := handlertest.RepoRoot()
		if err != nil {
			javaErr = err
			return
		}
		if javaCP, javaErr = handlertest.JavaOracle(filepath.Join(root, ".cache", "java-oracle")); javaErr != nil {
			return
		}
		javaClasses, javaErr = handlertest.CompileJava(map[string]string{
			"example/Handler.java": "package example; public class Handler { public String handleRequest(Object in) { return \"ok\"; } }",
		})
	})
	return javaCP, javaClasses, javaErr
}

// realClasses replaces the placeholder class files of an unpacked package (loose and inside JARs)
// by compiled ones of the same name, so the JVM can load them.
func realClasses(t *testing.T, dir string, classes map[string][]byte) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch {
		case strings.HasSuffix(p, ".class"):
			for name, b := range classes {
				if strings.HasSuffix(filepath.ToSlash(p), "/"+name) {
					os.WriteFile(p, b, 0o644)
				}
			}
		case strings.HasSuffix(p, ".jar"):
			old, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			zr, err := zip.NewReader(bytes.NewReader(old), int64(len(old)))
			if err != nil {
				return nil
			}
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			for _, f := range zr.File {
				w, _ := zw.Create(f.Name)
				if b, ok := classes[f.Name]; ok {
					w.Write(b)
					continue
				}
				rc, err := f.Open()
				if err != nil {
					return err
				}
				io.Copy(w, rc)
				rc.Close()
			}
			zw.Close()
			return os.WriteFile(p, buf.Bytes(), 0o644)
		}
		return nil
	})
}
