package native

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// readWithLoaders reads the binary heads of the states together with the package.json files and
// entry modules of the packages that hold native code, in the same rounds: round 0 reads the
// package.json files and the first head bytes, round 1 the entry modules, later rounds the
// modules an entry requires at load time, while undecided heads are read again, larger.
func (c *checker) readWithLoaders(states []*fileState) error {
	c.fileToPkg = map[int]*npmPkg{}
	c.lockfiles, c.lockAsked, c.rootAsked = map[int]*hiddenLockfile{}, map[int]bool{}, -1
	for _, p := range c.nodePkgs {
		for _, idx := range p.files {
			c.fileToPkg[idx] = p
		}
		p.modules = map[string]*jsRead{}
	}
	return c.readRounds(c.orderUntagged(states), c.loaderRequests, c.loaderContents)
}

// maxPrefetch bounds the JavaScript of one package read whole in round 0, beside its
// package.json: a package's files sit together in the zip, so this costs no extra request and
// spares the later rounds (which each may cost one).
const maxPrefetch = 384 << 10

// loaderRequests lists, per package, its package.json and (for a small package) all its
// JavaScript first, then its entry module, then the modules that requires at load time. Round 0
// also reads npm's hidden lockfiles, which name the selectors whose platform packages were never
// installed.
func (c *checker) loaderRequests(round int) []Request {
	var reqs []Request
	if round == 0 {
		for idx, f := range c.files {
			if !f.Dir && f.Size <= maxLockfile && strings.HasSuffix(f.Name, "node_modules/.package-lock.json") &&
				(!f.Layer || strings.HasPrefix(f.Name, "nodejs/")) {
				c.lockAsked[idx] = true
				reqs = append(reqs, Request{File: idx, Max: f.Size})
			}
			if !f.Dir && !f.Layer && f.Name == "package.json" && f.Size <= maxPackageJSON {
				c.rootAsked = idx
				reqs = append(reqs, Request{File: idx, Max: f.Size})
			}
		}
	}
	// Dependents of a native package that the function does not list itself: all their
	// JavaScript, to see whether they load it at require (see dependentsDefer).
	if round > 0 {
		for _, p := range c.nodePkgs {
			if p.depStage != 1 {
				continue
			}
			p.depStage = 2
			js, total := c.jsFiles(p)
			if total > maxPrefetch {
				p.depIncomplete = true
				continue
			}
			for _, rel := range js {
				if _, have := p.js[rel]; !have {
					reqs = append(reqs, Request{File: p.files[rel], Max: c.files[p.files[rel]].Size})
				}
			}
		}
	}
	for _, p := range c.nodePkgs {
		if !p.relevant || p.platOK {
			continue // a platform package: its selector loads it
		}
		switch p.stage {
		case 0:
			p.stage = 1
			if idx, ok := p.files["package.json"]; ok && c.files[idx].Size <= maxPackageJSON {
				reqs = append(reqs, Request{File: idx, Max: c.files[idx].Size})
			}
			js, total := c.jsFiles(p)
			if total <= maxPrefetch {
				for _, rel := range js {
					reqs = append(reqs, Request{File: p.files[rel], Max: c.files[p.files[rel]].Size})
				}
			}
			continue
		case 1:
			p.stage = 2
			if rel, ok := resolveModule(p, "", entryOf(p.meta)); ok {
				p.modules[rel] = &jsRead{idx: p.files[rel], depth: 0, pos: posEager}
			} else {
				p.incomplete = true
			}
		}
		c.advance(p)
		for _, rel := range sortedKeys(p.modules) {
			m := p.modules[rel]
			if m.done || m.asked {
				continue
			}
			if c.files[m.idx].Size > maxModule {
				m.done = true
				p.incomplete = true
				continue
			}
			m.asked = true
			reqs = append(reqs, Request{File: m.idx, Max: c.files[m.idx].Size})
		}
	}
	return reqs
}

func isJSName(rel string) bool {
	return (strings.HasSuffix(rel, ".js") || strings.HasSuffix(rel, ".cjs") || strings.HasSuffix(rel, ".mjs")) &&
		!strings.Contains(rel, "test/") && !strings.Contains(rel, "node_modules/")
}

// advance analyses the modules of p whose bytes were already read, following their requires.
func (c *checker) advance(p *npmPkg) {
	for changed := true; changed; {
		changed = false
		for _, rel := range sortedKeys(p.modules) {
			m := p.modules[rel]
			if m.done {
				continue
			}
			src, ok := p.js[rel]
			if !ok {
				continue
			}
			m.done = true
			changed = true
			c.analyzeModule(p, rel, m, src)
		}
	}
}

// loaderContents keeps what loaderRequests asked for.
func (c *checker) loaderContents(round int, reqs []Request, got []Content) {
	for i, r := range reqs {
		if i >= len(got) {
			continue
		}
		g := got[i]
		whole := !g.Skipped && g.Err == nil && int64(len(g.Data)) >= c.files[r.File].Size
		if c.lockAsked[r.File] {
			var lock hiddenLockfile
			if whole && json.Unmarshal(g.Data, &lock) == nil {
				c.lockfiles[r.File] = &lock
				c.selectorsFromLockfile(r.File, &lock)
			}
			continue
		}
		if r.File == c.rootAsked && c.files[r.File].Name == "package.json" {
			var meta pkgJSON
			if whole && json.Unmarshal(g.Data, &meta) == nil {
				c.rootMeta = &meta
			}
			continue
		}
		p := c.fileToPkg[r.File]
		if p == nil {
			continue
		}
		rel := strings.TrimPrefix(c.files[r.File].Name, p.dir+"/")
		if !whole && p.depStage == 2 {
			p.depIncomplete = true
		}
		if !whole {
			if m := p.modules[rel]; m != nil {
				m.done = true // unread: its loads stay unknown
				p.incomplete = true
			}
			continue
		}
		if rel == "package.json" {
			var meta pkgJSON
			if json.Unmarshal(g.Data, &meta) == nil {
				p.meta = &meta
			}
			continue
		}
		if p.js == nil {
			p.js = map[string][]byte{}
		}
		p.js[rel] = g.Data
	}
	if round == 0 {
		c.markDependents()
	}
	if round >= 0 {
		for _, p := range c.nodePkgs {
			if p.relevant && !p.platOK {
				c.advance(p)
			}
		}
	}
}

func (c *checker) analyzeModule(p *npmPkg, rel string, m *jsRead, src []byte) {
	mod, err := analyzeJS(src, func(spec string) bool { return c.isNativeSpec(p, spec) }, m.initCalls)
	if err != nil {
		p.incomplete = true
		return
	}
	m.mod = &mod
	for _, s := range mod.sites {
		if s.native {
			continue
		}
		pos := worse(m.pos, s.pos)
		if pos == posLazy {
			continue
		}
		dep, found := resolveModule(p, dirOf(rel), s.spec)
		if !found {
			if !resolvesToData(p, dirOf(rel), s.spec) {
				p.incomplete = true
			}
			continue
		}
		if _, read := p.js[dep]; !read && m.depth+1 >= maxModuleDepth {
			// deeper modules are followed only when already read (a small package's
			// JavaScript is read whole in its first round)
			p.incomplete = true
			continue
		}
		{
			if prev, seen := p.modules[dep]; !seen {
				p.modules[dep] = &jsRead{idx: p.files[dep], depth: m.depth + 1, pos: pos, initCalls: mod.initCalls}
			} else if pos < prev.pos {
				prev.pos = pos
				if prev.mod != nil {
					// seen before through a weaker path: its loads now count at this position
					prev.done = true
				}
			}
		}
	}
}

// maxLockfile bounds the hidden lockfile read.
const maxLockfile = 1 << 20

// hiddenLockfile is npm's node_modules/.package-lock.json (npm 7+; docs.npmjs.com/cli/configuring-npm/package-lock-json
// "hidden lockfiles"): per installed package, whether it is optional, i.e. installed only
// through optionalDependencies.
type hiddenLockfile struct {
	Packages map[string]struct {
		Optional             bool              `json:"optional"`
		Dependencies         map[string]string `json:"dependencies"`
		OptionalDependencies map[string]string `json:"optionalDependencies"`
	} `json:"packages"`
}

// selectorsFromLockfile marks the installed packages whose lockfile entry lists platform
// packages in optionalDependencies (npm records each package's optionalDependencies there):
// when none of those was installed (--omit=optional, or a platform never published), the
// package's own files show no sign of native code, but its loader still looks for one.
func (c *checker) selectorsFromLockfile(idx int, lock *hiddenLockfile) {
	f := c.files[idx]
	root := strings.TrimSuffix(f.Name, "node_modules/.package-lock.json")
	for key, e := range lock.Packages {
		i := strings.Index(key, "node_modules/")
		if i < 0 || len(e.OptionalDependencies) == 0 {
			continue
		}
		var plats map[string]string
		for dep, v := range e.OptionalDependencies {
			if _, ok := ParseNodePlatform(dep[strings.LastIndexByte(dep, '/')+1:]); ok {
				if plats == nil {
					plats = map[string]string{}
				}
				plats[dep] = v
			}
		}
		if plats == nil {
			continue
		}
		for _, p := range c.nodePkgs {
			if p.src == f.Source && p.dir == root+key[i:] {
				p.relevant = true
				p.lockOpt = plats
			}
		}
	}
}

// markDependents finds, for each native package the function's package.json does not list,
// the installed packages that depend on it (hidden lockfile), whose JavaScript is read next.
func (c *checker) markDependents() {
	if c.rootMeta == nil {
		return // without the function's own dependency list, any package may be required directly
	}
	direct := mergeDeps(c.rootMeta)
	for k := range c.rootMeta.DevDependencies {
		direct[k] = ""
	}
	for lockIdx, lock := range c.lockfiles {
		f := c.files[lockIdx]
		if f.Layer {
			continue
		}
		root := strings.TrimSuffix(f.Name, "node_modules/.package-lock.json")
		for key, e := range lock.Packages {
			i := strings.Index(key, "node_modules/")
			if i < 0 {
				continue
			}
			var dependent *npmPkg
			for _, q := range c.nodePresent[key[strings.LastIndex(key, "node_modules/")+len("node_modules/"):]] {
				if q.src == f.Source && q.dir == root+key[i:] {
					dependent = q
				}
			}
			if dependent == nil {
				continue
			}
			for dep := range mergeLockDeps(e.Dependencies, e.OptionalDependencies) {
				for _, x := range c.nodePresent[dep] {
					if !x.relevant || x.platOK || x.src != f.Source {
						continue
					}
					if _, listed := direct[dep]; listed {
						continue
					}
					if x.dependents == nil {
						x.dependents = map[*npmPkg]bool{}
					}
					x.dependents[dependent] = true
					if dependent.depStage == 0 {
						dependent.depStage = 1
					}
				}
			}
		}
	}
}

func mergeLockDeps(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// Whether the packages that depend on a native package load it at init.
type depVerdict int

const (
	depNone     depVerdict = iota // the function lists it itself, or no dependents known
	depEager                      // a dependent requires it at require time
	depDeferred                   // every dependent requires it only in functions or try/catch
	depUnknown                    // a dependent's JavaScript was not read (budget) or understood
)

// dependentsDefer says whether the packages that depend on x (x not being a dependency the
// function lists itself) require it at init, only inside functions or a try/catch with a
// fallback (@sentry/bundler-plugins imports oxc-parser on demand), or cannot be told.
func (c *checker) dependentsDefer(x *npmPkg) (string, depVerdict) {
	if len(x.dependents) == 0 {
		return "", depNone
	}
	var names []string
	unknown := false
	for d := range x.dependents {
		names = append(names, d.name)
		if d.depIncomplete || len(d.js) == 0 {
			unknown = true
			continue
		}
		for rel, src := range d.js {
			// only modules that name x can load it
			if !isJSName(rel) || !bytes.Contains(src, []byte(x.name)) {
				continue
			}
			mod, err := analyzeJS(src, func(spec string) bool { return spec == x.name || strings.HasPrefix(spec, x.name+"/") }, nil)
			if err != nil {
				unknown = true
				continue
			}
			for _, s := range mod.sites {
				if s.native && s.pos == posEager {
					return d.name, depEager
				}
			}
		}
	}
	slices.Sort(names)
	if unknown {
		return strings.Join(names, ", "), depUnknown
	}
	return strings.Join(names, ", "), depDeferred
}

// dependentsNote is the note and whether the finding stays an error, for a native package that
// fails to load here, from how its dependents load it.
func (c *checker) dependentsNote(x *npmPkg) (string, bool) {
	names, v := c.dependentsDefer(x)
	switch v {
	case depDeferred:
		return fmt.Sprintf(" It is not a dependency of the function itself, and %s load it only inside functions or a try/catch, so the function's init does not load it.", names), false
	case depUnknown:
		return fmt.Sprintf(" It is not a dependency of the function itself; whether %s load it at init was not read within the read budget, so this does not block (check the package locally for a full answer).", names), false
	}
	return "", true
}

// optionalOnly says whether npm installed p only as an optional dependency (its hidden
// lockfile marks it "optional"). npm's package.json docs on optionalDependencies: "It is still
// your program's responsibility to handle the lack of the dependency" (ssh2 requires
// cpu-features in a try/catch), so a failed load there does not fail init by itself.
func (c *checker) optionalOnly(p *npmPkg) bool {
	i := strings.LastIndex(p.dir, "node_modules/")
	if i < 0 {
		return false
	}
	lockName := p.dir[:i] + "node_modules/.package-lock.json"
	for idx, lock := range c.lockfiles {
		f := c.files[idx]
		if f.Source != p.src || f.Name != lockName {
			continue
		}
		rel := p.dir[i:]
		for key, e := range lock.Packages {
			if e.Optional && (key == rel || strings.HasSuffix(key, "/"+rel)) {
				return true
			}
		}
	}
	return false
}

// isNativeSpec says whether require(spec) in package p loads an addon: a .node file, a loader
// library, or another package that holds native code (a platform package or one with addons).
func (c *checker) isNativeSpec(p *npmPkg, spec string) bool {
	if strings.HasSuffix(spec, ".node") {
		return true
	}
	if strings.HasPrefix(spec, ".") || strings.HasPrefix(spec, "/") || strings.HasPrefix(spec, "node:") {
		return false
	}
	name := spec
	if parts := strings.SplitN(spec, "/", 3); strings.HasPrefix(spec, "@") && len(parts) >= 2 {
		name = parts[0] + "/" + parts[1]
	} else {
		name = parts[0]
	}
	if nodeLoaderLibraries[name] {
		return true
	}
	if _, ok := ParseNodePlatform(name[strings.LastIndexByte(name, '/')+1:]); ok {
		return true
	}
	for _, q := range c.nodePresent[name] {
		if q.relevant && q != p && (len(q.addons) > 0 || q.gyp) {
			return true
		}
	}
	return false
}

// entryOf is the module require(pkg) loads: exports["."] under the conditions node, require,
// default (nodejs.org/api/packages.html#conditional-exports), else main, else index.js.
func entryOf(m *pkgJSON) string {
	if m == nil {
		return "index.js"
	}
	if len(m.Exports) > 0 {
		var v any
		if json.Unmarshal(m.Exports, &v) == nil {
			if obj, ok := v.(map[string]any); ok {
				if dot, ok := obj["."]; ok {
					v = dot
				} else {
					for k := range obj {
						if strings.HasPrefix(k, ".") {
							v = nil // subpath exports without "."
						}
						break
					}
				}
			}
			if s := exportTarget(v, 0); s != "" {
				return s
			}
		}
	}
	if m.Main != "" {
		return m.Main
	}
	return "index.js"
}

func exportTarget(v any, depth int) string {
	if depth > 8 {
		return ""
	}
	switch v := v.(type) {
	case string:
		return v
	case []any:
		for _, x := range v {
			if s := exportTarget(x, depth+1); s != "" {
				return s
			}
		}
	case map[string]any:
		for _, k := range []string{"node", "require", "default"} {
			if x, ok := v[k]; ok {
				if s := exportTarget(x, depth+1); s != "" {
					return s
				}
			}
		}
	}
	return ""
}

// resolveModule resolves a relative require inside package p as Node's CommonJS loader does
// (nodejs.org/api/modules.html#all-together: X, X.js, X.json, X.node, X/package.json main,
// X/index.js), from the package's file list.
func resolveModule(p *npmPkg, from, spec string) (string, bool) {
	base := path.Clean(path.Join(from, spec))
	if strings.HasPrefix(base, "..") {
		return "", false
	}
	for _, cand := range []string{base, base + ".js", base + ".cjs", base + ".mjs", base + "/index.js", base + "/index.cjs"} {
		if _, ok := p.files[cand]; ok && strings.HasSuffix(cand, "js") {
			return cand, true
		}
	}
	return "", false
}

// resolvesToData: a relative require of a JSON file or an addon, which runs no JavaScript.
func resolvesToData(p *npmPkg, from, spec string) bool {
	base := path.Clean(path.Join(from, spec))
	for _, cand := range []string{base, base + ".json", base + ".node"} {
		if _, ok := p.files[cand]; ok && (strings.HasSuffix(cand, ".json") || strings.HasSuffix(cand, ".node")) {
			return true
		}
	}
	return false
}

// loadVerdict sums up a package's load analysis: where its first native load sits.
func (c *checker) loadVerdict(p *npmPkg) {
	if p.loadSeen || p.loadFile >= 0 {
		return
	}
	best := loadPos(-1)
	for _, rel := range sortedKeys(p.modules) {
		m := p.modules[rel]
		if m.mod == nil {
			continue
		}
		for _, s := range m.mod.sites {
			if !s.native {
				continue
			}
			pos := worse(m.pos, s.pos)
			if best < 0 || pos < best {
				best, p.loadFile = pos, m.idx
			}
		}
	}
	// A load found at require decides; one found only in a function or a try/catch decides
	// only when every module that runs at require was read (an unread one may load eagerly).
	if best == posEager || (best > posEager && !p.incomplete) {
		p.load, p.loadSeen = best, true
		return
	}
	// Every module that runs at require was read and none loads native code (esbuild spawns
	// its binary on the first API call): nothing loads at init.
	if !p.incomplete && len(p.modules) > 0 {
		p.load, p.loadSeen = posLazy, true
		for _, rel := range sortedKeys(p.modules) {
			p.loadFile = p.modules[rel].idx
			break
		}
		return
	}
	// Not found in the modules read: judged as loaded at require, as most packages do.
	p.load = posEager
	if idx, ok := p.files["package.json"]; ok {
		p.loadFile = idx
	}
}

// selectorOf finds the installed package whose optionalDependencies name platform package q.
func (c *checker) selectorOf(q *npmPkg) *npmPkg {
	for _, p := range c.nodePkgs {
		if p.meta != nil && p.src == q.src {
			if _, ok := p.meta.OptionalDependencies[q.name]; ok && p != q && !p.platOK {
				return p
			}
		}
	}
	return nil
}

// loadsAtInit says whether requiring the package loads its native code unguarded at init.
func (c *checker) loadsAtInit(p *npmPkg) bool {
	if p.platOK {
		if s := c.selectorOf(p); s != nil {
			p = s
		} else {
			return true
		}
	}
	c.loadVerdict(p)
	return p.load == posEager
}

func (c *checker) loadPosOf(p *npmPkg) loadPos {
	if p.platOK {
		if s := c.selectorOf(p); s != nil {
			p = s
		}
	}
	c.loadVerdict(p)
	return p.load
}

func (c *checker) loadFileOf(p *npmPkg) int {
	if p.platOK {
		if s := c.selectorOf(p); s != nil {
			p = s
		}
	}
	c.loadVerdict(p)
	if p.loadFile < 0 {
		for _, idx := range p.files {
			return idx
		}
	}
	return p.loadFile
}

func (c *checker) pkgOfFile(idx int) *npmPkg { return c.fileToPkg[idx] }

// platformRules applies the conventions that decide from the package layout and package.json
// whether the loader finds a build at all (native-platform-missing).
func (c *checker) platformRules(cpu string, fixes nodeFixSet) {
	for _, p := range c.nodePkgs {
		if !p.relevant || p.platOK {
			continue
		}
		if msg := c.missingBuild(p, cpu); msg != "" {
			c.loadVerdict(p)
			sev := result.Error
			note := ""
			switch {
			case p.load != posEager:
				sev = result.Warning
				note = fmt.Sprintf(" It is loaded %s (%s), so the function's init does not fail.", p.load, displayPath(c.files[c.loadFileOf(p)]))
			case c.optionalOnly(p):
				sev = result.Warning
				note = " npm installed it only as an optional dependency (node_modules/.package-lock.json), which the packages that use it must do without, so the function's init does not fail on it."
			default:
				if n, blocks := c.dependentsNote(p); !blocks {
					sev, note = result.Warning, n
				}
			}
			c.rep.Findings = append(c.rep.Findings, Finding{Rule: result.NativePlatformMissing, Severity: sev, File: c.loadFileOf(p),
				Message: msg + note, Fix: fixes.platform})
		}
	}
}

// missingBuild explains why p's loader finds no build for this function, or returns "".
func (c *checker) missingBuild(p *npmPkg, cpu string) string {
	where := displayPath(File{Name: p.dir, Layer: p.layer})
	fn := fmt.Sprintf("this %s %s function", c.env.Arch, c.env.Runtime)
	// A platform selector: optionalDependencies naming platform packages (npm installs only
	// those whose os/cpu/libc match the installing machine: npm/cli package-json.md). napi-rs'
	// generated loader (napi-rs/napi-rs cli/src/api/templates/load.ts) tries
	// ./<binaryName>.<platformArchABI>.node, then <package>-<platformArchABI>, then the
	// -wasm32-wasi package; sharp (lovell/sharp lib/sharp.js), esbuild
	// (lib/npm/node-platform.ts), rollup (native.js), lightningcss, @parcel/watcher, lmdb and
	// msgpackr-extract (node-gyp-build-optional-packages) do the same with their own names.
	optional := p.lockOpt
	if p.meta != nil {
		optional = p.meta.OptionalDependencies
	}
	if optional != nil && c.env.Vars["ESBUILD_BINARY_PATH"] == "" && c.env.Vars["NAPI_RS_NATIVE_LIBRARY_PATH"] == "" {
		var all, wanted []string
		for dep := range optional {
			pl, ok := ParseNodePlatform(dep[strings.LastIndexByte(dep, '/')+1:])
			if !ok {
				continue
			}
			all = append(all, dep)
			if c.nodeMatches(pl) {
				wanted = append(wanted, dep)
			}
		}
		// Name the build itself in messages: not a WebAssembly fallback, and the shortest
		// name (@img/sharp-linux-x64 before @img/sharp-libvips-linux-x64).
		slices.SortFunc(wanted, func(a, b string) int {
			wa, wb := strings.Contains(a, "wasm"), strings.Contains(b, "wasm")
			if wa != wb {
				if wa {
					return 1
				}
				return -1
			}
			if len(a) != len(b) {
				return len(a) - len(b)
			}
			return strings.Compare(a, b)
		})
		if len(all) > 0 {
			if c.hasLocalBuild(p) {
				return ""
			}
			// npm installs every optional dependency whose os/cpu/libc match, and the
			// loader needs the ones for this platform (sharp's addon and the libvips it
			// links); a WebAssembly build present instead also loads.
			missing := ""
			for _, w := range wanted {
				if strings.Contains(w, "wasm") {
					if c.reachable(p, w) {
						return ""
					}
					continue
				}
				if !c.reachable(p, w) && missing == "" {
					missing = w
				}
			}
			if missing == "" && len(wanted) > 0 {
				// The platform package must hold a build this runtime's loader takes
				// (node-gyp-build-optional-packages matches its files' abi/napi/libc tags).
				for _, w := range wanted {
					for _, q := range c.nodePresent[w] {
						if why := c.platformPackageUnloadable(q); why != "" {
							return fmt.Sprintf("%s: %s, so requiring %s fails in %s.", displayPath(File{Name: q.dir, Layer: q.layer}), why, p.name, fn)
						}
					}
				}
				return ""
			}
			if missing != "" && missing != wanted[0] && c.reachable(p, wanted[0]) {
				return fmt.Sprintf("%s is installed without %s, which it needs beside it (both are in %s's optionalDependencies for linux-%s): requiring %s fails (\"cannot open shared object file\") in %s.", wanted[0], missing, p.name, cpu, p.name, fn)
			}
			var others []string
			for _, dep := range all {
				if len(c.nodePresent[dep]) > 0 {
					others = append(others, dep)
				}
			}
			slices.Sort(others)
			built := "no platform package at all (installed with --omit=optional or --no-optional?)"
			if len(others) > 0 {
				built = "only " + strings.Join(others, ", ")
			}
			if len(wanted) == 0 {
				return fmt.Sprintf("%s lists platform packages in optionalDependencies, none for linux-%s with glibc: its loader finds no build in %s.", where, cpu, fn)
			}
			return fmt.Sprintf("%s is present with %s, but %s needs %s: its loader fails to find a build.", where, built, fn, wanted[0])
		}
	}
	// node-pre-gyp and prebuild-install: package.json binary.module_path names the folder
	// (mapbox/node-pre-gyp lib/util/versioning.js evaluate(): {node_abi}=node-v<modules>,
	// {napi_build_version}, {platform}, {arch}, {libc}, {configuration}=Release).
	if p.meta != nil && p.meta.Binary != nil && p.meta.Binary.ModulePath != "" && p.meta.Binary.ModuleName != "" {
		want := path.Join(c.preGypPath(p), p.meta.Binary.ModuleName+".node")
		if _, ok := p.files[want]; !ok && len(p.addons) == 0 {
			return fmt.Sprintf("%s loads its addon from %s (package.json binary.module_path, node-pre-gyp's find()), which is not in the package (its install script downloads or builds it): require throws \"Cannot find module\" in %s.", where, want, fn)
		}
		return ""
	}
	// node-gyp-build: prebuilds/ without a match and no build/Release.
	if pre := c.prebuildWinner(p, cpu); pre.present && pre.file == "" && !c.hasBuildDir(p) {
		why := "none for linux-" + cpu + " with glibc"
		if pre.folder != "" {
			rt := nodeRuntimes[c.env.Runtime]
			why = fmt.Sprintf("prebuilds/%s holds none that matches NODE_MODULE_VERSION %d (Node.js %s) or Node-API", pre.folder, rt.Modules, nodeMajor(c.env.Runtime))
		}
		return fmt.Sprintf("%s ships prebuilt addons for %s but %s, and has no build/Release/*.node: node-gyp-build throws \"No native build was found for platform=linux arch=%s\" at require in %s.", where, strings.Join(pre.tuples, ", "), why, cpu, fn)
	}
	// A node-gyp project with no build at all (installed with --ignore-scripts, or built in
	// a step that was not packaged): bindings and node-gyp-build throw.
	if p.gyp && len(p.addons) == 0 {
		return fmt.Sprintf("%s is a node-gyp project (binding.gyp) with no compiled addon (no build/Release/*.node, no prebuilds): it was installed without running its build, and loading it throws \"Could not locate the bindings file\" / \"No native build was found\" in %s.", where, fn)
	}
	return ""
}

// platformPackageUnloadable explains why a platform package's tagged addons hold none for this
// runtime, or returns "".
func (c *checker) platformPackageUnloadable(q *npmPkg) string {
	var root []string
	for rel := range q.files {
		if strings.HasSuffix(rel, ".node") && !strings.Contains(rel, "/") {
			root = append(root, rel)
		}
	}
	pick, tagged := c.pickTagged(root, nodeCPUName(c.env.Arch))
	if !tagged || pick != "" {
		return ""
	}
	slices.Sort(root)
	rt := nodeRuntimes[c.env.Runtime]
	return fmt.Sprintf("its addons (%s) match neither NODE_MODULE_VERSION %d nor Node-API with glibc", strings.Join(root, ", "), rt.Modules)
}

// reachable: an installed copy of package name that p's require can resolve (Node looks in the
// node_modules folders above p, then NODE_PATH, which holds the layers' /opt/nodejs/...:
// nodejs.org/api/modules.html#loading-from-node_modules-folders; a layer's package cannot
// see the function's /var/task/node_modules).
func (c *checker) reachable(p *npmPkg, name string) bool {
	for _, q := range c.nodePresent[name] {
		if q.src == p.src || q.layer || !p.layer {
			return true
		}
	}
	return false
}

// hasLocalBuild: a file in the package itself built for this platform (napi-rs' local
// <name>.<triple>.node, sharp's src/build/Release/sharp-<rt>.node).
func (c *checker) hasLocalBuild(p *npmPkg) bool {
	for _, rel := range p.addons {
		if pl, ok := pathPlatform(rel); ok && c.nodeMatches(pl) {
			return true
		}
	}
	return false
}

func (c *checker) hasBuildDir(p *npmPkg) bool {
	for _, rel := range p.addons {
		if strings.HasPrefix(rel, "build/Release/") || strings.HasPrefix(rel, "build/Debug/") {
			return true
		}
	}
	return false
}

func mergeDeps(m *pkgJSON) map[string]string {
	out := map[string]string{}
	for k, v := range m.Dependencies {
		out[k] = v
	}
	for k, v := range m.OptionalDependencies {
		out[k] = v
	}
	return out
}

// preGypPath evaluates binary.module_path for this runtime.
func (c *checker) preGypPath(p *npmPkg) string {
	rt := nodeRuntimes[c.env.Runtime]
	best := 0
	for _, v := range p.meta.Binary.NapiVersions {
		if v <= rt.NAPI && v > best {
			best = v
		}
	}
	napi := ""
	if best > 0 {
		napi = strconv.Itoa(best)
	}
	label := "node-v" + strconv.Itoa(rt.Modules)
	if napi != "" {
		label = "napi-v" + napi
	}
	r := strings.NewReplacer("{node_abi}", "node-v"+strconv.Itoa(rt.Modules), "{platform}", "linux",
		"{arch}", nodeCPUName(c.env.Arch), "{libc}", "glibc", "{configuration}", "Release",
		"{module_name}", p.meta.Binary.ModuleName, "{napi_build_version}", napi, "{node_napi_label}", label,
		"{name}", p.meta.Name)
	return path.Clean(strings.TrimPrefix(r.Replace(p.meta.Binary.ModulePath), "./"))
}

// jsFiles lists the JavaScript files of p (sorted) and their total size.
func (c *checker) jsFiles(p *npmPkg) (js []string, total int64) {
	for rel, idx := range p.files {
		if isJSName(rel) {
			js = append(js, rel)
			total += c.files[idx].Size
		}
	}
	slices.Sort(js)
	return js, total
}
