// Package jsmodule knows what Node.js does with a JavaScript file before any of its code runs:
// whether the file parses, whether Node loads it as CommonJS or as an ES module (from its
// extension, the nearest package.json "type" and, for an ambiguous .js, its syntax), what it
// imports statically, and what its exported handler looks like to the Lambda runtime interface
// client (the function's length, its uses of the context object). internal/handler's Node.js
// resolver calls it on the handler's module and the package files that module imports.
//
// The parser is github.com/tdewolff/parse/v2/js: a full ECMAScript AST (import/export,
// parameters, scopes with every use of a variable linked to its declaration) and the early errors
// a Lambda handler meets in practice, a redeclared const or let included, with line and column.
// esbuild's pkg/api reports more early errors but has no public AST, so the format and handler
// facts would still need a second parser, and it more than doubles the hook binary (docs/handlers.md,
// "Handler code checks").
package jsmodule

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/tdewolff/parse/v2"
	"github.com/tdewolff/parse/v2/js"
)

// SyntaxError is a file the parser rejects: Node rejects it too, with a SyntaxError, which both
// Lambda Node.js runtime interface clients report as Runtime.UserCodeSyntaxError.
type SyntaxError struct {
	Line, Column int    // 1-based
	Message      string // the parser's description
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s (line %d, column %d)", e.Message, e.Line, e.Column)
}

// Goal is how Node compiles a file: as a CommonJS function body or as an ES module.
type Goal int

// Goals.
const (
	CommonJS Goal = iota
	ESModule
)

func (g Goal) String() string {
	if g == ESModule {
		return "ES module"
	}
	return "CommonJS"
}

// Module is what the parser learned about one file.
type Module struct {
	// ModuleSyntax: import or export declarations, or import.meta. A CommonJS compile fails on
	// them with the messages Node's syntax detection retries as ESM.
	ModuleSyntax bool
	// ModuleSyntaxWhat names the first such construct for messages ("import declaration").
	ModuleSyntaxWhat string
	// TopLevelAwait: await (or for await) outside any function.
	TopLevelAwait bool
	// TopLevelReturn: a return statement outside any function (legal only in CommonJS, whose
	// code Node wraps in a function).
	TopLevelReturn bool
	// InitCommonJS lists the CommonJS-only free variables (require, module, exports,
	// __filename, __dirname) that the module's top-level code uses unconditionally: in an ES
	// module each is a ReferenceError while the module is being loaded.
	InitCommonJS []string
	// Imports are the module's static imports: import declarations, export ... from, and
	// require("literal") calls in top-level code.
	Imports []Import

	ast *js.AST
}

// Import is one static import.
type Import struct {
	Specifier string
	Require   bool // require() call (CommonJS resolution), else import declaration (ESM resolution)
}

// Parse parses src. A source Node would reject is a *SyntaxError. goal is the goal Node compiles
// the file with when the file itself does not decide it (.cjs and .mjs, or a package.json
// "type"): pass ESModule for an ambiguous .js, whose module syntax then decides.
//
// Node compiles CommonJS as a function body (the module wrapper: a top-level return is legal)
// and ES modules as modules; both accept a leading #! line. The parser has the module goal and an
// inline goal that allows return; a file is parsed with the module goal first, and a CommonJS
// file that fails it only for a top-level return is accepted with the inline goal.
func Parse(src []byte, goal Goal) (m *Module, err error) {
	defer func() {
		// A fault in the parser must not stop the check: the file is then not judged.
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("javascript parser failed: %v", r)
		}
	}()
	src = blankHashbang(src)
	ast, err := parseASI(src, js.Options{})
	if err != nil {
		modErr := syntaxError(err)
		if goal == ESModule || errors.Is(modErr, errTooDeep) {
			return nil, modErr
		}
		ast2, err2 := parseASI(src, js.Options{Inline: true})
		if err2 != nil {
			return nil, modErr
		}
		ast = ast2
	}
	m = &Module{ast: ast}
	m.scan()
	if goal == ESModule && m.TopLevelReturn {
		return nil, &SyntaxError{Line: 1, Column: 1, Message: "Illegal return statement (a return outside any function, which an ES module does not allow)"}
	}
	return m, nil
}

// maxASIRetries bounds the re-parses parseASI makes.
const maxASIRetries = 32

// parseASI parses src, inserting the semicolons the parser misses. The parser does not apply
// automatic semicolon insertion after an arrow function with a block body: "const f = () => {}"
// then a line starting with "[", "(", "`" or "+" is an error to it, while ECMA-262 (12.10.1,
// rule 1: a token no production allows, after a line terminator, gets a semicolon before it)
// and V8 accept it; npm's own lib/base-cmd.js has such a line. When the parser stops at the
// first token of a line and the previous token is "}", a semicolon goes right after that "}"
// (no position moves) and the file is parsed again, at most maxASIRetries times.
func parseASI(src []byte, o js.Options) (*js.AST, error) {
	copied := false
	for tries := 0; ; tries++ {
		ast, err := js.Parse(parse.NewInputBytes(src), o)
		if err == nil || tries == maxASIRetries {
			return ast, err
		}
		at := missedSemicolon(src, err)
		if at < 0 {
			return nil, err
		}
		if !copied {
			src, copied = append([]byte(nil), src...), true
		}
		src = append(src[:at], append([]byte{';'}, src[at:]...)...)
	}
}

// missedSemicolon returns where a semicolon goes for a parse error at the first token of a line
// that follows a "}", or -1.
func missedSemicolon(src []byte, err error) int {
	var pe *parse.Error
	if !errors.As(err, &pe) || !strings.HasPrefix(pe.Message, "unexpected") || pe.Line < 2 {
		return -1
	}
	start := 0
	for line := 1; line < pe.Line; line++ {
		i := bytes.IndexByte(src[start:], '\n')
		if i < 0 {
			return -1
		}
		start += i + 1
	}
	col := 1
	for start+col-1 < len(src) && (src[start+col-1] == ' ' || src[start+col-1] == '\t') {
		col++
	}
	if col != pe.Column {
		return -1
	}
	j := start - 1
	for j >= 0 && (src[j] == ' ' || src[j] == '\t' || src[j] == '\r' || src[j] == '\n') {
		j--
	}
	if j < 0 || src[j] != '}' {
		return -1
	}
	return j + 1
}

// blankHashbang turns a leading #! line into spaces: V8 accepts it in scripts and modules alike
// (the Hashbang Grammar of ES2023), the parser's inline goal does not. Positions are kept.
func blankHashbang(src []byte) []byte {
	if len(src) < 2 || src[0] != '#' || src[1] != '!' {
		return src
	}
	out := append([]byte(nil), src...)
	for i := 0; i < len(out) && out[i] != '\n' && out[i] != '\r'; i++ {
		out[i] = ' '
	}
	return out
}

// errTooDeep is the parser's own nesting bound (1,000 levels), which keeps its recursion and
// memory bounded on hostile input. V8's limit is far higher, so a file past it is not judged: a
// generated file with a long a + b + … chain is legal JavaScript.
var errTooDeep = errors.New("javascript nested deeper than the parser follows")

func syntaxError(err error) error {
	var pe *parse.Error
	if errors.As(err, &pe) {
		if strings.HasPrefix(pe.Message, "too many nested") {
			return fmt.Errorf("%w (line %d, column %d)", errTooDeep, pe.Line, pe.Column)
		}
		return &SyntaxError{Line: pe.Line, Column: pe.Column, Message: pe.Message}
	}
	return &SyntaxError{Line: 1, Column: 1, Message: err.Error()}
}

// commonJSNames are the variables of Node's CommonJS module wrapper
// (nodejs/node · lib/internal/modules/cjs/loader.js, wrapper: exports, require, module,
// __filename, __dirname), undefined in an ES module ("X is not defined in ES module scope").
var commonJSNames = map[string]bool{"require": true, "module": true, "exports": true, "__filename": true, "__dirname": true}

// free reports a use of an undeclared variable and its name.
func free(v *js.Var) (string, bool) {
	for v.Link != nil {
		v = v.Link
	}
	return string(v.Data), v.Decl == js.NoDecl
}

// scan fills the module facts from the AST.
func (m *Module) scan() {
	seen := map[string]bool{}
	for _, st := range m.ast.List {
		switch s := st.(type) {
		case *js.ImportStmt:
			m.moduleSyntax("an import declaration")
			m.Imports = append(m.Imports, Import{Specifier: unquote(s.Module)})
		case *js.ExportStmt:
			m.moduleSyntax("an export declaration")
			if s.Module != nil {
				m.Imports = append(m.Imports, Import{Specifier: unquote(s.Module)})
			}
		}
	}
	// Every node: import.meta anywhere; await and return outside functions.
	js.Walk(&walker{m: m}, m.ast)
	// Unconditional top-level code: CommonJS names and require() calls.
	u := &initScan{m: m, seen: seen}
	for _, st := range m.ast.List {
		u.stmt(st)
	}
}

func (m *Module) moduleSyntax(what string) {
	if !m.ModuleSyntax {
		m.ModuleSyntax, m.ModuleSyntaxWhat = true, what
	}
}

// walker tracks function nesting over the whole AST.
type walker struct {
	m     *Module
	depth int
}

func (w *walker) Enter(n js.INode) js.IVisitor {
	switch n := n.(type) {
	case *js.FuncDecl, *js.ArrowFunc, *js.MethodDecl:
		w.depth++
	case *js.ImportMetaExpr:
		w.m.moduleSyntax("import.meta")
	case *js.UnaryExpr:
		if n.Op == js.AwaitToken && w.depth == 0 {
			w.m.TopLevelAwait = true
		}
	case *js.ForOfStmt:
		if n.Await && w.depth == 0 {
			w.m.TopLevelAwait = true
		}
	case *js.ReturnStmt:
		if w.depth == 0 {
			w.m.TopLevelReturn = true
		}
	}
	return w
}

func (w *walker) Exit(n js.INode) {
	switch n.(type) {
	case *js.FuncDecl, *js.ArrowFunc, *js.MethodDecl:
		w.depth--
	}
}

// initScan follows the code that runs, unconditionally, while the module loads: top-level
// statements and the expressions in them, not function bodies, not the branches of if, ?:, &&,
// || and ??, not try blocks (a catch may handle the ReferenceError), not the operand of typeof
// (which never throws for an undeclared name).
type initScan struct {
	m    *Module
	seen map[string]bool
}

func (u *initScan) stmt(st js.IStmt) {
	switch s := st.(type) {
	case *js.ExprStmt:
		u.expr(s.Value)
	case *js.VarDecl:
		for _, b := range s.List {
			u.expr(b.Default)
		}
	case *js.ExportStmt:
		if s.Decl != nil {
			u.expr(s.Decl)
		}
	case *js.IfStmt:
		u.expr(s.Cond)
	case *js.BlockStmt:
		for _, x := range s.List {
			u.stmt(x)
		}
	case *js.ThrowStmt:
		u.expr(s.Value)
	case *js.ClassDecl:
		u.expr(s.Extends)
	}
}

func (u *initScan) expr(e js.IExpr) {
	switch x := e.(type) {
	case nil:
	case *js.Var:
		if name, ok := free(x); ok && commonJSNames[name] && !u.seen[name] {
			u.seen[name] = true
			u.m.InitCommonJS = append(u.m.InitCommonJS, name)
		}
	case *js.GroupExpr:
		u.expr(x.X)
	case *js.CommaExpr:
		for _, y := range x.List {
			u.expr(y)
		}
	case *js.UnaryExpr:
		if x.Op != js.TypeofToken {
			u.expr(x.X)
		}
	case *js.BinaryExpr:
		u.expr(x.X)
		switch x.Op {
		case js.AndToken, js.OrToken, js.NullishToken, js.AndEqToken, js.OrEqToken, js.NullishEqToken:
		default:
			u.expr(x.Y)
		}
	case *js.CondExpr:
		u.expr(x.Cond)
	case *js.DotExpr:
		if !x.Optional {
			u.expr(x.X)
		}
	case *js.IndexExpr:
		if !x.Optional {
			u.expr(x.X)
			u.expr(x.Y)
		}
	case *js.CallExpr:
		if x.Optional {
			return
		}
		u.expr(x.X)
		for _, a := range x.Args.List {
			u.expr(a.Value)
		}
		if v, ok := x.X.(*js.Var); ok && len(x.Args.List) == 1 {
			if name, isFree := free(v); isFree && name == "require" {
				if lit, ok := x.Args.List[0].Value.(*js.LiteralExpr); ok && lit.TokenType == js.StringToken {
					u.m.Imports = append(u.m.Imports, Import{Specifier: unquote(lit.Data), Require: true})
				}
			}
		}
	case *js.NewExpr:
		u.expr(x.X)
		if x.Args != nil {
			for _, a := range x.Args.List {
				u.expr(a.Value)
			}
		}
	case *js.ObjectExpr:
		for _, p := range x.List {
			if p.Name != nil && p.Name.IsComputed() {
				u.expr(p.Name.Computed)
			}
			switch p.Value.(type) {
			case *js.FuncDecl, *js.ArrowFunc, *js.MethodDecl:
			default:
				u.expr(p.Value)
			}
		}
	case *js.ArrayExpr:
		for _, el := range x.List {
			u.expr(el.Value)
		}
	case *js.TemplateExpr:
		u.expr(x.Tag)
		for _, p := range x.List {
			u.expr(p.Expr)
		}
	case *js.ClassDecl:
		u.expr(x.Extends)
	}
}

// unquote returns a string literal's value for the plain literals module specifiers are; a
// literal with escapes keeps them (such a specifier then resolves to nothing and is skipped).
func unquote(b []byte) string {
	if len(b) >= 2 {
		return string(b[1 : len(b)-1])
	}
	return string(b)
}
