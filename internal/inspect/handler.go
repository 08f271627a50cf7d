package inspect

import (
	"fmt"
	"path"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
)

// handlerRules checks that a managed runtime's handler names a file Lambda can load. Java and .NET
// handlers name classes inside archives and assemblies and are not checked.
func (k *check) handlerRules() error {
	var exts []string
	switch k.rt.Family {
	case runtimes.FamilyNode:
		exts = []string{".js", ".mjs", ".cjs"}
	case runtimes.FamilyPython:
		exts = []string{".py"}
	case runtimes.FamilyRuby:
		exts = []string{".rb"}
	default:
		return nil
	}
	k.evaluated(result.HandlerMissing)
	h := k.fn.Handler
	dot := strings.LastIndex(h, ".")
	if dot <= 0 || dot == len(h)-1 {
		k.add(result.HandlerMissing, result.Error, "",
			fmt.Sprintf("Handler %q is not of the form file.function.", h),
			fmt.Sprintf("Set Handler to the file (without extension) and the function name, e.g. index.handler for index%s.", exts[0]))
		return nil
	}
	module := strings.TrimPrefix(h[:dot], "./")
	if k.rt.Family == runtimes.FamilyPython {
		// Python accepts both pkg/mod and pkg.mod.
		module = strings.ReplaceAll(module, ".", "/")
	}
	if k.view.task.opaque {
		return nil // the form is all that can be judged without the package
	}
	if k.view.task.inline {
		// Lambda writes inline code to index.js or index.py.
		if module != "index" {
			k.add(result.HandlerMissing, result.Error, "",
				fmt.Sprintf("Inline code (Code.ZipFile) is saved as index%s, but Handler %q loads %q.", exts[0], h, module),
				"Set Handler to index.<function>.")
		}
		return nil
	}
	var candidates []string
	for _, e := range exts {
		candidates = append(candidates, taskRoot+"/"+module+e)
	}
	if k.rt.Family == runtimes.FamilyPython {
		candidates = append(candidates, taskRoot+"/"+module+"/__init__.py", taskRoot+"/"+module+".pyc")
	}
	k.evaluated(result.HandlerNotReadable)
	for _, c := range candidates {
		if n, err := k.view.resolve(c, nil); err == nil && !n.dir {
			k.readableRule(n, h)
			return nil
		} else if err != nil && IsSourceError(err) {
			return err
		}
	}
	if k.rt.Family == runtimes.FamilyPython && k.hasExtensionModule(taskRoot, module) {
		return nil
	}
	if found, unsure := k.inLayers(module, exts); found {
		return nil
	} else if unsure {
		k.add(result.HandlerMissing, result.Warning, module+exts[0],
			fmt.Sprintf("Handler %q needs %s%s, which is not in the function package; a layer that could not be inspected here may provide it.", h, module, exts[0]),
			"Make sure the layer provides the module, or add the file to the function package.")
		return nil
	}
	msg := fmt.Sprintf("Handler %q needs %s (%s), which is in neither the function package nor its layers. Every invoke fails with Runtime.ImportModuleError.", h, module+exts[0], strings.Join(exts, ", "))
	if alt := k.similarFile(module, exts); alt != "" {
		msg += fmt.Sprintf(" Found %s.", alt)
	}
	k.add(result.HandlerMissing, result.Error, module+exts[0], msg,
		"Set Handler to the file's path in the zip without extension, plus the function name (e.g. src/app.handler for src/app.js), or zip the file at that path.")
	return nil
}

// layerDirs are where each runtime family's loader looks inside /opt.
func (k *check) layerDirs() []string {
	switch k.rt.Family {
	case runtimes.FamilyPython:
		ver := strings.TrimPrefix(k.rt.Name, "python")
		return []string{"python/", "python/lib/python" + ver + "/site-packages/"}
	case runtimes.FamilyNode:
		return []string{"nodejs/node_modules/", "nodejs/node" + strings.TrimSuffix(strings.TrimPrefix(k.rt.Name, "nodejs"), ".x") + "/node_modules/"}
	case runtimes.FamilyRuby:
		return []string{"ruby/lib/"}
	}
	return nil
}

// inLayers looks for a module in the layers; unsure is true when a layer's content is unknown.
func (k *check) inLayers(module string, exts []string) (found, unsure bool) {
	for _, dir := range k.layerDirs() {
		for _, e := range exts {
			if n := k.view.lookup(optRoot + "/" + dir + module + e); n != nil {
				return true, false
			}
		}
		if k.view.isDir(optRoot+"/"+dir+module) || (k.rt.Family == runtimes.FamilyPython && k.hasExtensionModule(optRoot+"/"+strings.TrimSuffix(dir, "/"), module)) {
			return true, false
		}
	}
	for _, l := range k.view.layers {
		if l.opaque {
			return false, true
		}
	}
	return false, false
}

// hasExtensionModule finds a compiled Python module (mod.cpython-312-x86_64-linux-gnu.so).
func (k *check) hasExtensionModule(root, module string) bool {
	var trees []*tree
	prefix := strings.TrimPrefix(root, taskRoot)
	if prefix == root {
		trees = k.view.layers
		prefix = strings.TrimPrefix(root, optRoot)
	} else {
		trees = []*tree{k.view.task}
	}
	want := strings.TrimPrefix(prefix+"/"+module+".", "/")
	for _, t := range trees {
		for _, n := range t.nodes {
			if strings.HasPrefix(n.name, want) && strings.HasSuffix(n.name, ".so") {
				return true
			}
		}
	}
	return false
}

// similarFile suggests a file with the handler's base name elsewhere in the package.
func (k *check) similarFile(module string, exts []string) string {
	base := path.Base(module)
	for _, n := range k.view.task.nodes {
		for _, e := range exts {
			if !n.dir && path.Base(n.name) == base+e && !strings.Contains(n.name, "node_modules/") {
				return n.name
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
	k.add(result.HandlerNotReadable, result.Error, n.name,
		fmt.Sprintf("Handler %q loads %s, which has mode %04o: the runtime cannot read it and every invoke fails with Runtime.ImportModuleError (permission denied).", handler, n.name, uint32(n.mode.Perm())),
		fmt.Sprintf("chmod 644 %s (and 755 on its directories) before zipping.", n.name))
}
