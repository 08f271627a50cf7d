package jsmodule

import (
	"fmt"
	"strings"
)

// Node is what one Node.js major does when it loads a file. Lambda's nodejsNN.x runtimes run
// current patch releases of their major (the runtime is updated in place); the facts below are
// those of the patch lines the oracle tests run (20.20, 22.23, 24.22, mk/node.mk).
type Node struct {
	Major int
}

// DetectsModuleSyntax: an ambiguous .js (no "type" in the nearest package.json) that a CommonJS
// compile rejects for ES module syntax is loaded as an ES module. Default since Node 22.7.0
// (nodejs/node · doc/changelogs/CHANGELOG_V22.md, "Module syntax detection is now enabled by
// default") and 20.19.0 (CHANGELOG_V20.md, with require(esm)); the retry is ShouldRetryAsESM in
// src/node_contextify.cc. Node 18 compiles such a file as CommonJS and throws.
func (n Node) DetectsModuleSyntax() bool { return n.Major >= 20 }

// RequiresESM: require() loads an ES module without top-level await, by default since 22.12.0
// and 20.19.0 (CHANGELOG_V22.md / CHANGELOG_V20.md, "require(esm) is now enabled by default";
// doc/api/modules.md, "Loading ECMAScript modules using require()"). With top-level await it
// throws ERR_REQUIRE_ASYNC_MODULE; before, any ES module threw ERR_REQUIRE_ESM.
func (n Node) RequiresESM() bool { return n.Major >= 20 }

// StripsTypes: Node runs .ts/.mts/.cts files by erasing their types, by default since 23.6.0
// and 22.18.0 (doc/api/typescript.md, "Type stripping"), except under node_modules, where it
// throws ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING. Whether Lambda's runtimes leave type
// stripping on is not documented: the oracle's official builds do (inferred for Lambda).
func (n Node) StripsTypes() bool { return n.Major >= 22 }

// PackageType is the "type" field of the nearest package.json: "module", "commonjs", or "" when
// the field is absent (or there is no package.json).
type PackageType string

// Decision is the goal Node compiles a file with, and why.
type Decision struct {
	Goal Goal
	Why  string
}

// Decide is Node's choice of module format for a file loaded from disk (nodejs/node ·
// doc/api/packages.md, "Determining module system"; lib/internal/modules/esm/get_format.js and
// the CommonJS loader's extension handlers): .mjs is an ES module, .cjs CommonJS; a .js or
// extensionless file follows the nearest package.json's "type"; without one, Node's syntax
// detection decides where the major has it (m is the file's parse, module syntax or top-level
// await making it an ES module), else CommonJS.
func (n Node) Decide(ext string, t PackageType, m *Module) Decision {
	switch ext {
	case ".mjs":
		return Decision{ESModule, "its extension is .mjs"}
	case ".cjs":
		return Decision{CommonJS, "its extension is .cjs"}
	}
	switch t {
	case "module":
		return Decision{ESModule, `the nearest package.json has "type": "module"`}
	case "commonjs":
		return Decision{CommonJS, `the nearest package.json has "type": "commonjs"`}
	}
	if n.DetectsModuleSyntax() && m != nil && (m.ModuleSyntax || m.TopLevelAwait) {
		what := m.ModuleSyntaxWhat
		if what == "" {
			what = "top-level await"
		}
		return Decision{ESModule, fmt.Sprintf(`no package.json "type" says otherwise and it has %s, so Node %d's syntax detection loads it as an ES module`, what, n.Major)}
	}
	if m != nil && (m.ModuleSyntax || m.TopLevelAwait) {
		return Decision{CommonJS, fmt.Sprintf(`no package.json says "type": "module" and Node %d has no syntax detection`, n.Major)}
	}
	return Decision{CommonJS, `no package.json says "type": "module"`}
}

// Failure is how loading a file fails, as Lambda reports it: the errorType and errorMessage of
// the init error (a Node error code, which Lambda does not show, follows in parentheses). The
// clients wrap a SyntaxError as Runtime.UserCodeSyntaxError with the message "SyntaxError: ..."
// and rethrow other errors as they are.
type Failure struct {
	ErrorType string
	Message   string
}

// LoadFailure is the failure of loading m, compiled with decision d, by require() (byRequire) or
// import(). Nil when the file loads as far as its format goes.
func (n Node) LoadFailure(d Decision, m *Module, byRequire bool) *Failure {
	switch d.Goal {
	case CommonJS:
		// A CommonJS compile of module syntax throws a SyntaxError, which the runtime interface
		// clients report as Runtime.UserCodeSyntaxError (UserFunction.js _loadUserApp;
		// module-loader.ts loadModule). V8's messages.
		var msg string
		switch {
		case m.ModuleSyntaxWhat == "an import declaration":
			msg = "SyntaxError: Cannot use import statement outside a module"
		case m.ModuleSyntaxWhat == "an export declaration":
			msg = "SyntaxError: Unexpected token 'export'"
		case m.ModuleSyntaxWhat == "import.meta":
			msg = "SyntaxError: Cannot use 'import.meta' outside a module"
		case m.TopLevelAwait:
			msg = "SyntaxError: await is only valid in async functions and the top level bodies of modules"
		default:
			return nil
		}
		return &Failure{"Runtime.UserCodeSyntaxError", msg}
	case ESModule:
		if byRequire && m.TopLevelAwait {
			if n.RequiresESM() {
				return &Failure{"Error", "require() cannot be used on an ESM graph with top-level await. Use import() instead. (ERR_REQUIRE_ASYNC_MODULE)"}
			}
			return &Failure{"Error", "require() of ES Module not supported. (ERR_REQUIRE_ESM)"}
		}
		if byRequire && !n.RequiresESM() {
			return &Failure{"Error", "require() of ES Module not supported. (ERR_REQUIRE_ESM)"}
		}
		if len(m.InitCommonJS) > 0 {
			// The ES module's top-level code uses the CommonJS wrapper's variables: a
			// ReferenceError, thrown as is by the clients (errorType ReferenceError). Node's
			// message (lib/internal/modules/esm/module_job.js, explainCommonJSGlobalLikeNotDefinedError).
			name := m.InitCommonJS[0]
			msg := fmt.Sprintf("%s is not defined in ES module scope", name)
			if name == "require" {
				msg += ", you can use import instead"
			}
			return &Failure{"ReferenceError", msg}
		}
	}
	return nil
}

// TypeScriptFailure is the failure of loading a TypeScript file (.ts, .mts, .cts) at file by
// require() (byRequire) or import, or nil when Node runs it with its types stripped.
// inNodeModules: the file is under a node_modules folder.
func (n Node) TypeScriptFailure(file string, inNodeModules, byRequire bool) *Failure {
	if !n.StripsTypes() {
		if byRequire {
			// Node 20 has no type stripping: require() compiles the file as JavaScript, which
			// fails at the first type annotation.
			return &Failure{"Runtime.UserCodeSyntaxError", fmt.Sprintf("SyntaxError: Unexpected token ':' (Node %d compiles %s as JavaScript; the first type annotation fails)", n.Major, file)}
		}
		// import() has no loader for the extension (lib/internal/modules/esm/get_format.js).
		return &Failure{"TypeError", fmt.Sprintf("Unknown file extension \".ts\" for %s (ERR_UNKNOWN_FILE_EXTENSION)", file)}
	}
	if inNodeModules {
		// lib/internal/modules/typescript.js stripTypeScriptModuleTypes.
		return &Failure{"Error", fmt.Sprintf("Stripping types is currently unsupported for files under node_modules, for \"%s\" (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING)", file)}
	}
	return nil
}

// IsTypeScript reports a TypeScript file name.
func IsTypeScript(name string) bool {
	for _, e := range []string{".ts", ".mts", ".cts"} {
		if strings.HasSuffix(name, e) && !strings.HasSuffix(name, ".d"+e) {
			return true
		}
	}
	return false
}
