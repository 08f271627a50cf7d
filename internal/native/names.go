package native

import (
	"path"
	"strconv"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// Operating systems and C libraries, as the checks name them.
const (
	OSLinux   = "linux"
	OSDarwin  = "macOS"
	OSWindows = "Windows"
	OSWasm    = "WebAssembly"
	OSOther   = "another OS"

	LibcGNU  = "glibc"
	LibcMusl = "musl"
)

// Lambda architectures (Function.Architectures), as internal/result defines them.
const (
	ArchX86 = result.ArchX86
	ArchARM = result.ArchARM
)

// Platform is what a name says a file was built for. Empty fields are not stated by the name.
type Platform struct {
	OS   string // OSLinux, OSDarwin, ...
	Arch string // ArchX86, ArchARM or another CPU's name
	Libc string // LibcGNU, LibcMusl or ""
}

// String describes the platform for messages, e.g. "linux arm64 (musl)".
func (p Platform) String() string {
	var parts []string
	for _, s := range []string{p.OS, p.Arch} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	s := strings.Join(parts, " ")
	if p.Libc != "" {
		s += " (" + p.Libc + ")"
	}
	if s == "" {
		return "an unstated platform"
	}
	return s
}

// PyKind is what a file in a Python tree is, from its name.
type PyKind int

// Python file kinds.
const (
	PyNone      PyKind = iota
	PyExtension        // an extension module: name[.tag].so or .pyd
	PyLibrary          // a shared library an extension links (lib*.so*, *.libs/, .dylib)
)

// PyName is a parsed Python native file name.
//
// Extension module names follow PEP 3149 and CPython's EXTENSION_SUFFIXES
// (python/peps · peps/pep-3149.rst; CPython Python/dynload_shlib.c): on Linux the import system
// tries "<mod>.cpython-3XY-<triplet>.so", then "<mod>.abi3.so", then "<mod>.so" (3.15 adds
// "<mod>.abi3-<triplet>.so", python/cpython#152461). Windows uses "<mod>.cp3XY-win_amd64.pyd" or
// "<mod>.pyd"; macOS "<mod>.cpython-3XY-darwin.so".
type PyName struct {
	Kind   PyKind
	Module string // the importable name: the base name up to the first dot
	// Tag is what sits between the module name and the suffix ("cpython-312-x86_64-linux-gnu",
	// "abi3", "" for a plain .so).
	Tag      string
	Impl     string // "cpython", "pypy" or "" when the tag names none
	Major    int    // Python version from the tag; 0 when none
	Minor    int
	Flags    string // ABI flags after the version ("t" free-threaded, "m" up to 3.7, "d" debug)
	ABI3     bool   // stable ABI: loads on its minimum version and later
	Platform Platform
}

// ParsePyName reads a base file name. Kind is PyNone for files that are not native code.
func ParsePyName(base string) PyName {
	lower := strings.ToLower(base)
	switch {
	case strings.HasSuffix(lower, ".pyd"):
		n := PyName{Kind: PyExtension, Platform: Platform{OS: OSWindows}}
		stem := base[:len(base)-4]
		n.Module, n.Tag, _ = strings.Cut(stem, ".")
		if m := strings.TrimPrefix(n.Tag, "cp"); m != n.Tag {
			// cp312-win_amd64
			ver, plat, _ := strings.Cut(m, "-")
			n.Impl = "cpython"
			n.Major, n.Minor, n.Flags = splitPyVersion(ver)
			n.Platform.Arch = winArch(plat)
		}
		return n
	case strings.HasSuffix(lower, ".dylib"):
		return PyName{Kind: PyLibrary, Module: strings.SplitN(base, ".", 2)[0], Platform: Platform{OS: OSDarwin}}
	case strings.HasSuffix(lower, ".dll"):
		return PyName{Kind: PyLibrary, Module: strings.SplitN(base, ".", 2)[0], Platform: Platform{OS: OSWindows}}
	case isVersionedSO(base):
		return PyName{Kind: PyLibrary, Module: strings.SplitN(base, ".", 2)[0]}
	case !strings.HasSuffix(base, ".so"):
		return PyName{}
	}
	stem := base[:len(base)-3]
	mod, tag, _ := strings.Cut(stem, ".")
	n := PyName{Kind: PyExtension, Module: mod, Tag: tag}
	if strings.HasPrefix(mod, "lib") && tag == "" {
		n.Kind = PyLibrary // libfoo.so: a library an extension links, not a module
		return n
	}
	switch {
	case tag == "":
	case tag == "abi3" || tag == "abi3t":
		n.ABI3 = true
	case strings.HasPrefix(tag, "abi3-") || strings.HasPrefix(tag, "abi3t-"):
		n.ABI3 = true
		n.Platform = parseTriplet(tag[strings.IndexByte(tag, '-')+1:])
	case strings.HasPrefix(tag, "cpython-") || strings.HasPrefix(tag, "pypy"):
		impl, rest, _ := strings.Cut(tag, "-")
		if impl == "cpython" {
			n.Impl = "cpython"
			ver, triplet, _ := strings.Cut(rest, "-")
			n.Major, n.Minor, n.Flags = splitPyVersion(ver)
			n.Platform = parseTriplet(triplet)
		} else {
			// pypy39-pp73-x86_64-linux-gnu: another interpreter; CPython ignores it.
			n.Impl = "pypy"
			if _, triplet, ok := strings.Cut(rest, "-"); ok {
				n.Platform = parseTriplet(triplet)
			}
		}
	default:
		// A name with dots that is no known tag (foo.bar.so) is not importable as a module;
		// treat it as a library that something may load by path.
		n.Kind = PyLibrary
	}
	return n
}

// isVersionedSO reports names like libfoo.so.1 or libfoo-1a2b3c.so.1.2.3.
func isVersionedSO(base string) bool {
	i := strings.Index(base, ".so.")
	if i <= 0 {
		return false
	}
	for _, part := range strings.Split(base[i+4:], ".") {
		if _, err := strconv.Atoi(part); err != nil {
			return false
		}
	}
	return true
}

// splitPyVersion reads "312", "313t", "37m" into 3, 12 and the flags.
func splitPyVersion(s string) (major, minor int, flags string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	digits, flags := s[:i], s[i:]
	if len(digits) < 2 || len(digits) > 4 {
		return 0, 0, ""
	}
	major, _ = strconv.Atoi(digits[:1])
	minor, _ = strconv.Atoi(digits[1:])
	return major, minor, flags
}

// parseTriplet reads a multiarch triplet (x86_64-linux-gnu, aarch64-linux-musl, darwin).
func parseTriplet(t string) Platform {
	if t == "darwin" {
		return Platform{OS: OSDarwin}
	}
	parts := strings.Split(t, "-")
	if len(parts) < 2 {
		return Platform{}
	}
	p := Platform{Arch: cpuName(parts[0])}
	switch parts[1] {
	case "linux":
		p.OS = OSLinux
		if len(parts) > 2 {
			switch {
			case strings.HasPrefix(parts[2], "musl"):
				p.Libc = LibcMusl
			case strings.HasPrefix(parts[2], "gnu"):
				p.Libc = LibcGNU
			}
		}
	case "darwin", "apple":
		p.OS = OSDarwin
	case "emscripten", "wasi":
		p.OS = OSWasm
	default:
		p.OS = OSOther
	}
	return p
}

// cpuName maps the CPU names of triplets, wheel tags and Node's process.arch to Lambda's.
func cpuName(c string) string {
	switch c {
	case "x86_64", "amd64", "x64", "64":
		return ArchX86
	case "aarch64", "arm64":
		return ArchARM
	}
	return c
}

func winArch(plat string) string {
	switch plat {
	case "win_amd64":
		return ArchX86
	case "win_arm64":
		return ArchARM
	case "win32":
		return "i386"
	}
	return ""
}

// Node.js platform names (process.platform and process.arch, as npm packages spell them in their
// names: nodejs.org/api/process.html#processplatform).
var nodeOS = map[string]Platform{
	"linux": {OS: OSLinux}, "linuxmusl": {OS: OSLinux, Libc: LibcMusl},
	"darwin": {OS: OSDarwin}, "win32": {OS: OSWindows}, "windows": {OS: OSWindows},
	"freebsd": {OS: OSOther}, "openbsd": {OS: OSOther}, "netbsd": {OS: OSOther},
	"sunos": {OS: OSOther}, "aix": {OS: OSOther}, "android": {OS: OSOther},
}

var nodeCPU = map[string]bool{
	"x64": true, "arm64": true, "ia32": true, "arm": true, "64": true, "32": true, "ppc64": true,
	"ppc64le": true, "s390x": true, "riscv64": true, "loong64": true, "mips64el": true,
	"universal": true, "x64+arm64": true, "arm64+x64": true,
}

// ParseNodePlatform finds "<os>-<cpu>[-<abi>]" at the end of an npm package name or a NAPI-RS
// file tag: "@img/sharp-linuxmusl-x64", "@esbuild/linux-arm64", "esbuild-linux-64",
// "@rollup/rollup-linux-x64-gnu", "lightningcss-linux-arm-gnueabihf", "linux-x64". The abi part
// gnu/musl decides the C library (npm/cli package-json.md "libc"; NAPI-RS triples). ok is false
// when the name carries no platform.
func ParseNodePlatform(name string) (Platform, bool) {
	name = path.Base(name)
	toks := strings.Split(name, "-")
	for i := len(toks) - 2; i >= 0; i-- {
		osp, ok := nodeOS[toks[i]]
		if !ok || !nodeCPU[toks[i+1]] {
			continue
		}
		rest := toks[i+2:]
		if len(rest) > 1 {
			continue
		}
		p := osp
		p.Arch = cpuName(toks[i+1])
		if toks[i+1] == "universal" || strings.Contains(toks[i+1], "+") {
			p.Arch = "universal"
		}
		if len(rest) == 1 {
			switch abi := rest[0]; {
			case strings.HasPrefix(abi, "musl"):
				p.Libc = LibcMusl
			case strings.HasPrefix(abi, "gnu") || abi == "glibc":
				p.Libc = LibcGNU
			case abi == "msvc":
				p.OS = OSWindows
			default:
				continue
			}
		}
		return p, true
	}
	if strings.HasSuffix(name, "-wasm32") || name == "wasm32" || strings.HasSuffix(name, "-wasm32-wasi") {
		return Platform{OS: OSWasm}, true
	}
	return Platform{}, false
}
