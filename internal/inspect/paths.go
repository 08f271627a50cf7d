package inspect

import (
	"fmt"
	"path"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/handler"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// maxPathFindings caps findings of one path rule per source; a count covers the rest.
const maxPathFindings = 5

// pathRules flags entry names Lambda will not extract as their author meant.
func (k *check) pathRules() {
	k.evaluated(result.PathBackslash, result.PathUnsafe, result.PathDuplicate)
	hfile := "" // the file the handler resolves to, computed once if a duplicate needs it
	for _, t := range append([]*tree{k.view.task}, k.view.layers...) {
		var slash, unsafe []*node
		for _, n := range t.nodes {
			if strings.Contains(n.raw, `\`) {
				slash = append(slash, n)
			}
			if unsafeName(n.raw) {
				unsafe = append(unsafe, n)
			}
		}
		for i, n := range slash {
			if i == maxPathFindings {
				k.add(result.PathBackslash, result.Warning, "", fmt.Sprintf("%d more names in %s contain backslashes.", len(slash)-i, t.src.Name), "")
				break
			}
			k.add(result.PathBackslash, result.Warning, n.raw,
				fmt.Sprintf("Entry %q contains a backslash. Lambda takes it literally: it extracts a file with that name, not %q.", n.raw, slashPath(n.raw)),
				"Create the zip with a tool that writes / separators (zip on Linux or macOS, Compress-Archive in PowerShell 7+, or build-lambda-zip).")
		}
		for i, n := range unsafe {
			if i == maxPathFindings {
				k.add(result.PathUnsafe, result.Warning, "", fmt.Sprintf("%d more unsafe names in %s.", len(unsafe)-i, t.src.Name), "")
				break
			}
			k.add(result.PathUnsafe, result.Warning, n.raw,
				fmt.Sprintf("Entry %q is absolute, climbs out with \"..\" or contains a NUL byte: extractors drop or rewrite it, so it will not be where its name says.", n.raw),
				"Rebuild the zip from inside the package directory with relative paths.")
		}
		for name := range t.dupes {
			sev := result.Warning
			if hfile == "" {
				hfile = k.handlerFile()
			}
			if k.critical(name, hfile) {
				sev = result.Error
			}
			k.add(result.PathDuplicate, sev, name,
				fmt.Sprintf("Entry %q appears %d times in %s; which copy ends up on disk depends on the extractor.", name, t.dupes[name]+1, t.src.Name),
				"Rebuild the zip from a clean directory so every path appears once.")
		}
	}
}

func unsafeName(name string) bool {
	if strings.HasPrefix(name, "/") || strings.ContainsRune(name, 0) {
		return true
	}
	for _, seg := range strings.Split(strings.ReplaceAll(name, `\`, "/"), "/") {
		if seg == ".." {
			return true
		}
	}
	return false
}

// critical reports whether a path is one Lambda starts or loads, so an ambiguity in it matters:
// the bootstrap, the go1.x executable, the exec wrapper, or hfile, the file the handler resolves
// to.
func (k *check) critical(name, hfile string) bool {
	if name == "bootstrap" {
		return true
	}
	h := k.fn.Handler
	if h != "" && name == h {
		return true // go1.x: the handler is the executable
	}
	if w := k.execWrapper(); w != "" && relPath(path.Clean(w)) == name {
		return true
	}
	return hfile == taskRoot+"/"+name
}

// handlerFile is the file the handler resolves to in the function package, or "-" when there is
// none to name.
func (k *check) handlerFile() string {
	if k.fn.Handler == "" || k.view.task == nil || k.view.task.inline {
		return "-"
	}
	res, err := handler.Resolve(viewFS{&k.view}, handler.Runtime{Name: k.rt.Name, Family: k.rt.Family, Arch: k.fn.Architecture, Env: k.fn.Env}, k.fn.Handler)
	if err != nil || res.File == "" {
		return "-"
	}
	return res.File
}
