package native

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
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

// selector is an npm package that picks a platform package (or a local binary) at run time.
type selector struct {
	pkg    string
	marker string // a file only versions that select at run time ship
	// family prefixes the names of its platform packages, to say which ones were found
	family string
	// want lists the package names that serve linux/<cpu> with glibc; local lists files inside
	// the selector's own directory that do.
	want  func(cpu string) []string
	local func(cpu string) []string
	env   string // an environment variable that points the selector at a binary elsewhere
	fails string // when and how it fails
}

// selectors, from each project's loader:
//   - sharp v0.33+: lovell/sharp lib/sharp.js tries ../src/build/Release/sharp-<rt>.node, then
//     @img/sharp-<rt>/sharp.node, then the wasm32 builds; it throws at require.
//   - esbuild: evanw/esbuild lib/npm/node-platform.ts picks @esbuild/<platform>-<arch>
//     (esbuild-linux-64 before 0.15), overridden by ESBUILD_BINARY_PATH.
//   - rollup v4: rollup/rollup native.js loads ./rollup.<base>.node, then
//     @rollup/rollup-<platform>-<arch>-<gnu|musl>.
//   - @swc/core: swc-project/swc packages/core/binding.js (NAPI-RS) loads ./swc.<triple>.node,
//     then @swc/core-<triple>; NAPI_RS_NATIVE_LIBRARY_PATH overrides.
//   - lightningcss: parcel-bundler/lightningcss node/index.js loads lightningcss-<triple>, then
//     ../lightningcss.<triple>.node.
var selectors = []selector{
	{pkg: "sharp", marker: "lib/sharp.js", family: "@img/sharp-",
		want: func(cpu string) []string { return []string{"@img/sharp-linux-" + cpu, "@img/sharp-wasm32"} },
		local: func(cpu string) []string {
			return []string{"src/build/Release/sharp-linux-" + cpu + ".node", "build/Release/sharp-linux-" + cpu + ".node"}
		},
		fails: "require(\"sharp\") throws at init (\"Could not load the \\\"sharp\\\" module using the linux-%s runtime\")"},
	{pkg: "esbuild", marker: "lib/main.js", family: "@esbuild/", env: "ESBUILD_BINARY_PATH",
		want: func(cpu string) []string {
			legacy := map[string]string{"x64": "esbuild-linux-64", "arm64": "esbuild-linux-arm64"}[cpu]
			return []string{"@esbuild/linux-" + cpu, legacy}
		},
		fails: "esbuild's API throws on its first call (\"The package \\\"@esbuild/linux-%s\\\" could not be found\")"},
	{pkg: "rollup", marker: "dist/native.js", family: "@rollup/rollup-",
		want:  func(cpu string) []string { return []string{"@rollup/rollup-linux-" + cpu + "-gnu"} },
		local: func(cpu string) []string { return []string{"dist/rollup.linux-" + cpu + "-gnu.node"} },
		fails: "require(\"rollup\") throws at init (\"Cannot find module @rollup/rollup-linux-%s-gnu\")"},
	{pkg: "@swc/core", marker: "binding.js", family: "@swc/core-", env: "NAPI_RS_NATIVE_LIBRARY_PATH",
		want:  func(cpu string) []string { return []string{"@swc/core-linux-" + cpu + "-gnu"} },
		local: func(cpu string) []string { return []string{"swc.linux-" + cpu + "-gnu.node"} },
		fails: "require(\"@swc/core\") throws at init (\"Failed to load native binding\" for linux-%s-gnu)"},
	{pkg: "lightningcss", marker: "node/index.js", family: "lightningcss-",
		want:  func(cpu string) []string { return []string{"lightningcss-linux-" + cpu + "-gnu"} },
		local: func(cpu string) []string { return []string{"lightningcss.linux-" + cpu + "-gnu.node"} },
		fails: "require(\"lightningcss\") throws at init (\"Cannot find module 'lightningcss-linux-%s-gnu'\")"},
}

func (c *checker) node() error {
	cpu := map[string]string{ArchX86: "x64", ArchARM: "arm64"}[c.env.Arch]
	present := map[string]bool{}          // package names
	has := map[string]int{}               // source|path -> file index
	prebuildDirs := map[string][]string{} // source|package dir -> prebuilds/<tuple> files
	release := map[string]bool{}          // source|package dir with build/Release/*.node
	var states []*fileState
	type looseFile struct {
		s    *fileState
		plat Platform
		dir  string
	}
	var loose []looseFile
	loadableDirs := map[string]bool{} // directories holding a build that can load here
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
		present[name] = true
		has[f.Source+"|"+f.Name] = i
		if f.Dir {
			continue
		}
		base := path.Base(rel)
		if strings.HasPrefix(rel, "prebuilds/") {
			prebuildDirs[f.Source+"|"+dir] = append(prebuildDirs[f.Source+"|"+dir], rel)
		}
		if strings.HasPrefix(rel, "build/Release/") && strings.HasSuffix(base, ".node") {
			release[f.Source+"|"+dir] = true
		}
		isNode := strings.HasSuffix(base, ".node")
		isSO := strings.HasSuffix(base, ".so") || isVersionedSO(base)
		if !isNode && !isSO {
			continue
		}
		what := "a Node.js addon"
		if !isNode {
			what = "a shared library"
		}
		s := &fileState{idx: i, what: what, group: name, severe: true}
		if p, tagged := nodeFilePlatform(name, rel); tagged {
			// One of several builds; Node loads only the one for its own platform, so builds for
			// other platforms are harmless and only the matching one is checked.
			if !c.nodeMatches(p) {
				continue
			}
			s.plat, s.evidence = p, "its package name"
		} else if p, tagged := looseFilePlatform(base); tagged {
			// A platform in the file name only (Prisma's libquery_engine-linux-arm64-openssl-3.0.x.so.node,
			// addon-darwin-x64.node): one of a set the package picks from at run time, if the
			// directory holds another build that can load here; otherwise it is checked.
			loose = append(loose, looseFile{s, p, f.Source + "|" + dirOf(f.Name)})
			continue
		}
		s.needRead = true
		states = append(states, s)
		loadableDirs[f.Source+"|"+dirOf(f.Name)] = true
	}
	for _, l := range loose {
		if c.nodeMatches(l.plat) {
			loadableDirs[l.dir] = true
		}
	}
	for _, l := range loose {
		if !c.nodeMatches(l.plat) && loadableDirs[l.dir] {
			continue
		}
		if c.nodeMatches(l.plat) {
			l.s.plat, l.s.evidence = l.plat, "its file name"
		}
		l.s.needRead = true
		states = append(states, l.s)
	}
	c.platformRules(cpu, present, has, prebuildDirs, release)
	if err := c.readUntaggedFirst(states); err != nil {
		return err
	}
	fixes := c.nodeFixes(cpu)
	for _, s := range states {
		s.applyBinary()
		c.judge(s, fixes.fixSet)
	}
	return nil
}

// nodeMatches reports whether a build for p loads in this function: Linux, its CPU, not musl.
func (c *checker) nodeMatches(p Platform) bool {
	return p.OS == OSLinux && (p.Arch == c.env.Arch || p.Arch == "universal") && p.Libc != LibcMusl
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
			case strings.HasPrefix(toks[i+2], "gnu"):
				p.Libc = LibcGNU
			}
		}
		return p, true
	}
	return Platform{}, false
}

// nodeFilePlatform reads the platform a file is for from its package name (@img/sharp-linux-x64),
// a NAPI-RS file tag (rollup.linux-x64-gnu.node) or a prebuildify directory
// (prebuilds/linux-x64/node.napi.musl.node: prebuild/node-gyp-build node-gyp-build.js).
func nodeFilePlatform(pkg, rel string) (Platform, bool) {
	if p, ok := ParseNodePlatform(pkg[strings.LastIndexByte(pkg, '/')+1:]); ok {
		return p, true
	}
	base := path.Base(rel)
	if stem, ok := strings.CutSuffix(base, ".node"); ok {
		if _, tag, ok := strings.Cut(stem, "."); ok {
			if p, ok := ParseNodePlatform(tag); ok && !strings.Contains(tag, ".") {
				return p, true
			}
		}
	}
	if rest, ok := strings.CutPrefix(rel, "prebuilds/"); ok {
		tuple, file, ok := strings.Cut(rest, "/")
		if !ok {
			return Platform{}, false
		}
		p, ok := ParseNodePlatform(tuple)
		if !ok {
			return Platform{}, false
		}
		for _, t := range strings.Split(file, ".") {
			switch t {
			case "musl":
				p.Libc = LibcMusl
			case "glibc":
				p.Libc = LibcGNU
			}
		}
		return p, true
	}
	return Platform{}, false
}

// platformRules: every selector present must find its linux/<cpu>/glibc build.
func (c *checker) platformRules(cpu string, present map[string]bool, has map[string]int, prebuilds map[string][]string, release map[string]bool) {
	fixes := c.nodeFixes(cpu)
	for _, sel := range selectors {
		if sel.env != "" && c.env.Vars[sel.env] != "" {
			continue
		}
		for key, idx := range has {
			src, name, _ := strings.Cut(key, "|")
			dir, ok := strings.CutSuffix(name, "/"+sel.marker)
			if !ok || !strings.HasSuffix(dir, "node_modules/"+sel.pkg) {
				continue
			}
			// A platform package anywhere in the function or its layers counts as reachable.
			// Inferred: Node resolves from the selector's directory upward and then NODE_PATH
			// (/opt/nodejs/node_modules…), so a selector in a layer cannot see the function's
			// node_modules; this check accepts that case rather than risk a false alarm.
			found := false
			for _, p := range sel.want(cpu) {
				if p != "" && present[p] {
					found = true
				}
			}
			if sel.local != nil {
				for _, l := range sel.local(cpu) {
					if _, ok := has[src+"|"+dir+"/"+l]; ok {
						found = true
					}
				}
			}
			if found {
				if sel.pkg == "sharp" && present["@img/sharp-linux-"+cpu] && !present["@img/sharp-libvips-linux-"+cpu] {
					c.rep.Findings = append(c.rep.Findings, Finding{Rule: result.NativePlatformMissing, Severity: result.Error, File: idx,
						Message: fmt.Sprintf("@img/sharp-linux-%s is installed without @img/sharp-libvips-linux-%s, the libvips it links (its optionalDependencies): require(\"sharp\") fails at init with \"libvips-cpp.so…: cannot open shared object file\" in this %s function.", cpu, cpu, c.env.Runtime),
						Fix:     fixes.platform})
				}
				continue
			}
			var others []string
			for p := range present {
				if strings.HasPrefix(p, sel.family) && p != sel.pkg {
					if _, ok := ParseNodePlatform(p[strings.LastIndexByte(p, '/')+1:]); ok {
						others = append(others, p)
					}
				}
			}
			built := "no platform package at all (installed with --omit=optional or --no-optional?)"
			if len(others) > 0 {
				slices.Sort(others)
				built = "only " + strings.Join(others, ", ")
			}
			c.rep.Findings = append(c.rep.Findings, Finding{Rule: result.NativePlatformMissing, Severity: result.Error, File: idx,
				Message: fmt.Sprintf("%s is present with %s, but this %s %s function needs %s: %s.", displayPath(c.files[idx]), built, c.env.Arch, c.env.Runtime, strings.Join(nonEmpty(sel.want(cpu))[:1], ""), fmt.Sprintf(sel.fails, cpu)),
				Fix:     fixes.platform})
		}
	}
	// prebuildify packages: node-gyp-build uses build/Release/*.node if present, else the
	// prebuilds/<platform>-<arch>/ build whose libc tag (if any) matches, else throws "No native
	// build was found" (prebuild/node-gyp-build node-gyp-build.js).
	for key, rels := range prebuilds {
		if release[key] {
			continue
		}
		ok := false
		for _, rel := range rels {
			if !strings.HasSuffix(rel, ".node") {
				continue
			}
			p, tagged := nodeFilePlatform("", rel)
			if tagged && c.nodeMatches(p) {
				ok = true
			}
		}
		if ok {
			continue
		}
		src, dir, _ := strings.Cut(key, "|")
		idx := -1
		for _, rel := range rels {
			if i, found := has[src+"|"+dir+"/"+rel]; found && (idx < 0 || c.files[i].Name < c.files[idx].Name) {
				idx = i
			}
		}
		if idx < 0 {
			continue
		}
		var tuples []string
		for _, rel := range rels {
			t := strings.SplitN(strings.TrimPrefix(rel, "prebuilds/"), "/", 2)[0]
			if !slices.Contains(tuples, t) {
				tuples = append(tuples, t)
			}
		}
		slices.Sort(tuples)
		c.rep.Findings = append(c.rep.Findings, Finding{Rule: result.NativePlatformMissing, Severity: result.Error, File: idx,
			Message: fmt.Sprintf("%s ships prebuilt addons for %s but none for linux-%s with glibc, and has no build/Release/*.node: node-gyp-build throws \"No native build was found for platform=linux arch=%s\" at require in this %s function.", displayPath(File{Name: dir, Layer: c.files[idx].Layer}), strings.Join(tuples, ", "), cpu, cpu, c.env.Runtime),
			Fix:     fixes.platform})
	}
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

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
