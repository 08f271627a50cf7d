package native

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/tdewolff/parse/v2"
	"github.com/tdewolff/parse/v2/js"
)

// loadPos says when a native load in a module runs relative to the module's own evaluation.
type loadPos int

const (
	// posEager: at the module's top level, outside any try with a catch clause: a failure
	// throws out of require() of the module.
	posEager loadPos = iota
	// posGuarded: inside a try block whose catch does not rethrow (bufferutil's index.js falls
	// back to ./fallback.js): a failure is caught.
	posGuarded
	// posLazy: inside a function that the module does not call while it is evaluated
	// (oracledb's Thick mode loads its addon in initOracleClient()): nothing loads at require.
	posLazy
)

func (p loadPos) String() string {
	return [...]string{"at require", "inside a try/catch with a fallback", "only when a function is called"}[p]
}

// worse combines the position of a require with the position of a load inside the module it
// requires: a load is eager only when both are.
func worse(a, b loadPos) loadPos { return max(a, b) }

// jsSite is a native load or a relative require found in a module.
type jsSite struct {
	spec string // the require argument as written; "" when computed at run time
	pos  loadPos
	// native: this call loads an addon (a .node path, a loader library, a platform package,
	// process.dlopen, a computed require); otherwise spec is a relative module to follow.
	native bool
}

// jsModule is what analyzeJS found in one module.
type jsModule struct {
	sites []jsSite
	// initCalls: names of functions called at init (plain or as obj.name()), for the modules
	// this one requires.
	initCalls map[string]loadPos
}

// analyzeJS parses a CommonJS or ES module and lists its native loads and relative requires with
// the position of each. isNative says whether a literal require spec loads an addon.
//
// initCalls are the names the requiring module calls while it is evaluated (kerberos' index.js
// calls loadBindings() from ./util at its top level): functions of those names here run at init.
func analyzeJS(src []byte, isNative func(spec string) bool, initCalls map[string]loadPos) (jsModule, error) {
	ast, err := js.Parse(parse.NewInputBytes(src), js.Options{})
	if err != nil {
		return jsModule{}, fmt.Errorf("parse JavaScript: %w", err)
	}
	w := &jsWalker{isNative: isNative, calledAtInit: map[string]loadPos{}}
	for k, v := range initCalls {
		w.calledAtInit[k] = v
	}
	// First pass: the functions the module calls while it is evaluated (load() at top level,
	// module.exports = load()); their bodies run at require.
	(&callCollector{w: w}).walk(&ast.BlockStmt)
	js.Walk(&jsVisitor{w: w, pos: posEager}, &ast.BlockStmt)
	if w.eagerThrow {
		// A loader that tries candidates in try/catch and throws when none loaded (sharp's
		// lib/sharp.js, napi-rs' generated index.js: "Failed to load native binding") fails
		// at require like an unguarded load: its catches only move on to the next candidate.
		for i := range w.sites {
			if w.sites[i].pos == posGuarded {
				w.sites[i].pos = posEager
			}
		}
	}
	return jsModule{sites: w.sites, initCalls: w.calledAtInit}, nil
}

type jsWalker struct {
	isNative     func(string) bool
	sites        []jsSite
	calledAtInit map[string]loadPos
	eagerThrow   bool // a throw statement runs at require outside any try
}

// callCollector records the names of functions called at the top level (outside functions).
type callCollector struct {
	w   *jsWalker
	pos loadPos
}

func (c *callCollector) walk(n js.INode) { js.Walk(c, n) }

func (c *callCollector) Enter(n js.INode) js.IVisitor {
	switch n := n.(type) {
	case *js.FuncDecl, *js.ArrowFunc, *js.MethodDecl, *js.ClassDecl:
		return nil
	case *js.TryStmt:
		g := &callCollector{w: c.w, pos: worse(c.pos, guardOf(n))}
		g.walk(n.Body)
		if n.Catch != nil {
			c.walk(n.Catch)
		}
		if n.Finally != nil {
			c.walk(n.Finally)
		}
		return nil
	case *js.CallExpr:
		name := ""
		switch x := n.X.(type) {
		case *js.Var:
			name = string(x.Data)
		case *js.DotExpr:
			name = dotName(x.Y)
		}
		if name != "" && name != "require" {
			if p, seen := c.w.calledAtInit[name]; !seen || c.pos < p {
				c.w.calledAtInit[name] = c.pos
			}
		}
	}
	return c
}

func (c *callCollector) Exit(js.INode) {}

// guardOf is the position inside a try block: guarded when a catch clause exists and does not
// simply rethrow.
func guardOf(t *js.TryStmt) loadPos {
	if t.Catch == nil {
		return posEager
	}
	for _, s := range t.Catch.List {
		if _, ok := s.(*js.ThrowStmt); ok {
			return posEager
		}
	}
	return posGuarded
}

type jsVisitor struct {
	w       *jsWalker
	pos     loadPos
	envCond bool // inside an if on process.env
}

func (v *jsVisitor) with(p loadPos) *jsVisitor { return &jsVisitor{w: v.w, pos: p, envCond: v.envCond} }

// mentionsProcessEnv reports whether an expression reads process.env.
func mentionsProcessEnv(x js.IExpr) bool {
	f := &envFinder{}
	js.Walk(f, x)
	return f.found
}

type envFinder struct{ found bool }

func (f *envFinder) Enter(n js.INode) js.IVisitor {
	if d, ok := n.(*js.DotExpr); ok {
		if v, ok := d.X.(*js.Var); ok && string(v.Data) == "process" && dotName(d.Y) == "env" {
			f.found = true
		}
	}
	if f.found {
		return nil
	}
	return f
}

func (f *envFinder) Exit(js.INode) {}

func (v *jsVisitor) Enter(n js.INode) js.IVisitor {
	switch n := n.(type) {
	case *js.FuncDecl:
		// A named function the module calls at init runs then; any other runs later.
		if n.Name != nil {
			if p, ok := v.w.calledAtInit[string(n.Name.Data)]; ok {
				js.Walk(v.with(worse(v.pos, p)), &n.Body)
				return nil
			}
		}
		js.Walk(v.with(posLazy), &n.Body)
		return nil
	case *js.ArrowFunc:
		js.Walk(v.with(posLazy), &n.Body)
		return nil
	case *js.MethodDecl:
		js.Walk(v.with(posLazy), &n.Body)
		return nil
	case *js.BindingElement:
		// const load = () => {...} / function () {...}, called at init.
		if name, ok := n.Binding.(*js.Var); ok && n.Default != nil {
			if p, called := v.w.calledAtInit[string(name.Data)]; called {
				switch f := n.Default.(type) {
				case *js.ArrowFunc:
					js.Walk(v.with(worse(v.pos, p)), &f.Body)
					return nil
				case *js.FuncDecl:
					js.Walk(v.with(worse(v.pos, p)), &f.Body)
					return nil
				}
			}
		}
	case *js.TryStmt:
		js.Walk(v.with(worse(v.pos, guardOf(n))), n.Body)
		if n.Catch != nil {
			js.Walk(v, n.Catch)
		}
		if n.Finally != nil {
			js.Walk(v, n.Finally)
		}
		return nil
	case *js.CallExpr:
		// An immediately invoked function runs now.
		if f := funcOf(n.X); f != nil {
			js.Walk(v, f)
			for i := range n.Args.List {
				js.Walk(v, n.Args.List[i].Value)
			}
			return nil
		}
		v.call(n)
	case *js.ThrowStmt:
		if v.pos == posEager && !v.envCond {
			v.w.eagerThrow = true
		}
	case *js.IfStmt:
		// A throw only when the environment asks for it (dtrace-provider throws if
		// NODE_DTRACE_PROVIDER_REQUIRE=hard, else falls back to a stub) does not run by default.
		if mentionsProcessEnv(n.Cond) {
			js.Walk(v, n.Cond)
			inner := &jsVisitor{w: v.w, pos: v.pos, envCond: true}
			js.Walk(inner, n.Body)
			if n.Else != nil {
				js.Walk(v, n.Else)
			}
			return nil
		}
	case *js.ImportStmt:
		v.spec(string(n.Module), true)
	case *js.ExportStmt:
		if n.Module != nil {
			v.spec(string(n.Module), true)
		}
	}
	return v
}

func (v *jsVisitor) Exit(js.INode) {}

// funcOf returns the body of a function expression (possibly parenthesised).
func funcOf(x js.IExpr) *js.BlockStmt {
	for {
		g, ok := x.(*js.GroupExpr)
		if !ok {
			break
		}
		x = g.X
	}
	switch f := x.(type) {
	case *js.FuncDecl:
		return &f.Body
	case *js.ArrowFunc:
		return &f.Body
	}
	return nil
}

// call records require(...), require.addon(...) and process.dlopen(...).
func (v *jsVisitor) call(n *js.CallExpr) {
	switch x := n.X.(type) {
	case *js.LiteralExpr:
		// import(spec): a dynamic import loads like require
		if x.TokenType != js.ImportToken || len(n.Args.List) == 0 {
			return
		}
		if lit, ok := n.Args.List[0].Value.(*js.LiteralExpr); ok && lit.TokenType == js.StringToken {
			v.spec(unquote(lit.Data), false)
		}
	case *js.Var:
		if string(x.Data) != "require" || len(n.Args.List) == 0 {
			return
		}
		if lit, ok := n.Args.List[0].Value.(*js.LiteralExpr); ok && lit.TokenType == js.StringToken {
			v.spec(unquote(lit.Data), false)
			return
		}
		// A computed require: native when it can name a .node file or a platform (sharp's
		// require(`@img/sharp-${runtimePlatform}/sharp.node`), napi-rs' paths) and in general
		// in a package that holds native code, where the caller only analyses such packages.
		v.w.sites = append(v.w.sites, jsSite{pos: v.pos, native: true})
	case *js.DotExpr:
		obj, _ := x.X.(*js.Var)
		prop := dotName(x.Y)
		if obj == nil {
			return
		}
		switch {
		case string(obj.Data) == "process" && prop == "dlopen",
			string(obj.Data) == "require" && prop == "addon":
			v.w.sites = append(v.w.sites, jsSite{pos: v.pos, native: true})
		}
	}
}

func dotName(y js.IExpr) string {
	switch y := y.(type) {
	case *js.Var:
		return string(y.Data)
	case *js.LiteralExpr:
		return string(y.Data)
	case js.LiteralExpr: // the parser stores a member name by value
		return string(y.Data)
	}
	return ""
}

// spec records a literal require or import.
func (v *jsVisitor) spec(s string, isImport bool) {
	switch {
	case v.w.isNative(s):
		v.w.sites = append(v.w.sites, jsSite{spec: s, pos: v.pos, native: true})
	case strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") || s == "." || s == "..":
		v.w.sites = append(v.w.sites, jsSite{spec: s, pos: v.pos})
	}
}

func unquote(b []byte) string {
	if len(b) >= 2 && (b[0] == '\'' || b[0] == '"' || b[0] == '`') {
		b = b[1 : len(b)-1]
	}
	if bytes.IndexByte(b, '\\') >= 0 {
		return strings.ReplaceAll(string(b), `\/`, `/`)
	}
	return string(b)
}
