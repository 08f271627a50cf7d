// Package handler resolves a managed runtime's Handler string to the file Lambda will load, the way
// each runtime interface client does it, on a read-only view of the filesystem Lambda assembles
// (the function's package at /var/task, its layers merged at /opt). It knows nothing about zips:
// the caller (internal/inspect) provides the view through the FS interface and turns a Resolution
// into findings.
//
// One resolver per runtime family, each written from its runtime interface client's code and cited
// there: Node.js (node.go), Python (python.go), Ruby (ruby.go), Java (java.go), .NET (dotnet.go).
package handler

import (
	"errors"
	"io"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/jsmodule"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
)

// Lambda's roots.
const (
	TaskRoot = "/var/task"
	OptRoot  = "/opt"
)

// Kind is what a path is in the assembled filesystem.
type Kind int

// Kinds. Unknown means the path could exist: a layer whose content could not be read here might
// provide it. Resolvers never turn Unknown into a failure.
const (
	Missing Kind = iota
	File
	Dir
	Unknown
)

func (k Kind) String() string {
	return [...]string{"missing", "file", "directory", "unknown"}[k]
}

// FS is the filesystem Lambda assembles for the function, read-only. Paths are absolute and
// slash-separated (/var/task/index.js, /opt/nodejs/node_modules/x). Every method follows symlinks,
// as the kernel does when the runtime opens a path. An error means the source could not be read
// (the check cannot decide); a path that is simply absent is Missing, not an error.
type FS interface {
	// Stat reports what is at name.
	Stat(name string) (Kind, error)
	// ReadFile returns at most limit bytes of the file at name (package.json and the like).
	ReadFile(name string, limit int64) ([]byte, error)
	// ReadDir returns the names directly inside the directory name (Python extension modules carry
	// a platform tag; Java loads every lib/*.jar), and whether the list is complete (false when an
	// unreadable layer may add names).
	ReadDir(name string) (names []string, complete bool, err error)
	// Open returns the content of the file at name for bounded random access (a JAR's directory),
	// its size, and a function that releases it.
	Open(name string) (r io.ReaderAt, size int64, done func(), err error)
}

// Runtime is what a resolver needs to know about the function.
type Runtime struct {
	Name   string          // nodejs22.x, python3.13, ...
	Family runtimes.Family // which resolver applies
	Arch   string          // x86_64 or arm64 (Python extension module tags)
	// Env is the function's environment: NODE_PATH, PYTHONPATH, RUBYLIB and the like change where
	// the runtime looks.
	Env map[string]string
}

// Verdict is the outcome of a resolution.
type Verdict int

// Verdicts.
const (
	// Found: the runtime will load File.
	Found Verdict = iota
	// NotFound: the runtime cannot load the handler's module or class; every invoke fails.
	NotFound
	// Malformed: the handler string itself is rejected by the runtime.
	Malformed
	// Undecided: the answer depends on something not visible here (an unreadable layer, a JAR too
	// large to open, a module the runtime itself ships). Never a failure.
	Undecided
	// Unchecked: the family has no resolver (Go, OS-only runtimes).
	Unchecked
)

func (v Verdict) String() string {
	return [...]string{"found", "not found", "malformed", "undecided", "unchecked"}[v]
}

// Resolution is what a resolver found.
type Resolution struct {
	Verdict Verdict
	// File is the Lambda path the runtime loads (Found), or the main path it looked for.
	File string
	// Module is the module, file or class name the runtime derives from the handler.
	Module string
	// Tried lists the paths the runtime would try, in order, for messages.
	Tried []string
	// ErrorType and Message are what Lambda reports when the verdict is NotFound or Malformed
	// (Runtime.ImportModuleError and its message).
	ErrorType string
	Message   string
	// Hint explains a likely cause (a file found where the runtime does not look).
	Hint string
	// InitOK is true when the runtime starts anyway and fails at each invoke (Java's missing class).
	InitOK bool
	// Bounded is true for an Undecided verdict reached because the check stops reading (too many
	// or too large JARs), not because a layer is unreadable.
	Bounded bool
	// Code lists why a Found handler's code still cannot run (Node.js: internal/jsmodule).
	Code []jsmodule.Problem
}

// Resolve resolves handler for rt on fsys.
func Resolve(fsys FS, rt Runtime, handler string) (Resolution, error) {
	var r Resolution
	var err error
	switch rt.Family {
	case runtimes.FamilyNode:
		r, err = resolveNode(fsys, rt, handler)
	case runtimes.FamilyPython:
		r, err = resolvePython(fsys, rt, handler)
	case runtimes.FamilyRuby:
		r, err = resolveRuby(fsys, rt, handler)
	case runtimes.FamilyJava:
		r, err = resolveJava(fsys, rt, handler)
	case runtimes.FamilyDotnet:
		r, err = resolveDotnet(fsys, rt, handler)
	default:
		return Resolution{Verdict: Unchecked}, nil
	}
	if err != nil {
		return Resolution{}, err
	}
	return r, nil
}

// errUndecided stops a resolution that met an Unknown path.
var errUndecided = errors.New("undecided")

// stat wraps FS.Stat; it returns errUndecided for Unknown so resolvers can stop early.
func stat(fsys FS, name string) (Kind, error) {
	k, err := fsys.Stat(name)
	if err != nil {
		return Missing, err
	}
	if k == Unknown {
		return Unknown, errUndecided
	}
	return k, nil
}

// isFile reports a regular file (following links) at name.
func isFile(fsys FS, name string) (bool, error) {
	k, err := stat(fsys, name)
	return k == File, err
}

// exists reports anything at name.
func exists(fsys FS, name string) (bool, error) {
	k, err := stat(fsys, name)
	return k == File || k == Dir, err
}

// undecided turns errUndecided into an Undecided resolution.
func finish(r Resolution, err error) (Resolution, error) {
	if errors.Is(err, errUndecided) {
		return Resolution{Verdict: Undecided, Module: r.Module, File: r.File, Tried: r.Tried,
			Hint: "a layer that could not be read here may provide it"}, nil
	}
	return r, err
}

// join joins slash paths without cleaning away a trailing element's meaning.
func join(dir, name string) string {
	if name == "" {
		return dir
	}
	if dir == "/" {
		return "/" + name
	}
	return strings.TrimSuffix(dir, "/") + "/" + name
}

// underRoots reports whether p is inside the package or a layer, the only places whose content
// is known here. Other paths (/var/runtime, /var/lang) hold the runtime's own files.
func underRoots(p string) bool {
	return strings.HasPrefix(p, TaskRoot+"/") || p == TaskRoot || strings.HasPrefix(p, OptRoot+"/") || p == OptRoot
}

// SearchPath is where the runtime looks for a bare module name, in order: NODE_PATH for Node.js,
// the package and layer entries of sys.path for Python, $LOAD_PATH for Ruby.
func SearchPath(rt Runtime) []string {
	switch rt.Family {
	case runtimes.FamilyNode:
		return nodePath(rt)
	case runtimes.FamilyPython:
		return pythonPath(rt)
	case runtimes.FamilyRuby:
		return rubyLoadPath(rt)
	}
	return nil
}
