package handler

import (
	"fmt"
	"path"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/jsmodule"
)

// Reads of a Node.js handler's code are bounded: the handler's module and the package files it
// imports statically (import declarations, export ... from, require("literal") in top-level
// code), never node_modules code, at most nodeCodeMaxModules files of nodeCodeMaxFile bytes each
// and nodeCodeMaxTotal bytes in all. Past a bound the check says so (jsmodule.Bounded) and
// decides nothing about what it did not read.
// Parsing allocates about 30 bytes per source byte (BenchmarkNodeHandlerCode: 92 MB for a 3 MiB
// bundle), so the largest file read stays within the hook's default 256 MB; each file's AST is
// dropped before the next is read.
const (
	nodeCodeMaxFile    = 4 << 20
	nodeCodeMaxTotal   = 8 << 20
	nodeCodeMaxModules = 64
)

// checkCode reads the handler's module at file (and what it imports) as Node of the runtime's
// major loads them, and returns why the handler cannot run although it is found.
func (s *nodeState) checkCode(file, handlerPath string) ([]jsmodule.Problem, error) {
	if !underRoots(file) || !nodeCodeFile(file) {
		return nil, nil
	}
	node := jsmodule.Node{Major: nodeVersion(s.rt.Name)}
	type item struct {
		file      string
		byRequire bool
	}
	queue := []item{{file, s.byRequire}}
	seen := map[string]bool{file: true}
	var out []jsmodule.Problem
	var total int64
	for i := 0; i < len(queue); i++ {
		it := queue[i]
		if i >= nodeCodeMaxModules {
			out = append(out, jsmodule.Problem{Kind: jsmodule.Bounded, File: it.file,
				Message: fmt.Sprintf("the check reads at most %d modules of the handler's code; %d more were not read", nodeCodeMaxModules, len(queue)-i)})
			break
		}
		r, size, done, err := s.fsys.Open(it.file)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", it.file, err)
		}
		if size > nodeCodeMaxFile || total+size > nodeCodeMaxTotal {
			done()
			out = append(out, jsmodule.Problem{Kind: jsmodule.Bounded, File: it.file,
				Message: fmt.Sprintf("%s has %d bytes, past the check's budget (%d bytes a file, %d in all)", it.file, size, nodeCodeMaxFile, nodeCodeMaxTotal)})
			continue
		}
		src := make([]byte, size)
		n, _ := r.ReadAt(src, 0)
		done()
		if int64(n) < size {
			continue // unreadable entry: the zip rules report it
		}
		total += size
		ext := path.Ext(it.file)
		typ, err := s.packageType(path.Dir(it.file))
		if err != nil {
			return nil, err
		}
		goal := jsmodule.CommonJS // ambiguous: the CommonJS goal also accepts module syntax
		if ext == ".mjs" || (ext != ".cjs" && typ == "module") {
			goal = jsmodule.ESModule
		}
		m, err := jsmodule.Parse(src, goal)
		if se, ok := err.(*jsmodule.SyntaxError); ok {
			out = append(out, jsmodule.Problem{Kind: jsmodule.Syntax, File: it.file, Line: se.Line, Column: se.Column,
				ErrorType: "Runtime.UserCodeSyntaxError", Message: "SyntaxError: " + se.Message})
			continue
		} else if err != nil {
			continue // the parser failed: nothing decided about this file
		}
		d := node.Decide(ext, typ, m)
		if f := node.LoadFailure(d, m, it.byRequire); f != nil {
			how := "import()s"
			if it.byRequire {
				how = "require()s"
			}
			out = append(out, jsmodule.Problem{Kind: jsmodule.Format, File: it.file, ErrorType: f.ErrorType, Message: f.Message,
				Why: fmt.Sprintf("Node %d loads %s as %s because %s, and %s it", node.Major, it.file, d.Goal, d.Why, how)})
			continue
		}
		if i == 0 {
			out = append(out, handlerProblems(node, m, it.file, handlerPath)...)
		}
		for _, imp := range m.Imports {
			target, err := s.resolveImport(it.file, imp)
			if err != nil {
				return nil, err
			}
			switch {
			case target == "":
			case jsmodule.IsTypeScript(target):
				if f := node.TypeScriptFailure(target, strings.Contains(target, "/node_modules/"), imp.Require); f != nil {
					out = append(out, jsmodule.Problem{Kind: jsmodule.TypeScript, File: it.file, ErrorType: f.ErrorType, Message: f.Message,
						Why: fmt.Sprintf("%s %s %q, which resolves to %s", it.file, map[bool]string{true: "require()s", false: "imports"}[imp.Require], imp.Specifier, target)})
				}
			case !strings.Contains(target, "/node_modules/") && nodeCodeFile(target) && !seen[target]:
				seen[target] = true
				queue = append(queue, item{target, imp.Require})
			}
		}
	}
	return out, nil
}

// handlerProblems are the Node.js 24 client's refusals of the exported handler itself.
func handlerProblems(node jsmodule.Node, m *jsmodule.Module, file, handlerPath string) []jsmodule.Problem {
	if node.Major < 24 || strings.Contains(handlerPath, ".") {
		return nil
	}
	f := m.Handler(handlerPath)
	if f == nil {
		return nil
	}
	var out []jsmodule.Problem
	if f.Length >= 3 {
		// src/function/callback-deprecation.ts errorOnDeprecatedCallback, called at init by
		// src/utils/runtime-setup.ts createRuntime; the message is CALLBACK_ERROR_NODEJS24_ABOVE of
		// src/context/constants.ts (npm aws-lambda-ric 4.0.2).
		out = append(out, jsmodule.Problem{Kind: jsmodule.Callback, File: file, ErrorType: "Runtime.CallbackHandlerDeprecated",
			Message: "ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.",
			Why:     fmt.Sprintf("the exported %s declares %d parameters; the client refuses a handler whose length is 3 or more unless it streams", handlerPath, f.Length)})
	}
	if len(f.ContextMethods) > 0 {
		// src/context/context-builder.ts builds the context without succeed, fail and done.
		out = append(out, jsmodule.Problem{Kind: jsmodule.ContextMethods, File: file, ErrorType: "TypeError", AtInvoke: true,
			Message: fmt.Sprintf("context.%s is not a function", f.ContextMethods[0]),
			Why:     fmt.Sprintf("the handler calls context.%s", strings.Join(f.ContextMethods, ", context."))})
	}
	return out
}

// nodeCodeFile: a file Node compiles as JavaScript (not .json, .node, or TypeScript).
func nodeCodeFile(p string) bool {
	switch path.Ext(p) {
	case ".js", ".mjs", ".cjs", "":
		return true
	}
	return false
}

// packageType is the "type" of the nearest package.json above folder, as Node's package scope
// lookup finds it (nodejs/node · lib/internal/modules/package_json_reader.js getPackageScopeConfig:
// the search stops at a node_modules folder and at the root). An unreadable package.json has no
// type.
func (s *nodeState) packageType(folder string) (jsmodule.PackageType, error) {
	for {
		if path.Base(folder) == "node_modules" {
			return "", nil
		}
		pj := join(folder, "package.json")
		k, err := s.fsys.Stat(pj)
		if err != nil {
			return "", err
		}
		if k == File {
			pkg, err := s.packageJSON(pj)
			if err != nil || pkg == nil {
				return "", err
			}
			return jsmodule.PackageType(pkg.Type), nil
		}
		if folder == "/" || folder == "." {
			return "", nil
		}
		folder = path.Dir(folder)
	}
}

// resolveImport resolves a static import of from to a file in the package or a layer, or "" when
// it is Node's own module, not there, or resolved in a way not modelled here (package exports).
// A relative require() resolves as require does (LOAD_AS_FILE, LOAD_AS_DIRECTORY); a relative
// import names the file exactly (ESM resolution adds no extension); a bare name is looked up in
// the node_modules folders above from (and NODE_PATH for require), its package.json "main" and
// index deciding the file.
func (s *nodeState) resolveImport(from string, imp jsmodule.Import) (string, error) {
	spec := imp.Specifier
	if spec == "" || strings.HasPrefix(spec, "node:") || nodeBuiltins[spec] {
		return "", nil
	}
	dir := path.Dir(from)
	quiet := func(f string, err error) (string, error) {
		if err == errUndecided {
			return "", nil
		}
		return f, err
	}
	if strings.HasPrefix(spec, "./") || strings.HasPrefix(spec, "../") || strings.HasPrefix(spec, "/") || spec == "." || spec == ".." {
		x := nodeResolve(dir, spec)
		if !underRoots(x) {
			return "", nil
		}
		if !imp.Require {
			k, err := s.fsys.Stat(x)
			if err != nil || k != File {
				return "", err
			}
			return x, nil
		}
		f, err := s.loadAsFile(x)
		if err != nil || f != "" {
			return quiet(f, err)
		}
		return quiet(s.loadAsDirectory(x))
	}
	name, sub := spec, ""
	parts := strings.SplitN(spec, "/", 3)
	if strings.HasPrefix(spec, "@") && len(parts) >= 2 {
		name = parts[0] + "/" + parts[1]
		sub = strings.TrimPrefix(spec, name)
	} else if i := strings.IndexByte(spec, '/'); i >= 0 {
		name, sub = spec[:i], spec[i:]
	}
	if nodeBuiltins[name] {
		return "", nil
	}
	dirs := nodeModulePaths(dir)
	if imp.Require {
		dirs = append(dirs, nodePath(s.rt)...)
	}
	for _, d := range dirs {
		if !underRoots(d) {
			continue
		}
		base := join(d, name)
		k, err := s.fsys.Stat(base)
		if err != nil {
			return "", err
		}
		if k != Dir {
			continue
		}
		pkg, err := s.packageJSON(join(base, "package.json"))
		if err != nil {
			return quiet("", err)
		}
		if pkg != nil && pkg.Exports {
			return "", nil // resolved through "exports": not modelled
		}
		if sub != "" {
			f, err := s.loadAsFile(base + sub)
			if err != nil || f != "" {
				return quiet(f, err)
			}
			return quiet(s.loadAsDirectory(base + sub))
		}
		return quiet(s.loadAsDirectory(base))
	}
	return "", nil
}
