package jsmodule

import (
	"bytes"

	"github.com/tdewolff/parse/v2/js"
)

// Func is what the runtime interface client sees of an exported handler function.
type Func struct {
	// Length is the function's length property: the parameters before the first one with a
	// default value or the rest parameter (ECMA-262, ExpectedArgumentCount). The Node.js 24
	// client refuses a handler whose length is 3 or more (aws/aws-lambda-nodejs-runtime-interface-client
	// · src/function/callback-deprecation.ts shouldErrorOnCallbackFunction: argsNum >= 3 and not
	// streaming; argsNum is handler.length, user-function-loader.ts getHandlerMetadata).
	Length int
	// ContextMethods are the members succeed, fail and done read from the handler's second
	// parameter (the context) anywhere in its body, closures included, in order of first use.
	ContextMethods []string
}

// Handler finds the function the module exports as name (the handler string after the module:
// "handler" in index.handler), from the forms compilers and authors write: export function,
// export const/let/var, export { x as name }, export default { name }, exports.name = ...,
// module.exports.name = ..., module.exports = { name }. The value must be a function written in
// the module: a call (a middleware wrapper, awslambda.streamifyResponse) or anything else the
// module computes is not followed, and nil is returned. So is a function that the module's
// top-level code passes to a call, which may mark it (streamifyResponse sets a symbol on it).
func (m *Module) Handler(name string) *Func {
	if m == nil || name == "" {
		return nil
	}
	top := m.topLevel()
	var value js.IExpr
	getters := map[*js.Var]*js.ObjectExpr{}
	for _, st := range m.ast.List {
		switch s := st.(type) {
		case *js.ExportStmt:
			if v := exportValue(s, name, top); v != nil {
				value = v
			}
		case *js.ExprStmt:
			if v := commonJSExport(s.Value, name); v != nil {
				value = v
			}
			if t, o := exportGetters(s.Value); t != nil {
				getters[t] = o
			}
			if t := toCommonJSTarget(s.Value); t != nil && getters[t] != nil {
				if v := getterValue(property(getters[t], name)); v != nil {
					value = v
				}
			}
		}
	}
	f, v := resolveFunc(value, top, 0)
	if f == nil || (v != nil && top.passed[root(v)]) {
		return nil
	}
	return f
}

// topLevel indexes the module's top-level declarations.
type topDecls struct {
	byVar  map[*js.Var]js.IExpr
	byName map[string]*js.Var
	passed map[*js.Var]bool // passed as an argument to a call somewhere at top level
}

func (m *Module) topLevel() *topDecls {
	t := &topDecls{byVar: map[*js.Var]js.IExpr{}, byName: map[string]*js.Var{}, passed: map[*js.Var]bool{}}
	add := func(st js.IStmt) {
		switch s := st.(type) {
		case *js.FuncDecl:
			if s.Name != nil {
				t.byVar[s.Name], t.byName[string(s.Name.Data)] = s, s.Name
			}
		case *js.VarDecl:
			for _, b := range s.List {
				if v, ok := b.Binding.(*js.Var); ok {
					t.byVar[v], t.byName[string(v.Data)] = b.Default, v
				}
			}
		}
	}
	for _, st := range m.ast.List {
		if e, ok := st.(*js.ExportStmt); ok && e.Decl != nil && !e.Default {
			if d, ok := e.Decl.(js.IStmt); ok {
				add(d)
			}
			continue
		}
		add(st)
	}
	js.Walk(passedVisitor(t.passed), m.ast)
	return t
}

type passedVisitor map[*js.Var]bool

func (p passedVisitor) Enter(n js.INode) js.IVisitor {
	if c, ok := n.(*js.CallExpr); ok {
		for _, a := range c.Args.List {
			if v, ok := a.Value.(*js.Var); ok {
				p[root(v)] = true
			}
		}
	}
	return p
}
func (p passedVisitor) Exit(js.INode) {}

// exportValue is the expression an export statement binds to name, if any.
func exportValue(s *js.ExportStmt, name string, top *topDecls) js.IExpr {
	if s.Module != nil {
		return nil // re-exported from another module
	}
	if s.Default {
		if name == "default" {
			return s.Decl
		}
		// The client looks for the handler on the module, then on its default export.
		if o, ok := unparen(s.Decl).(*js.ObjectExpr); ok {
			return property(o, name)
		}
		return nil
	}
	switch d := s.Decl.(type) {
	case *js.FuncDecl:
		if d.Name != nil && string(d.Name.Data) == name {
			return d
		}
	case *js.VarDecl:
		for _, b := range d.List {
			if v, ok := b.Binding.(*js.Var); ok && string(v.Data) == name {
				return b.Default
			}
		}
	case nil:
		for _, a := range s.List {
			exported, local := a.Binding, a.Name
			if exported == nil {
				exported = a.Name
			}
			if local == nil {
				local = a.Binding
			}
			if string(exported) == name {
				if v := top.byName[string(local)]; v != nil {
					return v
				}
			}
		}
	}
	return nil
}

// commonJSExport is the value a CommonJS export assignment gives name: exports.name = v,
// module.exports.name = v, or module.exports = { name: v }.
func commonJSExport(e js.IExpr, name string) js.IExpr {
	b, ok := unparen(e).(*js.BinaryExpr)
	if !ok || b.Op != js.EqToken {
		return nil
	}
	if isModuleExports(b.X) {
		if o, ok := unparen(b.Y).(*js.ObjectExpr); ok {
			return property(o, name)
		}
		return nil
	}
	d, ok := b.X.(*js.DotExpr)
	if !ok || !dotName(d, name) {
		return nil
	}
	if v, ok := d.X.(*js.Var); ok && isFreeNamed(v, "exports") || isModuleExports(d.X) {
		if inner := commonJSExport(b.Y, name); inner != nil {
			return inner // exports.a = module.exports.a = v
		}
		return b.Y
	}
	return nil
}

// esbuild's CommonJS output (the layout NodejsFunction deploys by default) exports an ES module's
// bindings through getters: "var x_exports = {}; __export(x_exports, { handler: () => handler });
// module.exports = __toCommonJS(x_exports);" (evanw/esbuild · internal/runtime/runtime.go,
// __export and __toCommonJS). exportGetters reads the __export call: a call of two arguments, a
// variable and an object literal.
func exportGetters(e js.IExpr) (*js.Var, *js.ObjectExpr) {
	c, ok := unparen(e).(*js.CallExpr)
	if !ok || len(c.Args.List) != 2 {
		return nil, nil
	}
	if _, ok := c.X.(*js.Var); !ok {
		return nil, nil
	}
	t, ok := c.Args.List[0].Value.(*js.Var)
	o, ok2 := c.Args.List[1].Value.(*js.ObjectExpr)
	if !ok || !ok2 {
		return nil, nil
	}
	return root(t), o
}

// toCommonJSTarget reads "module.exports = f(x)" and returns x.
func toCommonJSTarget(e js.IExpr) *js.Var {
	b, ok := unparen(e).(*js.BinaryExpr)
	if !ok || b.Op != js.EqToken || !isModuleExports(b.X) {
		return nil
	}
	c, ok := unparen(b.Y).(*js.CallExpr)
	if !ok || len(c.Args.List) != 1 {
		return nil
	}
	if v, ok := c.Args.List[0].Value.(*js.Var); ok {
		return root(v)
	}
	return nil
}

// getterValue is the value an argument-less arrow function returns: () => handler.
func getterValue(e js.IExpr) js.IExpr {
	a, ok := e.(*js.ArrowFunc)
	if !ok || len(a.Params.List) > 0 || a.Params.Rest != nil || len(a.Body.List) != 1 {
		return nil
	}
	if r, ok := a.Body.List[0].(*js.ReturnStmt); ok {
		return r.Value
	}
	return nil
}

func isModuleExports(e js.IExpr) bool {
	d, ok := e.(*js.DotExpr)
	if !ok || !dotName(d, "exports") {
		return false
	}
	v, ok := d.X.(*js.Var)
	return ok && isFreeNamed(v, "module")
}

func isFreeNamed(v *js.Var, name string) bool {
	n, ok := free(v)
	return ok && n == name
}

func dotName(d *js.DotExpr, name string) bool {
	switch y := d.Y.(type) {
	case js.LiteralExpr:
		return string(y.Data) == name
	case *js.LiteralExpr:
		return string(y.Data) == name
	case *js.Var:
		return string(y.Data) == name
	}
	return false
}

// property is the value of a plain name: value or shorthand property of an object literal.
func property(o *js.ObjectExpr, name string) js.IExpr {
	var out js.IExpr
	for _, p := range o.List {
		if p.Spread {
			out = nil // a later spread may override: not followed
			continue
		}
		if p.Name != nil && !p.Name.IsComputed() && bytes.Equal(p.Name.Literal.Data, []byte(name)) {
			out = p.Value
		} else if p.Name == nil {
			if v, ok := p.Value.(*js.Var); ok && string(v.Data) == name {
				out = v
			}
		}
	}
	return out
}

func unparen(e js.IExpr) js.IExpr {
	for {
		g, ok := e.(*js.GroupExpr)
		if !ok {
			return e
		}
		e = g.X
	}
}

// resolveFunc follows a value to a function literal through top-level bindings, and returns the
// top-level variable it went through last (nil for a literal in place).
func resolveFunc(e js.IExpr, top *topDecls, hops int) (*Func, *js.Var) {
	if hops > 8 {
		return nil, nil
	}
	switch x := unparen(e).(type) {
	case *js.FuncDecl:
		if x.Generator {
			return nil, nil
		}
		return funcInfo(x.Params, &x.Body), nil
	case *js.ArrowFunc:
		return funcInfo(x.Params, &x.Body), nil
	case *js.MethodDecl:
		return funcInfo(x.Params, &x.Body), nil
	case *js.Var:
		x = root(x)
		init, ok := top.byVar[x]
		if !ok {
			return nil, nil
		}
		if fd, ok := init.(*js.FuncDecl); ok && fd.Name == x {
			f, _ := resolveFunc(fd, top, hops+1)
			return f, x
		}
		f, v := resolveFunc(init, top, hops+1)
		if v == nil {
			v = x
		}
		return f, v
	}
	return nil, nil
}

func funcInfo(p js.Params, body *js.BlockStmt) *Func {
	f := &Func{}
	for _, b := range p.List {
		if b.Default != nil {
			break
		}
		f.Length++
	}
	if len(p.List) >= 2 {
		if ctx, ok := p.List[1].Binding.(*js.Var); ok {
			cv := &contextVisitor{ctx: ctx, seen: map[string]bool{}}
			js.Walk(cv, body)
			f.ContextMethods = cv.uses
		}
	}
	return f
}

// contextVisitor collects context.succeed / fail / done: the members of the context object the
// Node.js 24 client no longer provides (its context-builder.ts builds the context without them;
// the 3.x client's src/CallbackContext.js adds succeed, fail and done). The parser links every use
// of a variable to its declaration, so a shadowing parameter is a different variable.
type contextVisitor struct {
	ctx  *js.Var
	seen map[string]bool
	uses []string
}

func (c *contextVisitor) Enter(n js.INode) js.IVisitor {
	d, ok := n.(*js.DotExpr)
	if !ok {
		return c
	}
	v, ok := d.X.(*js.Var)
	if !ok || root(v) != c.ctx {
		return c
	}
	for _, m := range []string{"succeed", "fail", "done"} {
		if dotName(d, m) && !c.seen[m] {
			c.seen[m] = true
			c.uses = append(c.uses, m)
		}
	}
	return c
}
func (c *contextVisitor) Exit(js.INode) {}

// root follows a variable use to its declaration.
func root(v *js.Var) *js.Var {
	for v.Link != nil {
		v = v.Link
	}
	return v
}
