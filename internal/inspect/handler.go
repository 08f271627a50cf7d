package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/handler"
	"github.com/bootstrap-guard/bootstrap-guard/internal/jsmodule"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
)

// handlerRules checks that a managed runtime's handler names code Lambda can load. The resolution
// itself (which file each runtime loads for a handler string) lives in internal/handler; this
// turns its answer into findings.
func (k *check) handlerRules() error {
	switch k.rt.Family {
	case runtimes.FamilyNode, runtimes.FamilyPython, runtimes.FamilyRuby, runtimes.FamilyJava, runtimes.FamilyDotnet:
	default:
		return nil
	}
	if !k.view.task.opaque { // a wrapper in a package not available here cannot be judged
		if err := k.wrapperRules(); err != nil {
			return err
		}
	}
	k.evaluated(result.HandlerMissing, result.HandlerNotReadable)
	if k.rt.Family == runtimes.FamilyNode {
		k.evaluated(result.HandlerSyntaxError, result.HandlerModuleFormat, result.HandlerCallbackRemoved, result.HandlerContextMethods, result.HandlerTypeScript)
	}
	h := k.fn.Handler
	var fsys handler.FS = viewFS{&k.view}
	if k.view.task.opaque {
		// The package is not available here (a template's S3 object not read): only the handler's
		// form can be judged, so it is resolved against an empty filesystem and only a string the
		// runtime rejects is reported.
		fsys = emptyFS{}
	}
	if k.view.task.inline {
		// Lambda writes inline code (Code.ZipFile) to index.js or index.py.
		file := map[runtimes.Family]string{runtimes.FamilyNode: "index.js", runtimes.FamilyPython: "index.py"}[k.rt.Family]
		if file == "" {
			return nil
		}
		fsys = inlineFS{taskRoot + "/" + file}
	}
	rt := handler.Runtime{Name: k.rt.Name, Family: k.rt.Family, Arch: k.fn.Architecture, Env: k.fn.Env}
	res, err := handler.Resolve(fsys, rt, h)
	if err != nil {
		return fmt.Errorf("resolve handler %q: %w", h, err)
	}
	if k.view.task.opaque {
		if res.Verdict == handler.Malformed {
			k.add(result.HandlerMissing, result.Error, "", fmt.Sprintf("Handler %q: the %s runtime rejects the handler string. Every invoke fails with %s: %s.", h, k.rt.Name, res.ErrorType, res.Message), handlerFix(k.rt.Family))
		}
		return nil
	}
	wrapper := k.execWrapper()
	switch {
	case res.Verdict == handler.Found:
		if k.view.task.inline {
			return nil
		}
		_, n, err := k.view.resolvePath(res.File, nil)
		if err != nil {
			if IsSourceError(err) {
				return err
			}
			return nil
		}
		k.readableRule(n, h)
		k.traversableRule(n, "the handler's file "+n.name)
		k.codeRules(res, h, wrapper)
	case res.Verdict == handler.Undecided && res.Bounded:
		k.add(result.HandlerMissing, result.Info, relPath(res.File),
			fmt.Sprintf("Handler %q: not checked whether the runtime finds %s, because %s.", h, res.Module, res.Hint),
			"Nothing to do if the function runs; the check reads a bounded part of large packages.")
	case res.Verdict == handler.Undecided:
		k.add(result.HandlerMissing, result.Warning, relPath(res.File),
			fmt.Sprintf("Handler %q needs %s, which is not in the function package; a layer that could not be inspected here may provide it.", h, res.File),
			"Make sure the layer provides the module, or add the file to the function package.")
	case res.Verdict == handler.NotFound || res.Verdict == handler.Malformed:
		msg := fmt.Sprintf("Handler %q: ", h)
		if res.Verdict == handler.Malformed {
			msg += fmt.Sprintf("the %s runtime rejects the handler string", k.rt.Name)
		} else {
			msg += fmt.Sprintf("the %s runtime cannot load %s", k.rt.Name, res.Module)
			if len(res.Tried) > 0 {
				msg += " (tried " + strings.Join(res.Tried[:min(len(res.Tried), 6)], ", ") + ")"
			}
		}
		when := "Every invoke fails"
		if res.InitOK {
			when = "The function starts, but every invoke fails"
		}
		msg += fmt.Sprintf(". %s with %s: %s.", when, res.ErrorType, res.Message)
		hint := res.Hint
		if hint == "" && res.Verdict == handler.NotFound {
			hint = k.similarFile(res.Module)
		}
		if hint != "" {
			msg += " Hint: " + hint + "."
		}
		sev := result.Error
		if wrapper != "" {
			sev = result.Warning
			msg += fmt.Sprintf(" AWS_LAMBDA_EXEC_WRAPPER is set (%s): the wrapper starts first and may serve requests without the runtime's handler (the Lambda Web Adapter does), so this is a warning.", wrapper)
		}
		k.add(result.HandlerMissing, sev, relPath(res.File), msg, handlerFix(k.rt.Family))
	}
	return nil
}

// handlerFix is the remediation of handler-missing per runtime family.
func handlerFix(f runtimes.Family) string {
	switch f {
	case runtimes.FamilyNode:
		return "Set Handler to the file's path in the zip without extension plus the export (src/app.handler for src/app.js). The module name ends at the first dot, paths are relative to /var/task, and a layer's file is named by its absolute path (/opt/nodejs/node_modules/pkg/file.handler)."
	case runtimes.FamilyPython:
		return "Set Handler to module.function, the module being the file's path in the zip without .py, with / or . between folders (src/app.handler for src/app.py), or zip the file at that path."
	case runtimes.FamilyRuby:
		return "Set Handler to file.method or file.Module::Class.method, file being the .rb file's path in the zip without extension."
	case runtimes.FamilyJava:
		return "Set Handler to package.Class::method (or package.Class for a RequestHandler), with the class at the zip root (com/example/Handler.class) or in a JAR under lib/."
	case runtimes.FamilyDotnet:
		return "Set Handler to Assembly::Namespace.Type::Method, with Assembly.dll at the zip root (dotnet lambda package and dotnet publish put it there)."
	}
	return "Set Handler to code the package contains."
}

// relPath is a Lambda path as a path inside the package or layer.
func relPath(p string) string {
	if r, ok := strings.CutPrefix(p, taskRoot+"/"); ok {
		return r
	}
	if r, ok := strings.CutPrefix(p, optRoot+"/"); ok {
		return r
	}
	return p
}

// similarFile suggests a file with the handler module's base name elsewhere in the package.
func (k *check) similarFile(module string) string {
	exts := map[runtimes.Family][]string{
		runtimes.FamilyNode:   {".js", ".mjs", ".cjs"},
		runtimes.FamilyPython: {".py"},
		runtimes.FamilyRuby:   {".rb"},
	}[k.rt.Family]
	base := path.Base(strings.ReplaceAll(module, ".", "/"))
	if k.rt.Family != runtimes.FamilyPython {
		base = path.Base(module)
	}
	for _, n := range k.view.task.nodes {
		for _, e := range exts {
			if !n.dir && path.Base(n.name) == base+e && !strings.Contains(n.name, "node_modules/") {
				return "found " + n.name + " in the package"
			}
		}
	}
	return ""
}

// readableRule flags a handler file Lambda's user cannot read: the runtime runs as a user that is
// neither the file's owner nor in its group, so it needs o+r. A file stored without a Unix mode is
// extracted readable.
func (k *check) readableRule(n *node, handler string) {
	if !n.hasMode || modeIsReadableByOthers(n.mode) {
		return
	}
	if n.foreignHost {
		k.foreignHostRule(n, "The handler's file "+n.name, "readable")
		return
	}
	k.add(result.HandlerNotReadable, result.Error, n.name,
		fmt.Sprintf("Handler %q loads %s, which has mode %04o: the runtime cannot read it and every invoke fails with Runtime.ImportModuleError (permission denied).", handler, n.name, uint32(n.mode.Perm())),
		fmt.Sprintf("chmod 644 %s (and 755 on its directories) before zipping.", n.name))
}

// execWrapper returns AWS_LAMBDA_EXEC_WRAPPER when the runtime honours it: every managed runtime,
// not the OS-only ones (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html).
func (k *check) execWrapper() string {
	if k.rt.OSOnly() || k.rt.Family == runtimes.FamilyGo {
		return ""
	}
	return k.fn.Env["AWS_LAMBDA_EXEC_WRAPPER"]
}

// viewFS is the assembled filesystem as internal/handler reads it.
type viewFS struct{ v *fsView }

// opaqueLayers reports whether a layer's content is unknown here.
func (v *fsView) opaqueLayers() bool {
	for _, l := range v.layers {
		if l.opaque {
			return true
		}
	}
	return false
}

func (f viewFS) Stat(p string) (handler.Kind, error) {
	switch p = path.Clean(p); p {
	case "/", "/var", taskRoot, optRoot:
		return handler.Dir, nil
	}
	cur, n, err := f.v.resolvePath(p, nil)
	if err != nil {
		if IsSourceError(err) {
			return handler.Missing, err
		}
		if errors.Is(err, errLinkMissing) && f.v.isDir(cur) {
			return handler.Dir, nil
		}
		if f.v.opaqueLayers() && (cur == optRoot || strings.HasPrefix(cur, optRoot+"/")) {
			return handler.Unknown, nil
		}
		return handler.Missing, nil
	}
	switch {
	case n.dir || (n.hasMode && n.mode.IsDir()):
		return handler.Dir, nil
	case n.hasMode && !n.mode.IsRegular():
		return handler.Missing, nil // a FIFO or device: nothing a runtime loads
	}
	return handler.File, nil
}

func (f viewFS) ReadFile(p string, limit int64) ([]byte, error) {
	r, size, done, err := f.Open(p)
	if err != nil {
		return nil, err
	}
	defer done()
	b := make([]byte, min(size, limit))
	got, err := r.ReadAt(b, 0)
	if got < len(b) && err != nil && !errors.Is(err, io.EOF) {
		if IsSourceError(err) {
			return nil, err
		}
		return nil, nil // corrupt entry: read as empty, which every parser here ignores
	}
	return b[:got], nil
}

func (f viewFS) Open(p string) (io.ReaderAt, int64, func(), error) {
	_, n, err := f.v.resolvePath(p, nil)
	if err != nil {
		if IsSourceError(err) {
			return nil, 0, nil, err
		}
		return bytes.NewReader(nil), 0, func() {}, nil
	}
	r, size, done, err := n.t.open(n)
	if err != nil {
		if IsSourceError(err) {
			return nil, 0, nil, err
		}
		return bytes.NewReader(nil), 0, func() {}, nil
	}
	return r, size, done, nil
}

func (f viewFS) ReadDir(p string) ([]string, bool, error) {
	cur, _, err := f.v.resolvePath(path.Clean(p), nil)
	if err != nil && IsSourceError(err) {
		return nil, false, err
	}
	var trees []*tree
	var rel string
	switch {
	case cur == taskRoot || strings.HasPrefix(cur, taskRoot+"/"):
		trees, rel = []*tree{f.v.task}, strings.TrimPrefix(strings.TrimPrefix(cur, taskRoot), "/")
	case cur == optRoot || strings.HasPrefix(cur, optRoot+"/"):
		trees, rel = f.v.layers, strings.TrimPrefix(strings.TrimPrefix(cur, optRoot), "/")
	default:
		return nil, true, nil
	}
	prefix := ""
	if rel != "" {
		prefix = rel + "/"
	}
	seen := map[string]bool{}
	var names []string
	addName := func(name string) {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok || rest == "" {
			return
		}
		first, _, _ := strings.Cut(rest, "/")
		if !seen[first] {
			seen[first] = true
			names = append(names, first)
		}
	}
	complete := true
	for _, t := range trees {
		if t == nil {
			continue
		}
		if t.opaque {
			complete = false
		}
		for _, n := range t.nodes {
			addName(n.name)
		}
		for d := range t.dirs {
			addName(d)
		}
	}
	return names, complete, nil
}

// inlineFS is the package of inline code: one file.
type inlineFS struct{ file string }

func (f inlineFS) Stat(p string) (handler.Kind, error) {
	switch p = path.Clean(p); {
	case p == f.file:
		return handler.File, nil
	case p == "/" || p == "/var" || p == taskRoot || p == optRoot:
		return handler.Dir, nil
	}
	return handler.Missing, nil
}
func (f inlineFS) ReadFile(string, int64) ([]byte, error) { return nil, nil }
func (f inlineFS) ReadDir(p string) ([]string, bool, error) {
	if path.Clean(p) == taskRoot {
		return []string{path.Base(f.file)}, true, nil
	}
	return nil, true, nil
}
func (f inlineFS) Open(string) (io.ReaderAt, int64, func(), error) {
	return bytes.NewReader(nil), 0, func() {}, nil
}

// wrapperRules checks AWS_LAMBDA_EXEC_WRAPPER as the runtime's bootstrap uses it: the managed
// runtimes' bootstrap scripts test that the wrapper is a file ("…: does not exist", exit 127) and
// executable ("…: is not an executable", exit 126), then exec it with the runtime's command line
// (aws/aws-lambda-dotnet · Libraries/src/Amazon.Lambda.RuntimeSupport/bootstrap.sh; the python and
// nodejs bootstraps do the same, per handler-resolution.md). The kernel then needs what it needs of
// a bootstrap: a Linux ELF of the function's architecture or a #! script with an LF line end, so
// the bootstrap's checks run here under the exec-wrapper-* IDs.
func (k *check) wrapperRules() error {
	w := k.execWrapper()
	if w == "" {
		return nil
	}
	k.evaluated(result.ExecWrapperMissing, result.PathNotTraversable, result.ModeForeignHost)
	label := "AWS_LAMBDA_EXEC_WRAPPER " + w
	p := w
	if !strings.HasPrefix(p, "/") {
		p = taskRoot + "/" + p // the bootstrap runs in /var/task (inferred: LAMBDA_TASK_ROOT is its cwd)
	}
	p = path.Clean(p)
	if !underRoots(p) {
		// A program of the runtime image (/usr/bin/env, /var/lang/bin/node): not in the package,
		// so nothing here can say it is missing.
		return nil
	}
	n := k.view.lookup(p)
	if n == nil {
		// The parent folders may be links: resolve them, then look at the last element.
		cur, dirNode, err := k.view.resolvePath(path.Dir(p), nil)
		if err != nil && IsSourceError(err) {
			return err
		}
		if dirNode != nil || k.view.isDir(cur) {
			n = k.view.lookup(cur + "/" + path.Base(p))
		}
	}
	if n == nil {
		if k.view.opaqueLayers() && strings.HasPrefix(p, optRoot+"/") {
			k.add(result.ExecWrapperMissing, result.Warning, p,
				fmt.Sprintf("%s is not in the function package; a layer that could not be inspected here must provide it.", label),
				"Make sure the wrapper's layer is attached, or check it with --layer.")
			return nil
		}
		msg := fmt.Sprintf("%s is in neither the function package nor its layers. The runtime's bootstrap prints \"%s: does not exist\" and exits with status 127: every invoke fails with Runtime.ExitError.", label, w)
		if k.view.task.inline {
			msg = fmt.Sprintf("%s cannot be in inline code (Code.ZipFile), which holds one source file. The runtime's bootstrap prints \"%s: does not exist\" and exits with status 127.", label, w)
		}
		k.add(result.ExecWrapperMissing, result.Error, p, msg,
			"Attach the layer that provides the wrapper (the Lambda Web Adapter's layer gives /opt/bootstrap), put the script in the package and name it /var/task/<path>, or remove AWS_LAMBDA_EXEC_WRAPPER.")
		return nil
	}
	return k.executableAs(n, label, wrapperExe)
}

// traversableRule flags a folder above an entry point that Lambda's user cannot enter: the
// function runs as a user that is neither owner nor group of the extracted files, so every folder
// on the path needs o+x (https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-deployment.html:
// folders need 755). Only folders the zip stores with a Unix mode are judged; a folder without an
// entry is created by the extractor with a default mode.
func (k *check) traversableRule(n *node, label string) {
	k.evaluated(result.PathNotTraversable, result.ModeForeignHost)
	if n.t == nil || n.t.zr == nil {
		return
	}
	for d := path.Dir(n.name); d != "." && d != "/"; d = path.Dir(d) {
		dn := n.t.byName[d]
		if dn == nil || !dn.hasMode || !dn.dir {
			continue
		}
		if dn.mode&0o001 != 0 {
			continue
		}
		if dn.foreignHost {
			k.foreignHostRule(dn, "folder "+d+" above "+label, "traversable")
			continue
		}
		k.add(result.PathNotTraversable, result.Error, dn.name,
			fmt.Sprintf("Folder %s has mode %04o: Lambda's user (neither owner nor group) cannot enter it, so %s under it cannot be opened: \"permission denied\" at start (Runtime.InvalidEntrypoint for a bootstrap, Runtime.ImportModuleError for a handler, exit 126 for a wrapper).", d, uint32(dn.mode.Perm()), label),
			fmt.Sprintf("chmod 755 %s (and every folder on the way) before zipping; find . -type d -exec chmod 755 {} +.", d))
		return
	}
}

// foreignHostRule warns about a mode stored under a non-Unix creator byte (NTFS 10, VFAT 14, OS X
// 19): zip's APPNOTE 4.4.2 ties the external attributes to the creator. Info-ZIP unzip 6.0
// (unix/unix.c mapattr) and bsdtar 3.6 ignore the high 16 bits for these creators and extract
// files 0644/0664 and folders 0755/0775 (checked locally on zips written by Python's zipfile with
// create_system 10, 14 and 19), while Go's archive/zip (FileHeader.Mode) applies them. What
// Lambda's extractor does is not documented, so a verdict that depends on it is a warning.
func (k *check) foreignHostRule(n *node, label, what string) {
	k.evaluated(result.ModeForeignHost)
	if !n.foreignHost || n.zf == nil {
		return
	}
	host := map[byte]string{10: "NTFS (10)", 14: "VFAT (14)", 19: "OS X (19)"}[n.zf.CreatorOS]
	if host == "" {
		host = fmt.Sprintf("%d", n.zf.CreatorOS)
	}
	var msg string
	switch what {
	case "executable":
		msg = fmt.Sprintf("%s has Unix mode %04o, stored under the non-Unix creator %s. Go's archive/zip honours it and the file is executable; Info-ZIP unzip and bsdtar ignore it and extract the file 0644, without execute permission (\"permission denied\"). Which one Lambda follows is not documented.", label, uint32(n.mode.Perm()), host)
	case "readable":
		msg = fmt.Sprintf("%s has Unix mode %04o (not readable by others), stored under the non-Unix creator %s. Extractors that honour it (Go's archive/zip) leave the file unreadable to Lambda's user; Info-ZIP unzip and bsdtar ignore it and extract it readable. Which one Lambda follows is not documented.", label, uint32(n.mode.Perm()), host)
	default:
		msg = fmt.Sprintf("%s has Unix mode %04o (no execute for others), stored under the non-Unix creator %s. Extractors that honour it (Go's archive/zip) make the folder impassable to Lambda's user; Info-ZIP unzip and bsdtar ignore it (0755). Which one Lambda follows is not documented.", label, uint32(n.mode.Perm()), host)
	}
	k.add(result.ModeForeignHost, result.Warning, n.name, msg,
		"Rebuild the zip with a tool that writes a Unix creator (zip on Linux/macOS, bsdtar, build-lambda-zip, or 7-Zip/Python with explicit modes) so every extractor agrees.")
}

// emptyFS is a filesystem with nothing in it, for judging a handler string without its package.
type emptyFS struct{}

func (emptyFS) Stat(string) (handler.Kind, error) { return handler.Missing, nil }
func (emptyFS) ReadFile(p string, _ int64) ([]byte, error) {
	return nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
}
func (emptyFS) ReadDir(string) ([]string, bool, error) { return nil, true, nil }
func (emptyFS) Open(p string) (io.ReaderAt, int64, func(), error) {
	return nil, 0, nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
}

// codeRules reports why a found Node.js handler still cannot run: internal/handler reads the
// handler's module and what it imports with internal/jsmodule, which knows Node's and the runtime
// interface client's behaviour; here each problem becomes a finding of its rule.
func (k *check) codeRules(res handler.Resolution, h, wrapper string) {
	rules := map[jsmodule.Kind]result.RuleID{
		jsmodule.Syntax:         result.HandlerSyntaxError,
		jsmodule.Format:         result.HandlerModuleFormat,
		jsmodule.Callback:       result.HandlerCallbackRemoved,
		jsmodule.ContextMethods: result.HandlerContextMethods,
		jsmodule.TypeScript:     result.HandlerTypeScript,
		jsmodule.Bounded:        result.HandlerSyntaxError,
	}
	fixes := map[jsmodule.Kind]string{
		jsmodule.Syntax:         "Fix the syntax error (node --check FILE shows it), then rebuild the package.",
		jsmodule.Format:         "Use one module format per file: ES modules (import/export) in .mjs or under a package.json with \"type\": \"module\"; CommonJS (require/module.exports) in .cjs or without it. Bundlers set this with their format option (esbuild --format=cjs|esm, NodejsFunction's bundling.format).",
		jsmodule.Callback:       "Make the handler async (export const handler = async (event, context) => result) and return or throw instead of calling the callback; or stay on nodejs22.x until it is rewritten.",
		jsmodule.ContextMethods: "Return the result (or throw) from an async handler instead of calling context.succeed/fail/done.",
		jsmodule.TypeScript:     "Compile TypeScript to JavaScript before packaging (tsc, esbuild, NodejsFunction), and point package.json \"main\" at the compiled file.",
	}
	for _, p := range res.Code {
		file := relPath(p.File)
		if p.Kind == jsmodule.Bounded {
			k.add(result.HandlerSyntaxError, result.Info, file,
				fmt.Sprintf("Handler %q: the handler's code was not read past this point, because %s; nothing is decided about what was not read.", h, p.Message),
				"Nothing to do if the function runs; the check reads a bounded part of the handler's code.")
			continue
		}
		where := file
		if p.Line > 0 {
			where = fmt.Sprintf("%s:%d:%d", file, p.Line, p.Column)
		}
		when := "Every invoke fails: the runtime cannot initialize and reports"
		if p.AtInvoke {
			when = "The function starts, but every invoke that reaches the call fails with"
		}
		lead := map[jsmodule.Kind]string{
			jsmodule.Syntax:         where + " does not parse",
			jsmodule.Format:         where + " is loaded in a module format its code cannot run in",
			jsmodule.Callback:       "the handler exported by " + where + " takes a callback",
			jsmodule.ContextMethods: "the handler exported by " + where + " calls context methods the runtime no longer provides",
			jsmodule.TypeScript:     where + " imports TypeScript this runtime cannot load",
		}[p.Kind]
		msg := fmt.Sprintf("Handler %q on %s: %s. %s %s: %s", h, k.rt.Name, lead, when, p.ErrorType, p.Message)
		if p.Why != "" {
			msg += fmt.Sprintf(" (%s)", p.Why)
		}
		sev := result.Error
		if wrapper != "" && !p.AtInvoke {
			sev = result.Warning
			msg += fmt.Sprintf(" AWS_LAMBDA_EXEC_WRAPPER is set (%s): the wrapper starts first and may serve requests without the runtime's handler, so this is a warning.", wrapper)
		}
		k.add(rules[p.Kind], sev, file, msg, fixes[p.Kind])
	}
}
