package native

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/elfinfo"
)

// MaxWheelFile bounds the WHEEL metadata file read; real ones are a few hundred bytes.
const MaxWheelFile = 16 << 10

// maxWheelTags bounds the tags kept from one WHEEL file.
const maxWheelTags = 256

// WheelTag is one compatibility tag (PEP 425): python-abi-platform, e.g. cp312-cp312-manylinux_2_17_x86_64.
type WheelTag struct {
	Python, ABI, Platform string
}

// String writes the tag as wheel file names do.
func (t WheelTag) String() string { return t.Python + "-" + t.ABI + "-" + t.Platform }

// Wheel is what a *.dist-info/WHEEL file says (PEP 427: "Wheel-Version", "Root-Is-Purelib" and
// one "Tag" line per tag; pip install --target keeps the file).
type Wheel struct {
	Version string
	Purelib bool
	Tags    []WheelTag
}

// ParseWheel reads a WHEEL file. It accepts what pip writes and rejects what is not metadata at
// all (binary bytes, no Wheel-Version), so a file that only happens to be called WHEEL is not
// trusted.
func ParseWheel(b []byte) (Wheel, error) {
	var w Wheel
	if len(b) > MaxWheelFile {
		return w, fmt.Errorf("WHEEL file of %d bytes (limit %d)", len(b), MaxWheelFile)
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return w, fmt.Errorf("WHEEL file contains NUL bytes")
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 1024), MaxWheelFile)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(key) {
		case "Wheel-Version":
			w.Version = val
		case "Root-Is-Purelib":
			w.Purelib = strings.EqualFold(val, "true")
		case "Tag":
			// A tag line may carry a compressed set (py2.py3-none-any): expand it (PEP 425).
			parts := strings.Split(val, "-")
			if len(parts) != 3 {
				return w, fmt.Errorf("WHEEL tag %q is not python-abi-platform", val)
			}
			for _, py := range strings.Split(parts[0], ".") {
				for _, abi := range strings.Split(parts[1], ".") {
					for _, plat := range strings.Split(parts[2], ".") {
						if len(w.Tags) >= maxWheelTags {
							return w, fmt.Errorf("WHEEL file with more than %d tags", maxWheelTags)
						}
						if py == "" || abi == "" || plat == "" {
							return w, fmt.Errorf("WHEEL tag %q has an empty part", val)
						}
						w.Tags = append(w.Tags, WheelTag{py, abi, plat})
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return w, fmt.Errorf("WHEEL file: %w", err)
	}
	if w.Version == "" {
		return w, fmt.Errorf("WHEEL file has no Wheel-Version line")
	}
	return w, nil
}

// TagPlatform is what a wheel platform tag promises.
type TagPlatform struct {
	Platform
	Any bool // "any": pure Python, no native code
	// Glibc is the newest glibc the wheel may need (manylinux); zero when the tag does not bound it
	// (linux_x86_64: a local build that promises nothing).
	Glibc elfinfo.Version
	Tag   string
}

// ParsePlatformTag reads a wheel platform tag. The manylinux aliases map to glibc versions by
// PEP 513 (manylinux1 = 2.5), PEP 571 (manylinux2010 = 2.12), PEP 599 (manylinux2014 = 2.17);
// manylinux_X_Y_arch means glibc X.Y (PEP 600) and musllinux_X_Y_arch musl X.Y (PEP 656).
func ParsePlatformTag(tag string) TagPlatform {
	t := TagPlatform{Tag: tag}
	switch {
	case tag == "any":
		t.Any = true
	case strings.HasPrefix(tag, "manylinux1_"):
		t.Platform = Platform{OS: OSLinux, Libc: LibcGNU, Arch: cpuName(strings.TrimPrefix(tag, "manylinux1_"))}
		t.Glibc = elfinfo.Version{Major: 2, Minor: 5}
	case strings.HasPrefix(tag, "manylinux2010_"):
		t.Platform = Platform{OS: OSLinux, Libc: LibcGNU, Arch: cpuName(strings.TrimPrefix(tag, "manylinux2010_"))}
		t.Glibc = elfinfo.Version{Major: 2, Minor: 12}
	case strings.HasPrefix(tag, "manylinux2014_"):
		t.Platform = Platform{OS: OSLinux, Libc: LibcGNU, Arch: cpuName(strings.TrimPrefix(tag, "manylinux2014_"))}
		t.Glibc = elfinfo.Version{Major: 2, Minor: 17}
	case strings.HasPrefix(tag, "manylinux_"), strings.HasPrefix(tag, "musllinux_"):
		family, rest, _ := strings.Cut(tag, "_")
		parts := strings.SplitN(rest, "_", 3)
		if len(parts) != 3 {
			t.Platform = Platform{OS: OSLinux}
			return t
		}
		major, err1 := strconv.Atoi(parts[0])
		minor, err2 := strconv.Atoi(parts[1])
		t.Platform = Platform{OS: OSLinux, Arch: cpuName(parts[2]), Libc: LibcGNU}
		if family == "musllinux" {
			t.Libc = LibcMusl
		} else if err1 == nil && err2 == nil && major >= 0 && minor >= 0 && major < 100 && minor < 1000 {
			t.Glibc = elfinfo.Version{Major: major, Minor: minor}
		}
	case strings.HasPrefix(tag, "linux_"):
		t.Platform = Platform{OS: OSLinux, Arch: cpuName(strings.TrimPrefix(tag, "linux_"))}
	case strings.HasPrefix(tag, "macosx_"):
		t.Platform = Platform{OS: OSDarwin}
		if i := strings.LastIndexByte(tag, '_'); i > 0 {
			t.Arch = cpuName(tag[i+1:])
		}
	case strings.HasPrefix(tag, "win"):
		t.Platform = Platform{OS: OSWindows, Arch: winArch(tag)}
	default:
		t.Platform = Platform{OS: OSOther}
	}
	return t
}

// pyTagVersion reads a python tag (cp312, cp3, py3, py2) into its version; minor is -1 when the
// tag names only a major version.
func pyTagVersion(tag string) (impl string, major, minor int, ok bool) {
	switch {
	case strings.HasPrefix(tag, "cp"):
		impl = "cp"
	case strings.HasPrefix(tag, "py"):
		impl = "py"
	case strings.HasPrefix(tag, "pp"):
		impl = "pp"
	default:
		return "", 0, 0, false
	}
	digits := tag[2:]
	if digits == "" || len(digits) > 4 {
		return "", 0, 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return "", 0, 0, false
		}
	}
	major, _ = strconv.Atoi(digits[:1])
	minor = -1
	if len(digits) > 1 {
		minor, _ = strconv.Atoi(digits[1:])
	}
	return impl, major, minor, true
}
