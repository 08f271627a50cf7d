// Package native decides whether the native code in a Python or Node.js function (extension
// modules, addons, platform packages, the shared libraries they link) can load on the function's
// Lambda runtime: the right OS and CPU, glibc rather than musl, no newer glibc than the runtime's
// Amazon Linux has, and the CPython version the runtime runs.
//
// Reading cost is the design constraint: a package may hold hundreds of native files. Names and
// the zip's central directory decide first (PEP 3149 module tags, npm platform package names);
// *.dist-info/WHEEL files, a few hundred bytes each, decide whole distributions next; the first
// bytes of a file (its ELF header and dynamic names) are read only where neither decides. The
// caller supplies a Fetcher that reads those bytes in few ranged requests under a budget; what the
// budget did not cover is reported (native-unchecked), never passed silently.
package native

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/elfinfo"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// Env is the function the native code will run in.
type Env struct {
	Arch    string // ArchX86 or ArchARM
	Runtime string // python3.12, nodejs20.x, ...
	Family  string // "python", "nodejs"; other families are not checked here
	// Glibc is the newest glibc symbol version the runtime's OS provides (AL2 2.26, AL2023 2.34:
	// docs.aws.amazon.com/linux/al2023/ug/glibc-gcc-and-binutils.html). Zero when unknown.
	Glibc elfinfo.Version
	// Vars is the function's environment: ESBUILD_BINARY_PATH and NAPI_RS_NATIVE_LIBRARY_PATH
	// point a platform selector elsewhere.
	Vars map[string]string
}

// File is one file or directory Lambda will extract.
type File struct {
	Source string // how messages name the source: "the function package", "layer NAME"
	Layer  bool
	Name   string // path inside the source zip, slash-separated
	Size   int64
	Dir    bool
}

// Request asks for the first Max bytes of Files[File]. Weight says how many native files its
// answer decides (default 1), for a fetcher that cannot read everything.
type Request struct {
	File   int
	Max    int64
	Weight int
}

// Content answers a Request.
type Content struct {
	Data     []byte
	Complete bool  // Data is the whole file
	Skipped  bool  // not read: the read budget was spent
	Err      error // the entry could not be extracted
}

// Fetcher reads the requested bytes, in order of importance (earlier requests matter more when
// the budget runs out). An error means the source could not be read: the check cannot decide.
type Fetcher func([]Request) ([]Content, error)

// Finding is one problem found, about Files[File] (or no file when File < 0).
type Finding struct {
	Rule     result.RuleID
	Severity result.Severity
	File     int
	Message  string
	Fix      string
}

// Report is the outcome of Check.
type Report struct {
	Evaluated []result.RuleID
	Findings  []Finding
	// Read counts files whose bytes were read, Unread those that needed reading but were not.
	Read, Unread int
}

// Rules lists what Check applies to Python and Node.js functions.
var Rules = []result.RuleID{
	result.NativeNotLinux, result.NativeArchMismatch, result.NativeMusl, result.NativeGlibc,
	result.NativePythonABI, result.NativePlatformMissing, result.NativeUnchecked,
}

// fileState is what is known about one native file.
type fileState struct {
	idx      int
	kind     string // "extension module", "shared library", "Node.js addon"
	plat     Platform
	glibc    elfinfo.Version // newest GLIBC_x.y needed
	glibcSet bool            // glibc decided (from the ELF or a manylinux tag)
	evidence string          // where plat came from: "its name", "WHEEL tag manylinux_2_17_x86_64", "its ELF header"
	bin      *Binary
	needRead bool
	group    string // aggregation key for findings (a distribution or package)
	severe   bool   // errors (not warnings) when it mismatches
	what     string // the file's own description for messages
	// tagGlibc is a manylinux tag's glibc when it exceeds the runtime's (tagName names the tag):
	// the bytes must confirm it.
	tagGlibc elfinfo.Version
	tagName  string
	// note is appended to its findings (why a mismatch does not fail init).
	note string
}

type checker struct {
	env     Env
	files   []File
	fetch   Fetcher
	rep     Report
	unread  []int
	partial []int
	agg     map[string]int // rule+group -> index in rep.Findings
	aggN    map[string]int
	// pyEntries parallels the Python states.
	pyEntries []pyEntry
	// Node.js packages (node.go, loaders.go).
	nodePkgs    []*npmPkg
	nodePresent map[string][]*npmPkg
	fileToPkg   map[int]*npmPkg
	lockfiles   map[int]*hiddenLockfile
	lockAsked   map[int]bool
	rootAsked   int      // the function's package.json, or -1
	rootMeta    *pkgJSON // its fields
}

// Check applies the native-code rules to the files of a function and its layers.
func Check(env Env, files []File, fetch Fetcher) (Report, error) {
	c := &checker{env: env, files: files, fetch: fetch, agg: map[string]int{}, aggN: map[string]int{}}
	switch env.Family {
	case "python":
		c.rep.Evaluated = append(c.rep.Evaluated, result.NativeNotLinux, result.NativeArchMismatch,
			result.NativeMusl, result.NativeGlibc, result.NativePythonABI, result.NativeUnchecked)
		if err := c.python(); err != nil {
			return c.rep, err
		}
	case "nodejs":
		c.rep.Evaluated = append(c.rep.Evaluated, Rules...)
		if err := c.node(); err != nil {
			return c.rep, err
		}
	default:
		return c.rep, nil
	}
	c.finishAggregates()
	return c.rep, nil
}

// headRounds are the sizes of successive reads of a file's start. Most extension modules keep
// their dynamic names and version needs in the first 16 KiB (all of Debian 12's python3 modules
// do); sharp's addon needs 53 KiB and libvips 212 KiB, so only files still undecided are read
// again, larger, while the budget lasts.
var headRounds = []int64{16 << 10, 128 << 10, LargeHeadSize}

// LargeHeadSize is the largest head read of one file.
const LargeHeadSize = 512 << 10

// minHead is the least a head must hold to be judged: an ELF header and its program headers.
const minHead = 512

// readUntaggedFirst reads the heads of the files that need it, those whose file name says nothing
// of their CPU (abi3, untagged .so and .node files) first: the name decides nothing for them, so
// they matter most when the read budget is short.
func (c *checker) readUntaggedFirst(states []*fileState) error {
	return c.readRounds(c.orderUntagged(states), nil, nil)
}

func (c *checker) orderUntagged(states []*fileState) []*fileState {
	ordered := make([]*fileState, 0, len(states))
	for _, s := range states {
		if s.plat.Arch == "" {
			ordered = append(ordered, s)
		}
	}
	for _, s := range states {
		if s.plat.Arch != "" {
			ordered = append(ordered, s)
		}
	}
	return ordered
}

// readRounds fetches heads for the states that need them and analyses them. extra lists other
// whole files to read in the same round (a loader's package.json and modules), placed first in
// the round's requests since they are small and decide which binaries matter; got receives them.
func (c *checker) readRounds(states []*fileState, extra func(round int) []Request, got func(round int, reqs []Request, got []Content)) error {
	var todo []*fileState
	for _, s := range states {
		if s.needRead {
			todo = append(todo, s)
			s.needRead = false
		}
	}
	rounds := len(headRounds)
	if extra != nil {
		rounds = max(rounds, 2+maxModuleDepth)
	}
	for round := 0; round < rounds; round++ {
		var ex []Request
		if extra != nil {
			ex = extra(round)
		}
		if len(todo) == 0 && len(ex) == 0 {
			if extra == nil || round >= 2 {
				return nil
			}
			continue
		}
		want := headRounds[min(round, len(headRounds)-1)]
		if round >= len(headRounds) {
			todo = nil
		}
		// Round 0's package.json files go first (they decide which builds matter); later
		// rounds' modules go after the heads, so a short budget costs the load analysis (which
		// then assumes a load at init) before it costs a binary check.
		var hr []Request
		for _, s := range todo {
			hr = append(hr, Request{File: s.idx, Max: min(want, max(c.files[s.idx].Size, 0))})
		}
		reqs, exAt, headAt := append(slices.Clone(ex), hr...), 0, len(ex)
		if round > 0 {
			reqs, exAt, headAt = append(hr, ex...), len(hr), 0
		}
		all, err := c.fetch(reqs)
		if err != nil {
			return err
		}
		part := func(from, n int) []Content {
			out := make([]Content, n)
			for i := range out {
				out[i] = Content{Skipped: true}
				if from+i < len(all) {
					out[i] = all[from+i]
				}
			}
			return out
		}
		if got != nil {
			got(round, ex, part(exAt, len(ex)))
		}
		heads := part(headAt, len(hr))
		var next []*fileState
		for i, s := range todo {
			size := c.files[s.idx].Size
			g := Content{Skipped: true}
			if i < len(heads) {
				g = heads[i]
			}
			usable := !g.Skipped && g.Err == nil && (len(g.Data) >= minHead || int64(len(g.Data)) >= size)
			if !usable {
				if round == 0 {
					c.unread = append(c.unread, s.idx)
					c.rep.Unread++
				}
				continue // a later round keeps what an earlier one found
			}
			if round == 0 {
				c.rep.Read++
			}
			b := AnalyzeHead(g.Data, size)
			s.bin = &b
			if b.Format == FormatELF && b.Malformed == nil && !b.GlibcKnown && b.Libc != LibcMusl && !g.Complete && int64(len(g.Data)) < size {
				next = append(next, s)
			}
		}
		todo = next
	}
	return nil
}

// applyBinary merges what the bytes say into the state (the bytes win over names).
func (s *fileState) applyBinary() {
	b := s.bin
	if b == nil {
		return
	}
	switch b.Format {
	case FormatELF:
		if b.Malformed != nil {
			return
		}
		s.plat.OS = OSLinux
		if b.OSABI != elfinfo.OSABISysV && b.OSABI != elfinfo.OSABIGNU {
			s.plat.OS = OSOther
		}
		s.plat.Arch = b.Arch()
		if b.BigEndian {
			s.plat.Arch += " big-endian"
		}
		if b.Libc != "" {
			s.plat.Libc = b.Libc
		}
		if b.GlibcKnown && (!s.glibcSet || s.glibc.Less(b.Glibc)) {
			s.glibc, s.glibcSet = b.Glibc, true
		}
		s.evidence = "its ELF header"
	case FormatMachO:
		s.plat = Platform{OS: OSDarwin}
		s.evidence = "its first bytes (" + b.What + ")"
	case FormatPE:
		s.plat = Platform{OS: OSWindows}
		s.evidence = "its first bytes (" + b.What + ")"
	}
}

// judge reports the state's first problem, if any.
func (c *checker) judge(s *fileState, fixes fixSet) {
	f := c.files[s.idx]
	name := displayPath(f)
	sev := result.Warning
	if s.severe {
		sev = result.Error
	}
	if s.bin != nil && s.bin.Format == FormatELF && s.bin.Malformed != nil {
		c.emit(result.NativeNotLinux, sev, s, fmt.Sprintf("%s is a malformed ELF file (%v); the dynamic loader refuses it.", name, s.bin.Malformed), fixes.os)
		return
	}
	if s.bin != nil && (s.bin.Format == FormatUnknown || s.bin.Format == FormatEmpty) {
		c.emit(result.NativeNotLinux, sev, s, fmt.Sprintf("%s (%s) is %s, not a Linux shared object: loading it fails (\"invalid ELF header\").", name, s.what, s.bin.What), fixes.os)
		return
	}
	switch {
	case s.plat.OS != "" && s.plat.OS != OSLinux && s.plat.OS != OSWasm:
		c.emit(result.NativeNotLinux, sev, s, fmt.Sprintf("%s (%s) is built for %s (from %s), but Lambda runs %s on Amazon Linux: %s", name, s.what, s.plat, s.evidence, c.fnDesc(), fixes.failure), fixes.os)
	case s.plat.Arch != "" && s.plat.Arch != "universal" && s.plat.Arch != c.env.Arch:
		c.emit(result.NativeArchMismatch, sev, s, fmt.Sprintf("%s (%s) is built for %s (from %s), but the function %s runs on %s: %s", name, s.what, s.plat.Arch, s.evidence, c.env.Runtime, c.env.Arch, fixes.failure), fixes.arch(s.plat.Arch))
	case s.plat.Libc == LibcMusl:
		ev := s.evidence
		if s.bin != nil && s.bin.LibcEvidence != "" {
			ev = "it links " + s.bin.LibcEvidence
		}
		c.emit(result.NativeMusl, sev, s, fmt.Sprintf("%s (%s) is built against musl libc (%s, as on Alpine Linux), but Lambda's Amazon Linux has only glibc: %s", name, s.what, ev, fixes.failure), fixes.musl)
	case s.glibcSet && c.env.Glibc != (elfinfo.Version{}) && c.env.Glibc.Less(s.glibc):
		c.emit(result.NativeGlibc, sev, s, fmt.Sprintf("%s (%s) needs GLIBC_%s (from %s), but %s runs on an OS with glibc %s: loading it fails with \"version `GLIBC_%s' not found\".", name, s.what, s.glibc, s.evidence, c.env.Runtime, c.env.Glibc, s.glibc), fixes.glibc)
	case s.bin == nil && !s.glibcSet && s.plat.Libc != LibcGNU && s.plat.OS == OSLinux:
		// decided by name only, nothing about its C library: nothing more to say
	case s.bin != nil && s.bin.Format == FormatELF && !s.glibcSet && s.plat.Libc != LibcMusl:
		c.partial = append(c.partial, s.idx)
	}
}

// emit adds a finding, folding repeats of one rule within one group into the first.
func (c *checker) emit(rule result.RuleID, sev result.Severity, s *fileState, msg, fix string) {
	key := string(rule) + "\x00" + s.group
	if s.group != "" {
		if i, ok := c.agg[key]; ok {
			c.aggN[key]++
			if sev == result.Error {
				c.rep.Findings[i].Severity = sev
			}
			return
		}
		c.agg[key] = len(c.rep.Findings)
	}
	c.rep.Findings = append(c.rep.Findings, Finding{Rule: rule, Severity: sev, File: s.idx, Message: msg + s.note, Fix: fix})
}

func (c *checker) finishAggregates() {
	for key, n := range c.aggN {
		i := c.agg[key]
		c.rep.Findings[i].Message += fmt.Sprintf(" (%d more files of %s have the same problem.)", n, strings.SplitN(key, "\x00", 2)[1])
	}
	unread := c.unread
	if len(unread) > 0 {
		c.rep.Findings = append(c.rep.Findings, Finding{Rule: result.NativeUnchecked, Severity: result.Warning, File: unread[0],
			Message: fmt.Sprintf("%d native files were not read because the read budget for this check was spent (or their entries could not be extracted): their CPU, C library and glibc needs were not checked: %s.", len(unread), c.listFiles(unread)),
			Fix:     "Check the package locally with bootstrap-guard check (no read budget on local files), or split large dependencies into a layer."})
	}
	if len(c.partial) > 0 {
		c.rep.Findings = append(c.rep.Findings, Finding{Rule: result.NativeUnchecked, Severity: result.Info, File: c.partial[0],
			Message: fmt.Sprintf("The glibc version needs of %d native files were not found in the bytes the read budget allowed (at most their first %d KiB), so they were not checked: %s.", len(c.partial), LargeHeadSize>>10, c.listFiles(c.partial)),
			Fix:     "Nothing to do if these were built in the runtime's image or from manylinux wheels."})
	}
}

func (c *checker) listFiles(idx []int) string {
	var names []string
	for i, f := range idx {
		if i == 5 {
			names = append(names, fmt.Sprintf("and %d more", len(idx)-i))
			break
		}
		names = append(names, displayPath(c.files[f]))
	}
	return strings.Join(names, ", ")
}

// displayPath names a file as Lambda will see it.
func displayPath(f File) string {
	if f.Layer {
		return "/opt/" + f.Name
	}
	return f.Name
}

func (c *checker) fnDesc() string {
	return fmt.Sprintf("this %s %s function", c.env.Arch, c.env.Runtime)
}

// fixSet holds the remediation texts of one family.
type fixSet struct {
	failure string
	os      string
	arch    func(built string) string
	musl    string
	glibc   string
}

// pyVersion reads python3.12 into 3, 12.
func pyVersion(rt string) (int, int, bool) {
	v, ok := strings.CutPrefix(rt, "python")
	if !ok {
		return 0, 0, false
	}
	maj, mnr, ok := strings.Cut(v, ".")
	if !ok {
		return 0, 0, false
	}
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(mnr)
	return a, b, err1 == nil && err2 == nil
}

// nodeMajor reads nodejs20.x into 20.
func nodeMajor(rt string) string {
	v := strings.TrimPrefix(rt, "nodejs")
	return strings.TrimSuffix(v, ".x")
}

// dirOf is path.Dir with "" for the root.
func dirOf(name string) string {
	d := path.Dir(name)
	if d == "." {
		return ""
	}
	return d
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
