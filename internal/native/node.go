package native

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
)

// nodePackage splits a path inside node_modules into the package name and the path inside it:
// "node_modules/@img/sharp-linux-x64/lib/x.node" -> "@img/sharp-linux-x64", "node_modules/@img/sharp-linux-x64", "lib/x.node".
// Layers hold Node.js packages under nodejs/ (nodejs/node_modules, nodejs/node20/node_modules:
// docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths).
func nodePackage(f File) (name, dir, rel string, ok bool) {
	if f.Layer && !strings.HasPrefix(f.Name, "nodejs/") {
		return "", "", "", false
	}
	i := strings.LastIndex(f.Name, "node_modules/")
	if i < 0 || (i > 0 && f.Name[i-1] != '/') {
		return "", "", "", false
	}
	after := f.Name[i+len("node_modules/"):]
	parts := strings.SplitN(after, "/", 3)
	switch {
	case len(parts) >= 2 && strings.HasPrefix(parts[0], "@"):
		name = parts[0] + "/" + parts[1]
		if len(parts) == 3 {
			rel = parts[2]
		}
	case len(parts) >= 1 && !strings.HasPrefix(parts[0], "@") && parts[0] != "":
		name = parts[0]
		rel = strings.TrimPrefix(after, name)
		rel = strings.TrimPrefix(rel, "/")
	default:
		return "", "", "", false
	}
	return name, f.Name[:i] + "node_modules/" + name, rel, true
}

// Read caps of the files the loader conventions read besides binary heads.
const (
	maxPackageJSON = 64 << 10  // a package.json larger than this is not read
	maxModule      = 256 << 10 // an entry module or a module it requires
	maxModuleDepth = 3         // entry module, what it requires, and one more level
)

// npmPkg is one installed npm package directory.
type npmPkg struct {
	key    string // source|dir
	src    string
	layer  bool
	dir    string
	name   string
	files  map[string]int // path inside the package -> file index (its own files, not nested packages)
	addons []string       // its .node files
	gyp    bool           // ships binding.gyp (node-gyp builds it at install)
	meta   *pkgJSON
	// plat is the platform the package is for, from npm's os/cpu/libc fields or its name;
	// platOK is false for a package that names none.
	plat   Platform
	platOK bool
	// loading: how requiring the package reaches its native load, from its entry module.
	load     loadPos
	loadFile int // the module holding the load (or the package.json), for findings
	loadSeen bool
	modules  map[string]*jsRead // modules read for the load analysis
	js       map[string][]byte  // JavaScript read so far
	relevant bool
	// stage of its load analysis: 0 nothing read, 1 package.json asked, 2 entry resolved
	stage int
	// incomplete: a module that runs at require was not read or not understood
	incomplete bool
	// lockOpt: platform packages its hidden-lockfile entry lists as optionalDependencies
	lockOpt map[string]string
	// dependents: installed packages that depend on it (when the function does not list it);
	// depStage/depIncomplete: reading this package's JavaScript as a dependent
	dependents    map[*npmPkg]bool
	depStage      int
	depIncomplete bool
}

// pkgJSON holds the package.json fields the loader conventions read.
type pkgJSON struct {
	Name                 string            `json:"name"`
	Main                 string            `json:"main"`
	Exports              json.RawMessage   `json:"exports"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	Binary               *struct {
		ModuleName   string `json:"module_name"`
		ModulePath   string `json:"module_path"`
		NapiVersions []int  `json:"napi_versions"`
	} `json:"binary"`
}

type jsRead struct {
	idx   int
	depth int
	pos   loadPos // how the entry reaches it
	asked bool    // requested, answer pending
	// initCalls: what the requiring module calls at init (see analyzeJS)
	initCalls map[string]loadPos
	done      bool
	mod       *jsModule
}

// nodeCPUName is process.arch for a Lambda architecture.
func nodeCPUName(arch string) string {
	return map[string]string{ArchX86: "x64", ArchARM: "arm64"}[arch]
}

func (c *checker) node() error {
	cpu := nodeCPUName(c.env.Arch)
	pkgs := map[string]*npmPkg{}
	var order []*npmPkg
	present := map[string][]*npmPkg{} // package name -> installed copies
	var states []*fileState
	for i, f := range c.files {
		name, dir, rel, ok := nodePackage(f)
		if !ok {
			// An addon outside node_modules: copied next to a bundle (esbuild's file loader,
			// webpack's node-loader) and loaded by path (inferred from those loaders' docs).
			// Check it like any other.
			if !f.Dir && strings.HasSuffix(f.Name, ".node") && (!f.Layer || strings.HasPrefix(f.Name, "nodejs/")) {
				states = append(states, &fileState{idx: i, what: "a Node.js addon", group: dirOf(f.Name), severe: true, needRead: true})
			}
			continue
		}
		key := f.Source + "|" + dir
		p := pkgs[key]
		if p == nil {
			p = &npmPkg{key: key, src: f.Source, layer: f.Layer, dir: dir, name: name, files: map[string]int{}, loadFile: -1}
			p.plat, p.platOK = ParseNodePlatform(name[strings.LastIndexByte(name, '/')+1:])
			pkgs[key] = p
			order = append(order, p)
			present[name] = append(present[name], p)
		}
		if f.Dir || rel == "" {
			continue
		}
		p.files[rel] = i
		switch base := path.Base(rel); {
		case strings.HasSuffix(base, ".node"):
			p.addons = append(p.addons, rel)
		case rel == "binding.gyp":
			p.gyp = true
		}
	}
	// Which packages the conventions look into: those holding addons or a node-gyp project, and
	// the packages that select a platform package present in the tree (the name the platform
	// package is derived from: @img/sharp-linux-x64 -> sharp, @esbuild/linux-x64 -> esbuild,
	// @node-rs/argon2-linux-x64-gnu -> @node-rs/argon2). The name only chooses what to read;
	// the selector's package.json (optionalDependencies) decides.
	for _, p := range order {
		if len(p.addons) > 0 || p.gyp || p.platOK {
			p.relevant = true
		}
		if !p.platOK {
			continue
		}
		for _, sel := range selectorNames(p.name) {
			for _, q := range present[sel] {
				q.relevant = true
			}
		}
	}
	// Binaries: every .node and .so file of a package is a candidate; the conventions below
	// decide which one the package's loader would load here, and only those are judged.
	cand := map[int]*fileState{}
	for _, p := range order {
		if !p.relevant {
			continue
		}
		for _, rel := range sortedKeys(p.files) {
			idx := p.files[rel]
			base := path.Base(rel)
			isNode := strings.HasSuffix(base, ".node")
			isSO := strings.HasSuffix(base, ".so") || isVersionedSO(base)
			if !isNode && !isSO {
				continue
			}
			what := "a Node.js addon"
			if !isNode {
				what = "a shared library"
			}
			s := &fileState{idx: idx, what: what, group: p.name, severe: true, needRead: true}
			cand[idx] = s
		}
	}
	c.nodePkgs = order
	c.nodePresent = present
	// Decide from names which candidates can be the loaded build, so that only those are read.
	loaded := map[int]string{} // file index -> the convention that loads it
	for _, p := range order {
		if p.relevant {
			for idx, why := range c.loadedFiles(p, cpu) {
				loaded[idx] = why
			}
		}
	}
	for idx, s := range cand {
		why, ok := loaded[idx]
		if !ok {
			s.needRead = false
			continue
		}
		s.evidence = why
		states = append(states, s)
	}
	slices.SortFunc(states, func(a, b *fileState) int { return a.idx - b.idx })
	if err := c.readWithLoaders(states); err != nil {
		return err
	}
	fixes := c.nodeFixes(cpu)
	c.platformRules(cpu, fixes)
	for _, s := range states {
		s.applyBinary()
		if p := c.pkgOfFile(s.idx); p != nil && !c.loadsAtInit(p) {
			s.severe = false
			s.note = fmt.Sprintf(" It is loaded %s (%s), so the function's init does not fail.", c.loadPosOf(p), displayPath(c.files[c.loadFileOf(p)]))
		} else if p != nil && !p.platOK && c.optionalOnly(p) {
			s.severe = false
			s.note = " npm installed its package only as an optional dependency (node_modules/.package-lock.json), which the packages that use it must do without."
		} else if n, blocks := c.deferredByDependents(p); !blocks {
			s.severe = false
			s.note = n
		}
		c.judge(s, fixes.fixSet)
	}
	return nil
}

// deferredByDependents applies dependentsDefer to p, or to the selector of a platform package.
func (c *checker) deferredByDependents(p *npmPkg) (string, bool) {
	if p == nil {
		return "", true
	}
	if p.platOK {
		if p = c.selectorOf(p); p == nil {
			return "", true
		}
	}
	return c.dependentsNote(p)
}

// selectorNames are the packages that may select platform package name (see node()).
func selectorNames(name string) []string {
	scope, base, scoped := strings.Cut(name, "/")
	if !scoped {
		base, scope = name, ""
	}
	// Strip the platform suffix: the last "-<os>-" token and what follows.
	cut := -1
	toks := strings.Split(base, "-")
	for i := range toks {
		if _, ok := nodeOS[toks[i]]; ok {
			cut = i
		}
	}
	var out []string
	if cut < 0 {
		return nil
	}
	prefix := strings.Join(toks[:cut], "-")
	if scoped {
		if prefix != "" {
			out = append(out, scope+"/"+prefix, prefix)
		}
		out = append(out, strings.TrimPrefix(scope, "@"))
	} else if prefix != "" {
		out = append(out, prefix)
	}
	return out
}

// loadedFiles returns the addons and libraries of p that its loader can load in this function,
// decided from names: node-gyp-build's search (build/Release, then prebuilds/), the platform of
// a platform package, napi-rs file tags, platform names in file names.
func (c *checker) loadedFiles(p *npmPkg, cpu string) map[int]string {
	out := map[int]string{}
	if p.platOK {
		// A platform package: its loader (the selector) takes it only on its platform.
		if !c.nodeMatches(p.plat) {
			return out
		}
		// node-gyp-build-optional-packages (lmdb, msgpackr-extract) loads the package's
		// folder as node-gyp-build loads a prebuilds/<tuple>/ folder: by the files' tags.
		var root []string
		for rel := range p.files {
			if strings.HasSuffix(rel, ".node") && !strings.Contains(rel, "/") {
				root = append(root, rel)
			}
		}
		if pick, tagged := c.pickTagged(root, cpu); tagged {
			if pick != "" {
				out[p.files[pick]] = "its tags (node-gyp-build's ranking)"
			}
			for rel, idx := range p.files {
				if isNativeName(rel) && !strings.HasSuffix(rel, ".node") {
					out[idx] = "its package name"
				}
			}
			return out
		}
		for rel, idx := range p.files {
			if isNativeName(rel) {
				out[idx] = "its package name"
			}
		}
		return out
	}
	// node-gyp-build (prebuild/node-gyp-build node-gyp-build.js load.resolve): the first .node
	// of build/Release, then build/Debug; then the prebuilds/<platform>-<arch> folder and the
	// best matching file in it.
	// Files there named for a platform (oracledb's build/Release/oracledb-<v>-<os>-<cpu>.node)
	// are chosen by the package's own loader by that name, like the files below.
	for _, d := range []string{"build/Release/", "build/Debug/"} {
		for rel, idx := range p.files {
			if strings.HasPrefix(rel, d) && isNativeName(rel) && !strings.Contains(rel[len(d):], "/obj") {
				if pl, named := pathPlatform(rel); named && !c.nodeMatches(pl) {
					continue
				}
				out[idx] = "its build/ folder"
			}
		}
		if len(out) > 0 {
			break
		}
	}
	if pre := c.prebuildWinner(p, cpu); pre.file != "" && len(out) == 0 {
		// Only the chosen addon: libraries beside it (Datadog's libddwaf.so) are opened by
		// the addon when it needs them, not by the loader.
		out[p.files[pre.file]] = "node-gyp-build's choice among prebuilds/"
	}
	// Other files: a platform named in the file (napi-rs' <name>.<triple>.node, Prisma's
	// libquery_engine-<target>.so.node, cmake-js/custom layouts like dist/bin/linux-x64-glibc/)
	// means one of a set the package picks from at run time; untagged files are checked.
	type tagged struct {
		idx  int
		plat Platform
	}
	var byName []tagged
	matchDirs := map[string]bool{}
	for rel, idx := range p.files {
		if !isNativeName(rel) || strings.HasPrefix(rel, "build/") || strings.HasPrefix(rel, "prebuilds/") {
			continue
		}
		if pl, ok := pathPlatform(rel); ok {
			byName = append(byName, tagged{idx, pl})
			if c.nodeMatches(pl) {
				matchDirs[dirOf(rel)] = true
			}
			continue
		}
		out[idx] = "its path"
		matchDirs[dirOf(rel)] = true
	}
	// A NODE_MODULE_VERSION at the end of such names (@sentry/node-cpu-profiler's
	// sentry_cpu_profiler-linux-x64-glibc-127.node: its loader builds the name from
	// process.versions.modules) picks the runtime's one among the matching files.
	rt := nodeRuntimes[c.env.Runtime]
	abiOK := map[string]bool{} // dir -> a matching file carries this runtime's ABI
	for _, t := range byName {
		if abi, ok := nameABI(c.files[t.idx].Name); ok && abi == rt.Modules && c.nodeMatches(t.plat) {
			abiOK[dirOf(c.files[t.idx].Name)] = true
		}
	}
	rep := -1
	for _, t := range byName {
		if abi, ok := nameABI(c.files[t.idx].Name); ok && abi != rt.Modules && abiOK[dirOf(c.files[t.idx].Name)] {
			continue
		}
		switch {
		case c.nodeMatches(t.plat):
			out[t.idx] = "the platform in its path"
		case !anyMatch(matchDirs) && (rep < 0 || c.files[t.idx].Name < c.files[rep].Name):
			// No build for this platform at all: the loader finds nothing or loads a wrong
			// one. One of them (the first by name) is judged so that its platform is
			// reported; the others would say the same.
			rep = t.idx
		}
	}
	if rep >= 0 {
		out[rep] = "the platform in its path"
	}
	return out
}

func anyMatch(m map[string]bool) bool { return len(m) > 0 }

// nameABI reads a NODE_MODULE_VERSION as the last dash-separated part of an addon's name
// ("...-glibc-127.node"); the registry's node values run from 46 up (abi_version_registry.json).
func nameABI(name string) (int, bool) {
	stem, ok := strings.CutSuffix(path.Base(name), ".node")
	if !ok {
		return 0, false
	}
	i := strings.LastIndexByte(stem, '-')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(stem[i+1:])
	return n, err == nil && n >= 46 && n < 1000
}

func isNativeName(rel string) bool {
	base := path.Base(rel)
	return strings.HasSuffix(base, ".node") || strings.HasSuffix(base, ".so") || isVersionedSO(base)
}

// pathPlatform finds a platform in a file's path inside its package: a folder named
// <os>[libc]-<cpu>[-<libc>] (aws-crt's dist/bin/linux-x64-glibc/), or an <os>-<cpu> pair in the
// file name (napi-rs' rollup.linux-x64-gnu.node, Prisma's ...-linux-arm64-openssl-3.0.x.so.node,
// @sentry/profiling-node's sentry_cpu_profiler-linux-x64-glibc-115.node).
func pathPlatform(rel string) (Platform, bool) {
	for _, seg := range strings.Split(dirOf(rel), "/") {
		if p, ok := folderPlatform(seg); ok {
			return p, true
		}
	}
	base := path.Base(rel)
	if stem, ok := strings.CutSuffix(base, ".node"); ok {
		if _, tag, ok := strings.Cut(stem, "."); ok {
			if p, ok := ParseNodePlatform(tag); ok && !strings.Contains(tag, ".") {
				return p, true
			}
		}
	}
	return looseFilePlatform(base)
}

// folderPlatform reads a folder name like linux-x64, linuxglibc-x64, linuxmusl-arm64,
// linux-arm64-glibc, darwin-x64+arm64.
func folderPlatform(seg string) (Platform, bool) {
	parts := strings.Split(seg, "-")
	if len(parts) < 2 || len(parts) > 3 {
		return Platform{}, false
	}
	osName, libc := parts[0], ""
	for _, l := range []string{"glibc", "musl"} {
		if o, ok := strings.CutSuffix(osName, l); ok && o != "" {
			osName, libc = o, l
		}
	}
	osp, ok := nodeOS[osName]
	if !ok {
		return Platform{}, false
	}
	archs := strings.Split(parts[1], "+")
	p := osp
	for _, a := range archs {
		if !nodeCPU[a] {
			return Platform{}, false
		}
	}
	p.Arch = cpuName(archs[0])
	if len(archs) > 1 {
		p.Arch = "universal"
	}
	if len(parts) == 3 {
		// a third part names the C library (linux-x64-glibc) or another build flavour
		// (aws-crt's darwin-arm64-cruntime), which says nothing of the libc
		switch {
		case strings.HasPrefix(parts[2], "musl"):
			libc = "musl"
		case strings.HasPrefix(parts[2], "gnu") || parts[2] == "glibc":
			libc = "glibc"
		}
	}
	switch libc {
	case "musl":
		p.Libc = LibcMusl
	case "glibc":
		p.Libc = LibcGNU
	}
	return p, true
}

// prebuild is node-gyp-build's answer for a package's prebuilds/ folder.
type prebuild struct {
	file    string   // the file it loads; "" when none matches
	folder  string   // the matching prebuilds/<tuple> folder; "" when none
	tuples  []string // all folders, for messages
	present bool     // the package has prebuilds/*.node at all
}

// prebuildWinner applies node-gyp-build's resolve() (prebuild/node-gyp-build node-gyp-build.js,
// v4): among prebuilds/<platform>-<arch[+arch]>/ take the folders whose platform is linux and
// whose arch list holds process.arch, single-arch first; in it, parse each *.node name's dot
// tags (node|electron|node-webkit, napi, abi<N>, uv<N>, armv<N>, glibc|musl) and keep those
// matching this runtime: runtime node (or node+napi), abi = NODE_MODULE_VERSION unless napi,
// uv 1, armv 8 on arm64, libc glibc (musl only on Alpine); rank runtime, then abi over napi,
// then more tags. node-gyp-build-optional-packages (kriszyp/node-gyp-build-optional-packages)
// and Datadog's loaders use the same names; v3 and Datadog's folders put the libc in the
// folder name (prebuilds/linuxglibc-x64/), read here as the folder's libc.
func (c *checker) prebuildWinner(p *npmPkg, cpu string) prebuild {
	var out prebuild
	folders := map[string][]string{}
	for rel := range p.files {
		rest, ok := strings.CutPrefix(rel, "prebuilds/")
		if !ok {
			continue
		}
		folder, file, ok := strings.Cut(rest, "/")
		if !ok || strings.Contains(file, "/") {
			continue
		}
		if !slices.Contains(out.tuples, folder) {
			out.tuples = append(out.tuples, folder)
		}
		if strings.HasSuffix(file, ".node") {
			out.present = true
			folders[folder] = append(folders[folder], file)
		}
	}
	slices.Sort(out.tuples)
	type tup struct {
		name  string
		archs int
		libc  string
	}
	var tuples []tup
	for folder := range folders {
		plat, arch, ok := strings.Cut(folder, "-")
		if !ok || strings.Contains(arch, "-") {
			continue
		}
		libc := ""
		for _, l := range []string{"glibc", "musl"} {
			if o, ok := strings.CutSuffix(plat, l); ok {
				plat, libc = o, l
			}
		}
		archs := strings.Split(arch, "+")
		if plat != "linux" || !slices.Contains(archs, cpu) || libc == "musl" {
			continue
		}
		tuples = append(tuples, tup{folder, len(archs), libc})
	}
	slices.SortStableFunc(tuples, func(a, b tup) int {
		if a.archs != b.archs {
			return a.archs - b.archs
		}
		return strings.Compare(a.name, b.name)
	})
	if len(tuples) > 0 {
		// node-gyp-build takes the first matching folder only.
		t := tuples[0]
		out.folder = t.name
		if pick, _ := c.pickTagged(folders[t.name], cpu); pick != "" {
			out.file = "prebuilds/" + t.name + "/" + pick
		}
	}
	return out
}

// pickTagged applies node-gyp-build's parseTags/matchTags/compareTags to addon file names
// (see prebuildWinner) and returns the winner; tagged is false when no name carries a tag.
func (c *checker) pickTagged(files []string, cpu string) (pick string, tagged bool) {
	rt := nodeRuntimes[c.env.Runtime]
	type tags struct {
		file           string
		runtime, abi   string
		napi           bool
		uv, armv, libc string
		specificity    int
	}
	var cands []tags
	for _, f := range files {
		tg := tags{file: f}
		parts := strings.Split(f, ".")
		for _, x := range parts[:len(parts)-1] {
			switch {
			case x == "node" || x == "electron" || x == "node-webkit":
				tg.runtime = x
			case x == "napi":
				tg.napi = true
			case strings.HasPrefix(x, "abi"):
				tg.abi = x[3:]
			case strings.HasPrefix(x, "uv"):
				tg.uv = x[2:]
			case strings.HasPrefix(x, "armv"):
				tg.armv = x[4:]
			case x == "glibc" || x == "musl":
				tg.libc = x
			default:
				// node-gyp-build v3 names: node-<abi>.node, node-napi.node
				if r, v, ok := strings.Cut(x, "-"); ok && (r == "node" || r == "electron") {
					tg.runtime = r
					if v == "napi" {
						tg.napi = true
					} else if _, err := strconv.Atoi(v); err == nil {
						tg.abi = v
					}
				} else {
					continue
				}
			}
			tg.specificity++
		}
		if tg.specificity > 0 {
			tagged = true
		}
		if tg.runtime != "" && tg.runtime != "node" {
			continue
		}
		if tg.abi != "" && tg.abi != strconv.Itoa(rt.Modules) && !tg.napi {
			continue
		}
		if tg.uv != "" && tg.uv != "1" {
			continue
		}
		armv := map[string]string{"arm64": "8"}[cpu]
		if tg.armv != "" && tg.armv != armv {
			continue
		}
		if tg.libc != "" && tg.libc != "glibc" {
			continue
		}
		cands = append(cands, tg)
	}
	slices.SortStableFunc(cands, func(a, b tags) int {
		switch {
		case a.runtime != b.runtime:
			if a.runtime == "node" {
				return -1
			}
			return 1
		case a.abi != b.abi:
			if a.abi != "" {
				return -1
			}
			return 1
		case a.specificity != b.specificity:
			return b.specificity - a.specificity
		}
		return strings.Compare(a.file, b.file)
	})
	if len(cands) > 0 {
		return cands[0].file, tagged
	}
	return "", tagged
}

// nodeMatches reports whether a build for p loads in this function: Linux, its CPU, not musl.
func (c *checker) nodeMatches(p Platform) bool {
	return (p.OS == OSLinux && (p.Arch == c.env.Arch || p.Arch == "universal") && p.Libc != LibcMusl) || p.OS == OSWasm
}

// looseFilePlatform finds an "<os>-<cpu>" pair anywhere in a file name split at - . and _.
func looseFilePlatform(base string) (Platform, bool) {
	toks := strings.FieldsFunc(base, func(r rune) bool { return r == '-' || r == '.' || r == '_' })
	for i := 0; i+1 < len(toks); i++ {
		osp, ok := nodeOS[toks[i]]
		if !ok || !nodeCPU[toks[i+1]] || toks[i+1] == "64" || toks[i+1] == "32" {
			continue
		}
		p := osp
		p.Arch = cpuName(toks[i+1])
		if i+2 < len(toks) {
			switch {
			case strings.HasPrefix(toks[i+2], "musl"):
				p.Libc = LibcMusl
			case strings.HasPrefix(toks[i+2], "gnu") || toks[i+2] == "glibc":
				p.Libc = LibcGNU
			}
		}
		return p, true
	}
	return Platform{}, false
}

// nodeFilePlatform reads the platform a file is for from its package name (@img/sharp-linux-x64),
// or its path inside the package (see pathPlatform). Used by the fuzz target.
func nodeFilePlatform(pkg, rel string) (Platform, bool) {
	if p, ok := ParseNodePlatform(pkg[strings.LastIndexByte(pkg, '/')+1:]); ok {
		return p, true
	}
	if rest, ok := strings.CutPrefix(rel, "prebuilds/"); ok {
		tuple, _, _ := strings.Cut(rest, "/")
		return folderPlatform(tuple)
	}
	return pathPlatform(rel)
}

func (c *checker) nodeFixes(cpu string) nodeFixSet {
	image := "public.ecr.aws/lambda/nodejs:" + nodeMajor(c.env.Runtime)
	// npm's --os/--cpu/--libc install flags: sharp.pixelplumbing.com/install (cross-platform).
	npm := fmt.Sprintf("npm install --os=linux --cpu=%s --libc=glibc", cpu)
	return nodeFixSet{fixSet{
		failure: "require() fails with ERR_DLOPEN_FAILED when the module loads.",
		os:      fmt.Sprintf("Install the Linux build: %s (npm 10+), or run npm ci in the %s image (sam build --use-container).", npm, image),
		arch: func(built string) string {
			fix := fmt.Sprintf("Install for the function's CPU: %s, or run npm ci in the %s image.", npm, image)
			if built == ArchX86 || built == ArchARM {
				fix += fmt.Sprintf(" Or set the function's Architectures to [%s].", built)
			}
			return fix
		},
		musl:  fmt.Sprintf("Install glibc builds: %s; do not run npm install on Alpine (node:*-alpine) for Lambda; build in the %s image.", npm, image),
		glibc: fmt.Sprintf("Rebuild it in the %s image (npm ci there), use a prebuilt release built for an older glibc, or move to nodejs20.x or later (Amazon Linux 2023, glibc 2.34).", image),
	}, fmt.Sprintf("Install the optional platform packages for Lambda: %s (or npm ci in the %s image, without --omit=optional), and zip node_modules after that install.", npm, image)}
}

type nodeFixSet struct {
	fixSet
	platform string
}
