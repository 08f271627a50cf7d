package handler

import (
	"fmt"
	"strings"
)

// The Python resolver follows aws/aws-lambda-python-runtime-interface-client ·
// awslambdaric/bootstrap.py (_get_handler, commits 46e4c6a and 0184e90): the handler is split at
// its *last* dot into module and function (no dot: Runtime.MalformedHandlerName), a first name
// part (split on ".", before "/" is replaced) that is a built-in module is refused
// (Runtime.BuiltInModuleConflict), importlib.import_module loads the module with "/" read as ".";
// an ImportError becomes Runtime.ImportModuleError, any other exception keeps its own type
// (TypeError for a module name starting with "." or "/"). The function is then looked up with
// getattr (Runtime.HandlerNotFound), which needs the module's code and is not checked here.
//
// Finding a module is CPython's PathFinder/FileFinder (cpython · Lib/importlib/_bootstrap_external.py):
// for each directory, a package folder (with __init__ and a loader suffix) wins, then a module file
// by suffix: extension modules (.cpython-3XY-<triplet>.so, .abi3.so, .so), source (.py), sourceless
// bytecode (.pyc); a folder without __init__ is a namespace package portion, used only when no
// directory on the path has a module or regular package of that name.
//
// sys.path is the documented order (https://docs.aws.amazon.com/lambda/latest/dg/python-package.html
// "Dependency search path and runtime-included libraries"), observed on python3.13 as /var/task,
// /opt/python/lib/python3.X/site-packages, /opt/python, then the runtime's own folders
// (BrandonLWhite/package-python-function · package_python_function/nested_zip_loader.py).

// pythonBuiltins is sys.builtin_module_names of CPython 3.11-3.13 on Linux (build-dependent;
// inferred from a local build). A name here that is also a stdlib module would fail anyway.
var pythonBuiltins = map[string]bool{}

func init() {
	for _, m := range strings.Fields(`_abc _ast _codecs _collections _functools _imp _io _locale
		_operator _signal _sre _stat _string _symtable _thread _tokenize _tracemalloc _typing
		_warnings _weakref atexit builtins errno faulthandler gc itertools marshal posix pwd sys time
		xxsubtype`) {
		pythonBuiltins[m] = true
	}
}

// pythonPath is sys.path as far as it can hold the function's code: the package, the layer
// folders, and any PYTHONPATH folders the function sets (whether a set PYTHONPATH drops the
// /opt/python entries is unconfirmed, so both are searched: more places can only make a handler
// resolve, never a false failure).
func pythonPath(rt Runtime) []string {
	ver := strings.TrimPrefix(rt.Name, "python")
	out := []string{TaskRoot}
	if v := rt.Env["PYTHONPATH"]; v != "" {
		for _, p := range strings.Split(v, ":") {
			if p != "" {
				out = append(out, nodeResolve(TaskRoot, p))
			}
		}
	}
	return append(out, "/opt/python/lib/python"+ver+"/site-packages", "/opt/python")
}

// pythonSuffixes are the loader suffixes in FileFinder's order for this runtime.
func pythonSuffixes(rt Runtime) []string {
	ver := strings.ReplaceAll(strings.TrimPrefix(rt.Name, "python"), ".", "")
	triplet := "x86_64-linux-gnu"
	if rt.Arch == "arm64" {
		triplet = "aarch64-linux-gnu"
	}
	return []string{".cpython-" + ver + "-" + triplet + ".so", ".abi3.so", ".so", ".py", ".pyc"}
}

func resolvePython(fsys FS, rt Runtime, h string) (Resolution, error) {
	dot := strings.LastIndexByte(h, '.')
	if dot < 0 {
		return Resolution{Verdict: Malformed, ErrorType: "Runtime.MalformedHandlerName",
			Message: fmt.Sprintf("Bad handler '%s': not enough values to unpack (expected 2, got 1)", h)}, nil
	}
	// The message names the module as written; the import uses it with "/" read as ".".
	written := h[:dot]
	modname := strings.ReplaceAll(written, "/", ".")
	r := Resolution{Module: modname}
	notFound := func(msg string) Resolution {
		r.Verdict, r.ErrorType = NotFound, "Runtime.ImportModuleError"
		r.Message = fmt.Sprintf("Unable to import module '%s': %s", written, msg)
		return r
	}
	if strings.HasPrefix(modname, ".") {
		// import_module of a relative name without a package raises TypeError.
		r.Verdict, r.ErrorType = NotFound, "TypeError"
		r.Message = fmt.Sprintf("the 'package' argument is required to perform a relative import for '%s'", modname)
		r.Hint = "a handler path must not start with / or ."
		return r, nil
	}
	parts := strings.Split(modname, ".")
	if first, _, _ := strings.Cut(written, "."); pythonBuiltins[first] {
		r.Verdict, r.ErrorType = NotFound, "Runtime.BuiltInModuleConflict"
		r.Message = fmt.Sprintf("Cannot use built-in module %s as a handler module", written)
		return r, nil
	}
	for _, p := range parts {
		if p == "" {
			return notFound(fmt.Sprintf("No module named '%s'", modname)), nil
		}
	}
	sfx := pythonSuffixes(rt)
	search := pythonPath(rt)
	var file string
	for i, name := range parts {
		qual := strings.Join(parts[:i+1], ".")
		r.Tried = append(r.Tried, fmt.Sprintf("%s as a package, extension module (%s), .py or sourceless .pyc in %s", name, sfx[0], strings.Join(search, ", ")))
		spec, err := findSpec(fsys, search, name, sfx)
		if err != nil {
			return finish(r, err)
		}
		switch {
		case spec.file == "" && spec.portions == nil:
			res := notFound(fmt.Sprintf("No module named '%s'", qual))
			if i == 0 {
				res.File = join(TaskRoot, strings.ReplaceAll(modname, ".", "/")+".py")
			}
			hint, err := pythonHint(fsys, rt, h, modname)
			if err != nil {
				return finish(res, err)
			}
			res.Hint = hint
			return res, nil
		case i < len(parts)-1 && !spec.pkg && spec.portions == nil:
			// A module that is not a package cannot hold submodules.
			return notFound(fmt.Sprintf("No module named '%s'; '%s' is not a package", modname, qual)), nil
		}
		if spec.portions != nil && spec.file == "" {
			search = spec.portions // namespace package: its __path__
			file = spec.portions[0]
		} else {
			file = spec.file
			search = []string{spec.dir}
		}
	}
	r.Verdict, r.File = Found, file
	return r, nil
}

// pySpec is what FileFinder found for one name.
type pySpec struct {
	file     string   // the module's file (or a package's __init__)
	dir      string   // a package's folder
	pkg      bool     // a regular package
	portions []string // namespace package portions, when no module or package was found
}

// findSpec is PathFinder.find_spec over search for one name.
func findSpec(fsys FS, search []string, name string, sfx []string) (pySpec, error) {
	var portions []string
	for _, d := range search {
		k, err := stat(fsys, d)
		if err != nil {
			return pySpec{}, err
		}
		if k != Dir {
			continue
		}
		base := join(d, name)
		bk, err := stat(fsys, base)
		if err != nil {
			return pySpec{}, err
		}
		if bk == Dir {
			for _, s := range sfx {
				init := join(base, "__init__"+s)
				if ok, err := isFile(fsys, init); err != nil {
					return pySpec{}, err
				} else if ok {
					return pySpec{file: init, dir: base, pkg: true}, nil
				}
			}
		}
		for _, s := range sfx {
			if ok, err := isFile(fsys, base+s); err != nil {
				return pySpec{}, err
			} else if ok {
				return pySpec{file: base + s}, nil
			}
		}
		if bk == Dir {
			portions = append(portions, base)
		}
	}
	return pySpec{portions: portions}, nil
}

// pythonHint explains a module that does not import.
func pythonHint(fsys FS, rt Runtime, h, modname string) (string, error) {
	rel := strings.ReplaceAll(modname, ".", "/")
	// A dot in a folder name: my.dir/app.handler becomes module my.dir.app.
	if slash := strings.LastIndexByte(h, '/'); slash > 0 && strings.Contains(h[:slash], ".") {
		return fmt.Sprintf("the folder part of %q contains a dot, and Python reads every dot as a package separator; rename the folder", h), nil
	}
	// The module file for another Python version or architecture.
	if names, _, err := fsys.ReadDir(join(TaskRoot, pathDir(rel))); err == nil {
		base := pathBase(rel)
		for _, n := range names {
			if strings.HasPrefix(n, base+".cpython-") && strings.HasSuffix(n, ".so") {
				return fmt.Sprintf("found %s, an extension module built for another Python version or architecture than %s on %s (it needs the tag of %s)", n, rt.Name, rt.Arch, pythonSuffixes(rt)[0]), nil
			}
		}
	}
	return "", nil
}

func pathDir(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

func pathBase(p string) string {
	return p[strings.LastIndexByte(p, '/')+1:]
}
