package jsmodule

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseSyntaxErrors(t *testing.T) {
	for _, c := range []struct {
		name, src  string
		goal       Goal
		line, col  int // 0: parses
		msgContain string
	}{
		{"redeclared const (aws-cdk-examples)", "const { S3 } = require('@aws-sdk/client-s3');\nconst S3 = new S3();\n", CommonJS, 2, 7, "already been declared"},
		{"let redeclared by var in a block", "let x = 1; { var x = 2 }", CommonJS, 1, 18, "already been declared"},
		{"unbalanced", "exports.handler = async (event) => {\n  return 1;\n", CommonJS, 3, 1, ""},
		{"top-level return is CommonJS", "if (process.env.X) return;\nexports.handler = async () => 1;\n", CommonJS, 0, 0, ""},
		{"top-level return in an ES module", "if (process.env.X) return;\nexport const handler = async () => 1;\n", ESModule, 1, 20, "return"},
		{"hashbang", "#!/usr/bin/env node\nexports.handler = async () => 1;\n", CommonJS, 0, 0, ""},
		{"hashbang ESM", "#!/usr/bin/env node\nexport const handler = async () => 1;\n", ESModule, 0, 0, ""},
		{"modern syntax", "class A { #x = 1; static { this.y = 2 } m() { return this.#x ?? a?.b } }\nexport const handler = async () => new A().m();\n", ESModule, 0, 0, ""},
		{"empty", "", CommonJS, 0, 0, ""},
		{"semicolon after an arrow function's block (npm lib/base-cmd.js)", "const f = () => {\n  return [1]\n}\n\n[...f()].forEach((x) => x)\nconst g = async () => {}\n  (1)\nconst h = () => {}\n`t`\n", CommonJS, 0, 0, ""},
		{"semicolon after an arrow function, in an ES module", "export const f = () => {}\n[1].map((x) => x)\n", ESModule, 0, 0, ""},
		{"a real error after } stays one", "const f = () => {}\n[1,,\n", CommonJS, 3, 1, ""},
		{"no semicolon inside one line", "const f = () => {} [1]\n", CommonJS, 1, 20, "unexpected"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.src), c.goal)
			if c.line == 0 {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("want a SyntaxError, got %v", err)
			}
			if se.Line != c.line || se.Column != c.col {
				t.Errorf("position %d:%d, want %d:%d (%s)", se.Line, se.Column, c.line, c.col, se.Message)
			}
			if !strings.Contains(se.Message, c.msgContain) {
				t.Errorf("message %q lacks %q", se.Message, c.msgContain)
			}
		})
	}
}

// TestParseNestingBound: past the parser's nesting bound the file is not judged (an error that is
// not a SyntaxError), whatever the construct, and nothing panics or recurses without bound.
func TestParseNestingBound(t *testing.T) {
	for _, src := range []string{
		strings.Repeat("(", 1<<20),
		"x = " + strings.Repeat("a + ", 5000) + "a;",
		strings.Repeat("if (a) ", 1<<16) + ";",
		strings.Repeat("function f() {", 1<<14),
	} {
		for _, goal := range []Goal{CommonJS, ESModule} {
			_, err := Parse([]byte(src), goal)
			var se *SyntaxError
			if err == nil || errors.As(err, &se) {
				t.Errorf("%.20q (%v): want a not-judged error, got %v", src, goal, err)
			}
		}
	}
}

func TestModuleFacts(t *testing.T) {
	for _, c := range []struct {
		name, src string
		syntax    bool
		tla       bool
		initCJS   []string
		imports   []string
	}{
		{"commonjs", "const a = require('./a');\nexports.handler = async () => a;", false, false, []string{"require", "exports"}, []string{"./a"}},
		{"esm", "import a from './a.js';\nexport { b } from './b.js';\nexport const handler = async () => a;", true, false, nil, []string{"./a.js", "./b.js"}},
		{"mixed", "import fs from 'fs';\nconst x = require('path');\nexports.handler = async () => x;", true, false, []string{"require", "exports"}, []string{"fs", "path"}},
		{"import.meta", "const u = import.meta.url;\nmodule.exports.handler = () => u;", true, false, []string{"module"}, nil},
		{"top-level await", "const v = await Promise.resolve(1);\nexport const handler = () => v;", true, true, nil, nil},
		{"await in a function is not top-level", "exports.handler = async () => await 1;", false, false, []string{"exports"}, nil},
		{"typeof guard", "export const r = typeof require !== 'undefined' ? require : null;", true, false, nil, nil},
		{"guarded by &&", "const x = typeof module === 'object' && module.exports;\nexport default x;", true, false, nil, nil},
		{"inside a function", "export function handler() { return require('x'); }", true, false, nil, nil},
		{"inside try", "let x; try { x = require('x'); } catch {}\nexport { x };", true, false, nil, nil},
		{"esbuild __require shim", `var __require = /* @__PURE__ */ ((x) => typeof require !== "undefined" ? require : typeof Proxy !== "undefined" ? new Proxy(x, { get: (a, b) => (typeof require !== "undefined" ? require : a)[b] }) : x)(function(x) { if (typeof require !== "undefined") return require.apply(this, arguments); throw Error('Dynamic require of "' + x + '" is not supported'); });
export { __require };`, true, false, nil, nil},
		{"shadowed require", "const require = (x) => x;\nexport const y = require('z');", true, false, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := Parse([]byte(c.src), ESModule)
			if err != nil {
				t.Fatal(err)
			}
			if m.ModuleSyntax != c.syntax || m.TopLevelAwait != c.tla {
				t.Errorf("module syntax %v (%s), top-level await %v; want %v, %v", m.ModuleSyntax, m.ModuleSyntaxWhat, m.TopLevelAwait, c.syntax, c.tla)
			}
			if !slices.Equal(m.InitCommonJS, c.initCJS) {
				t.Errorf("CommonJS names at init %v, want %v", m.InitCommonJS, c.initCJS)
			}
			var imps []string
			for _, i := range m.Imports {
				imps = append(imps, i.Specifier)
			}
			if !slices.Equal(imps, c.imports) {
				t.Errorf("imports %v, want %v", imps, c.imports)
			}
		})
	}
}

func TestDecideAndLoad(t *testing.T) {
	esm := "export const handler = async () => 1;"
	mixed := "import fs from 'fs';\nconst x = require('path');\nexports.handler = async () => x;"
	tla := "const v = await Promise.resolve(1);\nexport const handler = () => v;"
	cjs := "exports.handler = async () => 1;"
	for _, c := range []struct {
		name, src, ext string
		typ            PackageType
		major          int
		byRequire      bool
		goal           Goal
		errType        string // "" loads
	}{
		{"esm .js without type on Node 18", esm, ".js", "", 18, true, CommonJS, "Runtime.UserCodeSyntaxError"},
		{"esm .js without type on Node 20 (detection, require(esm))", esm, ".js", "", 20, true, ESModule, ""},
		{"esm .js without type on Node 24", esm, ".js", "", 24, false, ESModule, ""},
		{"esm .js in a commonjs package", esm, ".js", "commonjs", 24, false, CommonJS, "Runtime.UserCodeSyntaxError"},
		{"esm in .cjs", esm, ".cjs", "module", 22, true, CommonJS, "Runtime.UserCodeSyntaxError"},
		{"mixed .js", mixed, ".js", "", 22, true, ESModule, "ReferenceError"},
		{"mixed .mjs", mixed, ".mjs", "", 24, false, ESModule, "ReferenceError"},
		{"commonjs .js in a module package", cjs, ".js", "module", 22, false, ESModule, "ReferenceError"},
		{"commonjs .js", cjs, ".js", "", 24, false, CommonJS, ""},
		{"top-level await required", tla, ".js", "", 22, true, ESModule, "Error"},
		{"top-level await imported", tla, ".js", "", 24, false, ESModule, ""},
		{"top-level await in .cjs", tla, ".cjs", "", 24, false, CommonJS, "Runtime.UserCodeSyntaxError"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := Parse([]byte(c.src), ESModule)
			if err != nil {
				t.Fatal(err)
			}
			n := Node{Major: c.major}
			d := n.Decide(c.ext, c.typ, m)
			if d.Goal != c.goal {
				t.Errorf("goal %v (%s), want %v", d.Goal, d.Why, c.goal)
			}
			f := n.LoadFailure(d, m, c.byRequire)
			switch {
			case c.errType == "" && f != nil:
				t.Errorf("want it to load, got %s: %s", f.ErrorType, f.Message)
			case c.errType != "" && f == nil:
				t.Errorf("want %s, it loads", c.errType)
			case f != nil && f.ErrorType != c.errType:
				t.Errorf("error type %s (%s), want %s", f.ErrorType, f.Message, c.errType)
			}
		})
	}
}

func TestHandler(t *testing.T) {
	for _, c := range []struct {
		name, src, export string
		found             bool
		length            int
		methods           []string
	}{
		{"callback function (aws-cdk-examples)", "exports.handler = function (event, context, callback) { callback(null, 1); };", "handler", true, 3, nil},
		{"async two params", "exports.handler = async (event, context) => 1;", "handler", true, 2, nil},
		{"default third param does not count", "exports.handler = function (event, context, cb = () => {}) {};", "handler", true, 2, nil},
		{"rest does not count", "exports.handler = (event, ...rest) => 1;", "handler", true, 1, nil},
		{"export function", "export function handler(e, c, cb) {}", "handler", true, 3, nil},
		{"export const", "export const handler = async (e) => 1;", "handler", true, 1, nil},
		{"export list with alias", "async function main(e, c, cb) {}\nexport { main as handler };", "handler", true, 3, nil},
		{"export default object", "export default { handler: (e, c, cb) => 1 };", "handler", true, 3, nil},
		{"module.exports object", "function h(e, c, cb) {}\nmodule.exports = { handler: h };", "handler", true, 3, nil},
		{"module.exports shorthand", "const handler = (e, c, cb) => 1;\nmodule.exports = { handler };", "handler", true, 3, nil},
		{"tsc output", `"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.handler = void 0;
const handler = async (event, context, callback) => { callback(null, 1); };
exports.handler = handler;`, "handler", true, 3, nil},
		{"esbuild CommonJS bundle", `var __defProp = Object.defineProperty;
var __export = (target, all) => { for (var name in all) __defProp(target, name, { get: all[name], enumerable: true }); };
var __toCommonJS = (mod) => mod;
var index_exports = {};
__export(index_exports, {
  handler: () => handler
});
module.exports = __toCommonJS(index_exports);
var handler = (event, context, callback) => { callback(null, 1); };
0 && (module.exports = { handler });`, "handler", true, 3, nil},
		{"hoisted function", "exports.handler = handler;\nfunction handler(e, c, cb) {}", "handler", true, 3, nil},
		{"wrapped by a call", "const middy = (f) => f;\nexports.handler = middy((e, c, cb) => 1);", "handler", false, 0, nil},
		{"streaming marks the function", "const h = async (e, responseStream, context) => {};\nawslambda.streamifyResponse(h);\nexports.handler = h;", "handler", false, 0, nil},
		{"another export", "exports.other = (e, c, cb) => 1;", "handler", false, 0, nil},
		{"context methods", "exports.handler = function (event, context) { if (event.x) context.fail('x'); setTimeout(() => context.succeed(1)); context.done(); context.succeed(2); };", "handler", true, 2, []string{"fail", "succeed", "done"}},
		{"shadowed context", "exports.handler = async (event, context) => { const f = (context) => context.succeed(1); return context.getRemainingTimeInMillis(); };", "handler", true, 2, nil},
		{"other object's succeed", "exports.handler = async (event, ctx) => { const p = { succeed() {} }; p.succeed(); };", "handler", true, 2, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := Parse([]byte(c.src), ESModule)
			if err != nil {
				m, err = Parse([]byte(c.src), CommonJS)
			}
			if err != nil {
				t.Fatal(err)
			}
			f := m.Handler(c.export)
			if (f != nil) != c.found {
				t.Fatalf("found %v, want %v", f != nil, c.found)
			}
			if f == nil {
				return
			}
			if f.Length != c.length {
				t.Errorf("length %d, want %d", f.Length, c.length)
			}
			if !slices.Equal(f.ContextMethods, c.methods) {
				t.Errorf("context methods %v, want %v", f.ContextMethods, c.methods)
			}
		})
	}
}
