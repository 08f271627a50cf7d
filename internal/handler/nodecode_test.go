package handler

import (
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/jsmodule"
)

// TestNodeTypeScriptHandlerHint: a handler whose module exists only as TypeScript is not found,
// and the hint says why.
func TestNodeTypeScriptHandlerHint(t *testing.T) {
	for _, c := range []struct {
		rt, file string
		hint     bool
	}{
		{"nodejs24.x", "/var/task/src/index.ts", true},
		{"nodejs22.x", "/var/task/src/index.mts", true},
		{"nodejs24.x", "/var/task/src/other.ts", false},
	} {
		t.Run(c.rt+c.file, func(t *testing.T) {
			r, err := Resolve(newFS(c.file+"=export const handler = async (e: unknown) => 1;"), Runtime{Name: c.rt, Family: "nodejs"}, "src/index.handler")
			if err != nil {
				t.Fatal(err)
			}
			if r.Verdict != NotFound || r.ErrorType != "Runtime.ImportModuleError" {
				t.Fatalf("want not found, got %+v", r)
			}
			if got := strings.Contains(r.Hint, "only .js, .mjs and .cjs"); got != c.hint {
				t.Errorf("hint %q", r.Hint)
			}
		})
	}
}

// TestNodeCodeReads: the handler's module and the package files it imports are read, never
// node_modules code, and the problems carry the file they are in.
func TestNodeCodeReads(t *testing.T) {
	fsys := newFS(
		"/var/task/index.js=const a = require('./lib/a');\nconst dep = require('dep');\nexports.handler = async () => a;",
		"/var/task/lib/a.js=module.exports = {;",
		"/var/task/node_modules/dep/package.json={\"main\":\"index.js\"}",
		"/var/task/node_modules/dep/index.js=this is not javascript",
	)
	r, err := Resolve(fsys, Runtime{Name: "nodejs22.x", Family: "nodejs"}, "index.handler")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Code) != 1 || r.Code[0].Kind != jsmodule.Syntax || r.Code[0].File != "/var/task/lib/a.js" || r.Code[0].Line != 1 {
		t.Fatalf("want one syntax error in lib/a.js, got %+v", r.Code)
	}
}

// FuzzNodeCode feeds arbitrary handler code, imported code and package.json bytes to the Node.js
// resolver's code reading on every Node.js runtime: no panic, and every problem names a file of
// the package or a layer.
func FuzzNodeCode(f *testing.F) {
	f.Add("const a = require('./lib');\nexports.handler = function (e, c, cb) { c.succeed(a); };", "module.exports = {;", `{"type":"module"}`)
	f.Add("import { x } from './lib.js';\nexport const handler = async () => x;", "export const x = await 1;", `{"main":"index.ts"}`)
	f.Add("require('dep'); require('./lib.ts'); import('./x');", "const S3 = 1; const S3 = 2;", `{"type":"commonjs"}`)
	f.Fuzz(func(t *testing.T, index, lib, pkg string) {
		fsys := newFS("/var/task/index.js="+index, "/var/task/lib.js="+lib, "/var/task/lib/index.js="+lib,
			"/var/task/package.json="+pkg, "/var/task/node_modules/dep/package.json="+pkg, "/var/task/node_modules/dep/index.ts="+lib)
		for _, rt := range []string{"nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x"} {
			r, err := Resolve(fsys, Runtime{Name: rt, Family: "nodejs"}, "index.handler")
			if err != nil {
				t.Fatalf("%s: %v", rt, err)
			}
			for _, p := range r.Code {
				if !underRoots(p.File) {
					t.Fatalf("%s: problem outside the package: %+v", rt, p)
				}
			}
		}
	})
}
