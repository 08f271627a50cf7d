package native

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/elfinfo"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// layerSitePackages matches a layer's python/lib/pythonX.Y/site-packages/ (Lambda's Python layer
// paths: docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths).
var layerSitePackages = regexp.MustCompile(`^python/lib/python3\.[0-9]+/site-packages/`)

// pyRoot returns the sys.path entry a file is imported under: the function package root
// (/var/task), or a layer's python/ or python/lib/pythonX.Y/site-packages/. Lambda puts only
// /opt/python and /opt/python/lib/python<runtime's X.Y>/site-packages on sys.path (the layer
// path table: docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths),
// so a site-packages folder of another Python version is never imported: ok is false for it.
func pyRoot(f File, runtime string) (string, bool) {
	if !f.Layer {
		return "", true
	}
	if m := layerSitePackages.FindString(f.Name); m != "" {
		maj, mnr, known := pyVersion(runtime)
		if known && m != fmt.Sprintf("python/lib/python%d.%d/site-packages/", maj, mnr) {
			return "", false
		}
		return m, true
	}
	if strings.HasPrefix(f.Name, "python/") {
		return "python/", true
	}
	return "", false
}

// normDist normalises a distribution or top-level name (PEP 503: lower case, runs of -_. as one).
func normDist(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	sep := false
	for _, r := range s {
		if r == '-' || r == '_' || r == '.' {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte('_')
		}
		sep = false
		b.WriteRune(r)
	}
	return b.String()
}

type pyDist struct {
	wheelIdx int
	dir      string // the .dist-info directory, for messages
	wheel    *Wheel
	used     int // native files it owns
}

type pyEntry struct {
	idx  int
	root string
	rel  string
	name PyName
	top  string // first path element below the root (or the module name at the root)
}

func (c *checker) python() error {
	rtMaj, rtMin, _ := pyVersion(c.env.Runtime)
	wantTriplet := map[string]string{ArchX86: "x86_64-linux-gnu", ArchARM: "aarch64-linux-gnu"}[c.env.Arch]
	dists := map[string]*pyDist{}    // source|root|normalized name
	groups := map[string][]pyEntry{} // source|root|dir|module -> extension modules
	var groupOrder []string          // first-seen order, for stable findings
	pure := map[string]bool{}        // source|root|dir|module with a .py file or package dir
	var libs []pyEntry
	for i, f := range c.files {
		root, ok := pyRoot(f, c.env.Runtime)
		if !ok || f.Dir {
			continue
		}
		rel := f.Name[len(root):]
		dir, base := dirOf(rel), path.Base(rel)
		src := f.Source + "|" + root + "|"
		// Every directory above a file can be imported as a package (namespace packages need
		// no __init__.py), so a directory named like a module is a pure fallback for it.
		for d := dir; d != ""; d = dirOf(d) {
			pure[src+dirOf(d)+"|"+path.Base(d)] = true
		}
		if strings.HasSuffix(base, ".py") {
			pure[src+dir+"|"+strings.TrimSuffix(base, ".py")] = true
			continue
		}
		if base == "WHEEL" && strings.HasSuffix(dir, ".dist-info") && !strings.Contains(dir, "/") {
			name, _, _ := strings.Cut(strings.TrimSuffix(dir, ".dist-info"), "-")
			dists[src+normDist(name)] = &pyDist{wheelIdx: i, dir: dir}
			continue
		}
		pn := ParsePyName(base)
		if pn.Kind == PyNone {
			continue
		}
		top, _, found := strings.Cut(rel, "/")
		if !found {
			top = pn.Module
		}
		top = strings.TrimSuffix(strings.TrimSuffix(top, ".libs"), ".dylibs")
		e := pyEntry{idx: i, root: root, rel: rel, name: pn, top: top}
		if pn.Kind == PyLibrary {
			libs = append(libs, e)
			continue
		}
		key := src + dir + "|" + pn.Module
		if _, seen := groups[key]; !seen {
			groupOrder = append(groupOrder, key)
		}
		groups[key] = append(groups[key], e)
	}
	if len(groups) == 0 && len(libs) == 0 {
		return nil
	}
	distOf := func(e pyEntry) *pyDist {
		return dists[c.files[e.idx].Source+"|"+e.root+"|"+normDist(e.top)]
	}

	// Decide each module group from names: which file would CPython load?
	var states []*fileState
	for _, key := range groupOrder {
		g := groups[key]
		chosen := -1
		rank := 99
		for i, e := range g {
			if r := pyLoadRank(e.name, rtMaj, rtMin, wantTriplet); r < rank {
				chosen, rank = i, r
			}
		}
		if chosen < 0 {
			if !pure[key] {
				c.pyUnloadable(g, rtMaj, rtMin)
			}
			continue
		}
		e := g[chosen]
		s := &fileState{idx: e.idx, kind: "extension module", what: "an extension module", severe: true,
			group: e.top, plat: e.name.Platform, evidence: "its file name"}
		// A CPython tag's "-gnu" is not evidence of glibc: CPython up to 3.12 on musl (Alpine)
		// also names modules x86_64-linux-gnu (python/cpython#95855, fixed by #107221 in 3.13).
		s.plat.Libc = ""
		if d := distOf(e); d != nil {
			d.used++
		}
		states = append(states, s)
		c.pyEntries = append(c.pyEntries, e)
	}
	for _, e := range libs {
		s := &fileState{idx: e.idx, kind: "shared library", what: "a shared library", group: e.top,
			plat: e.name.Platform, evidence: "its file name"}
		// auditwheel puts the libraries a wheel's modules link in <pkg>.libs/ (and delocate in
		// .dylibs/): they are loaded with their module, so a mismatch there is fatal.
		s.severe = strings.Contains(e.rel, ".libs/") || strings.Contains(e.rel, ".dylibs/")
		if d := distOf(e); d != nil {
			d.used++
		}
		states = append(states, s)
		c.pyEntries = append(c.pyEntries, e)
	}

	// Round 1: the WHEEL files of the distributions that own native files, those owning the
	// most first (when the budget cannot cover every WHEEL, they decide the most files).
	var wdists []*pyDist
	for _, k := range sortedKeys(dists) {
		if d := dists[k]; d.used > 0 {
			wdists = append(wdists, d)
		}
	}
	slices.SortStableFunc(wdists, func(a, b *pyDist) int { return b.used - a.used })
	var wreqs []Request
	for _, d := range wdists {
		wreqs = append(wreqs, Request{File: d.wheelIdx, Max: min(MaxWheelFile, max(c.files[d.wheelIdx].Size, 0)), Weight: d.used})
	}
	if len(wreqs) > 0 {
		got, err := c.fetch(wreqs)
		if err != nil {
			return err
		}
		for i, d := range wdists {
			if i < len(got) && !got[i].Skipped && got[i].Err == nil && got[i].Complete {
				if w, err := ParseWheel(got[i].Data); err == nil {
					d.wheel = &w
				}
			}
		}
	}

	// Apply the wheel tags; mark what only the bytes can decide.
	for i, s := range states {
		e := c.pyEntries[i]
		if s.plat.OS != "" && s.plat.OS != OSLinux {
			continue // decided by name (.dylib, .dll, darwin)
		}
		if d := distOf(e); d != nil && d.wheel != nil {
			c.applyWheel(s, d, rtMaj, rtMin)
		}
		known := s.plat.OS != "" && s.plat.Arch != "" && s.plat.Libc != "" && s.glibcSet
		if s.plat.Libc == LibcMusl && s.plat.OS == OSLinux && s.plat.Arch != "" {
			known = true // a musllinux wheel never loads on Lambda, whatever else it needs
		}
		s.needRead = !known
	}
	if err := c.readUntaggedFirst(states); err != nil {
		return err
	}
	for _, s := range states {
		s.applyBinary()
		if !s.glibcSet && s.tagGlibc != (elfinfo.Version{}) && s.bin == nil {
			// The tag allows a newer glibc than the runtime has and the bytes were not read:
			// say so, as a warning (auditwheel may have tagged it higher than it needs).
			c.emit(result.NativeGlibc, result.Warning, s, fmt.Sprintf("%s (%s) comes from a wheel tagged %s, which may need glibc up to %s, but %s runs on an OS with glibc %s; its bytes were not read to confirm.",
				displayPath(c.files[s.idx]), s.what, s.tagName, s.tagGlibc, c.env.Runtime, c.env.Glibc), c.pyFixes(rtMaj, rtMin).glibc)
			continue
		}
		c.judge(s, c.pyFixes(rtMaj, rtMin).fixSet)
	}
	return nil
}

// pyLoadRank is the position of a module file's suffix in CPython's EXTENSION_SUFFIXES on Linux
// (0 = tried first), or 99 when CPython on this runtime never loads it.
func pyLoadRank(n PyName, major, minor int, triplet string) int {
	switch {
	case n.Platform.OS == OSWindows:
		return 99
	case n.Impl == "cpython":
		flagsOK := n.Flags == "" || (n.Flags == "m" && major == 3 && minor <= 7)
		if n.Major == major && n.Minor == minor && flagsOK && n.Platform == parseTriplet(triplet) {
			return 0
		}
		return 99
	case n.Impl != "":
		return 99
	case n.ABI3 && n.Platform.OS != "":
		if n.Platform == parseTriplet(triplet) {
			return 1
		}
		return 99
	case n.ABI3:
		return 2
	case n.Tag == "":
		return 3
	}
	return 99
}

// pyUnloadable reports a module none of whose files this runtime's CPython will load.
func (c *checker) pyUnloadable(g []pyEntry, rtMaj, rtMin int) {
	fixes := c.pyFixes(rtMaj, rtMin)
	best, bestRank := g[0], 99
	for _, e := range g {
		r := 4
		switch p := e.name.Platform; {
		case p.OS != "" && p.OS != OSLinux:
			r = 0
		case p.Arch != "" && p.Arch != c.env.Arch:
			r = 1
		case p.Libc == LibcMusl:
			r = 2
		}
		if r < bestRank {
			best, bestRank = e, r
		}
	}
	s := &fileState{idx: best.idx, what: "an extension module", severe: true, group: best.top, plat: best.name.Platform, evidence: "its file name tag"}
	name := displayPath(c.files[best.idx])
	fail := fmt.Sprintf("CPython on this runtime only loads %s, so \"import %s\" fails with ModuleNotFoundError (Runtime.ImportModuleError) unless the package falls back to pure Python.",
		c.suffixes(rtMaj, rtMin), best.name.Module)
	switch bestRank {
	case 0:
		c.emit(result.NativeNotLinux, result.Error, s, fmt.Sprintf("%s is an extension module built for %s (from its name), but Lambda runs %s on Amazon Linux. %s", name, best.name.Platform, c.fnDesc(), fail), fixes.os)
	case 1:
		c.emit(result.NativeArchMismatch, result.Error, s, fmt.Sprintf("%s is an extension module built for %s (from its name), but the function %s runs on %s. %s", name, best.name.Platform.Arch, c.env.Runtime, c.env.Arch, fail), fixes.arch(best.name.Platform.Arch))
	case 2:
		c.emit(result.NativeMusl, result.Error, s, fmt.Sprintf("%s is an extension module for a musl-based CPython (from its name), but Lambda's Amazon Linux uses glibc. %s", name, fail), fixes.musl)
	default:
		built := "another Python"
		switch {
		case best.name.Impl == "cpython" && best.name.Flags == "t":
			built = fmt.Sprintf("free-threaded CPython %d.%d", best.name.Major, best.name.Minor)
		case best.name.Impl == "cpython":
			built = fmt.Sprintf("CPython %d.%d", best.name.Major, best.name.Minor)
		case best.name.Impl == "pypy":
			built = "PyPy"
		}
		c.emit(result.NativePythonABI, result.Error, s, fmt.Sprintf("%s is an extension module built for %s, but the function runs %s (CPython %d.%d). %s", name, built, c.env.Runtime, rtMaj, rtMin, fail), fixes.abi)
	}
}

func (c *checker) suffixes(major, minor int) string {
	t := map[string]string{ArchX86: "x86_64-linux-gnu", ArchARM: "aarch64-linux-gnu"}[c.env.Arch]
	return fmt.Sprintf("modules named *.cpython-%d%d-%s.so, *.abi3.so or *.so", major, minor, t)
}

// applyWheel fills what a distribution's WHEEL tags say into a file's state. The tag closest to
// the function wins: a wheel tagged for several platforms loads where any one of them matches.
func (c *checker) applyWheel(s *fileState, d *pyDist, rtMaj, rtMin int) {
	var best *TagPlatform
	var bestTag WheelTag
	bestScore := -1
	for _, t := range d.wheel.Tags {
		tp := ParsePlatformTag(t.Platform)
		score := 0
		if tp.OS == OSLinux {
			score += 8
		}
		if tp.Arch == c.env.Arch {
			score += 4
		}
		if tp.Libc == LibcGNU {
			score += 2
		}
		if tp.Glibc != (elfinfo.Version{}) && !c.env.Glibc.Less(tp.Glibc) {
			score++
		}
		if score > bestScore {
			bestScore, best, bestTag = score, &tp, t
		}
	}
	if best == nil || best.Any {
		return
	}
	ev := fmt.Sprintf("its wheel's tag %s in %s/WHEEL", bestTag, d.dir)
	if s.plat.OS == "" || s.plat.OS == OSLinux {
		s.plat.OS = best.OS
	}
	if s.plat.Arch == "" {
		s.plat.Arch = best.Arch
	} else if best.Arch != "" && best.Arch != s.plat.Arch {
		s.plat.Arch = best.Arch
	}
	s.plat.Libc = best.Libc
	s.evidence = ev
	if best.Glibc != (elfinfo.Version{}) {
		if c.env.Glibc == (elfinfo.Version{}) || !c.env.Glibc.Less(best.Glibc) {
			s.glibc, s.glibcSet = best.Glibc, true
		} else {
			s.tagGlibc, s.tagName = best.Glibc, bestTag.Platform
		}
	}
	// abi3 wheels name their oldest CPython in the python tag (cp38-abi3-...): PEP 384, PEP 425.
	if s.kind == "extension module" && bestTag.ABI == "abi3" {
		if _, maj, mnr, ok := pyTagVersion(bestTag.Python); ok && mnr >= 0 && (maj > rtMaj || (maj == rtMaj && mnr > rtMin)) {
			c.emit(result.NativePythonABI, result.Error, s, fmt.Sprintf("%s is a stable-ABI (abi3) module from a wheel tagged %s: it needs CPython %d.%d or later, but the function runs %s.",
				displayPath(c.files[s.idx]), bestTag, maj, mnr, c.env.Runtime), c.pyFixes(rtMaj, rtMin).abi)
		}
	}
}

// pyFixes are the Python remediations. The pip command is AWS's
// (repost.aws/knowledge-center/lambda-python-package-compatible; docs python-package.html).
func (c *checker) pyFixes(major, minor int) pyFixSet {
	plat := map[string]string{ArchX86: "manylinux2014_x86_64", ArchARM: "manylinux2014_aarch64"}[c.env.Arch]
	pip := fmt.Sprintf("pip install --platform %s --implementation cp --python-version %d.%d --only-binary=:all: --target <package dir> -r requirements.txt", plat, major, minor)
	image := fmt.Sprintf("public.ecr.aws/lambda/python:%d.%d", major, minor)
	return pyFixSet{fixSet{
		failure: "importing it fails (Runtime.ImportModuleError).",
		os:      fmt.Sprintf("Install Linux wheels for the function: %s (or build in the %s image, e.g. sam build --use-container).", pip, image),
		arch: func(built string) string {
			other := map[string]string{ArchX86: "x86_64", ArchARM: "arm64"}[built]
			fix := fmt.Sprintf("Install wheels for %s: %s.", c.env.Arch, pip)
			if other != "" {
				fix += fmt.Sprintf(" Or set the function's Architectures to [%s].", other)
			}
			return fix
		},
		musl:  fmt.Sprintf("Use manylinux (glibc) wheels, not musllinux ones, and do not build on Alpine: %s.", pip),
		glibc: fmt.Sprintf("Install wheels whose manylinux tag fits the runtime (%s is glibc 2.17): %s; or build in the %s image; or move to a runtime on Amazon Linux 2023 (python3.12 or later, glibc 2.34).", plat, pip, image),
	}, fmt.Sprintf("Install wheels for Python %d.%d: %s; or set Runtime to the Python version the modules were built for.", major, minor, pip)}
}

type pyFixSet struct {
	fixSet
	abi string
}
