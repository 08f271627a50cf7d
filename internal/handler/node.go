package handler

import (
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// The Node.js resolver follows the runtime interface client:
//   - nodejs18.x-22.x: aws/aws-lambda-nodejs-runtime-interface-client · src/UserFunction.js
//     (commit da5777a, npm aws-lambda-ric 3.3.0): _moduleRootAndHandler, _splitHandlerString,
//     _tryRequire, _hasFolderPackageJsonTypeModule.
//   - nodejs24.x and later: the same repository · src/utils/handler-path.ts and
//     src/function/module-loader.ts (commit 90b5b5b, npm aws-lambda-ric 4.x), per the comment in
//     src/context/constants.ts that this loader serves nodejs24.x.
// CommonJS resolution (require of an absolute path, require.resolve of a bare name) follows
// https://nodejs.org/api/modules.html#all-together; the search list given to require.resolve
// with options.paths is Module._nodeModulePaths of each path, each followed by the global paths
// (NODE_PATH first), without duplicates (nodejs/node · lib/internal/modules/cjs/loader.js).

// nodeMaxPackageJSON bounds the package.json files read.
const nodeMaxPackageJSON = 1 << 20

// nodeBuiltins are the modules require.resolve answers by name, before any file (Node 20's
// require('module').builtinModules). A handler module named like one loads Node's module, which
// has no handler.
var nodeBuiltins = map[string]bool{}

func init() {
	for _, m := range strings.Fields(`assert assert/strict async_hooks buffer child_process cluster console
		constants crypto dgram diagnostics_channel dns dns/promises domain events fs fs/promises http
		http2 https inspector inspector/promises module net os path path/posix path/win32 perf_hooks
		process punycode querystring readline readline/promises repl stream stream/consumers
		stream/promises stream/web string_decoder sys timers timers/promises tls trace_events tty url
		util util/types v8 vm wasi worker_threads zlib`) {
		nodeBuiltins[m] = true
	}
}

// nodeVersion returns the major version of a nodejsNN.x runtime, or 0.
func nodeVersion(name string) int {
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "nodejs"), ".x"))
	if err != nil {
		return 0
	}
	return n
}

// nodePath is the NODE_PATH the runtime sees: the function's own if it sets one (the runtime's
// bootstrap sets NODE_PATH only when it is unset), else the runtime's default. The default is
// taken from captures of the runtime's environment (nodejs20.x:
// gist.github.com/davidjb/432ea4e1c89f399ec412270539fe126f; nodejs24.x: dash0hq/dash0-lambda-extension
// · opt/node/distro/src/lambdaHandlerResolution.ts) and the layer folders of
// https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html.
func nodePath(rt Runtime) []string {
	v, set := rt.Env["NODE_PATH"]
	if !set {
		v = fmt.Sprintf("/opt/nodejs/node%d/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task", nodeVersion(rt.Name))
	}
	var out []string
	for _, p := range strings.Split(v, ":") {
		if p != "" {
			out = append(out, nodeResolve(TaskRoot, p)) // relative entries are relative to the cwd, /var/task
		}
	}
	return out
}

// nodeResolve is Node's path.resolve for POSIX: the rightmost absolute argument wins, empty
// arguments are ignored, the result is clean and has no trailing slash.
func nodeResolve(parts ...string) string {
	p := ""
	for i := len(parts) - 1; i >= 0; i-- {
		if parts[i] == "" {
			continue
		}
		if p == "" {
			p = parts[i]
		} else {
			p = parts[i] + "/" + p
		}
		if strings.HasPrefix(parts[i], "/") {
			break
		}
	}
	if !strings.HasPrefix(p, "/") {
		p = TaskRoot + "/" + p // the runtime's cwd is /var/task (inferred: LAMBDA_TASK_ROOT)
	}
	return path.Clean(p)
}

// nodeBasename is Node's path.basename for POSIX: trailing slashes are ignored.
func nodeBasename(p string) string {
	p = strings.TrimRight(p, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// nodeHandler is a parsed Node.js handler string.
type nodeHandler struct {
	moduleRoot, module, handlerPath string
}

// parseNodeHandler splits a handler as _moduleRootAndHandler and _splitHandlerString do.
func parseNodeHandler(h string) (nodeHandler, string) {
	// _throwIfInvalidHandler: ".." anywhere is refused.
	if strings.Contains(h, "..") {
		return nodeHandler{}, fmt.Sprintf("'%s' is not a valid handler name. Use absolute paths when specifying root directories in handler names.", h)
	}
	base := nodeBasename(h)
	root := h[:strings.Index(h, base)] // indexOf: the *first* occurrence of the base name
	// FUNCTION_EXPR = /^([^.]*)\.(.*)$/: the module ends at the first dot; "." does not match
	// line terminators, so a handler path containing one does not match.
	dot := strings.IndexByte(base, '.')
	if dot < 0 || strings.ContainsAny(base[dot+1:], "\n\r\u2028\u2029") {
		return nodeHandler{}, "Bad handler"
	}
	return nodeHandler{moduleRoot: root, module: base[:dot], handlerPath: base[dot+1:]}, ""
}

// nodeState carries one Node.js resolution.
type nodeState struct {
	fsys  FS
	rt    Runtime
	tried []string
	// byRequire: the client loads the handler's file with require(), not import().
	byRequire bool
}

func resolveNode(fsys FS, rt Runtime, h string) (Resolution, error) {
	nh, bad := parseNodeHandler(h)
	if bad != "" {
		return Resolution{Verdict: Malformed, ErrorType: "Runtime.MalformedHandlerName", Message: bad}, nil
	}
	s := &nodeState{fsys: fsys, rt: rt}
	x := nodeResolve(TaskRoot, nh.moduleRoot, nh.module)
	r := Resolution{Module: nh.module, File: x}
	var file string
	var err error
	var res Resolution
	if v := nodeVersion(rt.Name); v >= 24 {
		res, file, err = s.loadModule(nh, x)
	} else {
		res, file, err = s.tryRequire(nh, x)
	}
	res.Module, res.Tried = nh.module, s.tried
	if err != nil {
		r.Tried = s.tried
		return finish(r, err)
	}
	if res.Verdict == Found {
		res.File = file
		code, err := s.checkCode(file, nh.handlerPath)
		if err != nil {
			return finish(res, err)
		}
		res.Code = code
		return res, nil
	}
	if res.File == "" {
		res.File = x + ".js"
	}
	if res.Hint == "" {
		hint, err := s.hint(nh, h)
		if err != nil {
			return finish(res, err)
		}
		res.Hint = hint
	}
	return res, nil
}

// notFound is Lambda's answer when no file matches: require's MODULE_NOT_FOUND, which the client
// wraps as Runtime.ImportModuleError.
func nodeNotFound(module string) Resolution {
	return Resolution{Verdict: NotFound, ErrorType: "Runtime.ImportModuleError",
		Message: fmt.Sprintf("Error: Cannot find module '%s'", module)}
}

// tryRequire is UserFunction.js _tryRequire (nodejs18.x-22.x).
func (s *nodeState) tryRequire(nh nodeHandler, x string) (Resolution, string, error) {
	// 1. An existing path (a file without extension, or a directory) is require()d.
	s.tried = append(s.tried, x)
	if ok, err := exists(s.fsys, x); err != nil {
		return Resolution{}, "", err
	} else if ok {
		return s.requireAbs(x, nh.module)
	}
	// 2. x.js is require()d unless the nearest package.json says "type": "module".
	js := x + ".js"
	s.tried = append(s.tried, js)
	jsExists, err := exists(s.fsys, js)
	if err != nil {
		return Resolution{}, "", err
	}
	esm := false
	if jsExists {
		if esm, err = s.typeModule(path.Dir(js)); err != nil {
			return Resolution{}, "", err
		}
		if !esm {
			return s.requireAbs(js, nh.module)
		}
		// 3. import() x.js when the package is ESM ...
		return s.importFile(js)
	}
	// ... then x.mjs, then require() x.cjs.
	mjs, cjs := x+".mjs", x+".cjs"
	s.tried = append(s.tried, mjs, cjs)
	if ok, err := exists(s.fsys, mjs); err != nil {
		return Resolution{}, "", err
	} else if ok {
		return s.importFile(mjs)
	}
	if ok, err := exists(s.fsys, cjs); err != nil {
		return Resolution{}, "", err
	} else if ok {
		return s.requireAbs(cjs, nh.module)
	}
	// 4. require.resolve(module, {paths: [appRoot, moduleRoot]}).
	return s.resolveBare(nh.module, []string{TaskRoot, nh.moduleRoot})
}

// loadModule is module-loader.ts loadModule (nodejs24.x and later): the first existing path of
// x, x.js, x.mjs, x.cjs is import()ed, and Node decides CommonJS or ESM.
func (s *nodeState) loadModule(nh nodeHandler, x string) (Resolution, string, error) {
	for _, ext := range []string{"", ".js", ".mjs", ".cjs"} {
		p := x + ext
		s.tried = append(s.tried, p)
		ok, err := exists(s.fsys, p)
		if err != nil {
			return Resolution{}, "", err
		}
		if ok {
			return s.importFile(p)
		}
	}
	root := strings.TrimSuffix(nh.moduleRoot, "/") // handler-path.ts drops one trailing slash
	return s.resolveBare(nh.module, []string{TaskRoot, path.Join(TaskRoot, root)})
}

// importFile is import() of an existing path: a file loads; a directory cannot be imported.
func (s *nodeState) importFile(p string) (Resolution, string, error) {
	s.byRequire = false
	k, err := stat(s.fsys, p)
	if err != nil {
		return Resolution{}, "", err
	}
	if k == Dir {
		return Resolution{Verdict: NotFound, ErrorType: "Error", File: p,
			Message: fmt.Sprintf("Error [ERR_UNSUPPORTED_DIR_IMPORT]: Directory import '%s' is not supported resolving ES modules", p),
			Hint:    "import() cannot load a directory; name the file (index.mjs) in the handler or rename the directory"}, "", nil
	}
	return Resolution{Verdict: Found}, p, nil
}

// typeModule is _hasFolderPackageJsonTypeModule: the nearest package.json decides, a folder named
// node_modules or the root ends the search, an unreadable package.json counts as CommonJS.
func (s *nodeState) typeModule(folder string) (bool, error) {
	for {
		if strings.HasSuffix(folder, "/node_modules") {
			return false, nil
		}
		pj := join(folder, "package.json")
		ok, err := exists(s.fsys, pj)
		if err != nil {
			return false, err
		}
		if ok {
			pkg, err := s.packageJSON(pj)
			if err != nil {
				return false, err
			}
			return pkg != nil && pkg.Type == "module", nil
		}
		if folder == "/" {
			return false, nil
		}
		folder = path.Dir(folder)
	}
}

// packageJSONFields are the fields of package.json resolution reads.
type packageJSONFields struct {
	Type    any             `json:"type"`
	Main    any             `json:"main"`
	Exports json.RawMessage `json:"exports"`
}

type packageJSON struct {
	Type, Main string
	Exports    bool
}

// packageJSON reads a package.json; nil means unreadable or not an object (ignored, as the client
// and Node's readPackage ignore it).
func (s *nodeState) packageJSON(p string) (*packageJSON, error) {
	if k, err := stat(s.fsys, p); err != nil || k != File {
		return nil, err
	}
	b, err := s.fsys.ReadFile(p, nodeMaxPackageJSON)
	if err != nil {
		return nil, err
	}
	var f packageJSONFields
	if json.Unmarshal(b, &f) != nil {
		return nil, nil
	}
	pkg := &packageJSON{Exports: len(f.Exports) > 0 && string(f.Exports) != "null"}
	pkg.Type, _ = f.Type.(string)
	pkg.Main, _ = f.Main.(string)
	return pkg, nil
}

var nodeExts = []string{".js", ".json", ".node"}

// requireAbs is require() of an absolute path (LOAD_AS_FILE, then LOAD_AS_DIRECTORY).
func (s *nodeState) requireAbs(x, module string) (Resolution, string, error) {
	s.byRequire = true
	f, err := s.loadAsFile(x)
	if err != nil || f != "" {
		return Resolution{Verdict: Found}, f, err
	}
	f, err = s.loadAsDirectory(x)
	if err != nil || f != "" {
		return Resolution{Verdict: Found}, f, err
	}
	r := nodeNotFound(x)
	r.File = x
	return r, "", nil
}

// loadAsFile: X, X.js, X.json, X.node.
func (s *nodeState) loadAsFile(x string) (string, error) {
	if ok, err := isFile(s.fsys, x); err != nil || ok {
		return ifTrue(ok, x), err
	}
	for _, e := range nodeExts {
		if ok, err := isFile(s.fsys, x+e); err != nil || ok {
			return ifTrue(ok, x+e), err
		}
	}
	return "", nil
}

// loadAsDirectory: package.json "main" (as a file, then as a directory's index), then index.
func (s *nodeState) loadAsDirectory(x string) (string, error) {
	if k, err := stat(s.fsys, x); err != nil || k != Dir {
		return "", err
	}
	pkg, err := s.packageJSON(join(x, "package.json"))
	if err != nil {
		return "", err
	}
	if pkg != nil && pkg.Main != "" {
		m := nodeResolve(x, pkg.Main)
		if f, err := s.loadAsFile(m); err != nil || f != "" {
			return f, err
		}
		if f, err := s.loadIndex(m); err != nil || f != "" {
			return f, err
		}
	}
	return s.loadIndex(x)
}

func (s *nodeState) loadIndex(x string) (string, error) {
	for _, e := range nodeExts {
		p := join(x, "index"+e)
		if ok, err := isFile(s.fsys, p); err != nil || ok {
			return ifTrue(ok, p), err
		}
	}
	return "", nil
}

func ifTrue(ok bool, s string) string {
	if ok {
		return s
	}
	return ""
}

// nodeModulePaths is Module._nodeModulePaths on POSIX: every ancestor's node_modules, skipping
// ancestors that are themselves called node_modules, ending with /node_modules.
func nodeModulePaths(from string) []string {
	from = nodeResolve(from)
	var out []string
	for p := from; p != "/"; p = path.Dir(p) {
		if path.Base(p) != "node_modules" {
			out = append(out, p+"/node_modules")
		}
	}
	return append(out, "/node_modules")
}

// resolveBare is require.resolve(request, {paths}) for a bare request, then require() of the
// result.
func (s *nodeState) resolveBare(request string, paths []string) (Resolution, string, error) {
	if request == "" {
		// require.resolve("") throws ERR_INVALID_ARG_VALUE, which the client rethrows as is.
		return Resolution{Verdict: NotFound, ErrorType: "TypeError",
			Message: "TypeError [ERR_INVALID_ARG_VALUE]: The argument 'id' must be a non-empty string. Received ''"}, "", nil
	}
	if nodeBuiltins[request] {
		return Resolution{Verdict: NotFound, ErrorType: "Runtime.HandlerNotFound",
			Message: fmt.Sprintf("the handler's module '%s' is Node's built-in module of that name, which has no such handler", request),
			Hint:    fmt.Sprintf("a module named %q resolves to Node's built-in module before any file; rename the file", request)}, "", nil
	}
	s.byRequire = true
	var lookup []string
	seen := map[string]bool{}
	global := nodePath(s.rt)
	for _, p := range paths {
		for _, d := range append(nodeModulePaths(p), global...) {
			if !seen[d] {
				seen[d] = true
				lookup = append(lookup, d)
			}
		}
	}
	s.tried = append(s.tried, fmt.Sprintf("%s in node_modules folders and NODE_PATH (%s)", request, strings.Join(global, ":")))
	for _, d := range lookup {
		if !underRoots(d) {
			// The runtime's own folders (/var/runtime, /node_modules of the image): their content
			// is the runtime's, not the package's. A handler module is never found there.
			continue
		}
		if k, err := stat(s.fsys, d); err != nil || k != Dir {
			if err != nil {
				return Resolution{}, "", err
			}
			continue
		}
		base := join(d, request)
		if k, err := stat(s.fsys, base); err != nil {
			return Resolution{}, "", err
		} else if k == Dir {
			// A package with "exports" resolves through them (resolveExports); reading the
			// conditions is not worth a false verdict, so any package with exports counts as
			// found.
			pkg, err := s.packageJSON(join(base, "package.json"))
			if err != nil {
				return Resolution{}, "", err
			}
			if pkg != nil && pkg.Exports {
				return Resolution{Verdict: Found}, join(base, "package.json"), nil
			}
		}
		if f, err := s.loadAsFile(base); err != nil || f != "" {
			return Resolution{Verdict: Found}, f, err
		}
		if f, err := s.loadAsDirectory(base); err != nil || f != "" {
			return Resolution{Verdict: Found}, f, err
		}
	}
	r := nodeNotFound(request)
	return r, "", nil
}

// hint explains a Node.js handler that does not resolve, from files the runtime does not load.
func (s *nodeState) hint(nh nodeHandler, h string) (string, error) {
	exts := []string{".js", ".mjs", ".cjs"}
	// A file named with more of the handler: app.v2.handler with app.v2.js.
	base := nodeBasename(h)
	if i := strings.LastIndexByte(base, '.'); i > len(nh.module) {
		longer := base[:i]
		for _, e := range exts {
			p := nodeResolve(TaskRoot, nh.moduleRoot, longer+e)
			if ok, err := isFile(s.fsys, p); err != nil || ok {
				if ok {
					return fmt.Sprintf("found %s, but the Node.js runtime takes the module name up to the first dot of %q: it loads %q, not %q. Rename the file without dots, or re-export the handler from %s%s", p, base, nh.module, longer, nh.module, e), nil
				}
				return "", err
			}
		}
	}
	// A TypeScript file of the module's name: the client tries X, X.js, X.mjs, X.cjs only, and
	// Node's resolution adds no .ts extension (require.resolve of ./index with index.ts is
	// MODULE_NOT_FOUND on Node 24, type stripping or not).
	for _, e := range []string{".ts", ".mts", ".cts"} {
		p := nodeResolve(TaskRoot, nh.moduleRoot, nh.module+e)
		if ok, err := isFile(s.fsys, p); err != nil || ok {
			if ok {
				return fmt.Sprintf("found %s, but the Node.js runtime loads only .js, .mjs and .cjs handler files: compile it to JavaScript (tsc, esbuild, NodejsFunction) and package the output", p), nil
			}
			return "", err
		}
	}
	// A handler into /opt names a layer's file: the layer is missing, or has another layout.
	if strings.HasPrefix(nh.moduleRoot, OptRoot+"/") {
		return fmt.Sprintf("the handler names a file under %s, where layers are extracted: attach the layer that provides %s.js (for example Datadog's, for its handler), or check the layer's layout", OptRoot, nodeResolve(TaskRoot, nh.moduleRoot, nh.module)), nil
	}
	// The same relative path in a layer's node_modules: handler paths are relative to /var/task.
	if !strings.HasPrefix(nh.moduleRoot, "/") {
		for _, dir := range []string{fmt.Sprintf("/opt/nodejs/node%d/node_modules", nodeVersion(s.rt.Name)), "/opt/nodejs/node_modules"} {
			for _, e := range exts {
				p := nodeResolve(dir, nh.moduleRoot, nh.module+e)
				if ok, err := isFile(s.fsys, p); err != nil || ok {
					if ok {
						return fmt.Sprintf("found %s in a layer, but a handler path is relative to /var/task; name it by its absolute path (%s.%s)", p, strings.TrimSuffix(p, e), nh.handlerPath), nil
					}
					return "", err
				}
			}
		}
	}
	return "", nil
}
